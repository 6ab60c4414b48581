"""4P findings: product, price, place, promotion. Each rule reads results.json through ``Cite`` (so it cites exactly
what it read) and returns findings, or raises ``Missing`` / ``Suppress`` with the reason it says nothing."""

from __future__ import annotations

from upmarket.strategy.belief import compare, enough, has_width, tiers, trend_periods
from upmarket.strategy.context import Context, Suppress
from upmarket.strategy.finding import Cite, Finding, Missing, cny, integer, lookup, num, pct
from upmarket.strategy.labels import ASPECT_ZH, CHANNEL_ZH, PLATFORM_ZH, TIER_ZH, tier_en, zh


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
            sub(f"voice.{b}.aspects.{a}")
            sub(f"voice.{b}.aspect_opinions.{a}")
            if cis[b] is not None:
                sub(f"voice.{b}.aspects_ci.{a}")
        others = ", ".join(f"{b} {pct(vals[b])} (n={integer(ns[b])})" for b in riv)
        others_zh = "，".join(f"{b} {pct(vals[b])}（n={integer(ns[b])}）" for b in riv)
        az = zh(ASPECT_ZH, a)
        if kind == "strength":
            text = (f"Product strength — {a}: {pct(vals[f])} of {f}'s {a} opinions are positive (n={integer(ns[f])}), "
                    f"clearly above {others}. Lead with it.")
            text_zh = (f"产品优势——{az}：{f}的{az}评价中{pct(vals[f])}为正面（n={integer(ns[f])}），"
                       f"明显高于{others_zh}。"
                       f"应作为主打卖点。")
        else:
            text = (f"Product gap — {a}: {pct(vals[f])} of {f}'s {a} opinions are positive (n={integer(ns[f])}) "
                    f"against {others}. Fix it before claiming it.")
            text_zh = (f"产品短板——{az}：{f}的{az}评价正面率{pct(vals[f])}（n={integer(ns[f])}），对比{others_zh}。"
                       f"先改进，再宣传。")
        out.append(Finding(f"product.{kind}.{a}", "4P", "product", text, text_zh, sub.evidence,
                           n=int(ns[f]), decision=kind == "gap", extra={"kind": kind, "aspect": a}))
    if level:
        sub = Cite(c.figures)
        for a in level:
            sub(f"voice.{f}.aspects.{a}")
        names, names_zh = ", ".join(level), "、".join(zh(ASPECT_ZH, a) for a in level)
        out.append(Finding("product.level", "4P", "product",
                           f"Product — no clear lead or gap against {' and '.join(riv)} (intervals overlap, so no "
                           f"ranking): {names}.",
                           f"产品——相对{'、'.join(riv)}无明显领先或落后（区间重叠，不作排名）：{names_zh}。",
                           sub.evidence,
                           extra={"kind": "level", "aspects": level}))
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
        sub(f"pricing.review_wtp_cny.{a}")
        lo, hi = sub(f"pricing.review_wtp_cny_ci.{a}")
        az = zh(ASPECT_ZH, a)
        out.append(Finding(
            f"product.review_value.{a}", "4P", "product",
            f"Reviews are worth money: a full point of net {a} sentiment adds {cny(v)} CNY of willingness to pay "
            f"(interval {cny(lo)} to {cny(hi)}); a tenth of a point is worth a tenth of it.",
            f"口碑可以折算成钱：{az}净口碑每提高一个单位，消费者愿多付{cny(v)}元（区间{cny(lo)}至{cny(hi)}元）。",
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
    vci = c.maybe(f"pricing.brand_premium_cny_ci.all.{f}")
    parts, parts_zh, signs = [], [], []
    for b in riv:
        w = c(f"pricing.brand_premium_cny.all.{b}")
        wci = c.maybe(f"pricing.brand_premium_cny_ci.all.{b}")
        s = compare(v, vci, w, wci)
        signs.append(s)
        word = {1: "above", -1: "below", 0: "level with"}[s]
        word_zh = {1: "高于", -1: "低于", 0: "持平于"}[s]
        parts.append(f"{word} {b}'s {cny(w)}")
        parts_zh.append(f"{word_zh}{b}的{cny(w)}元")
    ref = lookup(c.figures, "segments.reference_brand", None) or (ctx.sub or "the reference brand")
    return [Finding("price.premium", "4P", "price",
                    f"Price — brand premium: buyers pay {cny(v)} CNY more for {f} than for {ref} at equal "
                    f"specifications, {', '.join(parts)}.",
                    f"价格——品牌溢价：同等配置下，消费者为{f}比{ref}多付{cny(v)}元，{'，'.join(parts_zh)}。",
                    c.evidence, decision=any(s < 0 for s in signs))]


def price_elasticity(c: Cite, ctx: Context) -> list[Finding]:
    """Own-price elasticity of the focal brand vs rivals; more elastic means price cuts pay, premiums hurt."""
    f = ctx.focal
    el = lookup(c.figures, "pricing.price_elasticity.all")
    riv = ctx.premium_rivals(el)
    if f not in el or not riv:
        raise Missing(f"pricing.price_elasticity.all.{f}")
    v = c(f"pricing.price_elasticity.all.{f}")
    vci = c.maybe(f"pricing.price_elasticity_ci.all.{f}")
    parts, parts_zh = [], []
    for b in riv:
        w = c(f"pricing.price_elasticity.all.{b}")
        s = compare(abs(v), sorted(abs(x) for x in vci) if vci else None, abs(w),
                    sorted(abs(x) for x in c.maybe(f"pricing.price_elasticity_ci.all.{b}") or []) or None)
        parts.append(f"{b} {num(w)} ({ {1: 'less sensitive', -1: 'more sensitive', 0: 'level'}[s] })")
        parts_zh.append(f"{b} {num(w)}（{ {1: '对价格更不敏感', -1: '对价格更敏感', 0: '持平'}[s] }）")
    segs = lookup(c.figures, "pricing.price_elasticity", {})
    seg_vals = {s: d[f] for s, d in segs.items() if s != "all" and isinstance(d, dict) and f in d}
    extra, extra_zh = "", ""
    if seg_vals:
        most = min(seg_vals, key=lambda s: seg_vals[s])
        least = max(seg_vals, key=lambda s: seg_vals[s])
        if most != least:
            c(f"pricing.price_elasticity.{most}.{f}")
            c(f"pricing.price_elasticity.{least}.{f}")
            extra = (f" By segment it runs from {num(seg_vals[most])} ({most}) to {num(seg_vals[least])} ({least}): "
                     f"price the latter higher.")
            extra_zh = f"分人群从{num(seg_vals[most])}（{most}）到{num(seg_vals[least])}（{least}）：后者可定更高价。"
    return [Finding("price.elasticity", "4P", "price",
                    f"Price — sensitivity: each percent added to {f}'s price changes its units by {num(v)}% against "
                    f"{', '.join(parts)}.{extra}",
                    f"价格——敏感度：{f}价格每上调百分之一，销量变化{num(v)}%；对比{'，'.join(parts_zh)}。{extra_zh}",
                    c.evidence, decision=bool(seg_vals))]


def price_subsidy(c: Cite, ctx: Context) -> list[Finding]:
    """国补 exposure: the demand counterfactual of the national subsidy (units, premium share)."""
    scen = lookup(c.figures, "pricing.counterfactual.scenarios")
    key = next((k for k in scen if "国补" in k and "held" in k), None) or next((k for k in scen if "国补" in k), None)
    if key is None:
        raise Missing("pricing.counterfactual.scenarios.<国补 scenario>")
    u = c(f"pricing.counterfactual.scenarios.{key}.units_change")
    pp = c.maybe(f"pricing.counterfactual.scenarios.{key}.premium_share_change_pp")
    lim = c.maybe("pricing.counterfactual.subsidy.limit_cny")
    rate = c.maybe("pricing.counterfactual.subsidy.rate")
    cap = c.maybe("pricing.counterfactual.subsidy.cap_cny")
    rule = (f" ({pct(rate)} of the price, at most {cny(cap)} CNY, only up to {cny(lim)} CNY)"
            if None not in (rate, cap, lim) else "")
    rule_zh = f"（价格的{pct(rate)}，最多{cny(cap)}元，仅限{cny(lim)}元及以下）" if None not in (rate, cap, lim) else ""
    pp_en = f" and moves the premium share by {num(pp, 1)} points" if pp is not None else ""
    pp_zh = f"，高端份额变化{num(pp, 1)}个百分点" if pp is not None else ""
    cut = f" Keep a configuration at or under {cny(lim)} CNY." if lim is not None else ""
    cut_zh = f"保留一款{cny(lim)}元及以下的配置。" if lim is not None else ""
    return [Finding("price.subsidy", "4P", "price",
                    f"Price — 国补 exposure: the national subsidy{rule}, prices held, changes market units by "
                    f"{pct(u)}{pp_en}.{cut}",
                    f"价格——国补影响：国家补贴{rule_zh}在价格不变时使市场销量变化{pct(u)}{pp_zh}。{cut_zh}",
                    c.evidence, decision=lim is not None)]


def price_plan_bounds(c: Cite, ctx: Context) -> list[Finding]:
    """Which bound of the price plan's search binds, how often, and what the plan's differentiation is worth."""
    binding = lookup(c.figures, "pricing_plan.binding_share")
    n_cells = c("pricing_plan.cells")
    out = []
    top = max(binding, key=lambda k: binding[k])
    share = c(f"pricing_plan.binding_share.{top}")
    floor = c.maybe("pricing_plan.constraints.floor")
    if top == "interior":
        text = (f"Price plan — {pct(share)} of the {integer(n_cells)} segment × tier × channel prices are interior "
                f"optima.")
        text_zh = f"定价方案——{integer(n_cells)}个人群×城市×渠道价格中{pct(share)}为内部最优解。"
    else:
        why = {"floor": f"the margin-maximising price is below the {cny(floor or 0)} CNY floor",
               "ladder": "the sub-brand's price plus the ladder gap is above the margin-maximising price",
               "subsidy_cap": "the subsidy stops above the cap, so demand drops there",
               "diversion_cap": "a higher price would send too many buyers to the sub-brand",
               "ceiling": "the search's ceiling",
               "channel_spread": "the channels' prices must stay within a band of each other"}.get(top, top)
        why_zh = {"floor": f"利润最大化价格低于{cny(floor or 0)}元的底价",
                  "ladder": "子品牌价格加价差高于利润最大化价格",
                  "subsidy_cap": "超过国补上限后需求下跌", "diversion_cap": "再涨价会让太多买家转向子品牌",
                  "ceiling": "搜索上限", "channel_spread": "各渠道价格须在同一价差带内"}.get(top, top)
        text = (f"Price plan — {pct(share)} of the {integer(n_cells)} segment × tier × channel prices sit on the "
                f"{top} bound: {why}.")
        bound_zh = {"floor": "底价", "ladder": "子品牌价格阶梯", "subsidy_cap": "国补上限",
                    "diversion_cap": "子品牌分流上限", "ceiling": "搜索上限",
                    "channel_spread": "渠道价差"}.get(top, top)
        text_zh = f"定价方案——{integer(n_cells)}个价格中{pct(share)}卡在{bound_zh}约束上：{why_zh}。"
    worth = c.maybe("pricing_plan.differentiation_worth_per_1000")
    if worth is not None:
        text += (f" Differentiating by segment, tier and channel is worth {cny(worth)} CNY of margin per thousand "
                 f"shoppers over one uniform price.")
        text_zh += f"相比统一定价，分人群、城市和渠道定价每千名购物者多赚{cny(worth)}元毛利。"
    out.append(Finding("price.plan", "4P", "price", text, text_zh, c.evidence, n=int(n_cells), decision=True,
                       extra={"binding": top}))
    return out


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
        return [Finding("place.platforms", "4P", "place",
                        f"Place — platforms convert level (visit-to-buy intervals overlap): {', '.join(plats)}.",
                        f"渠道——各平台转化率持平（区间重叠）：{'、'.join(zh(PLATFORM_ZH, p) for p in plats)}。",
                        c.evidence)]
    for p in best + worst:
        c(f"funnel.{p}.visit_to_buy")
        c(f"funnel.{p}.visitors")
    b_en = ", ".join(f"{p} {pct(vals[p], 1)} (n={integer(plats[p]['visitors'])})" for p in best)
    w_en = ", ".join(f"{p} {pct(vals[p], 1)} (n={integer(plats[p]['visitors'])})" for p in worst)
    b_zh = "、".join(f"{zh(PLATFORM_ZH, p)} {pct(vals[p], 1)}（n={integer(plats[p]['visitors'])}）" for p in best)
    w_zh = "、".join(f"{zh(PLATFORM_ZH, p)} {pct(vals[p], 1)}（n={integer(plats[p]['visitors'])}）" for p in worst)
    return [Finding("place.platforms", "4P", "place",
                    f"Place — visit-to-buy is highest on {b_en} and lowest on {w_en}: shift conversion budget "
                    f"toward the former, fix the latter's product pages.",
                    f"渠道——访客转化率最高：{b_zh}；最低：{w_zh}。转化预算向前者倾斜，优化后者的商品页。",
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
        return [Finding("place.tiers", "4P", "place",
                        "Place — premium listings convert level across city tiers (intervals overlap).",
                        "渠道——高端机型在各级城市的转化率持平（区间重叠）。", c.evidence)]
    best, worst = groups[0], groups[-1]
    for t in best + worst:
        c(f"funnel.premium_conversion_by_city_tier.{t}.premium")
        c(f"funnel.premium_conversion_by_city_tier.{t}.premium_visitors")
    fmt = lambda t: f"{tier_en(t)} {pct(vals[t], 1)} (n={integer(ok[t]['premium_visitors'])})"  # noqa: E731
    fmt_zh = lambda t: f"{zh(TIER_ZH, t)} {pct(vals[t], 1)}（n={integer(ok[t]['premium_visitors'])}）"  # noqa: E731
    return [Finding("place.tiers", "4P", "place",
                    f"Place — premium listings convert best in {', '.join(fmt(t) for t in best)} and worst in "
                    f"{', '.join(fmt(t) for t in worst)}: launch premium configurations in the former first.",
                    f"渠道——高端机型转化率最高：{'、'.join(fmt_zh(t) for t in best)}；最低："
                    f"{'、'.join(fmt_zh(t) for t in worst)}。高端配置先在前者投放。",
                    c.evidence, n=min(int(ok[t]["premium_visitors"]) for t in best + worst), decision=True)]


def place_paths(c: Cite, ctx: Context) -> list[Finding]:
    """种草 → 拔草 paths (content platform seen before the purchase platform), when the funnel reports them."""
    paths = lookup(c.figures, "funnel.paths")
    items = {k: v for k, v in paths.items() if isinstance(v, int | float)}
    if not items:
        raise Suppress("funnel.paths has no path shares")
    top = max(items, key=lambda k: items[k])
    v = c(f"funnel.paths.{top}")
    return [Finding("place.paths", "4P", "place", f"Place — the most common 种草 → 拔草 path is {top} ({pct(v)}).",
                    f"渠道——最常见的种草→拔草路径：{top}（{pct(v)}）。", c.evidence)]


def promotion_roi(c: Cite, ctx: Context) -> list[Finding]:
    """Channel ROI from the marketing-mix model, grouped level where intervals overlap."""
    roi = lookup(c.figures, "mix.roi")
    roi = {k: v for k, v in roi.items() if isinstance(v, int | float)}
    if len(roi) < 2:
        raise Suppress("the mix model reports fewer than two channels")
    groups = tiers(roi, lookup(c.figures, "mix.roi_ci", None))
    best, worst = groups[0], groups[-1]
    if len(groups) == 1:
        for k in roi:
            c(f"mix.roi.{k}")
        return [Finding("promotion.roi", "4P", "promotion",
                        f"Promotion — channel returns are level (intervals overlap): {', '.join(roi)}.",
                        f"推广——各渠道回报持平（区间重叠）：{'、'.join(zh(CHANNEL_ZH, k) for k in roi)}。", c.evidence)]
    for k in best + worst:
        c(f"mix.roi.{k}")
        c.maybe(f"mix.roi_ci.{k}")
    return [Finding("promotion.roi", "4P", "promotion",
                    f"Promotion — each CNY returns most on {', '.join(f'{k} ({num(roi[k])} CNY)' for k in best)} and "
                    f"least on {', '.join(f'{k} ({num(roi[k])} CNY)' for k in worst)}: move budget from the latter.",
                    f"推广——每投入一元回报最高：{'、'.join(f'{zh(CHANNEL_ZH, k)}（{num(roi[k])}元）' for k in best)}；"
                    f"最低：{'、'.join(f'{zh(CHANNEL_ZH, k)}（{num(roi[k])}元）' for k in worst)}。"
                    f"预算从后者挪向前者。",
                    c.evidence, decision=True)]


def promotion_spread(c: Cite, ctx: Context) -> list[Finding]:
    """Content that spreads: the posts with the largest cascades and how viral (tree-like) they are."""
    sp = lookup(c.figures, "spread")
    posts = {k: v for k, v in sp.items() if isinstance(v, dict) and "size" in v}
    big = {k: v for k, v in posts.items() if enough(v.get("size"), ctx.min_n)}
    if not big:
        raise Suppress(f"no post's cascade reaches {ctx.min_n} shares")
    top = sorted(big, key=lambda k: -big[k]["size"])[:3]
    for k in top:
        c(f"spread.{k}.size")
        c(f"spread.{k}.depth")
        if "structural_virality" in big[k]:
            c(f"spread.{k}.structural_virality")
    en = "; ".join(f"{k}: {integer(big[k]['size'])} people, {integer(big[k]['depth'])} hops deep"
                   + (f", virality {num(big[k]['structural_virality'], 1)}" if "structural_virality" in big[k] else "")
                   for k in top)
    cn = "；".join(f"{k}：{integer(big[k]['size'])}人，传播{integer(big[k]['depth'])}层"
                   + (f"，结构病毒性{num(big[k]['structural_virality'], 1)}" if "structural_virality" in big[k] else "")
                   for k in top)
    return [Finding("promotion.spread", "4P", "promotion",
                    f"Promotion — content that spreads: {en}. Brief creators on what these posts did.",
                    f"推广——传播最广的内容：{cn}。以这些内容为样板给达人下简报。", c.evidence,
                    n=int(big[top[0]]["size"]))]


def promotion_creators(c: Cite, ctx: Context) -> list[Finding]:
    """Creator returns (GMV per post or per CNY), when the spread analysis reports them."""
    cr = lookup(c.figures, "creators")
    vals = {k: v.get("gmv_per_post") for k, v in cr.items() if isinstance(v, dict) and v.get("gmv_per_post")}
    if not vals:
        raise Suppress("creators has no gmv_per_post")
    top = max(vals, key=lambda k: vals[k])
    v = c(f"creators.{top}.gmv_per_post")
    return [Finding("promotion.creators", "4P", "promotion",
                    f"Promotion — the best-returning creator {top} brings {cny(v)} CNY of GMV per post.",
                    f"推广——回报最高的达人{top}每条内容带来{cny(v)}元成交额。", c.evidence)]


def market_premium_trend(c: Cite, ctx: Context) -> list[Finding]:
    """The premium band's share over a span that is a trend (belief rule: one month is not a trend)."""
    ps = lookup(c.figures, "market.premium_share")
    use = trend_periods(list(ps))
    if use is None:
        raise Suppress("market.premium_share covers too short a span for a trend")
    first, last = use[0], use[-1]
    a, b = c(f"market.premium_share.{first}"), c(f"market.premium_share.{last}")
    word = "grew" if b > a else "fell" if b < a else "held"
    word_zh = "上升" if b > a else "下降" if b < a else "持平"
    return [Finding("price.premium_market", "4P", "price",
                    f"Price — the premium band {word} from {pct(a)} of units in {first} to {pct(b)} "
                    f"in {last}.",
                    f"价格——高端价位段销量占比从{first}的{pct(a)}{word_zh}至{last}的{pct(b)}。",
                    c.evidence)]


def price_plan_differences(c: Cite, ctx: Context) -> list[Finding]:
    """How the plan's list prices differ by segment (tiers pooled) and what each segment's price earns over the
    uniform price, per 1,000 shoppers of the segment."""
    lp = lookup(c.figures, "pricing_plan.list_price")
    worth = lookup(c.figures, "pricing_plan.worth_vs_uniform_per_1000")
    u = c("pricing_plan.uniform_price")
    segs = [s for s in lp if "all" in lp[s] and "all" in (worth.get(s) or {})]
    if not segs:
        raise Suppress("no segment has a pooled-tier price and its worth over the uniform price")
    segs.sort(key=lambda s: -lp[s]["all"])
    en, cn = [], []
    for s in segs:
        p, w = c(f"pricing_plan.list_price.{s}.all"), c(f"pricing_plan.worth_vs_uniform_per_1000.{s}.all")
        en.append(f"{s} {cny(p)} CNY (+{cny(w)} CNY margin)")
        cn.append(f"{s} {cny(p)}元（多赚{cny(w)}元）")
    return [Finding("price.plan_differences", "4P", "price",
                    f"Price plan — list prices by segment against one uniform price of {cny(u)} CNY, with the margin "
                    f"each earns over it per thousand of its shoppers: {'; '.join(en)}.",
                    f"定价方案——各人群标价（对比统一价{cny(u)}元）及每千名该人群购物者相对统一价多赚的毛利："
                    f"{'；'.join(cn)}。", c.evidence, decision=True)]


RULES = [
    ("product.aspects", product_aspects), ("product.review_value", product_review_value),
    ("price.premium", price_premium), ("price.elasticity", price_elasticity), ("price.subsidy", price_subsidy),
    ("price.premium_market", market_premium_trend), ("price.plan", price_plan_bounds),
    ("price.plan_differences", price_plan_differences),
    ("place.platforms", place_platforms), ("place.tiers", place_tiers), ("place.paths", place_paths),
    ("promotion.roi", promotion_roi), ("promotion.spread", promotion_spread),
    ("promotion.creators", promotion_creators),
]
