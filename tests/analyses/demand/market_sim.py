"""A small market simulator for the demand tests, written independently of the twin.

Products (models of a few brands with characteristics) are sold in markets (quarter × province). Shares come from a
known model — plain logit, nested logit on a chosen grouping, or a normal random coefficient on price — with demand
shocks per product, product × quarter and product × quarter × province; prices move across provinces by exogenous
local shocks (promotions, subsidies: what FE-IV uses) and, when ``endogenous``, nationally with the product-quarter
demand shock ξ (which product × quarter effects absorb: the contrast checks that they do). The truth is computed from
the same numbers with the definitions of docs/demand.md: brand premium = brand utility / α (ξ has mean zero within
each brand), brand own elasticity = unit-weighted mean of the rows' own elasticities, diversion = share of a brand's
lost units going to each other brand or outside when all its prices rise (market-size-weighted Jacobian).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

BANDS = ((0, 2000, "<2000"), (2000, 4000, "2000-3999"), (4000, 6000, "4000-5999"), (6000, 1e9, "6000+"))


def band_of(p: float) -> str:
    return next(b for lo, hi, b in BANDS if lo <= p < hi)


@dataclass
class Market:
    kind: str = "logit"  # logit | nested | rc
    alpha: float = 1.0  # mean disutility of 1000 CNY
    rho: float = 0.0  # nesting parameter (nested)
    nest_by: str = "foldable"  # foldable | premium (list price >= 4000)
    sigma: float = 0.0  # sd of the price coefficient (rc)
    endogenous: bool = True
    brand_utility: dict[str, float] = field(default_factory=lambda: {
        "Xiaomi": 0.0, "Apple": 2.4, "Huawei": 1.6, "OPPO": 0.5, "vivo": 0.7})
    camera: float = 0.25  # utility per 10 camera points
    storage: float = 0.3  # utility per doubling of storage
    foldable: float = 0.4
    models_per_brand: int = 10
    periods: tuple[str, ...] = ("2024Q1", "2024Q2", "2024Q3", "2024Q4")
    regions: tuple[str, ...] = ("Guangdong", "Zhejiang", "Sichuan", "Henan", "Shandong", "Hubei", "Hebei", "Hunan")
    outside: float = 2.0  # utility offset of the outside good (market size vs sales)
    regional_shock: float = 0.1  # sd of the product × quarter × province demand shock (what the estimator cannot see)
    nodes: int = 40  # Gauss–Hermite nodes for the rc shares

    @property
    def premia(self) -> dict[str, float]:
        ref = next(iter(self.brand_utility))
        return {b: (u - self.brand_utility[ref]) / self.alpha * 1000 for b, u in self.brand_utility.items()}


def _catalogue(m: Market, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    tiers = {"Apple": (5200, 9800), "Huawei": (4300, 9800), "Xiaomi": (2300, 6900)}
    for b in m.brand_utility:
        lo, hi = tiers.get(b, (1300, 4800))
        for i in range(m.models_per_brand):
            while True:  # keep list prices away from the band edges (regional prices must stay in the band)
                p = float(np.round(rng.uniform(lo, hi), -2) - 1)
                if all(abs(p - e) / e > 0.12 for e in (2000, 4000, 6000)):
                    break
            fold = int(p > 6000 and rng.random() < 0.5)
            rows.append({"sku_id": f"{b}-{i}", "brand": b, "model": f"{b} M{i}", "list_price": p,
                         "camera_score": float(np.clip(60 + (p - 1500) / 250 + rng.normal(0, 4), 40, 99)),
                         "performance_score": float(np.clip(55 + (p - 1500) / 220 + rng.normal(0, 5), 40, 99)),
                         "storage_gb": int(rng.choice([128, 256, 512])), "foldable": bool(fold)})
    return pd.DataFrame(rows)


def _shares(m: Market, delta: np.ndarray, price: np.ndarray, nest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shares of one market and the Jacobian ∂s_j/∂p_k (price in 1000 CNY)."""
    J = len(delta)
    if m.kind == "rc":
        x, w = np.polynomial.hermite_e.hermegauss(m.nodes)  # the normal integrated exactly (to machine precision)
        w = w / w.sum()
        u = delta[:, None] - m.sigma * x[None, :] * price[:, None]  # α_i = α + σν
        e = np.exp(u - m.outside)
        s_i = e / (1 + e.sum(axis=0))
        a_i = m.alpha + m.sigma * x
        s = s_i @ w
        jac = (s_i * a_i * w) @ s_i.T
        jac[np.diag_indices(J)] -= (a_i * s_i) @ w
        return s, jac
    rho = m.rho if m.kind == "nested" else 0.0
    v = (delta - m.outside) / (1 - rho)
    groups = np.unique(nest)
    D = {g: np.exp(v[nest == g]).sum() for g in groups}
    denom = 1 + sum(d ** (1 - rho) for d in D.values())
    s_cond = np.exp(v) / np.array([D[g] for g in nest])
    s_g = np.array([D[g] ** (1 - rho) for g in nest]) / denom
    s = s_cond * s_g
    same = nest[:, None] == nest[None, :]
    # ∂s_j/∂δ_k for the nested logit (Berry 1994 form), then × (−α)
    dd = -s[:, None] * s[None, :] - same * (rho / (1 - rho)) * s_cond[:, None] * s[None, :]
    dd[np.diag_indices(J)] = s / (1 - rho) - rho / (1 - rho) * s * s_cond - s * s
    return s, -m.alpha * dd


def simulate(m: Market, seed: int) -> tuple[dict[str, pd.DataFrame], dict]:
    """Contract tables (products, market_sales, market_size) and the truth."""
    rng = np.random.default_rng(seed)
    cat = _catalogue(m, rng)
    J = len(cat)
    x = (cat["brand"].map(m.brand_utility).to_numpy() + m.camera * cat["camera_score"].to_numpy() / 10
         + m.storage * np.log2(cat["storage_gb"].to_numpy() / 128) + m.foldable * cat["foldable"].to_numpy())
    xi_j = rng.normal(0, 0.2, J)
    xi_j -= pd.Series(xi_j).groupby(cat["brand"]).transform("mean").to_numpy()  # ξ mean zero within each brand
    if m.nest_by == "foldable":
        nest = np.where(cat["foldable"].to_numpy(), "foldable", "bar")
    else:
        nest = np.where(cat["list_price"].to_numpy() >= 4000, "premium", "mass")
    sales, size, own_rows, jac_rows = [], [], [], []
    size_m = 2_000_000
    for ti, t in enumerate(m.periods):
        xi_jt = rng.normal(0, 0.15, J)
        xi_jt -= pd.Series(xi_jt).groupby(cat["brand"]).transform("mean").to_numpy()
        markdown = 1 - 0.04 * ti
        national = cat["list_price"].to_numpy() / 1000 * markdown * np.exp((0.15 if m.endogenous else 0.0) * xi_jt)
        for r in m.regions:
            price = national * np.exp(rng.normal(0, 0.05, J))  # local promotions and subsidies: exogenous
            xi_jtr = rng.normal(0, m.regional_shock, J)  # local demand shocks, independent of the local price moves
            delta = x + xi_j + xi_jt + xi_jtr - m.alpha * price
            s, jac = _shares(m, delta, price, nest)
            units = np.round(s * size_m).astype(int)
            for j in range(J):
                sales.append({"period": t, "region": r, "brand": cat["brand"][j], "model": cat["model"][j],
                              "price_band": band_of(cat["list_price"][j]), "units": int(units[j]),
                              "avg_price": round(float(price[j] * 1000), 2)})
            own_rows.append(pd.DataFrame({"brand": cat["brand"], "units": units,
                                          "own": np.diag(jac) * price / s}))
            jac_rows.append((jac * size_m, cat["brand"].to_numpy()))
            size.append({"period": t, "region": r, "potential_units": size_m})
    own = pd.concat(own_rows)
    el = (own["own"] * own["units"]).groupby(own["brand"]).sum() / own["units"].groupby(own["brand"]).sum()
    brands = sorted(m.brand_utility)
    nb = len(brands)
    dS = np.zeros((nb, nb + 1))
    for jac, b in jac_rows:
        oh = (b[:, None] == np.array(brands)[None, :]).astype(float)
        block = oh.T @ jac.T @ oh  # [raised brand, receiving brand]: ∂s_row/∂p_col summed
        dS[:, :nb] += block
        dS[:, nb] -= block.sum(axis=1)
    own_d = -np.diag(dS[:, :nb]).copy()
    div = dS / own_d[:, None]
    diversion = {b: {c: float(div[i, k]) for k, c in enumerate([*brands, "outside"]) if c != b}
                 for i, b in enumerate(brands)}
    tables = {"products": cat, "market_sales": pd.DataFrame(sales), "market_size": pd.DataFrame(size)}
    truth = {"alpha": m.alpha, "rho": m.rho if m.kind == "nested" else 0.0, "sigma": m.sigma if m.kind == "rc" else 0,
             "premia": m.premia, "elasticity": {b: float(v) for b, v in el.items()}, "diversion": diversion}
    return tables, truth


def write(tables: dict[str, pd.DataFrame], folder: Path, config: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    (folder / "upmarket.toml").write_text(config, encoding="utf-8")
    return folder
