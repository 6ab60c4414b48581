"""Posts and creators: reach, engagement, broadcast vs viral, and what paid creators return.

Rates are ratios of sums (views-weighted), never means of per-post ratios, so a post with 12 views
cannot dominate. Intervals are a 90% Poisson bootstrap over posts (each replicate reweights every
post by a Poisson(1) draw: one vectorised pass per replicate, no loop over posts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd

from upmarket.estimation import CI_LEVEL
from upmarket.warehouse.source import to_frame

if TYPE_CHECKING:
    from upmarket.warehouse import Warehouse

TIERS: tuple[tuple[str, float, float], ...] = (
    ("nano (<10k)", 0, 1e4),
    ("micro (10k-100k)", 1e4, 1e5),
    ("mid (100k-1M)", 1e5, 1e6),
    ("macro (1M-10M)", 1e6, 1e7),
    ("mega (10M+)", 1e7, float("inf")),
)
BROADCAST_DIRECT_SHARE = 0.5
"""A cascade is ``broadcast`` when at least half its sharers got the post straight from the creator."""
MIN_CLASSIFIED_SIZE = 10


def post_rows(warehouse: Warehouse) -> pd.DataFrame:
    """One row per post id, as stored (any one row of a duplicated id), with likes+comments+shares+saves summed."""
    p = warehouse.table("posts").filter(ibis._.post_id.notnull())
    engagements = p.likes.fill_null(0) + p.comments.fill_null(0) + p.shares.fill_null(0) + p.saves.fill_null(0)
    first = {c: p[c].arbitrary() for c in ("ts", "platform", "creator_id", "creator_type", "format", "topics",
                                           "sku_ids", "followers", "views")}
    rest = {c: p[c].arbitrary() for c in ("saves", "gmv", "cost", "text")}
    return to_frame(p.group_by("post_id").agg(**first, engagements=engagements.arbitrary(), **rest)
                    .order_by("post_id"))


def post_frame(warehouse: Warehouse, cascades: pd.DataFrame | None) -> pd.DataFrame:
    """One row per post with its counts, rates, tier and (when shares exist) cascade measures."""
    posts = post_rows(warehouse)
    f = posts["followers"].astype("float64")
    posts["tier"] = pd.cut(f, [lo for _, lo, _ in TIERS] + [float("inf")], right=False,
                           labels=[t for t, _, _ in TIERS]).astype(object)
    posts["paid"] = posts["cost"].fillna(0) > 0
    if cascades is not None and len(cascades):
        cols = ["post_id", "size", "depth", "max_breadth", "structural_virality", "direct_share"]
        posts = posts.merge(cascades[cols], on="post_id", how="left")
        big = posts["size"] >= MIN_CLASSIFIED_SIZE
        posts["spread_mode"] = np.where(
            big, np.where(posts["direct_share"] >= BROADCAST_DIRECT_SHARE, "broadcast", "viral"), "small")
    return posts


def _ratio(num: pd.Series, den: pd.Series) -> float | None:
    d = float(den.sum())
    return float(num.sum()) / d if d > 0 else None


def compare(posts: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Reach per follower, engagement and save rates, and spread modes by the given columns."""
    g = posts.assign(_v=posts["views"].fillna(0), _f=posts["followers"].where(posts["views"].notna()).fillna(0),
                     _e=posts["engagements"].where(posts["views"].notna()).fillna(0),
                     _s=posts["saves"].where(posts["views"].notna()).fillna(0))
    agg = {"posts": ("post_id", "size"), "views": ("_v", "sum"), "followers": ("_f", "sum"),
           "engagements": ("_e", "sum"), "saves": ("_s", "sum")}
    has_cascades = "size" in posts
    if has_cascades:
        g["_viral"] = (g["spread_mode"] == "viral").astype(float)
        g["_classified"] = (g["spread_mode"] != "small").astype(float)
        agg.update(median_size=("size", "median"), mean_virality=("structural_virality", "mean"),
                   viral=("_viral", "sum"), classified=("_classified", "sum"))
    out = g.groupby(by, dropna=False).agg(**agg).reset_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["reach_per_follower"] = np.where(out["followers"] > 0, out["views"] / out["followers"], np.nan)
        out["engagement_rate"] = np.where(out["views"] > 0, out["engagements"] / out["views"], np.nan)
        out["save_rate"] = np.where(out["views"] > 0, out["saves"] / out["views"], np.nan)
        if has_cascades:
            out["viral_share"] = np.where(out["classified"] > 0, out["viral"] / out["classified"], np.nan)
    return out


def bootstrap_ratio(num: np.ndarray, den: np.ndarray, group: np.ndarray, n_groups: int, *,
                    reps: int, rng: np.random.Generator, level: float = CI_LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Per-group ratio-of-sums interval by a Poisson bootstrap over rows (one pass per replicate)."""
    draws = np.empty((reps, n_groups))
    for b in range(reps):  # one vectorised pass per replicate
        w = rng.poisson(1.0, size=num.size)
        top = np.bincount(group, weights=w * num, minlength=n_groups)
        bottom = np.bincount(group, weights=w * den, minlength=n_groups)
        with np.errstate(divide="ignore", invalid="ignore"):
            draws[b] = np.where(bottom > 0, top / bottom, np.nan)
    alpha = (1 - level) / 2
    with np.errstate(all="ignore"):
        lo = np.nanquantile(draws, alpha, axis=0) if reps else np.full(n_groups, np.nan)
        hi = np.nanquantile(draws, 1 - alpha, axis=0) if reps else np.full(n_groups, np.nan)
    return lo, hi


def roi(posts: pd.DataFrame, by: str, *, reps: int, rng: np.random.Generator) -> pd.DataFrame:
    """GMV per CNY of fee and cost per engagement of paid posts, by ``by``, with 90% intervals."""
    paid = posts[posts["paid"]].copy()
    if paid.empty:
        return pd.DataFrame(columns=[by, "paid_posts", "cost", "gmv", "gmv_per_cny", "gmv_per_cny_ci",
                                     "cost_per_engagement"])
    codes, keys = pd.factorize(paid[by].fillna("(unknown)"))
    gmv = paid["gmv"].fillna(0).to_numpy(float)
    cost = paid["cost"].to_numpy(float)
    eng = paid["engagements"].fillna(0).to_numpy(float)
    lo, hi = bootstrap_ratio(gmv, cost, codes, keys.size, reps=reps, rng=rng)
    sum_cost = np.bincount(codes, weights=cost, minlength=keys.size)
    sum_gmv = np.bincount(codes, weights=gmv, minlength=keys.size)
    sum_eng = np.bincount(codes, weights=eng, minlength=keys.size)
    out = pd.DataFrame({
        by: keys, "paid_posts": np.bincount(codes, minlength=keys.size), "cost": sum_cost, "gmv": sum_gmv,
        "gmv_per_cny": sum_gmv / sum_cost, "gmv_per_cny_low": lo, "gmv_per_cny_high": hi,
        "engagements": sum_eng,
        "cost_per_engagement": np.where(sum_eng > 0, sum_cost / np.where(sum_eng > 0, sum_eng, 1), np.nan),
    })
    return out.sort_values("gmv_per_cny", ascending=False, ignore_index=True)


def leaderboard(posts: pd.DataFrame, *, reps: int, rng: np.random.Generator, top: int = 20,
                min_paid_posts: int = 2) -> pd.DataFrame:
    """Creators with at least ``min_paid_posts`` paid posts, best GMV per CNY first, with the evidence."""
    per = roi(posts, "creator_id", reps=reps, rng=rng)
    if per.empty:
        return per
    extra = {"mean_size": ("size", "mean"), "mean_virality": ("structural_virality", "mean")} if "size" in posts else {}
    info = posts.groupby("creator_id").agg(
        creator_type=("creator_type", "first"), tier=("tier", "last"), platform=("platform", "first"),
        posts=("post_id", "size"), views=("views", "sum"), **extra,
    ).reset_index()
    per = per.merge(info, on="creator_id", how="left")
    per = per[per["paid_posts"] >= min_paid_posts]
    return per.head(top).reset_index(drop=True)
