"""Recognise a platform export by its header, whatever its file name.

Brands keep the names the platforms give their downloads (``【生意参谋平台】商品_全部_2024-11-01_2024-11-07.xls``,
``经营版_商品_商品列表__20241101-20241107_数据更新时间20241108.xlsx``), which name no contract table.
Discovery asks :func:`recognise` about such files only (a data extension, an unknown name): it reads
the first rows (a 256 KiB text sample, or the first sheet of a workbook), normalises each row as a
header and looks for a known export signature (``upmarket.contract.exports``). Magic bytes decide
the format, so a 生意参谋 ``.csv`` that is really BIFF is read as a workbook.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import python_calamine

from upmarket.contract.exports import EXPORT_SIGNATURES, ExportSignature, NearExport, match_export, near_export
from upmarket.io.errors import UnreadableFile
from upmarket.io.headers import HEADER_SEARCH_ROWS, match_key, normalise_header
from upmarket.io.sniff import DELIMITERS, Sniffed, decode_sample, detect_encoding, read_all, sample_rows, sniff

SNIFFED_FORMATS = ("text", "xls", "xlsx")
"""Formats whose header rows are read to recognise an export (Parquet and JSON Lines name their columns
in English by convention and must follow the naming rule)."""

NEAR_ROWS = 2
"""Rows compared by spelling with the known exports when no row matches one exactly."""


@dataclass(frozen=True)
class Recognition:
    """What the first rows of a file say: the export it is (``signature``), else why not (``reason``)."""

    signature: ExportSignature | None
    reason: str = ""
    near: NearExport | None = None


def recognise(path: Path) -> Recognition:
    """The known export ``path`` holds, judged from its first rows; never raises for bad content."""
    try:
        sniffed = sniff(path)
        if sniffed.format not in SNIFFED_FORMATS:
            return Recognition(None, f"a {sniffed.format} file whose name is not a contract table")
        rows = _text_rows(path, sniffed) if sniffed.format == "text" else _sheet_rows(path, sniffed)
    except UnreadableFile as exc:
        return Recognition(None, f"unreadable: {exc.problem}")
    keyed = [{match_key(normalise_header(c).name) for c in row} for row in rows]
    best: ExportSignature | None = None
    for keys in keyed:
        sig = match_export(keys)
        if sig is not None and (best is None or len(sig.headers) > len(best.headers)):
            best = sig
    if best is not None:
        return Recognition(best)
    # fuzzy matching costs ~0.1 s per 3,000-cell row: only the likeliest header rows are compared
    known = frozenset().union(*(s.headers for s in EXPORT_SIGNATURES))
    likely = sorted(keyed, key=lambda keys: (len(keys & known), len(keys)), reverse=True)[:NEAR_ROWS]
    near = max((n for keys in likely if (n := near_export(keys)) is not None),
               key=lambda n: len(n.present) + len(n.near), default=None)
    if near is not None:
        return Recognition(None, f"its header matches no known export; it {near.describe()}", near)
    return Recognition(None, "its header matches no known export")


def _text_rows(path: Path, sniffed: Sniffed) -> list[list[str]]:
    """The first rows parsed with each candidate delimiter, one after the other (a row cut with the
    wrong delimiter is one long cell, which matches nothing)."""
    encoding = detect_encoding(path, sniffed.sample, sniffed.at_eof, sniffed.compression)
    text = decode_sample(path, sniffed.sample, sniffed.at_eof, encoding)
    return [row for delim in DELIMITERS for row in sample_rows(text, delim, HEADER_SEARCH_ROWS)]


def _sheet_rows(path: Path, sniffed: Sniffed) -> list[list[str]]:
    data = read_all(path, sniffed.compression)
    try:
        wb = (python_calamine.CalamineWorkbook.from_path(str(path)) if data is None
              else python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)))
        if not wb.sheet_names:
            return []
        sheet = wb.get_sheet_by_name(wb.sheet_names[0])
        return [["" if v is None else str(v) for v in row]
                for row in islice(sheet.iter_rows(), HEADER_SEARCH_ROWS)]
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine's own errors, and its Rust panics (a BaseException): discovery goes on
        raise UnreadableFile(path, f"not a readable {sniffed.format.upper()} workbook: {exc}") from None
