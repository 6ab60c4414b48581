"""The ``[funnel]`` options."""

from __future__ import annotations

from dataclasses import dataclass

from upmarket.settings import Settings, option


@dataclass(frozen=True)
class FunnelSettings(Settings):
    """How the funnel is computed: the journey window, the bootstrap, which parts run and on which engine."""

    table = "funnel"

    window_days: int = option(7, doc="a visit counts towards a purchase on another platform within this many days",
                              unit="days", ge=1)
    bootstrap: int = option(400, doc="day-bootstrap replicates for the rates' intervals (0: none)", ge=0)
    seed: int = option(0, doc="random seed of the bootstrap")
    stages: bool = option(True, doc="weekly consumer stages and transitions (needs events)")
    paths: bool = option(True, doc="cross-platform paths and seeding counts (needs events)")
    engine: str = option("duckdb", doc="the engine that counts: `duckdb`, or `spark` (needs pyspark and Java)",
                         choices=("duckdb", "spark"))
