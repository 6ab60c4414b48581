"""Promotion language per segment × city tier × channel (issue 19 item 2): the themes to lead with and to avoid,
each backed by the segment's importance (conjoint WTP for the attribute), the brand's measured strength (review
positives vs the premium rivals) and a real review quote, with example copy lines in Chinese built from the themes.

Rules. A theme is an aspect the conjoint prices (``camera``, ``chip`` → performance, ...). Lead: the segment's most
valued aspects where the brand is not behind. Avoid: a valued aspect where it is behind (a claim reviews contradict),
and the value-for-money theme for segments that pay a premium for the brand while the lock-in dilemma says the
brand is locked in 性价比 (it would feed the label). Tiers where premium listings convert in the top group get
flagship wording; the others add the subsidy as a purchase reason. Channels set the format of the copy line.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from upmarket.report.i18n import code, code_label, segment_label
from upmarket.strategy.belief import compare, enough, tiers
from upmarket.strategy.context import Context
from upmarket.strategy.finding import Cite, Finding, lookup

if TYPE_CHECKING:
    from upmarket.warehouse import Warehouse

log = logging.getLogger(__name__)

ASPECT_TERMS = {
    "camera": ("拍照", "影像", "相机", "镜头", "夜景", "照片"),
    "performance": ("性能", "流畅", "处理器", "芯片", "游戏", "运行"),
    "battery": ("续航", "电池", "充电", "耗电", "电量"),
    "screen": ("屏幕", "显示", "护眼", "刷新率"),
    "design": ("外观", "颜值", "手感", "设计", "做工", "轻薄"),
    "system": ("系统", "更新", "广告", "bug", "卡顿"),
    "price": ("价格", "性价比", "便宜", "划算", "优惠", "值"),
    "service": ("售后", "客服", "服务", "物流", "发货"),
}
"""Everyday words that name an aspect in a review, to find a quote (generic vocabulary, no model)."""

ATTRIBUTE_ALIASES = {"chip": "performance", "processor": "performance", "soc": "performance",
                     "battery_mah": "battery", "display": "screen"}

COPY_ZH = {
    "camera": "{brand}影像，随手一拍就是大片",
    "performance": "{brand}旗舰性能，多开重载依旧流畅",
    "battery": "{brand}长续航，一整天不找充电器",
    "screen": "{brand}好屏，每个细节都看得清",
    "design": "{brand}设计，握在手里的高级质感",
    "system": "{brand}系统，越用越顺手",
    "service": "{brand}服务，买得放心，用得安心",
    "price": "顶配享受不必多花钱，选{brand}更值得",
}
"""Example copy per theme, written for this package (one line each)."""

FORMAT_ZH = {"douyin": "短视频口播", "kuaishou": "短视频口播", "xiaohongshu": "种草笔记标题", "jd": "商品详情页主标题",
             "tmall": "商品详情页主标题", "pdd": "商品主图文案", "mistore": "官网首屏", "bilibili": "测评视频标题",
             "weibo": "话题文案", "offline": "门店海报"}


def _aspect(attr: str, figures: Mapping[str, Any]) -> str | None:
    """The review aspect a conjoint attribute stands for, when there is one."""
    if attr in ASPECT_TERMS:
        return attr
    opts = ((figures.get("config") or {}).get("analysis_options") or {}).get("demand", {}) or {}
    spec = (opts.get("conjoint_attributes") or {}).get(attr)
    char = spec if isinstance(spec, str) else (spec or {}).get("characteristic") if isinstance(spec, dict) else None
    if char in ASPECT_TERMS:
        return char
    return ATTRIBUTE_ALIASES.get(attr)


def importance(figures: Mapping[str, Any], seg: str) -> dict[str, tuple[str, float]]:
    """Per aspect: the segment's highest-valued level key (``camera=90``) and its WTP in CNY; levels whose
    interval reaches zero are not evidence that the segment values the aspect."""
    wtp = lookup(figures, f"segments.classes.{seg}.wtp_cny", {}) or {}
    ci = lookup(figures, f"segments.classes.{seg}.wtp_cny_ci", {}) or {}
    out: dict[str, tuple[str, float]] = {}
    for key, v in wtp.items():
        if "=" not in key or key.startswith("brand=") or v is None:
            continue
        if key in ci and ci[key] is not None and float(ci[key][0]) <= 0:  # not clearly valued: no theme
            continue
        aspect = _aspect(key.split("=")[0], figures)
        if aspect and (aspect not in out or v > out[aspect][1]):
            out[aspect] = (key, float(v))
    return out


def strength(figures: Mapping[str, Any], ctx: Context, aspect: str) -> int | None:
    """+1 ahead of every premium rival, -1 behind one, 0 level, None when reviews are too few to say."""
    voice = figures.get("voice") or {}
    riv = ctx.premium_rivals(voice)
    f = ctx.focal
    path = lambda b, k: f"voice.{b}.{k}.{aspect}"  # noqa: E731
    if lookup(figures, path(f, "aspects"), None) is None or not riv:
        return None
    if not all(enough(lookup(figures, path(b, "aspect_opinions"), 0), ctx.min_n) for b in [f, *riv]):
        return None
    signs = [compare(lookup(figures, path(f, "aspects")), lookup(figures, path(f, "aspects_ci"), None),
                     lookup(figures, path(b, "aspects"), -1.0), lookup(figures, path(b, "aspects_ci"), None))
             for b in riv]
    return 1 if all(s > 0 for s in signs) else -1 if any(s < 0 for s in signs) else 0


def quotes(warehouse: Warehouse | None, brand: str, sub_brands: list[str]) -> dict[str, dict[str, str]]:
    """Per aspect, one real praising (rating ≥ 4) and one critical (rating ≤ 2) review of the brand's phones."""
    if warehouse is None or not (warehouse.has_rows("reviews") and warehouse.has_rows("products")):
        return {}
    try:
        df = warehouse.con.execute(
            "WITH p AS (SELECT sku_id, any_value(brand) AS brand FROM products GROUP BY sku_id) "
            "SELECT r.text, r.rating FROM reviews r JOIN p USING (sku_id) "
            "WHERE p.brand = ? AND r.text IS NOT NULL AND length(r.text) BETWEEN 8 AND 60 "
            "ORDER BY r.review_id LIMIT 20000", [brand]).df()
    except Exception as exc:  # a reviews table without rating: quotes are optional, never a failure
        log.info("no review quotes: %s", exc)
        return {}
    out: dict[str, dict[str, str]] = {}
    mentions = {a: df["text"].str.contains("|".join(t), regex=True) for a, t in ASPECT_TERMS.items()}
    n_aspects = sum(m.astype(int) for m in mentions.values()) if mentions else 0
    df = df.assign(n_aspects=n_aspects)
    for aspect in ASPECT_TERMS:
        # a quote about this aspect alone where there is one (a review praising five things backs none of them)
        hit = df[mentions[aspect]].sort_values("n_aspects", kind="stable")
        rec = {}
        good, bad = hit[hit["rating"] >= 4], hit[hit["rating"] <= 2]
        if len(good):
            rec["praise"] = str(good["text"].iloc[0])
        if len(bad):
            rec["criticism"] = str(bad["text"].iloc[0])
        if rec:
            out[aspect] = rec
    return out


def _grid(figures: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """segment → tier → channels: the price plan's cells, else segments × the funnel's tiers × platforms."""
    plan = lookup(figures, "pricing_plan.price", None)
    if isinstance(plan, Mapping) and plan:
        return {s: {t: list(ch) for t, ch in ts.items()} for s, ts in plan.items()}
    segs = list(lookup(figures, "segments.classes", {}) or {})
    fun = figures.get("funnel") or {}
    plats = [p for p, d in fun.items() if isinstance(d, Mapping) and "visit_to_buy" in d] or ["all"]
    tiers_ = ["all", *list(lookup(figures, "funnel.by_city_tier", {}) or {})]
    return {s: dict.fromkeys(tiers_, plats) for s in segs}


def _where_en(tier: str, channel: str) -> str:
    """A cell's city tier and channel as an English reader reads them (the report's label catalogue)."""
    where = "all cities" if tier == "all" else code_label(tier, "en")
    return f"{where} × {'all channels' if channel == 'all' else code_label(channel, 'en')}"


def _where_zh(tier: str, channel: str) -> str:
    """A cell's city tier and channel in Chinese, from the report's label catalogue (一线 → 一线城市)."""
    return f"{code(tier, 'zh')}城市 × {'全渠道' if channel == 'all' else code(channel, 'zh')}"


def promotion_language(figures: Mapping[str, Any], ctx: Context, locked: bool,
                       warehouse: Warehouse | None = None) -> tuple[dict[str, Any], list[Finding], dict[str, str]]:
    """The per-cell language (strategy.promotion), one finding per segment, and suppression reasons."""
    grid = _grid(figures)
    if not grid:
        return {}, [], {"promotion.language": "no segments (segments.classes absent)"}
    f = ctx.focal
    qs = quotes(warehouse, f, ctx.subs)
    pc = lookup(figures, "funnel.premium_conversion_by_city_tier", {}) or {}
    ok = {t: d for t, d in pc.items() if isinstance(d, Mapping) and "premium" in d}
    top_tiers = set(tiers({t: d["premium"] for t, d in ok.items()}, {t: d.get("premium_ci") for t, d in ok.items()})[0]
                    ) if len(ok) > 1 else set(ok)
    pop_wtp = lookup(figures, f"segments.wtp_cny.brand={f}", None)
    subsidy = lookup(figures, "pricing.counterfactual.subsidy.limit_cny", None)
    cells: list[dict[str, Any]] = []
    findings: list[Finding] = []
    suppressed: dict[str, str] = {}
    for seg, tiers_ in grid.items():
        imp = importance(figures, seg)
        seg_wtp = lookup(figures, f"segments.classes.{seg}.wtp_cny.brand={f}", None)
        if not imp and (seg_wtp is None or seg_wtp > 0):
            suppressed[f"promotion.language.{seg}"] = (f"segments.classes.{seg}.wtp_cny: no reviewed aspect the "
                                                       f"segment clearly values (intervals reach zero)")
            continue
        ranked = sorted(imp, key=lambda a: -imp[a][1])
        strengths = {a: strength(figures, ctx, a) for a in ranked}
        lead = [a for a in ranked if imp[a][1] > 0 and strengths[a] != -1][:2]
        avoid = [{"theme": a, "reason": "behind a premium rival in reviews", "reason_zh": "口碑落后于高端竞品"}
                 for a in ranked if imp[a][1] > 0 and strengths[a] == -1]
        if locked and seg_wtp is not None and pop_wtp is not None and seg_wtp > pop_wtp:
            avoid.append({"theme": "price", "reason": "pays a premium for the brand; value framing feeds the "
                          "性价比 label", "reason_zh": "愿为品牌付溢价，性价比话术会强化标签"})
        elif seg_wtp is not None and seg_wtp <= 0 and "price" not in lead:
            lead.append("price")
        c = Cite(figures)
        bits, bits_zh = [], []
        fb, sg = c.label("brand", f, "brand"), c.label("segment", seg, "segment")
        for i, a in enumerate(lead):
            if a in imp:
                key = imp[a][0]
                worth = c.slot(f"worth{i}", f"segments.classes.{seg}.wtp_cny.{key}", "cny")
                pos = (c.slot(f"positive{i}", f"voice.{f}.aspects.{a}", "pct")
                       if c.maybe(f"voice.{f}.aspects.{a}") is not None else None)
                word = {1: "ahead of", 0: "level with", None: "unmeasured against"}[strengths[a]]
                word_zh = {1: "领先", 0: "持平", None: "未能比较"}[strengths[a]]
                asp = c.label(f"aspect{i}", a)
                bits.append(f"{asp} (worth {worth} to them; {fb} {word} the premium rivals"
                            + (f", {pos} positive)" if pos is not None else ")"))
                bits_zh.append(f"{asp}（该人群愿付{worth}；{fb}口碑{word_zh}高端竞品"
                               + (f"，正面率{pos}）" if pos is not None else "）"))
            else:
                w = c.slot("brand_wtp", f"segments.classes.{seg}.wtp_cny.brand={f}", "cny")
                bits.append(f"price (they pay {w} for {fb} over the reference brand)")
                bits_zh.append(f"价格（该人群对{fb}的品牌溢价仅{w}）")
        if seg_wtp is not None and any(x["theme"] == "price" for x in avoid):
            c(f"segments.classes.{seg}.wtp_cny.brand={f}")
        avoid_names = [c.label(f"avoid{i}", x["theme"]) for i, x in enumerate(avoid)]
        avoid_en = ("; avoid " + ", ".join(f"{n} ({x['reason']})" for n, x in zip(avoid_names, avoid, strict=True))
                    if avoid else "")
        avoid_zh = ("；避免" + "、".join(f"{n}（{x['reason_zh']}）" for n, x in zip(avoid_names, avoid, strict=True))
                    if avoid else "")
        if c.evidence:
            findings.append(Finding.of(
                f"promotion.language.{seg}", "4P", "promotion", c.template(
                    f"Promotion language for {sg}: lead with {'; '.join(bits)}{avoid_en}.",
                    f"{sg}人群的推广话术：主打{'；'.join(bits_zh)}{avoid_zh}。"), c.evidence, decision=True,
                extra={"segment": seg, "lead": lead, "avoid": [x["theme"] for x in avoid]}))
        for tier, chans in tiers_.items():
            flagship = tier in top_tiers or tier == "all"
            for ch in chans:
                lines = []
                for a in lead:
                    line = COPY_ZH[a].format(brand=f)
                    if not flagship and subsidy is not None:
                        line += "，国补到手更轻松"
                    lines.append(f"【{FORMAT_ZH.get(ch, '主文案')}】{line}")
                cells.append({
                    "segment": seg, "city_tier": tier, "channel": ch,
                    "lead": [{"theme": a, "theme_zh": code(a, "zh"),
                              "importance_cny": imp[a][1] if a in imp else None,
                              "strength": strengths.get(a), "quote": qs.get(a, {}).get("praise")} for a in lead],
                    "avoid": [{**x, "quote": qs.get(x["theme"], {}).get("criticism")} for x in avoid],
                    "wording": "flagship" if flagship else "flagship + subsidy",
                    "label_zh": f"{segment_label(seg, 'zh')} × {_where_zh(tier, ch)}",
                    "label": f"{seg} × {_where_en(tier, ch)}",
                    "copy_zh": lines})
    return {"cells": cells, "quotes": qs, "rules": __doc__.split("\n\n")[1]}, findings, suppressed
