"""The decision layer: 4P, STP, equity and dilemma findings read from the results figures (issue 19 items 1 and 3).

``build_strategy(figures)`` runs after every analysis and returns results.json's ``strategy`` block::

    {"findings": [{id, framework, section, text, text_zh, evidence: {key path: value}, decision, n?, ...}],
     "verdicts": [ids of the dilemma findings], "decisions": [ids of up to five decision findings, in order],
     "dilemmas": {"lock_in": {...}, "cannibalisation": {...}},
     "suppressed": {"<rule id>": "<why it says nothing>"},
     "lacking": {"<analysis>": "<what the strategy would read from it>"}}

Findings read only figures (never an analysis module), so a missing analysis suppresses its findings with a reason
instead of failing. The one cross-analysis read is ``figures`` itself: when analyses become named artefacts, only
``build_strategy``'s argument changes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from upmarket.strategy import fourp, stp
from upmarket.strategy.context import Context, Suppress
from upmarket.strategy.dilemmas import cannibalisation, lock_in
from upmarket.strategy.finding import Cite, Finding, Missing
from upmarket.strategy.promotion import promotion_language

if TYPE_CHECKING:
    from upmarket.warehouse import Warehouse

__all__ = ["Finding", "build_strategy"]

log = logging.getLogger(__name__)

RULES = [*fourp.RULES, *stp.RULES]

EXPECTED = {
    "voice": "aspect strengths and gaps, value framing (lock-in dilemma)",
    "pricing": "brand premia, elasticities, diversion (cannibalisation dilemma), 国补 counterfactual",
    "segments": "segments and brand willingness to pay",
    "funnel": "platform and city-tier conversion, premium acceptance",
    "pricing_plan": "which price bound binds, cannibalisation at the planned prices",
    "spread": "content that spreads",
    "equity": "the four equity dimensions and the loyalty gap",
    "mix": "channel ROI",
    "launch": "diffusion of new models",
}


WRITER = {"pricing.stp": "segments", "pricing.positioning": "segments", "pricing.segment_share": "segments",
          "pricing": "demand", "creators": "spread"}
"""Results key prefixes written by an analysis of another name (longest prefix wins); else the top key."""


def _writer(path: str) -> str:
    """The analysis that writes a results key path."""
    for prefix in sorted(WRITER, key=len, reverse=True):
        if path == prefix or path.startswith(prefix + "."):
            return WRITER[prefix]
    return path.split(".")[0]


def _reason(figures: Mapping[str, Any], exc: Missing) -> str:
    """Why a finding is missing: the analysis that was skipped or failed, else the absent key."""
    name = _writer(exc.path)
    if name in (figures.get("skipped") or {}):
        return f"{name} was skipped: {figures['skipped'][name]}"
    if name in (figures.get("failed") or {}):
        why = figures["failed"][name]
        return f"{name} failed: {why.get('error', why) if isinstance(why, dict) else why}"
    return str(exc)


DECISION_ORDER = ("price.plan_differences", "price.plan", "promotion.language", "place.tiers", "product.gap",
                  "promotion.roi", "equity.loyalty_gap", "stp.targets", "place.platforms", "product.review_value",
                  "price.subsidy", "price.elasticity", "equity.dimensions", "product.strength")
"""Which decision findings the executive summary shows first: one per decision area, prices first."""


def five_decisions(findings: list[Finding], n: int = 5) -> list[str]:
    """Ids of up to ``n`` decision findings, one per area of DECISION_ORDER (the first finding of each)."""
    out: list[str] = []
    for prefix in DECISION_ORDER:
        hit = next((f.id for f in findings if f.decision and (f.id == prefix or f.id.startswith(prefix + "."))), None)
        if hit and hit not in out:
            out.append(hit)
        if len(out) == n:
            break
    return out


def build_strategy(figures: Mapping[str, Any], min_n: int | None = None,
                   warehouse: Warehouse | None = None) -> dict[str, Any]:
    """Findings, dilemmas, promotion language, suppressed rules and lacking analyses from results.json's figures
    (the warehouse, when given, only supplies real review quotes for the promotion language)."""
    ctx = Context.of(figures, min_n)
    findings: list[Finding] = []
    suppressed: dict[str, str] = {}
    for rule_id, rule in RULES:
        try:
            findings.extend(rule(Cite(figures), ctx))
        except Missing as exc:
            suppressed[rule_id] = _reason(figures, exc)
        except Suppress as exc:
            suppressed[rule_id] = str(exc)
        except (KeyError, TypeError, ValueError, IndexError) as exc:  # a figure of an unexpected shape
            log.warning("strategy rule %s could not read the figures: %r", rule_id, exc)
            suppressed[rule_id] = f"unexpected figure shape: {exc!r}"
    dilemmas: dict[str, Any] = {}
    for name, fn in (("lock_in", lock_in), ("cannibalisation", cannibalisation)):
        finding, rec = fn(figures, ctx)
        dilemmas[name] = rec
        if finding is None:
            suppressed[f"dilemma.{name}"] = "no signal: " + ", ".join(rec["lacking"]) + " absent"
        else:
            findings.insert(len([f for f in findings if f.framework == "dilemma"]), finding)
    promo, promo_findings, promo_suppressed = promotion_language(
        figures, ctx, locked=dilemmas["lock_in"].get("sign") == 1, warehouse=warehouse)
    findings.extend(promo_findings)
    suppressed.update(promo_suppressed)
    order = {"dilemma": 0, "4P": 1, "STP": 2, "equity": 3}
    findings.sort(key=lambda f: order.get(f.framework, 9))
    lacking = {k: f"not in results.json; it would give {v}" for k, v in EXPECTED.items() if k not in figures}
    verdicts = [f.id for f in findings if f.framework == "dilemma"]
    return {"findings": [f.to_dict() for f in findings], "verdicts": verdicts, "decisions": five_decisions(findings),
            "dilemmas": dilemmas, "promotion": promo,
            "suppressed": suppressed, "lacking": lacking, "min_n": ctx.min_n}
