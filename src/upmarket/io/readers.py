"""Open one source file as a :class:`RawTable` and stream it as Arrow record batches.

The flow, for every format: **sniff** (``sniff.py``: compression and format from magic bytes,
encoding from a sample) → **decode** (text only) → **find the header** among the first 30 rows
(``headers.py``) → **map columns** to contract names → check that the table's required columns
can be filled (from the file, its platform, its name's dates, or the export's signature) →
**stream batches** on demand with :meth:`RawTable.batches`.

What a batch holds:

* ``_row`` (int64) first: the 1-based row of the record in the file. For CSV/TSV it is
  ``header_row + k`` for the k-th record: the physical line number as long as no quoted value
  spans lines and no blank line comes before it (both make later rows count records, not lines). For XLSX/XLS it
  is the Excel row number; for Parquet and JSON Lines the 1-based record index.
* then the file's columns, named per :attr:`RawTable.columns`.
* CSV/TSV/XLSX/XLS values are ``pa.string()`` exactly as written (no type inference); an empty
  field or cell is ``''``; a field missing from a short row is null. Blank lines of a CSV/TSV are
  not records (as for DuckDB and pandas): a header followed by a gigabyte of newlines is read in
  seconds as no rows, instead of a billion empty rows to quarantine. A row of empty fields
  (``,,,``) is a record (the cleaning layer quarantines it as ``empty_row``).
  Parquet and JSON Lines keep their native Arrow types.

Rows whose field count differs from the header's (CSV/TSV only) are still emitted — short rows
padded with nulls, surplus fields dropped — and listed in :attr:`RawTable.row_problems` (complete
once ``batches()`` is exhausted) so the loader can quarantine them as ``ragged_row``. Trailing
empty surplus fields (``a,b,c,``) are not a problem.

CSV/TSV (also gzip/zstd compressed, also GBK) and Parquet stream with bounded memory: pyarrow's
incremental CSV reader, in C++, transcoding non-UTF-8 text as it goes. A file with ragged rows
switches, at the first one, to Python's csv module for the rest of the file (same rows, slower).
Workbooks are read whole (they are small: Excel stops at 1,048,576 rows), as are compressed
Parquet files (Parquet needs random access); uncompressed Parquet is handed to DuckDB directly
through :attr:`RawTable.parquet_paths`.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
import python_calamine

from upmarket.config import CONFIG_FILE
from upmarket.contract import Table, table
from upmarket.contract.exports import ExportSignature, id_in_name, match_export
from upmarket.io.discover import SourceFile, file_dates
from upmarket.io.errors import UnreadableFile
from upmarket.io.headers import (
    HEADER_SEARCH_ROWS,
    AliasIndex,
    find_header_row,
    match_key,
    name_columns,
    normalise_header,
)
from upmarket.io.sniff import (
    DECOMPRESS_ERRORS,
    DELIMITERS,
    Sniffed,
    decode_sample,
    detect_encoding,
        open_binary,
    read_all,
    sample_rows,
    sniff,
)

log = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 131072
CSV_BLOCK_BYTES = 1 << 20
FILE_DATE_COLUMNS = {"traffic": "date", "listings": "date", "spend": "week"}
"""Tables whose date column may come from the file name when the file has none."""

_STREAM_ERRORS = (*DECOMPRESS_ERRORS, UnicodeDecodeError, pa.ArrowException, csv.Error, ValueError)


@dataclass(frozen=True)
class RowProblem:
    """A row the reader emitted but could not parse cleanly; the loader quarantines it with ``reason``.

    Reasons: ``ragged_row`` (wrong number of fields), ``bad_encoding`` (bytes invalid in the file's
    encoding), ``bad_json`` (a JSON Lines line that is not a JSON object of the file's types),
    ``too_deep`` (nested deeper than MAX_JSON_DEPTH), ``too_large`` (a line over MAX_JSON_LINE_BYTES).
    """

    row: int
    problem: str
    raw: str
    reason: str = "ragged_row"


@dataclass
class RawTable:
    """An opened source file: what was sniffed, how its columns map, and a way to stream its rows.

    Besides the fields of the shared interface it carries ``units`` (column → bracketed unit seen
    in its header, e.g. ``{'spend': '元'}``), ``defaults`` (constant columns implied by the export,
    e.g. ``{'creator_type': 'kol'}`` for 蒲公英), ``export`` (the recognised export's name),
    ``sheet``, ``delimiter``, ``schema`` and ``row_problems``.
    """

    source: SourceFile
    format: str
    compression: str | None
    encoding: str | None
    header_row: int
    columns: dict[str, str]
    platform: str | None
    file_dates: tuple[dt.date, dt.date] | None
    parquet_paths: list[Path] | None = None
    rows_hint: int | None = None
    units: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    export: str | None = None
    sheet: str | None = None
    delimiter: str | None = None
    schema: pa.Schema | None = None
    row_problems: list[RowProblem] = field(default_factory=list)
    _stream: Callable[[RawTable, int], Iterator[pa.RecordBatch]] | None = field(default=None, repr=False,
                                                                                compare=False)

    def batches(self, batch_rows: int = DEFAULT_BATCH_ROWS) -> Iterator[pa.RecordBatch]:
        """Record batches of at most ``batch_rows`` rows: ``_row`` then the columns (see module docstring).

        Raises UnreadableFile (naming the file) when the data turns out corrupt midway, e.g. a
        truncated gzip or a byte sequence invalid in the detected encoding.
        """
        if self._stream is None:
            raise RuntimeError("RawTable was not made by open_table()")
        self.row_problems.clear()
        try:
            for batch in self._stream(self, batch_rows):
                for start in range(0, batch.num_rows, batch_rows):
                    yield batch.slice(start, batch_rows)
        except UnreadableFile:
            raise
        except _STREAM_ERRORS as exc:
            raise UnreadableFile(self.source.path, f"unreadable {self.format} data: {_one_line(exc)}") from exc

    def read_all(self) -> pa.Table:
        """All rows as one Arrow table (small files and tests only: this materialises the file)."""
        return pa.Table.from_batches(list(self.batches()), schema=self.schema)


def open_table(source: SourceFile) -> RawTable:
    """Sniff ``source.path``, find its header and map its columns; rows stream later from ``batches()``.

    Raises UnreadableFile for an empty or corrupt file, a format that is not what it claims or
    not recognisable, text in an unknown encoding, no header row among the first 30 rows, or a
    required column of the table that neither the file nor its context provides.
    """
    t = table(source.table)
    sniffed = sniff(source.path)
    opener = {"text": _open_text, "xls": _open_workbook, "xlsx": _open_workbook,
              "parquet": _open_parquet, "jsonl": _open_jsonl}[sniffed.format]
    raw = opener(source, t, sniffed)
    _resolve_context(raw, t)
    return raw


# --------------------------------------------------------------------------------------------- text


def _open_text(source: SourceFile, t: Table, sniffed: Sniffed) -> RawTable:
    path = source.path
    encoding = source.encoding or detect_encoding(path, sniffed.sample, sniffed.at_eof, sniffed.compression)
    text = decode_sample(path, sniffed.sample, sniffed.at_eof, encoding)
    index = AliasIndex(t, dict(source.columns))
    best: tuple[tuple[int, int, int], str, list[list[str]], int] | None = None
    for delim in DELIMITERS:
        rows = sample_rows(text, delim, HEADER_SEARCH_ROWS + 20)
        found = find_header_row(rows, index)
        if found is None:
            continue
        i, hits = found
        width = len(rows[i])
        agree = sum(1 for r in rows[i + 1 :] if len(r) == width)
        score = (hits, agree, width)
        if best is None or score > best[0]:
            best = (score, delim, rows, i)
    if best is None:
        raise _no_header(path, t, sample_rows(text, ",", HEADER_SEARCH_ROWS))
    _, delim, rows, i = best
    names = name_columns(rows[i], index)
    fmt = "tsv" if delim == "\t" else "csv"
    header_row = i + 1
    out = list(names.columns)
    schema = pa.schema([("_row", pa.int64()), *((n, pa.string()) for n in out)])

    def stream(raw: RawTable, batch_rows: int) -> Iterator[pa.RecordBatch]:
        return _csv_batches(raw, delim, encoding, out, batch_rows)

    return RawTable(source, fmt, sniffed.compression, encoding, header_row, names.columns, None, None,
                    units=names.units, delimiter=delim, schema=schema, _stream=stream)


def _csv_batches(raw: RawTable, delim: str, encoding: str, names: list[str], batch_rows: int
                 ) -> Iterator[pa.RecordBatch]:
    """Arrow's streaming CSV reader; at the first ragged row, the csv module takes over where it stopped."""
    path, compression = raw.source.path, raw.compression
    # no invalid_row_handler: Arrow decodes a ragged row's text for it as UTF-8, and a GBK or damaged
    # row then printed "Exception ignored in ..." with a traceback; the ArrowInvalid is enough to switch
    internal = [f"c{k}" for k in range(len(names))]
    read = pacsv.ReadOptions(skip_rows=raw.header_row, column_names=internal, block_size=CSV_BLOCK_BYTES,
                             encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding)
    parse = pacsv.ParseOptions(delimiter=delim, newlines_in_values=True, ignore_empty_lines=True)
    convert = pacsv.ConvertOptions(column_types=dict.fromkeys(internal, pa.string()), strings_can_be_null=False,
                                   quoted_strings_can_be_null=False)
    done = 0
    try:
        with pacsv.open_csv(open_binary(path, compression), read_options=read, parse_options=parse,
                            convert_options=convert) as reader:
            for batch in reader:
                rows = _row_numbers(raw.header_row + done + 1, raw.header_row + done + 1 + batch.num_rows)
                done += batch.num_rows
                yield pa.RecordBatch.from_arrays([rows, *batch.columns], schema=raw.schema)
        return
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        # a ragged row, a byte invalid in the encoding, a field longer than a block: the csv module
        # reads the rest and flags the affected rows (a truncated compressed stream is an OSError: not here)
        why = _one_line(exc)[:200]
    log.info("%s: %s after row %d; reading the rest with the csv module", path, why, raw.header_row + done)
    yield from _pycsv_batches(raw, delim, encoding, len(names), raw.header_row + done, batch_rows)


def _pycsv_batches(raw: RawTable, delim: str, encoding: str, width: int, skip: int, batch_rows: int
                   ) -> Iterator[pa.RecordBatch]:
    """Rows after the first ``skip`` records, via Python's csv module, tolerating any field count."""
    csv.field_size_limit(2**31 - 1)
    problems = raw.row_problems
    row_no = skip + 1
    # undecodable bytes become lone surrogates, so that only the rows holding them are flagged (bad_encoding)
    with open_binary(raw.source.path, raw.compression) as fb, \
            io.TextIOWrapper(fb, encoding=encoding, errors="surrogateescape", newline="") as ft:
        reader = csv.reader(ft, delimiter=delim, strict=False)
        collections.deque(islice(reader, raw.header_row), maxlen=0)  # lines up to the header, blank or not
        records = (r for r in reader if r)  # blank lines are not records (as in Arrow's reader)
        collections.deque(islice(records, skip - raw.header_row), maxlen=0)
        while chunk := _take(records, batch_rows, PYCSV_BATCH_FIELDS):
            fixed = [r if len(r) == width else _fix_row(r, width, row_no + j, delim, problems)
                     for j, r in enumerate(chunk)]
            for j, r in enumerate(fixed):
                if any(v is not None and _SURROGATE.search(v) for v in r):
                    fixed[j] = _bad_encoding_row(r, row_no + j, delim, encoding, problems)
            cols = list(zip(*fixed, strict=True)) if width else []
            arrays = [_row_numbers(row_no, row_no + len(chunk))]
            arrays += [pa.array(c, pa.string()) for c in cols]
            yield pa.RecordBatch.from_arrays(arrays, schema=raw.schema)
            row_no += len(chunk)


PYCSV_BATCH_FIELDS = 4_000_000
"""At most about this many fields per batch on the csv-module path (a 3,000-column row is 3,000 Python objects)."""


def _take(records: Iterator[list[str]], rows: int, fields: int) -> list[list[str]]:
    """Up to ``rows`` records, fewer when they hold more than ``fields`` fields in all (wide files)."""
    out: list[list[str]] = []
    n = 0
    for r in records:
        out.append(r)
        n += len(r)
        if len(out) >= rows or n >= fields:
            break
    return out


_SURROGATE = re.compile("[\udc80-\udcff]")


def _bad_encoding_row(row: list[str | None], row_no: int, delim: str, encoding: str, problems: list[RowProblem]
                      ) -> list[str | None]:
    """Flag a row holding undecodable bytes; its cells keep U+FFFD where the bytes were (valid text for Arrow)."""
    fixed = [None if v is None else _SURROGATE.sub("\ufffd", v) for v in row]
    if problems and problems[-1].row == row_no:  # also ragged: one problem per row, the encoding wins
        problems.pop()
    problems.append(RowProblem(row_no, f"bytes invalid in {encoding}", delim.join(v or "" for v in fixed)[:1000],
                               "bad_encoding"))
    return fixed


def _fix_row(row: list[str], width: int, row_no: int, delim: str, problems: list[RowProblem]) -> list[str | None]:
    if not row:  # a blank line: all empty, as Arrow reads it
        return [""] * width
    if len(row) > width and not any(row[width:]):
        return row[:width]
    problems.append(RowProblem(row_no, f"expected {width} fields, found {len(row)}", delim.join(row)))
    return row[:width] if len(row) > width else row + [None] * (width - len(row))


# ----------------------------------------------------------------------------------------- workbooks


def _open_workbook(source: SourceFile, t: Table, sniffed: Sniffed) -> RawTable:
    path = source.path
    data = read_all(path, sniffed.compression)
    try:
        wb = (python_calamine.CalamineWorkbook.from_path(str(path)) if data is None
              else python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)))
        names = wb.sheet_names
        if not names:
            raise UnreadableFile(path, "workbook has no sheets")
        sheet_name = source.sheet or names[0]
        if sheet_name not in names:
            raise UnreadableFile(path, f"no sheet {sheet_name!r}; the workbook has {names}")
        sheet = wb.get_sheet_by_name(sheet_name)
        grid: list[list[object]] = sheet.to_python(skip_empty_area=False)
        merges = list(sheet.merged_cell_ranges or [])
    except UnreadableFile:
        raise
    except Exception as exc:  # calamine raises its own error types, and panics surface as BaseException subclasses
        raise UnreadableFile(path, f"not a readable {sniffed.format.upper()} workbook: {_one_line(exc)}") from None
    _fill_merged(grid, merges)
    index = AliasIndex(t, dict(source.columns))
    head = [[_cell_text(v) for v in row] for row in grid[:HEADER_SEARCH_ROWS]]
    found = find_header_row(head, index)
    if found is None:
        raise _no_header(path, t, head, sheet_name)
    top, last = _header_block(found[0], merges, len(head[found[0]]))
    sections = [_section_above(head, top, last, k) for k in range(len(head[last]))] if last > top else None
    names_ = name_columns(head[last], index, sections)
    data_rows = grid[last + 1 :]
    keep = _kept_columns(head[last], data_rows)
    columns = {n: o for k, (n, o) in enumerate(names_.columns.items()) if k in keep}
    units = {n: u for n, u in names_.units.items() if n in columns}
    out = list(columns)
    schema = pa.schema([("_row", pa.int64()), *((n, pa.string()) for n in out)])
    first_row = last + 2  # Excel row number of the first data row

    def stream(raw: RawTable, batch_rows: int) -> Iterator[pa.RecordBatch]:
        for start in range(0, len(data_rows), batch_rows):
            chunk = data_rows[start : start + batch_rows]
            rows = _row_numbers(first_row + start, first_row + start + len(chunk))
            cols = [pa.array([_cell_text(r[k]) if k < len(r) else "" for r in chunk], pa.string()) for k in keep]
            yield pa.RecordBatch.from_arrays([rows, *cols], schema=schema)

    return RawTable(source, sniffed.format, sniffed.compression, None, last + 1, columns, None, None,
                    rows_hint=len(data_rows), units=units, sheet=sheet_name, schema=schema, _stream=stream)


def _fill_merged(grid: list[list[object]], merges: Sequence[tuple[tuple[int, int], tuple[int, int]]]) -> None:
    """A merged range holds its top-left value in every cell (section titles over sub-columns, merged dates)."""
    for (r0, c0), (r1, c1) in merges:
        if r0 >= len(grid):
            continue
        value = grid[r0][c0] if c0 < len(grid[r0]) else ""
        for r in range(r0, min(r1, len(grid) - 1) + 1):
            row = grid[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = value


def _header_block(h: int, merges: Sequence[tuple[tuple[int, int], tuple[int, int]]], width: int) -> tuple[int, int]:
    """Rows ``(top, last)`` of a multi-row header around row ``h``: rows tied by vertical merges, plus a
    row of horizontally merged section titles right above. Names come from ``last``."""
    top = last = h
    changed = True
    while changed:
        changed = False
        for (r0, _), (r1, _) in merges:
            if r0 <= last < r1 and r0 >= top:  # a merge reaching below the block
                last, changed = r1, True
            if r0 < top <= r1 and r1 <= last:  # a merge reaching above the block
                top, changed = r0, True
    if any(r0 == r1 == top - 1 and c1 > c0 and (c0 > 0 or c1 < width - 1) for (r0, c0), (r1, c1) in merges):
        top -= 1  # section titles merged over some (not all: that is a title row) of the columns
    return top, last


def _section_above(head: list[list[str]], top: int, last: int, k: int) -> str:
    """The nearest header text above column ``k``'s name that differs from it (its section title)."""
    for r in range(last - 1, top - 1, -1):
        text = head[r][k] if k < len(head[r]) else ""
        if text and text != head[last][k]:
            return text
    return ""


def _kept_columns(header: Sequence[str], data_rows: list[list[object]]) -> list[int]:
    """Column positions to keep: all but blank-headed columns with no data (a too-wide used range)."""
    keep = []
    for k, name in enumerate(header):
        if normalise_header(name).name or any(k < len(r) and _cell_text(r[k]) for r in data_rows):
            keep.append(k)
    return keep


def _cell_text(v: object) -> str:
    """A cell as the text a person sees: integral numbers without ``.0``, ISO dates, '' for empty."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    return str(v)


# ------------------------------------------------------------------------------------ parquet, jsonl


def _open_parquet(source: SourceFile, t: Table, sniffed: Sniffed) -> RawTable:
    path = source.path
    data = read_all(path, sniffed.compression)
    try:
        pf = pq.ParquetFile(path if data is None else io.BytesIO(data))
        file_schema = pf.schema_arrow
    except (pa.ArrowException, OSError) as exc:
        raise UnreadableFile(path, f"not a readable Parquet file: {_one_line(exc)}") from None
    names = name_columns(file_schema.names, AliasIndex(t, dict(source.columns)))
    out = list(names.columns)
    schema = pa.schema([("_row", pa.int64()), *(f.with_name(n) for f, n in zip(file_schema, out, strict=True))])

    def stream(raw: RawTable, batch_rows: int) -> Iterator[pa.RecordBatch]:
        done = 0
        for batch in pf.iter_batches(batch_size=batch_rows):
            rows = _row_numbers(done + 1, done + 1 + batch.num_rows)
            done += batch.num_rows
            yield pa.RecordBatch.from_arrays([rows, *batch.columns], schema=schema)

    return RawTable(source, "parquet", sniffed.compression, None, 0, names.columns, None, None,
                    parquet_paths=[path] if data is None else None, rows_hint=pf.metadata.num_rows,
                    units=names.units, schema=schema, _stream=stream)


MAX_JSON_DEPTH = 32
"""Deeper JSON Lines records are quarantined (``too_deep``): a contract row is flat, and Arrow's parser
recurses per level (a record nested 10,000 deep crashed the process)."""
MAX_JSON_LINE_BYTES = 16 << 20
"""Longer JSON Lines lines are quarantined (``too_large``) without being held in memory."""
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def _json_depth_exceeds(line: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether brackets outside strings nest deeper than ``limit`` (exact only when a cheap count says it may)."""
    if line.count(b"[") + line.count(b"{") <= limit:
        return False
    import numpy as np

    codes = np.frombuffer(_JSON_STRING.sub(b'""', line), np.uint8)
    step = ((codes == 0x5B) | (codes == 0x7B)).astype(np.int32) - ((codes == 0x5D) | (codes == 0x7D))
    return bool(step.size) and int(np.cumsum(step).max()) > limit


def _jsonl_records(path: Path, compression: str | None) -> Iterator[tuple[bytes, RowProblem | None]]:
    """The non-blank lines of a JSON Lines file, one per record, streamed; a line too deep or too large
    comes as ``b"{}"`` (an empty record: it keeps its row number) with its problem."""
    row = 0
    with open_binary(path, compression) as native, io.BufferedReader(native, CSV_BLOCK_BYTES) as fb:
        while line := fb.readline(MAX_JSON_LINE_BYTES + 1):
            if len(line) > MAX_JSON_LINE_BYTES and not line.endswith(b"\n"):
                head = line[:200]
                while (rest := fb.readline(1 << 20)) and not rest.endswith(b"\n"):
                    pass
                row += 1
                yield b"{}", RowProblem(row, f"line longer than {MAX_JSON_LINE_BYTES:,} bytes",
                                        head.decode("utf-8", "replace"), "too_large")
                continue
            line = line.strip()
            if row == 0:
                line = line.removeprefix(b"\xef\xbb\xbf").strip()  # a UTF-8 BOM
            if not line:
                continue
            row += 1
            if _json_depth_exceeds(line):
                yield b"{}", RowProblem(row, f"nested deeper than {MAX_JSON_DEPTH} levels",
                                        line[:200].decode("utf-8", "replace"), "too_deep")
            else:
                yield line, None


def _parse_json_lines(lines: list[bytes], first_row: int, parse: pajson.ParseOptions, problems: list[RowProblem]
                      ) -> pa.Table:
    """Arrow's JSON parser over ``lines``; lines it refuses become empty records listed as ``bad_json``.

    The fast path parses the block at once; only a block that fails is screened line by line.
    """
    import json

    def block() -> pa.Table:
        return pajson.read_json(io.BytesIO(b"\n".join(lines)), parse_options=parse)

    try:  # Arrow's JSON parser lets invalid UTF-8 through into strings (DuckDB then fails on them)
        b"\n".join(lines).decode("utf-8")
    except UnicodeDecodeError:
        for k, line in enumerate(lines):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                problems.append(RowProblem(first_row + k, f"bytes invalid in UTF-8: {exc.reason}",
                                           line[:200].decode("utf-8", "replace"), "bad_encoding"))
                lines[k] = b"{}"
    try:
        return block()
    except pa.ArrowInvalid as exc:
        if "unexpected field" in str(exc):
            raise
    for k, line in enumerate(lines):
        reason = None
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict):
                reason = "not a JSON object"
        except (ValueError, RecursionError) as exc:
            reason = f"not valid JSON: {_one_line(exc)[:120]}"
        if reason is None:
            try:
                pajson.read_json(io.BytesIO(line), parse_options=parse)
            except pa.ArrowInvalid as exc:
                if "unexpected field" in str(exc):
                    raise
                reason = f"a value of the wrong type: {_one_line(exc)[:120]}"
        if reason is not None:
            problems.append(RowProblem(first_row + k, reason, line[:200].decode("utf-8", "replace"), "bad_json"))
            lines[k] = b"{}"
    return block()


def _jsonl_blocks(path: Path, compression: str | None, parse: pajson.ParseOptions, problems: list[RowProblem],
                  ) -> Iterator[tuple[int, pa.Table]]:
    """(first row, Arrow table) per block of about CSV_BLOCK_BYTES of lines; refused lines are empty records."""
    block_bytes = CSV_BLOCK_BYTES
    lines: list[bytes] = []
    size, first = 0, 1
    found: list[RowProblem] = []
    for line, problem in _jsonl_records(path, compression):
        if problem is not None:
            found.append(problem)
        lines.append(line)
        size += len(line) + 1
        if size >= block_bytes:
            problems.extend(found)
            yield first, _parse_json_lines(lines, first, parse, problems)
            first += len(lines)
            lines, size, found = [], 0, []
    if lines:
        problems.extend(found)
        yield first, _parse_json_lines(lines, first, parse, problems)


def _jsonl_schema(path: Path, compression: str | None) -> pa.Schema | None:
    """The schema of the first block of lines, as Arrow's own reader infers it; when the block does not parse
    as a whole (a bad line, a value whose type changes), line by line: each key's first non-null type wins, and
    the lines that disagree are quarantined while streaming. None for a file without records."""
    lines: list[bytes] = []
    size = 0
    records = _jsonl_records(path, compression)
    try:
        for line, _ in records:
            lines.append(line)
            size += len(line) + 1
            if size >= CSV_BLOCK_BYTES:
                break
    finally:
        records.close()
    if not lines:
        return None
    try:
        return pajson.read_json(io.BytesIO(b"\n".join(lines))).schema
    except pa.ArrowInvalid:
        pass
    fields: dict[str, pa.Field] = {}
    for line in lines:
        try:
            schema = pajson.read_json(io.BytesIO(line)).schema
        except pa.ArrowInvalid:
            continue
        for f in schema:
            if f.name not in fields or pa.types.is_null(fields[f.name].type):
                fields[f.name] = f
    return pa.schema(list(fields.values()))


def _open_jsonl(source: SourceFile, t: Table, sniffed: Sniffed) -> RawTable:
    path = source.path
    encoding = source.encoding or detect_encoding(path, sniffed.sample, sniffed.at_eof, sniffed.compression)
    if encoding not in ("utf-8", "utf-8-sig"):
        raise UnreadableFile(path, f"JSON Lines must be UTF-8 (this looks like {encoding})")
    try:
        file_schema = _jsonl_schema(path, sniffed.compression)
    except (pa.ArrowException, *DECOMPRESS_ERRORS) as exc:
        raise UnreadableFile(path, f"not valid JSON Lines: {_one_line(exc)}") from None
    if file_schema is None:
        raise UnreadableFile(path, "no JSON records (only blank lines)")
    names = name_columns(file_schema.names, AliasIndex(t, dict(source.columns)))
    out = list(names.columns)
    schema = pa.schema([("_row", pa.int64()), *(f.with_name(n) for f, n in zip(file_schema, out, strict=True))])

    def stream(raw: RawTable, batch_rows: int) -> Iterator[pa.RecordBatch]:
        done = 0
        # keys first seen after the first block would change the schema midway: fail loudly, never drop them
        parse = pajson.ParseOptions(explicit_schema=file_schema, unexpected_field_behavior="error")
        try:
            for first_row, tbl in _jsonl_blocks(path, raw.compression, parse, raw.row_problems):
                tbl = tbl.select(file_schema.names)
                for batch in tbl.to_batches():
                    rows = _row_numbers(first_row + done, first_row + done + batch.num_rows)
                    done += batch.num_rows
                    yield pa.RecordBatch.from_arrays([rows, *batch.columns], schema=schema)
                done = 0
        except pa.ArrowInvalid as exc:
            if "unexpected field" not in str(exc):
                raise
            raise UnreadableFile(path, "a record has a key the first records lack (they have "
                                       f"{', '.join(file_schema.names)}); put every key in the first records, or "
                                       "use Parquet") from None

    return RawTable(source, "jsonl", sniffed.compression, encoding, 0, names.columns, None, None,
                    units=names.units, schema=schema, _stream=stream)


# --------------------------------------------------------------------------------- context, checks


def _resolve_context(raw: RawTable, t: Table) -> None:
    """Platform, export signature, file-name dates; then check that every required column can be filled."""
    keys = {match_key(normalise_header(o).name) for o in raw.columns.values()}
    _check_overrides(raw, keys)
    sig: ExportSignature | None = match_export(keys)
    raw.export = sig.name if sig else None
    raw.platform = raw.source.platform or (sig.platform if sig else None)
    raw.file_dates = file_dates(raw.source.path.name)
    if sig is not None and sig.table == t.name:
        raw.defaults = {c: v for c, v in sig.constants.items() if c not in raw.columns}
        if sig.id_in_name and sig.id_in_name not in raw.columns and (found := id_in_name(raw.source.path.name)):
            raw.defaults[sig.id_in_name] = found
    provided = set(raw.columns) | set(raw.defaults)
    if raw.platform:
        provided.add("platform")
    if raw.source.channel:
        provided.add("channel")
    date_col = FILE_DATE_COLUMNS.get(t.name)
    if raw.file_dates and date_col:
        provided.add(date_col)
    missing = [c for c in t.required if c not in provided]
    if not missing:
        return
    hints = []
    close = suggestions(raw, t)
    for col in missing:
        near = [h for h, c in close.items() if c == col]
        if near:
            hints.append(f"{col} is probably {' or '.join(repr(h) for h in near)}: map it with a [[files]] entry "
                         f"(columns = {{\"{near[0]}\" = \"{col}\"}}) in {CONFIG_FILE}")
    if "platform" in missing:
        hints.append(f"name the platform with a 'platform' column, a 'platform=jd' folder in the path, or a [[files]] "
                     f"entry with platform = \"...\" in {CONFIG_FILE}")
    if "channel" in missing:
        hints.append("name the channel with a 'channel' column or a [[files]] entry with channel = \"...\"")
    if date_col in missing:
        hints.append(f"a file without a '{date_col}' column may carry its date in its name (…_2024-11-01_2024-11-07…)")
    if sig is not None and sig.id_in_name in missing:
        hints.append(f"a {sig.name} export names its item only in the request: put the item id in the file name "
                     f"(…_612345678901_…) or add a {sig.id_in_name} column")
    where = f"row {raw.header_row}" if raw.header_row else "columns"
    seen = ", ".join(repr(o) for o in raw.columns.values())
    raise UnreadableFile(raw.source.path, f"missing required column(s) {', '.join(missing)} of table '{t.name}' "
                                          f"(headers seen at {where}: {seen})" + "".join(f"; {h}" for h in hints))


def suggestions(raw: RawTable, t: Table) -> dict[str, str]:
    """Original header → the contract column it probably means, for extra columns close to an alias
    of a column the file does not have (``商品访客人数`` → visitors)."""
    index = AliasIndex(t)
    present = [c for c in raw.columns if c in t.names]
    out = {}
    for name, original in raw.columns.items():
        if name in t.names:
            continue
        col = index.suggest(original, exclude=present)
        if col is not None:
            out[original] = col
    return out


def _check_overrides(raw: RawTable, keys: set[str]) -> None:
    """Every header a ``[[files]] columns`` entry names must be in the file: a silent no-op hides a typo."""
    absent = [h for h in dict(raw.source.columns) if match_key(normalise_header(h).name) not in keys]
    if absent:
        raise UnreadableFile(raw.source.path, f"[[files]] columns in {CONFIG_FILE} names header(s) "
                                              f"{', '.join(repr(h) for h in absent)} that this file does not have "
                                              f"(headers: {', '.join(repr(o) for o in raw.columns.values())})")


def _no_header(path: Path, t: Table, rows: Sequence[Sequence[object]], sheet: str | None = None) -> UnreadableFile:
    first = next((r for r in rows if any(str(c).strip() for c in r)), [])
    where = f" of sheet {sheet!r}" if sheet else ""
    return UnreadableFile(path, f"no header row found in the first {HEADER_SEARCH_ROWS} rows{where}: no cell names "
                                f"a column of table '{t.name}' ({', '.join(t.names)}); first non-empty row: "
                                f"{[str(c) for c in first][:12]}")


def _row_numbers(start: int, stop: int) -> pa.Array:
    """``_row`` values ``start .. stop-1`` (numpy: ~50× faster than ``pa.array(range(...))``, 10% of CSV ingest)."""
    return pa.array(np.arange(start, stop, dtype=np.int64))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
