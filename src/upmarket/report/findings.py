"""Rendering findings: a template's slots formatted by unit and labelled in the reader's language.

The analyses and the strategy layer hand back templates with named slots (``upmarket.findings``); this module is
the one place that turns them into sentences, for results.json, the report, the workbook and the dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from upmarket.findings import SLOT, Slot, Template
from upmarket.report.format import fmt, is_missing
from upmarket.report.i18n import code_label, localise, segment_label


def render_slot(slot: Slot, lang: str) -> str:
    """One slot as a reader reads it: a number by its unit, a code or segment name by its label in ``lang``."""
    unit = slot.unit
    if unit == "code":
        return code_label(slot.value, lang)
    if unit == "segment":
        return segment_label(str(slot.value), lang)
    if unit in ("brand", "text"):
        return str(slot.value)
    if unit == "phrase":  # a short phrase of codes and numbers ("tier1 ×1.4"): its codes labelled under zh
        return localise(str(slot.value), lang)
    if unit == "period":  # a results period label: 2024H1 / 2024年上半年
        from upmarket.analyses.market import period_zh

        return period_zh(str(slot.value)) if lang == "zh" else str(slot.value)
    if unit == "level":  # a confidence level, as a whole percentage: the "90%" of "90% interval"
        return "–" if is_missing(slot.value) else f"{float(slot.value) * 100:.0f}%"
    if unit.endswith("-"):  # the magnitude: the sentence's words carry the sign ("fell {growth}")
        return fmt(abs(slot.value) if not is_missing(slot.value) else slot.value, unit[:-1], lang)
    if unit.endswith("+"):
        text = fmt(slot.value, unit[:-1], lang)
        return f"+{text}" if not is_missing(slot.value) and float(slot.value) > 0 else text
    return fmt(slot.value, unit, lang)


def render(template: str, slots: Mapping[str, Slot], lang: str) -> str:
    """``template`` with each ``{name}`` replaced by its slot rendered in ``lang`` (other braces stay)."""
    return SLOT.sub(lambda m: render_slot(slots[m[1]], lang) if m[1] in slots else m[0], template)


def finding_text(finding: Mapping[str, Any], lang: str) -> str:
    """A finding dict (results.json, sections.json) as a sentence in ``lang``: rendered from its template when it
    has one, else its stored text with codes replaced by labels."""
    tpl = Template.from_dict(finding)
    if tpl is not None:
        return tpl.render(lang)
    text = (finding.get("text_zh") if lang == "zh" else None) or finding.get("text") or ""
    return localise(str(text), lang)
