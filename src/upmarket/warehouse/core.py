"""One ``Warehouse`` wraps the DuckDB connection; analyses never open DuckDB themselves.

Contract tables are created from ``upmarket.contract`` with three bookkeeping columns:
``_file_id`` (content hash of the source file), ``_row`` (row number in that file) and
``_extra`` (a JSON object of the file's columns the contract does not name).
Timestamps are stored as naive Beijing time (UTC+8, no daylight saving).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import ibis

from upmarket.contract import TABLES, Table
from upmarket.errors import UpmarketError
from upmarket.warehouse import pseudonym

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

    from upmarket.config import Config
    from upmarket.progress import Progress
    from upmarket.warehouse.ingest import FileReport, IngestReport

DEFAULT_DB_NAME = ".upmarket.duckdb"

_SQL_TYPES = {
    "str": "VARCHAR",
    "id": "VARCHAR",
    "code": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "rate": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "bool": "BOOLEAN",
}

BOOKKEEPING = (("_file_id", "VARCHAR"), ("_row", "BIGINT"), ("_extra", "VARCHAR"))


def sql_type(dtype: str) -> str:
    """The DuckDB type that stores a contract dtype."""
    return _SQL_TYPES[dtype]


def table_ddl(t: Table) -> str:
    cols = [f'"{c.name}" {sql_type(c.dtype)}' for c in t.columns]
    cols += [f"{name} {typ}" for name, typ in BOOKKEEPING]
    return f'CREATE TABLE IF NOT EXISTS "{t.name}" ({", ".join(cols)})'


LOCK_WAIT_SECONDS = 10.0
"""How long a run waits for another process's lock on the warehouse file (env ``UPMARKET_LOCK_WAIT`` overrides)."""


class WarehouseLockedError(UpmarketError):
    """Another process (another upmarket run) holds the warehouse file."""


def _connect(path: str) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``, waiting (bounded) while another process holds the file's lock, then saying so plainly."""
    wait = float(os.environ.get("UPMARKET_LOCK_WAIT", LOCK_WAIT_SECONDS))
    deadline = time.monotonic() + wait
    delay = 0.1
    while True:
        try:
            return duckdb.connect(path)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                pid = re.search(r"PID (\d+)", str(exc))
                holder = f" (process {pid.group(1)})" if pid else ""
                raise WarehouseLockedError(
                    f"{path}: the warehouse is in use by another run{holder}; waited {wait:g} s. Wait for it to "
                    "finish, or give this run its own warehouse with --db") from None
            time.sleep(min(delay, max(deadline - time.monotonic(), 0.01)))
            delay = min(delay * 2, 1.0)


class WarehouseSaltError(UpmarketError):
    """The warehouse was loaded under another pseudonymisation salt."""


class Warehouse:
    """A DuckDB database holding the contract tables, the quarantine and the ingest manifest.

    Parameters
    ----------
    path:
        The database file; ``":memory:"`` for a throwaway warehouse.
    memory_limit:
        DuckDB's memory limit; larger work spills to disk beside the database.
    """

    def __init__(self, path: str | Path = ":memory:", memory_limit: str = "2GB") -> None:
        self.path = str(path)
        self.con = _connect(self.path)
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        # big ingests spill here instead of exhausting RAM (a file database spills beside itself)
        spill = Path(tempfile.gettempdir()) / "upmarket-duckdb" if self.path == ":memory:" else Path(f"{self.path}.tmp")
        self.con.execute(f"SET temp_directory = '{spill.as_posix()}'")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("SET enable_progress_bar = false")  # progress is the caller's (Rich) business
        salt = pseudonym.salt()
        self.con.execute(pseudonym.macro_sql(salt))  # people's ids are pseudonymised on ingest
        self._ibis = None
        self._present: dict[tuple[int, str, str], bool] = {}
        self._version = 0  # bumped by every load, so cached column probes never outlive their data
        self.create_tables()
        try:
            self._check_salt(pseudonym.fingerprint(salt))
        except WarehouseSaltError:
            self.con.close()
            raise

    @classmethod
    def for_dataset(cls, dataset: str | Path, db: str | Path | None = None) -> Warehouse:
        """The warehouse of a dataset folder: ``DATASET/.upmarket.duckdb`` unless ``db`` is given."""
        return cls(db if db is not None else Path(dataset) / DEFAULT_DB_NAME)

    def _check_salt(self, fingerprint: str) -> None:
        """A warehouse keeps the fingerprint of the salt its ids were pseudonymised with; another salt would
        give the same people other ids, so files loaded under it would not join: refused."""
        self.con.execute("CREATE TABLE IF NOT EXISTS warehouse_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        row = self.con.execute("SELECT value FROM warehouse_meta WHERE key = 'salt_fingerprint'").fetchone()
        if row is None:
            if self.con.execute("SELECT count(*) FROM ingest_manifest").fetchone()[0]:
                raise WarehouseSaltError(f"{self.path}: this warehouse was loaded by an earlier upmarket that kept "
                                         "people's ids as written; delete the warehouse file to load the dataset "
                                         "again with pseudonymised ids")
            self.con.execute("INSERT INTO warehouse_meta VALUES ('salt_fingerprint', ?)", [fingerprint])
        elif row[0] != fingerprint:
            raise WarehouseSaltError(
                f"{self.path}: this warehouse's ids were pseudonymised with another salt (fingerprint {row[0]}, "
                f"this machine's is {fingerprint}); set ${pseudonym.SALT_ENV} to the salt it was loaded with, or "
                "delete the warehouse file to load the dataset again")

    def create_tables(self) -> None:
        for t in TABLES.values():
            self.con.execute(table_ddl(t))
        from upmarket.warehouse.manifest import create_bookkeeping_tables

        create_bookkeeping_tables(self.con)

    @property
    def ibis(self) -> ibis.BaseBackend:
        """The Ibis backend over this connection."""
        if self._ibis is None:
            self._ibis = ibis.duckdb.from_connection(self.con)
        return self._ibis

    def table(self, name: str) -> ir.Table:
        """An Ibis table expression for a contract or bookkeeping table."""
        return self.ibis.table(name)

    def has_rows(self, name: str) -> bool:
        return self.con.execute(f'SELECT EXISTS (SELECT 1 FROM "{name}")').fetchall()[0][0]

    def count(self, name: str) -> int:
        return self.con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]

    # --- ingest -------------------------------------------------------------------------------------------------

    def ingest(self, dataset: str | Path, config: Config | None = None, *, progress: Progress | None = None,
               strict: bool = False) -> IngestReport:
        """Load every table file of ``dataset``: idempotent (by content hash) and atomic (one transaction).

        A file that cannot be read at all is rejected (``report.rejected``) and the others load;
        with ``strict`` it raises ``RejectedFileError`` after rolling back. The warehouse follows the
        folder: the rows of deleted files leave (``report.removed``).
        """
        from upmarket.warehouse.ingest import run

        self._version += 1
        return run(self, dataset, config, progress=progress, strict=strict)

    def validate(self, dataset: str | Path, config: Config | None = None, *, progress: Progress | None = None,
                 strict: bool = False) -> IngestReport:
        """Dry run of ``ingest``: the same cleaning and counts, then ROLLBACK, so nothing changes."""
        from upmarket.warehouse.ingest import run

        return run(self, dataset, config, progress=progress, dry_run=True, strict=strict)

    def load_frame(self, table: str, df: pd.DataFrame, file_label: str | None = None) -> FileReport:
        """Load an in-memory DataFrame into contract table ``table`` through the ingest cleaning path.

        ``file_label`` plays the file's path (default ``<table>.frame``): loading another frame under
        the same label replaces the earlier one, as a changed file would.
        """
        from upmarket.warehouse.ingest import load_frame

        self._version += 1
        return load_frame(self, table, df, file_label or f"{table}.frame")

    def column_present(self, table: str, column: str) -> bool:
        """True when some row of ``table`` has a value in ``column`` (not NULL, not blank text).

        Cached per state of the data (every load clears it): analyses ask it for each figure they declare.
        """
        full = (self._version, table, column)
        if full not in self._present:
            kind = self.con.execute(
                "SELECT data_type FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
                [table, column]).fetchone()
            if kind is None:
                self._present[full] = False
            else:
                blank = f""" AND trim("{column}") <> ''""" if kind[0] == "VARCHAR" else ""
                sql = f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE "{column}" IS NOT NULL{blank})'
                self._present[full] = bool(self.con.execute(sql).fetchone()[0])
        return self._present[full]

    def manifest(self) -> pd.DataFrame:
        """One row per loaded file: path, table, format, encoding, row counts, when and how long."""
        df = self.con.execute(
            'SELECT file_id, path, "table", format, encoding, rows_read, rows_loaded, rows_quarantined, '
            "strftime(loaded_at, '%Y-%m-%dT%H:%M:%S') AS loaded_at, seconds FROM ingest_manifest ORDER BY path"
        ).df()
        return df

    def quarantine_summary(self) -> pd.DataFrame:
        """Quarantined rows counted per file, table, column and reason, most frequent first."""
        return self.con.execute(
            'SELECT path, "table", "column", reason, count(*) AS rows, min("row") AS first_row '
            'FROM quarantine GROUP BY ALL ORDER BY rows DESC, path, "column", reason'
        ).df()

    def quarantine(self, path: str | None = None) -> pd.DataFrame:
        """The quarantined rows (of one file when ``path`` is given), in file order."""
        where, params = ("WHERE path = ?", [path]) if path is not None else ("", [])
        return self.con.execute(f'SELECT * FROM quarantine {where} ORDER BY path, "row"', params).df()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
