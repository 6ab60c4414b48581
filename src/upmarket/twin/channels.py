"""Users' journeys over the online channels → ``events`` (parts), ``traffic`` and ``orders``.

Why a journey model: the funnel analysis must recover rates that were *planted*, and every
channel table must agree with every other. So the twin draws journeys — one user, one SKU of
interest, one day, one platform, one traffic source — and each journey emits its events;
``traffic`` is then the exact per-day aggregate of those events and ``orders`` the order events.

Journey kinds
-------------
* **shop** (jd, tmall, mistore, douyin): ``search`` (brand-level, when the source is search) or
  ``live_view`` (douyin, source live) → one ``impression`` of the SKU → ``click`` (1 + Poisson
  page views) → ``favorite`` / ``cart`` / ``order`` (each independent given the click) → after an
  order, ``review`` and ``share`` (the Loyal stage, a few days later). mistore sells only the
  focal maker's brands.
* **content** (douyin, xiaohongshu): ``content_view`` (of a SKU or brand-level), ``live_view``,
  ``search``, ``share``, ``follow`` — no traffic rows.
* **种草 → 拔草**: a share of shop journeys on jd/tmall/mistore (planted per city tier) is preceded
  by a ``content_view`` of the same SKU on douyin/xiaohongshu 10 minutes to 6.9 days earlier,
  and those journeys convert ``path_lift`` times more often.
* **stage panel**: a few users (``stage_panel_share``, one brand each) make no journeys; their weekly
  AIPL stage follows a planted Markov chain (``stage_chain``) and each active week emits exactly the
  events of its stage (see ``_simulate_panel``), so the analysis's week-to-week transitions can be
  checked against a known matrix.

Planted funnel: ``P(click | impression) = ctr[platform] × m_tier × m_source × m_band × m_promo``;
``P(favorite | click)``, ``P(cart | click)``, ``P(order | click)`` likewise (premium converts less).

``traffic`` definitions (per date × platform × sku_id × city_tier × source; exact from events):
impressions = impression events; clicks = sessions with a click; page_views = click events;
visitors = distinct users who clicked; favorites / add_to_carts / buyers = distinct users with a
favorite / cart / order event; orders = order events; units and gmv from the order lines.

Journeys are generated in chunks of whole days (so distinct-user counts per day are exact
within a chunk); each chunk becomes one Parquet part of ``events`` and a slice of ``traffic``:
memory is constant whatever ``n_events``. A writer thread encodes the previous chunk's Parquet
while NumPy draws the next one.

Truth (``ChannelResult.truth``): ``funnel[platform]`` — the realised rates on ``traffic`` (CTR =
clicks/impressions, favorite_rate = favorites/visitors, cart_rate = add_to_carts/visitors,
visit_to_buy = buyers/visitors, summed over every row of the platform; exact); ``funnel_params`` —
the planted expectations and the structural base rates and multipliers; ``funnel_detail`` —
realised rates by platform × city tier / source / price band; ``paths`` — 种草 → 拔草 buyer share
and conversion lift by city tier, recomputed exactly from the events (streamed, see
``_PathTracker``); ``stages`` — users at each highest AIPL stage per brand, and ``transitions`` (the
stage panel's planted, expected and realised week-to-week matrices); ``consistency`` —
counts for cross-table checks.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from upmarket.contract.codes import CITY_TIER, EVENT, NATIONAL_SUBSIDY, PRICE_BAND, SOURCE, price_band
from upmarket.progress import Progress, ensure
from upmarket.twin.writer import TableWriter

PLATFORMS: tuple[str, ...] = ("jd", "tmall", "mistore", "douyin", "xiaohongshu")
SELLING: tuple[str, ...] = ("jd", "tmall", "mistore", "douyin")
SEARCH_SHOPS: tuple[str, ...] = ("jd", "tmall", "mistore")
CONTENT: tuple[str, ...] = ("douyin", "xiaohongshu")
TIERS: tuple[str, ...] = CITY_TIER.codes
SOURCES: tuple[str, ...] = SOURCE.codes
BANDS: tuple[str, ...] = PRICE_BAND.codes
EVENTS: tuple[str, ...] = EVENT.codes
SEGMENTS: tuple[str, ...] = ("value", "imaging", "gamer", "status")
FOCAL_MAKER_BRANDS: tuple[str, ...] = ("Xiaomi", "Redmi")
STAGES: tuple[str, ...] = ("aware", "interest", "purchase", "loyal")
CHAIN_STAGES: tuple[str, ...] = ("none", *STAGES)
"""States of the planted weekly stage chain (level = index), as upmarket.analyses.funnel.stages.STAGES."""
STAGE_EPOCH_MONDAY = "2000-01-03"

_P = {p: i for i, p in enumerate(PLATFORMS)}
_E = {e: i for i, e in enumerate(EVENTS)}
_S = {s: i for i, s in enumerate(SOURCES)}
_US_DAY = 86_400_000_000
_US_S = 1_000_000

# AIPL stage of each event code (index into STAGES); repeat orders are promoted to loyal separately.
_EVENT_STAGE = {"impression": 0, "content_view": 0, "live_view": 0, "search": 1, "click": 1, "favorite": 1,
                "follow": 1, "cart": 1, "order": 2, "review": 3, "share": 3}


def _rates(ctr: float, fav: float, cart: float, buy: float) -> dict[str, float]:
    return {"ctr": ctr, "favorite_rate": fav, "cart_rate": cart, "visit_to_buy": buy}


@dataclass(frozen=True)
class FunnelParams:
    """Planted funnel: base rates per platform and multipliers; ``truth['funnel_params']`` records them."""

    base: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: {
        "jd": _rates(0.080, 0.10, 0.16, 0.060),
        "tmall": _rates(0.065, 0.14, 0.18, 0.050),
        "mistore": _rates(0.110, 0.08, 0.22, 0.080),
        "douyin": _rates(0.045, 0.05, 0.08, 0.040),
    })
    # multipliers: (ctr, favorite, cart, order)
    tier: Mapping[str, tuple[float, float, float, float]] = field(default_factory=lambda: {
        "tier1": (1.10, 1.05, 1.05, 1.15), "new_tier1": (1.05, 1.03, 1.03, 1.08), "tier2": (1.00, 1.00, 1.00, 1.00),
        "tier3": (0.95, 0.98, 0.98, 0.93), "tier4": (0.90, 0.96, 0.95, 0.86), "tier5": (0.85, 0.94, 0.92, 0.80),
    })
    source: Mapping[str, tuple[float, float, float, float]] = field(default_factory=lambda: {
        "search": (1.50, 1.10, 1.15, 1.20), "recommend": (0.80, 1.00, 0.95, 0.85), "live": (1.30, 0.80, 1.10, 1.15),
        "kol": (1.10, 1.10, 1.00, 1.00), "ad": (0.70, 0.90, 0.90, 0.75), "other": (1.00, 1.00, 1.00, 1.00),
    })
    band: Mapping[str, tuple[float, float, float, float]] = field(default_factory=lambda: {
        "<2000": (1.05, 0.90, 1.10, 1.30), "2000-3999": (1.00, 1.00, 1.05, 1.10),
        "4000-5999": (0.95, 1.10, 0.95, 0.85), "6000+": (0.90, 1.20, 0.85, 0.70),
    })
    promo: tuple[float, float, float, float] = (1.10, 1.00, 1.30, 1.30)
    """618 (June 1–18) and 双11 (Nov 1–11) days."""
    path_share: Mapping[str, float] = field(default_factory=lambda: {
        "tier1": 0.22, "new_tier1": 0.20, "tier2": 0.17, "tier3": 0.14, "tier4": 0.11, "tier5": 0.09,
    })
    """Share of jd/tmall/mistore shop journeys preceded by a content view of the SKU (种草)."""
    path_lift: float = 1.6
    """Order-probability multiplier for those journeys."""
    path_window_days: int = 7
    stage_panel_share: float = 0.001
    """Share of users in the stage panel: their weekly stage for their one brand follows ``stage_chain`` (no
    journeys). Small by default: a panel user buys ~8× as often as an average twin user and its purchase
    visits convert for sure, so a large panel would move the funnel rates (recovery tests use a big one)."""
    stage_chain: tuple[tuple[float, ...], ...] = (
        # to: none, aware, interest, purchase, loyal          (from ↓)
        (0.900, 0.060, 0.035, 0.005, 0.000),  # none
        (0.500, 0.280, 0.180, 0.030, 0.010),  # aware
        (0.420, 0.180, 0.280, 0.100, 0.020),  # interest (purchase cell per brand, see stage_purchase)
        (0.350, 0.150, 0.150, 0.000, 0.350),  # purchase
        (0.400, 0.150, 0.150, 0.050, 0.250),  # loyal
    )
    """Planted weekly stage chain of a (panel user, brand); a second purchase is a repeat: loyal."""
    stage_purchase: Mapping[str, float] = field(default_factory=lambda: {
        "Xiaomi": 0.10, "Redmi": 0.12, "Huawei": 0.09, "Apple": 0.08, "Honor": 0.07, "OPPO": 0.07, "vivo": 0.07,
    })
    """Per-brand interest → purchase probability (the rest of the interest row's mass moves to none)."""

    def chain(self, brand: str) -> np.ndarray:
        """The 5 × 5 planted weekly transition matrix of ``brand`` (rows sum to 1)."""
        p = np.array(self.stage_chain, dtype=float)
        if brand in self.stage_purchase:
            p[2, 0] += p[2, 3] - self.stage_purchase[brand]
            p[2, 3] = self.stage_purchase[brand]
        if (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0):
            raise ValueError(f"FunnelParams: the stage chain of {brand} is not a transition matrix")
        return p


@dataclass
class ChannelResult:
    """What the channel simulation hands back: the order lines (for reviews) and its truth."""

    orders: pd.DataFrame
    truth: dict[str, Any]


# ----------------------------------------------------------------------------------------------
# static tables


def _promo_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per day: 618 flag and 双11 flag (days as datetime64[D])."""
    md = (days - days.astype("datetime64[M]")).astype(int) + 1
    month = days.astype("datetime64[M]").astype(int) % 12 + 1
    return (month == 6) & (md <= 18), (month == 11) & (md <= 11)


def default_prices(list_price: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Effective unit prices (day × sku) and the promo label per day, when no listings are given.

    618: 8% off; 双11: 10% off; 国补 (``NATIONAL_SUBSIDY``) from 2025-01-20: a further 15% off, at most
    500 CNY, for list prices at or below 6000 CNY. Rounded to whole yuan.
    """
    is618, is11 = _promo_days(days)
    disc = np.where(is618, 0.08, np.where(is11, 0.10, 0.0))
    price = list_price[None, :] * (1.0 - disc[:, None])
    subsidy_on = days >= np.datetime64(NATIONAL_SUBSIDY.start)
    eligible = subsidy_on[:, None] & NATIONAL_SUBSIDY.eligible(list_price)[None, :]
    price = price - np.where(eligible, np.minimum(NATIONAL_SUBSIDY.rate * price, NATIONAL_SUBSIDY.cap_cny), 0.0)
    return np.round(price), is618 | is11


def _day_weights(days: np.ndarray) -> np.ndarray:
    """Relative journey volume per day: weekend bump, 618 and 双11 waves with their peak days, slow growth."""
    dow = (days.astype("datetime64[D]").astype(int) + 3) % 7  # 0 = Monday
    w = np.where(dow >= 5, 1.12, 1.0)
    is618, is11 = _promo_days(days)
    md = (days - days.astype("datetime64[M]")).astype(int) + 1
    w = w * np.where(is618, 1.5 + 1.5 * (md == 18), 1.0) * np.where(is11, 1.7 + 2.0 * (md == 11), 1.0)
    t = np.arange(days.size) / max(days.size - 1, 1)
    return w * (1.0 + 0.15 * t)


_HOUR_W = np.array([2, 1, .5, .3, .3, .5, 1, 2, 3, 4, 4, 4, 5, 4, 4, 4, 4, 4, 5, 6, 7, 8, 7, 4], dtype=float)


class _Market:
    """Index arrays and probability tables built once from products and users."""

    def __init__(self, products: pd.DataFrame, users: pd.DataFrame, start: date, end: date,
                 prices: pd.DataFrame | None, params: FunnelParams) -> None:
        for name, df, cols in (("products", products, ("sku_id", "brand", "list_price")),
                               ("users", users, ("user_id", "city_tier", "_segment", "_price_sens"))):
            missing = [c for c in cols if c not in df.columns]
            if missing:
                raise ValueError(f"simulate_channels: {name} lacks column(s) {', '.join(missing)}")
        if end < start:
            raise ValueError(f"simulate_channels: end {end} is before start {start}")
        self.params = params
        self.start, self.end = start, end
        self.days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
        self.n_days = self.days.size
        self.start_us = int(np.datetime64(start, "us").astype(np.int64))
        self.end_us = self.start_us + self.n_days * _US_DAY  # exclusive

        # products
        self.sku_ids = products["sku_id"].astype(str).to_numpy()
        self.brands = tuple(sorted(products["brand"].astype(str).unique()))
        self.sku_brand = pd.Categorical(products["brand"].astype(str), categories=self.brands).codes.astype(np.int16)
        self.list_price = products["list_price"].to_numpy(dtype=float)
        bands = (products["_price_band"].astype(str) if "_price_band" in products
                 else pd.Series([price_band(p) for p in self.list_price]))
        self.sku_band = pd.Categorical(bands, categories=BANDS).codes.astype(np.int8)
        if (self.sku_band < 0).any():
            raise ValueError("simulate_channels: products._price_band has values outside " + ", ".join(BANDS))
        self.n_sku = self.sku_ids.size
        self.focal_sku = np.isin(products["brand"].astype(str).to_numpy(), FOCAL_MAKER_BRANDS)

        # users
        self.user_ids = pa.array(users["user_id"].astype(str).to_numpy(), type=pa.string())
        self.n_users = len(users)
        self.user_tier = pd.Categorical(users["city_tier"], categories=TIERS).codes.astype(np.int8)
        if (self.user_tier < 0).any():
            raise ValueError("simulate_channels: users.city_tier must be one of " + ", ".join(TIERS))
        seg = pd.Categorical(users["_segment"], categories=SEGMENTS).codes.astype(np.int8)
        if (seg < 0).any():
            raise ValueError("simulate_channels: users._segment must be one of " + ", ".join(SEGMENTS))
        sens = users["_price_sens"].to_numpy(dtype=float)
        # five price-sensitivity bins per segment (quantiles within the segment) → 20 taste groups
        self.n_sens = 5
        sens_bin = np.zeros(self.n_users, dtype=np.int8)
        self.group_sens = np.ones((len(SEGMENTS), self.n_sens))
        for s in range(len(SEGMENTS)):
            m = seg == s
            if m.any():
                q = np.quantile(sens[m], np.linspace(0, 1, self.n_sens + 1))
                b = np.clip(np.searchsorted(q[1:-1], sens[m], side="right"), 0, self.n_sens - 1)
                sens_bin[m] = b
                self.group_sens[s] = [sens[m][b == k].mean() if (b == k).any() else 1.0 for k in range(self.n_sens)]
        self.user_group = (seg.astype(np.int16) * self.n_sens + sens_bin).astype(np.int16)
        self.user_seg = seg
        female = (users["gender"].astype(str).to_numpy() == "f") if "gender" in users else np.zeros(self.n_users, bool)
        self.user_female = female
        young = (users["age_band"].astype(str).isin(["<18", "18-24", "25-34"]).to_numpy()
                 if "age_band" in users else np.zeros(self.n_users, bool))
        self.user_young = young

        # user activity: heavy-tailed, so some users come back (repeat purchases, Loyal stage)
        # a pool where each user appears in proportion to activity: O(1) draws (fixed, not the run's rng)
        act = np.exp(np.random.default_rng(0).normal(0.0, 0.8, self.n_users))
        reps = np.maximum(np.round(4.0 * act / act.mean()), 1).astype(np.int64)
        # the stage panel: a fixed random set of users, each with one brand, whose events come only from
        # the planted weekly stage chain (so their weekly stages are exactly the chain's)
        prng = np.random.default_rng(1)
        n_panel = round(params.stage_panel_share * self.n_users)
        if not 0 <= n_panel < self.n_users:
            raise ValueError("simulate_channels: stage_panel_share must be in [0, 1)")
        self.panel_users = np.sort(prng.choice(self.n_users, n_panel, replace=False)).astype(np.int64)
        reps[self.panel_users] = 0
        self.user_pool = np.repeat(np.arange(self.n_users, dtype=np.int32), reps)

        self._sku_tables(products)
        self._prices(prices)
        self.panel_brand = prng.integers(0, len(self.brands), n_panel).astype(np.int16)
        self.focal_brand = np.isin(np.asarray(self.brands), FOCAL_MAKER_BRANDS)
        # Monday-based weeks (as the analysis counts them): week of each day, first day and length of each week
        wk = (self.days - np.datetime64(STAGE_EPOCH_MONDAY)).astype(int) // 7
        _, self.week_first, self.week_len = np.unique(wk, return_index=True, return_counts=True)
        self.n_weeks = self.week_first.size
        self.day_w = _day_weights(self.days)
        is618, is11 = _promo_days(self.days)
        self.day_promo = is618 | is11

    def _sku_tables(self, products: pd.DataFrame) -> None:
        """Cumulative SKU choice probabilities per (taste group, month): segment brand and band tastes, price."""
        taste = {  # segment → brand → utility
            "value": {"Redmi": 1.4, "Xiaomi": 0.5, "Honor": 0.7, "OPPO": 0.4, "vivo": 0.5, "Huawei": 0.1,
                      "Apple": -0.3},
            "imaging": {"Xiaomi": 1.0, "vivo": 0.9, "OPPO": 0.8, "Huawei": 0.9, "Apple": 0.6, "Honor": 0.3,
                        "Redmi": 0.0},
            "gamer": {"Redmi": 1.1, "Xiaomi": 0.8, "Honor": 0.4, "OPPO": 0.3, "vivo": 0.4, "Apple": 0.3,
                      "Huawei": 0.2},
            "status": {"Apple": 1.3, "Huawei": 1.3, "Xiaomi": 0.6, "Honor": 0.3, "OPPO": 0.2, "vivo": 0.2,
                       "Redmi": -1.0},
        }
        band_taste = {  # segment → utility per band (<2000, 2000-3999, 4000-5999, 6000+)
            "value": (1.6, 1.0, -0.6, -2.0), "imaging": (-0.8, 0.3, 0.9, 0.8),
            "gamer": (0.2, 1.0, 0.6, -0.4), "status": (-2.0, -0.8, 0.6, 1.6),
        }
        logp = np.log(self.list_price / 3000.0)
        months = np.unique(self.days.astype("datetime64[M]"))
        self.months = months
        self.day_month = np.searchsorted(months, self.days.astype("datetime64[M]")).astype(np.int16)
        if "launch_date" in products and products["launch_date"].notna().any():
            launch = pd.to_datetime(products["launch_date"]).to_numpy().astype("datetime64[D]")
            nat = np.isnat(launch)
            avail = nat[None, :] | (launch[None, :] <= months.astype("datetime64[D]")[:, None])
        else:
            avail = np.ones((months.size, self.n_sku), bool)
        empty = ~avail.any(axis=1)
        avail[empty] = True  # a month before any launch: fall back to the whole line-up
        n_g = len(SEGMENTS) * self.n_sens
        util = np.zeros((n_g, self.n_sku))
        for s, name in enumerate(SEGMENTS):
            bt = np.array([taste[name].get(b, 0.0) for b in self.brands])[self.sku_brand]
            bd = np.array(band_taste[name])[self.sku_band]
            for k in range(self.n_sens):
                util[s * self.n_sens + k] = bt + bd - 0.6 * self.group_sens[s, k] * logp
        p = np.exp(util - util.max(axis=1, keepdims=True))[:, None, :] * avail[None, :, :]
        p /= p.sum(axis=2, keepdims=True)
        cum = np.cumsum(p, axis=2)
        cum[:, :, -1] = 1.0
        self.n_months = months.size
        gm = np.arange(n_g * self.n_months, dtype=float).reshape(n_g, self.n_months, 1)
        self.sku_cum_flat = (cum + gm).ravel()
        self.sku_choice = p  # for truth/diagnostics
        # stage panel purchases: a SKU of the brand on sale that month, uniformly (rows = month × brand)
        own = self.sku_brand[None, :] == np.arange(len(self.brands))[:, None]  # brand × sku
        w = avail[:, None, :] & own[None, :, :]
        w = np.where(w.any(axis=2, keepdims=True), w, own[None, :, :]).astype(float)
        self.brand_sku_cum = _stack_cum(w.reshape(-1, self.n_sku))

    def _prices(self, prices: pd.DataFrame | None) -> None:
        """Unit price per (day, selling platform, sku): listings when given, the default promo rule otherwise."""
        base, _ = default_prices(self.list_price, self.days)
        mat = np.repeat(base[:, None, :], len(SELLING), axis=1)
        if prices is not None and len(prices):
            d = (pd.to_datetime(prices["date"]).to_numpy().astype("datetime64[D]") - self.days[0]).astype(int)
            pf = pd.Categorical(prices["platform"], categories=SELLING).codes
            sku = pd.Categorical(prices["sku_id"].astype(str), categories=self.sku_ids).codes
            ok = (d >= 0) & (d < self.n_days) & (pf >= 0) & (sku >= 0)
            mat[d[ok], pf[ok], sku[ok]] = prices["price"].to_numpy(dtype=float)[ok]
        self.price = mat


# ----------------------------------------------------------------------------------------------
# the stage panel: a planted weekly Markov chain per (panel user, brand)

_PANEL_BURN_IN = 12  # weeks run before the period, so week 0 starts near the chain's stationary mix


def _simulate_panel(m: _Market, rng: np.random.Generator) -> dict[str, Any]:
    """Each panel user's weekly stage for its brand, drawn from the planted chain (NumPy over users, loop over weeks).

    A drawn ``purchase`` when the user already bought the brand in the period becomes ``loyal`` (the
    analysis counts a repeat order as loyal; the panel emits a share instead of an order). Returns the
    active user-weeks (state ≥ 1) sorted by day, each with a day inside its week, and the truth: the
    planted matrices, the expected observed matrix (Σ over the realised from-weeks of the planted row
    of each, with the repeat rule applied) and the realised counts. A from-week is every week but the
    period's last (its next week is not observed), as in the analysis.
    """
    n, nb, ns = m.panel_users.size, len(m.brands), len(CHAIN_STAGES)
    chains = np.stack([m.params.chain(b) for b in m.brands]) if nb else np.zeros((0, ns, ns))
    cum = np.cumsum(chains, axis=2)
    cum[:, :, -1] = 1.0
    brand = m.panel_brand.astype(np.int64)
    state = np.zeros(n, np.int64)
    bought = np.zeros(n, bool)
    states = np.zeros((m.n_weeks, n), np.int8)
    expected = np.zeros((nb, ns, ns))
    realised = np.zeros((nb, ns, ns), np.int64)
    for w in range(-_PANEL_BURN_IN, m.n_weeks):
        nxt = np.minimum((rng.random(n)[:, None] > cum[brand, state]).sum(axis=1), ns - 1)
        nxt = np.where((nxt == 3) & bought, 4, nxt)  # bought: only purchases inside the period count
        if w > 0:
            row = chains[brand, state].copy()
            row[bought, 4] += row[bought, 3]
            row[bought, 3] = 0.0
            np.add.at(expected, (brand, state), row)
            np.add.at(realised, (brand, state, nxt), 1)
        if w >= 0:
            bought |= nxt == 3
            states[w] = nxt
        state = nxt
    wk, who = np.nonzero(states)
    day = m.week_first[wk] + np.floor(rng.random(wk.size) * m.week_len[wk]).astype(np.int64)
    order = np.argsort(day, kind="stable")
    planted = {b: _matrix_dict(chains[i]) for i, b in enumerate(m.brands)}
    folded = chains.copy()
    folded[:, :, 4] += folded[:, :, 3]
    folded[:, :, 3] = 0.0
    exp_p = expected / np.maximum(expected.sum(axis=2, keepdims=True), 1e-300)
    return {
        "user": m.panel_users[who[order]], "brand": brand[who[order]], "state": states[wk, who][order].astype(np.int8),
        "day": day[order],
        "truth": {
            "planted": planted,
            "planted_returning": {b: _matrix_dict(folded[i]) for i, b in enumerate(m.brands)},
            "expected": {b: _matrix_dict(exp_p[i], rows=expected[i].sum(axis=1) > 0, first=1)
                         for i, b in enumerate(m.brands)},
            "realised_counts": {b: {CHAIN_STAGES[f]: {CHAIN_STAGES[t]: int(realised[i, f, t]) for t in range(ns)}
                                    for f in range(1, ns) if realised[i, f].sum()}
                                for i, b in enumerate(m.brands)},
            "panel_brand": dict(zip(m.user_ids.take(pa.array(m.panel_users)).to_pylist(),
                                    np.asarray(m.brands, dtype=object)[brand].tolist(), strict=True)),
            "definition": TRANSITION_DEFINITION,
        },
    }


def _matrix_dict(p: np.ndarray, rows: np.ndarray | None = None, first: int = 0) -> dict[str, dict[str, float]]:
    return {CHAIN_STAGES[f]: {CHAIN_STAGES[t]: float(p[f, t]) for t in range(p.shape[1])}
            for f in range(first, p.shape[0]) if rows is None or rows[f]}


TRANSITION_DEFINITION = (
    "A (user, brand)'s stage in a Monday-based week is the highest reached that week: aware (impression, "
    "content_view, live_view), interest (search, click, favorite, follow, cart), purchase (order), loyal (review, "
    "share, or an order when the user ordered the brand in an earlier week); none = no event of the brand. "
    "Panel users (panel_brand: user → its one brand) generate events only from the planted chain: aware → a "
    "brand-level content_view on douyin/xiaohongshu; interest → content_view then search; purchase → impression, "
    "click and order on jd/tmall/mistore; loyal → content_view then share. planted[brand][from][to] is the chain "
    "(the rows of a user who has not ordered the brand yet: a new customer); planted_returning the rows once they "
    "have (purchase folded into loyal); expected[brand][from][to] the planted row averaged over the realised "
    "from-weeks of active stages (a drawn "
    "purchase after an earlier one counts as loyal), over every week but the last; realised_counts the panel's "
    "transitions, which the analysis restricted to panel users must reproduce exactly."
)


# ----------------------------------------------------------------------------------------------
# one chunk of journeys


def _choose(cum_flat: np.ndarray, row: np.ndarray, width: int, u: np.ndarray) -> np.ndarray:
    """Vectorised categorical draw: row ``row`` of a stacked cumulative table (offset by row number)."""
    idx = np.searchsorted(cum_flat, row + u, side="right") - row * width
    return np.clip(idx, 0, width - 1)


def _stack_cum(p: np.ndarray) -> np.ndarray:
    """Rows of probabilities → the flat offset-cumulative table ``_choose`` reads."""
    p = np.asarray(p, float)
    p = p / p.sum(axis=-1, keepdims=True)
    cum = np.cumsum(p, axis=-1)
    cum[..., -1] = 1.0
    rows = np.arange(cum.size // cum.shape[-1], dtype=float).reshape((*cum.shape[:-1], 1))
    return (cum + rows).ravel()


# shop platform shares (jd, tmall, mistore, douyin) for focal-maker SKUs and for rivals, by tier
_SHOP_FOCAL = np.array([0.30, 0.24, 0.22, 0.24])
_SHOP_RIVAL = np.array([0.40, 0.33, 0.0, 0.27])
_DOUYIN_TIER = np.array([0.8, 0.9, 1.0, 1.15, 1.3, 1.45])  # lower tiers buy more on douyin
_SRC_BY_PF = np.array([  # search, recommend, live, kol, ad, other
    [0.45, 0.25, 0.00, 0.05, 0.15, 0.10],  # jd
    [0.40, 0.28, 0.08, 0.05, 0.12, 0.07],  # tmall
    [0.25, 0.30, 0.00, 0.00, 0.10, 0.35],  # mistore
    [0.05, 0.20, 0.50, 0.15, 0.10, 0.00],  # douyin (shop)
    [0.25, 0.50, 0.00, 0.25, 0.00, 0.00],  # xiaohongshu (content)
])
_SRC_CONTENT_DOUYIN = np.array([0.00, 0.50, 0.15, 0.25, 0.10, 0.00])


class _Chunk:
    """Collects the events of one chunk as parallel NumPy arrays."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, j: np.ndarray, ev: str, ts: np.ndarray, pf: np.ndarray, sku: np.ndarray, src: np.ndarray,
            value: np.ndarray | None = None) -> None:
        n = j.size
        if n == 0:
            return
        val = np.full(n, np.nan) if value is None else value
        self.parts.append((j, np.full(n, _E[ev], np.int8), ts, pf.astype(np.int8), sku.astype(np.int32),
                           src.astype(np.int8), val))

    def arrays(self) -> tuple[np.ndarray, ...]:
        return tuple(np.concatenate([p[i] for p in self.parts]) for i in range(7))


def _gen_chunk(m: _Market, rng: np.random.Generator, day: np.ndarray, jid0: int,
               panel: Mapping[str, np.ndarray] | None = None) -> dict[str, Any]:
    """Draw the journeys of one chunk (``day`` = day index per journey) and their events.

    ``panel`` (user, brand, state, day): the stage panel's active user-weeks falling in this chunk; each
    becomes one more journey (appended after the regular ones): a forced shop visit with an order for
    ``purchase``, brand-level content events otherwise.
    """
    fp = m.params
    n_reg = day.size
    user = m.user_pool[rng.integers(0, m.user_pool.size, n_reg)].astype(np.int64)
    grp = m.user_group[user].astype(np.int64)
    month = m.day_month[day].astype(np.int64)
    sku = _choose(m.sku_cum_flat, grp * m.n_months + month, m.n_sku, rng.random(n_reg)).astype(np.int32)
    p_content = np.where(m.user_young[user], 0.42, 0.28)
    content = rng.random(n_reg) < p_content
    pstate = np.zeros(n_reg, np.int8)
    if panel is not None and panel["user"].size:
        k = panel["user"].size
        pmonth = m.day_month[panel["day"]].astype(np.int64)
        psku = _choose(m.brand_sku_cum, pmonth * len(m.brands) + panel["brand"], m.n_sku, rng.random(k))
        user = np.concatenate([user, panel["user"]])
        day = np.concatenate([day, panel["day"]])
        sku = np.concatenate([sku, psku.astype(np.int32)])
        content = np.concatenate([content, panel["state"] != 3])
        pstate = np.concatenate([pstate, panel["state"]])
    n = day.size
    in_panel = pstate > 0
    tier = m.user_tier[user]
    brand = m.sku_brand[sku]
    band = m.sku_band[sku]
    promo = m.day_promo[day]

    # kind and platform (panel purchases: jd/tmall/mistore only)
    shop_w = np.where(m.focal_sku[sku][:, None], _SHOP_FOCAL[None, :], _SHOP_RIVAL[None, :]).copy()
    shop_w[:, 3] *= np.where(in_panel, 0.0, _DOUYIN_TIER[tier])
    shop_w /= shop_w.sum(axis=1, keepdims=True)
    cum = np.cumsum(shop_w, axis=1)
    pf_shop = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), 3)
    xhs = rng.random(n) < np.where(in_panel, 0.5, np.where(m.user_female[user], 0.45, 0.25))
    pf = np.where(content, np.where(xhs, _P["xiaohongshu"], _P["douyin"]), pf_shop).astype(np.int8)
    src_cum = _stack_cum(np.vstack([_SRC_BY_PF, _SRC_CONTENT_DOUYIN]))
    src_row = np.where(content & (pf == _P["douyin"]), 5, pf).astype(np.int64)
    src = _choose(src_cum, src_row, len(SOURCES), rng.random(n)).astype(np.int8)

    # timing: journey start within the day, leaving room for the journey's own events
    hour = np.minimum(np.searchsorted(np.cumsum(_HOUR_W / _HOUR_W.sum()), rng.random(n), side="right"), 23)
    t0s = np.clip(hour * 3600 + rng.integers(0, 3600, n), 1300, 84_500)
    t0 = m.start_us + day.astype(np.int64) * _US_DAY + t0s.astype(np.int64) * _US_S

    c = _Chunk()
    js = np.flatnonzero(~content)
    jc = np.flatnonzero(content & ~in_panel)

    # ---- shop journeys
    s_pf, s_tier, s_src, s_band, s_promo = pf[js], tier[js], src[js], band[js], promo[js]
    base = np.array([[fp.base[p][k] for k in ("ctr", "favorite_rate", "cart_rate", "visit_to_buy")] for p in SELLING])
    mt = np.array([fp.tier[t] for t in TIERS])
    ms = np.array([fp.source[s] for s in SOURCES])
    mb = np.array([fp.band[b] for b in BANDS])
    mult = base[s_pf] * mt[s_tier] * ms[s_src] * mb[s_band] * np.where(s_promo[:, None], np.array(fp.promo), 1.0)
    seeded = np.isin(s_pf, [_P[p] for p in SEARCH_SHOPS]) & (rng.random(js.size) < np.array(
        [fp.path_share[t] for t in TIERS])[s_tier])
    s_panel = in_panel[js]
    seeded &= ~s_panel
    mult[:, 3] *= np.where(seeded, fp.path_lift, 1.0)
    prob = np.clip(mult, 0.0, 0.95)
    # panel purchase weeks: a visit and an order for sure; favourite and cart at the platform's base rates
    prob[s_panel] = np.column_stack([np.ones(s_panel.sum()), base[s_pf[s_panel]][:, 1:3], np.ones(s_panel.sum())])
    u = rng.random((js.size, 4))
    clicked = u[:, 0] < prob[:, 0]
    fav = clicked & (u[:, 1] < prob[:, 1])
    cart = clicked & (u[:, 2] < prob[:, 2])
    order = clicked & (u[:, 3] < prob[:, 3])
    n_pv = np.where(clicked, 1 + rng.poisson(0.5, js.size), 0)
    s_t0, s_sku = t0[js], sku[js]

    # brand-level search before a search-sourced visit; live view before a live-sourced douyin visit
    k = np.flatnonzero(s_src == _S["search"])
    c.add(js[k], "search", s_t0[k] - rng.integers(5, 60, k.size) * _US_S, s_pf[k], np.full(k.size, -1), s_src[k])
    k = np.flatnonzero((s_src == _S["live"]) & (s_pf == _P["douyin"]))
    c.add(js[k], "live_view", s_t0[k] - rng.integers(30, 1200, k.size) * _US_S, s_pf[k], s_sku[k], s_src[k])
    c.add(js, "impression", s_t0, s_pf, s_sku, s_src)
    k = np.flatnonzero(n_pv)
    kk = np.repeat(k, n_pv[k])
    step = rng.integers(10, 120, kk.size) * _US_S
    # cumulative offsets within each journey's run of page views
    run_start = np.repeat(np.cumsum(n_pv[k]) - n_pv[k], n_pv[k])
    cs = np.cumsum(step)
    off = cs - np.concatenate([[0], cs])[run_start]
    c.add(js[kk], "click", s_t0[kk] + off, s_pf[kk], s_sku[kk], s_src[kk])
    t_fav = s_t0 + rng.integers(30, 300, js.size) * _US_S
    k = np.flatnonzero(fav)
    c.add(js[k], "favorite", t_fav[k], s_pf[k], s_sku[k], s_src[k])
    k = np.flatnonzero(cart)
    c.add(js[k], "cart", s_t0[k] + rng.integers(60, 600, k.size) * _US_S, s_pf[k], s_sku[k], s_src[k])

    ko = np.flatnonzero(order)
    o_day = day[js[ko]]
    unit_price = m.price[o_day, s_pf[ko], s_sku[ko]]
    units = np.where(rng.random(ko.size) < 0.07, 2, 1).astype(np.int64)
    o_ts = s_t0[ko] + rng.integers(120, 1800, ko.size) * _US_S
    c.add(js[ko], "order", o_ts, s_pf[ko], s_sku[ko], s_src[ko], unit_price * units)
    # Loyal: review and share a few days after the order (dropped when after the period)
    for ev, p_ev, lo, hi in (("review", 0.30, 2, 20), ("share", 0.06, 1, 10)):
        kr = ko[(rng.random(ko.size) < p_ev) & ~s_panel[ko]]  # the panel's loyal weeks come from its chain
        tr = s_t0[kr] + rng.integers(lo * 86_400, hi * 86_400, kr.size) * _US_S
        keep = tr < m.end_us
        c.add(js[kr[keep]], ev, tr[keep], s_pf[kr[keep]], s_sku[kr[keep]], s_src[kr[keep]])
    # 种草: a content view of the same SKU on douyin/xiaohongshu before the visit
    k = np.flatnonzero(seeded)
    tc = np.maximum(s_t0[k] - rng.integers(600, int((fp.path_window_days - 0.1) * 86_400), k.size) * _US_S,
                    m.start_us)
    tc = np.minimum(tc, s_t0[k] - _US_S)  # strictly before the visit
    c_pf = np.where(rng.random(k.size) < 0.5, _P["douyin"], _P["xiaohongshu"])
    c_src = np.where(rng.random(k.size) < 0.6, _S["kol"], _S["recommend"])
    c.add(js[k], "content_view", tc, c_pf, s_sku[k], c_src)

    # ---- content journeys
    c_t0, c_pf2, c_src2, c_sku = t0[jc], pf[jc], src[jc], sku[jc]
    n_cv = 1 + rng.poisson(0.8, jc.size)
    sku_level = rng.random(jc.size) < 0.6
    kk = np.repeat(np.arange(jc.size), n_cv)
    run_start = np.repeat(np.cumsum(n_cv) - n_cv, n_cv)
    step = rng.integers(15, 300, kk.size) * _US_S
    cs = np.cumsum(step)
    off = cs - np.concatenate([[0], cs])[run_start]
    c.add(jc[kk], "content_view", c_t0[kk] + off, c_pf2[kk], np.where(sku_level[kk], c_sku[kk], -1), c_src2[kk])
    for ev, p_ev, lvl in (("live_view", 0.25, True), ("search", 0.15, False), ("follow", 0.03, False),
                          ("share", 0.04, True)):
        pmask = rng.random(jc.size) < p_ev
        if ev == "live_view":
            pmask &= c_pf2 == _P["douyin"]
        k = np.flatnonzero(pmask)
        sk = np.where(sku_level[k], c_sku[k], -1) if lvl else np.full(k.size, -1)
        c.add(jc[k], ev, c_t0[k] + rng.integers(60, 1500, k.size) * _US_S, c_pf2[k], sk, c_src2[k])

    # ---- stage panel, non-purchase weeks: brand-level content_view, then search (interest) or share (loyal)
    jp = np.flatnonzero(content & in_panel)
    if jp.size:
        p_st, no_sku = pstate[jp], np.full(jp.size, -1)
        c.add(jp, "content_view", t0[jp], pf[jp], no_sku, src[jp])
        t_next = t0[jp] + rng.integers(60, 600, jp.size) * _US_S
        for ev, st in (("search", 2), ("share", 4)):
            k = p_st == st
            c.add(jp[k], ev, t_next[k], pf[jp[k]], no_sku[k], src[jp[k]])

    j, ev, ts, epf, esku, esrc, val = c.arrays()
    order_idx = np.argsort(ts, kind="stable")
    j, ev, ts, epf, esku, esrc, val = (a[order_idx] for a in (j, ev, ts, epf, esku, esrc, val))
    ebrand = brand[j]
    return {
        "events": (j, ev, ts, epf, esku, ebrand, esrc, val, user[j]),
        "shop": {"j": js, "day": day[js], "pf": s_pf, "sku": s_sku, "tier": s_tier, "src": s_src, "band": s_band,
                 "user": user[js], "clicked": clicked, "n_pv": n_pv, "fav": fav, "cart": cart, "order": order,
                 "prob": prob, "seeded": seeded},
        "orders": {"j": js[ko], "ts": o_ts, "user": user[js[ko]], "pf": s_pf[ko], "sku": s_sku[ko],
                   "units": units, "price": unit_price, "src": s_src[ko]},
        "jid0": jid0, "n": n,
    }


# ----------------------------------------------------------------------------------------------
# chunk → Arrow


def _dict_col(codes: np.ndarray, names: pa.Array, null: np.ndarray | None = None) -> pa.Array:
    idx = pa.array(codes.astype(np.int32), mask=null)
    return pa.DictionaryArray.from_arrays(idx, names)


def _events_table(m: _Market, g: dict[str, Any]) -> pa.Table:
    j, ev, ts, pf, sku, brand, src, val, user = g["events"]
    no_sku = sku < 0
    session = pc.binary_join_element_wise("s", pc.cast(pa.array(j + g["jid0"]), pa.string()), "")
    return pa.table({
        "ts": pa.array(ts, type=pa.timestamp("us")),
        "platform": _dict_col(pf, pa.array(PLATFORMS)),
        "user_id": _dict_col(user, m.user_ids),
        "event": _dict_col(ev, pa.array(EVENTS)),
        "sku_id": _dict_col(np.where(no_sku, 0, sku), pa.array(m.sku_ids), null=no_sku),
        "brand": _dict_col(brand, pa.array(m.brands)),
        "source": _dict_col(src, pa.array(SOURCES)),
        "session_id": session,
        "value": pa.array(val, mask=np.isnan(val)),
    })


_COUNT_COLS = ("impressions", "clicks", "visitors", "page_views", "favorites", "add_to_carts", "buyers", "orders",
               "units")


def _traffic_chunk(m: _Market, g: dict[str, Any]) -> tuple[pa.Table, np.ndarray]:
    """Daily aggregates of the chunk's shop journeys, and a (platform, tier, source, band, metric) sum cube."""
    s = g["shop"]
    n_t, n_s, n_b = len(TIERS), len(SOURCES), len(BANDS)
    key = ((((s["day"].astype(np.int64) * len(SELLING) + s["pf"]) * m.n_sku + s["sku"]) * n_t + s["tier"]) * n_s
           + s["src"])
    uk, gi = np.unique(key, return_inverse=True)
    ng = uk.size

    def distinct(flag: np.ndarray) -> np.ndarray:
        pair = np.unique(gi[flag].astype(np.int64) * m.n_users + s["user"][flag])
        return np.bincount(pair // m.n_users, minlength=ng)

    o = g["orders"]
    units_j = np.zeros(s["j"].size, np.int64)
    gmv_j = np.zeros(s["j"].size)
    units_j[s["order"]] = o["units"]
    gmv_j[s["order"]] = o["units"] * o["price"]
    cols = {
        "impressions": np.bincount(gi, minlength=ng),
        "clicks": np.bincount(gi, weights=s["clicked"], minlength=ng).astype(np.int64),
        "visitors": distinct(s["clicked"]),
        "page_views": np.bincount(gi, weights=s["n_pv"], minlength=ng).astype(np.int64),
        "favorites": distinct(s["fav"]),
        "add_to_carts": distinct(s["cart"]),
        "buyers": distinct(s["order"]),
        "orders": np.bincount(gi, weights=s["order"], minlength=ng).astype(np.int64),
        "units": np.bincount(gi, weights=units_j, minlength=ng).astype(np.int64),
    }
    gmv = np.bincount(gi, weights=gmv_j, minlength=ng)
    src_ = uk % n_s
    r = uk // n_s
    tier = r % n_t
    r //= n_t
    sku = r % m.n_sku
    r //= m.n_sku
    pf = r % len(SELLING)
    day = r // len(SELLING)
    df = pa.table({
        "date": pa.array(m.days[day]),
        "platform": _dict_col(pf, pa.array(SELLING)),
        "sku_id": _dict_col(sku, pa.array(m.sku_ids)),
        "city_tier": _dict_col(tier, pa.array(TIERS)),
        "source": _dict_col(src_, pa.array(SOURCES)),
        **{k: pa.array(v, type=pa.int64()) for k, v in cols.items()},
        "gmv": pa.array(np.round(gmv, 2)),
    })
    # cube of sums by platform × tier × source × band, for the truth's rate tables
    band = m.sku_band[sku]
    cell = ((pf * n_t + tier) * n_s + src_) * n_b + band
    cube = np.zeros((len(SELLING) * n_t * n_s * n_b, len(_COUNT_COLS) + 1))
    for i, name in enumerate(_COUNT_COLS):
        cube[:, i] = np.bincount(cell, weights=cols[name], minlength=cube.shape[0])
    cube[:, -1] = np.bincount(cell, weights=gmv, minlength=cube.shape[0])
    return df, cube


# ----------------------------------------------------------------------------------------------
# public entry point


def _expected_events_per_journey(m: _Market, rng: np.random.Generator) -> float:
    """Mean events per journey, from a pilot chunk (not written) — sizes the run to ``n_events``."""
    day = np.sort(rng.integers(0, m.n_days, 20_000))
    return max(_gen_chunk(m, rng, day, 0)["events"][0].size / day.size, 1e-9)


def simulate_channels(
    products: pd.DataFrame,
    users: pd.DataFrame,
    *,
    rng: np.random.Generator,
    n_events: int,
    out_dir: Path,
    start: date,
    end: date,
    progress: Progress | None = None,
    prices: pd.DataFrame | None = None,
    params: FunnelParams | None = None,
    chunk_journeys: int = 250_000,
) -> ChannelResult:
    """Simulate journeys and write ``events`` (Parquet parts), ``traffic`` and ``orders`` into ``out_dir``.

    Parameters
    ----------
    products, users : twin-core's frames (contract columns plus ``_price_band`` / ``_segment``, ``_price_sens``).
    rng : the generator of this part of the twin; same state → same bytes.
    n_events : target number of events (met within about 1%).
    start, end : observation period, inclusive (naive Beijing time).
    prices : optional listings-shaped frame (date, platform, sku_id, price) — order prices follow it so
        ``orders`` agree with ``listings``; otherwise :func:`default_prices`.
    params : the planted funnel; defaults to :class:`FunnelParams`.
    chunk_journeys : journeys per chunk (whole days per chunk); bounds memory.
    """
    params = params or FunnelParams()
    out_dir = Path(out_dir)
    m = _Market(products, users, start, end, prices, params)
    per_journey = _expected_events_per_journey(m, np.random.default_rng(rng.integers(2**63)))
    panel = _simulate_panel(m, rng)
    # panel events: 1 (aware), 2 (interest, loyal), impression + click(s) + order (+ search, fav, cart) ≈ 3.6
    st = panel["state"]
    panel_events = (st == 1).sum() + 2 * np.isin(st, (2, 4)).sum() + 3.6 * (st == 3).sum()
    n_journeys = max(round((n_events - panel_events) / per_journey), 1)
    p_day = panel["day"]
    per_day = rng.multinomial(n_journeys, m.day_w / m.day_w.sum())
    # chunks of whole days, about chunk_journeys each
    bounds = [0]
    cum = np.cumsum(per_day)
    while bounds[-1] < m.n_days:
        lo = bounds[-1]
        hi = int(np.searchsorted(cum, (cum[lo - 1] if lo else 0) + chunk_journeys, side="right"))
        bounds.append(min(max(hi, lo + 1), m.n_days))
    task = ensure(progress).task("channels: events", total=n_journeys)

    n_t, n_s, n_b = len(TIERS), len(SOURCES), len(BANDS)
    cube = np.zeros((len(SELLING) * n_t * n_s * n_b, len(_COUNT_COLS) + 1))
    expected = np.zeros((len(SELLING), 5))  # Σ impressions, Σp_click, Σp_click·p_fav, ·p_cart, ·p_order
    reached = np.zeros((len(STAGES), len(m.brands), m.n_users), dtype=bool)
    n_orders_bu = np.zeros((len(m.brands), m.n_users), dtype=np.uint16)
    seed_stats = np.zeros((n_t, 4))  # planted: shop journeys on search shops, seeded, orders, seeded orders
    ev_counts = np.zeros(len(EVENTS), np.int64)
    order_frames: list[pd.DataFrame] = []
    n_written = 0
    jid = 0
    w_events = TableWriter(out_dir, "events", parts=True)
    w_traffic = TableWriter(out_dir, "traffic")
    paths = _PathTracker(m, params.path_window_days)

    def write(ev_table: pa.Table, tr_table: pa.Table) -> int:
        if tr_table.num_rows:
            w_traffic.write(tr_table)
        return w_events.write(ev_table)

    # one writer thread: Parquet encoding (GIL released) overlaps the next chunk's NumPy work; the
    # single worker keeps part order, so output stays deterministic
    pending: Future[int] | None = None
    with ThreadPoolExecutor(max_workers=1) as pool:
        for lo, hi in itertools.pairwise(bounds):
            day = np.repeat(np.arange(lo, hi, dtype=np.int32), per_day[lo:hi])
            a, b = np.searchsorted(p_day, [lo, hi])
            if day.size == 0 and a == b:
                continue
            g = _gen_chunk(m, rng, day, jid, {k: panel[k][a:b] for k in ("user", "brand", "state", "day")})
            g["last_day"] = hi - 1
            paths.add(g)
            jid += g["n"]
            ev_table = _events_table(m, g)
            tdf, tcube = _traffic_chunk(m, g)
            cube += tcube
            if pending is not None:
                n_written += pending.result()
            pending = pool.submit(write, ev_table, tdf)
            del ev_table, tdf

            s = g["shop"]
            pr = s["prob"]
            for i in range(len(SELLING)):
                k = s["pf"] == i
                expected[i] += [k.sum(), pr[k, 0].sum(), (pr[k, 0] * pr[k, 1]).sum(), (pr[k, 0] * pr[k, 2]).sum(),
                                (pr[k, 0] * pr[k, 3]).sum()]
            k = np.isin(s["pf"], [_P[p] for p in SEARCH_SHOPS])
            seed_stats += np.stack([
                np.bincount(s["tier"][k], minlength=n_t),
                np.bincount(s["tier"][k], weights=s["seeded"][k], minlength=n_t),
                np.bincount(s["tier"][k], weights=s["order"][k], minlength=n_t),
                np.bincount(s["tier"][k], weights=(s["order"] & s["seeded"])[k], minlength=n_t),
            ], axis=1)

            ev, ebrand, euser = g["events"][1], g["events"][5], g["events"][8]
            ev_counts += np.bincount(ev, minlength=len(EVENTS))
            stage = np.array([_EVENT_STAGE[e] for e in EVENTS], np.int8)[ev]
            for st in range(len(STAGES)):
                k = stage == st
                reached[st, ebrand[k], euser[k]] = True
            k = ev == _E["order"]
            np.add.at(n_orders_bu, (ebrand[k], euser[k]), 1)

            o = g["orders"]
            order_frames.append(pd.DataFrame({
                "_j": o["j"] + g["jid0"], "ts": o["ts"], "user": o["user"], "pf": o["pf"], "sku": o["sku"],
                "units": o["units"], "price_paid": o["price"], "src": o["src"],
            }))
            task.advance(day.size)
        if pending is not None:
            n_written += pending.result()
    w_events.close()
    n_traffic = w_traffic.close()

    orders = _orders_frame(m, order_frames)
    w = TableWriter(out_dir, "orders")
    w.write(orders)
    w.close()

    truth = _truth(m, cube, expected, reached, n_orders_bu, seed_stats, ev_counts, n_written, n_traffic, orders)
    truth["paths"] = paths.finish(truth.pop("paths_planted"))
    truth["stages"]["transitions"] = panel["truth"]
    return ChannelResult(orders=orders, truth=truth)


def _orders_frame(m: _Market, frames: list[pd.DataFrame]) -> pd.DataFrame:
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        {k: pd.Series(dtype=t) for k, t in (("_j", "int64"), ("ts", "int64"), ("user", "int64"), ("pf", "int8"),
                                            ("sku", "int32"), ("units", "int64"), ("price_paid", float),
                                            ("src", "int8"))})
    df = df.sort_values(["ts", "_j"], kind="stable").reset_index(drop=True)
    return pd.DataFrame({
        "order_id": pc.binary_join_element_wise(
            "O", pc.utf8_lpad(pc.cast(pa.array(np.arange(len(df), dtype=np.int64)), pa.string()), 9, "0"), ""
        ).to_pandas(),
        "ts": pd.to_datetime(df["ts"].to_numpy(), unit="us"),
        "user_id": m.user_ids.take(pa.array(df["user"].to_numpy())).to_pandas(),
        "platform": np.asarray(PLATFORMS, dtype=object)[df["pf"].to_numpy()],
        "sku_id": m.sku_ids[df["sku"].to_numpy()],
        "units": df["units"].to_numpy(np.int64),
        "price_paid": df["price_paid"].to_numpy(float),
        "source": np.asarray(SOURCES, dtype=object)[df["src"].to_numpy()],
        "session_id": pc.binary_join_element_wise("s", pc.cast(pa.array(df["_j"].to_numpy()), pa.string()),
                                                  "").to_pandas(),
    })


def _rate(num: float, den: float) -> float:
    return float(num / den) if den > 0 else 0.0


def _rates_from(sums: np.ndarray) -> dict[str, float]:
    """Funnel rates from summed traffic columns (as issue 8 defines them)."""
    col = {n: sums[i] for i, n in enumerate(_COUNT_COLS)}
    return {
        "ctr": _rate(col["clicks"], col["impressions"]),
        "favorite_rate": _rate(col["favorites"], col["visitors"]),
        "cart_rate": _rate(col["add_to_carts"], col["visitors"]),
        "visit_to_buy": _rate(col["buyers"], col["visitors"]),
    }


def _truth(m: _Market, cube: np.ndarray, expected: np.ndarray, reached: np.ndarray, n_orders_bu: np.ndarray,
           seed_stats: np.ndarray, ev_counts: np.ndarray, n_events: int, n_traffic: int,
           orders: pd.DataFrame) -> dict[str, Any]:
    n_t, n_s, n_b = len(TIERS), len(SOURCES), len(BANDS)
    c = cube.reshape(len(SELLING), n_t, n_s, n_b, -1)
    funnel = {p: _rates_from(c[i].sum(axis=(0, 1, 2))) for i, p in enumerate(SELLING)}
    detail: dict[str, dict[str, dict[str, dict[str, float]]]] = {"city_tier": {}, "source": {}, "price_band": {}}
    for i, p in enumerate(SELLING):
        detail["city_tier"][p] = {t: _rates_from(c[i, a].sum(axis=(0, 1))) for a, t in enumerate(TIERS)}
        detail["source"][p] = {s: _rates_from(c[i, :, a].sum(axis=(0, 1))) for a, s in enumerate(SOURCES)
                               if c[i, :, a, :, 0].sum() > 0}
        detail["price_band"][p] = {b: _rates_from(c[i, :, :, a].sum(axis=(0, 1))) for a, b in enumerate(BANDS)}
    e = expected
    planted = {p: {"ctr": _rate(e[i, 1], e[i, 0]), "favorite_rate": _rate(e[i, 2], e[i, 1]),
                   "cart_rate": _rate(e[i, 3], e[i, 1]), "visit_to_buy": _rate(e[i, 4], e[i, 1])}
               for i, p in enumerate(SELLING)}
    fp = m.params
    params = asdict(fp)
    funnel_params = {
        "platforms": planted,
        "base": {p: dict(fp.base[p]) for p in SELLING},
        "multipliers": {
            "order": ["ctr", "favorite_rate", "cart_rate", "visit_to_buy"],
            "city_tier": {k: list(v) for k, v in fp.tier.items()},
            "source": {k: list(v) for k, v in fp.source.items()},
            "price_band": {k: list(v) for k, v in fp.band.items()},
            "promo": list(fp.promo),
            "path_lift_on_visit_to_buy": fp.path_lift,
        },
        "definition": "platforms[p] = expected population rate over the generated journeys (Σ of planted "
                      "probabilities); funnel[p] is the realised value from traffic (exact).",
    }
    # stages: highest AIPL stage per (brand, user); repeat orders promote to loyal
    loyal = reached[3] | (n_orders_bu >= 2)
    top = np.where(loyal, 3, np.where(reached[2], 2, np.where(reached[1], 1, np.where(reached[0], 0, -1))))
    stages = {b: {s: int((top[bi] == si).sum()) for si, s in enumerate(STAGES)} for bi, b in enumerate(m.brands)}
    ss = seed_stats
    paths_planted = {
        "share_of_visits": {t: float(fp.path_share[t]) for t in TIERS},
        "lift": float(fp.path_lift),
        "window_days": int(fp.path_window_days),
        "realised_seeded_journeys": {t: _rate(ss[a, 1], ss[a, 0]) for a, t in enumerate(TIERS)},
        "realised_seeded_order_share": {t: _rate(ss[a, 3], ss[a, 2]) for a, t in enumerate(TIERS)},
    }
    tot = cube.sum(axis=0)
    return {
        "funnel": funnel,
        "funnel_params": funnel_params,
        "funnel_detail": detail,
        "stages": {"highest_stage_users": stages,
                   "definition": "aware: impression/content_view/live_view; interest: search/click/favorite/"
                                 "follow/cart; purchase: order; loyal: review/share or a second order; "
                                 "each (brand, user) counted once at its highest stage over the period"},
        "paths_planted": paths_planted,
        "consistency": {
            "events": int(n_events),
            "events_by_type": {ev: int(ev_counts[i]) for i, ev in enumerate(EVENTS)},
            "traffic_rows": int(n_traffic),
            "orders": len(orders),
            "units": int(orders["units"].sum()),
            "gmv": float(np.round((orders["units"] * orders["price_paid"]).sum(), 2)),
            "traffic_totals": {n: int(tot[i]) for i, n in enumerate(_COUNT_COLS)},
        },
        "params": {"funnel": {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in params.items()}},
    }


PATH_DEFINITION = (
    "buyer_share: share of orders on jd/tmall/mistore whose user viewed content (content_view or live_view) of "
    "the same SKU on douyin/xiaohongshu within window_days before the order. lift: conversion (sessions with an "
    "order / sessions with a click) of visits preceded by such a view within the window before the first click, "
    "divided by that of the other visits."
)


class _PathTracker:
    """Exact 种草 → 拔草 truth, streamed: a rolling, sorted buffer of content views keyed by (user, sku, second).

    Why not SQL afterwards: a join over 100M written events needs more memory than the twin may use.
    Every event time is a whole second, so (user·n_sku + sku) << bits | second is an exact sortable key and a
    window test is two ``searchsorted`` calls. A visit is decided once no later chunk can still emit a view
    before it (chunks are whole days in order; seeded views lie < window_days before their journey).
    """

    def __init__(self, m: _Market, window_days: int) -> None:
        self.m = m
        self.w = int(window_days) * 86_400
        self.bits = int(np.ceil(np.log2((m.n_days + 1) * 86_400)))
        if np.log2(max(m.n_users * m.n_sku, 2)) + self.bits >= 62:
            raise ValueError("simulate_channels: too many users × SKUs × days for the path tracker's keys")
        self.views = np.empty(0, np.int64)
        self.pending: dict[str, np.ndarray] = {k: np.empty(0, np.int64) for k in ("key", "tc", "to", "tier")}
        self.acc = np.zeros((len(TIERS), 5), np.int64)  # visits, seeded visits, seeded buys, buys, seeded orders

    def add(self, g: dict[str, Any]) -> None:
        m = self.m
        j, ev, ts, pf, sku, _, _, _, user = g["events"]
        secs = (ts - m.start_us) // _US_S
        vm = np.isin(ev, [_E["content_view"], _E["live_view"]]) & np.isin(pf, [_P[p] for p in CONTENT]) & (sku >= 0)
        comp = ((user[vm] * m.n_sku + sku[vm]) << self.bits) | secs[vm]
        self.views = np.sort(np.concatenate([self.views, comp]))
        shops = np.isin(pf, [_P[p] for p in SEARCH_SHOPS])
        cm = np.flatnonzero((ev == _E["click"]) & shops)
        uj, first = np.unique(j[cm], return_index=True)  # events are time-sorted: first index = first click
        fc = cm[first]
        t_order = np.full(uj.size, -1, np.int64)
        om = np.flatnonzero((ev == _E["order"]) & shops)
        t_order[np.searchsorted(uj, j[om])] = secs[om]
        new = {"key": user[fc] * m.n_sku + sku[fc], "tc": secs[fc], "to": t_order,
               "tier": m.user_tier[user[fc]].astype(np.int64)}
        self.pending = {k: np.concatenate([self.pending[k], new[k]]) for k in self.pending}
        last_day = int(g["last_day"])
        self._decide(self.pending["tc"] // 86_400 <= last_day - 8)
        cut = ((last_day - 8) * 86_400) - self.w  # no undecided visit can look back before this second
        if cut > 0 and self.views.size:
            self.views = self.views[(self.views & ((1 << self.bits) - 1)) >= cut]

    def _seen(self, key: np.ndarray, t: np.ndarray) -> np.ndarray:
        hi = (key << self.bits) | np.maximum(t, 0)
        lo = (key << self.bits) | np.maximum(t - self.w, 0)
        return np.searchsorted(self.views, hi, side="left") > np.searchsorted(self.views, lo, side="left")

    def _decide(self, mask: np.ndarray) -> None:
        if not mask.any():
            return
        p = {k: v[mask] for k, v in self.pending.items()}
        self.pending = {k: v[~mask] for k, v in self.pending.items()}
        seeded = self._seen(p["key"], p["tc"])
        bought = p["to"] >= 0
        s_order = bought & self._seen(p["key"], p["to"])
        nt = len(TIERS)
        self.acc += np.stack([np.bincount(p["tier"], weights=w, minlength=nt).astype(np.int64)
                              for w in (np.ones(bought.size), seeded, seeded & bought, bought, s_order)], axis=1)

    def finish(self, planted: dict[str, Any]) -> dict[str, Any]:
        self._decide(np.ones(self.pending["tc"].size, bool))

        def row(a: np.ndarray) -> dict[str, float]:
            visits, s_visits, s_buys, buys, s_orders = (int(x) for x in a)
            conv_s = _rate(s_buys, s_visits)
            conv_u = _rate(buys - s_buys, visits - s_visits)
            return {"buyer_share": _rate(s_orders, buys), "conversion_seeded": conv_s, "conversion_unseeded": conv_u,
                    "lift": _rate(conv_s, conv_u), "visits": visits, "buyers": buys}

        return {"window_days": self.w // 86_400,
                "by_tier": {t: row(self.acc[i]) for i, t in enumerate(TIERS) if self.acc[i, 0] > 0},
                "all": row(self.acc.sum(axis=0)), "planted": planted, "definition": PATH_DEFINITION}
