"""Warehouse.memo: shared intermediates are computed once per state of the data."""

import pandas as pd

from upmarket.warehouse import Warehouse


def test_memo_computes_once_and_forgets_after_a_load() -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    with Warehouse() as wh:
        assert wh.memo("k", compute) == 1
        assert wh.memo("k", compute) == 1, "second call must reuse the first result"
        assert wh.memo("other", compute) == 2
        wh.load_frame("market_size", pd.DataFrame({"period": ["2024"], "region": ["CN"], "potential_units": ["1"]}))
        assert wh.memo("k", compute) == 3, "new data: the memo must not serve the old result"
