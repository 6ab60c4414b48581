"""FE-IV: product × period effects absorb a national demand shock that drives national prices; regional price
deviations identify the price coefficient, and the second stage recovers the brand premia (the twin's definition)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.demand import DemandModel, admissible, choose, fe_coverage

ALPHA = 0.8
BRAND_U = {"Redmi": 0.0, "Xiaomi": 0.5, "Apple": 1.6}


def planted_fe_market(seed: int = 0, n_periods: int = 6, n_regions: int = 8, per_brand: int = 4,
                      regional_sd: float = 0.05) -> pd.DataFrame:
    """Logit rows (period × region × model): ξ_jt national and pushed into national prices; regional prices move
    by independent local shocks only."""
    rng = np.random.default_rng(seed)
    models = pd.DataFrame([{"brand": b, "model": f"{b} {k}", "camera": rng.normal(8, 1),
                            "base": {"Redmi": 1.5, "Xiaomi": 3.5, "Apple": 6.0}[b] + 0.3 * k}
                           for b in BRAND_U for k in range(per_brand)])
    rows = []
    for t in range(n_periods):
        xi = rng.normal(0, 0.4, len(models))
        p_nat = models["base"].to_numpy() * np.exp(0.25 * xi)  # demand shocks raise national prices: endogenous
        for r in range(n_regions):
            z = rng.normal(0, regional_sd, len(models))
            rows.append(models.assign(period=f"P{t}", region=f"R{r}", xi=xi,
                                      prices=p_nat * np.exp(-z)))
    df = pd.concat(rows, ignore_index=True)
    df["market_ids"] = df["period"] + "|" + df["region"]
    df["product_key"] = df["model"] + "|x"
    df["band"] = np.where(df["base"] > 4, "hi", "lo")
    delta = -3.0 + df["brand"].map(BRAND_U) + 0.2 * df["camera"] - ALPHA * df["prices"] + df["xi"]
    e = np.exp(delta)
    df["shares"] = e / (1 + e.groupby(df["market_ids"]).transform("sum"))
    df["potential_units"] = 1e7
    df["units"] = (df["shares"] * 1e7).round()
    df["prices_cny"] = df["prices"] * 1000
    return df


def identified_premium(df: pd.DataFrame) -> pd.Series:
    """The twin's truth definition: (β_b + mean ξ over the brand's rows − Redmi's) / α, CNY."""
    u = df["brand"].map(BRAND_U) + df["xi"]
    v = u.groupby(df["brand"]).mean()
    return (v - v["Redmi"]) / ALPHA * 1000


def test_fe_iv_recovers_alpha_where_characteristic_iv_is_biased():
    df = planted_fe_market()
    assert fe_coverage(df) == 1.0
    fe = DemandModel(kind="logit", characteristics=("camera",)).fit(df)
    assert fe.fixed_effects == "product_period" and "C(product_period)" in fe.absorb
    assert fe.price_coef_ == pytest.approx(ALPHA, rel=0.05)
    # the same data with characteristic IV and brand dummies: ξ is in national prices, so α is biased toward zero
    char = DemandModel(kind="logit", characteristics=("camera",), fixed_effects="period").fit(df)
    assert abs(char.price_coef_ - ALPHA) > 3 * abs(fe.price_coef_ - ALPHA)
    fs = fe.first_stage()
    assert fs["F"] > 100 and 0 < fs["partial_r2"] <= 1


def test_second_stage_recovers_the_identified_brand_premium():
    df = planted_fe_market(1)
    fit = DemandModel(kind="logit", characteristics=("camera",)).fit(df)
    want = identified_premium(df)
    got = fit.brand_premium_
    for b in ("Xiaomi", "Apple"):
        assert got[b] == pytest.approx(want[b], rel=0.10)
    assert got["Redmi"] == 0.0
    second = fit.coefficient_table()
    assert (second["stage"].str.startswith("second stage")).sum() == 4  # const, 2 brands, camera


def test_auto_rule_falls_back_to_characteristic_iv_with_one_region():
    df = planted_fe_market(2, n_regions=1, n_periods=24)
    assert fe_coverage(df) == 0.0
    assert DemandModel().resolve_fixed_effects(df) == "period"
    assert DemandModel(period_effects=False).resolve_fixed_effects(df) == "none"


def test_no_regional_price_variation_is_a_clear_error():
    df = planted_fe_market(3, regional_sd=0.0)
    with pytest.raises(ValueError, match="no product's price varies across regions"):
        DemandModel(kind="logit", characteristics=("camera",)).fit(df)


def test_choice_rule_drops_an_insignificant_random_coefficient():
    """A plain logit world: the RC model's σ is not significant, so the rule reports the logit or nested fit."""
    df = planted_fe_market(4, n_periods=4, n_regions=6)
    fits = {k: DemandModel(kind=k, characteristics=("camera",), integration_size=5).fit(df)
            for k in ("logit", "nested", "rc")}
    ok, why = admissible(fits["rc"])
    assert not ok and "not significant" in why, (fits["rc"].params_, fits["rc"].sigma_z_)
    kind, notes = choose(fits)
    assert kind in ("logit", "nested")
    assert any("rc model rejected" in n for n in notes)
    assert fits["logit"].price_coef_ == pytest.approx(ALPHA, rel=0.08)
