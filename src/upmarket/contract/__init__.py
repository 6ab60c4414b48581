"""The data contract (version 1) as code: tables, columns, codes, aliases and the results shape."""

from upmarket.contract.codes import CODE_LISTS, PREMIUM_THRESHOLD_CNY, PRICE_BAND_EDGES, CodeList, price_band
from upmarket.contract.tables import CONTRACT_VERSION, TABLES, Column, RowRule, Table, table

__all__ = [
    "CODE_LISTS",
    "CONTRACT_VERSION",
    "PREMIUM_THRESHOLD_CNY",
    "PRICE_BAND_EDGES",
    "TABLES",
    "CodeList",
    "Column",
    "RowRule",
    "Table",
    "price_band",
    "table",
]
