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
from upmarket.analyses.funnel.spark import SparkSource, TableSource, local_session, spark_available
from upmarket.analyses.funnel.stages import PLATFORM_STAGE_MAP, STAGES, stage_map

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


def _pct(x: float, d: int = 1) -> str:
    return f"{x * 100:.{d}f}%"


def _ci(ci: list[float] | None, d: int = 1) -> str:
    return f"{_pct(ci[0], d)}–{_pct(ci[1], d)}" if ci else "n/a"


def findings(figures: dict[str, Any], tables: dict[str, pd.DataFrame], focal: str) -> list[Finding]:
    """Plain sentences in English and Chinese, each citing the rates behind it."""
    out: list[Finding] = []
    conv = {p: d for p, d in figures.items() if p not in BREAKDOWN_KEYS and "visit_to_buy" in d}
    if conv:
        best = max(conv, key=lambda p: conv[p]["visit_to_buy"])
        worst = min(conv, key=lambda p: conv[p]["visit_to_buy"])
        b, w = conv[best], conv[worst]
        has_ctr = "ctr" in b and "ctr" in w  # exports without impressions (JD, 生意参谋) give no click-through
        out.append(Finding(
            f"Visit-to-buy is highest on {best} ({_pct(b['visit_to_buy'], 2)}, 90% interval "
            f"{_ci(b.get('visit_to_buy_ci'), 2)}) and lowest on {worst} ({_pct(w['visit_to_buy'], 2)}, "
            f"{_ci(w.get('visit_to_buy_ci'), 2)})"
            + (f"; click-through is {_pct(b['ctr'])} and {_pct(w['ctr'])}." if has_ctr else "."),
            {f"funnel.{best}.visit_to_buy": b["visit_to_buy"], f"funnel.{worst}.visit_to_buy": w["visit_to_buy"]},
            f"访问-购买转化率在{best}最高（{_pct(b['visit_to_buy'], 2)}，"
            f"90% 区间 {_ci(b.get('visit_to_buy_ci'), 2)}），"
            f"在{worst}最低（{_pct(w['visit_to_buy'], 2)}，{_ci(w.get('visit_to_buy_ci'), 2)}）"
            + (f"；点击率分别为 {_pct(b['ctr'])} 和 {_pct(w['ctr'])}。" if has_ctr else "。"),
        ))
    tier = tables.get("funnel_by_city_tier")
    if tier is not None and len(tier):
        t = tier[tier["city_tier"] != "unknown"].groupby("city_tier")[["buyers", "visitors"]].sum()
        t = t[t["visitors"] > 0]
        if len(t) >= 2:
            r = (t["buyers"] / t["visitors"]).sort_values()
            out.append(Finding(
                f"Across platforms, visitors in {r.index[-1]} cities convert at {_pct(r.iloc[-1], 2)} against "
                f"{_pct(r.iloc[0], 2)} in {r.index[0]} cities.",
                {f"funnel_by_city_tier.{k}.visit_to_buy": float(v) for k, v in r.items()},
                f"全平台合计，{r.index[-1]}城市访客的转化率为 {_pct(r.iloc[-1], 2)}，"
                f"{r.index[0]}城市为 {_pct(r.iloc[0], 2)}。",
            ))
    prem = tables.get("premium_acceptance")
    if prem is not None and len(prem):
        p = prem[prem["group"] == "city_tier"]
        tot = p.groupby("brand")[["premium_buyers", "all_buyers"]].sum()
        if focal in tot.index and "rivals" in tot.index and (tot["all_buyers"] > 0).all():
            s = tot["premium_buyers"] / tot["all_buyers"]
            out.append(Finding(
                f"{_pct(s[focal])} of {focal}'s buyers bought a premium (≥ 4000 CNY) SKU, against "
                f"{_pct(s['rivals'])} for the rivals together.",
                {f"premium_acceptance.{focal}.premium_buyer_share": float(s[focal]),
                 "premium_acceptance.rivals.premium_buyer_share": float(s["rivals"])},
                f"{focal}的买家中有 {_pct(s[focal])} 购买了 4000 元及以上的高端机型，竞品合计为 {_pct(s['rivals'])}。",
            ))
    tr = tables.get("stage_transitions")
    if tr is not None and "customer" in tr:
        tr = tr[tr["customer"] == "all"]
    if tr is not None and len(tr):
        a = tr[(tr["from_stage"] == "aware") & (tr["to_stage"].isin(["interest", "purchase", "loyal"]))]
        up = a.groupby("brand")["p"].sum()
        if focal in up.index and len(up) > 1:
            others = up.drop(focal)
            out.append(Finding(
                f"Each week, {_pct(up[focal])} of the users aware of {focal} move on to interest or purchase the "
                f"next week (rivals: {_pct(others.min())}–{_pct(others.max())}).",
                {f"stage_transitions.{focal}.aware_up": float(up[focal])},
                f"每周知晓{focal}的用户中，有 {_pct(up[focal])} 在下一周进入兴趣或购买阶段"
                f"（竞品为 {_pct(others.min())}–{_pct(others.max())}）。",
            ))
    pt = tables.get("paths_by_tier")
    if pt is not None and (pt["city_tier"] == "all").any():
        r = pt[pt["city_tier"] == "all"].iloc[0]
        if pd.notna(r["buyer_share"]) and pd.notna(r["lift"]):
            out.append(Finding(
                f"{_pct(r['buyer_share'])} of shop orders followed a view of the same product's content or livestream "
                f"on Douyin or Xiaohongshu in the week before; such visits converted {r['lift']:.2f}× as often "
                f"(90% interval {r['lift_low']:.2f}–{r['lift_high']:.2f}×). Observational: seeded users were "
                "already interested.",
                {"paths_by_tier.all.buyer_share": float(r["buyer_share"]), "paths_by_tier.all.lift": float(r["lift"])},
                f"电商平台订单中有 {_pct(r['buyer_share'])} 在下单前一周内于抖音或小红书看过同款商品的内容或直播"
                f"（种草→拔草）；这类访问的转化率是其他访问的 {r['lift']:.2f} 倍"
                f"（90% 区间 {r['lift_low']:.2f}–{r['lift_high']:.2f}）。"
                "此为观察性结果，被种草的用户本就更有兴趣。",
            ))
    return out


@register
class Funnel(Analysis):
    """Multi-platform funnels, AIPL stages with transitions, and 种草 → 拔草 paths.

    Options (``[funnel]`` in upmarket.toml): ``window_days`` (default 7), ``bootstrap``
    replicates (default 400), ``seed``, ``stages`` and ``paths`` (true/false), ``engine``
    (``duckdb`` default, or ``spark`` for a local Spark session).
    """

    name = "funnel"
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
        o = config.options("funnel")
        opts = FunnelOptions(
            window_days=int(o.get("window_days", 7)), bootstrap=int(o.get("bootstrap", 400)),
            seed=int(o.get("seed", 0)), focal_brand=config.focal_brand, sub_brands=tuple(config.sub_brands),
            competitors=tuple(config.competitors), stages=bool(o.get("stages", True)),
            paths=bool(o.get("paths", True)),
        )
        src: TableSource = warehouse
        if str(o.get("engine", "duckdb")).lower() == "spark":
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
