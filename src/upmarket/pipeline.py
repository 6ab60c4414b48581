"""The verbs of upmarket as Python functions: ingest, validate, analyze, report.

The CLI calls these and nothing else, so everything the command line does can be done
(and tested) from Python.
"""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from upmarket.analyses.base import Section, registered
from upmarket.config import Config, load_config
from upmarket.contract import CONTRACT_VERSION
from upmarket.progress import ensure
from upmarket.results import Results, deep_merge, read_results
from upmarket.warehouse import Warehouse
from upmarket.warehouse.ingest import IngestReport

log = logging.getLogger(__name__)

def _dataset(dataset: str | Path) -> Path:
    path = Path(dataset)
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: not a dataset folder (a folder of table files such as orders.csv)")
    return path


def ingest(dataset: str | Path, *, db: str | Path | None = None, config: Config | None = None, progress: Any = None):
    """Load every table file of ``dataset`` into its warehouse; returns the ingest report."""
    dataset = _dataset(dataset)
    config = config or load_config(dataset)
    with Warehouse.for_dataset(dataset, db) as wh:
        return wh.ingest(dataset, config, progress=progress)


def validate(dataset: str | Path, *, config: Config | None = None, progress: Any = None):
    """Dry run: what would load and what would be quarantined, per file; nothing is written."""
    dataset = _dataset(dataset)
    config = config or load_config(dataset)
    with Warehouse(":memory:") as wh:
        return wh.validate(dataset, config, progress=progress)


def run_analyses(
    wh: Warehouse, config: Config, *, only: list[str] | None = None, debug: bool = False, progress: Any = None
) -> Results:
    """Run every registered analysis (or ``only`` these) on a loaded warehouse.

    An analysis whose tables are absent is ``skipped``; one that raises is ``failed`` (its error,
    type and where, so a caller can tell a crash from missing data); the figures its columns do
    not allow are listed under ``not_computed``. With ``debug`` an analysis' exception propagates.
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
    for name, cls in available.items():
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
        deep_merge(figures, {cls.results_key or name: section.figures} if section.figures else {})
        if section.warnings:
            figures["warnings"][name] = list(section.warnings)
        sections.append(section)
        task.advance()
    return Results(figures, sections)


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
    debug: bool = False,
    progress: Any = None,
    **overrides: Any,
) -> Results:
    """Ingest ``dataset`` when needed, run the analyses, write results.json, tables and the report.

    ``overrides`` beat ``upmarket.toml`` (``focal_brand="Huawei"``, ``competitors=[...]``).
    """
    dataset = _dataset(dataset)
    config = load_config(dataset, **overrides)
    out = Path(out) if out is not None else dataset / "upmarket_out"
    with Warehouse.for_dataset(dataset, db) as wh:
        ingest_report = wh.ingest(dataset, config, progress=progress)
        results = run_analyses(wh, config, only=only, debug=debug, progress=progress)
        results.figures["data_quality"] = data_quality(wh, ingest_report)
    results.figures["dataset"] = str(dataset)
    results.figures["run_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    twin = twin_check(dataset, results.figures)
    if twin is not None:
        results.figures["twin_check"] = twin
    results.write(out)
    if report:
        from upmarket.report import render_report, save_charts

        save_charts(results.sections, out)
        render_report(results.figures, results.sections, out, lang=lang)
    return results


def data_quality(wh: Warehouse, ingest_report: IngestReport) -> dict[str, Any]:
    """Files, rows and quarantine reasons, for the report's data-quality section."""
    manifest = wh.manifest()
    reasons = wh.quarantine_summary()
    return {
        "files": manifest.to_dict(orient="records"),
        "quarantine_reasons": reasons.to_dict(orient="records"),
        "this_run": ingest_report.to_dict(),
    }


def twin_check(dataset: Path, figures: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Estimate vs planted truth, when the dataset was written by the twin (analyses never see truth)."""
    from upmarket.twin.check import twin_check_rows

    return twin_check_rows(figures, dataset)


def report(out: str | Path, *, lang: str = "en") -> Path:
    """Re-render report.html from a finished run's output folder alone."""
    from upmarket.report import render_report

    out = Path(out)
    figures = read_results(out)
    return render_report(figures, None, out, lang=lang)
