"""The ``[launch]`` options."""

from __future__ import annotations

from dataclasses import dataclass

from upmarket.settings import Settings, option


@dataclass(frozen=True)
class LaunchSettings(Settings):
    """Where launch curves come from, what a fit needs, the analogue forecasts and the virality regression."""

    table = "launch"

    source: str = option("auto", doc="the adoption series: `auto` (tracker, else orders), `market_sales` or "
                                     "`orders`", choices=("auto", "market_sales", "orders"))
    min_points: int = option(4, doc="periods a Bass fit needs", unit="periods", ge=3)
    min_analogues: int = option(2, doc="fitted earlier launches an analogue forecast needs", ge=1)
    max_ci_ratio: float = option(2.5, doc="a fit whose p or q 90 % interval spans a wider upper/lower ratio is "
                                          "declined as not identified", gt=1)
    forecast: tuple[str, ...] = option((), doc="models to forecast from analogues even when they have sales")
    m_scale: dict[str, float] = option(doc="{model = factor} on the analogues' m", factory=dict)
    horizon: int | None = option(None, doc="periods in the forecast fan", ge=1,
                                 default_doc="8 quarters, 24 months or 52 weeks")
    fan_draws: int = option(2000, doc="draws of the forecast fan", ge=1)
    seed: int = option(0, doc="random seed of the fan")
    virality_window_weeks: float = option(13.0, doc="cascades up to this long after a launch count for it",
                                          unit="weeks", gt=0)
    min_launches: int = option(8, doc="fewer launches with cascades: the virality regression is shown with a "
                                      "warning", ge=1)
