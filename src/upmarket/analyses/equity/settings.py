"""The ``[equity]`` options."""

from __future__ import annotations

from dataclasses import dataclass

from upmarket.analyses.equity.dimensions import DIMENSIONS
from upmarket.settings import Settings, option


def default_weights() -> dict[str, float]:
    """Equal weights on the four dimensions of the equity index."""
    return dict.fromkeys(DIMENSIONS, 0.25)


@dataclass(frozen=True)
class EquitySettings(Settings):
    """The revenue premium's benchmark, the thinnest cell shown, the index weights and the interval draws."""

    table = "equity"

    benchmark_brand: str | None = option(None, doc="the brand the revenue premium is measured against",
                                         default_doc="the first sub-brand")
    min_n: int = option(300, doc="brand changes needed for a city-tier or age-band loyalty (±0.05 at 90 % near "
                                 "one half)", unit="changes", ge=1)
    weights: dict[str, float] = option(doc="weights of the equity index by dimension (awareness, associations, "
                                           "perceived_quality, loyalty)", factory=default_weights,
                                       default_doc="0.25 each")
    draws: int = option(1000, doc="draws of the steady-state share interval", ge=1)
    seed: int = option(0, doc="random seed of the draws")
