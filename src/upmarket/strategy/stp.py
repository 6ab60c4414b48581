"""STP findings (segments, targets, position) and brand-equity findings (four dimensions, loyalty gap)."""

from __future__ import annotations

from upmarket.strategy.belief import compare
from upmarket.strategy.context import Context, Suppress
from upmarket.strategy.finding import Cite, Finding, Missing, cny, lookup, num, pct
from upmarket.strategy.labels import EQUITY_ZH


def stp_segments(c: Cite, ctx: Context) -> list[Finding]:
    """The latent segments: share and what each pays for the focal brand over the reference brand."""
    classes = lookup(c.figures, "segments.classes")
    f = ctx.focal
    parts, parts_zh = [], []
    for name in sorted(classes, key=lambda k: -(classes[k].get("share") or 0)):
        s = c(f"segments.classes.{name}.share")
        w = c.maybe(f"segments.classes.{name}.wtp_cny.brand={f}")
        parts.append(f"{name} {pct(s)}" + (f" (pays {cny(w)} CNY for {f})" if w is not None else ""))
        parts_zh.append(f"{name} {pct(s)}" + (f"（愿为{f}多付{cny(w)}元）" if w is not None else ""))
    ref = c.maybe("segments.reference_brand")
    ref_en = f" over {ref}" if ref else ""
    ref_zh = f"（相对{ref}）" if ref else ""
    return [Finding("stp.segments", "STP", "segments",
                    f"Segments — the conjoint finds these groups: {'; '.join(parts)}{ref_en}.",
                    f"人群细分——联合分析识别出以下人群：{'；'.join(parts_zh)}{ref_zh}。", c.evidence)]


def stp_targets(c: Cite, ctx: Context) -> list[Finding]:
    """The target segments by the attractiveness formula (a formula score, ranked as such)."""
    targets = c("pricing.stp.targets")
    formula = c("pricing.stp.formula")
    att = lookup(c.figures, "pricing.stp.attractiveness")
    for t in targets:
        c(f"pricing.stp.attractiveness.{t}")
    scores = ", ".join(f"{t} ({num(att[t])})" for t in targets)
    scores_zh = "、".join(f"{t}（{num(att[t])}）" for t in targets)
    return [Finding("stp.targets", "STP", "targets",
                    f"Targets — {scores}, scored by {formula}.",
                    f"目标人群——{scores_zh}，评分公式：{formula_zh(formula)}。", c.evidence, decision=True)]


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
    lst = ", ".join(f"{b} {num(v)}" for b, v in vals.items())
    lst_zh = "，".join(f"{b} {num(v)}" for b, v in vals.items())
    if level:
        tail, tail_zh = "it is about as far from each (level).", "与各竞品距离相近（持平）。"
    else:
        tail, tail_zh = f"{near} is the nearest, the rival to position against.", f"{near}最近，是需要正面对标的竞品。"
    return [Finding("stp.position", "STP", "position",
                    f"Position — on the perceptual map from {src}, {ctx.focal}'s distance to {lst}: {tail}",
                    f"定位——基于口碑的感知图上，{ctx.focal}到各竞品的距离：{lst_zh}。{tail_zh}", c.evidence)]


FORMULA_ZH = {"premium_acceptance": "高端接受度", "not_value_framed": "非性价比导向", "wtp_focal": "品牌支付意愿",
              "size": "规模", "growth": "增长", "each min–max scaled over segments": "各项在人群间做最小–最大归一化"}


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
    lst = ", ".join(f"{d.replace('_', ' ')} {num(v)}" for d, v in vals.items() if v is not None)
    lst_zh = "，".join(f"{EQUITY_ZH[d]}{num(v)}" for d, v in vals.items() if v is not None)
    behind_en = ", ".join(d.replace("_", " ") for d in behind) or "none"
    behind_zh = "、".join(EQUITY_ZH[d] for d in behind) or "无"
    out.append(Finding("equity.dimensions", "equity", "equity",
                       f"Equity — {f}: {lst}; behind {' and '.join(riv)} on: {behind_en}.",
                       f"品牌资产——{f}：{lst_zh}；落后于{'、'.join(riv)}的维度：{behind_zh}。", sub.evidence,
                       decision=bool(behind), extra={"behind": behind, "ahead": ahead}))
    loy = {b: lookup(c.figures, f"equity.{b}.loyalty", None) for b in [f, *riv]}
    if loy[f] is not None and any(loy[b] is not None for b in riv):
        lc = Cite(c.figures)
        lc(f"equity.{f}.loyalty")
        best = max((b for b in riv if loy[b] is not None), key=lambda b: loy[b])
        lc(f"equity.{best}.loyalty")
        s = compare(loy[f], lookup(c.figures, f"equity.{f}.loyalty_ci", None), loy[best],
                    lookup(c.figures, f"equity.{best}.loyalty_ci", None))
        if s < 0:
            text = (f"Equity — loyalty gap: {pct(loy[f])} of {f} owners buy {f} again at their next phone, "
                    f"{pct(loy[best])} for {best}. Retention offers (trade-in, ecosystem) before acquisition.")
            text_zh = (f"品牌资产——忠诚度差距：{f}用户换机时{pct(loy[f])}继续选择{f}，{best}为{pct(loy[best])}。"
                       f"先做留存（以旧换新、生态绑定），再做拉新。")
        else:
            text = (f"Equity — loyalty: {pct(loy[f])} of {f} owners buy {f} again, "
                    f"{'level with' if s == 0 else 'above'} {best}'s {pct(loy[best])}.")
            word_zh = "持平于" if s == 0 else "高于"
            text_zh = f"品牌资产——忠诚度：{f}用户复购率{pct(loy[f])}，{word_zh}{best}的{pct(loy[best])}。"
        out.append(Finding("equity.loyalty_gap", "equity", "equity", text, text_zh, lc.evidence, decision=s < 0))
    return out


RULES = [("stp.segments", stp_segments), ("stp.targets", stp_targets), ("stp.position", stp_position),
         ("equity.dimensions", equity_dimensions)]
