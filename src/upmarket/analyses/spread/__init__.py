"""Spread: how posts propagate (cascades), which creators return their fee, what topics and seeding do.

``results.json`` ``spread`` holds the four cascade measures of the top posts by size (option
``[spread] top_posts``, default 100); every post's measures are in the ``cascades`` table.
Creator ROI, topics and the seeding event study are tables and findings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from upmarket.analyses.base import Analysis, Finding, Need, Section, drop_uncomputable, needs, register
from upmarket.analyses.spread.cascades import METRICS, build_forest, cascade_table, tree_metrics
from upmarket.analyses.spread.charts import charts
from upmarket.analyses.spread.creators import compare, leaderboard, post_frame, roi
from upmarket.analyses.spread.seeding import seeding_effect
from upmarket.analyses.spread.topics import premium_skus, topic_table
from upmarket.warehouse.source import to_frame

if TYPE_CHECKING:
    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

__all__ = ["METRICS", "Spread", "build_forest", "cascade_table", "tree_metrics"]


def _figures(cascades: pd.DataFrame, top: int) -> dict[str, dict[str, Any]]:
    best = cascades.sort_values(["size", "post_id"], ascending=[False, True]).head(top)
    return {
        str(r.post_id): {"size": int(r.size), "depth": int(r.depth), "max_breadth": int(r.max_breadth),
                         "structural_virality": float(r.structural_virality)}
        for r in best.itertuples(index=False)
    }


def findings(tables: dict[str, pd.DataFrame]) -> list[Finding]:
    """Plain sentences, in English and Chinese, each with the figures behind it."""
    out: list[Finding] = []
    by_type = tables.get("by_creator_type")
    if by_type is not None and "viral_share" in by_type and by_type["classified"].sum() > 0:
        t = by_type[by_type["classified"] > 0].sort_values("viral_share")
        lo, hi = t.iloc[0], t.iloc[-1]
        out.append(Finding(
            f"Posts by {hi.creator_type} creators spread person-to-person most often "
            f"({hi.viral_share:.0%} of their cascades of 10+ nodes are viral), posts by {lo.creator_type} creators "
            f"least ({lo.viral_share:.0%}: mostly broadcast straight from the account).",
            {f"by_creator_type.{r.creator_type}.viral_share": float(r.viral_share) for r in t.itertuples()},
            f"{hi.creator_type} 类创作者的内容最常靠用户之间层层转发扩散（10 人以上的传播树中 {hi.viral_share:.0%} "
            f"属于病毒式），{lo.creator_type} 类最少（{lo.viral_share:.0%}，多为账号直接广播）。",
        ))
    rt = tables.get("roi_by_creator_type")
    if rt is not None and len(rt):
        b = rt.iloc[0]
        out.append(Finding(
            f"Paid {b.creator_type} posts returned the most sales per yuan of fee: {b.gmv_per_cny:.1f} CNY of GMV "
            f"per CNY (90% interval {b.gmv_per_cny_low:.1f}–{b.gmv_per_cny_high:.1f}, {int(b.paid_posts)} paid posts).",
            {"roi_by_creator_type": rt.set_index("creator_type")["gmv_per_cny"].round(3).to_dict()},
            f"付费的 {b.creator_type} 内容每元费用带来的成交最高：每元 {b.gmv_per_cny:.1f} 元 GMV"
            f"（90% 区间 {b.gmv_per_cny_low:.1f}–{b.gmv_per_cny_high:.1f}，共 {int(b.paid_posts)} 条付费内容）。",
        ))
    topics = tables.get("topics")
    if topics is not None and len(topics):
        t = topics.iloc[0]
        out.append(Finding(
            f"The most viewed topic is #{t.topic} ({int(t.posts)} posts, {t.views:,.0f} views, "
            f"engagement rate {t.engagement_rate:.1%}).",
            {f"topics.{t.topic}.views": float(t.views)},
            f"曝光最高的话题是 #{t.topic}（{int(t.posts)} 条内容，{t.views:,.0f} 次浏览，"
            f"互动率 {t.engagement_rate:.1%}）。",
        ))
    seed = tables.get("seeding_effect")
    if seed is not None and len(seed):
        for outcome, g in seed.groupby("outcome"):
            after = g[(g["day"] >= 0) & (g["day"] <= 7)]
            m, lo, hi = after["lift"].mean(), after["lift_low"].mean(), after["lift_high"].mean()
            zh_outcome = "搜索" if outcome == "searches" else "订单"
            out.append(Finding(
                f"In the week after a post features a SKU, its daily {outcome} run {m:+.0%} of an average day "
                f"above matched days without posts (day-by-day 90% intervals averaging {lo:+.0%} to {hi:+.0%}). "
                "This is observational: posts are timed to expected demand, so it is an association, not proof.",
                {f"seeding_effect.{outcome}.lift_day0_7": float(m)},
                f"内容种草某款 SKU 后的一周内，该 SKU 每日{zh_outcome}比无内容的对照日高出平均日水平的 {m:+.0%}"
                f"（逐日 90% 区间平均为 {lo:+.0%} 至 {hi:+.0%}）。这是观察性结果：内容投放常选在需求本就上升时，"
                "只能说明相关，不能证明因果。",
            ))
    return out


@register
class Spread(Analysis):
    """Cascades of shares, creators' return, topics and the seeding effect."""

    name = "spread"
    order = 40
    title = "Spread: how content propagates and what it sells"
    title_zh = "传播：内容如何扩散、带来多少销量"
    requires = ("posts",)
    optional = ("shares", "events", "orders", "products")
    results_key: ClassVar[str] = "spread"
    _engaged = needs("posts:views,likes", "posts:views,comments", "posts:views,shares", "posts:views,saves")
    figure_needs: ClassVar[dict[str, Need]] = {
        "cascades": needs("shares"),
        "by_tier": needs("posts:followers"),
        "reach_per_follower": needs("posts:followers,views"),
        "engagement_rate": _engaged,
        "save_rate": needs("posts:views,saves"),
        "roi_by_creator_type": needs("posts:cost,gmv"),
        "roi_by_tier": needs("posts:followers,cost,gmv"),
        "creators": needs("posts:cost,gmv"),  # the leaderboard ranks creators by GMV per CNY of fee
        "topics": needs("posts:topics,views"),  # topics ranked by views
        "seeding_effect": needs("posts:sku_ids & events"),
    }

    def run(self, warehouse: Warehouse, config: Config) -> Section:
        opts = config.options("spread")
        unmet = self.uncomputable(warehouse)
        top = int(opts.get("top_posts", 100))
        reps = int(opts.get("bootstrap", 400))
        rng = np.random.default_rng(int(opts.get("seed", 0)))
        warnings: list[str] = []
        tables: dict[str, pd.DataFrame] = {}
        cascades = None
        if warehouse.has_rows("shares"):
            cascades, forest = cascade_table(warehouse)
            tables["cascades"] = cascades
            if forest.duplicates:
                warnings.append(f"{forest.duplicates} share rows were repeat shares by the same user (not new nodes)")
            if forest.orphan_posts:
                warnings.append(f"{forest.orphan_posts} posts appear in shares but not in posts (creator unknown)")
            moved = int(cascades["reattached_unknown_parent"].sum() + cascades["reattached_later_parent"].sum())
            if moved:
                warnings.append(f"{moved} shares named an unknown or later parent and were attached to the root")
        else:
            warnings.append("shares table absent: no cascade measures; posts' own counts are still compared")
        posts = post_frame(warehouse, cascades)
        tables["by_platform_format"] = compare(posts, ["platform", "format"])
        tables["by_creator_type"] = compare(posts, ["creator_type"])
        tables["by_tier"] = compare(posts, ["tier"])
        tables["roi_by_creator_type"] = roi(posts, "creator_type", reps=reps, rng=rng)
        tables["roi_by_tier"] = roi(posts, "tier", reps=reps, rng=rng)
        tables["creators"] = leaderboard(posts, reps=reps, rng=rng)
        products = to_frame(warehouse.table("products").select("sku_id", "list_price"))
        tables["topics"] = topic_table(posts, premium_skus(products) if len(products) else None)
        seed, seed_warn = seeding_effect(warehouse, posts, reps=min(reps, 300), rng=rng)
        warnings += seed_warn
        if seed is not None:
            tables["seeding_effect"] = seed
        tops = []
        if cascades is not None and len(cascades):
            tops = cascades.sort_values(["size", "post_id"], ascending=[False, True]).head(3)["post_id"].tolist()
        drawn = build_forest(warehouse, post_ids=tops) if tops else None
        shown = drop_uncomputable({k: v for k, v in tables.items() if v is not None}, unmet)
        return Section(
            name=self.name,
            title=self.title,
            title_zh=self.title_zh,
            figures=_figures(cascades, top) if cascades is not None else {},
            tables=shown,
            charts=charts(shown, drawn),
            findings=findings(shown),
            warnings=warnings,
        )

