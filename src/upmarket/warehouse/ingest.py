"""Lossless, idempotent, atomic ingest of a dataset folder into the warehouse.

One code path serves ``ingest`` (commit) and ``validate`` (dry run: the same work inside the
same transaction, then ROLLBACK). Per file: a content hash (the file id), a skip when the hash
is already loaded, a replacement when a known path changed, then the cleaning SQL of
``upmarket.contract.sql`` run by DuckDB — straight over ``read_parquet`` for Parquet, over the
reader's Arrow batches for text and spreadsheets. Rows that pass go to the table with
``_file_id``/``_row``/``_extra``; the others go to ``quarantine``; the manifest records the
counts, and ``rows_read = rows_loaded + rows_quarantined`` is asserted for every file.
"""

from __future__ import annotations

import hashlib
import io as _stdio
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from upmarket.contract import Table
from upmarket.contract import table as contract_table
from upmarket.contract.sql import (
    SourceColumns,
    cleaning_query,
    lit,
    load_select,
    q,
    quarantine_select,
    unit_scales,
)
from upmarket.progress import ensure

if TYPE_CHECKING:
    import pandas as pd

    from upmarket.config import Config
    from upmarket.progress import Progress
    from upmarket.warehouse.core import Warehouse

HASH_ALGORITHM = "sha256"
"""Content hash of a file (its file id). sha256 via OpenSSL: ~1.5 GB/s here, faster than blake2b."""

BATCH_ROWS = 131_072
INGEST_MEMORY_LIMIT = "1GB"
"""DuckDB's memory limit while ingesting (bigger work spills to disk): keeps peak RSS under 2 GiB."""
CHUNK_ROWS = 1 << 20
CHUNK_BYTES = 192 << 20
"""Rows (at most) and Arrow bytes (about) per DuckDB statement on the Arrow path. Planning the cleaning SQL costs
~30-50 ms and each INSERT of at least a row group (122,880 rows) is written straight to the database file instead of
at the checkpoint, so chunks are large; the byte bound keeps wide files' chunks (and peak RSS) small."""


STAGE_ROWS = 20_000
"""A chunk of at most this many rows is cleaned once into a temporary table that both inserts then read: planning
the cleaning SQL (~30-50 ms) is then paid once instead of twice, the whole cost of a small export with a bad row.
Larger chunks insert straight from the cleaning query, which skips copying rows that are nearly all good."""
_STAGE = "_upm_cleaned"

CLEANING_DISABLED_OPTIMIZERS = "filter_pushdown,in_clause"
"""DuckDB optimizers switched off while the cleaning SQL runs (see ``_cleaning_optimizers``)."""


class IngestInvariantError(RuntimeError):
    """rows_read != rows_loaded + rows_quarantined: a bug in upmarket, never a data problem."""


@dataclass
class FileReport:
    """What happened to one source file."""

    path: str
    table: str
    status: str  # loaded | replaced | skipped | unchanged
    file_id: str
    format: str | None = None
    encoding: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    seconds: float = 0.0
    note: str = ""
    top_reasons: list[tuple[str, int]] = field(default_factory=list)
    reconcile: list[str] = field(default_factory=list)  # summary row vs loaded totals, where they disagree
    export: str | None = None  # the platform export recognised from the header (生意参谋 商品, ...)
    columns: dict[str, str] = field(default_factory=dict)  # output column → header text, in file order
    suggestions: dict[str, str] = field(default_factory=dict)  # extra header → the column it probably means


@dataclass
class IngestReport:
    """Per-file outcome of one ingest (or validate) run, with totals and renderers."""

    files: list[FileReport] = field(default_factory=list)
    dry_run: bool = False
    ignored: list[str] = field(default_factory=list)
    seconds: float = 0.0
    ignored_reasons: dict[str, str] = field(default_factory=dict)  # ignored file → why

    @property
    def totals(self) -> dict[str, int]:
        done = [f for f in self.files if f.status in ("loaded", "replaced")]
        return {
            "files": len(self.files),
            "files_loaded": len(done),
            "files_skipped": len(self.files) - len(done),
            "rows_read": sum(f.rows_read for f in done),
            "rows_loaded": sum(f.rows_loaded for f in done),
            "rows_quarantined": sum(f.rows_quarantined for f in done),
        }

    def file(self, path: str) -> FileReport:
        """The report of the file at relative path ``path``."""
        for f in self.files:
            if f.path == path:
                return f
        raise KeyError(f"no file {path!r} in this ingest report")

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "seconds": round(self.seconds, 3),
            "totals": self.totals,
            "files": [asdict(f) | {"top_reasons": [list(r) for r in f.top_reasons]} for f in self.files],
            "ignored": list(self.ignored),
            "ignored_reasons": dict(self.ignored_reasons),
        }

    def to_rich(self):
        """A Rich table: one row per file, then the totals."""
        from rich.table import Table as RichTable

        title = "validate (dry run: nothing committed)" if self.dry_run else "ingest"
        t = RichTable(title=title, show_footer=False)
        for name, just in (("file", "left"), ("table", "left"), ("format", "left"), ("encoding", "left"),
                           ("status", "left"), ("read", "right"), ("loaded", "right"), ("quarantined", "right"),
                           ("top reasons", "left")):
            t.add_column(name, justify=just)
        for f in self.files:
            reasons = ", ".join(f"{r} ×{n}" for r, n in f.top_reasons[:3])
            status = f.status + (f" ({f.note})" if f.note else "")
            quarantined = f"[red]{f.rows_quarantined:,}[/red]" if f.rows_quarantined else "0"
            t.add_row(f.path, f.table, f.format or "", f.encoding or "", status, f"{f.rows_read:,}",
                      f"{f.rows_loaded:,}", quarantined, reasons)
        notes = [f"{f.path}: {line}" for f in self.files for line in f.reconcile]
        if notes:
            t.caption = "summary rows that do not match the loaded rows:\n" + "\n".join(notes)
        tot = self.totals
        t.add_section()
        t.add_row(f"{tot['files']} files", "", "", "", f"{tot['files_loaded']} loaded", f"{tot['rows_read']:,}",
                  f"{tot['rows_loaded']:,}", f"{tot['rows_quarantined']:,}", "")
        return t

    def __str__(self) -> str:
        from rich.console import Console

        buf = _stdio.StringIO()
        Console(file=buf, width=160, color_system=None).print(self.to_rich())
        return buf.getvalue()


def file_hash(path: Path) -> str:
    """Content hash of a file, streamed."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, HASH_ALGORITHM).hexdigest()


# --- the source of one file, as chunks of SQL relations -------------------------------------------------------


@dataclass
class _Chunk:
    src: str  # SQL relation with _row and the raw columns
    source: SourceColumns
    lo: int  # first _row of the chunk
    rows: int  # rows in the chunk, counted independently of the load
    hi: int = 0  # last _row of the chunk
    trim: bool = True  # trim text cells (False for Parquet's typed strings: see contract.sql.normalise)
    arrow: pa.Table | None = None  # the chunk's rows, when ``src`` names them (see ``_run``)


def _parquet_chunks(con, raw: Any) -> Iterator[_Chunk]:
    """read_parquet straight in SQL, one chunk per file of the table, ``_row`` from file_row_number."""
    offset = 0
    for p in raw.parquet_paths:
        rel = f"read_parquet({lit(str(p))}, file_row_number = true)"
        types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {rel})").fetchall())
        rows = con.execute(f"SELECT count(*) FROM {rel}").fetchone()[0]
        cols = [(out, orig) for out, orig in raw.columns.items() if orig in types]
        select = ", ".join(f"{q(orig)} AS {q(out)}" for out, orig in cols)
        src = f"(SELECT file_row_number + {offset + 1} AS _row{', ' + select if select else ''} FROM {rel})"
        sc = SourceColumns({out: types[orig] for out, orig in cols}, dict(raw.columns), tuple(out for out, _ in cols))
        yield _Chunk(src, sc, offset + 1, rows, offset + rows, trim=False)
        offset += rows


def _coalesce(batches: Iterable[pa.RecordBatch], rows: int, nbytes: int = CHUNK_BYTES) -> Iterator[pa.Table]:
    """Readers yield small batches (a CSV block is ~10k rows); DuckDB wants fewer, larger chunks."""
    pending: list[pa.RecordBatch] = []
    n = size = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        n += batch.num_rows
        size += batch.nbytes
        if n >= rows or size >= nbytes:
            yield pa.Table.from_batches(pending)
            pending, n, size = [], 0, 0
    if pending:
        yield pa.Table.from_batches(pending)


def _arrow_chunks(con, batches: Iterable[pa.RecordBatch], headers: dict[str, str], name: str,
                  rows: int | None = None) -> Iterator[_Chunk]:
    """The reader's Arrow batches, coalesced into chunks (``CHUNK_ROWS`` by default), each registered with DuckDB."""
    import pyarrow.compute as pc

    types: dict[str, str] | None = None
    for tbl in _coalesce(batches, rows or CHUNK_ROWS):
        if types is None:
            types = dict(_query_arrow(con, name, tbl, f"SELECT column_name, column_type FROM (DESCRIBE SELECT * "
                                                      f"FROM {name})"))
        order = tuple(n for n in tbl.column_names if n != "_row")
        mm = pc.min_max(tbl["_row"]).as_py()
        yield _Chunk(name, SourceColumns({n: types[n] for n in order}, headers, order), int(mm["min"]),
                     tbl.num_rows, int(mm["max"]), arrow=tbl)


def _run(con, ch: _Chunk, sql: str) -> list[tuple]:
    """Run ``sql``, which may read the chunk's relation, and fetch its result."""
    if ch.arrow is None:
        return con.execute(sql).fetchall()
    return _query_arrow(con, ch.src, ch.arrow, sql)


def _query_arrow(con, name: str, tbl: pa.Table, sql: str) -> list[tuple]:
    """Run ``sql`` with Arrow table ``tbl`` readable as ``name``, and fetch its result.

    A large table is bound to the name for this statement only (``from_arrow(...).query``): a view
    registered and dropped inside the ingest transaction keeps its Arrow table alive until the
    commit, so peak memory grew with the file (3.6 GiB for a 20M-row CSV). A small one is
    registered, which plans about twice as fast; what it keeps alive is small.
    """
    if tbl.num_rows > STAGE_ROWS:
        rel = con.from_arrow(tbl).query(name, sql)
        return rel.fetchall() if rel is not None else []
    con.register(name, tbl)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.unregister(name)


def _fills(t: Table, present: set[str], platform: str | None, file_dates: tuple[date, date] | None,
           channel: str | None) -> dict[str, str]:
    """SQL literals for contract columns a file lacks but its folder, mapping or name supplies."""
    fills: dict[str, str] = {}
    names = set(t.names)
    if platform and "platform" in names and "platform" not in present:
        fills["platform"] = lit(platform)
    if channel and "channel" in names and "channel" not in present:
        fills["channel"] = lit(channel)
    if file_dates:
        date_cols = [c.name for c in t.columns if c.dtype == "date" and c.required]
        if date_cols and date_cols[0] not in present:
            d0 = date_cols[0]
            start, end = file_dates
            fills[d0] = f"DATE {lit(start.isoformat())}"
            if f"{d0}_end" in names and end != start:
                fills[f"{d0}_end"] = f"DATE {lit(end.isoformat())}"
    return fills


@contextmanager
def _cleaning_optimizers(con) -> Iterator[None]:
    """Switch off the optimizers that make the cleaning SQL slow, for the statements inside the block.

    ``filter_pushdown`` would push ``WHERE _fail IS NULL`` below the projections, inlining every
    column's parse into the filter, so each parse ran twice (once in the filter, once for the value):
    ~40% of the cleaning time. ``in_clause`` turns each ``IN (...)`` list of six or more constants
    (whitespace code points, canonical codes) into a mark join: a dozen extra joins to plan and run per
    statement, the larger part of a small file's fixed cost and no faster on large ones.
    """
    before = con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]
    con.execute(f"SET disabled_optimizers = {lit(CLEANING_DISABLED_OPTIMIZERS)}")
    try:
        yield
    finally:
        con.execute(f"SET disabled_optimizers = {lit(before)}")


def _load_chunks(con, t: Table, chunks: Iterable[_Chunk], fills: dict[str, str], file_id: str, path: str,
                 task: Any = None, scales: dict[str, float] | None = None, problems: list | None = None,
                 ) -> tuple[int, int, int]:
    """Load every chunk: passing rows into the table, the rest into quarantine. (read, loaded, quarantined).

    ``problems`` is the reader's live list of ragged rows (it grows as batches stream); each
    chunk quarantines the ones that fall in its row range.
    """
    read = loaded = quarantined = 0
    target = q(t.name)
    with _cleaning_optimizers(con):
        for ch in chunks:
            own = f"_file_id = {lit(file_id)} AND _row >= {ch.lo}"
            bad = [p.row for p in (problems or ()) if ch.lo <= p.row <= ch.hi]
            cleaned = cleaning_query(t, ch.src, ch.source, fills=fills, target=target if t.key else None,
                                     exclude_own=own, scales=scales, bad_rows=bad, trim_strings=ch.trim)
            staged = ch.rows <= STAGE_ROWS
            if staged:  # clean once into a temporary table; both inserts below then read it
                con.execute("PRAGMA disable_optimizer")
                try:
                    _run(con, ch, f"CREATE OR REPLACE TEMP TABLE {_STAGE} AS {cleaned}")
                finally:
                    con.execute("PRAGMA enable_optimizer")
                cleaned = f"SELECT * FROM {_STAGE}"
            n_loaded = _run(con, ch, f"INSERT INTO {target} {load_select(t, cleaned, file_id)}")[0][0]
            n_quar = 0
            if n_loaded < ch.rows:
                if not staged:  # clean again only the rows the insert left out
                    cleaned = cleaning_query(t, _not_loaded(ch, target, file_id), ch.source, fills=fills,
                                             target=target if t.key else None, scales=scales, bad_rows=bad,
                                             trim_strings=ch.trim)
                sql = quarantine_select(t, ch.source, cleaned, file_id, path)
                n_quar = _run(con, ch, f"INSERT INTO quarantine {sql}")[0][0]
            if staged:
                con.execute(f"DROP TABLE {_STAGE}")
            if n_loaded + n_quar != ch.rows:
                raise IngestInvariantError(
                    f"{path}: rows {ch.lo}..{ch.lo + ch.rows - 1}: read {ch.rows} but loaded {n_loaded} "
                    f"+ quarantined {n_quar}"
                )
            read += ch.rows
            loaded += n_loaded
            quarantined += n_quar
            if task is not None:
                task.advance(ch.rows)
    return read, loaded, quarantined


def _not_loaded(ch: _Chunk, target: str, file_id: str) -> str:
    """The chunk's source rows that its insert did not load: the only ones the quarantine needs to clean again.

    Cleaning them alone gives each the reason it failed with: every check is per row except the
    duplicate key, and a row that failed as a duplicate still finds its key in the table (loaded
    by the chunk's first row with that key, or earlier), so it is checked against the whole table,
    this chunk's loaded rows included (no ``exclude_own``). Key columns are required, so a NULL key
    fails on its own.
    """
    loaded = (f"SELECT _row FROM {target} WHERE _file_id = {lit(file_id)} "
              f"AND _row BETWEEN {ch.lo} AND {max(ch.hi, ch.lo + ch.rows - 1)}")
    return f"(SELECT _s.* FROM {ch.src} _s ANTI JOIN ({loaded}) _l ON _s._row = _l._row)"


def _top_reasons(con, file_id: str, n: int = 5) -> list[tuple[str, int]]:
    rows = con.execute(
        "SELECT reason, count(*) AS n FROM quarantine WHERE file_id = ? GROUP BY reason "
        "ORDER BY n DESC, reason LIMIT ?",
        [file_id, n],
    ).fetchall()
    return [(r, int(c)) for r, c in rows]


def _known(con, file_id: str, path: str) -> tuple[str | None, tuple[str, str] | None]:
    """(path already holding this content, (file_id, table) already loaded from this path)."""
    same = con.execute("SELECT path FROM ingest_manifest WHERE file_id = ?", [file_id]).fetchone()
    old = con.execute('SELECT file_id, "table" FROM ingest_manifest WHERE path = ?', [path]).fetchone()
    return (same[0] if same else None), (tuple(old) if old else None)


def _forget(con, file_id: str, table_name: str) -> None:
    """Remove everything an earlier version of a file loaded."""
    con.execute(f"DELETE FROM {q(table_name)} WHERE _file_id = ?", [file_id])
    con.execute("DELETE FROM quarantine WHERE file_id = ?", [file_id])
    con.execute("DELETE FROM ingest_manifest WHERE file_id = ?", [file_id])


def _record(con, rep: FileReport) -> None:
    con.execute(
        "INSERT INTO ingest_manifest VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [rep.file_id, rep.path, rep.table, rep.format, rep.encoding, rep.rows_read, rep.rows_loaded,
         rep.rows_quarantined, datetime.now().replace(microsecond=0), rep.seconds],
    )


def _begin_file(con, file_id: str, path: str, table_name: str) -> FileReport | None:
    """Skip a file already loaded; forget the old version of a changed file. None means: load it."""
    same, old = _known(con, file_id, path)
    if same is not None:
        note = "" if same == path else f"already loaded as {same}"
        return FileReport(path, table_name, "skipped" if same != path else "unchanged", file_id, note=note)
    if old is not None:
        _forget(con, old[0], old[1])
    return None


def _ingest_file(wh: Warehouse, sf: Any, progress: Progress) -> FileReport:
    from upmarket.io import open_table
    from upmarket.io.readers import suggestions

    con = wh.con
    t0 = time.perf_counter()
    file_id = file_hash(sf.path)
    rel = sf.rel_path
    early = _begin_file(con, file_id, rel, sf.table)
    if early is not None:
        return early
    raw = open_table(sf)
    t = contract_table(sf.table)
    present = set(raw.columns)
    fills = _fills(t, present, raw.platform, raw.file_dates, getattr(sf, "channel", None))
    for col, value in (getattr(raw, "defaults", None) or {}).items():
        if col in t.names and col not in present:
            fills.setdefault(col, lit(str(value)))
    scales = unit_scales(t, getattr(raw, "units", None) or {})
    task = progress.task(f"{rel}", total=raw.rows_hint)
    if raw.parquet_paths:
        chunks: Iterable[_Chunk] = _parquet_chunks(con, raw)
    else:
        chunks = _arrow_chunks(con, raw.batches(BATCH_ROWS), dict(raw.columns), "_upm_batch")
    read, loaded, quarantined = _load_chunks(con, t, chunks, fills, file_id, rel, task, scales,
                                             getattr(raw, "row_problems", None))
    rep = FileReport(rel, t.name, "loaded", file_id, raw.format, raw.encoding, read, loaded, quarantined,
                     time.perf_counter() - t0)
    rep.top_reasons = _top_reasons(con, file_id) if quarantined else []
    rep.export, rep.columns, rep.suggestions = raw.export, dict(raw.columns), suggestions(raw, t)
    if any(r == "summary_row" for r, _ in rep.top_reasons):
        rep.reconcile = reconcile_summary(con, t, file_id, dict(raw.columns))
    _record(con, rep)
    return rep


def reconcile_summary(con, t: Table, file_id: str, headers: dict[str, str], tolerance: float = 0.005) -> list[str]:
    """Compare a file's one summary row (``合计``) with the sum of its loaded rows, per numeric column.

    Only a file with exactly one summary row is compared (interleaved subtotals are not grand
    totals). Returns one line per column that differs by more than ``tolerance`` (relative);
    unique-visitor counts need not add up, so a difference is reported, never an error.
    """
    from upmarket.contract.sql import clean_column

    n = con.execute("SELECT count(*) FROM quarantine WHERE file_id = ? AND reason = 'summary_row'",
                    [file_id]).fetchone()[0]
    if n != 1:
        return []
    raw_keys = con.execute("SELECT raw_row FROM quarantine WHERE file_id = ? AND reason = 'summary_row'",
                           [file_id]).fetchone()[0]
    import json

    present = json.loads(raw_keys)
    out = []
    for c in t.columns:
        if c.dtype not in ("int", "float") or c.name not in headers:
            continue
        key = headers[c.name] if headers[c.name] in present else c.name
        if key not in present:
            continue
        v = f"json_extract_string(raw_row, {lit('$.' + json.dumps(key, ensure_ascii=False))})"
        value, _ = clean_column(c, f"nullif(trim({v}), '')").render()
        summary = con.execute(f"SELECT {value} FROM quarantine WHERE file_id = ? AND reason = 'summary_row'",
                              [file_id]).fetchone()[0]
        loaded = con.execute(f"SELECT sum({q(c.name)}) FROM {q(t.name)} WHERE _file_id = ?", [file_id]).fetchone()[0]
        if summary is None or loaded is None:
            continue
        if abs(float(summary) - float(loaded)) > tolerance * max(abs(float(summary)), 1.0):
            out.append(f"{c.name}: summary row says {summary:,}, loaded rows sum to {loaded:,}")
    return out


def run(wh: Warehouse, dataset: str | Path, config: Config | None, *, progress: Progress | None = None,
        dry_run: bool = False) -> IngestReport:
    """Ingest (or, with ``dry_run``, validate) every table file of ``dataset`` in ONE transaction."""
    from upmarket.config import load_config
    from upmarket.io import discover

    dataset = Path(dataset)
    config = config if config is not None else load_config(dataset)
    t0 = time.perf_counter()
    found = discover(dataset, config)
    files = found.files
    ignored = [i.rel_path for i in found.ignored]
    progress = ensure(progress)
    files_task = progress.task("files", total=len(files))
    report = IngestReport(dry_run=dry_run, ignored=ignored,
                          ignored_reasons={i.rel_path: i.reason for i in found.ignored})
    con = wh.con
    limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    con.execute(f"SET memory_limit = '{INGEST_MEMORY_LIMIT}'")
    con.execute("BEGIN TRANSACTION")
    try:
        for sf in files:
            old = con.execute("SELECT file_id FROM ingest_manifest WHERE path = ?", [sf.rel_path]).fetchone()
            rep = _ingest_file(wh, sf, progress)
            if rep.status == "loaded" and old is not None:
                rep.status, rep.note = "replaced", "content changed since the last ingest"
            report.files.append(rep)
            files_task.advance(1)
        if dry_run:
            con.execute("ROLLBACK")
        else:
            con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        con.execute(f"SET memory_limit = '{limit}'")
        raise
    if not dry_run and report.totals["rows_read"]:
        con.execute("CHECKPOINT")  # now, under the ingest memory limit, rather than at close
    con.execute(f"SET memory_limit = '{limit}'")
    report.seconds = time.perf_counter() - t0
    return report


def load_frame(wh: Warehouse, table_name: str, df: pd.DataFrame, file_label: str = "frame") -> FileReport:
    """Load an in-memory DataFrame through the same cleaning path as files (one transaction).

    Columns are matched by contract name or alias; others are kept in ``_extra``. The frame's
    content hash is its file id, so loading the same frame twice loads it once.
    """
    t = contract_table(table_name)
    names = _frame_names(t, [str(c) for c in df.columns])
    missing = [c for c in t.required if c not in names.values() and c not in ("platform",)]
    if missing:
        from upmarket.io.errors import UnreadableFile

        raise UnreadableFile(file_label, f"missing required column(s) {', '.join(missing)} for table {table_name}")
    frame = df.rename(columns={str(k): v for k, v in names.items()}).reset_index(drop=True)
    at = _frame_to_arrow(frame)
    at = at.add_column(0, "_row", pa.array(range(1, len(frame) + 1), pa.int64()))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, at.schema) as w:
        w.write_table(at)
    h = hashlib.new(HASH_ALGORITHM, sink.getvalue().to_pybytes())
    h.update(table_name.encode())
    file_id = h.hexdigest()
    con = wh.con
    t0 = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    try:
        early = _begin_file(con, file_id, file_label, table_name)
        if early is not None:
            con.execute("COMMIT")
            return early
        headers = {v: k for k, v in names.items()}
        chunks = _arrow_chunks(con, at.to_batches(BATCH_ROWS), headers, "_upm_frame")
        read, loaded, quarantined = _load_chunks(con, t, chunks, {}, file_id, file_label)
        rep = FileReport(file_label, table_name, "loaded", file_id, "frame", None, read, loaded, quarantined,
                         time.perf_counter() - t0)
        rep.top_reasons = _top_reasons(con, file_id) if quarantined else []
        _record(con, rep)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return rep


def _frame_names(t: Table, cols: list[str]) -> dict[str, str]:
    """Frame column → output name: contract names and aliases, else the column itself."""
    alias = {a: c.name for c in t.columns for a in c.aliases}
    out: dict[str, str] = {}
    for c in cols:
        out[c] = c if c in t.names else alias.get(c.strip(), c)
    return out


def _frame_to_arrow(frame: pd.DataFrame) -> pa.Table:
    """Arrow from pandas; object columns of mixed Python types become text."""
    cols = {}
    for name in frame.columns:
        s = frame[name]
        try:
            cols[name] = pa.array(s, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            cols[name] = pa.array(s.map(lambda x: None if x is None or x != x else str(x)), pa.string())
    return pa.table(cols)
