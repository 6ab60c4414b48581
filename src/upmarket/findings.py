"""Findings as data: an id, a template per language with named slots, and each slot's value, unit and results key.

An analysis (or the strategy layer) says *what* it found — ``"{brand} leads on {aspect}: {share}"`` and the slot
values — and the report says *how it reads*: numbers formatted by their declared unit (``report/format.py``) and
codes such as ``douyin_ads`` or segment names as labels in the reader's language (``report/i18n.py``). So a number
in a sentence is a cited value by construction, and no channel code or English segment name is typed into a
Chinese sentence. results.json keeps the rendered text (for readers of the file) beside the template and slots
(so the report and the dashboard can render it again, in either language).

A slot placeholder is ``{name}`` with ``name`` a Python identifier; any other brace in a template is literal text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SLOT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
"""A slot placeholder in a template."""

LABEL_UNITS = ("code", "segment", "brand", "text", "phrase", "period")
"""Units of slots that hold words: a code (platform, tier, aspect, channel) or a segment name, translated when
rendered; a brand or other text (a quoted review), shown as it is; a phrase of codes and numbers, its codes
translated; a period label of results (``2024H1``, 2024年上半年 in Chinese). Number units are report.format's (cny,
pct, count, ...) and ``level``, a confidence level printed as a whole percentage ("90%"). A number unit ending in
``+`` prints its sign (``cny+`` → "+¥855"); ending in ``-``, its magnitude, for sentences whose words carry the sign
(``pct-``: "fell {growth}" → "fell 19.0%").
"""


@dataclass(frozen=True)
class Slot:
    """One value a template names: the value, its unit (how it is printed) and the results key it comes from."""

    value: Any
    unit: str = "number"
    key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"value": self.value, "unit": self.unit}
        if self.key is not None:
            out["key"] = self.key
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Slot:
        return cls(data.get("value"), str(data.get("unit", "number")), data.get("key"))


@dataclass
class Template:
    """A sentence in English and Chinese with named slots (the same names in both)."""

    en: str
    zh: str
    slots: dict[str, Slot] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for lang, text in (("en", self.en), ("zh", self.zh)):
            unknown = set(SLOT.findall(text)) - set(self.slots)
            if unknown:
                raise ValueError(f"template ({lang}) names slots it was not given: {sorted(unknown)}: {text!r}")

    def render(self, lang: str = "en") -> str:
        """The sentence in ``lang``, each slot formatted by the report (its unit, its label catalogue)."""
        from upmarket.report.findings import render  # the report owns formatting and labels

        return render(self.zh if lang == "zh" else self.en, self.slots, lang)

    @property
    def evidence(self) -> dict[str, Any]:
        """Results key path → value, for every slot read from results."""
        return {s.key: s.value for s in self.slots.values() if s.key is not None}

    def to_dict(self) -> dict[str, Any]:
        return {"template": {"en": self.en, "zh": self.zh},
                "slots": {name: s.to_dict() for name, s in self.slots.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Template | None:
        """The template stored in a finding's dict (results.json, sections.json), None when it has none."""
        tpl = data.get("template")
        if not isinstance(tpl, Mapping):
            return None
        slots = {name: Slot.from_dict(s) for name, s in (data.get("slots") or {}).items() if isinstance(s, Mapping)}
        return cls(str(tpl.get("en", "")), str(tpl.get("zh", "")), slots)


class Slots:
    """Builds a template's slots: each call records one and returns its placeholder, to put in both languages'
    templates (``s = Slots(); f"premium {s('premium', 855.0, 'cny', 'pricing.x')}"``)."""

    def __init__(self) -> None:
        self.slots: dict[str, Slot] = {}

    def __call__(self, name: str, value: Any, unit: str = "number", key: str | None = None) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"slot name must be an identifier: {name!r}")
        old = self.slots.get(name)
        if old is not None and old != Slot(value, unit, key):
            raise ValueError(f"slot {name!r} given twice with different values")
        self.slots[name] = Slot(value, unit, key)
        return "{" + name + "}"

    def template(self, en: str, zh: str) -> Template:
        return Template(en, zh, dict(self.slots))
