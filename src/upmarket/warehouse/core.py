"""One ``Warehouse`` wraps the DuckDB connection; analyses never open DuckDB themselves.

Contract tables are created from ``upmarket.contract`` with three bookkeeping columns:
``_file_id`` (content hash of the source file), ``_row`` (row number in that file) and
``_extra`` (a JSON object of the file's columns the contract does not name).
Timestamps are stored as naive Beijing time (UTC+8, no daylight saving).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import ibis

from upmarket.contract import TABLES, Table

if TYPE_CHECKING:
    import ibis.expr.types as ir

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
        self.con = duckdb.connect(self.path)
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.con.execute("SET preserve_insertion_order = false")
        self._ibis = None
        self.create_tables()

    @classmethod
    def for_dataset(cls, dataset: str | Path, db: str | Path | None = None) -> Warehouse:
        """The warehouse of a dataset folder: ``DATASET/.upmarket.duckdb`` unless ``db`` is given."""
        return cls(db if db is not None else Path(dataset) / DEFAULT_DB_NAME)

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
        return self.con.execute(f'SELECT EXISTS (SELECT 1 FROM "{name}")').fetchone()[0]

    def count(self, name: str) -> int:
        return self.con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
