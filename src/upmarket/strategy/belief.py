"""Rules that keep a finding believable (issue 19 item 3).

- a minimum n (``min_n``), shown with the finding; below it the finding is suppressed;
- no ranking of values whose intervals overlap: they are "level";
- a zero-width interval is not certainty: it is treated as "no interval" (the comparison falls back to "level"
  unless the points differ by more than ``rel_tol``);
- the sub-brand is never among the rivals;
- a trend needs at least two periods of the same length spanning a year (one month is not a trend).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

MIN_N = 30
"""Default minimum number of observations behind a finding (``build_strategy(min_n=...)``)."""


def has_width(ci: Sequence[float] | None) -> bool:
    """True for a real interval; a missing or zero-width one says nothing about uncertainty."""
    return ci is not None and len(ci) == 2 and float(ci[1]) - float(ci[0]) > 1e-12


def compare(a: float, a_ci: Sequence[float] | None, b: float, b_ci: Sequence[float] | None,
            rel_tol: float = 0.05) -> int:
    """+1 when a is clearly above b, -1 clearly below, 0 level.

    With intervals on both sides, clearly means the intervals do not overlap. Without (or zero-width), the points
    must differ by more than ``rel_tol`` of the larger magnitude, and then the comparison counts as weak evidence
    (the caller lowers its confidence via ``has_width``)."""
    if has_width(a_ci) and has_width(b_ci):
        if float(a_ci[0]) > float(b_ci[1]):
            return 1
        if float(a_ci[1]) < float(b_ci[0]):
            return -1
        return 0
    scale = max(abs(a), abs(b), 1e-12)
    if abs(a - b) <= rel_tol * scale:
        return 0
    return 1 if a > b else -1


def tiers(values: Mapping[str, float], cis: Mapping[str, Sequence[float]] | None) -> list[list[str]]:
    """Keys ranked from highest, grouped so that members of a group are level with the group's top (overlapping
    intervals); a ranking only between groups."""
    order = sorted(values, key=lambda k: -values[k])
    groups: list[list[str]] = []
    for k in order:
        if groups:
            top = groups[-1][0]
            if compare(values[top], (cis or {}).get(top), values[k], (cis or {}).get(k)) == 0:
                groups[-1].append(k)
                continue
        groups.append([k])
    return groups


def rivals(figures: Mapping[str, Any], brands: Sequence[str] | None = None) -> list[str]:
    """The configured competitors, never the focal brand nor a sub-brand, optionally only those in ``brands``."""
    cfg = figures.get("config", {}) or {}
    focal = figures.get("focal_brand") or cfg.get("focal_brand")
    subs = set(cfg.get("sub_brands") or [])
    comp = list(cfg.get("competitors") or [])
    if not comp and brands is not None:
        comp = list(brands)
    out = [b for b in comp if b != focal and b not in subs]
    return [b for b in out if brands is None or b in brands]


_PERIOD = re.compile(r"^(\d{4})(?:(H[12])|(Q[1-4])|-(\d{2}))?$")


def period_kind(p: str) -> str | None:
    """year, half, quarter or month for a period label; None when it is not one."""
    m = _PERIOD.match(p)
    if not m:
        return None
    return "half" if m.group(2) else "quarter" if m.group(3) else "month" if m.group(4) else "year"


def trend_periods(periods: Sequence[str]) -> list[str] | None:
    """The periods a trend may be drawn over: the coarsest kind with at least two periods spanning a year or more
    (two years, or four quarters...). None when no kind qualifies (a single period, or a few months)."""
    need = {"year": 2, "half": 3, "quarter": 5, "month": 13}
    for kind in ("year", "half", "quarter", "month"):
        ps = sorted(p for p in periods if period_kind(str(p)) == kind)
        if len(ps) >= need[kind]:
            return ps
    return None


def enough(n: Any, min_n: int) -> bool:
    """Whether a count clears the minimum."""
    try:
        return n is not None and int(n) >= min_n
    except (TypeError, ValueError):
        return False
