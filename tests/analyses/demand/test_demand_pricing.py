"""Counterfactual pricing: costs from the FOCs against planted costs, the FOC at equilibrium prices, and the 国补
cost-shift equivalence checked by differentiating firms' list-price profits numerically.

The market is simulated by pyblp itself (``Simulation.replace_endogenous``: Bertrand–Nash prices at planted costs),
so the planted costs are known; the twin sets its prices by schedule, not by Bertrand, and has no planted costs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyblp
import pytest

from upmarket.analyses.demand.pricing import (
    Subsidy,
    config_costs,
    equilibrium_prices,
    recovered_costs,
    shares_at,
)
from upmarket.analyses.demand.spec import Spec, fit_spec

ALPHA = 1.0  # per 1000 CNY: prices are in 1000 CNY as in the demand model


@pytest.fixture(scope="module")
def bertrand_market():
    """80 markets × 10 products of 4 firms; prices are the Nash equilibrium at planted costs (1000 CNY)."""
    pyblp.options.verbose = False
    ids = pyblp.build_id_data(T=80, J=10, F=4)
    rng = np.random.default_rng(3)
    n = len(ids.market_ids)
    data = {"market_ids": ids.market_ids.ravel(), "firm_ids": ids.firm_ids.ravel(),
            "x": rng.uniform(0, 3, n), "w": rng.uniform(0, 2, n)}
    sim = pyblp.Simulation((pyblp.Formulation("1 + prices + x"), None, pyblp.Formulation("1 + x + w")), data,
                           beta=[-3.0, -ALPHA, 0.8], gamma=[0.5, 0.8, 0.6], xi_variance=0.1, omega_variance=0.01,
                           correlation=0.5, seed=2)
    res = sim.replace_endogenous()
    df = pd.DataFrame(pyblp.data_to_dict(res.product_data))
    df["demand_instruments0"] = df["w"]
    df["demand_instruments1"] = df["w"] ** 2
    fit = fit_spec(df, Spec("1 + prices + x"))
    return fit, np.asarray(res.costs).ravel()


def test_costs_from_the_foc_recover_planted_costs(bertrand_market):
    fit, planted = bertrand_market
    assert -fit.beta["prices"] == pytest.approx(ALPHA, rel=0.1)
    markets = list(pd.unique(fit.data["market_ids"]))
    costs = recovered_costs(fit.results, fit.data, markets)
    assert np.corrcoef(costs, planted)[0, 1] > 0.98
    assert np.median(np.abs(costs / planted - 1)) < 0.08
    # a price-independent error would fail this: costs must be well below prices (markup ≈ 1/α(1−s))
    assert np.median(fit.data["prices"] - costs) == pytest.approx(1 / ALPHA, rel=0.15)


def test_equilibrium_prices_at_recovered_costs_are_the_observed_prices(bertrand_market):
    fit, _ = bertrand_market
    markets = list(pd.unique(fit.data["market_ids"]))[:10]
    costs = recovered_costs(fit.results, fit.data, markets)
    p = equilibrium_prices(fit.results, fit.data, markets, costs)
    rows = ~np.isnan(p)
    assert rows.sum() == 100
    np.testing.assert_allclose(p[rows], fit.data["prices"].to_numpy()[rows], atol=1e-8)
    # and higher costs give higher prices
    higher = equilibrium_prices(fit.results, fit.data, markets, np.where(np.isnan(costs), np.nan, costs + 0.5))
    assert (higher[rows] > p[rows]).all()


def test_subsidy_equilibrium_satisfies_the_list_price_foc(bertrand_market):
    """Firms choose list prices; buyers pay list − min(15 %, cap) below the limit. The cost-shift equilibrium
    must be a stationary point of every firm's profit in its own list prices."""
    fit, _ = bertrand_market
    d = fit.data
    m = d["market_ids"].iloc[0]
    rows = np.flatnonzero(d["market_ids"].to_numpy() == m)
    costs = recovered_costs(fit.results, d, [m])
    sub = Subsidy(rate=0.15, cap_cny=300.0, limit_cny=3500.0)  # scaled to this market's prices: all regimes occur
    p0 = d["prices"].to_numpy() * 1000
    regime = sub.regime(p0)
    assert set(regime[rows]) == {0, 1, 2}, np.sort(p0[rows])
    pc = equilibrium_prices(fit.results, d, [m], sub.effective_costs(costs * 1000, regime) / 1000,
                            sub.margin_weights(regime))
    lst = sub.list_price(pc * 1000, regime)
    firms = d["firm_ids"].to_numpy()

    def profit(list_cny: np.ndarray, firm: int) -> float:
        paid = np.select([regime == 0, regime == 1], [list_cny * (1 - sub.rate), list_cny - sub.cap_cny], list_cny)
        s = shares_at(fit.results, d, [m], paid / 1000)
        own = rows[firms[rows] == firm]
        return float(((list_cny - costs * 1000) * s)[own].sum())

    for j in rows:
        h = np.zeros(len(d))
        h[j] = 0.5  # CNY
        grad = (profit(lst + h, firms[j]) - profit(lst - h, firms[j])) / 1.0
        share = fit.results.compute_shares(prices=pc[rows][:, None] , market_id=m).ravel()[j - rows[0]]
        assert abs(grad) < 1e-4 * share, (j, regime[j], grad, share)  # ∂π/∂p_j is a sum of share-sized terms
    # the subsidy lowers what buyers pay and raises what firms charge for eligible products
    elig = rows[regime[rows] < 2]
    assert (pc[elig] * 1000 < p0[elig]).all() and (lst[elig] > p0[elig]).mean() > 0.5


def test_config_costs_are_validated():
    df = pd.DataFrame({"brand": ["A", "B"], "prices": [2.0, 4.0]})
    np.testing.assert_allclose(config_costs(df, {"A": 0.5, "B": 0.25}), [1.0, 1.0])
    with pytest.raises(ValueError, match="no entry for brand"):
        config_costs(df, {"A": 0.5})
    with pytest.raises(ValueError, match="between 0 and 1"):
        config_costs(df, 1.2)


def test_pricing_counterfactuals_on_a_demand_fit():
    """The analysis-level entry point on a DemandModel fit: FOC costs reproduce prices; config costs are used and
    move prices toward them; the subsidy with prices held raises units and lowers what buyers pay."""
    from test_demand import planted_market

    from upmarket.analyses.demand import DemandModel, pricing_counterfactuals

    fit = DemandModel(kind="logit", characteristics=("camera",), fixed_effects="none").fit(
        planted_market(7, n_markets=24), instruments=False)
    table, sku, summ = pricing_counterfactuals(fit, focal="Xiaomi")
    assert summ["period"] == "2024Q4" and summ["markets"] == 6
    assert summ["max_abs_price_gap_cny"] < 1e-6
    t = table.set_index("scenario")
    assert t.loc["国补, prices held", "units_change"] > t.loc["国补, firms re-optimise", "units_change"] > 0
    assert t.loc["国补, prices held", "mean_paid_cny"] < t.loc["observed", "mean_paid_cny"]
    cheap, _, s2 = pricing_counterfactuals(fit, focal="Xiaomi", cost_ratio=0.2)
    assert s2["costs"].startswith("config") and s2["max_abs_price_gap_cny"] > 1.0
    # much lower costs than the FOC implies: profit-maximising prices fall and units rise
    c = cheap.set_index("scenario")
    assert c.loc["profit-maximising at costs", "mean_paid_cny"] < c.loc["observed", "mean_paid_cny"]
    assert c.loc["profit-maximising at costs", "units_change"] > 0
    assert {"cost_cny", "cost_foc_cny", "paid_cny[observed]"} <= set(sku.columns)
