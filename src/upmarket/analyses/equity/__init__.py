"""Equity: Aaker's four dimensions of brand equity measured from behaviour, the Dirichlet benchmark and the
revenue premium.

``results.json`` ``equity.<brand>`` holds awareness, associations, perceived_quality, loyalty (P(an owner's next
phone is the same brand)), index and revenue_premium (CNY, latest period), each estimate with a 90 % ``_ci``,
and richer keys: loyalty by city tier and age band, the brand's switching row, flows, the Markov steady-state
share, the Dirichlet's predicted loyalty and the excess over it, the revenue-premium trend. Tables hold the
switching matrix, flows between brands, the focal ↔ sub-brand flows, the Dirichlet table, reach, the index
weights and its sensitivity.

Options (``[equity]``): ``benchmark_brand`` (revenue premium; default the first sub-brand), ``min_n`` (changes
from a brand needed for a tier or age-band estimate, default 300), ``weights`` (of the index), ``draws`` and
``seed`` (the steady-state interval).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from upmarket.analyses.base import Analysis, Finding, Need, Section, drop_uncomputable, needs, register
from upmarket.analyses.equity import dimensions as dim
from upmarket.analyses.equity.dirichlet import DirichletFit, dirichlet
from upmarket.analyses.equity.panel import dirichlet_table, double_jeopardy, duplication, purchase_panel
from upmarket.analyses.equity.settings import EquitySettings
from upmarket.analyses.equity.switching import group_flows, loyalty_by, switching, transition_counts
from upmarket.estimation import CI_LEVEL
from upmarket.findings import Slots

if TYPE_CHECKING:
    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

__all__ = ["DirichletFit", "Equity", "dirichlet"]

QUALITY_ASPECTS = ("camera", "performance", "system", "battery", "design", "screen")
"""Voice aspects that speak to product quality (price and service do not)."""


def _r(x: Any, d: int = 4) -> float | None:
    return None if x is None or not np.isfinite(float(x)) else round(float(x), d)


def _ci(lo: Any, hi: Any, d: int = 4) -> list[float | None]:
    return [_r(lo, d), _r(hi, d)]


def upstream_figures(upstream: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    """The figures equity reads from analyses run before it: voice per brand, and the demand model's brand
    premium (CNY, all consumers). One function, so rewiring to named artefacts touches only this."""
    voice = {b: v for b, v in (upstream.get("voice") or {}).items() if isinstance(v, dict)}
    premium = ((upstream.get("pricing") or {}).get("brand_premium_cny") or {}).get("all") or {}
    return voice, {b: float(v) for b, v in premium.items() if v is not None}


def associations(voice: dict[str, Any]) -> pd.DataFrame:
    """Per brand from voice: premium framing (1 − value framing, with its interval) and the aspects said about it
    distinctively (share positive above the mean of all brands)."""
    rows = []
    aspects = pd.DataFrame({b: v.get("aspects") or {} for b, v in voice.items()}).T.astype(float)
    mean = aspects.mean()
    for b, v in voice.items():
        vf = v.get("value_framing")
        ci = v.get("value_framing_ci") or [None, None]
        lift = (aspects.loc[b] - mean).dropna().sort_values(ascending=False) if b in aspects.index else pd.Series()
        quality = [float(aspects.loc[b, a]) for a in QUALITY_ASPECTS if b in aspects.index and a in aspects
                   and pd.notna(aspects.loc[b, a])]
        rows.append({"brand": b, "premium_framing": None if vf is None else 1 - vf,
                     "premium_framing_low": None if ci[1] is None else 1 - ci[1],
                     "premium_framing_high": None if ci[0] is None else 1 - ci[0],
                     "distinctive_aspects": "|".join(lift[lift > 0].index[:3]),
                     "sentiment": v.get("sentiment"),
                     "quality_aspect_sentiment": np.mean(quality) if quality else None})
    return pd.DataFrame(rows)


@register
class Equity(Analysis):
    """Brand equity from behaviour: loyalty and switching, the Dirichlet benchmark, awareness, associations,
    perceived quality, revenue premium and an index."""

    name = "equity"
    settings_type = EquitySettings
    order = 65  # after funnel (20), voice (30), spread (40), demand (50): reads their figures via upstream
    title = "Brand equity: loyalty, switching, awareness, quality and the revenue premium"
    title_zh = "品牌资产：忠诚与换机、认知、品质与收入溢价"
    optional = ("device_history", "users", "orders", "products", "posts", "events", "reviews", "market_sales")
    results_key: ClassVar[str] = "equity"
    figure_needs: ClassVar[dict[str, Need]] = {
        "loyalty": needs("device_history"),
        "loyalty_by_city_tier": needs("device_history & users:city_tier"),
        "loyalty_by_age_band": needs("device_history & users:age_band"),
        "dirichlet": needs("orders & products & users"),
        "awareness": needs("posts:brands", "events"),
        "associations": needs("reviews & products"),
        "perceived_quality": needs("reviews:rating & products", "reviews & products"),
        "revenue_premium": needs("market_sales:avg_price", "market_sales:revenue"),
    }

    def missing(self, warehouse: Warehouse) -> str | None:
        if not any(warehouse.has_rows(t) for t in ("device_history", "orders", "posts", "market_sales")):
            return "needs device_history, orders, posts or market_sales; none is in the dataset"
        return None

    def run(self, warehouse: Warehouse, config: Config) -> Section:
        opts: EquitySettings = config.settings("equity")
        unmet = dict(self.uncomputable(warehouse))  # contract 1 has no returns/complaints table: quality is ratings
        # and voice sentiment
        benchmark = opts.benchmark_brand if opts.benchmark_brand is not None else (
            config.sub_brands[0] if config.sub_brands else "")
        min_n = opts.min_n  # ±0.05 at 90 % for a loyalty near one half
        weights = dict(opts.weights)
        bad = set(weights) - set(dim.DIMENSIONS)
        if bad:
            raise ValueError(f"[equity] weights: unknown dimension(s) {', '.join(sorted(bad))}; "
                             f"use {', '.join(dim.DIMENSIONS)}")
        rng = np.random.default_rng(opts.seed)
        draws = opts.draws
        con = warehouse  # the table source the readers below query through Ibis
        tables: dict[str, pd.DataFrame] = {}
        warnings: list[str] = []
        per: dict[str, dict[str, Any]] = {}

        def put(brand: str, **kv: Any) -> None:
            per.setdefault(brand, {}).update(kv)

        # --- loyalty and switching (device_history) ---
        if "loyalty" not in unmet:
            counts = transition_counts(con)
            sw = switching(counts, draws=draws, rng=rng)
            tables["switching_matrix"], tables["switching_brands"], tables["switching_flows"] = (
                sw["matrix"], sw["brands"], sw["flows"])
            for r in sw["brands"].itertuples(index=False):
                row = sw["matrix"][sw["matrix"]["from_brand"] == r.brand]
                put(r.brand, loyalty=_r(r.loyalty), loyalty_ci=_ci(r.loyalty_low, r.loyalty_high),
                    changes_from=int(r.changes_from), inflow=int(r.inflow), outflow=int(r.outflow),
                    net_flow=int(r.net_flow), steady_state_share=_r(r.steady_state_share),
                    steady_state_share_ci=_ci(r.steady_state_share_low, r.steady_state_share_high),
                    switching_to={t.to_brand: _r(t.share) for t in row.itertuples() if np.isfinite(t.share)},
                    switching_to_ci={t.to_brand: _ci(t.share_low, t.share_high) for t in row.itertuples()
                                     if np.isfinite(t.share)})
            tables["sub_brand_flows"] = group_flows(counts, config.focal_brand, config.sub_brands)
            for r in tables["sub_brand_flows"].itertuples(index=False):  # the boundary dilemma, in the focal's block
                per.setdefault(r.focal, {}).setdefault("sub_brand_flows", {})[r.sub_brand] = {
                    "to_sub_brand": int(r.focal_to_sub), "from_sub_brand": int(r.sub_to_focal),
                    "group_retention": _r(r.group_retention)}
            if warehouse.has_rows("orders"):
                rep = transition_counts(con, source="orders")
                if len(rep):
                    tables["repeat_purchases"] = switching(rep, draws=200, rng=rng)["brands"][
                        ["brand", "changes_from", "loyalty", "loyalty_low", "loyalty_high"]].rename(
                        columns={"changes_from": "repeat_purchases_from"})
            for by in ("city_tier", "age_band"):
                if f"loyalty_by_{by}" in unmet:
                    continue
                t, thin = loyalty_by(transition_counts(con, by=by), by, min_n)
                tables[f"loyalty_by_{by}"] = t
                if thin:
                    warnings.append(f"loyalty by {by}: {len(thin)} cells with fewer than {min_n} changes left out "
                                    f"(e.g. {thin[0]})")
                for r in t.dropna(subset=["loyalty"]).itertuples(index=False):
                    lv = getattr(r, by)
                    per.setdefault(r.brand, {}).setdefault(f"loyalty_by_{by}", {})[lv] = _r(r.loyalty)
                    per[r.brand].setdefault(f"loyalty_by_{by}_ci", {})[lv] = _ci(r.loyalty_low, r.loyalty_high)

        # --- the Dirichlet benchmark on the orders panel ---
        fit = None
        if "dirichlet" not in unmet:
            panel, base, span = purchase_panel(con)
            if panel["brand"].nunique() >= 2 and 0 < panel["user_id"].nunique() < base:
                dt, fit, cat = dirichlet_table(panel, base)
                tables["dirichlet"] = dt
                tables["dirichlet_duplication"] = duplication(panel, fit)
                tables["dirichlet_model"] = pd.DataFrame([{
                    "M": fit.M, "K": fit.K, "S": fit.S, "cat_pen": cat["cat_pen"], "cat_buyrate": cat["cat_buyrate"],
                    "buyers": cat["buyers"], "base": cat["base"], "period": span,
                    "double_jeopardy_rank_corr": double_jeopardy(dt)}])
                warnings.append(f"Dirichlet fitted to the purchases in orders over the whole span ({span}): phones "
                                "are bought rarely, so a shorter period would leave almost no repeat buying")
                for r in dt.itertuples(index=False):
                    put(r.brand, scr=_r(r.scr_obs), scr_dirichlet=_r(r.scr), excess_scr=_r(r.excess_scr),
                        sole_loyal=_r(r.sole_loyal_obs), sole_loyal_dirichlet=_r(r.sole_loyal),
                        excess_sole_loyal=_r(r.excess_sole_loyal), dirichlet_loyalty=_r(r.repeat_rate))
                    if per[r.brand].get("loyalty") is not None:
                        per[r.brand]["excess_loyalty"] = _r(per[r.brand]["loyalty"] - r.repeat_rate)
            else:
                unmet["dirichlet"] = "orders need buyers of two brands or more and users who bought nothing"

        # --- awareness: reach ---
        brands = sorted(set(per) | set(config.brands))
        if "awareness" not in unmet:
            from upmarket.analyses.base import column_present

            rc = dim.reach(con, brands, warehouse.has_rows("posts") and column_present(warehouse, "posts", "brands"),
                           warehouse.has_rows("posts") and column_present(warehouse, "posts", "views"),
                           warehouse.has_rows("events"))
            if len(rc):
                tables["reach"] = rc
                agg = rc.groupby("brand")[["share", "share_low", "share_high"]].mean()
                for b, r in agg.iterrows():
                    put(b, awareness=_r(r["share"]), awareness_ci=_ci(r["share_low"], r["share_high"]),
                        awareness_by={m: _r(s) for m, s in rc.loc[rc["brand"] == b, ["measure", "share"]].itertuples(
                            index=False)})

        # --- associations and perceived quality ---
        voice, premium_cny = upstream_figures(self.upstream)
        if voice:
            assoc = associations(voice)
            tables["associations"] = assoc
            for r in assoc.itertuples(index=False):
                if pd.notna(r.premium_framing):
                    put(r.brand, associations=_r(r.premium_framing),
                        associations_ci=_ci(r.premium_framing_low, r.premium_framing_high))
                if r.distinctive_aspects:
                    put(r.brand, distinctive_aspects=r.distinctive_aspects.split("|"))
        else:
            unmet.setdefault("associations", "the voice analysis did not run before equity (no voice figures)")
        rt = dim.ratings(con, brands) if warehouse.has_rows("reviews") and warehouse.has_rows("products") else None
        pq_parts: dict[str, list[float]] = {}
        if rt is not None and len(rt):
            tables["ratings"] = rt
            for r in rt.itertuples(index=False):
                pq_parts.setdefault(r.brand, []).append(r.rating_score)
                put(r.brand, rating_score=_r(r.rating_score), rating_score_ci=_ci(r.rating_score_low,
                                                                                   r.rating_score_high))
        for b, v in voice.items():  # whole-review sentiment and the sentiment on product-quality aspects
            if v.get("sentiment") is not None:
                pq_parts.setdefault(b, []).append(float(v["sentiment"]))
            quality = [float(x) for a, x in (v.get("aspects") or {}).items() if a in QUALITY_ASPECTS and x is not None]
            if quality:
                pq_parts.setdefault(b, []).append(float(np.mean(quality)))
        for b, parts in pq_parts.items():
            put(b, perceived_quality=_r(np.mean(parts)))
        if not pq_parts:
            unmet.setdefault("perceived_quality", "no review ratings and no voice sentiment")

        # --- revenue premium ---
        if "revenue_premium" not in unmet and not benchmark:
            unmet["revenue_premium"] = "no benchmark brand: the config names no sub-brand; set [equity] benchmark_brand"
        if "revenue_premium" not in unmet:
            rp, why = dim.revenue_premium(con, benchmark)
            if why:
                unmet["revenue_premium"] = why
            else:
                tables["revenue_premium"] = rp
                tr = dim.premium_trend(rp)
                tables["revenue_premium_trend"] = tr
                last = rp.sort_values("period").groupby("brand").tail(1)
                for r in last.itertuples(index=False):
                    put(r.brand, revenue_premium=_r(r.revenue_premium, 0), revenue_premium_period=str(r.period),
                        revenue_premium_share=_r(r.premium_share_of_revenue))
                for r in tr.itertuples(index=False):
                    put(r.brand, revenue_premium_trend=_r(r.slope_cny_per_period, 0),
                        revenue_premium_trend_ci=_ci(r.slope_low, r.slope_high, 0))

        # --- the index, its weights and sensitivity ---
        dims = pd.DataFrame({d: {b: v.get(d) for b, v in per.items()} for d in dim.DIMENSIONS}).astype(float)
        if dims.notna().any().any():
            idx = dim.equity_index(dims, weights)
            for b, v in idx.items():
                if pd.notna(v):
                    per[b]["index"] = _r(v)
            tables["dimensions_scaled"] = dims.apply(dim.scale).rename_axis("brand").reset_index()
            tables["index_weights"] = pd.DataFrame({"dimension": list(weights), "weight": list(weights.values()),
                                                    "available": [bool(dims[k].notna().any()) for k in weights]})
            tables["index_sensitivity"] = dim.sensitivity(dims, weights)
            quarterly = dim.quarterly_dimensions(con, {t: warehouse.has_rows(t) for t in
                                                       ("device_history", "posts", "reviews")})
            if len(quarterly):
                tables["dimensions_by_quarter"] = quarterly
                assoc_all = dims["associations"] if dims["associations"].notna().any() else None
                by_period = dim.index_by_period(quarterly, weights, assoc_all, min_n=max(min_n // 4, 1))
                if len(by_period):
                    tables["index_by_period"] = by_period
            if premium_cny:
                both = pd.DataFrame({"index": idx, "brand_premium_cny": pd.Series(premium_cny)}).dropna()
                if len(both) >= 3:
                    tables["index_vs_price_premium"] = pd.DataFrame([{
                        "brands": len(both), "spearman": both["index"].rank().corr(both["brand_premium_cny"].rank()),
                        "pearson": both["index"].corr(both["brand_premium_cny"])}])

        figures = {b: {k: v for k, v in d.items()} for b, d in sorted(per.items())}
        shown = drop_uncomputable(tables, {k: v for k, v in unmet.items() if k in tables})
        return Section(name=self.name, title=self.title, title_zh=self.title_zh, figures=figures, tables=shown,
                       findings=findings(figures, shown, config), warnings=warnings,
                       not_computed=unmet)


def findings(figures: dict[str, dict[str, Any]], tables: dict[str, pd.DataFrame], config: Config) -> list[Finding]:
    """The findings, as templates whose slots cite the figures behind them (dimensions as codes the report labels)."""
    out: list[Finding] = []
    focal = config.focal_brand
    f = figures.get(focal, {})
    if f.get("loyalty") is not None:
        rivals = sorted(((b, v["loyalty"]) for b, v in figures.items() if b != focal and v.get("loyalty") is not None),
                        key=lambda x: -x[1])
        top = rivals[0] if rivals else None
        s = Slots()
        lv = s("level", CI_LEVEL, "level")
        fb, loy = s("brand", focal, "brand"), s("loyalty", f["loyalty"], "pct", f"equity.{focal}.loyalty")
        lo, hi = s("loyalty_low", f["loyalty_ci"][0], "pct"), s("loyalty_high", f["loyalty_ci"][1], "pct")
        tb, tl = (s("rival", top[0], "brand"), s("rival_loyalty", top[1], "pct", f"equity.{top[0]}.loyalty")) \
            if top else ("", "")
        out.append(Finding.of("equity.loyalty", s.template(
            f"{loy} of {fb} owners bought {fb} again at their next phone ({lv} interval {lo}–{hi})"
            + (f"; {tb} kept {tl}." if top else "."),
            f"{fb} 用户换机时再次选择 {fb} 的比例为 {loy}（{lv} 区间 {lo}–{hi}）"
            + (f"；{tb} 为 {tl}。" if top else "。"))))
    if f.get("excess_loyalty") is not None:
        e = f["excess_loyalty"]
        word, zh_word = ("above", "高于") if e > 0 else ("below", "低于")
        s = Slots()
        s("excess_loyalty", e, "pp", f"equity.{focal}.excess_loyalty")
        fb, pts = s("brand", focal, "brand"), s("points", round(abs(e) * 100), "count")
        out.append(Finding.of("equity.excess_loyalty", s.template(
            f"Against the Dirichlet benchmark for a brand of its share, {fb}'s loyalty is {pts} percentage points "
            f"{word} what its size alone predicts.",
            f"按 Dirichlet 基准，{fb} 的忠诚度{zh_word}同等份额品牌的预期 {pts} 个百分点。")))
    rivals = [b for b in ("Apple", "Huawei") if figures.get(b, {}).get("awareness") is not None]
    if f.get("awareness") is not None and rivals:
        s = Slots()
        lv = s("level", CI_LEVEL, "level")
        fb, aw = s("brand", focal, "brand"), s("awareness", f["awareness"], "pct", f"equity.{focal}.awareness")
        lo, hi = s("awareness_low", f["awareness_ci"][0], "pct"), s("awareness_high", f["awareness_ci"][1], "pct")
        vs = [(s(f"rival{i}", b, "brand"), s(f"rival_awareness{i}", figures[b]["awareness"], "pct",
                                              f"equity.{b}.awareness")) for i, b in enumerate(rivals)]
        out.append(Finding.of("equity.awareness", s.template(
            f"{fb} holds {aw} of brand reach (mean share of mentions, views, searches and content views; {lv} interval "
            f"{lo}–{hi}) against {', '.join(f'{b} {v}' for b, v in vs)}.",
            f"{fb} 占品牌触达的 {aw}（提及、浏览、搜索与内容观看份额的均值；{lv} 区间 {lo}–{hi}），对比 "
            f"{'、'.join(f'{b} {v}' for b, v in vs)}。")))
    sub = tables.get("sub_brand_flows")
    if sub is not None and len(sub):
        r = sub.iloc[0]
        s = Slots()
        fb, sb = s("brand", r.focal, "brand"), s("sub_brand", r.sub_brand, "brand")
        s("net", int(r.net_to_focal), "count", "sub_brand_flows.net_to_focal")
        out_n, in_n = s("to_sub", int(r.focal_to_sub), "count"), s("to_focal", int(r.sub_to_focal), "count")
        kept = s("group_retention", r.group_retention, "pct")
        out.append(Finding.of("equity.sub_brand_flows", s.template(
            f"Between {fb} and {sb}: {out_n} owners moved {fb}→{sb} and {in_n} moved {sb}→{fb}; {kept} of the "
            "group's owners stayed inside the group.",
            f"{fb} 与 {sb} 之间：{out_n} 人从 {fb} 换到 {sb}，{in_n} 人反向流动；集团内留存率 {kept}。")))
    model = tables.get("dirichlet_model")
    if model is not None and len(model) and np.isfinite(model["double_jeopardy_rank_corr"].iloc[0]):
        m = model.iloc[0]
        dj = float(m["double_jeopardy_rank_corr"])
        holds = dj > 0
        s = Slots()
        djs = s("rank_corr", dj, "number", "dirichlet_model.double_jeopardy_rank_corr")
        mm, kk, ss = s("M", float(m["M"]), "number"), s("K", float(m["K"]), "number"), s(
            "S", float(m["S"]), "number", "dirichlet_model.S")
        period = s("period", str(m["period"]), "text")
        period_zh = s("period_zh", str(m["period"]).replace(" to ", " 至 "), "text")
        out.append(Finding.of("equity.double_jeopardy", s.template(
            f"Double jeopardy {'holds' if holds else 'does not hold'} in the purchase panel ({period}): the rank "
            f"correlation across brands between penetration and buying rate is {djs}. Dirichlet fit: M = {mm}, "
            f"K = {kk}, S = {ss}.",
            f"购买面板（{period_zh}）中双重危机效应{'成立' if holds else '不成立'}：各品牌渗透率与购买频次的秩相关为 "
            f"{djs}。Dirichlet 拟合：M = {mm}，K = {kk}，S = {ss}。")))
    weights = tables.get("index_weights")
    ranked = sorted(((b, v["index"]) for b, v in figures.items() if v.get("index") is not None), key=lambda x: -x[1])
    if weights is not None and ranked and f.get("index") is not None:
        s = Slots()
        rank = [b for b, _ in ranked].index(focal) + 1
        used = weights[weights["available"]]
        w_parts = [f"{s(f'dimension{i}', r.dimension, 'code')} {s(f'weight{i}', float(r.weight), 'number')}"
                   for i, r in enumerate(used.itertuples())]
        sens = tables.get("index_sensitivity")
        ranks = sens[sens["brand"] == focal]["rank"] if sens is not None else pd.Series(dtype=float)
        fb, idx = s("brand", focal, "brand"), s("index", f["index"], "ratio", f"equity.{focal}.index")
        rk, n = s("rank", rank, "count"), s("brands", len(ranked), "count")
        other = ranked[1] if ranked[0][0] == focal else ranked[0]
        ob, ov = s("other", other[0], "brand"), s("other_index", other[1], "ratio", f"equity.{other[0]}.index")
        if len(ranks):
            rlo, rhi = s("rank_low", int(ranks.min()), "count"), s("rank_high", int(ranks.max()), "count")
            spread = f" (rank {rlo}–{rhi} across the sensitivity table)"
            spread_zh = f"（敏感性分析中名次 {rlo}–{rhi}）"
        else:
            spread = spread_zh = ""
        out.append(Finding.of("equity.index", s.template(
            f"On the equity index (weights: {', '.join(w_parts)}) {fb} ranks {rk} of {n}{spread} with {idx}; {ob} "
            f"{'follows' if rank == 1 else 'leads'} at {ov}.",
            f"品牌资产指数（权重：{'，'.join(w_parts)}）中 {fb} 排名第 {rk}/{n}{spread_zh}，得分 {idx}；{ob} "
            f"{'其次' if rank == 1 else '最高'}（{ov}）。")))
    rel = tables.get("index_vs_price_premium")
    if rel is not None and len(rel):
        r = rel.iloc[0]
        s = Slots()
        n, rho = s("brands", int(r.brands), "count"), s("spearman", float(r.spearman), "number+",
                                                        "index_vs_price_premium.spearman")
        out.append(Finding.of("equity.index_vs_premium", s.template(
            f"Across {n} brands the equity index and the demand model's brand premium have a rank correlation of "
            f"{rho}: reported, not assumed (a handful of brands, so weak evidence).",
            f"{n} 个品牌的品牌资产指数与需求模型估计的品牌溢价秩相关为 {rho}（仅为观察结果，品牌数少，证据有限）。")))
    if f.get("revenue_premium_trend") is not None:
        trend = f["revenue_premium_trend"]
        lo, hi = f["revenue_premium_trend_ci"]
        grow = ("growing" if lo is not None and lo > 0 else "shrinking" if hi is not None and hi < 0
                else "not clearly moving")
        zh = {"growing": "在增长", "shrinking": "在收窄", "not clearly moving": "没有明确趋势"}[grow]
        s = Slots()
        lv = s("level", CI_LEVEL, "level")
        fb, v = s("brand", focal, "brand"), s("trend", trend, "cny+", f"equity.{focal}.revenue_premium_trend")
        los, his = s("trend_low", lo, "cny+"), s("trend_high", hi, "cny+")
        out.append(Finding.of("equity.revenue_premium_trend", s.template(
            f"{fb}'s revenue premium over the benchmark brand's price is {grow}: {v} per period "
            f"({lv} interval {los} to {his}).",
            f"{fb} 相对基准品牌价格的收入溢价{zh}：每期 {v}（{lv} 区间 {los} 至 {his}）。")))
    return out
