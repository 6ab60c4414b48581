"""Demand wrapper: planted logit / nested parameters are recovered; bad input gives clear messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.demand import DemandDataError, DemandModel, admissible, choose, load_demand_data
from upmarket.warehouse import Warehouse

ALPHA, BRANDS = 1.5, ("Redmi", "Xiaomi", "Apple")
PREMIUM = {"Redmi": 0.0, "Xiaomi": 0.6, "Apple": 1.5}  # utility; premium CNY = u / ALPHA * 1000


def planted_market(seed: int = 0, n_markets: int = 60, per_brand: int = 4, endogenous: bool = True) -> pd.DataFrame:
    """A logit market with a planted price coefficient, brand intercepts and a cost-shifter instrument."""
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(n_markets):
        for b in BRANDS:
            for k in range(per_brand):
                rows.append({"market_ids": f"m{t}", "period": f"2024Q{t % 4 + 1}", "region": f"r{t // 4}",
                             "brand": b, "model": f"{b} {k}", "band": "x", "camera": rng.normal(8, 1)})
    df = pd.DataFrame(rows)
    xi = rng.normal(0, 0.3, len(df))
    z = rng.normal(0, 1, len(df))
    df["prices"] = 2.0 + 0.6 * z + (0.5 * xi if endogenous else 0) + rng.normal(0, 0.1, len(df))
    delta = -4.0 + df["brand"].map(PREMIUM) + 0.3 * df["camera"] - ALPHA * df["prices"] + xi
    e = np.exp(delta)
    df["shares"] = e / (1 + e.groupby(df["market_ids"]).transform("sum"))
    df["potential_units"] = 1e6
    df["units"] = (df["shares"] * 1e6).round()
    df["prices_cny"] = df["prices"] * 1000
    df["demand_instruments0"] = z
    return df


def test_logit_recovers_planted_price_coefficient_and_premium():
    fit = DemandModel(kind="logit", characteristics=("camera",), fixed_effects="none").fit(
        planted_market(), instruments=False)
    assert fit.price_coef_ == pytest.approx(ALPHA, rel=0.08)
    prem = fit.brand_premium_
    for b in ("Xiaomi", "Apple"):
        assert prem[b] == pytest.approx(PREMIUM[b] / ALPHA * 1000, abs=150)
    # own elasticity of a logit is -alpha p (1 - s): check the brand means against that formula
    d = fit.data
    want = (-ALPHA * d["prices"] * (1 - d["shares"]) * d["units"]).groupby(d["brand"]).sum() / d.groupby("brand")[
        "units"].sum()
    assert (fit.brand_elasticity_ - want).abs().max() < 0.15 * want.abs().max()
    assert admissible(fit)[0]


def test_diversion_rows_sum_to_one_and_match_logit_share_ratio():
    fit = DemandModel(kind="logit", characteristics=("camera",), fixed_effects="none").fit(
        planted_market(1), instruments=False)
    div = fit.diversion_
    assert np.allclose(div.sum(axis=1, skipna=True), 1.0, atol=1e-8)
    assert (div.fillna(0) >= 0).all().all()
    # in a logit, diversion between brands is proportional to their shares: Apple (highest intercept) gets most
    assert div.loc["Redmi", "Apple"] > div.loc["Redmi", "Xiaomi"]


def test_ols_bias_is_visible_without_instrument():
    """Price correlated with xi: using price as its own instrument biases alpha toward zero (the test can fail)."""
    df = planted_market(2)
    df["demand_instruments0"] = df["prices"]
    fit = DemandModel(kind="logit", characteristics=("camera",), fixed_effects="none").fit(df, instruments=False)
    assert fit.price_coef_ < ALPHA - 0.08  # OLS bias here is about -0.11


def test_intervals_cover_estimate():
    fit = DemandModel(kind="logit", characteristics=("camera",), fixed_effects="none").fit(
        planted_market(3, n_markets=30), instruments=False)
    ci = fit.figure_intervals(draws=10)
    el = fit.brand_elasticity_
    assert ((ci["price_elasticity"]["low"] <= el + 1e-9) & (el <= ci["price_elasticity"]["high"] + 1e-9)).all()
    assert (ci["brand_premium_cny"].loc["Apple", "low"] < ci["brand_premium_cny"].loc["Apple", "high"])


def test_choice_rule_rejects_wrong_sign():
    df = planted_market(4)
    df["prices"] = -df["prices"] + 6  # demand now rises with price
    fit = DemandModel(kind="logit", characteristics=("camera",), fixed_effects="none").fit(df, instruments=False)
    ok, why = admissible(fit)
    assert not ok and "wrong sign" in why
    kind, notes = choose({"logit": fit})
    assert kind == "logit" and any("not credible" in n for n in notes)


# ------------------------------------------------------------------ bad input
def test_zero_share_row_is_refused_by_the_model():
    df = planted_market(5, n_markets=8)
    df.loc[3, "shares"] = 0.0
    with pytest.raises(DemandDataError, match=r"zero share or no price, e\.g\. row 3"):
        DemandModel(characteristics=("camera",), fixed_effects="none").fit(df, instruments=False)


def test_collinear_characteristic_is_dropped_with_warning():
    df = planted_market(6, n_markets=20)
    df["camera2"] = 2 * df["camera"]
    fit = DemandModel(characteristics=("camera", "camera2"), fixed_effects="none").fit(df, instruments=False)
    assert any("camera2" in w and "collinear" in w for w in fit.warnings)


def _warehouse(units_zero: bool = False, one_region: bool = False, no_price: bool = False) -> Warehouse:
    wh = Warehouse()
    prods = pd.DataFrame({"sku_id": ["a", "b", "c"], "brand": ["Xiaomi", "Redmi", "Apple"],
                          "model": ["X15", "RN14", "i16"], "list_price": [4499.0, 1499.0, 5999.0],
                          "camera_score": [88.0, 70.0, 85.0], "performance_score": [90.0, 60.0, 88.0],
                          "storage_gb": [256, 128, 128]})
    wh.load_frame("products", prods, "products.test")
    rows, sizes = [], []
    regions = ["Beijing"] if one_region else ["Beijing", "Hebei"]
    for q in ("2024Q1", "2024Q2"):
        for r in regions:
            sizes.append({"period": q, "region": r, "potential_units": 1_000_000})
            for m, b, p in (("X15", "Xiaomi", 4300.0), ("RN14", "Redmi", 1400.0), ("i16", "Apple", 5800.0)):
                rows.append({"period": q, "region": r, "brand": b, "model": m, "units": 1000, "avg_price": p})
    sales = pd.DataFrame(rows)
    if units_zero:
        sales.loc[0, "units"] = 0
    if no_price:
        sales.loc[1, "avg_price"] = np.nan
        wh.con.execute("UPDATE products SET list_price = NULL WHERE 1=0")
    wh.load_frame("market_sales", sales, "market_sales.test")
    wh.load_frame("market_size", pd.DataFrame(sizes), "market_size.test")
    return wh


def test_zero_units_row_is_dropped_with_a_message():
    data = load_demand_data(_warehouse(units_zero=True))
    assert len(data.products) == 11
    assert any("fewer than 1 unit" in w for w in data.warnings)


def test_missing_price_falls_back_to_list_price():
    data = load_demand_data(_warehouse(no_price=True))
    assert any("list_price" in w for w in data.warnings)
    row = data.products[(data.products["model"] == "RN14") & (data.products["period"] == "2024Q1")
                        & (data.products["region"] == "Beijing")]
    assert row["prices_cny"].iloc[0] == pytest.approx(1499.0)


def test_single_region_has_no_hausman_instrument():
    from upmarket.analyses.demand.data import add_instruments

    data = load_demand_data(_warehouse(one_region=True))
    _, notes = add_instruments(data.products, ["camera", "performance", "storage"], hausman=True)
    assert any("Hausman prices not" in n for n in notes)


def test_no_market_size_match_is_a_clear_error():
    wh = _warehouse()
    wh.con.execute("UPDATE market_size SET region = 'Mars'")
    with pytest.raises(DemandDataError, match="market_size: no \\(period, region\\) matches"):
        load_demand_data(wh)


def test_row_without_any_price_is_dropped_naming_model_period_region():
    wh = _warehouse(no_price=True)
    wh.con.execute("UPDATE products SET list_price = NULL WHERE model = 'RN14'")
    data = load_demand_data(wh)
    assert len(data.products) == 11
    msg = next(w for w in data.warnings if "no usable price" in w)
    assert "model='RN14'" in msg and "period='2024Q1'" in msg and "region='Beijing'" in msg


def _single_region_warehouse(seed: int = 0) -> Warehouse:
    """24 quarters of one province: a planted logit with camera-differentiated models (no Hausman possible)."""
    rng = np.random.default_rng(seed)
    models = pd.DataFrame([{"brand": b, "model": f"{b} {k}", "camera_score": rng.normal(80, 8),
                            "performance_score": rng.normal(80, 8), "storage_gb": 256,
                            "list_price": {"Redmi": 1500.0, "Xiaomi": 3500.0, "Apple": 6000.0}[b] + 300 * k}
                           for b in BRANDS for k in range(4)])
    wh = Warehouse()
    wh.load_frame("products", models.assign(sku_id=[f"s{i}" for i in range(len(models))]), "products.test")
    rows = []
    for t in range(24):
        q = f"{2020 + t // 4}Q{t % 4 + 1}"
        price = models["list_price"] * np.exp(rng.normal(0, 0.08, len(models)))
        delta = (-4.0 + models["brand"].map(PREMIUM) + 0.03 * models["camera_score"] - ALPHA * price / 1000
                 + rng.normal(0, 0.2, len(models)))
        share = np.exp(delta) / (1 + np.exp(delta).sum())
        rows.append(models[["brand", "model"]].assign(period=q, region="Beijing", units=np.rint(share * 1e7),
                                                      avg_price=price.round(0)))
    sales = pd.concat(rows, ignore_index=True)
    wh.load_frame("market_sales", sales, "market_sales.test")
    wh.load_frame("market_size", pd.DataFrame({"period": sales["period"].unique(), "region": "Beijing",
                                               "potential_units": 10_000_000}), "market_size.test")
    return wh


def test_single_region_dataset_falls_back_to_characteristic_iv_with_a_warning():
    from upmarket.analyses.demand import Demand
    from upmarket.config import Config

    section = Demand().run(_single_region_warehouse(), Config())
    m = section.figures["demand_model"]
    assert m["identification"].startswith("characteristic IV")
    assert m["kind"] in ("logit", "nested")  # rc is off by default without FE-IV
    assert any("weak identification" in w and "0% of the rows" in w for w in section.warnings), section.warnings
    assert set(section.figures["price_elasticity"]["all"]) == set(BRANDS)
