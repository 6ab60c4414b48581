"""Topics (hashtags): exposure, engagement, spread, and which topics travel with premium SKUs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from upmarket.contract import PREMIUM_THRESHOLD_CNY


def _explode(col: pd.Series) -> pd.Series:
    """``a|b|c`` → one row per trimmed, non-empty item, indexed like ``col`` (``｜`` and ``#`` tolerated)."""
    s = col.fillna("").astype(str).str.replace("｜", "|", regex=False).str.replace("#", "", regex=False)
    items = s.str.split("|").explode().str.strip()
    return items[items.notna() & (items != "")]


def topic_table(posts: pd.DataFrame, premium_skus: set[str] | None = None, min_posts: int = 3) -> pd.DataFrame:
    """One row per topic used by at least ``min_posts`` posts, most viewed first.

    ``premium_share`` is the share of the topic's posts that feature at least one SKU listed at
    4000 CNY or more: the topics that carry premium associations. ``value_framing`` is the share of
    its framed captions that argue from value for money (性价比, 划算...) rather than premium
    quality (高端, 旗舰...), read with the voice analysis' framing lexicon.
    """
    p = posts[["post_id", "views", "engagements", "saves", "topics", "sku_ids"]].copy()
    if "size" in posts:
        p["size"] = posts["size"]
    if "text" in posts and posts["text"].notna().any():
        p["frame"] = caption_framing(posts["text"])
    if premium_skus is not None:
        skus = _explode(p["sku_ids"])
        hit = skus.isin(premium_skus).groupby(level=0).any()
        p["premium"] = hit.reindex(p.index, fill_value=False).astype(float)
    topics = _explode(p["topics"]).rename("topic")
    long = p.drop(columns=["topics"]).join(topics, how="inner")
    if long.empty:
        return pd.DataFrame(columns=["topic", "posts", "views", "engagement_rate"])
    agg = {"posts": ("post_id", "size"), "views": ("views", "sum"), "engagements": ("engagements", "sum"),
           "saves": ("saves", "sum")}
    if "size" in long:
        agg["mean_size"] = ("size", "mean")
    if "premium" in long:
        agg["premium_share"] = ("premium", "mean")
    if "frame" in long:
        agg["value_framing"] = ("frame", "mean")  # NaN (no framed caption) is skipped by mean
    out = long.groupby("topic").agg(**agg).reset_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["engagement_rate"] = np.where(out["views"] > 0, out["engagements"] / out["views"], np.nan)
        out["save_rate"] = np.where(out["views"] > 0, out["saves"] / out["views"], np.nan)
    out = out[out["posts"] >= min_posts]
    return out.sort_values(["views", "posts"], ascending=False, ignore_index=True)


def caption_framing(text: pd.Series) -> pd.Series:
    """Per caption: 1 value-for-money framing, 0 premium framing, NaN neither (the voice analysis' rule)."""
    from upmarket.text.framing import framing
    from upmarket.text.normalise import normalise

    _, _, frame = framing(normalise(text.fillna("").astype(str).tolist()).texts)
    return pd.Series(frame, index=text.index)


def premium_skus(products: pd.DataFrame) -> set[str]:
    """SKUs whose list price is premium (4000 CNY or more)."""
    return set(products.loc[products["list_price"] >= PREMIUM_THRESHOLD_CNY, "sku_id"].astype(str))
