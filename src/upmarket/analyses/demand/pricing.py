"""Counterfactual pricing with pyblp's equilibrium tools: marginal costs, profit-maximising prices, the 国补 subsidy.

* **Costs** — recovered from the Bertrand–Nash first-order conditions of multi-product firms
  (``ProblemResults.compute_costs``; a firm is ``products.maker``, so Xiaomi prices Redmi jointly), or given in
  config as a share of price (``[demand] cost_ratio``: one number, or ``{brand = ratio}``).
* **Profit-maximising prices** — ``ProblemResults.compute_prices`` (the ζ-markup fixed point of Morrow–Skerlos)
  at those costs. With FOC-recovered costs they reproduce the observed prices (a consistency check reported as
  ``max_abs_price_gap_cny``); with config costs they are what the firms would charge.
* **国补 (national trade-in subsidy for phones, 2025 rule, ``contract.codes.NATIONAL_SUBSIDY``)** — a buyer pays
  the list price less 15 %, at most 500 CNY, when the list price is at or below 6000 CNY. Two scenarios: *prices
  held* (full pass-through: consumers pay p − s(p)) and *firms re-optimise*. For the latter the subsidy is a
  cost shift in consumer-price space: with
  p_c = 0.85·p (list price below 3333 CNY) a product's margin is (p_c − 0.85·c)/0.85, so it is priced as if its
  cost were 0.85·c and its margin counted 1/0.85 times; with p_c = p − 500 (3333–6000 CNY) as if its cost were
  c − 500; above the limit nothing changes. A multi-product firm with products in different regimes weighs their
  margins differently, which pyblp's ``compute_prices`` takes as a weighted ownership matrix (O_kj·w_j/w_k); it
  gives the equilibrium consumer prices, and list = p_c/0.85 or p_c + 500.
  Eligibility is fixed at the observed list price (no bunching at 5999 CNY is modelled); rows whose equilibrium
  list price leaves its regime are counted in ``regime_switchers``.

The scenarios run on the markets of one period: by default the latest before 2025, because prices observed from
2025-01-20 on already include the subsidy (``[demand] counterfactual_period`` overrides; from 2025 on the analysis
warns that the subsidy would be counted twice).

Premium share = units at a paid price ≥ ``PREMIUM_THRESHOLD_CNY`` (4000) over inside units, as the trackers
define premium by selling price.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from upmarket.analyses.demand.data import PRICE_UNIT
from upmarket.contract import PREMIUM_THRESHOLD_CNY
from upmarket.contract.codes import NATIONAL_SUBSIDY, NationalSubsidy


@dataclass(frozen=True)
class Subsidy(NationalSubsidy):
    """The national subsidy rule (``amount``, ``eligible``; defaults = the 2025 rule) with what the equilibrium
    re-pricing needs: which regime a list price is in and the costs and margin weights firms price against."""

    def regime(self, list_cny: np.ndarray) -> np.ndarray:
        """0 = proportional (rate·p below the cap), 1 = capped (flat cap), 2 = not eligible."""
        return np.where(list_cny > self.limit_cny, 2, np.where(self.rate * list_cny < self.cap_cny, 0, 1))

    def effective_costs(self, costs_cny: np.ndarray, regime: np.ndarray) -> np.ndarray:
        """The costs a firm prices against in consumer-price space (module docstring)."""
        return np.select([regime == 0, regime == 1], [(1 - self.rate) * costs_cny, costs_cny - self.cap_cny],
                         costs_cny)

    def margin_weights(self, regime: np.ndarray) -> np.ndarray:
        """How one CNY of consumer-price margin counts in list-price profit: 1/(1 − rate) when proportional."""
        return np.where(regime == 0, 1.0 / (1.0 - self.rate), 1.0)

    def list_price(self, consumer_cny: np.ndarray, regime: np.ndarray) -> np.ndarray:
        return np.select([regime == 0, regime == 1], [consumer_cny / (1 - self.rate), consumer_cny + self.cap_cny],
                         consumer_cny)


def _market_rows(data: pd.DataFrame, markets: list[Any]) -> list[np.ndarray]:
    ids = data["market_ids"].to_numpy()
    return [np.flatnonzero(ids == m) for m in markets]


def recovered_costs(results: Any, data: pd.DataFrame, markets: list[Any]) -> np.ndarray:
    """Marginal costs (in the model's price unit) implied by the FOCs in ``markets``, stacked in row order."""
    out = np.full(len(data), np.nan)
    for m, rows in zip(markets, _market_rows(data, markets), strict=True):
        out[rows] = np.asarray(results.compute_costs(market_id=m)).ravel()
    return out


def equilibrium_prices(results: Any, data: pd.DataFrame, markets: list[Any], costs: np.ndarray,
                       weights: np.ndarray | None = None) -> np.ndarray:
    """Bertrand–Nash prices at ``costs`` (full-length array, model price unit) in ``markets`` (NaN elsewhere).

    ``weights`` w_j (default 1) scale each product's margin in its firm's profit, Σ_j w_j (p_j − c_j) s_j. Dividing
    product k's first-order condition by w_k gives pyblp's own FOC with the ownership matrix O_kj · w_j / w_k, so
    pyblp's ζ-markup iteration still applies (used for the 国补, where w = 1/0.85 on proportionally subsidised
    products and 1 elsewhere).
    """
    out = np.full(len(data), np.nan)
    firms = data["firm_ids"].to_numpy() if "firm_ids" in data else None
    for m, rows in zip(markets, _market_rows(data, markets), strict=True):
        kwargs: dict[str, Any] = {}
        if weights is not None and not np.allclose(weights[rows], weights[rows][0]):
            if firms is None:
                raise ValueError("margin weights need firm_ids in the demand data")
            f, w = firms[rows], weights[rows]
            kwargs["ownership"] = (f[:, None] == f[None, :]) * (w[None, :] / w[:, None])
        p = results.compute_prices(costs=costs[rows][:, None], market_id=m, **kwargs)
        out[rows] = np.asarray(p).ravel()
    return out


def shares_at(results: Any, data: pd.DataFrame, markets: list[Any], prices: np.ndarray) -> np.ndarray:
    """Model shares at ``prices`` (δ moves with the price term; ξ and everything else held)."""
    out = np.full(len(data), np.nan)
    for m, rows in zip(markets, _market_rows(data, markets), strict=True):
        out[rows] = np.asarray(results.compute_shares(prices=prices[rows][:, None], market_id=m)).ravel()
    return out


def config_costs(data: pd.DataFrame, cost_ratio: float | dict[str, float]) -> np.ndarray:
    """Costs (model price unit) as a share of the observed price, one ratio or one per brand."""
    if isinstance(cost_ratio, dict):
        missing = sorted(set(data["brand"]) - set(cost_ratio))
        if missing:
            raise ValueError(f"[demand] cost_ratio has no entry for brand(s) {', '.join(missing)}")
        ratio = data["brand"].map(cost_ratio).to_numpy(float)
    else:
        ratio = np.full(len(data), float(cost_ratio))
    if not ((ratio > 0) & (ratio < 1)).all():
        raise ValueError("[demand] cost_ratio must be strictly between 0 and 1 (marginal cost / price)")
    return ratio * data["prices"].to_numpy(float)


SUBSIDY_FIRST_YEAR = NATIONAL_SUBSIDY.start.year
"""The phone 国补 started on 2025-01-20: prices observed from 2025 on already include it."""


def default_period(periods: pd.Series) -> str:
    """The latest period before the 国补 (its label starts with a year before 2025), else the latest period: the
    scenario adds the subsidy to prices that do not include it yet."""
    labels = sorted(pd.unique(periods.astype(str)))
    before = [p for p in labels if p[:4].isdigit() and int(p[:4]) < SUBSIDY_FIRST_YEAR]
    return before[-1] if before else labels[-1]


def pricing_counterfactuals(fit: Any, *, focal: str, period: str | None = None,
                            cost_ratio: float | dict[str, float] | None = None,
                            subsidy: Subsidy | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Scenarios for the markets of ``period`` (default: :func:`default_period`): observed, profit-maximising
    prices at the costs, 国补 with prices held, 国补 with firms re-optimising.

    Returns (scenario table, product-market table with costs and prices per scenario, summary numbers).
    """
    d = fit.data
    r = fit.results
    sub = subsidy or Subsidy()
    period = period or default_period(d["period"])
    in_p = (d["period"] == period).to_numpy()
    markets = list(pd.unique(d.loc[in_p, "market_ids"]))
    p0 = d["prices"].to_numpy(float)
    size = d["potential_units"].to_numpy(float)
    source = "first-order conditions (Bertrand–Nash, firms = maker)"
    c_fo = recovered_costs(r, d, markets)
    costs = c_fo if cost_ratio is None else config_costs(d, cost_ratio)
    if cost_ratio is not None:
        source = f"config [demand] cost_ratio = {cost_ratio}"
    p_eq = equilibrium_prices(r, d, markets, costs)
    p0_cny, c_cny = p0 * PRICE_UNIT, costs * PRICE_UNIT
    regime = sub.regime(p0_cny)
    held_cny = p0_cny - sub.amount(p0_cny)
    eff = sub.effective_costs(c_cny, regime) / PRICE_UNIT
    # consumer prices under the subsidy, firms re-optimising
    pc_eq = equilibrium_prices(r, d, markets, eff, sub.margin_weights(regime))
    # the re-optimising baseline is the equilibrium at the same costs (= observed with FOC costs)
    list_eq_cny = sub.list_price(pc_eq * PRICE_UNIT, regime)
    switch = int((sub.regime(list_eq_cny[in_p]) != regime[in_p]).sum())
    scen = {
        "observed": (p0, p0_cny),
        "profit-maximising at costs": (p_eq, p_eq * PRICE_UNIT),
        "国补, prices held": (held_cny / PRICE_UNIT, p0_cny),
        "国补, firms re-optimise": (pc_eq, list_eq_cny),
    }
    brand = d["brand"].to_numpy()
    rows, sku = [], d.loc[in_p, ["market_ids", "brand", "model", "band"]].copy()
    sku["cost_cny"] = c_cny[in_p]
    sku["cost_foc_cny"] = c_fo[in_p] * PRICE_UNIT
    for name, (pc, lst) in scen.items():
        s = shares_at(r, d, markets, pc) if name != "observed" else d["shares"].to_numpy(float)
        units = (s * size)[in_p]
        paid = np.round(pc[in_p] * PRICE_UNIT, 2)  # FOC round trips land within 1e-9 of a band edge
        inside = units.sum()
        pot = size[in_p][np.unique(d.loc[in_p, "market_ids"].to_numpy(), return_index=True)[1]].sum()
        rows.append({
            "scenario": name, "units": inside, "inside_share": inside / pot,
            "premium_share": units[paid >= PREMIUM_THRESHOLD_CNY].sum() / inside,
            f"{focal}_share": units[brand[in_p] == focal].sum() / inside,
            "mean_paid_cny": float((units * paid).sum() / inside),
            "mean_list_cny": float((units * lst[in_p]).sum() / inside),
            "variable_profit_cny": float((units * (lst[in_p] - c_cny[in_p])).sum()),
        })
        sku[f"paid_cny[{name}]"] = paid
        sku[f"units[{name}]"] = units
    table = pd.DataFrame(rows)
    base = table.iloc[0]
    table["units_change"] = table["units"] / base["units"] - 1
    table["premium_share_change_pp"] = (table["premium_share"] - base["premium_share"]) * 100
    margin = (p0_cny - c_cny)[in_p] / p0_cny[in_p]
    summary = {"period": period, "markets": len(markets), "costs": source,
               "median_margin": float(np.median(margin)),
               "negative_costs": int((c_cny[in_p] <= 0).sum()),
               "max_abs_price_gap_cny": float(np.nanmax(np.abs(p_eq - p0)[in_p]) * PRICE_UNIT),
               "regime_switchers": switch,
               "subsidy": {"rate": sub.rate, "cap_cny": sub.cap_cny, "limit_cny": sub.limit_cny}}
    return table, sku, summary
