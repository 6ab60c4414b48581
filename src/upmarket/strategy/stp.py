"""STP findings (segments, targets, position) and brand-equity findings (four dimensions, loyalty gap)."""

from __future__ import annotations

from upmarket.strategy.belief import compare
from upmarket.strategy.context import Context, Suppress
from upmarket.strategy.finding import Cite, Finding, Missing, lookup


def stp_segments(c: Cite, ctx: Context) -> list[Finding]:
    """The latent segments: share and what each pays for the focal brand over the reference brand."""
    classes = lookup(c.figures, "segments.classes")
    f = ctx.focal
    parts, parts_zh = [], []
    fb = c.label("brand", f, "brand")
    for i, name in enumerate(sorted(classes, key=lambda k: -(classes[k].get("share") or 0))):
        seg, s = c.label(f"segment{i}", name, "segment"), c.slot(f"share{i}", f"segments.classes.{name}.share", "pct")
        w = (c.slot(f"wtp{i}", f"segments.classes.{name}.wtp_cny.brand={f}", "cny")
             if c.maybe(f"segments.classes.{name}.wtp_cny.brand={f}") is not None else None)
        parts.append(f"{seg} {s}" + (f" (pays {w} for {fb})" if w is not None else ""))
        parts_zh.append(f"{seg} {s}" + (f"（愿为{fb}多付{w}）" if w is not None else ""))
    ref = c.label("reference", c("segments.reference_brand"), "brand") if c.maybe(
        "segments.reference_brand") else None
    ref_en = f" over {ref}" if ref else ""
    ref_zh = f"（相对{ref}）" if ref else ""
    return [Finding.of("stp.segments", "STP", "segments", c.template(
        f"Segments — the conjoint finds these groups: {'; '.join(parts)}{ref_en}.",
        f"人群细分——联合分析识别出以下人群：{'；'.join(parts_zh)}{ref_zh}。"), c.evidence)]


def stp_targets(c: Cite, ctx: Context) -> list[Finding]:
    """The target segments by the attractiveness formula (a formula score, ranked as such)."""
    targets = c("pricing.stp.targets")
    formula = c("pricing.stp.formula")
    parts = [(c.label(f"target{i}", t, "segment"), c.slot(f"score{i}", f"pricing.stp.attractiveness.{t}", "ratio"))
             for i, t in enumerate(targets)]
    scores = ", ".join(f"{t} ({v})" for t, v in parts)
    scores_zh = "、".join(f"{t}（{v}）" for t, v in parts)
    return [Finding.of("stp.targets", "STP", "targets", c.template(
        f"Targets — {scores}, scored by {c.label('formula', formula, 'text')}.",
        f"目标人群——{scores_zh}，评分公式：{c.label('formula_zh', formula_zh(formula), 'text')}。"), c.evidence,
        decision=True)]


def stp_position(c: Cite, ctx: Context) -> list[Finding]:
    """Distance to the premium rivals on the review-based perceptual map: the nearer rival is the one to beat."""
    gap = lookup(c.figures, "pricing.positioning.gap_to")
    riv = ctx.premium_rivals(gap)
    if not riv:
        raise Suppress("the positioning map has no configured rival")
    vals = {b: c(f"pricing.positioning.gap_to.{b}") for b in riv}
    src = c.maybe("pricing.positioning.source") or "reviews"
    near = min(vals, key=lambda b: vals[b])
    level = len(riv) > 1 and all(compare(vals[near], None, vals[b], None, rel_tol=0.1) == 0 for b in riv)
    parts = {b: (c.label(f"rival{i}", b, "brand"), c.slot(f"gap{i}", f"pricing.positioning.gap_to.{b}", "ratio"))
             for i, b in enumerate(vals)}
    lst = ", ".join("{} {}".format(*parts[b]) for b in vals)
    lst_zh = "，".join("{} {}".format(*parts[b]) for b in vals)
    if level:
        tail, tail_zh = "it is about as far from each (level).", "与各竞品距离相近（持平）。"
    else:
        nb = parts[near][0]
        tail, tail_zh = f"{nb} is the nearest, the rival to position against.", f"{nb}最近，是需要正面对标的竞品。"
    fb = c.label("brand", ctx.focal, "brand")
    return [Finding.of("stp.position", "STP", "position", c.template(
        f"Position — on the perceptual map from {c.label('source', src, 'text')}, {fb}'s distance to {lst}: {tail}",
        f"定位——基于口碑的感知图上，{fb}到各竞品的距离：{lst_zh}。{tail_zh}"), c.evidence)]


FORMULA_ZH = {"premium_acceptance": "高端接受度", "not_value_framed": "非性价比导向", "wtp_focal": "品牌支付意愿",
              "size": "规模", "growth": "增长",
              " (each min–max scaled over segments)": "（各项在人群间做最小–最大归一化）"}


def formula_zh(formula: str) -> str:
    """The attractiveness formula with its terms in Chinese (same weights, so the same cited numbers)."""
    for en, cn in FORMULA_ZH.items():
        formula = formula.replace(en, cn)
    return formula


DIMENSIONS = ("awareness", "associations", "perceived_quality", "loyalty")


def equity_dimensions(c: Cite, ctx: Context) -> list[Finding]:
    """The four equity dimensions of the focal brand vs the premium rivals, and its loyalty gap."""
    eq = lookup(c.figures, "equity")
    f = ctx.focal
    if f not in eq:
        raise Missing(f"equity.{f}")
    riv = ctx.premium_rivals(eq)
    if not riv:
        raise Suppress("the equity analysis has no configured rival")
    out = []
    behind, ahead = [], []
    sub = Cite(c.figures)
    for d in DIMENSIONS:
        v = sub.maybe(f"equity.{f}.{d}")
        if v is None:
            continue
        vci = sub.maybe(f"equity.{f}.{d}_ci")
        signs = []
        for b in riv:
            w = sub.maybe(f"equity.{b}.{d}")
            if w is not None:
                signs.append(compare(v, vci, w, sub.maybe(f"equity.{b}.{d}_ci")))
        if signs and all(s > 0 for s in signs):
            ahead.append(d)
        elif any(s < 0 for s in signs):
            behind.append(d)
    if not sub.evidence:
        raise Missing(f"equity.{f}.awareness")
    vals = {d: lookup(c.figures, f"equity.{f}.{d}", None) for d in DIMENSIONS}
    dims = {d: sub.label(f"dimension_{d}", d) for d in DIMENSIONS}
    shown = {d: sub.slot(f"value_{d}", f"equity.{f}.{d}", "ratio") for d, v in vals.items() if v is not None}
    lst = ", ".join(f"{dims[d]} {v}" for d, v in shown.items())
    lst_zh = "，".join(f"{dims[d]}{v}" for d, v in shown.items())
    rb = [sub.label(f"rival{i}", b, "brand") for i, b in enumerate(riv)]
    fb = sub.label("brand", f, "brand")
    behind_en, behind_zh = ", ".join(dims[d] for d in behind) or "none", "、".join(dims[d] for d in behind) or "无"
    tpl = sub.template(f"Equity — {fb}: {lst}; behind {' and '.join(rb)} on: {behind_en}.",
                       f"品牌资产——{fb}：{lst_zh}；落后于{'、'.join(rb)}的维度：{behind_zh}。")
    out.append(Finding.of("equity.dimensions", "equity", "equity", tpl, sub.evidence,
                          decision=bool(behind), extra={"behind": behind, "ahead": ahead}))
    loy = {b: lookup(c.figures, f"equity.{b}.loyalty", None) for b in [f, *riv]}
    if loy[f] is not None and any(loy[b] is not None for b in riv):
        lc = Cite(c.figures)
        best = max((b for b in riv if loy[b] is not None), key=lambda b: loy[b])
        lf, lb = lc.slot("loyalty", f"equity.{f}.loyalty", "pct"), lc.slot("rival_loyalty", f"equity.{best}.loyalty",
                                                                             "pct")
        fb, bb = lc.label("brand", f, "brand"), lc.label("rival", best, "brand")
        s = compare(loy[f], lookup(c.figures, f"equity.{f}.loyalty_ci", None), loy[best],
                    lookup(c.figures, f"equity.{best}.loyalty_ci", None))
        if s < 0:
            text = (f"Equity — loyalty gap: {lf} of {fb} owners buy {fb} again at their next phone, "
                    f"{lb} for {bb}. Retention offers (trade-in, ecosystem) before acquisition.")
            text_zh = (f"品牌资产——忠诚度差距：{fb}用户换机时{lf}继续选择{fb}，{bb}为{lb}。"
                       f"先做留存（以旧换新、生态绑定），再做拉新。")
        else:
            word = "level with" if s == 0 else "above"
            text = f"Equity — loyalty: {lf} of {fb} owners buy {fb} again, {word} {bb}'s {lb}."
            word_zh = "持平于" if s == 0 else "高于"
            text_zh = f"品牌资产——忠诚度：{fb}用户复购率{lf}，{word_zh}{bb}的{lb}。"
        out.append(Finding.of("equity.loyalty_gap", "equity", "equity", lc.template(text, text_zh), lc.evidence,
                              decision=s < 0))
    return out


RULES = [("stp.segments", stp_segments), ("stp.targets", stp_targets), ("stp.position", stp_position),
         ("equity.dimensions", equity_dimensions)]
