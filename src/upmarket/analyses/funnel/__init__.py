"""Funnel: multi-platform conversion rates, consumer-asset stages (AIPL) and cross-platform paths.

``results.json`` ``funnel[platform]`` holds ``ctr``, ``favorite_rate``, ``cart_rate``,
``visit_to_buy`` (and ``units_per_buyer``) with their 90% ``_ci`` (cluster bootstrap over days),
computed from ``traffic`` when present, else from ``events``. Breakdowns by city tier,
population group, source, price band and brand, the premium-acceptance table, weekly stage
sizes and transitions, 种草 → 拔草 paths and 回搜率 are tables. Every query is an Ibis
expression: DuckDB by default, the same code on Spark (``upmarket.analyses.funnel.spark``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from upmarket.analyses.base import Analysis, Finding, Need, Section, drop_uncomputable, needs, register
from upmarket.analyses.funnel.compute import FunnelOptions, FunnelOutput, compute
from upmarket.analyses.funnel.settings import FunnelSettings
from upmarket.analyses.funnel.spark import SparkSource, TableSource, local_session, spark_available
from upmarket.analyses.funnel.stages import PLATFORM_STAGE_MAP, STAGES, stage_map
from upmarket.contract import PREMIUM_THRESHOLD_CNY
from upmarket.estimation import CI_LEVEL
from upmarket.findings import Slots

if TYPE_CHECKING:
    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

__all__ = ["BREAKDOWN_KEYS", "PLATFORM_STAGE_MAP", "STAGES", "Funnel", "FunnelOptions", "FunnelOutput", "SparkSource",
           "TableSource", "compute", "findings", "local_session", "spark_available", "stage_map"]


RATE_COUNTS: dict[str, tuple[str, ...]] = {
    "ctr": ("impressions", "ctr_num", "ctr_den"), "favorite_rate": ("favorites", "fav_den"),
    "cart_rate": ("add_to_carts", "cart_den"), "units_per_buyer": ("units", "units_buyers"),
}
"""The count columns of the funnel tables behind each rate (beside visitors and buyers, which are required)."""

BREAKDOWN_KEYS: frozenset[str] = frozenset({"by_city_tier", "premium_conversion_by_city_tier", "stages"})
"""Keys of ``results["funnel"]`` that are not a platform."""


def findings(figures: dict[str, Any], tables: dict[str, pd.DataFrame], focal: str) -> list[Finding]:
    """The findings, as templates whose slots cite the rates behind them (platforms and tiers as codes the report
    labels)."""
    out: list[Finding] = []
    conv = {p: d for p, d in figures.items() if p not in BREAKDOWN_KEYS and "visit_to_buy" in d}
    if conv:
        best = max(conv, key=lambda p: conv[p]["visit_to_buy"])
        worst = min(conv, key=lambda p: conv[p]["visit_to_buy"])
        b, w = conv[best], conv[worst]
        has_ctr = "ctr" in b and "ctr" in w  # exports without impressions (JD, 生意参谋) give no click-through
        s = Slots()
        lv = s("level", CI_LEVEL, "level")
        bp, wp = s("best", best, "code"), s("worst", worst, "code")
        bv = s("best_rate", b["visit_to_buy"], "pct", f"funnel.{best}.visit_to_buy")
        wv = s("worst_rate", w["visit_to_buy"], "pct", f"funnel.{worst}.visit_to_buy")

        def ci(name: str, band: list[float] | None) -> str:
            return f"{s(name + '_low', band[0], 'pct')}–{s(name + '_high', band[1], 'pct')}" if band else "n/a"

        bci, wci = ci("best", b.get("visit_to_buy_ci")), ci("worst", w.get("visit_to_buy_ci"))
        bc, wc = ((s("best_ctr", b["ctr"], "pct", f"funnel.{best}.ctr"), s("worst_ctr", w["ctr"], "pct",
                                                                            f"funnel.{worst}.ctr"))
                  if has_ctr else ("", ""))
        out.append(Finding.of("funnel.platforms", s.template(
            f"Visit-to-buy is highest on {bp} ({bv}, {lv} interval {bci}) and lowest on {wp} ({wv}, {wci})"
            + (f"; click-through is {bc} and {wc}." if has_ctr else "."),
            f"访问-购买转化率在{bp}最高（{bv}，{lv} 区间 {bci}），在{wp}最低（{wv}，{wci}）"
            + (f"；点击率分别为 {bc} 和 {wc}。" if has_ctr else "。"))))
    tier = tables.get("funnel_by_city_tier")
    if tier is not None and len(tier):
        t = tier[tier["city_tier"] != "unknown"].groupby("city_tier")[["buyers", "visitors"]].sum()
        t = t[t["visitors"] > 0]
        if len(t) >= 2:
            r = (t["buyers"] / t["visitors"]).sort_values()
            s = Slots()
            rates = [s(f"rate{i}", float(v), "pct") for i, v in enumerate(r)]  # pooled over platforms: no cell
            th, tl = s("top", r.index[-1], "code"), s("bottom", r.index[0], "code")
            out.append(Finding.of("funnel.city_tiers", s.template(
                f"Across platforms, visitors in {th} convert at {rates[-1]} against {rates[0]} in {tl}.",
                f"全平台合计，{th}城市访客的转化率为 {rates[-1]}，{tl}城市为 {rates[0]}。"),
                {f"funnel_by_city_tier.{k}.visit_to_buy": float(v) for k, v in r.items()}))
    prem = tables.get("premium_acceptance")
    if prem is not None and len(prem):
        p = prem[prem["group"] == "city_tier"]
        tot = p.groupby("brand")[["premium_buyers", "all_buyers"]].sum()
        if focal in tot.index and "rivals" in tot.index and (tot["all_buyers"] > 0).all():
            sh = tot["premium_buyers"] / tot["all_buyers"]
            s = Slots()
            fb = s("brand", focal, "brand")
            fs, rs = s("focal_share", float(sh[focal]), "pct"), s("rival_share", float(sh["rivals"]), "pct")
            floor = s("premium_floor", PREMIUM_THRESHOLD_CNY, "cny")
            out.append(Finding.of("funnel.premium_acceptance", s.template(
                f"{fs} of {fb}'s buyers bought a premium (≥ {floor}) SKU, against {rs} for the rivals together.",
                f"{fb}的买家中有 {fs} 购买了 {floor} 及以上的高端机型，竞品合计为 {rs}。"),
                {f"premium_acceptance.{focal}.premium_buyer_share": float(sh[focal]),  # summed over tiers: no cell
                 "premium_acceptance.rivals.premium_buyer_share": float(sh["rivals"])}))
    tr = tables.get("stage_transitions")
    if tr is not None and "customer" in tr:
        tr = tr[tr["customer"] == "all"]
    if tr is not None and len(tr):
        a = tr[(tr["from_stage"] == "aware") & (tr["to_stage"].isin(["interest", "purchase", "loyal"]))]
        up = a.groupby("brand")["p"].sum()
        if focal in up.index and len(up) > 1:
            others = up.drop(focal)
            s = Slots()
            fb, fu = s("brand", focal, "brand"), s("aware_up", float(up[focal]), "pct")
            lo, hi = s("rivals_low", float(others.min()), "pct"), s("rivals_high", float(others.max()), "pct")
            out.append(Finding.of("funnel.stages", s.template(
                f"Each week, {fu} of the users aware of {fb} move on to interest or purchase the next week "
                f"(rivals: {lo}–{hi}).",
                f"每周知晓{fb}的用户中，有 {fu} 在下一周进入兴趣或购买阶段（竞品为 {lo}–{hi}）。"),
                {f"stage_transitions.{focal}.aware_up": float(up[focal])}))  # a sum of transitions: no cell
    pt = tables.get("paths_by_tier")
    if pt is not None and (pt["city_tier"] == "all").any():
        r = pt[pt["city_tier"] == "all"].iloc[0]
        if pd.notna(r["buyer_share"]) and pd.notna(r["lift"]):
            s = Slots()
            lv = s("level", CI_LEVEL, "level")
            bs = s("buyer_share", float(r["buyer_share"]), "pct", "paths_by_tier.all.buyer_share")
            lift = s("lift", float(r["lift"]), "ratio", "paths_by_tier.all.lift")
            lo, hi = s("lift_low", float(r["lift_low"]), "ratio"), s("lift_high", float(r["lift_high"]), "ratio")
            out.append(Finding.of("funnel.paths", s.template(
                f"{bs} of shop orders followed a view of the same product's content or livestream on Douyin or "
                f"Xiaohongshu in the week before; such visits converted {lift}× as often ({lv} interval "
                f"{lo}–{hi}×). Observational: seeded users were already interested.",
                f"电商平台订单中有 {bs} 在下单前一周内于抖音或小红书看过同款商品的内容或直播（种草→拔草）；"
                f"这类访问的转化率是其他访问的 {lift} 倍（{lv} 区间 {lo}–{hi}）。"
                "此为观察性结果，被种草的用户本就更有兴趣。")))
    return out


@register
class Funnel(Analysis):
    """Multi-platform funnels, AIPL stages with transitions, and 种草 → 拔草 paths.

    Options (``[funnel]`` in upmarket.toml): ``window_days`` (default 7), ``bootstrap``
    replicates (default 400), ``seed``, ``stages`` and ``paths`` (true/false), ``engine``
    (``duckdb`` default, or ``spark`` for a local Spark session).
    """

    name = "funnel"
    settings_type = FunnelSettings
    order = 20
    title = "Funnels, consumer stages and cross-platform paths"
    title_zh = "多平台转化漏斗、消费者资产阶段与跨平台种草路径"
    requires = ()
    optional = ("traffic", "events", "users", "orders", "products")
    results_key: ClassVar[str] = "funnel"
    figure_needs: ClassVar[dict[str, Need]] = {
        "visit_to_buy": needs("traffic", "events"),
        "ctr": needs("traffic:impressions", "events"),
        "favorite_rate": needs("traffic:favorites", "events"),
        "cart_rate": needs("traffic:add_to_carts", "events"),
        "units_per_buyer": needs("traffic:units"),
        "by_city_tier": needs("traffic:city_tier", "events & users:city_tier"),
        "premium_conversion_by_city_tier": needs("traffic:city_tier & products", "events & users:city_tier & products"),
        "stages": needs("events"),
        "funnel_by_source": needs("traffic:source", "events:source"),
        "funnel_by_segment": needs("traffic:segment"),
        "funnel_by_brand": needs("products"),
        "stage_transitions": needs("events"),
        "paths_by_tier": needs("events"),
    }

    def missing(self, warehouse: Warehouse) -> str | None:
        if not (warehouse.has_rows("traffic") or warehouse.has_rows("events")):
            return "needs table traffic or events, not in the dataset"
        return None

    def run(self, warehouse: Warehouse, config: Config) -> Section:
        o: FunnelSettings = config.settings("funnel")
        opts = FunnelOptions(
            window_days=o.window_days, bootstrap=o.bootstrap, seed=o.seed, focal_brand=config.focal_brand,
            sub_brands=tuple(config.sub_brands), competitors=tuple(config.competitors), stages=o.stages,
            paths=o.paths, premium_price=config.premium_price,
        )
        src: TableSource = warehouse
        if o.engine == "spark":
            reason = spark_available()
            if reason is not None:
                raise RuntimeError(f"[funnel] engine = 'spark' but {reason}")
            src = SparkSource.from_warehouse(warehouse, local_session(cores=2, shuffle_partitions=4))
        res = compute(src, opts)
        unmet = self.uncomputable(warehouse)
        # a figure missing for the whole dataset is named once, by the declared need; finer scopes add the rest
        scoped = {k: v for k, v in res.not_computed.items()
                  if k not in unmet and k.rsplit(".", 1)[-1] not in unmet}
        # a rate the columns do not allow leaves the tables with its (all-zero) count columns
        hidden = {**unmet, **{c: why for rate, why in unmet.items() for c in RATE_COUNTS.get(rate, ())}}
        tables = drop_uncomputable(res.tables, hidden)
        return Section(
            name=self.name, title=self.title, title_zh=self.title_zh, figures=res.figures, tables=tables,
            findings=findings(res.figures, tables, config.focal_brand),
            warnings=res.warnings, not_computed=scoped,
        )
