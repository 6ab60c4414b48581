"""The embedded warehouse: DuckDB, queried through Ibis."""

from upmarket.warehouse.core import Warehouse, sql_type

__all__ = ["Warehouse", "sql_type"]
