"""The ``[spread]`` options."""

from __future__ import annotations

from dataclasses import dataclass

from upmarket.settings import Settings, option


@dataclass(frozen=True)
class SpreadSettings(Settings):
    """How many cascades the headline figures summarise and how their intervals are drawn."""

    table = "spread"

    top_posts: int = option(100, doc="the headline cascade measures are over the largest this many posts", ge=1)
    bootstrap: int = option(400, doc="bootstrap replicates of the creator ROI intervals", ge=0)
    seed: int = option(0, doc="random seed of the bootstrap")
