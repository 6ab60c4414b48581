"""Warehouse.column_present: a column counts when some row has a value; the answer follows the data."""

import pandas as pd

from upmarket.warehouse import Warehouse


def test_column_present_follows_each_load() -> None:
    with Warehouse() as wh:
        assert not wh.column_present("market_size", "potential_units"), "no rows: no value"
        wh.load_frame("market_size", pd.DataFrame({"period": ["2024"], "region": ["CN"], "potential_units": ["1"]}))
        assert wh.column_present("market_size", "potential_units"), "a load must not be answered from before it"
        assert not wh.column_present("market_size", "no_such_column")
