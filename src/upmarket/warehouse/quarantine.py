"""The quarantine as a file a person can open and fix: Parquet, CSV or XLSX, each reason explained.

Every output carries the same columns — file, table, row, column, reason, raw_value, raw_row,
why (English), 原因 (Chinese) — one line per quarantined row, in file order. In CSV and XLSX a
cell that a spreadsheet would run as a formula (starting with ``= + - @``, tab or CR) is
prefixed with ``'`` (the OWASP rule); Parquet keeps values exactly as read.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from upmarket.contract.reasons import UNKNOWN, catalogue
from upmarket.contract.sql import lit
from upmarket.errors import UpmarketError
from upmarket.io.safe_output import defuse_cell

if TYPE_CHECKING:
    from upmarket.warehouse.core import Warehouse

COLUMNS: tuple[str, ...] = ("file", "table", "row", "column", "reason", "raw_value", "raw_row", "why", "原因")
FORMATS = (".parquet", ".csv", ".xlsx")
XLSX_MAX_ROWS = 1_048_575
"""Excel's row limit, less the header."""
FETCH_ROWS = 10_000


def _select() -> str:
    """The quarantine with each reason explained, in file order."""
    pairs = sorted(catalogue().items())
    values = ", ".join(f"({lit(code)}, {lit(en)}, {lit(zh)})" for code, (en, zh) in pairs)
    return (
        'SELECT q.path AS file, q."table" AS "table", q."row" AS "row", q."column" AS "column", q.reason, '
        f"q.raw_value, q.raw_row, coalesce(c.en, {lit(UNKNOWN[0])}) AS why, "
        f'coalesce(c.zh, {lit(UNKNOWN[1])}) AS "原因" '
        f"FROM quarantine q LEFT JOIN (VALUES {values}) c(code, en, zh) ON c.code = q.reason "
        'ORDER BY q.path, q."row", q."column"'
    )


def _rows(wh: Warehouse) -> Iterator[tuple]:
    cur = wh.con.cursor()
    cur.execute(_select())
    while batch := cur.fetchmany(FETCH_ROWS):
        yield from batch


def write_quarantine(wh: Warehouse, path: str | Path) -> int:
    """Write every quarantined row of the warehouse to ``path`` (format by extension); rows written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UpmarketError(f"{path}: write the quarantine as {', '.join(FORMATS)} (chosen by the file extension)")
    n = wh.count("quarantine")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        wh.con.execute(f"COPY ({_select()}) TO {lit(path.as_posix())} (FORMAT parquet)")
    elif suffix == ".csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:  # the BOM makes Excel read UTF-8
            w = csv.writer(fh)
            w.writerow(COLUMNS)
            for row in _rows(wh):
                w.writerow([defuse_cell(v) for v in row])
    else:
        if n > XLSX_MAX_ROWS:
            raise UpmarketError(f"{path}: {n:,} quarantined rows do not fit one Excel sheet "
                                f"({XLSX_MAX_ROWS:,}); write .csv or .parquet instead")
        _write_xlsx(wh, path)
    return n


def _write_xlsx(wh: Warehouse, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("quarantine 隔离行")
    ws.append(list(COLUMNS))
    for row in _rows(wh):
        cells = []
        for v in row:
            v = defuse_cell(v)
            cell = WriteOnlyCell(ws, value=v)
            if isinstance(v, str):
                cell.data_type = "s"  # text, never a formula
            cells.append(cell)
        ws.append(cells)
    counts = wh.con.execute("SELECT reason, count(*) FROM quarantine GROUP BY reason ORDER BY 2 DESC, 1").fetchall()
    cat = catalogue()
    rs = wb.create_sheet("reasons 原因")
    rs.append(["reason", "rows", "why", "原因"])
    for reason, count in counts:
        en, zh = cat.get(reason, UNKNOWN)
        rs.append([defuse_cell(reason), int(count), en, zh])
    wb.save(path)
