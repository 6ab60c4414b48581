"""The command line: parse, call the library (``upmarket.pipeline``), print, exit with a code.

No analysis logic lives here.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from upmarket import pipeline
from upmarket.progress import RichProgress

app = typer.Typer(
    name="upmarket",
    help="How far a brand's move upmarket has got, from its online-channel data — and what to do next.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# Data (file names, headers, reviews, brands) reaches these consoles: emoji codes (``:x:``) and
# highlighting are off, and every interpolated value goes through ``escape`` (Rich markup).
def _consoles() -> tuple[Console, Console]:
    """stdout and stderr consoles, made per invocation so that they see the terminal (and COLUMNS) of this run."""
    return Console(emoji=False, highlight=False), Console(stderr=True, emoji=False, highlight=False)


console, err = _consoles()
_state = {"debug": False}

Dataset = Annotated[Path, typer.Argument(help="A dataset folder: one file (or folder of parts) per contract table.")]
Db = Annotated[Path | None, typer.Option("--db", help="The DuckDB warehouse file (default: DATASET/.upmarket.duckdb).")]
Focal = Annotated[str | None, typer.Option("--focal-brand", help="Overrides focal_brand of upmarket.toml.")]
Lang = Annotated[str, typer.Option("--lang", help="Report language: en or zh.")]
Pdf = Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also print report.pdf with the system Chromium.")]
Strict = Annotated[bool, typer.Option("--strict", help="A file that cannot be read is an error (nothing committed), "
                                                       "not a rejected file the run goes on without.")]


@app.callback()
def main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False) -> None:
    global console, err
    console, err = _consoles()
    _state["debug"] = debug


def _fail(exc: BaseException) -> None:
    """One line naming the file and the problem; a traceback only with --debug."""
    if _state["debug"]:
        raise exc
    if isinstance(exc, pipeline.FocalBrandAbsentError) and exc.report is not None:
        console.print(exc.report.to_rich())  # validate: the files are fine, the configuration is not
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _warn(lines: list[str]) -> None:
    """Data-quality warnings (rejected files first), one line each, on stderr."""
    for line in lines:
        err.print(f"[yellow]warning:[/] {escape(line)}", highlight=False, soft_wrap=True)


def _user_errors() -> tuple[type[BaseException], ...]:
    from upmarket.errors import UpmarketError
    from upmarket.io import UnreadableFile

    return (UnreadableFile, UpmarketError, FileNotFoundError, ValueError, KeyError, OSError)


@app.command()
def validate(dataset: Dataset, strict: Strict = False) -> None:
    """Dry run: what would load and what would be quarantined, per file."""
    try:
        with RichProgress(transient=True) as progress:
            rep = pipeline.validate(dataset, progress=progress, strict=strict)
    except _user_errors() as exc:
        _fail(exc)
    from upmarket.io.explain import mapping_rich

    console.print(rep.to_rich())
    console.print(mapping_rich(rep))
    _warn(rep.warnings(files=False))


@app.command()
def ingest(dataset: Dataset, db: Db = None, strict: Strict = False) -> None:
    """Load the dataset into its warehouse (idempotent; atomic; the warehouse follows the folder)."""
    try:
        with RichProgress(transient=True) as progress:
            rep = pipeline.ingest(dataset, db=db, progress=progress, strict=strict)
    except _user_errors() as exc:
        _fail(exc)
    console.print(rep.to_rich())
    _warn(rep.warnings(files=False))


@app.command()
def quarantine(
    dataset: Dataset,
    out: Annotated[Path, typer.Option("-o", "--out", help="The file to write: .xlsx, .csv or .parquet.")] = Path(
        "bad_rows.xlsx"),
    db: Db = None,
) -> None:
    """Write every quarantined row (file, row, column, reason in English and Chinese, raw value) to fix by hand."""
    try:
        with RichProgress(transient=True) as progress:
            rep, n = pipeline.quarantine(dataset, out, db=db, progress=progress)
    except _user_errors() as exc:
        _fail(exc)
    _warn(rep.warnings())
    console.print(f"{n:,} quarantined rows → {escape(str(out))}", highlight=False)


@app.command()
def init(
    dataset: Dataset,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing upmarket.toml.")] = False,
) -> None:
    """Write a commented upmarket.toml for a folder of exports: what each file would load into."""
    from upmarket.config_docs import write_starter_config

    try:
        path = write_starter_config(dataset, force=force)
    except _user_errors() as exc:
        _fail(exc)
    console.print(f"wrote {escape(str(path))} — read it, then run `upmarket validate {escape(str(dataset))}`",
                  highlight=False)


@app.command()
def analyze(
    dataset: Dataset,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")] = Path("upmarket_out"),
    db: Db = None,
    focal_brand: Focal = None,
    only: Annotated[list[str] | None, typer.Option("--only", help="Run only these analyses.")] = None,
    lang: Lang = "en",
    strict: Strict = False,
    pdf: Pdf = False,
    no_report: Annotated[bool, typer.Option(
        "--no-report", help="Write results, tables, charts, artefacts; no report.html (`upmarket report OUT` later)."
    )] = False,
) -> None:
    """Ingest when needed, run every analysis, write results.json, tables, report.html and results.xlsx."""
    try:
        with RichProgress(transient=True) as progress:
            res = pipeline.analyze(
                dataset, out, db=db, only=only, lang=lang, debug=_state["debug"], progress=progress,
                focal_brand=focal_brand, strict=strict, pdf=pdf, report=not no_report,
            )
    except _user_errors() as exc:
        _fail(exc)
    _warn(pipeline.data_quality_warnings(res.figures.get("data_quality") or {}))
    _print_findings(res, lang)
    from upmarket.report.i18n import reason as localised_reason

    for name, reason in res.skipped.items():
        head = "未运行" if lang == "zh" else "skipped"
        console.print(f"[dim]{head} {escape(str(name))}: {escape(localised_reason(str(reason), lang))}[/]")
    _print_not_computed(res)
    console.print(f"results: {out / 'results.json'}", markup=False)
    _print_report_files(res.report_files, lang)
    _exit_if_failed(res)


def _print_findings(res: pipeline.Results, lang: str, limit: int | None = None) -> None:
    from upmarket.report.i18n import localise

    for finding in res.findings[:limit]:
        text = localise(finding.text_zh, lang) if lang == "zh" and finding.text_zh else finding.text
        console.print(f"• {escape(text)}")


def _print_report_files(files: Any, lang: str) -> None:
    """The report's files (report.html, results.xlsx, report.pdf) or why the PDF is missing, in ``lang``."""
    for line in files.lines(lang) if files is not None else []:
        console.print(line, markup=False, highlight=False)


EXIT_ANALYSIS_FAILED = 3
"""Exit code of ``analyze`` and ``demo`` when an analysis raised (everything else was still written)."""


def _print_not_computed(res: pipeline.Results) -> None:
    for name, figures in res.not_computed.items():
        for figure, why in figures.items():
            console.print(f"not computed {name}.{figure}: {why}", style="dim", markup=False, highlight=False)


def _exit_if_failed(res: pipeline.Results) -> None:
    """Name every failed analysis on stderr and exit 3, so a script can tell a crash from missing data."""
    if not res.failed:
        return
    for name, f in res.failed.items():
        where = f" ({f['where']})" if f.get("where") else ""
        err.print(f"analysis {name} FAILED: {f['type']}: {f['error']}{where}", style="bold red", markup=False,
                  highlight=False, soft_wrap=True)
    err.print(f"{len(res.failed)} analysis(es) failed; rerun with --debug for the traceback", style="bold red")
    raise typer.Exit(EXIT_ANALYSIS_FAILED)


@app.command()
def report(
    out: Annotated[Path, typer.Argument(help="An output folder written by `upmarket analyze`.")],
    lang: Lang = "en",
    pdf: Pdf = False,
) -> None:
    """Re-render report.html and results.xlsx (and report.pdf with --pdf) from an output folder."""
    try:
        files = pipeline.report(out, lang=lang, pdf=pdf)
    except _user_errors() as exc:
        _fail(exc)
    _print_report_files(files, lang)


@app.command()
def serve(
    out: Annotated[Path, typer.Argument(help="An output folder written by `upmarket analyze`.")],
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = 8050,
) -> None:
    """Open the what-if dashboard (prices, budgets, filters) on http://127.0.0.1:PORT (localhost only)."""
    console.print(f"what-if dashboard: http://127.0.0.1:{port}/ (Ctrl+C to stop)", markup=False)
    try:
        pipeline.serve(out, port=port)
    except _user_errors() as exc:
        _fail(exc)


@app.command()
def simulate(
    out: Annotated[Path, typer.Argument(help="Folder to write the simulated dataset into.")],
    preset: Annotated[str, typer.Option(help="tiny, demo or large.")] = "demo",
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives byte-identical files.")] = 0,
) -> None:
    """Write a simulated Chinese smartphone market with planted truth (truth.json)."""
    import upmarket

    try:
        with RichProgress() as progress:
            run = upmarket.simulate(out, preset=preset, seed=seed, progress=progress)
    except _user_errors() as exc:
        _fail(exc)
    console.print(f"dataset: {out}\nanswer key: {run.path / 'truth.json'}", markup=False)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("-o", "--out", help="Where the demo market and its report go.")] = Path(
        "demo_out"
    ),
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    lang: Lang = "en",
    pdf: Pdf = True,
) -> None:
    """Simulate a market, analyse it and write the report: the whole system on one command."""
    import upmarket

    dataset = out / "market"
    with RichProgress() as progress:
        upmarket.simulate(dataset, preset="demo", seed=seed, progress=progress)
        res = pipeline.analyze(dataset, out / "results", lang=lang, debug=_state["debug"], progress=progress,
                               pdf=pdf)
    _print_findings(res, lang, limit=12)
    console.print()
    _print_report_files(res.report_files, lang)
    _exit_if_failed(res)


@app.command()
def docs(
    out: Annotated[Path, typer.Option("-o", "--out", help="Where to write the contract docs (config.md goes beside "
                                                          "it).")] = Path("docs/contract.md"),
) -> None:
    """Regenerate docs/contract.md, docs/config.md and docs/artefacts.md from the code (the folder is created when
    missing)."""
    from upmarket.artefacts import render_artefacts_markdown
    from upmarket.config_docs import render_config_markdown
    from upmarket.contract.docs import render_contract_markdown

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_contract_markdown(), encoding="utf-8")
        config_md = out.with_name("config.md")
        config_md.write_text(render_config_markdown(), encoding="utf-8")
        out.with_name("artefacts.md").write_text(render_artefacts_markdown(), encoding="utf-8")
    except OSError as exc:
        _fail(exc)
    console.print(f"wrote {escape(str(out))}, {escape(str(config_md))} and artefacts.md", highlight=False)


def _mount_subcommands() -> None:
    from upmarket.analyses.voice.cli import voice_app

    app.add_typer(voice_app, name="voice", help="Score or train on Chinese review text.")


_mount_subcommands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
