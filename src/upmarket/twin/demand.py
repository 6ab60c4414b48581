"""The structural demand model: a random-coefficients logit over SKUs, markets = quarter × province.

Consumer *i* in market *t* gets from SKU *j* (price ``p`` in 1000 CNY)::

    u_ijt = δ_jt + μ_ijt + ε_ijt                       ε: type-I extreme value, outside good u_i0t = ε_i0t
    δ_jt  = β_brand(j) + β_cam·cam_j/10 + β_perf·perf_j/10 + β_storage·log2(storage_j/128) − ᾱ·p_jt + ξ_jt
    μ_ijt = −(α_i − ᾱ)·p_jt                            price coefficient: lognormal around segment × tier
            + (d_seg(i),brand(j) − d̄_brand(j))          segment brand tastes, centred on the population
            + (c_seg(i) − c̄)·cam_j/10 + (g_seg(i) − ḡ)·perf_j/10
            + σ_band·ν_i,band(jt)                      nests: a random coefficient on price-band dummies

The price-band "nests" are a random coefficient (ν ~ N(0,1) per consumer and band, scale
``sigma_band``) on dummies for the band of the SKU's effective price: SKUs in the same band are
closer substitutes, as in a nested logit, while the model stays a plain RC logit.

Calibration (``solve_delta``): given target units per SKU and quarter, the BLP contraction finds
δ_jt so that the model's national units equal the targets exactly; brand intercepts are then
the brand means of δ + ᾱp − Xβ, and ξ is the rest (mean zero within brand). Truth (elasticities,
diversion, brand premia) is computed from this model at these parameters, analytically.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from upmarket.twin.catalog import BRANDS, REFERENCE_BRAND
from upmarket.twin.consumers import BRAND_TASTE, CAMERA_TASTE, PERF_TASTE, SEGMENTS

BANDS: tuple[str, ...] = ("<2000", "2000-3999", "4000-5999", "6000+")


@dataclass
class DemandParams:
    """Planted structural parameters (price in 1000 CNY; camera/performance per 10 points)."""

    sigma_band: float = 0.9
    beta_storage: float = 0.25
    beta_camera: float = 0.0  # set to the population mean of segment tastes by ``Agents``
    beta_perf: float = 0.0
    alpha_mean: float = 0.0  # population mean price coefficient, set by ``Agents``
    brand_intercepts: dict[str, float] = field(default_factory=dict)  # planted: PLANTED_PREMIUM_CNY · ᾱ
    xi_brand_mean: dict[str, float] = field(default_factory=dict)  # ξ̄_b over product-market rows (identified part)

    def effective_intercepts(self) -> dict[str, float]:
        """β_b + ξ̄_b: the brand utility an estimator with brand dummies identifies (and the conjoint uses)."""
        return {b: self.brand_intercepts[b] + self.xi_brand_mean.get(b, 0.0) for b in self.brand_intercepts}

    def to_dict(self) -> dict:
        return {"sigma_band": self.sigma_band, "beta_storage": self.beta_storage, "beta_camera": self.beta_camera,
                "beta_perf": self.beta_perf, "alpha_mean": self.alpha_mean,
                "brand_intercepts": dict(sorted(self.brand_intercepts.items())),
                "xi_brand_mean": dict(sorted(self.xi_brand_mean.items())),
                "nesting": "random coefficient on price-band dummies (sigma_band)",
                "price_unit": "1000 CNY", "camera_perf_unit": "10 score points"}


@dataclass
class Agents:
    """Simulation draws per province (the integration nodes of the share integral).

    Arrays have shape (n_provinces, R): segment index, α_i, band taste shocks ν (…, 4).
    """

    provinces: tuple[str, ...]
    segment: np.ndarray
    alpha: np.ndarray
    nu_band: np.ndarray
    weight: np.ndarray  # province population weight (n_provinces,), sums to 1

    @classmethod
    def draw(cls, provinces: pd.DataFrame, n_per_province: int, rng: np.random.Generator) -> Agents:
        from upmarket.twin.consumers import draw_consumers

        seg, alpha = [], []
        for prov in provinces["province"]:
            c = draw_consumers(n_per_province, rng, province=prov)
            seg.append(pd.Categorical(c["_segment"], categories=SEGMENTS).codes)
            alpha.append(c["_alpha"].to_numpy())
        nu = rng.standard_normal((len(provinces), n_per_province, len(BANDS)))
        w = provinces["people_m"].to_numpy(float)
        return cls(tuple(provinces["province"]), np.array(seg), np.array(alpha), nu, w / w.sum())

    def population_mean(self, values: np.ndarray) -> float:
        """Population-weighted mean of a per-agent array of shape (n_provinces, R)."""
        return float((values.mean(axis=1) * self.weight).sum())

    def segment_shares(self) -> np.ndarray:
        return np.array([self.population_mean((self.segment == g).astype(float)) for g in range(len(SEGMENTS))])


def taste_tables(agents: Agents) -> dict[str, np.ndarray]:
    """Segment taste arrays and their population means (used to centre μ)."""
    d = np.array([[BRAND_TASTE[s][b] for b in BRANDS] for s in SEGMENTS])  # (4 segments, 7 brands)
    c = np.array([CAMERA_TASTE[s] for s in SEGMENTS])
    g = np.array([PERF_TASTE[s] for s in SEGMENTS])
    share = agents.segment_shares()
    return {"d": d, "c": c, "g": g, "d_bar": share @ d, "c_bar": float(share @ c), "g_bar": float(share @ g)}


def init_params(agents: Agents, params: DemandParams | None = None) -> DemandParams:
    """Fill the population means (ᾱ, β_cam, β_perf) that follow from the agents' segment mix."""
    p = params or DemandParams()
    t = taste_tables(agents)
    p.alpha_mean = agents.population_mean(agents.alpha)
    p.beta_camera = t["c_bar"]
    p.beta_perf = t["g_bar"]
    return p


@dataclass
class Products:
    """What the share function needs about SKUs in one quarter: arrays of length J."""

    brand: np.ndarray  # brand index into BRANDS
    camera: np.ndarray  # score / 10
    perf: np.ndarray
    price: np.ndarray  # 1000 CNY, effective price of the quarter: national (J,) or per province (P, J)
    band: np.ndarray  # band index of the national effective price
    available: np.ndarray  # bool

    def price_pj(self, n_provinces: int) -> np.ndarray:
        """Prices as a (P, J) array."""
        return np.broadcast_to(np.atleast_2d(self.price), (n_provinces, len(self.brand)))


def mu(agents: Agents, prod: Products, params: DemandParams, tastes: dict[str, np.ndarray]) -> np.ndarray:
    """Consumer-specific utility deviations μ, shape (n_provinces, R, J)."""
    seg = agents.segment
    brand_dev = (tastes["d"] - tastes["d_bar"][None, :])[seg][..., prod.brand]
    cam_dev = (tastes["c"] - tastes["c_bar"])[seg][..., None] * prod.camera[None, None, :]
    perf_dev = (tastes["g"] - tastes["g_bar"])[seg][..., None] * prod.perf[None, None, :]
    price_dev = -(agents.alpha - params.alpha_mean)[..., None] * prod.price_pj(seg.shape[0])[:, None, :]
    band = params.sigma_band * agents.nu_band[..., prod.band]
    return brand_dev + cam_dev + perf_dev + price_dev + band


def agent_shares(delta: np.ndarray, mu_: np.ndarray, available: np.ndarray,
                 offset: np.ndarray | None = None) -> np.ndarray:
    """Logit choice probabilities per agent, shape (n_provinces, R, J); unavailable SKUs get 0.

    ``delta`` is national (J,); ``offset`` (P, J) adds the province part of mean utility (−ᾱ·(p_jr − p_j)).
    """
    d = delta[None, None, :] if offset is None else (delta[None, :] + offset)[:, None, :]
    v = np.where(available[None, None, :], d + mu_, -np.inf)
    vmax = np.maximum(v.max(axis=2, keepdims=True), 0.0)
    e = np.exp(v - vmax)
    return e / (np.exp(-vmax) + e.sum(axis=2, keepdims=True))


def solve_delta(target_units: np.ndarray, market_size: np.ndarray, mu_: np.ndarray, available: np.ndarray,
                tol: float = 1e-11, max_iter: int = 2000, offset: np.ndarray | None = None) -> np.ndarray:
    """BLP contraction: national δ such that Σ_provinces M_r · mean_i s_ijr(δ + offset_r) = target units."""
    delta = np.where(available, np.log(np.maximum(target_units, 1e-300) / market_size.sum()) + 1.0, 0.0)
    target = np.where(available, np.maximum(target_units, 1e-300), 1.0)
    for _ in range(max_iter):
        s = agent_shares(delta, mu_, available, offset).mean(axis=1)  # (n_prov, J)
        units = market_size @ s
        step = np.where(available, np.log(target) - np.log(np.maximum(units, 1e-300)), 0.0)
        delta = delta + step
        if np.max(np.abs(step)) < tol:
            break
    return delta


def brand_premium(params: DemandParams, agents: Agents) -> dict[str, dict[str, float]]:
    """Identified willingness to pay over Redmi, CNY, all and per segment.

    The brand's utility is its planted intercept plus the brand mean of ξ (``params.xi_brand_mean``):
    that sum is what an estimator with brand dummies recovers, so it is the truth (docs/twin.md).
    """
    t = taste_tables(agents)
    ref = BRANDS.index(REFERENCE_BRAND)
    beta = np.array([params.brand_intercepts[b] + params.xi_brand_mean.get(b, 0.0) for b in BRANDS])
    out = {"all": {b: float((beta[k] - beta[ref]) / params.alpha_mean * 1000) for k, b in enumerate(BRANDS)}}
    for g, s in enumerate(SEGMENTS):
        alpha_g = agents.population_mean(np.where(agents.segment == g, agents.alpha, 0.0)) / \
            agents.population_mean((agents.segment == g).astype(float))
        taste = beta + t["d"][g] - t["d_bar"]
        out[s] = {b: float((taste[k] - taste[ref]) / alpha_g * 1000) for k, b in enumerate(BRANDS)}
    return out


@dataclass
class PricingAccumulator:
    """Sums over markets that give the pricing truth: elasticities (all, per segment) and brand diversion."""

    n_brands: int = len(BRANDS)
    elas_num: dict[str, np.ndarray] = field(default_factory=dict)  # Σ units·ε per brand
    elas_den: dict[str, np.ndarray] = field(default_factory=dict)
    div: np.ndarray = field(default_factory=lambda: np.zeros((len(BRANDS), len(BRANDS) + 1)))

    def add(self, s: np.ndarray, agents: Agents, prod: Products, market_size: np.ndarray) -> None:
        """Add one quarter: ``s`` are agent shares (n_prov, R, J); market_size per province."""
        a = agents.alpha[..., None]  # (P, R, 1)
        avail = prod.available
        price = prod.price_pj(s.shape[0])
        groups = {"all": np.ones_like(agents.segment, dtype=bool)}
        groups.update({seg: agents.segment == g for g, seg in enumerate(SEGMENTS)})
        brand_onehot = np.eye(self.n_brands)[prod.brand] * avail[:, None]  # (J, B)
        for name, mask in groups.items():
            m = mask[..., None].astype(float)
            n_g = np.maximum(m.sum(axis=1), 1.0)  # (P, 1)
            s_g = (s * m).sum(axis=1) / n_g  # segment-level shares (P, J)
            ds_g = (-(a * s * (1 - s)) * m).sum(axis=1) / n_g  # ∂s/∂p own (P, J)
            with np.errstate(divide="ignore", invalid="ignore"):
                eps = np.where(s_g > 0, ds_g * price / s_g, 0.0)
            seg_pop = n_g[:, 0] / mask.shape[1]
            units = market_size[:, None] * seg_pop[:, None] * s_g  # (P, J)
            num = (units * eps).sum(axis=0) @ brand_onehot
            den = units.sum(axis=0) @ brand_onehot
            self.elas_num[name] = self.elas_num.get(name, 0.0) + num
            self.elas_den[name] = self.elas_den.get(name, 0.0) + den
        # brand-level diversion: raise every price of brand b by the same small amount
        S = s @ brand_onehot
        s0 = 1.0 - S.sum(axis=2)
        w = market_size[:, None] / agents.alpha.shape[1]  # each agent stands for M_r / R people
        # d S_c / d p_b = −α S_c (1[c=b] − S_b); d s0 / d p_b = α s0 S_b
        eye = np.eye(self.n_brands)
        dS = -(a[..., None] * S[..., None, :] * (eye[None, None] - S[..., :, None]))
        d0 = (a * s0[..., None] * S)  # (P, R, b)
        self.div[:, : self.n_brands] += np.einsum("pr,prbc->bc", w, dS)
        self.div[:, self.n_brands] += np.einsum("pr,prb->b", w, d0)

    def truth(self) -> dict:
        elas = {}
        for name in self.elas_num:
            with np.errstate(invalid="ignore", divide="ignore"):
                e = self.elas_num[name] / self.elas_den[name]
            elas[name] = {b: float(e[k]) for k, b in enumerate(BRANDS) if self.elas_den[name][k] > 0}
        own = -np.diag(self.div[:, : self.n_brands])
        diversion = {}
        for k, b in enumerate(BRANDS):
            row = {c: float(self.div[k, m] / own[k]) for m, c in enumerate(BRANDS) if m != k}
            row["outside"] = float(self.div[k, self.n_brands] / own[k])
            diversion[b] = row
        return {"price_elasticity": elas, "diversion": diversion}
