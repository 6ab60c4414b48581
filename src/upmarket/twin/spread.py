"""Posts, their share cascades, creator fees and attributed GMV, with the answers planted.

Creators (brand accounts, executives such as a founder's account, KOLs, KOCs, media and panel
users) post on Douyin, Xiaohongshu, Weibo and Bilibili. Each post's shares grow as a
Galton–Watson branching process with negative-binomial offspring: the root's mean offspring is
proportional to the creator's followers, later generations have a reproduction number set by
creator type (``CASCADE``). Broadcast accounts (brand, executive) get many direct shares and
little onward spread (shallow stars); users and KOCs get few direct shares but near-critical
onward spread (deep chains). All cascades grow together, generation by generation, with NumPy;
there is no Python loop per node or per post.

The contract's edge cases are planted and counted: duplicate shares (a user's second share,
kept in the table, not a node), parents whose share is dated after the child's (attached to the
root), unknown parents (a deleted account; attached to the root), and root children that name
the creator as parent. ``truth["spread"]`` holds size, depth, max_breadth and structural
virality of the effective tree after these rules, computed exactly in O(n): the Wiener index of
a tree is the sum over edges of s·(n−s), s the child's subtree size; structural virality is
W / C(n, 2), and 0 for a lone root.

Paid posts (most KOL, some KOC and media posts) carry a fee; GMV is attributed to paid posts and
livestreams. Each paid creator has a planted ROI (type ROI × format multiplier × a creator
effect); realised GMV is Poisson units × price around it. ``truth["creators"]`` holds planted and
realised ROI by type and by creator.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from upmarket.twin import lexicon as lx
from upmarket.twin.voice import (
    ASPECTS,
    DEFAULT_IMPORTANCE,
    SEGMENT_VALUE_LOGIT,
    VALUE_FRAMING_SHARE,
    Progress,
    _brand_group,
    aspect_quality,
    plant_opinions,
    voice_truth,
)

CREATOR_TYPES: tuple[str, ...] = ("brand", "executive", "kol", "koc", "media", "user")
POST_PLATFORMS: tuple[str, ...] = ("douyin", "xiaohongshu", "weibo", "bilibili")
FORMATS: tuple[str, ...] = ("short_video", "note", "livestream", "article")

TYPE_MIX: dict[str, float] = {"brand": 0.07, "executive": 0.03, "kol": 0.15, "koc": 0.25, "media": 0.05, "user": 0.45}
BRAND_MIX: dict[str, float] = {
    "Xiaomi": 0.30, "Redmi": 0.12, "Huawei": 0.18, "Apple": 0.17, "OPPO": 0.08, "vivo": 0.08, "Honor": 0.07,
}
PLATFORM_MIX: dict[str, tuple[float, ...]] = {  # douyin, xiaohongshu, weibo, bilibili
    "brand": (0.35, 0.25, 0.30, 0.10), "executive": (0.40, 0.0, 0.50, 0.10), "kol": (0.40, 0.30, 0.10, 0.20),
    "koc": (0.40, 0.45, 0.05, 0.10), "media": (0.20, 0.10, 0.40, 0.30), "user": (0.45, 0.35, 0.15, 0.05),
}
LIVESTREAM_SHARE: dict[str, float] = {
    "brand": 0.30, "executive": 0.20, "kol": 0.25, "koc": 0.05, "media": 0.0, "user": 0.0,
}

EXECUTIVES: tuple[tuple[str, float], ...] = (  # (brand, followers): founder accounts have tens of millions
    ("Xiaomi", 2.6e7), ("Xiaomi", 4.0e6), ("Redmi", 5.0e6), ("Huawei", 1.2e7), ("Honor", 3.0e6), ("OPPO", 1.5e6),
    ("vivo", 1.2e6),
)
FOLLOWERS: dict[str, tuple[float, float, float, float]] = {  # lognormal median, sigma, min, max
    "brand": (3.0e6, 0.8, 2e5, 5e7), "kol": (8.0e5, 1.0, 1e5, 3e7), "koc": (1.5e4, 0.8, 1e3, 1e5),
    "media": (5.0e5, 0.8, 5e4, 2e7), "user": (150.0, 1.2, 0.0, 5e4),
}
N_CREATORS: dict[str, int] = {"kol": 400, "koc": 3000, "media": 60}


@dataclass(frozen=True)
class CascadeParams:
    """Branching parameters of one creator type."""

    root_rate: float  # mean direct shares per follower
    root_floor: float  # mean direct shares from recommendation feeds, whatever the followers
    r: float  # mean offspring of a non-root share
    k: float  # negative-binomial dispersion of non-root offspring (small = super-spreaders)
    k_root: float
    delay_h: float  # median hours between a share and its parent


CASCADE: dict[str, CascadeParams] = {
    "brand": CascadeParams(4e-5, 5.0, 0.15, 1.0, 3.0, 0.5),
    "executive": CascadeParams(3e-5, 20.0, 0.20, 1.0, 3.0, 0.3),
    "kol": CascadeParams(6e-5, 3.0, 0.45, 0.8, 2.0, 1.0),
    "koc": CascadeParams(1.5e-4, 1.0, 0.88, 0.6, 2.0, 2.0),
    "media": CascadeParams(5e-5, 2.0, 0.35, 1.0, 2.0, 1.0),
    "user": CascadeParams(5e-3, 1.5, 0.93, 0.6, 3.0, 3.0),
}
FORMAT_ROOT: dict[str, float] = {"short_video": 1.0, "note": 0.7, "livestream": 0.3, "article": 0.5}
FORMAT_R: dict[str, float] = {"short_video": 1.0, "note": 1.0, "livestream": 0.7, "article": 0.9}
MAX_CASCADE = 200_000
MAX_GENERATIONS = 1_000

# edge cases, as shares of non-root nodes
P_DUPLICATE, P_LATE_PARENT, P_UNKNOWN_PARENT, P_PARENT_IS_CREATOR = 0.005, 0.003, 0.003, 0.2

PAID_SHARE: dict[str, float] = {"kol": 0.75, "koc": 0.5, "media": 0.3}
FEE_PER_FOLLOWER: dict[str, float] = {"kol": 0.025, "koc": 0.04, "media": 0.02}
TYPE_ROI: dict[str, float] = {"kol": 2.5, "koc": 1.8, "media": 1.2}
"""Planted GMV per CNY of fee for a creator type's non-livestream paid posts (livestreams × LIVE_ROI)."""
LIVE_ROI = 2.0
LIVE_FEE = 2.0
CREATOR_ROI_SIGMA = 0.35
VIEWS_PER_SHARE = 60.0
LIKE_RATE = {"short_video": 0.04, "note": 0.05, "livestream": 0.01, "article": 0.01}
SAVE_RATE = {"xiaohongshu": 0.03, "douyin": 0.004, "weibo": 0.002, "bilibili": 0.01}


@dataclass
class SpreadResult:
    """Posts and shares (contract columns), per-post labels, and the spread/creator truth."""

    posts: pd.DataFrame
    shares: pd.DataFrame
    labels: pd.DataFrame
    truth: dict


def _ts_us(x: date | datetime | str) -> int:
    return int(pd.Timestamp(x).to_datetime64().astype("datetime64[us]").astype(np.int64))


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0"), "")


def _choice(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row of a (n, k) probability matrix."""
    c = np.cumsum(probs, axis=1)
    return np.minimum((rng.random(probs.shape[0])[:, None] * c[:, -1:] > c).sum(axis=1), probs.shape[1] - 1)


# ----------------------------------------------------------------------------- cascades
@dataclass
class Cascades:
    """All cascades' nodes, roots first, then generation by generation (parents precede children)."""

    post: np.ndarray  # post index of each node
    parent: np.ndarray  # generated parent node (−1 for roots)
    gen: np.ndarray  # generation (0 for roots)
    ts: np.ndarray  # µs


def grow_cascades(rng: np.random.Generator, root_mean: np.ndarray, r: np.ndarray, k: np.ndarray, k_root: np.ndarray,
                  delay_h: np.ndarray, root_ts: np.ndarray, *, max_size: int = MAX_CASCADE,
                  max_generations: int = MAX_GENERATIONS) -> Cascades:
    """Grow every post's cascade at once, one generation per step; sizes are capped at ``max_size``."""
    p = root_mean.size
    posts, parents, gens, tss = [np.arange(p)], [np.full(p, -1)], [np.zeros(p, np.int64)], [root_ts]
    size = np.ones(p, np.int64)
    frontier = np.arange(p)
    f_post, f_ts = np.arange(p), root_ts
    next_id = p
    g = 0
    while frontier.size and g < max_generations:
        mean = root_mean[f_post] if g == 0 else r[f_post]
        kk = k_root[f_post] if g == 0 else k[f_post]
        kids = rng.negative_binomial(kk, kk / (kk + mean))
        par = np.repeat(frontier, kids)
        c_post = np.repeat(f_post, kids)
        c_pts = np.repeat(f_ts, kids)
        # cap: children are sorted by post; keep the first (max_size − size) of each post
        if par.size:
            start = np.r_[0, np.flatnonzero(np.diff(c_post)) + 1]
            rank = np.arange(par.size) - np.repeat(start, np.diff(np.r_[start, par.size]))
            keep = rank < (max_size - size[c_post])
            par, c_post, c_pts = par[keep], c_post[keep], c_pts[keep]
        n_new = par.size
        if n_new == 0:
            break
        # delay ≥ 1 s, lognormal around the type's median, growing slowly with depth
        hours = delay_h[c_post] * (1 + 0.1 * g) * rng.lognormal(0.0, 1.0, n_new)
        c_ts = c_pts + (1 + np.minimum(hours * 3600.0, 3 * 86_400)).astype(np.int64) * 1_000_000
        c_ts = c_ts // 1_000_000 * 1_000_000
        ids = np.arange(next_id, next_id + n_new)
        next_id += n_new
        size += np.bincount(c_post, minlength=p)
        posts.append(c_post)
        parents.append(par)
        gens.append(np.full(n_new, g + 1, np.int64))
        tss.append(c_ts)
        frontier, f_post, f_ts = ids, c_post, c_ts
        g += 1
    return Cascades(np.concatenate(posts), np.concatenate(parents), np.concatenate(gens), np.concatenate(tss))


def tree_metrics(post: np.ndarray, parent: np.ndarray, n_posts: int) -> pd.DataFrame:
    """size, depth, max_breadth, structural_virality per post of a forest given as parent pointers.

    ``parent[i] < i`` for every non-root node (roots have −1), so one forward pass over depth
    levels and one backward pass over subtree sizes suffice; both are vectorised per level.
    """
    n = post.size
    nonroot = np.flatnonzero(parent >= 0)
    # depth by pointer jumping (list ranking): O(n log depth), synchronous numpy updates
    depth = (parent >= 0).astype(np.int64)
    jump = parent.copy()
    idx = nonroot
    while idx.size:
        j = jump[idx]
        depth[idx] += depth[j]
        jump[idx] = jump[j]
        idx = idx[jump[idx] >= 0]
    # subtree sizes: children after parents, so sweep levels from the deepest
    sub = np.ones(n, np.int64)
    order = nonroot[np.argsort(-depth[nonroot], kind="stable")]
    d_sorted = depth[order]
    bounds = np.r_[0, np.flatnonzero(np.diff(d_sorted)) + 1, order.size]
    for lo, hi in itertools.pairwise(bounds):
        lvl = order[lo:hi]
        np.add.at(sub, parent[lvl], sub[lvl])
    size = np.bincount(post, minlength=n_posts).astype(np.int64)
    s = sub[nonroot].astype(np.float64)
    wiener = np.bincount(post[nonroot], weights=s * (size[post[nonroot]] - s), minlength=n_posts)
    pairs = size * (size - 1) / 2.0
    sv = np.divide(wiener, pairs, out=np.zeros(n_posts), where=size > 1)
    max_depth = np.zeros(n_posts, np.int64)
    np.maximum.at(max_depth, post, depth)
    key = post.astype(np.int64) * (int(depth.max(initial=0)) + 1) + depth
    uk, cnt = np.unique(key, return_counts=True)
    breadth = np.zeros(n_posts, np.int64)
    np.maximum.at(breadth, uk // (int(depth.max(initial=0)) + 1), cnt)
    return pd.DataFrame({"size": size, "depth": max_depth, "max_breadth": breadth, "structural_virality": sv,
                         "wiener": wiener.astype(np.int64)})


# ----------------------------------------------------------------------------- creators and posts
@dataclass
class _Creators:
    creator_id: np.ndarray  # object
    ctype: np.ndarray  # index into CREATOR_TYPES
    followers: np.ndarray  # float
    brand: np.ndarray  # index into BRANDS, −1 = any
    platform: np.ndarray  # index into POST_PLATFORMS, −1 = any
    roi_effect: np.ndarray  # multiplicative creator effect on ROI (mean 1)


def _lognormal(rng: np.random.Generator, spec: tuple[float, float, float, float], n: int) -> np.ndarray:
    med, sigma, lo, hi = spec
    return np.clip(np.rint(med * rng.lognormal(0.0, sigma, n)), lo, hi)


def _creators(rng: np.random.Generator, users: pd.DataFrame) -> _Creators:
    """Brand accounts per brand × platform, executives, KOL/KOC/media pools and the user panel."""
    nb, npf = len(lx.BRANDS), len(POST_PLATFORMS)
    parts: list[dict[str, np.ndarray]] = []
    bb, pp = np.repeat(np.arange(nb), npf), np.tile(np.arange(npf), nb)
    parts.append({"id": _ids("CB", np.arange(1, nb * npf + 1), 4).to_numpy(zero_copy_only=False),
                  "t": np.zeros(nb * npf, np.int64), "f": _lognormal(rng, FOLLOWERS["brand"], nb * npf), "b": bb,
                  "p": pp})
    ne = len(EXECUTIVES)
    parts.append({"id": _ids("CE", np.arange(1, ne + 1), 4).to_numpy(zero_copy_only=False),
                  "t": np.ones(ne, np.int64), "f": np.array([f for _, f in EXECUTIVES]),
                  "b": np.array([lx.BRANDS.index(b) for b, _ in EXECUTIVES]), "p": np.full(ne, -1)})
    for t, prefix in (("kol", "CK"), ("koc", "CC"), ("media", "CM")):
        m = N_CREATORS[t]
        parts.append({"id": _ids(prefix, np.arange(1, m + 1), 5).to_numpy(zero_copy_only=False),
                      "t": np.full(m, CREATOR_TYPES.index(t)), "f": _lognormal(rng, FOLLOWERS[t], m),
                      "b": np.full(m, -1), "p": np.full(m, -1)})
    nu = len(users)
    parts.append({"id": users["user_id"].astype(str).to_numpy(object), "t": np.full(nu, CREATOR_TYPES.index("user")),
                  "f": _lognormal(rng, FOLLOWERS["user"], nu), "b": np.full(nu, -1), "p": np.full(nu, -1)})
    cat = {k: np.concatenate([p[k] for p in parts]) for k in ("id", "t", "f", "b", "p")}
    n = cat["id"].size
    eff = rng.lognormal(-CREATOR_ROI_SIGMA**2 / 2, CREATOR_ROI_SIGMA, n)
    return _Creators(cat["id"].astype(object), cat["t"], cat["f"], cat["b"], cat["p"], eff)


def simulate_posts(
    products: pd.DataFrame,
    users: pd.DataFrame,
    *,
    rng: np.random.Generator,
    start: date | datetime | str,
    end: date | datetime | str,
    n_posts: int,
    progress: Progress | None = None,
    share_scale: float = 1.0,
    max_cascade: int = MAX_CASCADE,
) -> SpreadResult:
    """Posts in [start, end] with captions, engagement, fees and GMV, and their share cascades.

    ``share_scale`` multiplies every root's mean direct shares (about 100 shares per post at 1).
    """
    for col in ("sku_id", "brand", "list_price"):
        if col not in products.columns:
            raise ValueError(f"products: missing column {col!r}")
    if "user_id" not in users.columns or len(users) < 2:
        raise ValueError("users: need a 'user_id' column and at least two users")
    if n_posts < 1:
        raise ValueError(f"n_posts must be >= 1, got {n_posts}")
    t0, t1 = _ts_us(start), _ts_us(pd.Timestamp(end) + pd.Timedelta(days=1))
    day = 86_400 * 1_000_000
    cr = _creators(rng, users)
    n_types = len(CREATOR_TYPES)
    nb = len(lx.BRANDS)

    # ---- who posts, about which brand, where, in which format
    ptype = rng.choice(n_types, n_posts, p=np.array([TYPE_MIX[t] for t in CREATOR_TYPES]))
    brand_p = np.array([BRAND_MIX[b] for b in lx.BRANDS])
    pbrand = rng.choice(nb, n_posts, p=brand_p / brand_p.sum())
    pplat = _choice(rng, np.array([PLATFORM_MIX[t] for t in CREATOR_TYPES])[ptype])
    creator = np.zeros(n_posts, np.int64)
    by_type = [np.flatnonzero(cr.ctype == i) for i in range(n_types)]
    for i, t in enumerate(CREATOR_TYPES):  # constant loop over the six types
        m = ptype == i
        pool = by_type[i]
        if t == "brand":  # the brand's own account on that platform
            creator[m] = pool[pbrand[m] * len(POST_PLATFORMS) + pplat[m]]
        elif t == "executive":  # an executive of a brand that has one; the post is about that brand
            pick = pool[rng.integers(0, pool.size, m.sum())]
            creator[m] = pick
            pbrand[m] = cr.brand[pick]
        else:  # prolific creators post more (weight ∝ followers^0.3)
            w = cr.followers[pool] ** 0.3 + 1.0
            creator[m] = pool[np.searchsorted(np.cumsum(w) / w.sum(), rng.random(m.sum()), side="right").clip(
                0, pool.size - 1)]
    followers = np.rint(cr.followers[creator] * rng.uniform(0.9, 1.1, n_posts)).astype(np.int64)
    live_p = np.array([LIVESTREAM_SHARE[t] for t in CREATOR_TYPES])[ptype]
    rnd = rng.random(n_posts)
    fmt = np.select(
        [(pplat == 0) & (rnd < live_p), pplat == 0, (pplat == 1) & (rnd < 0.7), pplat == 1,
         (pplat == 2) & (rnd < 0.4), pplat == 2, rnd < 0.25],
        [2, 0, 1, 0, 3, 0, 3], 0)

    # ---- paid posts and featured SKUs (paid posts always link a SKU)
    paid_p = np.array([PAID_SHARE.get(t, 0.0) for t in CREATOR_TYPES])[ptype]
    paid = rng.random(n_posts) < paid_p
    prods = products.reset_index(drop=True)
    pb = _brand_group(prods["brand"].to_numpy(object))
    order = np.argsort(pb, kind="stable")
    off = np.searchsorted(pb[order], np.arange(nb))
    cnt = np.searchsorted(pb[order], np.arange(nb), side="right") - off
    has_sku = (paid | (fmt == 2) | (rng.random(n_posts) < 0.7)) & (cnt[pbrand] > 0)
    def any_sku() -> np.ndarray:
        return order[off[pbrand] + np.floor(rng.random(n_posts) * np.maximum(cnt[pbrand], 1)).astype(np.int64)]

    sku1 = np.where(has_sku, any_sku(), -1)
    launch = (pd.to_datetime(prods["launch_date"]).to_numpy("datetime64[us]").astype(np.int64)
              if "launch_date" in prods.columns else np.full(len(prods), t0))
    lo = np.where(sku1 >= 0, np.maximum(t0, launch[np.maximum(sku1, 0)]), t0)
    lo = np.where(lo >= t1 - day, t0, lo)
    ts = (lo + rng.random(n_posts) * (t1 - lo)).astype(np.int64) // 1_000_000 * 1_000_000
    sku2 = np.where(has_sku & (rng.random(n_posts) < 0.15), any_sku(), -1)
    sku2 = np.where((sku2 >= 0) & ((sku2 == sku1) | (launch[np.maximum(sku2, 0)] > ts)), -1, sku2)
    reviewers = [CREATOR_TYPES.index("kol"), CREATOR_TYPES.index("media")]
    comparison = np.isin(ptype, reviewers) & (rng.random(n_posts) < 0.15)
    rival = np.where(comparison, (pbrand + rng.integers(1, nb, n_posts)) % nb, -1)
    if progress:
        progress("posts: captions", 0.1)

    # ---- caption: title with the model, planted opinions, hashtags
    quality = aspect_quality(prods)
    brand_q = np.vstack([quality[pb == b].mean(axis=0) if (pb == b).any() else np.zeros(len(ASPECTS))
                         for b in range(nb)])
    q = np.where((sku1 >= 0)[:, None], quality[np.maximum(sku1, 0)], brand_q[pbrand])
    base = np.array([VALUE_FRAMING_SHARE.get(b, 0.4) for b in lx.BRANDS])[pbrand]
    type_shift = np.array([-0.5, -1.0, 0.0, 0.2, -0.3, 0.0])[ptype]  # executives push the premium story
    logit = np.log(base / (1 - base)) + type_shift + SEGMENT_VALUE_LOGIT["gamer"]
    vshare = 1.0 / (1.0 + np.exp(-logit))
    mood = np.where(paid | (ptype <= 1), 0.8, 0.0) + rng.normal(0.0, 0.5, n_posts)
    imp = np.broadcast_to(np.array(DEFAULT_IMPORTANCE), (n_posts, len(ASPECTS)))
    op = plant_opinions(rng, q, imp, vshare, mood, pbrand, np.zeros(n_posts, np.int64),
                        n_mentions=1 + rng.binomial(2, 0.4, n_posts), p_framed=0.75, p_verdict=0.3)
    text, topics = _captions(rng, prods, pbrand, fmt, sku1, sku2, op.value_framing, op.text)
    if progress:
        progress("posts: cascades", 0.3)

    # ---- cascades
    par = [CASCADE[t] for t in CREATOR_TYPES]
    fr = np.array([FORMAT_ROOT[f] for f in FORMATS])[fmt]
    root_mean = share_scale * fr * (np.array([c.root_rate for c in par])[ptype] * followers
                                    + np.array([c.root_floor for c in par])[ptype])
    r = np.array([c.r for c in par])[ptype] * np.array([FORMAT_R[f] for f in FORMATS])[fmt]
    casc = grow_cascades(rng, root_mean, r, np.array([c.k for c in par])[ptype],
                         np.array([c.k_root for c in par])[ptype], np.array([c.delay_h for c in par])[ptype], ts,
                         max_size=max_cascade)
    if progress:
        progress("posts: shares", 0.7)
    shares, names, eff_parent, edge = _share_rows(rng, casc, creator, cr, users, n_posts)
    metrics = tree_metrics(casc.post, eff_parent, n_posts)

    # ---- engagement, fees, GMV
    n_rows = np.bincount(shares["_post"], minlength=n_posts)
    reach = np.array([0.05, 0.08, 0.10, 0.15, 0.05, 0.5])[ptype]
    views = np.rint(followers * reach * rng.lognormal(-0.3, 0.8, n_posts) + 300 * rng.lognormal(0, 1, n_posts)
                    + VIEWS_PER_SHARE * n_rows * rng.lognormal(0, 0.3, n_posts)).astype(np.int64)
    views = np.where(fmt == 2, views * 3, views)
    likes = rng.binomial(views, np.array([LIKE_RATE[f] for f in FORMATS])[fmt])
    comments = rng.binomial(views, 0.004 * np.where(fmt == 2, 3.0, 1.0))
    saves = rng.binomial(views, np.array([SAVE_RATE[p] for p in POST_PLATFORMS])[pplat]
                         * np.where(fmt == 1, 1.5, 1.0))
    fee = np.array([FEE_PER_FOLLOWER.get(t, 0.0) for t in CREATOR_TYPES])[ptype]
    cost = np.where(paid, np.maximum(100.0, np.rint(followers * fee * np.where(fmt == 2, LIVE_FEE, 1.0)
                                                    * rng.lognormal(0, 0.3, n_posts) / 100) * 100), np.nan)
    type_roi = np.array([TYPE_ROI.get(t, 0.0) for t in CREATOR_TYPES])[ptype]
    planted_roi = np.where(paid, type_roi * np.where(fmt == 2, LIVE_ROI, 1.0) * cr.roi_effect[creator], np.nan)
    price = np.where(sku1 >= 0, prods["list_price"].to_numpy(float)[np.maximum(sku1, 0)], np.nan)
    price = np.where(fmt == 2, np.round(price * 0.92), price)
    expected_units = np.where(paid, cost * np.nan_to_num(planted_roi) / np.nan_to_num(price, nan=1.0),
                              np.where(fmt == 2, views * 0.002, 0.0))
    units = rng.poisson(np.nan_to_num(expected_units))
    gmv = np.where((paid | (fmt == 2)) & (sku1 >= 0), units * price, np.nan)

    # ---- assemble, sorted by ts
    post_order = np.lexsort((np.arange(n_posts), ts))
    rank = np.empty(n_posts, np.int64)
    rank[post_order] = np.arange(n_posts)
    post_id = _ids("P", np.arange(1, n_posts + 1), 8).to_numpy(zero_copy_only=False).astype(object)
    pid = post_id[rank]  # id of each post in generation order
    pt = np.array(CREATOR_TYPES, object)[ptype]
    posts = pd.DataFrame({
        "post_id": pid, "ts": ts.astype("datetime64[us]"), "platform": np.array(POST_PLATFORMS, object)[pplat],
        "creator_id": cr.creator_id[creator], "creator_type": pt, "format": np.array(FORMATS, object)[fmt],
        "text": text, "topics": topics, "brands": _brands_str(pbrand, rival), "sku_ids": _skus_str(prods, sku1, sku2),
        "followers": followers, "views": views, "likes": likes, "comments": comments, "shares": n_rows,
        "saves": saves, "gmv": gmv, "cost": cost,
    }).iloc[post_order].reset_index(drop=True)
    for c in ("post_id", "platform", "creator_id", "creator_type", "format", "text", "topics", "brands", "sku_ids"):
        posts[c] = posts[c].astype("str").replace("", None)
    o = np.lexsort((np.arange(shares["ts"].size), shares["ts"], rank[shares["_post"]]))
    sh = pa.table({
        "post_id": pa.array(pid, pa.string()).take(pa.array(shares["_post"][o])),
        "user_id": names.take(pa.array(shares["user"][o])),
        "parent_user_id": names.take(pa.array(shares["parent"][o], mask=shares["parent_null"][o])),
        "ts": pa.array(shares["ts"][o].astype("datetime64[us]")),
    }).to_pandas()

    labels = pd.DataFrame({
        "post_id": pid, "brand": np.array(lx.BRANDS, object)[pbrand], "creator_type": pt,
        "format": np.array(FORMATS, object)[fmt], "sentiment": op.sentiment, "sentiment_score": op.score,
        **{a: op.polarity[:, i] for i, a in enumerate(ASPECTS)}, "value_framing": op.value_framing,
        "is_empty": np.zeros(n_posts, bool), "paid": paid, "planted_roi": planted_roi,
        **{c: metrics[c].to_numpy() for c in ("size", "depth", "max_breadth", "structural_virality")},
        "share_rows": n_rows, **{f"n_{k}": v for k, v in edge["per_post"].items()},
    }).iloc[post_order].reset_index(drop=True)
    for c in ("post_id", "brand", "creator_type", "format"):
        labels[c] = labels[c].astype("str")
    truth = {
        "spread": {p: {"size": int(s), "depth": int(d), "max_breadth": int(b), "structural_virality": float(v)}
                   for p, s, d, b, v in zip(labels["post_id"], labels["size"], labels["depth"],
                                            labels["max_breadth"], labels["structural_virality"], strict=True)},
        "creators": _creator_truth(posts, planted_roi[post_order]),
        "voice_posts": voice_truth(labels),
        "cascade_edge_cases": edge["totals"],
        "spread_params": {"type_roi": dict(TYPE_ROI), "live_roi_multiplier": LIVE_ROI,
                   "cascade": {t: vars(c) for t, c in CASCADE.items()}},
    }
    if progress:
        progress("posts: done", 1.0)
    return SpreadResult(posts, sh, labels, truth)


# ----------------------------------------------------------------------------- helpers
def model_zh(brand: str, model: str) -> str:
    """The model name as Chinese posts write it: 小米15 Ultra, 华为Mate 70, iPhone 16 Pro."""
    zh = lx.BRAND_ZH.get(brand, brand)
    if model.startswith(brand):
        return zh + model[len(brand):].lstrip()
    if brand == "Apple" or model.startswith(zh):
        return model
    return zh + model


def _joined(cols: list[np.ndarray], sep: str, prefix: str = "") -> np.ndarray:
    """Join per-row lists of non-None strings (columns of equal length) with ``sep``."""
    arr = np.stack(cols, axis=1)
    mask = arr != None  # noqa: E711 - element-wise on an object array
    flat = arr[mask]
    offsets = np.zeros(arr.shape[0] + 1, np.int32)
    np.cumsum(mask.sum(axis=1), out=offsets[1:])
    values = pa.array(flat, pa.string())
    if prefix:
        values = pc.binary_join_element_wise(prefix, values, "")
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), values), sep).to_numpy(zero_copy_only=False)


def _captions(rng: np.random.Generator, prods: pd.DataFrame, pbrand: np.ndarray, fmt: np.ndarray, sku1: np.ndarray,
              sku2: np.ndarray, framing: np.ndarray, opinion_text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Caption (title with the model, opinions, hashtags) and the ``topics`` string of each post."""
    n = pbrand.size
    names = np.array([model_zh(b, m) for b, m in zip(prods["brand"], prods["model"].astype(str), strict=True)], object)
    brand_zh = np.array([lx.BRAND_ZH[b] for b in lx.BRANDS], object)
    subject = np.where(sku1 >= 0, names[np.maximum(sku1, 0)], brand_zh[pbrand]).astype(object)
    titles = [lx.POST_TITLES[f] for f in FORMATS]
    pre = np.empty(n, object)
    post = np.empty(n, object)
    for i, bank in enumerate(titles):  # constant loop over the four formats
        m = fmt == i
        k = rng.integers(0, len(bank), m.sum())
        parts = np.array([t.split("{m}") for t in bank], object)
        pre[m], post[m] = parts[k, 0], parts[k, 1]

    def bank_pick(bank: tuple[str, ...], mask: np.ndarray) -> np.ndarray:
        out = np.array(bank, object)[rng.integers(0, len(bank), n)]
        return np.where(mask, out, None)

    topic_brand = np.array([np.array(lx.TOPICS_BRAND[b], object)[rng.integers(0, len(lx.TOPICS_BRAND[b]), n)]
                            for b in lx.BRANDS])[pbrand, np.arange(n)]
    topic_model = np.where(sku1 >= 0, np.char.replace(names.astype(str), " ", "").astype(object)[np.maximum(sku1, 0)],
                           None)
    framed = ~np.isnan(framing)
    topic_frame = np.where(framing == 1, bank_pick(lx.TOPICS_VALUE, framed), bank_pick(lx.TOPICS_PREMIUM, framed))
    topic_frame = np.where(framed & (rng.random(n) < 0.7), topic_frame, None)
    topic_gen = bank_pick(lx.TOPICS_GENERAL, rng.random(n) < 0.4)
    cols = [topic_brand, topic_model, topic_frame, topic_gen]
    topics = _joined(cols, "|")
    tags = _joined(cols, " ", prefix="#")
    ending = np.array(lx.POST_ENDINGS, object)[rng.integers(0, len(lx.POST_ENDINGS), n)]
    s = [pa.array(x, pa.string()) for x in (pre, subject, post)]
    e = [pa.array(x, pa.string()) for x in (ending, np.where(tags != "", " ", ""), tags)]
    text = pc.binary_join_element_wise(*s, opinion_text, *e, "")
    return text.to_numpy(zero_copy_only=False), topics


def _brands_str(pbrand: np.ndarray, rival: np.ndarray) -> np.ndarray:
    names = np.array(lx.BRANDS, object)
    return _joined([names[pbrand], np.where(rival >= 0, names[np.maximum(rival, 0)], None)], "|")


def _skus_str(prods: pd.DataFrame, sku1: np.ndarray, sku2: np.ndarray) -> np.ndarray:
    ids = prods["sku_id"].astype(str).to_numpy(object)
    return _joined([np.where(sku1 >= 0, ids[np.maximum(sku1, 0)], None), np.where(sku2 >= 0, ids[np.maximum(sku2, 0)],
                                                                                    None)], "|")


def _share_rows(rng: np.random.Generator, casc: Cascades, creator: np.ndarray, cr: _Creators, users: pd.DataFrame,
                n_posts: int) -> tuple[dict[str, np.ndarray], np.ndarray, dict]:
    """The raw ``shares`` rows of the cascades, with the edge cases planted, and the effective parents.

    Sharers are distinct panel users within a cascade (a per-cascade window of a random
    permutation that skips the creator); beyond the panel's size, outside ids ``X<post>-<rank>``.
    """
    post, parent, gen = casc.post, casc.parent, casc.gen
    ts = casc.ts.copy()
    n_nodes = post.size
    nonroot = np.flatnonzero(parent >= 0)
    # rank of each non-root node inside its cascade (nodes are generation-ordered, stable sort by post)
    nr_sorted = nonroot[np.argsort(post[nonroot], kind="stable")]
    starts = np.searchsorted(post[nr_sorted], np.arange(n_posts))
    rank = np.empty(n_nodes, np.int64)
    rank[nr_sorted] = np.arange(nr_sorted.size) - starts[post[nr_sorted]]
    nu = len(users)
    perm = rng.permutation(nu)
    inv = np.empty(nu, np.int64)
    inv[perm] = np.arange(nu)
    user0 = int(np.flatnonzero(cr.ctype == CREATOR_TYPES.index("user"))[0])
    c_user = creator - user0  # the creator's panel index for user posts, negative otherwise
    offset = np.where(c_user >= 0, inv[np.clip(c_user, 0, nu - 1)], rng.integers(0, nu, n_posts))
    r_nr = rank[nonroot]
    p_nr = post[nonroot]
    panel = r_nr < nu - 1
    user_ids = pa.array(users["user_id"].astype(str).to_numpy(object), pa.string())
    panel_idx = perm[(offset[p_nr] + 1 + r_nr) % nu]
    ext = np.flatnonzero(~panel)
    ext_ids = pc.binary_join_element_wise("X", pc.cast(pa.array(p_nr[ext]), pa.string()), "-",
                                          pc.cast(pa.array(r_nr[ext]), pa.string()), "")
    pool = pa.concat_arrays([user_ids, ext_ids])
    take = np.where(panel, panel_idx, 0)
    take[ext] = nu + np.arange(ext.size)
    assert (nonroot == np.arange(n_posts, n_nodes)).all()  # roots first, then every generation
    names = [pa.array(cr.creator_id[creator], pa.string()), pool.take(pa.array(take))]

    # ---- edge cases among nodes deeper than the root's children
    deep = nonroot[gen[nonroot] >= 2]
    u = rng.random(deep.size)
    late = deep[u < P_LATE_PARENT]
    unknown = deep[(u >= P_LATE_PARENT) & (u < P_LATE_PARENT + P_UNKNOWN_PARENT)]
    gap_s = (ts[parent[late]] - ts[post[late]]) // 1_000_000
    is_late = np.zeros(n_nodes, bool)
    is_late[late] = True
    late = late[(gap_s >= 2) & ~is_late[parent[late]]]  # a late child's parent keeps its own time
    gap_s = (ts[parent[late]] - ts[post[late]]) // 1_000_000
    ts[late] = ts[post[late]] + (1 + np.floor(rng.random(late.size) * (gap_s - 1))).astype(np.int64) * 1_000_000
    # parent of each node as an index into the names (nodes, then ghosts); null = the post's creator
    parent_idx = parent.copy()
    parent_null = np.zeros(n_nodes, bool)
    first = nonroot[gen[nonroot] == 1]
    names_creator = rng.random(first.size) < P_PARENT_IS_CREATOR
    parent_null[first[~names_creator]] = True
    names.append(pc.binary_join_element_wise("G", pc.cast(pa.array(unknown), pa.string()), ""))
    parent_idx[unknown] = n_nodes + np.arange(unknown.size)
    eff_parent = parent.copy()
    eff_parent[late] = post[late]
    eff_parent[unknown] = post[unknown]

    # ---- duplicates: a second share by the same user, later, naming the root or the same parent
    dup = nonroot[rng.random(nonroot.size) < P_DUPLICATE]
    dup_ts = ts[dup] + (1 + np.minimum(rng.lognormal(np.log(3600.0), 1.5, dup.size), 7 * 86_400)).astype(
        np.int64) * 1_000_000
    dup_null = parent_null[dup] | (rng.random(dup.size) < 0.5)

    rows_post = np.concatenate([post[nonroot], post[dup]])
    per_post = {
        "duplicates": np.bincount(post[dup], minlength=n_posts),
        "late_parent": np.bincount(post[late], minlength=n_posts),
        "unknown_parent": np.bincount(post[unknown], minlength=n_posts),
        "parent_is_creator": np.bincount(post[first[names_creator]], minlength=n_posts),
    }
    edge = {"per_post": per_post, "totals": {k: int(v.sum()) for k, v in per_post.items()}
            | {"share_rows": int(rows_post.size), "nodes": int(nonroot.size + n_posts)}}
    rows = {
        "_post": rows_post,
        "user": np.concatenate([nonroot, dup]),
        "parent": np.concatenate([parent_idx[nonroot], parent_idx[dup]]),
        "parent_null": np.concatenate([parent_null[nonroot], dup_null]),
        "ts": np.concatenate([ts[nonroot], dup_ts]),
    }
    return rows, pa.concat_arrays(names), eff_parent, edge


def _creator_truth(posts: pd.DataFrame, planted_roi: np.ndarray) -> dict:
    """Planted and realised ROI (GMV per CNY of fee) of paid posts, by creator type and by creator."""
    paid = posts["cost"].notna().to_numpy()
    df = pd.DataFrame({
        "creator_id": posts["creator_id"].to_numpy(object)[paid], "creator_type": posts["creator_type"].to_numpy(
            object)[paid], "format": posts["format"].to_numpy(object)[paid],
        "cost": posts["cost"].to_numpy(float)[paid], "gmv": np.nan_to_num(posts["gmv"].to_numpy(float)[paid]),
    })
    df["exp_gmv"] = df["cost"] * planted_roi[paid]

    def summarise(keys: list[str]) -> pd.DataFrame:
        g = df.groupby(keys, sort=True).agg(n_posts=("cost", "size"), cost=("cost", "sum"), gmv=("gmv", "sum"),
                                            exp_gmv=("exp_gmv", "sum"), creator_type=("creator_type", "first"))
        g["planted_roi"] = g["exp_gmv"] / g["cost"]
        g["realised_roi"] = g["gmv"] / g["cost"]
        return g.drop(columns="exp_gmv")

    def records(g: pd.DataFrame, extra: tuple[str, ...] = ()) -> dict:
        cols = ("n_posts", "cost", "gmv", "planted_roi", "realised_roi", *extra)
        keys = ["/".join(k) if isinstance(k, tuple) else str(k) for k in g.index]
        vals = zip(*(g[c].tolist() for c in cols), strict=True)
        return {k: {c: (int(x) if c == "n_posts" else x) for c, x in zip(cols, v, strict=True)}
                for k, v in zip(keys, vals, strict=True)}

    by_type = records(summarise(["creator_type"]))
    for t, rec in by_type.items():
        rec["type_roi"] = TYPE_ROI.get(t)
    by_type_format = records(summarise(["creator_type", "format"]))
    by_creator = records(summarise(["creator_id"]), ("creator_type",))
    return {"definition": "roi = gmv / cost over paid posts; planted_roi = expected gmv / cost",
            "by_type": by_type, "by_type_format": by_type_format, "by_creator": by_creator}
