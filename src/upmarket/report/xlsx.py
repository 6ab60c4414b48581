"""results.xlsx: every result table in one formatted workbook for business users (Chinese headers under zh).

Cells stay numbers (a user sorts and sums them); ¥, % and thousands are Excel number formats chosen
by each column's declared unit (:mod:`upmarket.report.format`). The first sheet lists the tables.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from upmarket.report.findings import finding_text
from upmarket.report.format import COLUMN_UNITS, unit_of
from upmarket.report.i18n import code, column, label, table_title

XLSX_FILE = "results.xlsx"
_EXCEL_FORMATS = {"cny": "¥#,##0.00", "pct": "0.0%", "count": "#,##0", "ratio": "0.00", "elasticity": "0.00",
                  "number": "#,##0.###"}
_MAX_ROWS = 1_000_000  # Excel's sheet limit is 1,048,576 rows
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name (31 characters at most, none of []:*?/\\)."""
    base = _BAD_SHEET_CHARS.sub(" ", title).strip()[:31] or "table"
    name, i = base, 2
    while name.lower() in taken:
        suffix = f" ({i})"
        name, i = base[: 31 - len(suffix)] + suffix, i + 1
    taken.add(name.lower())
    return name


def _display_frame(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Codes in text columns as labels (platforms, tiers, aspects) and headers as labels."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(lambda v: code(v, lang) if isinstance(v, str) else v)
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(str).map(lambda v: code(v, lang))
        if pd.api.types.is_datetime64_any_dtype(out[c]) and getattr(out[c].dt, "tz", None) is not None:
            out[c] = out[c].dt.tz_localize(None)  # Excel has no time zones
    out.columns = [column(str(c), lang) for c in out.columns]
    return out


def write_xlsx(tables: dict[str, pd.DataFrame], out_dir: str | Path, lang: str = "en",
               findings: list[dict[str, Any]] | None = None) -> Path:
    """Write ``OUT/results.xlsx``: a contents sheet, the findings (when any), then one sheet per table."""
    path = Path(out_dir) / XLSX_FILE
    taken: set[str] = set()
    # text that looks like a formula ("=HYPERLINK(...)" in a review) or a URL stays text: no formula injection
    options = {"strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": True}
    with pd.ExcelWriter(path, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        book = writer.book
        header_fmt = book.add_format({"bold": True, "bg_color": "#F2F4F7", "bottom": 1, "text_wrap": True,
                                      "valign": "top"})
        formats = {u: book.add_format({"num_format": f}) for u, f in _EXCEL_FORMATS.items()}
        index_name = _sheet_name(label("sheet_index", lang), taken)
        index_sheet = book.add_worksheet(index_name)  # first, so the workbook opens on it
        sheets: list[tuple[str, str, int]] = []
        if findings:
            name = _sheet_name(label("sheet_findings", lang), taken)
            frame = pd.DataFrame([{column("id", lang): f.get("id"), column("framework", lang): f.get("framework"),
                                   column("text", lang): finding_text(f, lang)}
                                  for f in findings])
            frame.to_excel(writer, sheet_name=name, index=False)
            writer.sheets[name].set_column(2, 2, 100)
            sheets.append((name, label("findings", lang), len(frame)))
        for table_name, df in tables.items():
            name = _sheet_name(table_title(table_name, lang), taken)
            shown = _display_frame(df.head(_MAX_ROWS), lang)
            shown.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for i, (raw, shown_col) in enumerate(zip(df.columns, shown.columns, strict=True)):
                sheet.write(0, i, shown_col, header_fmt)
                unit = COLUMN_UNITS.get(str(raw)) or (unit_of(str(raw)) if pd.api.types.is_numeric_dtype(df[raw])
                                                       else "text")
                width = min(40, max(10, len(str(shown_col)) * 2 + 2))
                sheet.set_column(i, i, width, formats.get(unit) if pd.api.types.is_numeric_dtype(df[raw]) else None)
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, max(1, len(shown)), max(0, len(shown.columns) - 1))
            sheets.append((name, table_name, len(df)))
        for i, head in enumerate((column("table", lang), column("name", lang), column("rows", lang))):
            index_sheet.write(0, i, head, header_fmt)
        for r, (sheet_name, title, rows) in enumerate(sheets, start=1):
            index_sheet.write_url(r, 0, f"internal:'{sheet_name}'!A1", string=sheet_name)
            index_sheet.write(r, 1, title)
            index_sheet.write_number(r, 2, rows, formats["count"])
        index_sheet.set_column(0, 1, 36)
        index_sheet.activate()
    return path
