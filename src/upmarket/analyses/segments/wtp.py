"""Willingness to pay and elasticities per segment from a latent-class fit: the contract's ``segments`` block, the
long WTP table, each class's own-price elasticity per brand from the market's prices and units.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from upmarket.choice.mnl import wtp
from upmarket.estimation import CI_LEVEL
from upmarket.warehouse.source import to_frame

if TYPE_CHECKING:
    from upmarket.choice.design import ChoiceData
    from upmarket.choice.latent import LatentClassFit
    from upmarket.warehouse import Warehouse


def _wtp_key(name: str) -> str:
    """``attribute=level`` as the contract writes it; a linear attribute is per unit (``storage_gb=+1``)."""
    return name if "=" in name else f"{name}=+1"


def segments_block(fit: LatentClassFit, data: ChoiceData, names: list[str], seed: int = 0) -> dict[str, Any]:
    """The contract's ``segments`` block: the reference brand, population WTP per ``attribute=level`` and, per
    class, its share and WTP, each with a 90 % interval (``_ci``)."""
    pop = fit.population_wtp(seed=seed)
    share_ci = fit.share_ci()
    classes: dict[str, Any] = {}
    for k, seg in enumerate(names):
        w = {n: v for n, v in fit.wtp(k).items() if n != "none"}
        classes[seg] = {"share": _r(fit.shares[k], 4),
                        "share_ci": [_r(max(share_ci[k, 0], 0.0), 4), _r(min(share_ci[k, 1], 1.0), 4)],
                        "wtp_cny": {_wtp_key(n): _r(v[0], 2) for n, v in w.items()},
                        "wtp_cny_ci": {_wtp_key(n): [_r(v[1], 2), _r(v[2], 2)] for n, v in w.items()}}
    return {"reference_brand": data.reference, "reference_rule": data.reference_rule,
            "brands": list(data.levels.get("brand", [])), "no_buy_option": "none" in data.names,
            "attributes": {a: ("linear" if lv == ["linear"] else [str(x) for x in lv])
                           for a, lv in data.levels.items() if a != "brand"},
            "wtp_cny": {_wtp_key(n): _r(v[0], 2) for n, v in pop.items()},
            "wtp_cny_ci": {_wtp_key(n): [_r(v[1], 2), _r(v[2], 2)] for n, v in pop.items()},
            "classes": classes}


def wtp_table(params: np.ndarray, cov: np.ndarray, names: list[str], **labels: Any) -> pd.DataFrame:
    """Long table of WTP (CNY) with 90 % delta-method bounds, one row per coefficient."""
    rows = [{**labels, "term": n, "wtp_cny": w, "low": lo, "high": hi}
            for n, (w, lo, hi) in wtp(params, cov, names).items()]
    return pd.DataFrame(rows)


def brand_price_units(warehouse: Warehouse) -> pd.DataFrame:
    """``brand, p, units``: market units per brand at each price rounded to 50 CNY (``p`` in 1000 CNY).

    Halves round up, written as ``floor(x + 0.5)``: engines' ``round`` differ there (DuckDB rounds half away
    from zero, Polars half to even), and prices here are positive.
    """
    sales = warehouse.table("market_sales")
    sales = sales.filter(sales.units > 0, sales.avg_price > 0)
    return to_frame(sales.group_by("brand", p=(sales.avg_price / 50 + 0.5).floor() * 50 / 1000)
                    .agg(units=sales.units.sum().cast("float64")))


def segment_elasticities(warehouse: Warehouse, fit: LatentClassFit, reference: str, level: float = CI_LEVEL
                         ) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, list[float]]]] | None:
    """Own-price elasticity of each brand's demand within each class, from the market's own products and prices.

    A segment's elasticity for brand b is the units-weighted mean over b's products of −α·p (a logit's
    −α·p·(1 − s) for small shares), where both the units and α are the *segment's*: a market_sales row's units
    are split over classes (and the within-class price-coefficient nodes) by Bayes, P(k, q | brand, price) ∝
    π_k·w_q·exp(β_k,brand − α_k·m_q·p). Value seekers who buy Huawei buy its cheap models, so their Huawei
    elasticity is −α_value times the price of those, not of the brand's average sale (the previous formula, which
    made value 25–100 % too elastic on the twin). Interval: α_k's 90 % interval with the weights held at the
    estimate. Keys are class indices (as strings); None when market_sales is absent."""
    from scipy.special import logsumexp
    from scipy.stats import norm

    if not warehouse.has_rows("market_sales"):
        return None
    df = brand_price_units(warehouse)
    ip = fit.names.index("price")
    brands = [n.split("=", 1)[1] for n in fit.names if n.startswith("brand=")]
    df = df[df["brand"].isin({*brands, reference})].reset_index(drop=True)
    if df.empty:
        return None
    col = {b: fit.names.index(f"brand={b}") for b in brands}
    K, d = fit.betas.shape
    m, w = fit.price_multipliers()
    idx = df["brand"].map(col).fillna(d).astype(int).to_numpy()  # the reference brand: column d (zero)
    bb = np.c_[fit.betas, np.zeros(K)][:, idx].T  # (rows, K) brand utility per class
    p = df["p"].to_numpy(float)
    slope = fit.betas[:, ip][None, :, None] * m[None, None, :] * p[:, None, None]  # (rows, K, Q): −α_k m_q p
    logw = np.log(np.clip(fit.shares, 1e-300, None))[None, :, None] + np.log(w)[None, None, :] + bb[..., None] + slope
    post = np.exp(logw - logsumexp(logw, axis=(1, 2), keepdims=True)) * df["units"].to_numpy(float)[:, None, None]
    num = pd.DataFrame((post * slope / fit.betas[:, ip][None, :, None]).sum(axis=2)).groupby(df["brand"]).sum()
    den = pd.DataFrame(post.sum(axis=2)).groupby(df["brand"]).sum()
    c = num / den  # per unit price coefficient: elasticity = β_price,k · c[b, k]
    z = norm.ppf(0.5 + level / 2)
    el: dict[str, dict[str, float]] = {}
    ci: dict[str, dict[str, list[float]]] = {}
    for k in range(K):
        b, se = fit.betas[k, ip], float(np.sqrt(max(fit.beta_cov(k)[ip, ip], 0.0)))
        el[str(k)] = {br: _r(b * c.loc[br, k], 4) for br in c.index}
        ci[str(k)] = {br: [_r((b - z * se) * c.loc[br, k], 4), _r((b + z * se) * c.loc[br, k], 4)] for br in c.index}
    return el, ci


def _r(x: float, d: int = 1) -> float:
    return round(float(x), d)
