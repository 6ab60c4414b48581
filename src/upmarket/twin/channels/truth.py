"""Truth of a channel run: realised funnel rates, the planted parameters and the 种草 → 拔草 paths (streamed)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from upmarket.twin.channels.market import _Market
from upmarket.twin.channels.params import (
    _E,
    _P,
    _US_S,
    BANDS,
    CONTENT,
    EVENTS,
    SEARCH_SHOPS,
    SELLING,
    SOURCES,
    STAGES,
    TIERS,
)
from upmarket.twin.channels.tables import _COUNT_COLS


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
