"""The command line: parse, call the library (``upmarket.pipeline``), print, exit with a code.

No analysis logic lives here.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

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
console = Console(emoji=False, highlight=False)
err = Console(stderr=True, emoji=False, highlight=False)
_state = {"debug": False}

Dataset = Annotated[Path, typer.Argument(help="A dataset folder: one file (or folder of parts) per contract table.")]
Db = Annotated[Path | None, typer.Option("--db", help="The DuckDB warehouse file (default: DATASET/.upmarket.duckdb).")]
Focal = Annotated[str | None, typer.Option("--focal-brand", help="Overrides focal_brand of upmarket.toml.")]
Lang = Annotated[str, typer.Option("--lang", help="Report language: en or zh.")]


@app.callback()
def main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False) -> None:
    _state["debug"] = debug


def _fail(exc: BaseException) -> None:
    """One line naming the file and the problem; a traceback only with --debug."""
    if _state["debug"]:
        raise exc
    err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
    raise typer.Exit(2)


def _user_errors() -> tuple[type[BaseException], ...]:
    from upmarket.errors import UpmarketError
    from upmarket.io import UnreadableFile

    return (UnreadableFile, UpmarketError, FileNotFoundError, ValueError, KeyError)


@app.command()
def validate(dataset: Dataset) -> None:
    """Dry run: what would load and what would be quarantined, per file."""
    try:
        with RichProgress(transient=True) as progress:
            rep = pipeline.validate(dataset, progress=progress)
    except _user_errors() as exc:
        _fail(exc)
    console.print(rep.to_rich())


@app.command()
def ingest(dataset: Dataset, db: Db = None) -> None:
    """Load the dataset into its warehouse (idempotent; atomic)."""
    try:
        with RichProgress(transient=True) as progress:
            rep = pipeline.ingest(dataset, db=db, progress=progress)
    except _user_errors() as exc:
        _fail(exc)
    console.print(rep.to_rich())


@app.command()
def analyze(
    dataset: Dataset,
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")] = Path("upmarket_out"),
    db: Db = None,
    focal_brand: Focal = None,
    only: Annotated[list[str] | None, typer.Option("--only", help="Run only these analyses.")] = None,
    lang: Lang = "en",
) -> None:
    """Ingest when needed, run every analysis, write results.json, tables and report.html."""
    try:
        with RichProgress(transient=True) as progress:
            res = pipeline.analyze(
                dataset, out, db=db, only=only, lang=lang, debug=_state["debug"], progress=progress,
                focal_brand=focal_brand,
            )
    except _user_errors() as exc:
        _fail(exc)
    for finding in res.findings:
        console.print(f"• {escape(finding.text)}")
    for name, reason in res.skipped.items():
        console.print(f"[dim]skipped {escape(str(name))}: {escape(str(reason))}[/]")
    console.print(f"results: {out / 'results.json'}\nreport:  {out / 'report.html'}", markup=False)


@app.command()
def report(
    out: Annotated[Path, typer.Argument(help="An output folder written by `upmarket analyze`.")],
    lang: Lang = "en",
) -> None:
    """Re-render report.html from an output folder."""
    try:
        path = pipeline.report(out, lang=lang)
    except _user_errors() as exc:
        _fail(exc)
    console.print(f"report: {path}", markup=False)


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
) -> None:
    """Simulate a market, analyse it and write the report: the whole system on one command."""
    import upmarket

    dataset = out / "market"
    with RichProgress() as progress:
        upmarket.simulate(dataset, preset="demo", seed=seed, progress=progress)
        res = pipeline.analyze(dataset, out / "results", lang=lang, progress=progress)
    for finding in res.findings[:12]:
        console.print(f"• {escape(finding.text)}")
    console.print(f"\n[bold]report:[/] {escape(str((out / 'results' / 'report.html').resolve()))}")


@app.command()
def docs(
    out: Annotated[Path, typer.Option("-o", "--out", help="Where to write the contract docs.")] = Path(
        "docs/contract.md"
    ),
) -> None:
    """Regenerate docs/contract.md from the contract code."""
    from upmarket.contract.docs import render_contract_markdown

    out.write_text(render_contract_markdown(), encoding="utf-8")
    console.print(f"wrote {out}", markup=False)


def _mount_subcommands() -> None:
    from upmarket.analyses.voice.cli import voice_app

    app.add_typer(voice_app, name="voice", help="Score or train on Chinese review text.")


_mount_subcommands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
