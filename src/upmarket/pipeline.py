"""The verbs of upmarket as Python functions: ingest, validate, analyze, report.

The CLI calls these and nothing else, so everything the command line does can be done
(and tested) from Python.
"""

from __future__ import annotations

import logging
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
    """Run every registered analysis (or ``only`` these) on a loaded warehouse."""
    figures: dict[str, Any] = {
        "contract": CONTRACT_VERSION,
        "focal_brand": config.focal_brand,
        "config": config.to_dict(),
        "skipped": {},
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
        if reason is None:
            try:
                section = analysis.run(wh, config)
            except Exception as exc:  # an analysis failing must not sink the others; it is reported, not hidden
                if debug:
                    raise
                log.exception("analysis %s failed", name)
                reason = f"failed: {type(exc).__name__}: {exc}"
        if reason is not None:
            figures["skipped"][name] = reason
            task.advance()
            continue
        top = section.figures.pop("_results", {})  # blocks an analysis writes at the top level (segments)
        deep_merge(figures, {cls.results_key or name: section.figures} if section.figures else {})
        deep_merge(figures, top)
        if section.warnings:
            figures["warnings"][name] = list(section.warnings)
        sections.append(section)
        task.advance()
    return Results(figures, sections)


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
