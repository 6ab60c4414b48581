"""report.html: one self-contained, offline file a person reads, in English or Chinese.

The report computes nothing: every number comes from ``results.json`` and the Parquet tables under
``OUT/tables/``. ``save_sections`` writes ``OUT/sections.json`` (each section's titles, findings, warnings and
table names), so ``render_report(results, None, OUT)`` rebuilds the same report from the folder alone. The charts
are drawn here, from those figures and tables (:mod:`upmarket.report.charts`), never saved by an analysis.

Plotly's JavaScript is inlined once in the page head; each chart is a ``<div>`` with its own
small script, so the file opens without a network.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup

from upmarket.analyses.base import Finding, Section
from upmarket.report.charts import Chart, section_charts
from upmarket.report.findings import finding_text
from upmarket.report.format import COLUMN_UNITS, fmt, unit_of
from upmarket.report.i18n import (
    AREAS,
    CODES_ZH,
    FONT_STACK,
    FRAMEWORK_AREA,
    area_title,
    check_lang,
    code,
    column,
    dilemma_title,
    known_column,
    label,
    localise,
    reason,
    table_title,
)

REPORT_FILE = "report.html"
SECTIONS_FILE = "sections.json"
TABLES_DIR = "tables"
MAX_TABLE_ROWS = 60
META_KEYS = frozenset({"contract", "focal_brand", "config", "skipped", "failed", "not_computed", "warnings",
                       "data_quality", "twin_check", "dataset", "run_at", "sections", "report"})
"""Top-level results keys that are not an analysis' figures."""


# --------------------------------------------------------------------------- saving and loading
def save_sections(sections: list[Section], out_dir: str | Path) -> Path:
    """Write the section index ``sections.json``: what the report shows besides results.json and the tables."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    index = [
        {
            "name": s.name,
            "title": s.title,
            "title_zh": s.title_zh,
            "findings": [_jsonable(f.to_dict()) for f in s.findings],
            "warnings": list(s.warnings),
            "tables": list(s.tables),
        }
        for s in sections
    ]
    path = out / SECTIONS_FILE
    path.write_text(json.dumps(index, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def load_sections(out_dir: str | Path, results: dict[str, Any] | None = None) -> list[Section]:
    """The sections of a finished run, rebuilt from ``sections.json`` and the tables.

    Without ``sections.json`` (an output folder written before it existed, or by hand), each analysis
    key of ``results`` becomes a section with its figures only.
    """
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
        sections.append(
            Section(
                name=entry["name"],
                title=entry["title"],
                title_zh=entry.get("title_zh"),
                figures=results.get(entry["name"], {}) if isinstance(results.get(entry["name"]), dict) else {},
                tables=tables,
                findings=[Finding.from_dict(f) for f in entry["findings"]],
                warnings=list(entry.get("warnings", [])),
            )
        )
        sections[-1].missing_tables = [n for n in entry.get("tables", []) if n not in tables]  # type: ignore[attr-defined]
    return sections


def _jsonable(value: Any) -> Any:
    from upmarket.results import to_jsonable

    return to_jsonable(value)


# --------------------------------------------------------------------------- formatting
def format_value(value: Any, key: str = "", lang: str = "en") -> str:
    """A results figure as a reader wants it, by the unit its key declares (see report/format.py)."""
    return fmt(value, None, lang, key=key)


@dataclass
class HtmlTable:
    name: str
    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str | None = None
    numeric: list[bool] | None = None
    raw_headers: list[bool] | None = None
    """Per column: True when the header is the raw column name (no label in the catalogue)."""
    parquet: str | None = None
    code_columns: list[bool] | None = None
    """Per column: True when its cells are identifiers (file paths, results keys), shown as code, never translated."""


TABLE_UNITS: dict[str, str] = {"diversion_matrix": "pct", "positioning_counts": "count", "units_by_band": "count"}
"""Tables whose value columns are named after brands or aspects: the unit of every numeric column."""

KEY_TABLES: dict[str, tuple[str, ...]] = {
    "market": ("premium_by_brand",),
    "funnel": ("funnel_platform", "paths_by_tier"),
    "voice": ("voice_by_brand", "focal_review_aspects"),
    "spread": ("roi_by_creator_type", "roi_by_tier"),
    "demand": ("diversion_matrix", "cannibalisation", "pricing_counterfactual"),
    "segments": ("stp", "message_themes"),
    "pricing_plan": (),
    "mix": ("roi", "allocation", "scenarios"),
    "equity": ("switching_brands", "dirichlet", "revenue_premium_trend"),
    "launch": ("launch_forecasts", "launch_fits"),
}
"""Per analysis, the small tables a director reads in its area (the rest go to the appendix)."""
KEY_CHARTS: dict[str, tuple[str, ...]] = {
    "market": ("market_premium_share", "market_premium_brands", "market_units_by_band"),
    "funnel": ("funnel_platforms", "funnel_tiers", "funnel_premium"),
    "voice": ("voice_aspect_profile", "voice_framing_trend", "voice_drivers"),
    "spread": ("spread_creator_leaderboard", "spread_broadcast_vs_viral", "spread_seeding_effect"),
    "demand": ("diversion_heatmap", "pricing_counterfactual", "price_elasticity"),
    "segments": ("brand_premium_by_segment", "positioning_map"),
    "mix": ("mix_response_curves", "mix_roi", "mix_forecast"),
    "equity": ("switching_sankey", "four_dimensions", "revenue_premium", "dirichlet"),
    "launch": ("launch_curves", "launch_fan"),
}
"""Per analysis, the charts its area shows first (the others follow in the appendix)."""
AREA_FIRST: dict[str, dict[str, tuple[str, ...]]] = {
    "promotion": {"charts": ("mix_response_curves", "mix_forecast", "spread_creator_leaderboard"),
                  "tables": ("roi", "allocation", "roi_by_creator_type")},
}
"""Per area fed by several analyses, the charts and tables it shows first (the budget before the creators)."""
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "roi": ("channel", "spend", "roi", "roi_low", "roi_high", "mroi", "mroi_low", "mroi_high"),
    "allocation": ("channel", "current_spend", "optimal_spend", "current_gmv", "optimal_gmv", "mroi_at_optimum",
                   "mroi_at_optimum_low", "mroi_at_optimum_high"),
    "dirichlet": ("brand", "penetration_obs", "penetration", "buy_rate_obs", "buy_rate", "scr_obs", "scr",
                  "excess_scr"),
    "launch_forecasts": ("model", "p", "q", "m", "n_analogues"),
}
"""Tables an area shows with chosen columns (observed beside expected, estimates beside their intervals); longer
ones show their first rows with a note."""
SMALL_TABLE_ROWS = 15
SMALL_TABLE_COLS = 8
CHARTS_PER_AREA = 3
TABLES_PER_AREA = 3


def _cell(value: Any, col: str, unit: str | None, lang: str) -> str:
    if isinstance(value, str):
        return localise(code(value, lang), lang)
    if isinstance(value, list | tuple | np.ndarray) and not len(value):
        return "–"
    return fmt(value, unit or COLUMN_UNITS.get(col), lang, key=col)


def html_table(name: str, df: pd.DataFrame, lang: str, max_rows: int = MAX_TABLE_ROWS,
               columns: list[str] | None = None, parquet: bool = False,
               code_columns: tuple[str, ...] = ()) -> HtmlTable:
    """A DataFrame as labelled headers and formatted cells (the first ``max_rows`` rows)."""
    cols = list(df.columns) if columns is None else columns
    shown = df[cols].head(max_rows)
    unit = TABLE_UNITS.get(name)
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in cols]
    is_code = [str(c) in code_columns for c in cols]
    rows = [
        [str(v) if code_col and v is not None else _cell(v, str(c), unit if num else None, lang)
         for c, v, num, code_col in zip(cols, rec, numeric, is_code, strict=True)]
        for rec in shown.itertuples(index=False, name=None)
    ]
    note = label("rows_shown", lang, shown=len(shown), total=len(df)) if len(df) > max_rows else None
    headers = [column(str(c), lang) for c in cols]
    raw = [h == str(c) and not known_column(str(c)) for h, c in zip(headers, cols, strict=True)]
    return HtmlTable(name, table_title(name, lang), headers, rows, note, numeric, raw,
                     f"{TABLES_DIR}/{name}.parquet" if parquet else None, is_code)


def records_table(name: str, records: list[dict[str, Any]], columns: list[str], lang: str,
                  code_columns: tuple[str, ...] = ()) -> HtmlTable:
    return html_table(name, pd.DataFrame.from_records(records, columns=columns), lang, max_rows=10_000,
                      code_columns=code_columns)


def readable_table(name: str, df: pd.DataFrame, lang: str, brands: set[str]) -> HtmlTable | None:
    """A small table for an area: only labelled columns (or brand columns), at most a few; None when too big."""
    chosen = [c for c in TABLE_COLUMNS.get(name, ()) if c in df.columns]
    if len(chosen) >= 2 and not df.empty:
        return html_table(name, df, lang, max_rows=SMALL_TABLE_ROWS, columns=chosen)
    if len(df) > SMALL_TABLE_ROWS or df.empty:
        return None
    cols = [c for c in df.columns if known_column(str(c)) or str(c) in brands or str(c) in CODES_ZH]
    cols = [c for c in cols if not str(c).endswith(("_num", "_den"))][:SMALL_TABLE_COLS]
    if len(cols) < 2:
        return None
    return html_table(name, df, lang, columns=cols)


# --------------------------------------------------------------------------- charts
def _chart_html(chart: Chart) -> Markup:
    """The page's frame around a chart (fonts, margins, height) and its ``<div>``; its labels are already in the
    report's language."""
    import plotly.graph_objects as go

    fig = go.Figure(chart.figure)
    fig.update_layout(font_family=FONT_STACK, margin={"t": 30, "l": 60, "r": 20, "b": 50}, height=380)
    html = fig.to_html(
        full_html=False, include_plotlyjs=False, div_id=f"chart-{chart.name}",
        config={"displaylogo": False, "responsive": True},
    )
    return Markup(html)  # Plotly's own output, from figures we built


# --------------------------------------------------------------------------- evidence and findings
def _area_of_results_key(key: str) -> str | None:
    for area_id, _, _, keys in AREAS:
        if key in keys:
            return area_id
    return None


def key_label(keypath: str, lang: str) -> str:
    """A results key path (``funnel.jd.ctr``) as words: its parts after the analysis, labelled."""
    parts = [p for p in keypath.split(".") if p]
    shown = parts[1:] or parts
    words = [column(p, lang) if known_column(p) else (
        table_title(p, lang) if table_title(p, lang) != p else localise(code(p, lang), lang)) for p in shown]
    if lang == "zh":  # an identifier with no label says nothing in Chinese: the key path beside it says it all
        words = [w for w in words if not re.fullmatch(r"[a-z][a-z0-9]*_[a-z0-9_]*", w)] or ["–"]
    return " · ".join(words)


def _evidence_value(value: Any, key: str, lang: str) -> str:
    """A cited value; a mapping's keys (segments, brands, platforms) as labels."""
    if isinstance(value, dict):
        unit = unit_of(key)
        return "; ".join(
            f"{localise(code(k, lang), lang)}: "
            f"{_evidence_value(v, f'{key}.{k}', lang) if isinstance(v, dict) else fmt(v, unit, lang, key=key)}"
            for k, v in value.items())
    if isinstance(value, str):  # a cited label or formula: its codes as labels under zh
        return localise(code(value, lang), lang)
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
        return ", ".join(localise(code(v, lang), lang) for v in value)
    return format_value(value, key, lang)


def _evidence(evidence: dict[str, Any], lang: str) -> list[dict[str, str]]:
    return [{"key": k, "label": key_label(k, lang), "value": _evidence_value(v, k, lang)} for k, v in evidence.items()]


def _finding_area(f: dict[str, Any], present: set[str]) -> str | None:
    """The area whose section holds a strategy finding's evidence: its section, framework or first cited key."""
    for candidate in (f.get("section"), FRAMEWORK_AREA.get(str(f.get("framework", "")).lower())):
        if candidate in present:
            return candidate
    for key in f.get("evidence") or {}:
        area = _area_of_results_key(key.split(".", 1)[0])
        if area in present:
            return area
    return None


def _is_scalar(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _word_or_number(value: Any, key: str, lang: str) -> str | None:
    """A confidence given as a number (0.8 → 80.0%) or a word ("high" → 高 under zh)."""
    if value is None:
        return None
    return localise(code(value, lang), lang) if isinstance(value, str) else format_value(value, key, lang)


def _strategy_finding(f: dict[str, Any], lang: str, present: set[str]) -> dict[str, Any]:
    evidence = dict(f.get("evidence") or {})
    first = next(iter(evidence.items()), None)
    area = _finding_area(f, present)
    fid = str(f.get("id", ""))
    return {
        "id": fid,
        "anchor": f"evidence-{fid}",
        "area": area,
        "text": finding_text(f, lang),
        "headline": format_value(first[1], first[0], lang) if first and _is_scalar(first[1]) else None,
        "interval": _headline_interval(evidence, first[0], lang) if first and _is_scalar(first[1]) else None,
        "verdict": _verdict_word(f, lang) if f.get("verdict") is not None else None,
        "confidence": _word_or_number(f.get("confidence"), "confidence", lang),
        "n": format_value(f["n"], "n", lang) if f.get("n") is not None else None,
        "evidence": _evidence(evidence, lang),
    }


def _headline_interval(evidence: dict[str, Any], key: str, lang: str) -> str | None:
    """The 90% interval cited beside a headline figure (``a.b.x`` → ``a.b.x_ci`` or ``a.x_ci.b``), formatted."""
    parts = key.split(".")
    candidates = [".".join([*parts[:i], f"{parts[i]}_ci", *parts[i + 1:]]) for i in range(len(parts) - 1, -1, -1)]
    ci = next((evidence[c] for c in candidates if c in evidence), None)
    if not isinstance(ci, list | tuple) or len(ci) != 2 or not all(_is_scalar(v) for v in ci):
        return None
    low, high = (format_value(v, key, lang) for v in ci)
    if low == high:  # an interval narrower than the figure's precision says nothing more
        return None
    return label("interval_90", lang, low=low, high=high)


def _finding_name(fid: str, lang: str) -> str:
    """A strategy finding's id (``product.review_value``) as a reader names it: its area, then its topic."""
    head, _, rest = fid.partition(".")
    if head == "dilemma":
        return dilemma_title(rest, lang)
    area = FRAMEWORK_AREA.get(head.lower())
    name = re.split(r"[:：]", area_title(area, lang))[0] if area else head.replace("_", " ").capitalize()
    topic = localise(code(rest, lang), lang).replace("_", " ").replace(".", " · ")
    if lang == "zh" and re.search(r"[A-Za-z]{2,}", name):
        name = localise(code(head, lang), lang)
        name = "一项结论" if re.search(r"[A-Za-z]{2,}", name) else name
    if lang == "zh" and re.search(r"[A-Za-z]{2,}", topic):
        topic = ""  # no English word on the Chinese page one: the area says where it belongs
    return f"{name} — {topic}" if topic else name


def _verdict_word(f: dict[str, Any], lang: str) -> str:
    """A verdict in ``lang``: the finding's own ``verdict_zh`` first, else the catalogue's word for its code."""
    given = f.get("verdict_zh") if lang == "zh" else None
    return localise(str(given or code(f["verdict"], lang)), lang)


def _ordered(model: list[dict[str, Any]], ids: Any) -> list[dict[str, Any]]:
    """The findings named by ``ids`` (the strategy layer's own choice and order), those that exist."""
    by_id = {m["id"]: m for m in model}
    return [by_id[str(i)] for i in ids if str(i) in by_id] if isinstance(ids, list | tuple) else []


def _pick(d: dict[str, Any], zh: bool, *names: str) -> Any:
    """The first non-empty of ``names`` in ``d``, their ``_zh`` variants first under Chinese."""
    ordered = [f"{n}_zh" for n in names] + list(names) if zh else list(names)
    return next((d[n] for n in ordered if d.get(n) not in (None, "")), None)


def _dilemmas(dilemmas: Any, lang: str) -> list[dict[str, Any]]:
    """The two dilemmas, whatever their exact shape: a title, a verdict, a sentence, what would change it."""
    zh = lang == "zh"
    out = []
    items = dilemmas.items() if isinstance(dilemmas, dict) else enumerate(dilemmas or [])
    for key, d in items:
        if not isinstance(d, dict):
            continue
        title = _pick(d, zh, "title", "question") or dilemma_title(str(key), lang)
        out.append({
            "id": str(d.get("id", key)),
            "title": localise(str(title), lang),
            "verdict": _verdict_word(d, lang) if d.get("verdict") is not None else "–",
            "text": localise(str(_pick(d, zh, "text") or ""), lang),
            "confidence": _word_or_number(d.get("confidence"), "confidence", lang),
            "change": localise(str(_pick(d, zh, "what_would_change_it", "would_change") or ""), lang),
            "evidence": _evidence(dict(d.get("evidence") or {}), lang),
        })
    return out


def _summary_model(results: dict[str, Any], secs: list[dict[str, Any]], lang: str,
                   present: set[str]) -> dict[str, Any]:
    """Page one: verdicts, the five decisions (numbered, each with its number and a link to its evidence)."""
    strategy = results.get("strategy") if isinstance(results.get("strategy"), dict) else {}
    findings = [f for f in (strategy.get("findings") or []) if isinstance(f, dict)]
    model = [_strategy_finding(f, lang, present) for f in findings]
    # the strategy layer names its five decisions and its verdicts; older blocks only flag findings
    decisions = _ordered(model, strategy.get("decisions"))[:5] or [
        m for m, f in zip(model, findings, strict=True) if f.get("decision")][:5]
    verdicts = [m for m in _ordered(model, strategy.get("verdicts")) if m not in decisions] or [
        m for m, f in zip(model, findings, strict=True) if f.get("verdict") is not None and m not in decisions]
    others = [m for m in model if m not in decisions and m not in verdicts]
    suppressed = strategy.get("suppressed") or {}
    if isinstance(suppressed, dict):
        suppressed_list = [(_finding_name(str(k), lang), reason(str(v), lang)) for k, v in suppressed.items()]
    else:
        suppressed_list = [(str(v), "") for v in suppressed]
    # without a strategy layer: each analysis's first finding, so page one still says something
    fallback = [{"text": s["findings"][0]["text"], "anchor": f"section-{s['id']}", "area": s["area"],
                 "evidence": s["findings"][0]["evidence"]} for s in secs if s["findings"]]
    # a dilemma whose verdict is already a finding on page one (``dilemma.<key>``) is not listed twice
    shown_ids = {m["id"] for m in (*verdicts, *decisions)}
    dilemmas = [d for d in _dilemmas(strategy.get("dilemmas"), lang) if f"dilemma.{d['id']}" not in shown_ids]
    return {
        "has_strategy": bool(findings),
        "verdicts": verdicts,
        "decisions": decisions,
        "others": others,
        "dilemmas": dilemmas,
        "suppressed": suppressed_list,
        "fallback": fallback,
        "all": model,
    }


# --------------------------------------------------------------------------- the page model
def _section_model(s: Section, results: dict[str, Any], lang: str, brands: set[str]) -> dict[str, Any]:
    zh = lang == "zh"
    figures = results.get(s.name) if isinstance(results.get(s.name), dict) else s.figures
    key_tables = KEY_TABLES.get(s.name)
    ordered = ([n for n in key_tables if n in s.tables] if key_tables is not None else list(s.tables))
    readable = [t for t in (readable_table(n, s.tables[n], lang, brands) for n in ordered) if t is not None]
    return {
        "id": s.name,
        "area": _area_of_results_key(s.name) or "other",
        "title": (s.title_zh if zh and s.title_zh else s.title),
        "findings": [
            {
                "text": (f.template.render(lang) if f.template is not None
                         else localise((f.text_zh if zh and f.text_zh else f.text), lang)),
                "evidence": _evidence(f.evidence, lang),
            }
            for f in s.findings
        ],
        "charts": [
            {"name": c.name, "title": c.title, "html": _chart_html(c)}
            for c in sorted(section_charts(s.name, results, s.tables, lang),
                            key=lambda c: _rank(KEY_CHARTS.get(s.name, ()), c.name))
        ],
        "readable": readable,
        "more_charts": [],  # set by the area: the charts it does not show
        "tables": [html_table(n, df, lang, parquet=True) for n, df in s.tables.items()],
        "missing_tables": list(getattr(s, "missing_tables", [])),
        "warnings": [reason(w, lang) if zh else w for w in (s.warnings or results.get("warnings", {}).get(s.name, []))],
        "not_computed": sorted((k, reason(v, lang)) for k, v in
                               ((results.get("not_computed") or {}).get(s.name) or {}).items()),
        "figures_json": json.dumps(_jsonable(figures or {}), ensure_ascii=False, indent=1),
    }


def _rank(preferred: tuple[str, ...], name: str) -> int:
    return preferred.index(name) if name in preferred else len(preferred)


def _areas_model(secs: list[dict[str, Any]], summary: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """One block per decision area with data: its strategy findings' evidence, findings, ≤3 charts, small tables."""
    areas = []
    for area_id, en, zh, _ in (*AREAS, ("other", "Other analyses", "其他分析", ())):
        members = [s for s in secs if s["area"] == area_id and s["id"] != "strategy"]  # strategy is page one
        if not members:
            continue
        first = AREA_FIRST.get(area_id, {})
        charts = sorted((c for s in members for c in s["charts"]),
                        key=lambda c: _rank(first.get("charts", ()), c["name"]))
        tables = sorted((t for s in members for t in s["readable"]),
                        key=lambda t: _rank(first.get("tables", ()), t.name))
        shown = {c["name"] for c in charts[:CHARTS_PER_AREA]}
        for s in members:  # the rest go to the appendix
            s["more_charts"] = [c for c in s["charts"] if c["name"] not in shown]
        areas.append({
            "id": area_id,
            "title": zh if lang == "zh" else en,
            "sections": members,
            "strategy": [f for f in summary["all"] if f["area"] == area_id],
            "charts": charts[:CHARTS_PER_AREA],
            "tables": tables[:TABLES_PER_AREA],
        })
    return areas


def _brands(results: dict[str, Any]) -> set[str]:
    config = results.get("config") or {}
    brands = {str(results.get("focal_brand", ""))}
    for key in ("competitors", "sub_brands"):
        value = config.get(key) or []
        brands.update(map(str, value.values() if isinstance(value, dict) else value))
    brands.update(k for k in (results.get("voice") or {}) if isinstance(k, str))
    return {b for b in brands if b}


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
        "rejected": [f"{r['file']} ({r['table']}): {reason(r['reason'], lang)}" for r in dq.get("rejected_files", [])],
        "removed": [f"{r['path']} ({r['table']}, {r['rows_loaded']:,})" for r in dq.get("removed_files", [])],
        "unmatched": [reason(u.get("message", ""), lang) for u in (dq.get("unmatched_keys") or {}).values()],
        "ignored": [f"{r['file']}: {reason(r['reason'], lang)}" for r in dq.get("ignored_files", [])],
        "files": records_table("files", files, file_cols, lang, ("path", "table", "format", "encoding"))
        if files else None,
        "reasons": records_table("quarantine_reasons", reasons, reason_cols, lang,
                                 ("path", "table", "column", "reason")) if reasons else None,
        "totals": {k: sum(int(f.get(k) or 0) for f in files) for k in ("rows_read", "rows_loaded", "rows_quarantined")},
    }


def _twin_model(rows: list[dict[str, Any]] | None, lang: str) -> dict[str, Any] | None:
    if not rows:
        return None
    recs = [
        {**r, "passed": label("passed", lang) if r.get("passed") else label("failed", lang)} for r in rows
    ]
    table = records_table("twin_check", recs, ["key", "estimate", "truth", "tolerance", "passed"], lang,
                          ("key", "tolerance"))
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


_LABEL_KEYS = (
    "report_title", "focal_brand", "dataset", "run_at", "contract", "contents", "findings", "evidence",
    "charts", "tables", "warnings", "figures", "no_findings", "skipped", "no_skipped", "data_quality",
    "failed_analyses", "failed_intro", "not_computed",
    "files", "quarantine_reasons", "no_quarantine", "no_data_quality", "twin_check", "twin_intro",
    "generated_by", "rows_read", "rows_loaded", "rows_quarantined",
    "rejected_files", "removed_files", "unmatched_keys", "ignored_files",
    "executive_summary", "verdicts", "decisions", "other_findings", "no_strategy", "suppressed", "confidence",
    "n_obs", "see_evidence", "dilemmas", "what_would_change_it", "appendix", "appendix_intro", "parquet_file",
)


def report_model(
    results: dict[str, Any], sections: list[Section] | None, out_dir: str | Path, lang: str = "en"
) -> dict[str, Any]:
    """Everything the template shows, as plain values (sections are loaded from ``out_dir`` when None)."""
    lang = check_lang(lang)
    out = Path(out_dir)
    if sections is None:
        sections = load_sections(out, results)
    brands = _brands(results)
    secs = [_section_model(s, results, lang, brands) for s in sections]
    present = {s["area"] for s in secs}
    summary = _summary_model(results, secs, lang, present)
    return {
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "font_stack": FONT_STACK,
        "t": {k: label(k, lang) for k in _LABEL_KEYS},
        "header": {
            "focal_brand": results.get("focal_brand", "–"),
            "dataset": results.get("dataset") or (results.get("config") or {}).get("dataset") or "–",
            "run_at": _run_at(results, out),
            "contract": results.get("contract", "–"),
        },
        "summary": summary,
        "areas": _areas_model(secs, summary, lang),
        "sections": secs,
        "skipped": sorted((name, reason(str(why), lang)) for name, why in (results.get("skipped") or {}).items()),
        "failed": sorted((results.get("failed") or {}).items()),
        "skipped_not_computed": {n: sorted((k, reason(v, lang)) for k, v in v.items())
                                 for n, v in (results.get("not_computed") or {}).items()
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
    ``out_dir`` (``sections.json``, ``tables/*.parquet``); the charts are drawn from those.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / REPORT_FILE
    path.write_text(render_html(results, sections, out, lang), encoding="utf-8")
    return path


@dataclass
class ReportFiles:
    """What a report run wrote: report.html, results.xlsx, and report.pdf or why not."""

    html: Path
    xlsx: Path | None
    pdf: Path | None
    pdf_reason: str | None = None

    def lines(self, lang: str = "en") -> list[str]:
        """One line per file written (and the PDF fallback), in ``lang``, for the CLI."""
        out = [f"{label('report_written', lang)}: {self.html}"]
        if self.xlsx is not None:
            out.append(f"{label('xlsx_written', lang)}: {self.xlsx}")
        if self.pdf is not None:
            out.append(f"{label('pdf_written', lang)}: {self.pdf}")
        elif self.pdf_reason:
            out.append(label("pdf_fallback", lang, reason=reason(self.pdf_reason, lang)))
        return out


def render_all(
    results: dict[str, Any], sections: list[Section] | None, out_dir: str | Path, lang: str = "en",
    *, pdf: bool = False,
) -> ReportFiles:
    """report.html, results.xlsx (every table, formatted) and, when ``pdf``, report.pdf printed by Chromium."""
    from upmarket.report.pdf import write_pdf
    from upmarket.report.xlsx import write_xlsx

    out = Path(out_dir)
    if sections is None:
        sections = load_sections(out, results)
    html = render_report(results, sections, out, lang)
    tables = {name: df for s in sections for name, df in s.tables.items()}
    strategy = results.get("strategy") if isinstance(results.get("strategy"), dict) else {}
    xlsx = write_xlsx(tables, out, lang, findings=strategy.get("findings"))
    if not pdf:
        return ReportFiles(html, xlsx, None)
    outcome = write_pdf(html)
    return ReportFiles(html, xlsx, outcome.path, outcome.reason)
