"""Spread: how posts propagate (cascades), which creators return their fee, what topics and seeding do.

``results.json`` ``spread`` holds the four cascade measures of the top posts by size (option
``[spread] top_posts``, default 100); every post's measures are in the ``cascades`` table and in the
``post_cascades`` artefact, which other analyses (launch: virality per launch) consume.
Creator ROI, topics and the seeding event study are tables and findings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from upmarket.analyses.base import Analysis, Finding, Need, Section, drop_uncomputable, needs, register
from upmarket.analyses.spread.cascades import METRICS, build_forest, cascade_table, forest_nodes, tree_metrics
from upmarket.analyses.spread.creators import MIN_CLASSIFIED_SIZE, compare, leaderboard, post_frame, roi
from upmarket.analyses.spread.seeding import seeding_effect
from upmarket.analyses.spread.settings import SpreadSettings
from upmarket.analyses.spread.topics import premium_skus, topic_table
from upmarket.artefacts import Artefact, ArtefactContext
from upmarket.estimation import CI_LEVEL
from upmarket.findings import Slots
from upmarket.warehouse.source import to_frame

if TYPE_CHECKING:
    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

__all__ = ["METRICS", "Spread", "build_forest", "cascade_table", "tree_metrics"]


def _post_cascades(ctx: ArtefactContext) -> tuple[pd.DataFrame, int, int] | None:
    """Every post's cascade measures, plus the repeat shares and orphan posts seen building them; None without
    shares."""
    if not ctx.warehouse.has_rows("shares"):
        return None
    cascades, forest = cascade_table(ctx.warehouse)
    return cascades, int(forest.duplicates), int(forest.orphan_posts)


POST_CASCADES = Artefact(
    "post_cascades", _post_cascades, reads=("shares", "posts"),
    doc="every post's cascade measures (size, depth, breadth, structural virality): (table, repeat shares, "
        "orphan posts), or None without shares")


def _figures(cascades: pd.DataFrame, top: int) -> dict[str, dict[str, Any]]:
    best = cascades.sort_values(["size", "post_id"], ascending=[False, True]).head(top)
    return {
        str(r.post_id): {"size": int(r.size), "depth": int(r.depth), "max_breadth": int(r.max_breadth),
                         "structural_virality": float(r.structural_virality)}
        for r in best.itertuples(index=False)
    }


def findings(tables: dict[str, pd.DataFrame]) -> list[Finding]:
    """The findings, as templates whose slots cite the table figures behind them (creator types as codes)."""
    out: list[Finding] = []
    by_type = tables.get("by_creator_type")
    if by_type is not None and "viral_share" in by_type and by_type["classified"].sum() > 0:
        t = by_type[by_type["classified"] > 0].sort_values("viral_share")
        s = Slots()
        shares = [s(f"viral{i}", float(r.viral_share), "pct", f"by_creator_type.{r.creator_type}.viral_share")
                  for i, r in enumerate(t.itertuples())]
        hi, lo = s("most", t.iloc[-1].creator_type, "code"), s("least", t.iloc[0].creator_type, "code")
        size = s("min_size", MIN_CLASSIFIED_SIZE, "count")
        out.append(Finding.of("spread.viral_by_creator_type", s.template(
            f"Posts by {hi} creators spread person-to-person most often ({shares[-1]} of their cascades of {size}+ "
            f"nodes are viral), posts by {lo} creators least ({shares[0]}: mostly broadcast straight from the "
            "account).",
            f"{hi}类创作者的内容最常靠用户之间层层转发扩散（{size} 人以上的传播树中 {shares[-1]} 属于病毒式），"
            f"{lo}类最少（{shares[0]}，多为账号直接广播）。")))
    rt = tables.get("roi_by_creator_type")
    if rt is not None and len(rt):
        b = rt.iloc[0]
        s = Slots()
        lv = s("level", CI_LEVEL, "level")
        for i, r in enumerate(rt.itertuples()):
            s(f"roi{i}", float(r.gmv_per_cny), "ratio", f"roi_by_creator_type.{r.creator_type}.gmv_per_cny")
        who = s("creator_type", b.creator_type, "code")
        lo, hi = s("roi_low", b.gmv_per_cny_low, "ratio"), s("roi_high", b.gmv_per_cny_high, "ratio")
        n = s("paid_posts", int(b.paid_posts), "count")
        out.append(Finding.of("spread.creator_roi", s.template(
            f"Paid {who} posts returned the most sales per yuan of fee: {{roi0}} CNY of GMV per CNY ({lv} interval "
            f"{lo}–{hi}, {n} paid posts).",
            f"付费的{who}内容每元费用带来的成交最高：每元 {{roi0}} 元 GMV（{lv} 区间 {lo}–{hi}，"
            f"共 {n} 条付费内容）。")))
    topics = tables.get("topics")
    if topics is not None and len(topics):
        t = topics.iloc[0]
        s = Slots()
        topic, posts = s("topic", t.topic, "text"), s("posts", int(t.posts), "count")
        views = s("views", float(t.views), "count", f"topics.{t.topic}.views")
        rate = s("engagement_rate", float(t.engagement_rate), "pct")
        out.append(Finding.of("spread.top_topic", s.template(
            f"The most viewed topic is #{topic} ({posts} posts, {views} views, engagement rate {rate}).",
            f"曝光最高的话题是 #{topic}（{posts} 条内容，{views} 次浏览，互动率 {rate}）。")))
    seed = tables.get("seeding_effect")
    if seed is not None and len(seed):
        for outcome, g in seed.groupby("outcome"):
            after = g[(g["day"] >= 0) & (g["day"] <= 7)]
            s = Slots()
            lv = s("level", CI_LEVEL, "level")
            lift = float(after["lift"].mean())  # a mean over days 0–7: cited as evidence, not a table cell
            m = s("lift", lift, "pct+")
            lo, hi = s("lift_low", after["lift_low"].mean(), "pct+"), s("lift_high", after["lift_high"].mean(), "pct+")
            what = s("outcome", outcome, "text")
            zh_outcome = "搜索" if outcome == "searches" else "订单"
            out.append(Finding.of(f"spread.seeding.{outcome}", s.template(
                f"In the week after a post features a SKU, its daily {what} run {m} of an average day above matched "
                f"days without posts (day-by-day {lv} intervals averaging {lo} to {hi}). This is observational: posts "
                "are timed to expected demand, so it is an association, not proof.",
                f"内容种草某款 SKU 后的一周内，该 SKU 每日{zh_outcome}比无内容的对照日高出平均日水平的 {m}"
                f"（逐日 {lv} 区间平均为 {lo} 至 {hi}）。这是观察性结果：内容投放常选在需求本就上升时，"
                "只能说明相关，不能证明因果。"), {f"seeding_effect.{outcome}.lift_day0_7": lift}))
    return out


@register
class Spread(Analysis):
    """Cascades of shares, creators' return, topics and the seeding effect."""

    name = "spread"
    settings_type = SpreadSettings
    order = 40
    produces = (POST_CASCADES,)
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
        opts: SpreadSettings = config.settings("spread")
        unmet = self.uncomputable(warehouse)
        top = opts.top_posts
        reps = opts.bootstrap
        rng = np.random.default_rng(opts.seed)
        warnings: list[str] = []
        tables: dict[str, pd.DataFrame] = {}
        cascades = None
        built = self.artefacts["post_cascades"]
        if built is not None:
            cascades, duplicates, orphan_posts = built
            tables["cascades"] = cascades
            if duplicates:
                warnings.append(f"{duplicates} share rows were repeat shares by the same user (not new nodes)")
            if orphan_posts:
                warnings.append(f"{orphan_posts} posts appear in shares but not in posts (creator unknown)")
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
        if tops:  # the largest cascades node by node, for the report to draw
            tables["largest_cascades"] = forest_nodes(build_forest(warehouse, post_ids=tops))
        shown = drop_uncomputable({k: v for k, v in tables.items() if v is not None}, unmet)
        return Section(
            name=self.name,
            title=self.title,
            title_zh=self.title_zh,
            figures=_figures(cascades, top) if cascades is not None else {},
            tables=shown,
            findings=findings(shown),
            warnings=warnings,
        )

