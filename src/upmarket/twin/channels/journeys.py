"""One chunk of journeys (whole days): each journey's platform, source, SKU and the events it emits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from upmarket.twin.channels.market import _choose, _Market, _stack_cum
from upmarket.twin.channels.params import (
    _E,
    _HOUR_W,
    _P,
    _S,
    _US_DAY,
    _US_S,
    BANDS,
    SEARCH_SHOPS,
    SELLING,
    SOURCES,
    TIERS,
)

# ----------------------------------------------------------------------------------------------
# one chunk of journeys


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
