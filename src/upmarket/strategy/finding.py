"""Findings as data: a sentence in English and Chinese rendered only from values read out of results.json.

Every number a reader sees comes from a slot, and every slot from a results key path (``evidence``), so a test can
check that each number in each sentence is one of the cited values, formatted (``numbers_in``/``renderings``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from upmarket.findings import Slots, Template
from upmarket.report.format import Unit, fmt

MISSING = object()
UNITS = get_args(Unit)


class Missing(LookupError):  # noqa: N818 - a reason to suppress, not an error
    """A results key path the finding needs is absent: the finding is suppressed with this path as its reason."""

    def __init__(self, path: str, why: str | None = None):
        super().__init__(why or f"{path} is not in results.json")
        self.path = path


def lookup(figures: Mapping[str, Any], path: str, default: Any = MISSING) -> Any:
    """The value at a dotted key path (``pricing.brand_premium_cny.all.Xiaomi``); ``Missing`` when absent."""
    node: Any = figures
    for key in path.split("."):
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        else:
            if default is not MISSING:
                return default
            raise Missing(path)
    if node is None or (isinstance(node, float) and not math.isfinite(node)):
        if default is not MISSING:
            return default
        raise Missing(path, f"{path} is empty (null) in results.json")
    return node


def pct(v: float, digits: int = 0) -> str:
    """A share as a percentage (0.4213 → "42%")."""
    return f"{100 * v:.{digits}f}%"


def cny(v: float) -> str:
    """Yuan, thousands separated, no decimals (3335.5 → "3,336")."""
    return f"{v:,.0f}"


def num(v: float, digits: int = 2) -> str:
    """A plain number (an elasticity, an index)."""
    return f"{v:.{digits}f}"


def integer(v: float) -> str:
    """A count."""
    return f"{v:,.0f}"


FORMATTERS: tuple[Callable[[float], str], ...] = (
    pct, lambda v: pct(v, 1), cny, lambda v: num(v, 1), num, lambda v: num(v, 3), integer)
"""Every way a cited value may appear in a sentence (the number check tries them all)."""

_NUMBER = re.compile(r"(?<![A-Za-z_\d.])-?\d[\d,]*(?:\.\d+)?")


def numbers_in(text: str) -> list[str]:
    """The numbers a reader sees in ``text`` (codes such as ``tier1`` or ``4P`` are not numbers)."""
    return [m.group(0).replace(",", "") for m in _NUMBER.finditer(text) if not re.match(r"[A-Za-z]",
                                                                                       text[m.end():m.end() + 1])]


def renderings(value: Any) -> set[str]:
    """Every string a cited value may print as (each formatter, percentage digits included), commas removed."""
    out: set[str] = set()
    if isinstance(value, bool):
        return out
    if isinstance(value, int | float):
        for f in FORMATTERS:
            s = f(float(value)).replace(",", "").rstrip("%")
            out.add(s)
            out.add(s.lstrip("-"))  # a negative cited value may be written as its magnitude ("2.83 times")
        for unit in UNITS:  # as the report renders a template's slot (¥, %, 万/亿)
            for lang in ("en", "zh"):
                for s in numbers_in(fmt(float(value), unit, lang)):
                    out |= {s, s.lstrip("-")}
    elif isinstance(value, list | tuple):
        for v in value:
            out |= renderings(v)
    elif isinstance(value, Mapping):
        for v in value.values():
            out |= renderings(v)
    elif isinstance(value, str):
        out |= set(numbers_in(value))
    return out


def uncited_numbers(text: str, evidence: Mapping[str, Any]) -> list[str]:
    """Numbers in ``text`` that are no rendering of any cited value (should be empty)."""
    allowed: set[str] = set()
    for path, v in evidence.items():
        # labels in the cited path (periods such as 2024, tiers) count too
        allowed |= renderings(v) | {x for part in path.split(".") for x in numbers_in(part)}
    return [n for n in numbers_in(text) if n not in allowed and n.lstrip("-") not in allowed]


@dataclass
class Finding:
    """One statement a director reads: framework (4P, STP, equity, dilemma), its section, both languages and the
    results key paths (with values) every number comes from."""

    id: str
    framework: str
    section: str
    text: str
    text_zh: str
    evidence: dict[str, Any] = field(default_factory=dict)
    n: int | None = None
    decision: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    template: Template | None = None

    @classmethod
    def of(cls, finding_id: str, framework: str, section: str, template: Template, evidence: dict[str, Any]
           | None = None, **kw: Any) -> Finding:
        """A finding from its template (rendered by the report); evidence is the slots' keys plus ``evidence``
        (values read to decide, not printed)."""
        return cls(finding_id, framework, section, template.render("en"), template.render("zh"),
                   {**(evidence or {}), **template.evidence}, template=template, **kw)

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.id, "framework": self.framework, "section": self.section, "text": self.text,
               "text_zh": self.text_zh, "evidence": dict(self.evidence), "decision": self.decision}
        if self.n is not None:
            out["n"] = int(self.n)
        out.update(self.extra)
        if self.template is not None:
            out.update(self.template.to_dict())
        return out


class Cite:
    """Collects the values a finding reads, by key path, so the evidence is exactly what was read; ``slot``
    reads a value into a named template slot, ``label`` names a word (a code, a brand) in one."""

    def __init__(self, figures: Mapping[str, Any]):
        self.figures = figures
        self.evidence: dict[str, Any] = {}
        self.slots = Slots()

    def slot(self, name: str, path: str, unit: str) -> str:
        """The placeholder of slot ``name`` holding the cited value at ``path`` (``Missing`` when absent)."""
        return self.slots(name, self(path), unit, path)

    def label(self, name: str, value: Any, unit: str = "code") -> str:
        """The placeholder of slot ``name`` holding a word: a code or segment (translated) or a brand (as is)."""
        return self.slots(name, value, unit)

    def template(self, en: str, zh: str) -> Template:
        return self.slots.template(en, zh)

    def __call__(self, path: str) -> Any:
        value = lookup(self.figures, path)
        self.evidence[path] = value
        return value

    def maybe(self, path: str) -> Any:
        """The value, or None when absent (not cited then)."""
        try:
            return self(path)
        except Missing:
            return None
