"""report.html: one self-contained, offline file a person reads, in English or Chinese.

The report computes nothing: every number comes from ``results.json``, the Parquet tables under
``OUT/tables/`` and the charts saved as Plotly JSON under ``OUT/charts/``. ``save_charts`` also
writes ``OUT/sections.json`` (each section's titles, findings, warnings, table and chart names),
so ``render_report(results, None, OUT)`` rebuilds the same report from the folder alone.

Plotly's JavaScript is inlined once in the page head; each chart is a ``<div>`` with its own
small script, so the file opens without a network.
"""

from __future__ import annotations

import json
import math
import numbers
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup

from upmarket.analyses.base import Chart, Finding, Section
from upmarket.report.i18n import AXIS_ZH, FONT_STACK, check_lang, column, label, table_title

REPORT_FILE = "report.html"
SECTIONS_FILE = "sections.json"
CHARTS_DIR = "charts"
TABLES_DIR = "tables"
MAX_TABLE_ROWS = 60
META_KEYS = frozenset({"contract", "focal_brand", "config", "skipped", "failed", "not_computed", "warnings",
                       "data_quality", "twin_check", "dataset", "run_at", "sections"})
"""Top-level results keys that are not an analysis' figures."""
_PERCENT_HINTS = ("share", "yoy", "growth", "rate", "ctr", "visit_to_buy")


# --------------------------------------------------------------------------- saving and loading
def save_charts(sections: list[Section], out_dir: str | Path) -> list[Path]:
    """Write each chart as ``charts/<name>.json`` and the section index ``sections.json``.

    Chart names must be unique across sections (they are file names).
    """
    out = Path(out_dir)
    (out / CHARTS_DIR).mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    owner: dict[str, str] = {}
    for s in sections:
        for c in s.charts:
            if c.name in owner:
                raise ValueError(f"chart {c.name!r} is produced by both {owner[c.name]} and {s.name}")
            owner[c.name] = s.name
            path = out / CHARTS_DIR / f"{c.name}.json"
            path.write_text(c.figure.to_json(), encoding="utf-8")
            written.append(path)
    index = [
        {
            "name": s.name,
            "title": s.title,
            "title_zh": s.title_zh,
            "findings": [{"text": f.text, "text_zh": f.text_zh, "evidence": _jsonable(f.evidence)} for f in s.findings],
            "warnings": list(s.warnings),
            "tables": list(s.tables),
            "charts": [{"name": c.name, "title": c.title, "title_zh": c.title_zh} for c in s.charts],
        }
        for s in sections
    ]
    path = out / SECTIONS_FILE
    path.write_text(json.dumps(index, ensure_ascii=False, indent=2), encoding="utf-8")
    return [*written, path]


def load_sections(out_dir: str | Path, results: dict[str, Any] | None = None) -> list[Section]:
    """The sections of a finished run, rebuilt from ``sections.json``, the tables and the chart JSON.

    Without ``sections.json`` (an output folder written before it existed, or by hand), each analysis
    key of ``results`` becomes a section with its figures only.
    """
    import plotly.io as pio

    out = Path(out_dir)
    index_path = out / SECTIONS_FILE
    results = results or {}
    if not index_path.is_file():
        return [
            Section(name=k, title=k.replace("_", " ").capitalize(), figures=v)
            for k, v in results.items()
            if k not in META_KEYS and isinstance(v, dict)
        ]
    sections = []
    for entry in json.loads(index_path.read_text(encoding="utf-8")):
        tables = {}
        for name in entry.get("tables", []):
            path = out / TABLES_DIR / f"{name}.parquet"
            if path.is_file():
                tables[name] = pd.read_parquet(path)
        charts = []
        for c in entry.get("charts", []):
            path = out / CHARTS_DIR / f"{c['name']}.json"
            if path.is_file():
                fig = pio.from_json(path.read_text(encoding="utf-8"))
                charts.append(Chart(c["name"], c["title"], fig, c.get("title_zh")))
        sections.append(
            Section(
                name=entry["name"],
                title=entry["title"],
                title_zh=entry.get("title_zh"),
                figures=results.get(entry["name"], {}) if isinstance(results.get(entry["name"]), dict) else {},
                tables=tables,
                charts=charts,
                findings=[Finding(f["text"], f.get("evidence", {}), f.get("text_zh")) for f in entry["findings"]],
                warnings=list(entry.get("warnings", [])),
            )
        )
        sections[-1].missing_tables = [n for n in entry.get("tables", []) if n not in tables]  # type: ignore[attr-defined]
    return sections


def _jsonable(value: Any) -> Any:
    from upmarket.results import to_jsonable

    return to_jsonable(value)


# --------------------------------------------------------------------------- formatting
def format_value(value: Any, key: str = "") -> str:
    """A number as a reader wants it: shares and growth in %, counts with separators."""
    if value is None or (isinstance(value, numbers.Real) and math.isnan(float(value))):
        return "–"
    if isinstance(value, bool | np.bool_):
        return "✓" if value else "✗"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        x = float(value)
        last = key.rsplit(".", 1)[-1].lower()
        if any(h in key.lower() for h in _PERCENT_HINTS) and abs(x) <= 10 and not last.endswith("_ci"):
            return f"{x * 100:.1f}%"
        if x.is_integer() and abs(x) >= 1000:
            return f"{x:,.0f}"
        return f"{x:.4g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v, key) for v in value) + "]"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {format_value(v, f'{key}.{k}')}" for k, v in value.items())
    return str(value)


@dataclass
class HtmlTable:
    name: str
    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str | None = None
    numeric: list[bool] | None = None


def html_table(name: str, df: pd.DataFrame, lang: str, max_rows: int = MAX_TABLE_ROWS) -> HtmlTable:
    """A DataFrame as translated headers and formatted cells (the first ``max_rows`` rows)."""
    shown = df.head(max_rows)
    rows = [
        [format_value(v, c) for c, v in zip(shown.columns, rec, strict=True)]
        for rec in shown.itertuples(index=False, name=None)
    ]
    note = label("rows_shown", lang, shown=len(shown), total=len(df)) if len(df) > max_rows else None
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in df.columns]
    headers = [column(str(c), lang) for c in df.columns]
    return HtmlTable(name, table_title(name, lang), headers, rows, note, numeric)


def records_table(name: str, records: list[dict[str, Any]], columns: list[str], lang: str) -> HtmlTable:
    return html_table(name, pd.DataFrame.from_records(records, columns=columns), lang, max_rows=10_000)


# --------------------------------------------------------------------------- the page model
def _chart_html(chart: Chart, lang: str) -> Markup:
    import plotly.graph_objects as go

    fig = go.Figure(chart.figure)
    fig.update_layout(font_family=FONT_STACK, margin={"t": 30, "l": 60, "r": 20, "b": 50}, height=380)
    if lang == "zh":
        for part in (fig.layout.xaxis.title, fig.layout.yaxis.title, fig.layout.legend.title):
            if part.text in AXIS_ZH:
                part.text = AXIS_ZH[part.text]
    html = fig.to_html(
        full_html=False, include_plotlyjs=False, div_id=f"chart-{chart.name}",
        config={"displaylogo": False, "responsive": True},
    )
    return Markup(html)  # Plotly's own output, from figures we built


def _section_model(s: Section, results: dict[str, Any], lang: str) -> dict[str, Any]:
    zh = lang == "zh"
    figures = results.get(s.name) if isinstance(results.get(s.name), dict) else s.figures
    return {
        "id": s.name,
        "title": (s.title_zh if zh and s.title_zh else s.title),
        "findings": [
            {
                "text": (f.text_zh if zh and f.text_zh else f.text),
                "evidence": [(k, format_value(v, k)) for k, v in f.evidence.items()],
            }
            for f in s.findings
        ],
        "charts": [
            {"title": (c.title_zh if zh and c.title_zh else c.title), "html": _chart_html(c, lang)} for c in s.charts
        ],
        "tables": [html_table(n, df, lang) for n, df in s.tables.items()],
        "missing_tables": list(getattr(s, "missing_tables", [])),
        "warnings": list(s.warnings or results.get("warnings", {}).get(s.name, [])),
        "not_computed": sorted(((results.get("not_computed") or {}).get(s.name) or {}).items()),
        "figures_json": json.dumps(_jsonable(figures or {}), ensure_ascii=False, indent=1),
    }


def _data_quality_model(dq: dict[str, Any] | None, lang: str) -> dict[str, Any] | None:
    if not dq:
        return None
    this_run = {f.get("path"): f.get("status") for f in ((dq.get("this_run") or {}).get("files") or [])}
    files = []
    for f in dq.get("files", []):
        f = dict(f)
        f["status"] = f.get("status") or this_run.get(f.get("path"))
        read, loaded, quarantined = (f.get(k) for k in ("rows_read", "rows_loaded", "rows_quarantined"))
        if not f.get("status"):
            balanced = None not in (read, loaded, quarantined) and read == loaded + quarantined
            f["status"] = label("ok", lang) if balanced and not quarantined else (
                label("rows_mismatch", lang) if not balanced else f"{quarantined:,} ✗")
        files.append(f)
    file_cols = ["path", "table", "format", "encoding", "rows_read", "rows_loaded", "rows_quarantined", "status"]
    reason_cols = ["path", "table", "column", "reason", "rows"]
    reasons = dq.get("quarantine_reasons", [])
    return {
        # what a person must act on comes first: rejected files, removed files, keys that do not join, ignored files
        "rejected": [f"{r['file']} ({r['table']}): {r['reason']}" for r in dq.get("rejected_files", [])],
        "removed": [f"{r['path']} ({r['table']}, {r['rows_loaded']:,})" for r in dq.get("removed_files", [])],
        "unmatched": [u.get("message", "") for u in (dq.get("unmatched_keys") or {}).values()],
        "ignored": [f"{r['file']}: {r['reason']}" for r in dq.get("ignored_files", [])],
        "files": records_table("files", files, file_cols, lang) if files else None,
        "reasons": records_table("quarantine_reasons", reasons, reason_cols, lang) if reasons else None,
        "totals": {k: sum(int(f.get(k) or 0) for f in files) for k in ("rows_read", "rows_loaded", "rows_quarantined")},
    }


def _twin_model(rows: list[dict[str, Any]] | None, lang: str) -> dict[str, Any] | None:
    if not rows:
        return None
    recs = [
        {**r, "passed": label("passed", lang) if r.get("passed") else label("failed", lang)} for r in rows
    ]
    table = records_table("twin_check", recs, ["key", "estimate", "truth", "tolerance", "passed"], lang)
    passed = sum(bool(r.get("passed")) for r in rows)
    return {"table": table, "summary": label("twin_summary", lang, passed=passed, total=len(rows)),
            "passed": [bool(r.get("passed")) for r in rows]}


def _run_at(results: dict[str, Any], out_dir: Path) -> str:
    if results.get("run_at"):
        return str(results["run_at"])
    path = out_dir / "results.json"
    if path.is_file():
        return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "–"


def report_model(
    results: dict[str, Any], sections: list[Section] | None, out_dir: str | Path, lang: str = "en"
) -> dict[str, Any]:
    """Everything the template shows, as plain values (sections are loaded from ``out_dir`` when None)."""
    lang = check_lang(lang)
    out = Path(out_dir)
    if sections is None:
        sections = load_sections(out, results)
    secs = [_section_model(s, results, lang) for s in sections]
    return {
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "font_stack": FONT_STACK,
        "t": {k: label(k, lang) for k in (
            "report_title", "focal_brand", "dataset", "run_at", "contract", "contents", "findings", "evidence",
            "charts", "tables", "warnings", "figures", "no_findings", "skipped", "no_skipped", "data_quality",
            "failed_analyses", "failed_intro", "not_computed",
            "files", "quarantine_reasons", "no_quarantine", "no_data_quality", "twin_check", "twin_intro",
            "generated_by", "rows_read", "rows_loaded", "rows_quarantined",
            "rejected_files", "removed_files", "unmatched_keys", "ignored_files")},
        "header": {
            "focal_brand": results.get("focal_brand", "–"),
            "dataset": results.get("dataset") or (results.get("config") or {}).get("dataset") or "–",
            "run_at": _run_at(results, out),
            "contract": results.get("contract", "–"),
        },
        "sections": secs,
        "skipped": sorted((results.get("skipped") or {}).items()),
        "failed": sorted((results.get("failed") or {}).items()),
        "skipped_not_computed": {n: sorted(v.items()) for n, v in (results.get("not_computed") or {}).items()
                                 if n in (results.get("skipped") or {})},
        "data_quality": _data_quality_model(results.get("data_quality"), lang),
        "twin": _twin_model(results.get("twin_check"), lang),
        "has_charts": any(s["charts"] for s in secs),
        "missing_table_label": {n: label("table_missing", lang, name=n) for s in secs for n in s["missing_tables"]},
    }


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("upmarket.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("report.html.j2")


@cache
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    # A literal "</script" inside the bundle would end the inline script early.
    return get_plotlyjs().replace("</script", "<\\/script")


def render_html(results: dict[str, Any], sections: list[Section] | None, out_dir: str | Path, lang: str = "en") -> str:
    """The report as one HTML string."""
    model = report_model(results, sections, out_dir, lang)
    plotly_js = Markup(_plotly_js()) if model["has_charts"] else None  # the bundled library
    return _template().render(**model, plotly_js=plotly_js)


def render_report(
    results: dict[str, Any], sections: list[Section] | None, out_dir: str | Path, lang: str = "en"
) -> Path:
    """Write ``OUT/report.html`` and return its path.

    ``sections`` are the analyses' sections of this run; pass None to rebuild them from
    ``out_dir`` (``sections.json``, ``tables/*.parquet``, ``charts/*.json``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / REPORT_FILE
    path.write_text(render_html(results, sections, out, lang), encoding="utf-8")
    return path
