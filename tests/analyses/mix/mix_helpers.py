"""Warehouse fixtures for the mix tests."""

from __future__ import annotations

import pandas as pd

from upmarket.warehouse import Warehouse


def warehouse_with(**tables: pd.DataFrame) -> Warehouse:
    """A throwaway in-memory warehouse holding the given tables (only their own columns)."""
    wh = Warehouse()
    for name, df in tables.items():
        wh.con.register("_t", df)
        cols = ", ".join(f'"{c}"' for c in df.columns)
        wh.con.execute(f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM _t')
        wh.con.unregister("_t")
    return wh
