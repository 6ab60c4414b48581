"""What every finding rule needs to know besides the figures: focal brand, sub-brands, rivals, the minimum n."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from upmarket.strategy.belief import MIN_N, rivals


class Suppress(Exception):  # noqa: N818 - a reason, not an error
    """A finding that has its data but does not deserve belief (too few observations, nothing to say)."""


PREMIUM_RIVALS = ("Apple", "Huawei")
"""The rivals the issue benchmarks the product against; others are used when these are not configured."""


@dataclass
class Context:
    figures: Mapping[str, Any]
    focal: str
    subs: list[str]
    rivals: list[str]
    min_n: int = MIN_N

    @classmethod
    def of(cls, figures: Mapping[str, Any], min_n: int | None = None) -> Context:
        cfg = figures.get("config", {}) or {}
        focal = str(figures.get("focal_brand") or cfg.get("focal_brand") or "Xiaomi")
        return cls(figures, focal, [s for s in cfg.get("sub_brands") or [] if s != focal], rivals(figures),
                   int(min_n if min_n is not None else MIN_N))

    def premium_rivals(self, present: Mapping[str, Any] | list[str]) -> list[str]:
        """Apple and Huawei when configured and present, else every rival present (never a sub-brand)."""
        have = [r for r in self.rivals if r in present]
        top = [r for r in PREMIUM_RIVALS if r in have]
        return top or have

    @property
    def sub(self) -> str | None:
        return self.subs[0] if self.subs else None
