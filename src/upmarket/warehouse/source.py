"""What an analysis reads from: the contract tables as Ibis expressions, on any backend Ibis supports.

Every analysis's data access takes a *table source*: anything with ``table(name) -> ibis Table``,
``has_rows(name)`` and ``column_present(table, column)``. :class:`~upmarket.warehouse.Warehouse`
is one (DuckDB); :class:`IbisSource` wraps any other Ibis backend (Polars in-process, Spark,
Postgres…) holding the same tables, so the same expressions run there unchanged. The backend
parity test (``tests/analyses/test_backend_parity.py``) runs each analysis's data access on both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import ibis

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

    from upmarket.warehouse.core import Warehouse


class TableSource(Protocol):
    """The contract tables, read through Ibis: a Warehouse (DuckDB) or an :class:`IbisSource`."""

    def table(self, name: str) -> ir.Table: ...

    def has_rows(self, name: str) -> bool: ...

    def column_present(self, table: str, column: str) -> bool: ...


def as_source(con: Any) -> Any:
    """A table source from what readers were once given: a DuckDB connection becomes an :class:`IbisSource` over it;
    a Warehouse or another source is returned as is."""
    import duckdb

    return IbisSource(ibis.duckdb.from_connection(con)) if isinstance(con, duckdb.DuckDBPyConnection) else con


def column_has_values(t: ir.Table, column: str) -> ir.BooleanValue:
    """True when some row of ``t`` has a value in ``column`` (not NULL and, for text, not blank)."""
    c = t[column]
    cond = c.notnull()
    if c.type().is_string():
        cond = cond & (c.strip() != "")
    return t.filter(cond).count() > 0


def extra_text(t: ir.Table, key: str) -> ir.StringValue:
    """Field ``key`` of the ingest's ``_extra`` column (a JSON object of the export's non-contract columns) as text.

    The one place analyses read JSON: it needs a backend that unwraps JSON (DuckDB, Spark, Postgres…);
    Ibis' Polars backend does not, and raises ``OperationNotDefinedError`` naming ``UnwrapJSONString``.
    """
    return t._extra.cast("json")[key].str


def to_frame(expr: ir.Table) -> pd.DataFrame:
    """Materialise an expression as pandas with DuckDB's ``.df()`` dtypes, which the analyses were written against.

    DuckDB keeps NULL-bearing integers as pandas' nullable integers (Ibis' ``to_pandas`` makes them
    floats) and gives dates as ``datetime64[us]`` (Arrow gives ``datetime.date`` objects).
    """
    import pandas as pd
    import pyarrow as pa

    table = expr.to_pyarrow()
    df = table.to_pandas()
    nullable = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
                pa.int64(): pd.Int64Dtype()}
    for f in table.schema:
        if pa.types.is_date(f.type):  # as DuckDB gives dates: datetime64[us] at midnight
            df[f.name] = pd.to_datetime(df[f.name]).astype("datetime64[us]")
        elif f.type in nullable and table[f.name].null_count:
            df[f.name] = table.select([f.name]).to_pandas(types_mapper=nullable.get)[f.name]
    return df


class IbisSource:
    """Contract tables served by any Ibis backend (the second engine of the parity test, or a user's own).

    Parameters
    ----------
    backend:
        A connected Ibis backend that holds tables named as the contract names them.
    """

    def __init__(self, backend: Any) -> None:
        self.ibis = backend

    def table(self, name: str) -> ir.Table:
        return self.ibis.table(name)

    def _maybe_table(self, name: str) -> ir.Table | None:
        """The table, or None when the backend has none by that name. Asked of the table itself, not through
        ``list_tables``, which Ibis 12's DuckDB backend cannot run on duckdb 2 (it calls the removed
        ``fetch_arrow_table``)."""
        from ibis.common.exceptions import TableNotFound

        try:
            return self.ibis.table(name)
        except TableNotFound:
            return None

    def has_rows(self, name: str) -> bool:
        t = self._maybe_table(name)
        return t is not None and bool(t.limit(1).count().execute())

    def count(self, name: str) -> int:
        return int(self.ibis.table(name).count().execute())

    def column_present(self, table: str, column: str) -> bool:
        t = self._maybe_table(table)
        if t is None or column not in t.columns:
            return False
        return bool(column_has_values(t, column).execute())

    @classmethod
    def polars_copy(cls, wh: Warehouse, tables: tuple[str, ...] | None = None) -> IbisSource:
        """The warehouse's tables copied (through Arrow) into an in-process Ibis Polars backend."""
        from upmarket.contract.tables import TABLES

        backend = ibis.polars.connect()
        for name in tables if tables is not None else tuple(TABLES):
            backend.create_table(name, wh.table(name).to_pyarrow())
        return cls(backend)
