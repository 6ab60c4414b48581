"""The channel simulation's vocabulary and knobs: platforms, sources, stages, the planted funnel
(``FunnelParams``), what a run returns (``ChannelResult``) and the static price and day tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from upmarket.contract.codes import CITY_TIER, EVENT, NATIONAL_SUBSIDY, PRICE_BAND, SOURCE

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
