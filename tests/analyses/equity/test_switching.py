"""Switching counted exactly from a hand-made panel, and the estimators' arithmetic."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.equity.switching import (
    count_matrix,
    group_flows,
    loyalty_by,
    steady_state,
    switching,
    transition_counts,
)

# Eight owners, eleven phone changes, written so every count can be checked by eye.
DEVICE_HISTORY = pd.DataFrame([
    ("u1", "2024-01-05", "Xiaomi", "Xiaomi"), ("u1", "2024-09-01", "Xiaomi", "Redmi"),
    ("u2", "2024-02-01", "Xiaomi", "Apple"),
    ("u3", "2024-03-01", "Redmi", "Xiaomi"), ("u3", "2025-01-01", "Xiaomi", "Xiaomi"),
    ("u4", "2024-04-01", "Apple", "Apple"), ("u4", "2025-02-01", "Apple", "Apple"),
    ("u5", "2024-05-01", "Huawei", "Xiaomi"),
    ("u6", "2024-06-01", "Apple", "Huawei"),
    ("u7", "2024-07-01", "Redmi", "Redmi"),
    ("u8", "2024-08-01", "Huawei", "Huawei"),
], columns=["user_id", "date", "from_brand", "to_brand"])
USERS = pd.DataFrame({"user_id": [f"u{i}" for i in range(1, 9)],
                      "city_tier": ["tier1", "tier1", "tier3", "tier1", "tier3", "tier3", None, "tier1"]})


@pytest.fixture
def con():
    c = duckdb.connect()
    c.register("device_history", DEVICE_HISTORY)
    c.register("users", USERS)
    yield c
    c.close()


def test_matrix_is_counted_exactly(con):
    counts = transition_counts(con)
    m = count_matrix(counts, ["Xiaomi", "Redmi", "Apple", "Huawei"])
    expected = np.array([
        # to: Xiaomi Redmi Apple Huawei
        [2, 1, 1, 0],   # from Xiaomi: u1 stays, u1 → Redmi, u2 → Apple, u3 stays
        [1, 1, 0, 0],   # from Redmi: u3 → Xiaomi, u7 stays
        [0, 0, 2, 1],   # from Apple: u4 stays twice, u6 → Huawei
        [1, 0, 0, 1],   # from Huawei: u5 → Xiaomi, u8 stays
    ])
    np.testing.assert_array_equal(m.to_numpy(), expected)
    sw = switching(counts, ["Xiaomi", "Redmi", "Apple", "Huawei"], draws=200)
    b = sw["brands"].set_index("brand")
    assert b.loc["Xiaomi", "loyalty"] == 0.5 and b.loc["Apple", "loyalty"] == pytest.approx(2 / 3)
    assert (b.loc["Xiaomi", "inflow"], b.loc["Xiaomi", "outflow"], b.loc["Xiaomi", "net_flow"]) == (2, 2, 0)
    assert (b.loc["Huawei", "inflow"], b.loc["Huawei", "outflow"], b.loc["Huawei", "net_flow"]) == (1, 1, 0)
    assert (b.loc["Apple", "inflow"], b.loc["Apple", "outflow"]) == (1, 1)
    assert (b["loyalty_low"] <= b["loyalty"]).all() and (b["loyalty"] <= b["loyalty_high"]).all()
    assert b["steady_state_share"].sum() == pytest.approx(1.0)
    flows = sw["flows"].set_index(["brand", "rival"])
    assert flows.loc[("Xiaomi", "Huawei"), "net_from_rival"] == 1  # u5 came from Huawei, nobody went there


def test_sub_brand_flows_are_separate(con):
    f = group_flows(transition_counts(con), "Xiaomi", ("Redmi",)).iloc[0]
    assert (f.focal_to_sub, f.sub_to_focal, f.net_to_focal) == (1, 1, 0)
    assert f.focal_leavers_to_sub == 0.5  # of Xiaomi's 2 leavers, 1 went to Redmi
    assert f.sub_leavers_to_focal == 1.0
    assert f.group_retention == pytest.approx(5 / 6)  # 6 changes from the group, 5 land in it


def test_loyalty_by_tier_counts_and_min_n(con):
    by = transition_counts(con, by="city_tier")
    assert by["n"].sum() == len(DEVICE_HISTORY)
    assert set(by["city_tier"]) == {"tier1", "tier3", "unknown"}
    t, thin = loyalty_by(by, "city_tier", min_n=2)
    row = t.set_index(["city_tier", "brand"]).loc[("tier1", "Apple")]
    assert (row["changes_from"], row["stayed"], row["loyalty"]) == (2, 2, 1.0)
    assert np.isnan(t.set_index(["city_tier", "brand"]).loc[("tier3", "Huawei"), "loyalty"])  # one change only
    assert any("tier3" in s for s in thin)


def test_repeat_purchases_from_orders():
    c = duckdb.connect()
    c.register("orders", pd.DataFrame({"order_id": ["o1", "o2", "o3", "o4"], "user_id": ["a", "a", "a", "b"],
                                       "ts": pd.to_datetime(["2024-01-01", "2024-06-01", "2025-01-01", "2024-01-01"]),
                                       "sku_id": ["x1", "x2", "r1", "x1"]}))
    c.register("products", pd.DataFrame({"sku_id": ["x1", "x2", "r1"], "brand": ["Xiaomi", "Xiaomi", "Redmi"]}))
    counts = transition_counts(c, source="orders").set_index(["from_brand", "to_brand"])["n"]
    assert counts.to_dict() == {("Xiaomi", "Xiaomi"): 1, ("Xiaomi", "Redmi"): 1}


def test_steady_state_of_a_known_chain():
    p = np.array([[0.9, 0.1], [0.3, 0.7]])
    np.testing.assert_allclose(steady_state(p), [0.75, 0.25])
