"""Cannibalisation: where a model's lost sales go when its price rises (exact re-solve of shares, not a slope)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from upmarket.analyses.demand.data import PRICE_UNIT

if TYPE_CHECKING:
    from upmarket.analyses.demand.model import DemandResults

OUTSIDE = "outside"


def price_rise(fit: DemandResults, model: str, step_cny: float = 500.0, period: str | None = None) -> pd.Series:
    """Units lost by ``model`` when all its prices rise by ``step_cny`` in ``period`` (default: the latest),
    and where they go: one entry per brand plus ``outside`` (units gained, summed over regions)."""
    d = fit.data
    period = period or sorted(d["period"].unique())[-1]
    in_p = (d["period"] == period).to_numpy()
    hit = in_p & (d["model"] == model).to_numpy()
    if not hit.any():
        raise ValueError(f"model {model!r} has no market_sales rows in {period}")
    prices = d["prices"].to_numpy(float).copy()
    prices[hit] += step_cny / PRICE_UNIT
    base = np.asarray(fit.results.compute_shares()).ravel()
    new = np.asarray(fit.results.compute_shares(prices=prices[:, None])).ravel()
    m = d["potential_units"].to_numpy(float) if "potential_units" in d else np.ones(len(d))
    du = (new - base) * m * in_p
    lost = -du[hit].sum()
    gains = pd.Series(du * ~hit).groupby(d["brand"].to_numpy()).sum()
    gains[OUTSIDE] = lost - gains.sum()
    out = pd.Series({"units_lost": lost, **{f"to_{k}": v for k, v in gains.items()}})
    return out


def cannibalisation_table(fit: DemandResults, models: list[str], step_cny: float = 500.0) -> pd.DataFrame:
    """One row per model: units lost and the share of them going to each brand and outside."""
    rows = []
    for m in models:
        r = price_rise(fit, m, step_cny)
        lost = r["units_lost"]
        brand = fit.data.loc[fit.data["model"] == m, "brand"].iloc[0]
        row = {"model": m, "brand": brand, "step_cny": step_cny, "units_lost": float(lost)}
        for k, v in r.items():
            if k.startswith("to_"):
                row[f"share_{k}"] = float(v / lost) if lost > 0 else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def top_models(fit: DemandResults, brand: str, n: int = 3, min_price_cny: float | None = None) -> list[str]:
    """The brand's best-selling models in the latest period (optionally at or above a price)."""
    d = fit.data
    d = d[(d["period"] == sorted(d["period"].unique())[-1]) & (d["brand"] == brand)]
    if min_price_cny is not None:
        d = d[d["prices_cny"] >= min_price_cny]
    return d.groupby("model")["units"].sum().sort_values(ascending=False).head(n).index.tolist()
