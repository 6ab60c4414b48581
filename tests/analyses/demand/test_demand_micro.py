"""Micro data for micro-BLP: buyer demographics by brand from users × orders × products, and the thin-data warning."""

from __future__ import annotations

import pandas as pd
import pytest

from upmarket.analyses.demand import load_micro_data
from upmarket.warehouse import Warehouse


def _warehouse(n_orders: int = 30, with_orders: bool = True) -> Warehouse:
    wh = Warehouse()
    wh.load_frame("products", pd.DataFrame({"sku_id": ["a", "b"], "brand": ["Apple", "Redmi"], "model": ["i16", "R14"],
                                            "list_price": [5999.0, 1499.0]}), "products.test")
    users = pd.DataFrame({"user_id": ["u1", "u2", "u3", "u4"], "city_tier": ["tier1", "new_tier1", "tier5", "tier3"],
                          "age_band": ["18-24", "35-44", "55+", ""], "gender": ["f", "m", "m", "f"]})
    wh.load_frame("users", users, "users.test")
    if with_orders:
        # u1 (tier 0, young) buys Apple, u2 (tier 1) buys Apple twice as many units, u3 (tier 5) and u4 buy Redmi
        rows = [{"order_id": f"o{i}", "ts": "2024-03-01 10:00:00", "user_id": u, "platform": "jd", "sku_id": s,
                 "units": k, "price_paid": p}
                for i, (u, s, k, p) in enumerate([("u1", "a", 1, 5800.0), ("u2", "a", 2, 5900.0),
                                                  ("u3", "b", 1, 1400.0), ("u4", "b", 1, 1450.0)] * (n_orders // 4))]
        wh.load_frame("orders", pd.DataFrame(rows), "orders.test")
    return wh


def test_buyer_means_by_brand_are_unit_weighted_and_skip_users_without_age():
    micro = load_micro_data(_warehouse(40))
    assert micro is not None
    means = micro.brand_means()
    assert means.loc["Apple", "tier"] == pytest.approx((0 * 1 + 1 * 2) / 3)
    assert means.loc["Apple", "young"] == pytest.approx(1 / 3)
    assert means.loc["Redmi", "tier"] == pytest.approx(5.0)  # u4 has no age band: left out
    assert means.loc["Redmi", "orders"] == 10
    assert set(micro.users.columns) >= {"region", "tier", "young"} and len(micro.users) == 3
    assert micro.buyers["price"].max() == pytest.approx(5.9)  # 1000 CNY, as the model's prices


def test_thin_micro_data_is_warned_and_missing_orders_mean_no_micro_data():
    micro = load_micro_data(_warehouse(40))
    assert any(w.startswith("thin micro data") and "Apple (20)" in w for w in micro.warnings)
    assert load_micro_data(_warehouse(with_orders=False)) is None
