"""Fee channels (KOL, livestream) linked to the posts their fees bought and the cascades those posts started.

A spend channel whose money goes to creators (``xiaohongshu_kol``: 蒲公英 notes; ``douyin_live``: livestream
hosts) buys posts that the ``posts`` table lists with their fee (``cost``), and the ``shares`` table shows how
far each spread. Linking the two puts what the platform can count (views, engagements, cascade nodes per yuan,
the GMV it attributes) next to what the marketing-mix model estimates (incremental GMV per yuan), so a channel
that looks cheap per view but adds little GMV, or the reverse, shows in one table.

Which posts a channel bought: ``[mix.fee_channels.<channel>]`` with any of ``platform``, ``creator_type``,
``format`` (a value or a list) and ``creators`` (creator ids); without it, a channel named ``<platform>_kol``
(or ``_koc``, ``_creator``, ``_creators``, ``_seeding``) takes that platform's paid KOL/KOC posts that are not
livestreams, and ``<platform>_live`` (or ``_livestream``) its paid livestreams. Only paid posts (``cost`` > 0)
featuring the focal brand (or its sub-brands; every post when ``brands`` is empty) in the weeks the model saw.
Cascade measures come from the spread analysis's results where it reported the post (exact, by the contract's
rules), else its size is counted from ``shares`` (distinct sharers other than the creator, plus the root).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from upmarket.analyses.mix.data import MixInputError

if TYPE_CHECKING:
    from upmarket.warehouse import Warehouse

KOL_SUFFIXES = ("kol", "koc", "creator", "creators", "seeding")
LIVE_SUFFIXES = ("live", "livestream")
RULE_KEYS = ("platform", "creator_type", "format", "creators")


def _listed(value: Any) -> list[str] | None:
    if value is None:
        return None
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def fee_channel_rules(channels: Sequence[str], opts: Mapping[str, Any]) -> dict[str, dict[str, list[str] | None]]:
    """Channel → the post filter its fees bought (configured, else read from the channel's name)."""
    configured = dict(opts.get("fee_channels", {}) or {})
    for ch, rule in configured.items():
        if ch not in channels:
            raise MixInputError(f"upmarket.toml [mix] fee_channels: {ch!r} is not a channel with spend "
                                f"(channels: {', '.join(channels)})")
        unknown = sorted(set(rule) - set(RULE_KEYS))
        if unknown:
            raise MixInputError(f"upmarket.toml [mix] fee_channels.{ch}: unknown key {unknown[0]!r} "
                                f"(known: {', '.join(RULE_KEYS)})")
    out: dict[str, dict[str, list[str] | None]] = {}
    for ch in channels:
        if ch in configured:
            out[ch] = {k: _listed(configured[ch].get(k)) for k in RULE_KEYS}
            continue
        platform, _, kind = ch.rpartition("_")
        if not platform:
            continue
        if kind in KOL_SUFFIXES:
            out[ch] = {"platform": [platform], "creator_type": ["kol", "koc"], "format": None, "creators": None,
                       "not_format": ["livestream"]}
        elif kind in LIVE_SUFFIXES:
            out[ch] = {"platform": [platform], "creator_type": None, "format": ["livestream"], "creators": None}
    return out


def paid_posts(warehouse: Warehouse, brands: Sequence[str], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Paid posts (cost > 0) featuring one of ``brands`` (all when the column is empty) in [start, end]."""
    cols = {r[0] for r in warehouse.con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'posts'").fetchall()}
    counted = [c for c in ("views", "likes", "comments", "shares", "saves", "gmv") if c in cols]
    sums = "".join(f", any_value({c}) AS {c}" for c in counted)
    brand_col = ", any_value(brands) AS brands" if "brands" in cols else ""
    posts = warehouse.con.execute(
        f"SELECT post_id, any_value(ts) AS ts, any_value(platform) AS platform, any_value(creator_id) AS creator_id, "
        f"any_value(creator_type) AS creator_type, any_value(format) AS format, any_value(cost) AS cost{sums}"
        f"{brand_col} FROM posts WHERE cost > 0 AND ts >= ? AND ts < ? GROUP BY post_id ORDER BY post_id",
        [start.to_pydatetime(), (end + pd.Timedelta(days=7)).to_pydatetime()]).df()
    for c in ("views", "likes", "comments", "shares", "saves", "gmv"):
        if c not in posts:
            posts[c] = np.nan
    if "brands" in posts and posts["brands"].notna().any():
        wanted = set(brands)
        posts = posts[posts["brands"].fillna("").map(lambda s: bool(wanted & set(str(s).split("|"))))]
    return posts.reset_index(drop=True)


def cascade_sizes(warehouse: Warehouse, posts: pd.DataFrame, spread_figures: Mapping[str, Any]) -> pd.DataFrame:
    """Per post: cascade size (nodes with the root) and structural virality where the spread analysis reported it.

    The one place mix reads spread's results (``upstream["spread"]``: post id → size, depth, max_breadth,
    structural_virality); posts it did not report get their size from ``shares``, virality unknown."""
    out = pd.DataFrame({"post_id": posts["post_id"].astype(str)})
    reported = {str(k): v for k, v in (spread_figures or {}).items() if isinstance(v, Mapping) and "size" in v}
    out["size"] = out["post_id"].map(lambda p: float(reported[p]["size"]) if p in reported else np.nan)
    out["structural_virality"] = out["post_id"].map(
        lambda p: float(reported[p]["structural_virality"]) if p in reported else np.nan)
    out["from_spread"] = out["post_id"].isin(list(reported))
    missing = out.loc[~out["from_spread"], "post_id"].tolist()
    if missing and warehouse.has_rows("shares"):
        warehouse.con.register("_mix_posts", posts[["post_id", "creator_id"]].astype(str))
        try:
            counted = warehouse.con.execute(
                "SELECT p.post_id, 1 + count(DISTINCT s.user_id) FILTER (WHERE s.user_id <> p.creator_id) AS size "
                "FROM _mix_posts p LEFT JOIN shares s ON s.post_id = p.post_id GROUP BY p.post_id").df()
        finally:
            warehouse.con.unregister("_mix_posts")
        sizes = dict(zip(counted["post_id"], counted["size"], strict=True))
        out.loc[~out["from_spread"], "size"] = [float(sizes.get(p, 1)) for p in missing]
    elif missing:
        out.loc[~out["from_spread"], "size"] = np.nan  # no shares table: cascades unknown, not lone roots
    return out


def _matches(posts: pd.DataFrame, rule: Mapping[str, list[str] | None]) -> pd.Series:
    keep = pd.Series(True, index=posts.index)
    for key, col in (("platform", "platform"), ("creator_type", "creator_type"), ("format", "format"),
                     ("creators", "creator_id")):
        if rule.get(key):
            keep &= posts[col].astype(str).isin(rule[key])
    if rule.get("not_format"):
        keep &= ~posts["format"].astype(str).isin(rule["not_format"])
    return keep


def _per(num: float, den: float) -> float:
    return float(num) / float(den) if den and np.isfinite(den) and den > 0 and np.isfinite(num) else float("nan")


def kol_table(warehouse: Warehouse, rules: Mapping[str, Mapping[str, list[str] | None]], spend: pd.DataFrame,
              roi: pd.DataFrame, brands: Sequence[str], spread_figures: Mapping[str, Any]) -> pd.DataFrame:
    """One row per fee channel with linked posts: fees, reach and engagement per yuan, cascade nodes per yuan, the
    platform-attributed GMV per yuan, and the mix model's ROI (90 % interval) beside them.

    ``spend`` is the channel's weekly spend (index: weeks, columns: channels) the model fitted; ``roi`` its ROI
    table. ``fee_share`` is the linked posts' fees over the channel's spend in the same weeks: near 1 when the
    posts account for the channel's money, well below 1 when most of it bought things the posts table lacks."""
    if not rules or not warehouse.has_rows("posts"):
        return pd.DataFrame()
    weeks = pd.DatetimeIndex(spend.index)
    posts = paid_posts(warehouse, brands, weeks.min(), weeks.max())
    if posts.empty:
        return pd.DataFrame()
    casc = cascade_sizes(warehouse, posts, spread_figures)
    posts = posts.assign(size=casc["size"].to_numpy(), structural_virality=casc["structural_virality"].to_numpy(),
                         from_spread=casc["from_spread"].to_numpy())
    posts["week"] = pd.to_datetime(posts["ts"]).dt.to_period("W-SUN").dt.start_time
    posts["engagements"] = posts[["likes", "comments", "shares", "saves"]].fillna(0).sum(axis=1)
    r = roi.set_index("channel")
    rows = []
    for ch, rule in rules.items():
        linked = posts[_matches(posts, rule)]
        if linked.empty:
            continue
        fees = float(linked["cost"].sum())
        in_weeks = spend.loc[spend.index.isin(linked["week"].unique()), ch].sum()
        views = float(linked["views"].sum(min_count=1)) if linked["views"].notna().any() else float("nan")
        nodes = float(linked["size"].sum()) if linked["size"].notna().all() else float("nan")
        gmv = float(linked["gmv"].sum()) if linked["gmv"].notna().any() else float("nan")
        rows.append({
            "channel": ch, "posts": len(linked), "creators": int(linked["creator_id"].nunique()),
            "fees_cny": fees, "channel_spend_cny": float(spend[ch].sum()),
            "fee_share": _per(fees, in_weeks),
            "views": views, "engagements": float(linked["engagements"].sum()), "cascade_nodes": nodes,
            "cost_per_1000_views": _per(1000 * fees, views),
            "cost_per_engagement": _per(fees, float(linked["engagements"].sum())),
            "cost_per_cascade_node": _per(fees, nodes),
            "cascade_nodes_per_1000_cny": _per(1000 * nodes, fees),
            "mean_structural_virality": float(linked["structural_virality"].mean()),
            "posts_measured_by_spread": int(linked["from_spread"].sum()),
            "attributed_gmv_per_cny": _per(gmv, fees),
            "mmm_roi": float(r.loc[ch, "roi"]), "mmm_roi_low": float(r.loc[ch, "roi_low"]),
            "mmm_roi_high": float(r.loc[ch, "roi_high"]), "mmm_mroi": float(r.loc[ch, "mroi"]),
        })
    return pd.DataFrame(rows)
