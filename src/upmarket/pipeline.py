"""The verbs of upmarket as Python functions: ingest, validate, analyze, report.

The CLI calls these and nothing else, so everything the command line does can be done
(and tested) from Python.
"""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from upmarket.analyses.base import Section, registered
from upmarket.artefacts import ArtefactStore, analysis_order, artefact_graph
from upmarket.config import Config, load_config
from upmarket.contract import CONTRACT_VERSION
from upmarket.errors import UpmarketError
from upmarket.output import read_manifest, run_state, write_output
from upmarket.progress import ensure
from upmarket.results import TABLES_DIR, Results, deep_merge, read_results
from upmarket.warehouse import Warehouse
from upmarket.warehouse.ingest import IngestReport

if TYPE_CHECKING:
    from upmarket.report import ReportFiles

log = logging.getLogger(__name__)

QUARANTINE_FILE = "quarantine.parquet"
"""Every quarantined row of the dataset, in every analyze output's tables folder."""

def _dataset(dataset: str | Path) -> Path:
    path = Path(dataset)
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: not a dataset folder (a folder of table files such as orders.csv)")
    return path


def ingest(dataset: str | Path, *, db: str | Path | None = None, config: Config | None = None, progress: Any = None,
           strict: bool = False):
    """Load every table file of ``dataset`` into its warehouse; returns the ingest report.

    An unreadable file is rejected (``report.rejected``) and the others load; ``strict`` makes it an error.
    """
    dataset = _dataset(dataset)
    config = config or load_config(dataset)
    with Warehouse.for_dataset(dataset, db) as wh:
        return wh.ingest(dataset, config, progress=progress, strict=strict)


def validate(dataset: str | Path, *, config: Config | None = None, progress: Any = None, strict: bool = False):
    """Dry run: what would load and what would be quarantined, per file; nothing is written."""
    dataset = _dataset(dataset)
    config = config or load_config(dataset)
    with Warehouse(":memory:") as wh:
        rep = wh.validate(dataset, config, progress=progress, strict=strict)
    try:
        check_focal_brand(rep.brands, config)
    except FocalBrandAbsentError as exc:
        exc.report = rep  # the CLI shows what would load before the error
        raise
    return rep


def quarantine(dataset: str | Path, out: str | Path, *, db: str | Path | None = None, config: Config | None = None,
               progress: Any = None) -> tuple[IngestReport, int]:
    """Bring the warehouse up to date, then write every quarantined row to ``out`` (.xlsx, .csv or .parquet).

    Returns the ingest report and the number of rows written.
    """
    from upmarket.warehouse.quarantine import write_quarantine

    dataset = _dataset(dataset)
    config = config or load_config(dataset)
    with Warehouse.for_dataset(dataset, db) as wh:
        rep = wh.ingest(dataset, config, progress=progress)
        return rep, write_quarantine(wh, out)


class FocalBrandAbsentError(UpmarketError):
    """The focal brand names no row of products or market_sales: every figure about it would be empty."""

    report: IngestReport | None = None


def check_focal_brand(present: list[str], config: Config, shown: int = 15) -> None:
    """Raise when products/market_sales have brands (``present``) but not the focal one, naming them."""
    if not present or config.focal_brand in present:
        return
    listed = ", ".join(present[:shown]) + (f" and {len(present) - shown} more" if len(present) > shown else "")
    near = [b for b in present if b.casefold() == config.focal_brand.casefold()]
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    raise FocalBrandAbsentError(
        f"focal brand {config.focal_brand!r} is not in the data{hint}: products.brand and market_sales.brand hold "
        f"{listed}; set focal_brand in upmarket.toml or pass --focal-brand")


def run_analyses(
    wh: Warehouse, config: Config, *, only: list[str] | None = None, debug: bool = False, progress: Any = None,
    out: str | Path | None = None,
) -> Results:
    """Run every registered analysis (or ``only`` these) on a loaded warehouse.

    An analysis whose tables are absent is ``skipped``; one that raises is ``failed`` (its error,
    type and where, so a caller can tell a crash from missing data); the figures its columns do
    not allow are listed under ``not_computed``. With ``debug`` an analysis' exception propagates.

    The order respects the artefact graph (an analysis runs after the producers of what it consumes), then
    ``order``; artefacts are computed at most once (saved under ``out/artefacts`` when ``out`` is given, and
    loaded from there when their key matches) and listed in ``Results.artefacts``.
    """
    figures: dict[str, Any] = {
        "contract": CONTRACT_VERSION,
        "focal_brand": config.focal_brand,
        "config": config.to_dict(),
        "skipped": {},
        "failed": {},
        "not_computed": {},
        "warnings": {},
    }
    sections: list[Section] = []
    available = registered()
    task = ensure(progress).task("analyses", total=len(only or available))
    unknown = sorted(set(only or ()) - set(available))
    if unknown:
        raise ValueError(f"unknown analysis {', '.join(unknown)}; known: {', '.join(available)}")
    store = ArtefactStore(wh, config, artefact_graph(available), out)
    owners: dict[str, str] = {}
    for name in analysis_order(available):
        cls = available[name]
        if only and name not in only:
            continue
        analysis = cls()
        reason = analysis.missing(wh)
        unmet = analysis.uncomputable(wh) if reason is None else {}
        if unmet and len(unmet) == len(analysis.figure_needs):
            reason = "none of its figures can be computed from the columns present (see not_computed)"
        if unmet:
            figures["not_computed"][name] = dict(unmet)
        if reason is not None:
            figures["skipped"][name] = reason
            task.advance()
            continue
        analysis.upstream = MappingProxyType(figures)
        analysis.artefacts = store.view([*cls.consumes, *(a.name for a in cls.produces)], name)
        try:
            section = analysis.run(wh, config)
        except Exception as exc:  # an analysis failing must not sink the others; it is reported as failed
            if debug:
                raise
            log.exception("analysis %s failed", name)
            figures["failed"][name] = failure(exc)
            task.advance()
            continue
        if section.not_computed:
            figures["not_computed"][name] = {**unmet, **section.not_computed}
        top = section.figures.pop("_results", {})  # blocks an analysis writes at the top level (segments)
        deep_merge(figures, {cls.results_key or name: section.figures} if section.figures else {},
                   owners=owners, writer=name)
        deep_merge(figures, top, owners=owners, writer=name)
        if section.warnings:
            figures["warnings"][name] = list(section.warnings)
        sections.append(section)
        task.advance()
    figures["strategy"] = strategy_block(figures, wh, debug)
    return Results(figures, sections, artefacts=dict(store.records))


def strategy_block(figures: dict[str, Any], wh: Warehouse | None = None, debug: bool = False) -> dict[str, Any]:
    """The decision layer on the figures of every analysis that ran (upmarket.strategy); a crash there is a
    failure listed under ``failed.strategy``, never a lost run."""
    from upmarket.strategy import build_strategy

    try:
        return build_strategy(figures, warehouse=wh)
    except Exception as exc:
        if debug:
            raise
        log.exception("strategy failed")
        figures["failed"]["strategy"] = failure(exc)
        return {"findings": [], "dilemmas": {}, "suppressed": {}, "lacking": {}}


def failure(exc: BaseException) -> dict[str, str]:
    """``failed[<analysis>]`` in results.json: the error, its type and the innermost frame outside libraries."""
    frames = traceback.extract_tb(exc.__traceback__)
    frames = [f for f in frames if "site-packages" not in f.filename and "/lib/python" not in f.filename] or frames
    out = {"error": str(exc) or type(exc).__name__, "type": type(exc).__name__}
    if frames:
        f = frames[-1]
        path = Path(f.filename)
        short = "/".join(path.parts[path.parts.index("upmarket"):]) if "upmarket" in path.parts else path.name
        out["where"] = f"{short}:{f.lineno} in {f.name}"
    return out


def analyze(
    dataset: str | Path,
    out: str | Path | None = None,
    *,
    db: str | Path | None = None,
    only: list[str] | None = None,
    lang: str = "en",
    report: bool = True,
    pdf: bool = False,
    debug: bool = False,
    progress: Any = None,
    strict: bool = False,
    **overrides: Any,
) -> Results:
    """Ingest ``dataset`` when needed, run the analyses, write results.json, tables and the report.

    ``overrides`` beat ``upmarket.toml`` (``focal_brand="Huawei"``, ``competitors=[...]``). An
    unreadable file is rejected and listed first in ``data_quality``; ``strict`` makes it an error.
    ``pdf`` also prints report.pdf (results.json says why not when no browser is installed).
    """
    from upmarket.warehouse.quarantine import write_quarantine

    dataset = _dataset(dataset)
    config = load_config(dataset, **overrides)
    out = Path(out) if out is not None else dataset / "upmarket_out"
    with Warehouse.for_dataset(dataset, db) as wh:
        ingest_report = wh.ingest(dataset, config, progress=progress, strict=strict)
        check_focal_brand(ingest_report.brands, config)
        results = run_analyses(wh, config, only=only, debug=debug, progress=progress, out=out)
        results.figures["data_quality"] = data_quality(wh, ingest_report)
        write_quarantine(wh, out / TABLES_DIR / QUARANTINE_FILE)
        state = run_state(wh)
    results.figures["dataset"] = str(dataset)
    results.figures["run_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    twin = twin_check(dataset, results.figures)
    if twin is not None:
        results.figures["twin_check"] = twin
    write_output(out, results, config, state, report=report, lang=lang, pdf=pdf)
    return results


def data_quality(wh: Warehouse, ingest_report: IngestReport) -> dict[str, Any]:
    """Rejected files first, then files removed, ignored, keys that do not join, files, rows and quarantine reasons."""
    manifest = wh.manifest()
    reasons = wh.quarantine_summary()
    this_run = ingest_report.to_dict()
    return {
        "rejected_files": this_run["rejected"],
        "removed_files": this_run["removed"],
        "ignored_files": this_run["ignored"],
        "unmatched_keys": this_run["unmatched_keys"],
        "sku_ids_resolved": this_run["sku_ids_resolved"],
        "quarantine_file": f"{TABLES_DIR}/{QUARANTINE_FILE}",
        "files": manifest.to_dict(orient="records"),
        "quarantine_reasons": reasons.to_dict(orient="records"),
        "this_run": this_run,
    }


def data_quality_warnings(dq: dict[str, Any]) -> list[str]:
    """One line per thing in ``data_quality`` a person should act on: rejected files first."""
    out = [f"rejected {r['file']} ({r['table']}): {r['reason']}" for r in dq.get("rejected_files", [])]
    out += [f"removed {r['path']}: no longer in the folder ({r['rows_loaded']:,} {r['table']} rows left the warehouse)"
            for r in dq.get("removed_files", [])]
    out += [u["message"] for u in (dq.get("unmatched_keys") or {}).values()]
    if dq.get("ignored_files"):
        out.append(f"{len(dq['ignored_files'])} file(s) ignored: "
                   + "; ".join(f"{i['file']} ({i['reason']})" for i in dq["ignored_files"][:3])
                   + (" …" if len(dq["ignored_files"]) > 3 else ""))
    return out


def twin_check(dataset: Path, figures: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Estimate vs planted truth, when the dataset was written by the twin (analyses never see truth)."""
    from upmarket.twin.check import twin_check_rows

    return twin_check_rows(figures, dataset)


def report(out: str | Path, *, lang: str = "en", pdf: bool = False) -> ReportFiles:
    """Re-render report.html and results.xlsx (and report.pdf when ``pdf``) from a finished run's output folder.

    Refuses (:class:`~upmarket.output.OutputMismatchError`) a folder without a manifest or one another version or
    contract wrote.
    """
    from upmarket.report import render_all

    out = Path(out)
    read_manifest(out)
    figures = read_results(out)
    return render_all(figures, None, out, lang=lang, pdf=pdf)


def serve(out: str | Path, *, port: int = 8050) -> None:
    """Serve the what-if dashboard over an output folder on 127.0.0.1 (blocks until interrupted)."""
    from upmarket.app.dashboard import serve as serve_dashboard

    serve_dashboard(Path(out), port=port)
