"""The Dirichlet fitted to purchase panels that follow it: planted K and S recovered, predictions match the panel."""

from __future__ import annotations

import numpy as np
import pytest

from upmarket.analyses.equity.panel import dirichlet_table, double_jeopardy, duplication
from upmarket.twin.loyalty import simulate_dirichlet_panel

SHARES = {"Xiaomi": 0.18, "Redmi": 0.12, "Huawei": 0.22, "Apple": 0.2, "OPPO": 0.12, "vivo": 0.1, "Honor": 0.06}


@pytest.mark.parametrize("M, K, S, seed", [
    (1.5, 0.8, 1.3, 0), (1.5, 0.8, 1.3, 1),   # grocery-like: the toothpaste's M, K, S
    (0.6, 1.5, 2.5, 2), (0.6, 1.5, 2.5, 3),   # phone-like: most people buy none or one in the span
])
def test_planted_dirichlet_recovered(M, K, S, seed):
    rng = np.random.default_rng(seed)
    n = 60_000
    panel = simulate_dirichlet_panel(n, rng, M, K, S, SHARES)
    table, fit, _ = dirichlet_table(panel, n)
    # over seeds 0..3: M within 2 %, K within 2 %, S within 8 % (S rests on 7 brands' penetrations)
    assert abs(fit.M / M - 1) < 0.04
    assert abs(fit.K / K - 1) < 0.05
    assert abs(fit.S / S - 1) < 0.12
    # a panel that follows the model shows no excess loyalty beyond sampling noise
    assert np.abs(table["penetration"] - table["penetration_obs"]).max() < 0.01
    assert np.abs(table["excess_sole_loyal"]).max() < 0.05
    assert np.abs(table["excess_scr"]).max() < 0.05
    assert double_jeopardy(table) > 0.5  # smaller brands: fewer buyers who buy them less often
    dup = duplication(panel, fit)
    assert np.abs(dup["duplication_obs"] - dup["duplication"]).max() < 0.03  # the duplication-of-purchase law


def test_excess_loyalty_is_found_where_planted():
    """A brand whose buyers are made more loyal than the Dirichlet allows shows positive excess loyalty."""
    rng = np.random.default_rng(9)
    n = 60_000
    panel = simulate_dirichlet_panel(n, rng, 1.5, 0.8, 1.3, SHARES)
    # every multi-brand buyer of Apple moves their other purchases to Apple: Apple's buyers turn sole-loyal
    apple_buyers = set(panel.loc[panel["brand"] == "Apple", "user_id"])
    moved = panel["user_id"].isin(apple_buyers) & (panel["brand"] != "Apple")
    extra = panel[moved].groupby("user_id")["units"].sum()
    panel = panel[~moved].copy()
    panel.loc[panel["brand"] == "Apple", "units"] += panel.loc[panel["brand"] == "Apple", "user_id"].map(
        extra).fillna(0).astype(int)
    table, _, _ = dirichlet_table(panel, n)
    row = table.set_index("brand").loc["Apple"]
    assert row["sole_loyal_obs"] == 1.0 and row["excess_sole_loyal"] > 0.2
