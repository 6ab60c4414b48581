"""The two dilemmas, answered from the figures with a verdict, a confidence and what would change it.

Each dilemma is a vote of signals, every signal +1 (points to the problem), -1 (points away) or 0 (level), from
comparisons that respect the belief rules (overlapping intervals are level). The verdict is the sign of the mean
vote; the confidence is high when at least three signals agree and none disagrees, medium when two agree, low
otherwise. The same functions run on a twin's truth.json (same keys, no intervals) to check the verdicts.

- 性价比 lock-in: value framing share of the focal brand vs the premium rivals (voice), the brand's willingness to
  pay vs theirs (conjoint, else demand), premium acceptance by city tier (funnel: premium vs mass conversion).
- Sub-brand cannibalisation: the share of the focal brand's lost sales that go to the sub-brand vs to each rival
  (demand diversion), switching of focal owners to the sub-brand vs to rivals (equity/loyalty, when present), and the
  cannibalisation the price plan measures (the share of its buyers who would otherwise buy the sub-brand).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from upmarket.strategy.belief import compare, enough
from upmarket.strategy.context import Context
from upmarket.strategy.finding import Cite, Finding, lookup


def _vote(signals: dict[str, int]) -> tuple[int, str]:
    """Verdict sign and confidence from the signals' votes."""
    if not signals:
        return 0, "none"
    votes = list(signals.values())
    mean = sum(votes) / len(votes)
    sign = 1 if mean > 1 / 3 else -1 if mean < -1 / 3 else 0
    agree = sum(1 for v in votes if v == sign and sign != 0)
    against = sum(1 for v in votes if v == -sign and sign != 0)
    conf = "high" if agree >= 3 and against == 0 else "medium" if agree >= 2 and against == 0 else "low"
    return sign, conf


def lock_in_signals(figures: Mapping[str, Any], ctx: Context, cite: Cite | None = None) -> dict[str, int]:
    """+1 where the evidence says the brand is locked in 性价比, -1 where it says it is not, 0 level."""
    c = cite or Cite(figures)
    f = ctx.focal
    out: dict[str, int] = {}
    voice = figures.get("voice") or {}
    if isinstance(voice, Mapping) and isinstance(voice.get(f), Mapping) and voice[f].get("value_framing") is not None:
        riv = [b for b in ctx.premium_rivals(voice) if isinstance(voice.get(b), Mapping)
               and voice[b].get("value_framing") is not None]
        n = voice[f].get("n_reviews")
        if riv and (n is None or enough(n, ctx.min_n)):
            v, vci = c(f"voice.{f}.value_framing"), c.maybe(f"voice.{f}.value_framing_ci")
            signs = [compare(v, vci, c(f"voice.{b}.value_framing"), c.maybe(f"voice.{b}.value_framing_ci"))
                     for b in riv]
            out["value_framing"] = 1 if all(s > 0 for s in signs) else -1 if any(s < 0 for s in signs) else 0
    conjoint = lookup(figures, f"segments.wtp_cny.brand={f}", None) is not None

    def key(b: str, ci: bool = False) -> str:
        """The brand's WTP path: the conjoint's population WTP, else demand's brand premium."""
        sfx = "_ci" if ci else ""
        return f"segments.wtp_cny{sfx}.brand={b}" if conjoint else f"pricing.brand_premium_cny{sfx}.all.{b}"

    if lookup(figures, key(f), None) is not None:
        ci_key = lambda b: key(b, ci=True)  # noqa: E731
        riv = [b for b in ctx.rivals if lookup(figures, key(b), None) is not None]
        riv = [b for b in ("Apple", "Huawei") if b in riv] or riv
        if riv:
            v, vci = c(key(f)), c.maybe(ci_key(f))
            signs = [compare(v, vci, c(key(b)), c.maybe(ci_key(b))) for b in riv]
            out["brand_wtp"] = 1 if all(s < 0 for s in signs) else -1 if any(s >= 0 for s in signs) else 0
    pc = lookup(figures, "funnel.premium_conversion_by_city_tier", None)
    if isinstance(pc, Mapping):
        signs = []
        for t, d in pc.items():
            if not (isinstance(d, Mapping) and "premium" in d and "mass" in d):
                continue
            if not enough(d.get("premium_visitors", ctx.min_n), ctx.min_n):
                continue
            base = f"funnel.premium_conversion_by_city_tier.{t}"
            signs.append(compare(c(f"{base}.premium"), c.maybe(f"{base}.premium_ci"), c(f"{base}.mass"),
                                 c.maybe(f"{base}.mass_ci")))
        if signs:  # locked when premium converts worse than mass in every tier; an opening where it does not
            out["premium_acceptance"] = 1 if all(s < 0 for s in signs) else -1 if sum(s > 0 for s in signs) > len(
                signs) / 2 else 0  # level tiers (overlapping intervals) are no evidence either way
    return out


def cannibalisation_signals(figures: Mapping[str, Any], ctx: Context, cite: Cite | None = None) -> dict[str, int]:
    """+1 where the sub-brand takes the focal brand's sales more than rivals do, -1 less, 0 level."""
    c = cite or Cite(figures)
    f, s = ctx.focal, ctx.sub
    out: dict[str, int] = {}
    if s is None:
        return out
    div = lookup(figures, f"pricing.diversion.{f}", None)
    if isinstance(div, Mapping) and div.get(s) is not None:
        riv = [b for b in ctx.rivals if div.get(b) is not None]
        if riv:
            v, vci = c(f"pricing.diversion.{f}.{s}"), c.maybe(f"pricing.diversion_ci.{f}.{s}")
            signs = [compare(v, vci, c(f"pricing.diversion.{f}.{b}"), c.maybe(f"pricing.diversion_ci.{f}.{b}"))
                     for b in riv]
            out["diversion"] = 1 if all(x > 0 for x in signs) else -1 if all(x < 0 for x in signs) else 0
    for base in ("equity.switching", "loyalty.switching"):
        sw = lookup(figures, f"{base}.{f}", None)
        if isinstance(sw, Mapping) and sw.get(s) is not None:
            riv = [b for b in ctx.rivals if sw.get(b) is not None]
            if riv:
                v = c(f"{base}.{f}.{s}")
                signs = [compare(v, c.maybe(f"{base}_ci.{f}.{s}"), c(f"{base}.{f}.{b}"), c.maybe(f"{base}_ci.{f}.{b}"))
                         for b in riv]
                out["switching"] = 1 if all(x > 0 for x in signs) else -1 if all(x < 0 for x in signs) else 0
            break
    return out


LOCK_VERDICT = {1: ("locked in", "已被锁定"), -1: ("not locked in", "未被锁定"), 0: ("partly locked in", "部分锁定")}
CANN_VERDICT = {1: ("heavy", "严重"), -1: ("light", "轻微"), 0: ("comparable to rivals", "与竞品相当")}
CONF_ZH = {"high": "高", "medium": "中", "low": "低", "none": "无"}
SIGNAL_EN = {"value_framing": "value framing", "brand_wtp": "willingness to pay for the brand",
             "premium_acceptance": "premium acceptance by city tier", "diversion": "diversion of lost sales",
             "switching": "switching of owners"}
SIGNAL_ZH = {"value_framing": "性价比话语占比", "brand_wtp": "品牌支付意愿", "premium_acceptance": "各级城市高端接受度",
             "diversion": "流失销量去向", "switching": "换机流向"}


def _verdict_finding(fid: str, title: tuple[str, str], sig: dict[str, int], verdict: tuple[str, str], sign: int,
                     conf: str, bits: tuple[list[str], list[str]], change: tuple[str, str], c: Cite,
                     rec: dict[str, Any]) -> tuple[Finding, dict[str, Any]]:
    """A dilemma's finding in both languages — title, verdict, confidence, each signal's side, the cited figures and
    what would change it — and its record (``rec``, updated in place) for ``strategy.dilemmas``."""
    text = (f"{title[0]} — verdict: {verdict[0]} (confidence {conf}; signals: "
            + ", ".join(f"{SIGNAL_EN[k]} {'for' if v > 0 else 'against' if v < 0 else 'level'}" for k, v in sig.items())
            + ("; " + "; ".join(bits[0]) if bits[0] else "") + f"). What would change it: {change[0]}.")
    text_zh = (f"{title[1]}——结论：{verdict[1]}（置信度{CONF_ZH[conf]}；依据："
               + "，".join(f"{SIGNAL_ZH[k]}{'支持' if v > 0 else '反对' if v < 0 else '持平'}" for k, v in sig.items())
               + ("；" + "，".join(bits[1]) if bits[1] else "") + f"）。什么会改变结论：{change[1]}。")
    said = c.template(*change)  # the same slots, so it renders like the sentence
    rec.update({"verdict": verdict[0], "verdict_zh": verdict[1], "sign": sign, "confidence": conf,
                "what_would_change_it": said.render("en"), "what_would_change_it_zh": said.render("zh")})
    return Finding.of(fid, "dilemma", "dilemmas", c.template(text, text_zh), c.evidence, decision=True,
                      extra={"verdict": verdict[0], "confidence": conf}), rec


def lock_in(figures: Mapping[str, Any], ctx: Context) -> tuple[Finding | None, dict[str, Any]]:
    """The 性价比 lock-in dilemma as a finding plus its record under strategy.dilemmas."""
    c = Cite(figures)
    sig = lock_in_signals(figures, ctx, c)
    lacking = [k for k in ("value_framing", "brand_wtp", "premium_acceptance") if k not in sig]
    lacking.append("value_framing_trend")  # results.json carries framing over the whole span only
    rec: dict[str, Any] = {"signals": sig, "lacking": lacking}
    if not sig:
        return None, rec
    sign, conf = _vote(sig)
    verdict, verdict_zh = LOCK_VERDICT[sign]
    f = ctx.focal
    vf = lookup(figures, f"voice.{f}.value_framing", None) if "value_framing" in sig else None
    wtp = next(((k, v) for k, v in c.evidence.items() if k.endswith(f"brand={f}") or k.endswith(f"all.{f}")), None)
    bits, bits_zh = [], []
    fb = c.label("brand", f, "brand")
    if vf is not None:
        vfs = c.slot("value_framing", f"voice.{f}.value_framing", "pct")
        bits.append(f"{vfs} of opinions about {fb} argue from value for money")
        bits_zh.append(f"关于{fb}的评价中{vfs}从性价比出发")
    if wtp is not None:
        ws = c.slot("wtp", wtp[0], "cny")
        bits.append(f"buyers pay {ws} for the brand over the reference brand")
        bits_zh.append(f"消费者为品牌比参照品牌多付{ws}")
    change = ("framing share falling to the premium rivals' level, a brand premium whose interval reaches "
              "Huawei's, or premium listings converting like mass ones in more tiers; a framing trend by period "
              "would test whether it is moving")
    change_zh = ("性价比话语占比降至高端竞品水平、品牌溢价区间触及华为，或更多城市高端机型转化追平大众机型；"
                 "按期的话语趋势可检验其是否在变化")
    return _verdict_finding("dilemma.lock_in", ("Dilemma 性价比 lock-in", "两难一：性价比标签锁定"), sig,
                            (verdict, verdict_zh), sign, conf, (bits, bits_zh), (change, change_zh), c, rec)


def cannibalisation(figures: Mapping[str, Any], ctx: Context) -> tuple[Finding | None, dict[str, Any]]:
    """Where the sub-brand takes the focal brand's sales, as a finding plus its record."""
    c = Cite(figures)
    sig = cannibalisation_signals(figures, ctx, c)
    lacking = [k for k in ("diversion", "switching") if k not in sig]
    rec: dict[str, Any] = {"signals": sig, "lacking": lacking}
    f, s = ctx.focal, ctx.sub
    if not sig or s is None:
        return None, rec
    sign, conf = _vote(sig)
    verdict, verdict_zh = CANN_VERDICT[sign]
    d = lookup(figures, f"pricing.diversion.{f}.{s}", None)
    can = lookup(figures, "pricing_plan.cannibalisation_all", None)
    bits, bits_zh = [], []
    fb, sb = c.label("brand", f, "brand"), c.label("sub_brand", s, "brand")
    if d is not None:
        ds = c.slot("diversion", f"pricing.diversion.{f}.{s}", "pct")
        bits.append(f"{ds} of {fb}'s lost sales go to {sb}")
        bits_zh.append(f"{fb}流失销量中{ds}流向{sb}")
        if lookup(figures, f"pricing.diversion_inside.{f}.{s}", None) is not None:
            # the outside share depends on how market_size defines the potential market: say both
            di = c.slot("diversion_inside", f"pricing.diversion_inside.{f}.{s}", "pct")
            bits[-1] += f" ({di} of those that stay with a phone brand)"
            bits_zh[-1] += f"（留在品类内的流失销量中占{di}）"
    if can is not None:
        cs = c.slot("cannibalisation", "pricing_plan.cannibalisation_all", "pct")
        bits.append(f"at the planned prices {cs} of {fb}'s buyers would otherwise buy {sb}")
        bits_zh.append(f"按方案定价，{fb}买家中{cs}原本会买{sb}")
    change = (f"{sb} taking more of {fb}'s lost sales than a rival does (diversion intervals separating), or owners "
              f"switching to {sb} more than to rivals")
    change_zh = f"{sb}承接{fb}流失销量超过任一竞品（区间分离），或{fb}用户换机转向{sb}多于转向竞品"
    return _verdict_finding("dilemma.cannibalisation", (f"Dilemma {sb} cannibalisation", f"两难二：{sb}蚕食{fb}"), sig,
                            (verdict, verdict_zh), sign, conf, (bits, bits_zh), (change, change_zh), c, rec)
