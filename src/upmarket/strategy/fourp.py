"""4P findings: product, price, place, promotion. Each rule reads results.json through ``Cite`` (so it cites exactly
what it read) and returns findings, or raises ``Missing`` / ``Suppress`` with the reason it says nothing."""

from __future__ import annotations

from collections.abc import Callable

from upmarket.strategy.belief import compare, enough, has_width, tiers, trend_periods
from upmarket.strategy.context import Context, Suppress
from upmarket.strategy.finding import Cite, Finding, Missing, lookup


def product_aspects(c: Cite, ctx: Context) -> list[Finding]:
    """Aspects where the focal brand's reviews are clearly ahead of / behind every premium rival's."""
    voice = c.figures.get("voice")
    if not isinstance(voice, dict) or ctx.focal not in voice:
        raise Missing(f"voice.{ctx.focal}.aspects")
    riv = ctx.premium_rivals(voice)
    if not riv:
        raise Suppress("no configured rival has reviews")
    f = ctx.focal
    out: list[Finding] = []
    level: list[str] = []
    for a in lookup(c.figures, f"voice.{f}.aspects"):
        ns = {b: lookup(c.figures, f"voice.{b}.aspect_opinions.{a}", 0) for b in [f, *riv]}
        if not all(enough(n, ctx.min_n) for n in ns.values()):
            continue
        vals = {b: lookup(c.figures, f"voice.{b}.aspects.{a}") for b in [f, *riv]}
        cis = {b: lookup(c.figures, f"voice.{b}.aspects_ci.{a}", None) for b in [f, *riv]}
        signs = [compare(vals[f], cis[f], vals[b], cis[b]) for b in riv]
        if all(s == 0 for s in signs):
            level.append(a)
            continue
        kind = "strength" if all(s > 0 for s in signs) else "gap" if any(s < 0 for s in signs) else None
        if kind is None:
            level.append(a)
            continue
        sub = Cite(c.figures)
        for b in [f, *riv]:
            if cis[b] is not None:
                sub(f"voice.{b}.aspects_ci.{a}")
        share = {b: sub.slot(f"share{i}", f"voice.{b}.aspects.{a}", "pct") for i, b in enumerate([f, *riv])}
        n = {b: sub.slot(f"n{i}", f"voice.{b}.aspect_opinions.{a}", "count") for i, b in enumerate([f, *riv])}
        brand = {b: sub.label(f"brand{i}", b, "brand") for i, b in enumerate([f, *riv])}
        asp = sub.label("aspect", a)
        others = ", ".join(f"{brand[b]} {share[b]} (n={n[b]})" for b in riv)
        others_zh = "，".join(f"{brand[b]} {share[b]}（n={n[b]}）" for b in riv)
        fb = brand[f]
        if kind == "strength":
            tpl = sub.template(
                f"Product strength — {asp}: {share[f]} of {fb}'s {asp} opinions are positive (n={n[f]}), "
                f"clearly above {others}. Lead with it.",
                f"产品优势——{asp}：{fb}的{asp}评价中{share[f]}为正面（n={n[f]}），明显高于{others_zh}。应作为主打卖点。")
        else:
            tpl = sub.template(
                f"Product gap — {asp}: {share[f]} of {fb}'s {asp} opinions are positive (n={n[f]}) "
                f"against {others}. Fix it before claiming it.",
                f"产品短板——{asp}：{fb}的{asp}评价正面率{share[f]}（n={n[f]}），对比{others_zh}。先改进，再宣传。")
        out.append(Finding.of(f"product.{kind}.{a}", "4P", "product", tpl, sub.evidence,
                              n=int(ns[f]), decision=kind == "gap", extra={"kind": kind, "aspect": a}))
    if level:
        sub = Cite(c.figures)
        for a in level:
            sub(f"voice.{f}.aspects.{a}")
        asp = [sub.label(f"aspect{i}", a) for i, a in enumerate(level)]
        rb = [sub.label(f"rival{i}", b, "brand") for i, b in enumerate(riv)]
        out.append(Finding.of("product.level", "4P", "product", sub.template(
            f"Product — no clear lead or gap against {' and '.join(rb)} (intervals overlap, so no ranking): "
            f"{', '.join(asp)}.",
            f"产品——相对{'、'.join(rb)}无明显领先或落后（区间重叠，不作排名）：{'、'.join(asp)}。"),
            sub.evidence, extra={"kind": "level", "aspects": level}))
    if not out:
        raise Suppress(f"no aspect has at least {ctx.min_n} opinions for {f} and each of {', '.join(riv)}")
    return out


def product_review_value(c: Cite, ctx: Context) -> list[Finding]:
    """What a better review score is worth in CNY (demand's review WTP), aspects whose interval excludes zero."""
    if "pricing" in c.figures and lookup(c.figures, "pricing.review_wtp_cny", None) is None:
        raise Missing("pricing.review_wtp_cny", "demand priced no review aspect: [demand] review_aspects is off "
                                                "(the default), so what reviews are worth in CNY is unknown")
    wtp = lookup(c.figures, "pricing.review_wtp_cny")
    ci = lookup(c.figures, "pricing.review_wtp_cny_ci", {})
    out = []
    for a, v in sorted(wtp.items(), key=lambda kv: -abs(kv[1] or 0)):
        band = ci.get(a)
        if v is None or not has_width(band) or band[0] <= 0 <= band[1]:
            continue
        sub = Cite(c.figures)
        val = sub.slot("value", f"pricing.review_wtp_cny.{a}", "cny")
        lo, hi = sub(f"pricing.review_wtp_cny_ci.{a}")
        low, high = sub.slots("low", lo, "cny"), sub.slots("high", hi, "cny")
        asp = sub.label("aspect", a)
        out.append(Finding.of(f"product.review_value.{a}", "4P", "product", sub.template(
            f"Reviews are worth money: a full point of net {asp} sentiment adds {val} of willingness to pay "
            f"(interval {low} to {high}); a tenth of a point is worth a tenth of it.",
            f"口碑可以折算成钱：{asp}净口碑每提高一个单位，消费者愿多付{val}（区间{low}至{high}）。"),
            sub.evidence, decision=True, extra={"aspect": a}))
    if not out:
        raise Suppress("no aspect's review value has an interval that excludes zero")
    return out[:3]


def price_premium(c: Cite, ctx: Context) -> list[Finding]:
    """The focal brand's WTP premium over the reference brand vs the premium rivals' (demand, all consumers)."""
    f = ctx.focal
    prem = lookup(c.figures, "pricing.brand_premium_cny.all")
    riv = ctx.premium_rivals(prem)
    if f not in prem or not riv:
        raise Missing(f"pricing.brand_premium_cny.all.{f}")
    v = c(f"pricing.brand_premium_cny.all.{f}")
    vs = c.slot("premium", f"pricing.brand_premium_cny.all.{f}", "cny")
    vci = c.maybe(f"pricing.brand_premium_cny_ci.all.{f}")
    parts, parts_zh, signs = [], [], []
    for i, b in enumerate(riv):
        w = c(f"pricing.brand_premium_cny.all.{b}")
        ws = c.slot(f"rival_premium{i}", f"pricing.brand_premium_cny.all.{b}", "cny")
        rb = c.label(f"rival{i}", b, "brand")
        wci = c.maybe(f"pricing.brand_premium_cny_ci.all.{b}")
        s = compare(v, vci, w, wci)
        signs.append(s)
        word = {1: "above", -1: "below", 0: "level with"}[s]
        word_zh = {1: "高于", -1: "低于", 0: "持平于"}[s]
        parts.append(f"{word} {rb}'s {ws}")
        parts_zh.append(f"{word_zh}{rb}的{ws}")
    ref_brand = lookup(c.figures, "segments.reference_brand", None) or ctx.sub
    ref, ref_zh = (c.label("reference", ref_brand, "brand"),) * 2 if ref_brand else ("the reference brand", "参照品牌")
    fb = c.label("brand", f, "brand")
    return [Finding.of("price.premium", "4P", "price", c.template(
        f"Price — brand premium: buyers pay {vs} more for {fb} than for {ref} at equal specifications, "
        f"{', '.join(parts)}.",
        f"价格——品牌溢价：同等配置下，消费者为{fb}比{ref_zh}多付{vs}，{'，'.join(parts_zh)}。"),
        c.evidence, decision=any(s < 0 for s in signs))]


def price_elasticity(c: Cite, ctx: Context) -> list[Finding]:
    """Own-price elasticity of the focal brand vs rivals; more elastic means price cuts pay, premiums hurt."""
    f = ctx.focal
    el = lookup(c.figures, "pricing.price_elasticity.all")
    riv = ctx.premium_rivals(el)
    if f not in el or not riv:
        raise Missing(f"pricing.price_elasticity.all.{f}")
    v = c(f"pricing.price_elasticity.all.{f}")
    vs = c.slot("elasticity", f"pricing.price_elasticity.all.{f}", "elasticity")
    vci = c.maybe(f"pricing.price_elasticity_ci.all.{f}")
    parts, parts_zh = [], []
    for i, b in enumerate(riv):
        w = c(f"pricing.price_elasticity.all.{b}")
        ws, rb = c.slot(f"rival_elasticity{i}", f"pricing.price_elasticity.all.{b}", "elasticity"), c.label(
            f"rival{i}", b, "brand")
        s = compare(abs(v), sorted(abs(x) for x in vci) if vci else None, abs(w),
                    sorted(abs(x) for x in c.maybe(f"pricing.price_elasticity_ci.all.{b}") or []) or None)
        parts.append(f"{rb} {ws} ({ {1: 'less sensitive', -1: 'more sensitive', 0: 'level'}[s] })")
        parts_zh.append(f"{rb} {ws}（{ {1: '对价格更不敏感', -1: '对价格更敏感', 0: '持平'}[s] }）")
    segs = lookup(c.figures, "pricing.price_elasticity", {})
    seg_vals = {s: d[f] for s, d in segs.items() if s != "all" and isinstance(d, dict) and f in d}
    extra, extra_zh = "", ""
    if seg_vals:
        most = min(seg_vals, key=lambda s: seg_vals[s])
        least = max(seg_vals, key=lambda s: seg_vals[s])
        if most != least:
            lo = c.slot("most_elastic", f"pricing.price_elasticity.{most}.{f}", "elasticity")
            hi = c.slot("least_elastic", f"pricing.price_elasticity.{least}.{f}", "elasticity")
            sm, sl = c.label("most_segment", most, "segment"), c.label("least_segment", least, "segment")
            extra = f" By segment it runs from {lo} ({sm}) to {hi} ({sl}): price the latter higher."
            extra_zh = f"分人群从{lo}（{sm}）到{hi}（{sl}）：后者可定更高价。"
    fb = c.label("brand", f, "brand")
    return [Finding.of("price.elasticity", "4P", "price", c.template(
        f"Price — sensitivity: each percent added to {fb}'s price changes its units by {vs}% against "
        f"{', '.join(parts)}.{extra}",
        f"价格——敏感度：{fb}价格每上调百分之一，销量变化{vs}%；对比{'，'.join(parts_zh)}。{extra_zh}"),
        c.evidence, decision=bool(seg_vals))]


def price_subsidy(c: Cite, ctx: Context) -> list[Finding]:
    """国补 exposure: the demand counterfactual of the national subsidy (units, premium share)."""
    scen = lookup(c.figures, "pricing.counterfactual.scenarios")
    key = next((k for k in scen if "国补" in k and "held" in k), None) or next((k for k in scen if "国补" in k), None)
    if key is None:
        raise Missing("pricing.counterfactual.scenarios.<国补 scenario>")
    u = c.slot("units_change", f"pricing.counterfactual.scenarios.{key}.units_change", "pct")
    pp = c.maybe(f"pricing.counterfactual.scenarios.{key}.premium_share_change_pp")
    lim = c.maybe("pricing.counterfactual.subsidy.limit_cny")
    rate = c.maybe("pricing.counterfactual.subsidy.rate")
    cap = c.maybe("pricing.counterfactual.subsidy.cap_cny")
    rule = rule_zh = pp_en = pp_zh = cut = cut_zh = ""
    if None not in (rate, cap, lim):
        r, cp, lm = (c.slot("rate", "pricing.counterfactual.subsidy.rate", "pct"),
                     c.slot("cap", "pricing.counterfactual.subsidy.cap_cny", "cny"),
                     c.slot("limit", "pricing.counterfactual.subsidy.limit_cny", "cny"))
        rule = f" ({r} of the price, at most {cp}, only up to {lm})"
        rule_zh = f"（价格的{r}，最多{cp}，仅限{lm}及以下）"
    if pp is not None:
        pps = c.slot("premium_pp", f"pricing.counterfactual.scenarios.{key}.premium_share_change_pp", "number")
        pp_en, pp_zh = f" and moves the premium share by {pps} points", f"，高端份额变化{pps}个百分点"
    if lim is not None:
        lm = c.slot("limit", "pricing.counterfactual.subsidy.limit_cny", "cny")
        cut, cut_zh = f" Keep a configuration at or under {lm}.", f"保留一款{lm}及以下的配置。"
    return [Finding.of("price.subsidy", "4P", "price", c.template(
        f"Price — 国补 exposure: the national subsidy{rule}, prices held, changes market units by {u}{pp_en}.{cut}",
        f"价格——国补影响：国家补贴{rule_zh}在价格不变时使市场销量变化{u}{pp_zh}。{cut_zh}"),
        c.evidence, decision=lim is not None)]


def price_plan_bounds(c: Cite, ctx: Context) -> list[Finding]:
    """Which bound of the price plan's search binds, how often, and what the plan's differentiation is worth."""
    binding = lookup(c.figures, "pricing_plan.binding_share")
    n_cells = c("pricing_plan.cells")
    cells = c.slot("cells", "pricing_plan.cells", "count")
    out = []
    top = max(binding, key=lambda k: binding[k])
    share = c.slot("share", f"pricing_plan.binding_share.{top}", "pct")
    floor = c.maybe("pricing_plan.constraints.floor")
    floor_s = c.slot("floor", "pricing_plan.constraints.floor", "cny") if floor is not None else "?"
    if top == "interior":
        text = f"Price plan — {share} of the {cells} segment × tier × channel prices are interior optima."
        text_zh = f"定价方案——{cells}个人群×城市×渠道价格中{share}为内部最优解。"
    else:
        why = {"floor": f"the margin-maximising price is below the {floor_s} floor",
               "ladder": "the sub-brand's price plus the ladder gap is above the margin-maximising price",
               "subsidy_cap": "the subsidy stops above the cap, so demand drops there",
               "diversion_cap": "a higher price would send too many buyers to the sub-brand",
               "ceiling": "the search's ceiling",
               "channel_spread": "the channels' prices must stay within a band of each other"}.get(top, top)
        why_zh = {"floor": f"利润最大化价格低于{floor_s}的底价",
                  "ladder": "子品牌价格加价差高于利润最大化价格",
                  "subsidy_cap": "超过国补上限后需求下跌", "diversion_cap": "再涨价会让太多买家转向子品牌",
                  "ceiling": "搜索上限", "channel_spread": "各渠道价格须在同一价差带内"}.get(top, top)
        text = f"Price plan — {share} of the {cells} segment × tier × channel prices sit on the {top} bound: {why}."
        bound_zh = {"floor": "底价", "ladder": "子品牌价格阶梯", "subsidy_cap": "国补上限",
                    "diversion_cap": "子品牌分流上限", "ceiling": "搜索上限",
                    "channel_spread": "渠道价差"}.get(top, top)
        text_zh = f"定价方案——{cells}个价格中{share}卡在{bound_zh}约束上：{why_zh}。"
    if c.maybe("pricing_plan.differentiation_worth_per_1000") is not None:
        worth = c.slot("worth", "pricing_plan.differentiation_worth_per_1000", "cny")
        text += (f" Differentiating by segment, tier and channel is worth {worth} of margin per thousand "
                 f"shoppers over one uniform price.")
        text_zh += f"相比统一定价，分人群、城市和渠道定价每千名购物者多赚{worth}毛利。"
    out.append(Finding.of("price.plan", "4P", "price", c.template(text, text_zh), c.evidence, n=int(n_cells),
                          decision=True, extra={"binding": top}))
    return out


def _best_worst(best: list[str], worst: list[str], part: Callable[[int, str], tuple[str, ...]], en: str,
                zh: str) -> tuple[str, str, str, str]:
    """A ranking's top and bottom groups as lists to quote, (best, worst) in English then Chinese.

    ``part(i, key)`` cites one member's slots (called once per member, best first, so the evidence order is
    fixed); ``en``/``zh`` format them. Shared by the platform, city-tier and channel-ROI rankings."""
    parts = {k: part(i, k) for i, k in enumerate(best + worst)}

    def joined(keys: list[str], fmt: str, sep: str) -> str:
        return sep.join(fmt.format(*parts[k]) for k in keys)

    return joined(best, en, ", "), joined(worst, en, ", "), joined(best, zh, "、"), joined(worst, zh, "、")


def place_platforms(c: Cite, ctx: Context) -> list[Finding]:
    """Visit-to-buy by platform, grouped into level tiers; the n is the platform's visitors."""
    fun = lookup(c.figures, "funnel")
    plats = {p: d for p, d in fun.items() if isinstance(d, dict) and "visit_to_buy" in d
             and enough(d.get("visitors"), ctx.min_n)}
    if len(plats) < 2:
        raise Suppress(f"fewer than two platforms with visit-to-buy and at least {ctx.min_n} visitors")
    vals = {p: d["visit_to_buy"] for p, d in plats.items()}
    groups = tiers(vals, {p: d.get("visit_to_buy_ci") for p, d in plats.items()})
    best, worst = groups[0], groups[-1]
    if len(groups) == 1:
        for p in plats:
            c(f"funnel.{p}.visit_to_buy")
        names = [c.label(f"platform{i}", p) for i, p in enumerate(plats)]
        return [Finding.of("place.platforms", "4P", "place", c.template(
            f"Place — platforms convert level (visit-to-buy intervals overlap): {', '.join(names)}.",
            f"渠道——各平台转化率持平（区间重叠）：{'、'.join(names)}。"), c.evidence)]
    b_en, w_en, b_zh, w_zh = _best_worst(
        best, worst, lambda i, p: (c.label(f"platform{i}", p),
                                   c.slot(f"visit_to_buy{i}", f"funnel.{p}.visit_to_buy", "pct"),
                                   c.slot(f"visitors{i}", f"funnel.{p}.visitors", "count")),
        "{} {} (n={})", "{} {}（n={}）")
    return [Finding.of("place.platforms", "4P", "place", c.template(
        f"Place — visit-to-buy is highest on {b_en} and lowest on {w_en}: shift conversion budget "
        f"toward the former, fix the latter's product pages.",
        f"渠道——访客转化率最高：{b_zh}；最低：{w_zh}。转化预算向前者倾斜，优化后者的商品页。"),
        c.evidence, n=min(int(plats[p]["visitors"]) for p in best + worst), decision=True)]


def place_tiers(c: Cite, ctx: Context) -> list[Finding]:
    """Premium acceptance by city tier: visit-to-buy on premium listings vs the rest."""
    pc = lookup(c.figures, "funnel.premium_conversion_by_city_tier")
    ok = {t: d for t, d in pc.items() if isinstance(d, dict) and "premium" in d
          and enough(d.get("premium_visitors"), ctx.min_n)}
    if len(ok) < 2:
        raise Suppress(f"fewer than two city tiers with at least {ctx.min_n} premium visitors")
    vals = {t: d["premium"] for t, d in ok.items()}
    groups = tiers(vals, {t: d.get("premium_ci") for t, d in ok.items()})
    if len(groups) == 1:
        for t in ok:
            c(f"funnel.premium_conversion_by_city_tier.{t}.premium")
        return [Finding.of("place.tiers", "4P", "place", c.template(
            "Place — premium listings convert level across city tiers (intervals overlap).",
            "渠道——高端机型在各级城市的转化率持平（区间重叠）。"), c.evidence)]
    best, worst = groups[0], groups[-1]
    key = "funnel.premium_conversion_by_city_tier"
    b_en, w_en, b_zh, w_zh = _best_worst(
        best, worst, lambda i, t: (c.label(f"tier{i}", t), c.slot(f"premium{i}", f"{key}.{t}.premium", "pct"),
                                   c.slot(f"visitors{i}", f"{key}.{t}.premium_visitors", "count")),
        "{} {} (n={})", "{} {}（n={}）")
    return [Finding.of("place.tiers", "4P", "place", c.template(
        f"Place — premium listings convert best in {b_en} and worst in {w_en}: launch premium configurations "
        f"in the former first.",
        f"渠道——高端机型转化率最高：{b_zh}；最低：{w_zh}。高端配置先在前者投放。"),
        c.evidence, n=min(int(ok[t]["premium_visitors"]) for t in best + worst), decision=True)]


def place_paths(c: Cite, ctx: Context) -> list[Finding]:
    """种草 → 拔草 paths (content platform seen before the purchase platform), when the funnel reports them."""
    paths = lookup(c.figures, "funnel.paths")
    items = {k: v for k, v in paths.items() if isinstance(v, int | float)}
    if not items:
        raise Suppress("funnel.paths has no path shares")
    top = max(items, key=lambda k: items[k])
    v, path = c.slot("share", f"funnel.paths.{top}", "pct"), c.label("path", top, "text")
    return [Finding.of("place.paths", "4P", "place", c.template(
        f"Place — the most common 种草 → 拔草 path is {path} ({v}).", f"渠道——最常见的种草→拔草路径：{path}（{v}）。"))]


def promotion_roi(c: Cite, ctx: Context) -> list[Finding]:
    """Channel ROI from the marketing-mix model, grouped level where intervals overlap."""
    roi = lookup(c.figures, "mix.roi")
    unpinned = set(lookup(c.figures, "mix.unidentified", None) or [])  # the data do not pin their return
    roi = {k: v for k, v in roi.items() if isinstance(v, int | float) and k not in unpinned}
    if len(roi) < 2:
        raise Suppress("the mix model reports fewer than two channels whose return the data pin")
    groups = tiers(roi, lookup(c.figures, "mix.roi_ci", None))
    best, worst = groups[0], groups[-1]
    if len(groups) == 1:
        for k in roi:
            c(f"mix.roi.{k}")
        names = [c.label(f"channel{i}", k) for i, k in enumerate(roi)]
        return [Finding.of("promotion.roi", "4P", "promotion", c.template(
            f"Promotion — channel returns are level (intervals overlap): {', '.join(names)}.",
            f"推广——各渠道回报持平（区间重叠）：{'、'.join(names)}。"), c.evidence)]
    for k in best + worst:
        c.maybe(f"mix.roi_ci.{k}")
    b_en, w_en, b_zh, w_zh = _best_worst(
        best, worst, lambda i, k: (c.label(f"channel{i}", k), c.slot(f"roi{i}", f"mix.roi.{k}", "ratio")),
        "{} ({} CNY)", "{}（{}元）")
    return [Finding.of("promotion.roi", "4P", "promotion", c.template(
        f"Promotion — each CNY returns most on {b_en} and least on {w_en}: move budget from the latter.",
        f"推广——每投入一元回报最高：{b_zh}；最低：{w_zh}。预算从后者挪向前者。"), c.evidence, decision=True)]


def promotion_spread(c: Cite, ctx: Context) -> list[Finding]:
    """Content that spreads: the posts with the largest cascades and how viral (tree-like) they are."""
    sp = lookup(c.figures, "spread")
    posts = {k: v for k, v in sp.items() if isinstance(v, dict) and "size" in v}
    big = {k: v for k, v in posts.items() if enough(v.get("size"), ctx.min_n)}
    if not big:
        raise Suppress(f"no post's cascade reaches {ctx.min_n} shares")
    top = sorted(big, key=lambda k: -big[k]["size"])[:3]
    en, cn = [], []
    for i, k in enumerate(top):
        post = c.label(f"post{i}", k, "text")
        size, depth = c.slot(f"size{i}", f"spread.{k}.size", "count"), c.slot(f"depth{i}", f"spread.{k}.depth", "count")
        vir = (c.slot(f"virality{i}", f"spread.{k}.structural_virality", "number")
               if "structural_virality" in big[k] else None)
        en.append(f"{post}: {size} people, {depth} hops deep" + (f", virality {vir}" if vir else ""))
        cn.append(f"{post}：{size}人，传播{depth}层" + (f"，结构病毒性{vir}" if vir else ""))
    return [Finding.of("promotion.spread", "4P", "promotion", c.template(
        f"Promotion — content that spreads: {'; '.join(en)}. Brief creators on what these posts did.",
        f"推广——传播最广的内容：{'；'.join(cn)}。以这些内容为样板给达人下简报。"), c.evidence,
        n=int(big[top[0]]["size"]))]


def promotion_creators(c: Cite, ctx: Context) -> list[Finding]:
    """Creator returns (GMV per post or per CNY), when the spread analysis reports them."""
    cr = lookup(c.figures, "creators")
    vals = {k: v.get("gmv_per_post") for k, v in cr.items() if isinstance(v, dict) and v.get("gmv_per_post")}
    if not vals:
        raise Suppress("creators has no gmv_per_post")
    top = max(vals, key=lambda k: vals[k])
    v, who = c.slot("gmv", f"creators.{top}.gmv_per_post", "cny"), c.label("creator", top, "text")
    return [Finding.of("promotion.creators", "4P", "promotion", c.template(
        f"Promotion — the best-returning creator {who} brings {v} of GMV per post.",
        f"推广——回报最高的达人{who}每条内容带来{v}成交额。"))]


def market_premium_trend(c: Cite, ctx: Context) -> list[Finding]:
    """The premium band's share over a span that is a trend (belief rule: one month is not a trend)."""
    ps = lookup(c.figures, "market.premium_share")
    use = trend_periods(list(ps))
    if use is None:
        raise Suppress("market.premium_share covers too short a span for a trend")
    first, last = use[0], use[-1]
    a, b = c(f"market.premium_share.{first}"), c(f"market.premium_share.{last}")
    sa, sb = c.slot("first_share", f"market.premium_share.{first}", "pct"), c.slot(
        "last_share", f"market.premium_share.{last}", "pct")
    pa, pb = c.label("first", first, "text"), c.label("last", last, "text")
    word = "grew" if b > a else "fell" if b < a else "held"
    word_zh = "上升" if b > a else "下降" if b < a else "持平"
    return [Finding.of("price.premium_market", "4P", "price", c.template(
        f"Price — the premium band {word} from {sa} of units in {pa} to {sb} in {pb}.",
        f"价格——高端价位段销量占比从{pa}的{sa}{word_zh}至{pb}的{sb}。"))]


def price_plan_differences(c: Cite, ctx: Context) -> list[Finding]:
    """How the plan's list prices differ by segment (tiers pooled) and what each segment's price earns over the
    uniform price, per 1,000 shoppers of the segment."""
    lp = lookup(c.figures, "pricing_plan.list_price")
    worth = lookup(c.figures, "pricing_plan.worth_vs_uniform_per_1000")
    u = c.slot("uniform", "pricing_plan.uniform_price", "cny")
    segs = [s for s in lp if "all" in lp[s] and "all" in (worth.get(s) or {})]
    if not segs:
        raise Suppress("no segment has a pooled-tier price and its worth over the uniform price")
    segs.sort(key=lambda s: -lp[s]["all"])
    en, cn = [], []
    for i, s in enumerate(segs):
        seg = c.label(f"segment{i}", s, "segment")
        p = c.slot(f"price{i}", f"pricing_plan.list_price.{s}.all", "cny")
        w = c.slot(f"worth{i}", f"pricing_plan.worth_vs_uniform_per_1000.{s}.all", "cny+")
        en.append(f"{seg} {p} ({w} margin)")
        cn.append(f"{seg} {p}（多赚{w}）")
    return [Finding.of("price.plan_differences", "4P", "price", c.template(
        f"Price plan — list prices by segment against one uniform price of {u}, with the margin "
        f"each earns over it per thousand of its shoppers: {'; '.join(en)}.",
        f"定价方案——各人群标价（对比统一价{u}）及每千名该人群购物者相对统一价多赚的毛利：{'；'.join(cn)}。"),
        c.evidence, decision=True)]


RULES = [
    ("product.aspects", product_aspects), ("product.review_value", product_review_value),
    ("price.premium", price_premium), ("price.elasticity", price_elasticity), ("price.subsidy", price_subsidy),
    ("price.premium_market", market_premium_trend), ("price.plan", price_plan_bounds),
    ("price.plan_differences", price_plan_differences),
    ("place.platforms", place_platforms), ("place.tiers", place_tiers), ("place.paths", place_paths),
    ("promotion.roi", promotion_roi), ("promotion.spread", promotion_spread),
    ("promotion.creators", promotion_creators),
]
