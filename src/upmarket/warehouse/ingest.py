"""Lossless, idempotent, atomic ingest of a dataset folder into the warehouse.

One code path serves ``ingest`` (commit) and ``validate`` (dry run: the same work inside the
same transaction, then ROLLBACK). Per file: a content hash (the file id), a skip when the hash
is already loaded, a replacement when a known path changed, then the cleaning SQL of
``upmarket.contract.sql`` run by DuckDB — straight over ``read_parquet`` for Parquet, over the
reader's Arrow batches for text and spreadsheets. Rows that pass go to the table with
``_file_id``/``_row``/``_extra``; the others go to ``quarantine``; the manifest records the
counts, and ``rows_read = rows_loaded + rows_quarantined`` is asserted for every file.

One bad file does not sink the run: a file that cannot be read (the reader raises, or DuckDB
fails on it midway) is *rejected* whole — its partial rows deleted, or, when a DuckDB error has
aborted the transaction, the run replayed without it — and listed with its reason; the other
files load. ``strict=True`` makes a rejection an error (ROLLBACK, nothing committed).

The warehouse mirrors the folder: rows of a file no longer in the folder leave; a file moved
unchanged keeps its rows under its new path; a file moved and edited replaces its old rows.
"""

from __future__ import annotations

import contextlib
import hashlib
import io as _stdio
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
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
from upmarket.errors import UpmarketError
from upmarket.progress import ensure
from upmarket.warehouse.keys import brands_present, resolve_sku_ids, unmatched_keys

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


class NoLoadableFileError(UpmarketError):
    """A dataset folder with no table file, or none that could be loaded; ``report`` says why per file."""

    def __init__(self, message: str, report: IngestReport | None = None) -> None:
        super().__init__(message)
        self.report = report


class RejectedFileError(UpmarketError):
    """``--strict``: a file was rejected, so the run stopped and committed nothing."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason} (--strict: the run stopped here and committed nothing)")
        self.path = path
        self.reason = reason


class _Aborted(Exception):  # noqa: N818 - internal signal, never leaves this module
    """DuckDB failed on a file and aborted the transaction: roll back and replay without it."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)
        self.path = path
        self.reason = reason


REASON_CHARS = 400
"""A rejection reason is one line of at most this many characters."""


def rejection_reason(exc: BaseException) -> str:
    """One line saying why a file could not be loaded (a reader's own message as it is, else the error's type)."""
    from upmarket.io import UnreadableFile

    if isinstance(exc, UnreadableFile):
        text = exc.problem
    elif isinstance(exc, duckdb.Error):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        text = f"DuckDB could not read it: {first or type(exc).__name__}"
    elif isinstance(exc, OSError):
        text = f"cannot read the file: {exc.strerror or exc}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1] + "…"


@dataclass
class FileReport:
    """What happened to one source file."""

    path: str
    table: str
    status: str  # loaded | replaced | skipped | unchanged | moved | rejected
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
class RemovedFile:
    """A file loaded by an earlier run that is no longer in the folder: its rows left the warehouse."""

    path: str
    table: str
    rows_loaded: int
    rows_quarantined: int


@dataclass
class IngestReport:
    """Per-file outcome of one ingest (or validate) run, with totals and renderers.

    ``files`` has one entry per discovered file (rejected ones with ``status == "rejected"`` and
    the reason in ``note``); ``ignored`` lists the folder's other files with the reason
    (``{"file", "reason"}``); ``removed`` the files gone from the folder whose rows left.
    """

    files: list[FileReport] = field(default_factory=list)
    dry_run: bool = False
    ignored: list[dict[str, str]] = field(default_factory=list)
    removed: list[RemovedFile] = field(default_factory=list)
    seconds: float = 0.0
    sku_ids_resolved: dict[str, int] = field(default_factory=dict)  # rows re-keyed through sku_map, per table
    unmatched_keys: dict[str, dict[str, Any]] = field(default_factory=dict)  # see warehouse.keys.unmatched_keys
    brands: list[str] = field(default_factory=list)  # products/market_sales brands, most rows first

    @property
    def rejected(self) -> list[FileReport]:
        """The files that could not be loaded at all, in discovery order."""
        return [f for f in self.files if f.status == "rejected"]

    @property
    def totals(self) -> dict[str, int]:
        done = [f for f in self.files if f.status in ("loaded", "replaced")]
        rejected = self.rejected
        return {
            "files": len(self.files),
            "files_loaded": len(done),
            "files_rejected": len(rejected),
            "files_skipped": len(self.files) - len(done) - len(rejected),
            "files_removed": len(self.removed),
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
            "rejected": [{"file": f.path, "table": f.table, "reason": f.note} for f in self.rejected],
            "ignored": [dict(i) for i in self.ignored],
            "removed": [asdict(r) for r in self.removed],
            "sku_ids_resolved": dict(self.sku_ids_resolved),
            "unmatched_keys": dict(self.unmatched_keys),
        }

    def warnings(self, files: bool = True) -> list[str]:
        """One line per thing a person should look at: rejected files (unless ``files`` is False, when the
        table already shows them), removed files, keys that do not join."""
        out = [f"rejected {f.path} ({f.table}): {f.note}" for f in self.rejected] if files else []
        out += [f"{'would remove' if self.dry_run else 'removed'} {r.path}: no longer in the folder "
                f"({r.rows_loaded:,} {r.table} rows)" for r in self.removed]
        out += [u["message"] for u in self.unmatched_keys.values()]
        return out

    def to_rich(self):
        """A Rich table: one row per file, then the totals."""
        from rich.table import Table as RichTable

        # file names, notes and reasons are data: Text cells, never parsed as markup or emoji codes
        title = "validate (dry run: nothing committed)" if self.dry_run else "ingest"
        t = RichTable(title=title, show_footer=False)
        for name, just in (("file", "left"), ("table", "left"), ("format", "left"), ("encoding", "left"),
                           ("status", "left"), ("read", "right"), ("loaded", "right"), ("quarantined", "right"),
                           ("top reasons", "left")):
            t.add_column(name, justify=just)
        from rich.text import Text

        # every cell that holds data is a Text: file names, headers and reasons are never markup or emoji codes
        # rejected files first: they are what a person must act on
        for f in sorted(self.files, key=lambda f: f.status != "rejected"):
            reasons = ", ".join(f"{r} ×{n}" for r, n in f.top_reasons[:3])
            # a rejection's reason is long: it goes under the table (and to the warnings), not in the cell
            status = Text(f.status + (f" ({f.note})" if f.note and f.status != "rejected" else ""),
                          style="bold red" if f.status == "rejected" else "")
            quarantined = Text(f"{f.rows_quarantined:,}", style="red") if f.rows_quarantined else "0"
            t.add_row(Text(f.path), Text(f.table), Text(f.format or ""), Text(f.encoding or ""), status,
                      f"{f.rows_read:,}", f"{f.rows_loaded:,}", quarantined, Text(reasons))
        for r in self.removed:
            t.add_row(Text(r.path), Text(r.table), "", "", Text("removed (no longer in the folder)", style="yellow"),
                      "", f"-{r.rows_loaded:,}", f"-{r.rows_quarantined:,}" if r.rows_quarantined else "0", "")
        for i in self.ignored:
            t.add_row(Text(i["file"]), "", "", "", Text("ignored", style="dim"), "", "", "", "")
        caption = [f"rejected {f.path}: {f.note}" for f in self.rejected]
        caption += [f"ignored {i['file']}: {i['reason']}" for i in self.ignored]
        notes = [f"{f.path}: {line}" for f in self.files for line in f.reconcile]
        if notes:
            caption += ["summary rows that do not match the loaded rows:", *notes]
        if caption:
            t.caption = Text("\n".join(caption))
            t.caption_justify = "left"
        tot = self.totals
        t.add_section()
        done = f"{tot['files_loaded']} loaded"
        if tot["files_rejected"]:
            done += f", {tot['files_rejected']} rejected"
        t.add_row(f"{tot['files']} files", "", "", "", done, f"{tot['rows_read']:,}",
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


def _coalesce(batches: Iterable[pa.RecordBatch], rows: int, max_bytes: int = CHUNK_BYTES) -> Iterator[pa.Table]:
    """Readers yield small batches (a CSV block is ~10k rows); DuckDB wants fewer, larger chunks."""
    pending: list[pa.RecordBatch] = []
    n = size = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        n += batch.num_rows
        size += batch.nbytes
        if n >= rows or size >= max_bytes:
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
        with contextlib.suppress(duckdb.Error):  # an aborted transaction: the next registration replaces it
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
    finally:  # in a transaction DuckDB aborted, settings cannot change: run() restores them after its ROLLBACK
        with contextlib.suppress(duckdb.TransactionException):
            con.execute(f"SET disabled_optimizers = {lit(before)}")


def _restore_session(con, optimizers: str) -> None:
    """After a ROLLBACK: the optimizer settings a chunk changed inside the aborted transaction, restored."""
    con.execute("PRAGMA enable_optimizer")
    con.execute(f"SET disabled_optimizers = {lit(optimizers)}")


def _load_chunks(con, t: Table, chunks: Iterable[_Chunk], fills: dict[str, str], file_id: str, path: str,
                 task: Any = None, scales: dict[str, float] | None = None, problems: list | None = None,
                 ) -> tuple[int, int, int]:
    """Load every chunk: passing rows into the table, the rest into quarantine. (read, loaded, quarantined).

    ``problems`` is the reader's live list of rows it could not parse (it grows as batches stream); each
    chunk quarantines the ones that fall in its row range, with the problem's reason.
    """
    read = loaded = quarantined = 0
    target = q(t.name)
    with _cleaning_optimizers(con):
        for ch in chunks:
            own = f"_file_id = {lit(file_id)} AND _row >= {ch.lo}"
            bad = {p.row: getattr(p, "reason", "ragged_row") for p in (problems or ()) if ch.lo <= p.row <= ch.hi}
            cleaned = cleaning_query(t, ch.src, ch.source, fills=fills, target=target if t.key else None,
                                     exclude_own=own, scales=scales, bad_rows=bad, trim_strings=ch.trim)
            staged = ch.rows <= STAGE_ROWS
            if staged:  # clean once into a temporary table; both inserts below then read it
                con.execute("PRAGMA disable_optimizer")
                try:
                    _run(con, ch, f"CREATE OR REPLACE TEMP TABLE {_STAGE} AS {cleaned}")
                finally:
                    with contextlib.suppress(duckdb.TransactionException):  # see _cleaning_optimizers
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


def _forget_path(con, path: str) -> int:
    """Remove what an earlier version of the file at ``path`` loaded; the number of its rows removed."""
    old = con.execute('SELECT file_id, "table", rows_loaded FROM ingest_manifest WHERE path = ?', [path]).fetchone()
    if old is None:
        return 0
    _forget(con, old[0], old[1])
    return int(old[2] or 0)


def _record(con, rep: FileReport) -> None:
    con.execute(
        "INSERT INTO ingest_manifest VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [rep.file_id, rep.path, rep.table, rep.format, rep.encoding, rep.rows_read, rep.rows_loaded,
         rep.rows_quarantined, datetime.now().replace(microsecond=0), rep.seconds],
    )


def _begin_file(con, file_id: str, path: str, table_name: str) -> FileReport | None:
    """Skip a file already loaded; forget the old version of a changed file. None means: load it."""
    same, old = _known(con, file_id, path)
    if same is not None and old is not None and old[0] == file_id and old[1] != table_name:
        _forget(con, file_id, old[1])  # same file, now mapped to another table: load it afresh
        same, old = None, None
    if same is not None:
        note = "" if same == path else f"already loaded as {same}"
        return FileReport(path, table_name, "skipped" if same != path else "unchanged", file_id, note=note)
    if old is not None:
        _forget(con, old[0], old[1])
    return None


def _ingest_file(wh: Warehouse, sf: Any, progress: Progress, file_id: str | None = None) -> FileReport:
    from upmarket.io import open_table
    from upmarket.io.readers import suggestions

    con = wh.con
    t0 = time.perf_counter()
    file_id = file_id or file_hash(sf.path)
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
    try:
        read, loaded, quarantined = _load_chunks(con, t, chunks, fills, file_id, rel, task, scales,
                                                 getattr(raw, "row_problems", None))
    finally:  # unregister the Arrow view now, not at garbage collection (the next file reuses its name)
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
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
        dry_run: bool = False, strict: bool = False) -> IngestReport:
    """Ingest (or, with ``dry_run``, validate) every table file of ``dataset`` in ONE transaction.

    A file that cannot be read is rejected (listed with its reason, nothing of it kept) and the
    others load; with ``strict`` a rejection raises :class:`RejectedFileError` and nothing is
    committed. Raises :class:`NoLoadableFileError` when the folder has no table file or every one was
    rejected (nothing committed either).
    """
    from upmarket.config import load_config
    from upmarket.io import discover

    dataset = Path(dataset)
    config = config if config is not None else load_config(dataset)
    t0 = time.perf_counter()
    found = discover(dataset, config)
    files = found.files
    ignored = [{"file": i.rel_path, "reason": i.reason} for i in found.ignored]
    if not files:
        listed = "; ".join(f"{i['file']} ({i['reason']})" for i in ignored[:5])
        raise NoLoadableFileError(f"{dataset}: no table file found (a dataset folder holds files such as orders.csv "
                                  f"or traffic.xlsx, or [[files]] entries of upmarket.toml map them)"
                                  + (f"; ignored: {listed}" if listed else ""),
                                  IngestReport(dry_run=dry_run, ignored=ignored))
    progress = ensure(progress)
    # file ids first: moved files are recognised by content before anything is loaded or removed
    hashes: dict[str, str] = {}
    rejected: dict[str, str] = {}
    for sf in files:
        try:
            hashes[sf.rel_path] = file_hash(sf.path)
        except OSError as exc:
            rejected[sf.rel_path] = rejection_reason(exc)
    con = wh.con
    limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    optimizers = con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]
    con.execute(f"SET memory_limit = '{INGEST_MEMORY_LIMIT}'")
    try:
        while True:
            report = IngestReport(dry_run=dry_run, ignored=ignored)
            con.execute("BEGIN TRANSACTION")
            try:
                _run_once(wh, files, hashes, rejected, report, progress, strict)
            except _Aborted as ab:  # DuckDB aborted the transaction on this file: replay the run without it
                con.execute("ROLLBACK")
                _restore_session(con, optimizers)
                if strict:
                    raise RejectedFileError(ab.path, ab.reason) from None
                if ab.path in rejected:
                    raise RuntimeError(f"{ab.path}: rejected twice in one run") from None
                rejected[ab.path] = ab.reason
                continue
            except BaseException:
                con.execute("ROLLBACK")
                _restore_session(con, optimizers)
                raise
            if any(f.status in ("loaded", "replaced") for f in report.files) or report.removed:
                report.sku_ids_resolved = resolve_sku_ids(con)
            report.unmatched_keys = unmatched_keys(con)
            report.brands = brands_present(con)
            if len(report.rejected) == len(report.files):
                con.execute("ROLLBACK")
                listed = "; ".join(f"{f.path}: {f.note}" for f in report.rejected[:5])
                raise NoLoadableFileError(f"{dataset}: no file could be loaded — {listed}", report)
            con.execute("ROLLBACK" if dry_run else "COMMIT")
            break
        if not dry_run and (report.totals["rows_read"] or report.removed):
            con.execute("CHECKPOINT")  # now, under the ingest memory limit, rather than at close
    finally:
        con.execute(f"SET memory_limit = '{limit}'")
    report.seconds = time.perf_counter() - t0
    return report


def _run_once(wh: Warehouse, files: list, hashes: dict[str, str], rejected: dict[str, str], report: IngestReport,
              progress: Progress, strict: bool) -> None:
    """One pass over the folder inside the open transaction: mirror, then load or reject each file."""
    con = wh.con
    moved = _mirror(con, files, hashes, report)
    files_task = progress.task("files", total=len(files))
    for sf in files:
        rel = sf.rel_path
        if rel in rejected:  # known unreadable: keep nothing of it, not even an earlier version
            if strict:
                raise RejectedFileError(rel, rejected[rel])
            _forget_path(con, rel)
            report.files.append(FileReport(rel, sf.table, "rejected", hashes.get(rel, ""), note=rejected[rel]))
            files_task.advance(1)
            continue
        file_id = hashes[rel]
        old = con.execute("SELECT file_id FROM ingest_manifest WHERE path = ?", [rel]).fetchone()
        try:
            rep = _ingest_file(wh, sf, progress, file_id)
        except IngestInvariantError:
            raise
        except Exception as exc:  # one unreadable file must not sink the run: reject it whole
            reason = rejection_reason(exc)
            if strict:
                raise RejectedFileError(rel, reason) from exc
            if isinstance(exc, duckdb.Error) or not _alive(con):
                raise _Aborted(rel, reason) from exc
            # the transaction is alive (a Python-side error): delete the partial rows
            con.execute(f"DELETE FROM {q(sf.table)} WHERE _file_id = ?", [file_id])
            con.execute("DELETE FROM quarantine WHERE file_id = ?", [file_id])
            rep = FileReport(rel, sf.table, "rejected", file_id, note=reason)
        if rep.status == "loaded" and old is not None:
            rep.status, rep.note = "replaced", "content changed since the last ingest"
        elif rep.status == "unchanged" and rel in moved:
            rep.status, rep.note = "moved", f"moved from {moved[rel]}"
        report.files.append(rep)
        files_task.advance(1)


def _alive(con) -> bool:
    """Whether the open transaction can still run statements (a DuckDB error aborts it)."""
    try:
        con.execute("SELECT 1").fetchall()
    except duckdb.Error:
        return False
    return True


def _mirror(con, files: list, hashes: dict[str, str], report: IngestReport) -> dict[str, str]:
    """Make the warehouse follow the folder before loading: {new path: old path} of the moved files.

    A manifest path no longer in the folder is a moved file when a file of the same content (and
    table) sits at a path the manifest does not know: its rows stay, under the new path. Otherwise
    the file was deleted (or moved and edited): its rows, quarantine and manifest row leave, so an
    edited copy elsewhere loads without clashing with its stale rows.
    """
    current = {sf.rel_path: sf for sf in files}
    manifest = con.execute('SELECT file_id, path, "table", rows_loaded, rows_quarantined FROM ingest_manifest '
                           "ORDER BY path").fetchall()
    known_paths = {row[1] for row in manifest}
    by_hash: dict[str, list[str]] = {}
    for rel, h in hashes.items():
        if rel not in known_paths:
            by_hash.setdefault(h, []).append(rel)
    moved: dict[str, str] = {}
    for file_id, path, table_name, n_loaded, n_quarantined in manifest:
        if path in current:
            continue
        new = next((r for r in by_hash.get(file_id, ()) if current[r].table == table_name and r not in moved), None)
        if new is not None:
            con.execute("UPDATE ingest_manifest SET path = ? WHERE file_id = ?", [new, file_id])
            con.execute("UPDATE quarantine SET path = ? WHERE file_id = ?", [new, file_id])
            moved[new] = path
        else:
            _forget(con, file_id, table_name)
            report.removed.append(RemovedFile(path, table_name, int(n_loaded or 0), int(n_quarantined or 0)))
    return moved


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
    optimizers = con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]
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
        _restore_session(con, optimizers)
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
