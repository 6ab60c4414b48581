"""The ``[mix]`` options (``ADSTOCKS``/``SATURATIONS`` mirror :mod:`upmarket.analyses.mix.model`, which imports
JAX; a test keeps them equal)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from upmarket.settings import Settings, option

ADSTOCKS = ("geometric", "weibull")
SATURATIONS = ("hill", "logistic")


@dataclass(frozen=True)
class MixSettings(Settings):
    """The MMM's specification and fit, the lift tests, the budget planner and the forecast."""

    table = "mix"

    adstock: str = option("geometric", doc="carry-over shape of spend", choices=ADSTOCKS)
    saturation: str = option("hill", doc="diminishing-returns curve of spend", choices=SATURATIONS)
    harmonics: int = option(2, doc="Fourier pairs of the yearly seasonality", ge=0)
    starts: int = option(3, doc="optimiser starts of the MAP fit", ge=1)
    draws: int = option(1000, doc="Laplace posterior draws", ge=1)
    seed: int = option(0, doc="random seed of the fit, the draws and the forecast")
    lift_tests: tuple[dict[str, Any], ...] = option((), doc="`[[mix.lift_tests]]` tables: channel, start, end, "
                                                           "lift (CNY) and lift_se")
    lift_tests_file: str = option("lift_tests.csv", doc="more lift tests, a CSV in the dataset folder")
    plan_weeks: int = option(13, doc="weeks the budget plan covers", unit="weeks", ge=1)
    plan_draws: int = option(200, doc="posterior draws the planner averages over", ge=1)
    default_bounds: tuple[float, ...] = option((0.5, 2.0), doc="[low, high] spend of every channel, as multiples "
                                                             "of its current spend", ge=0)
    bounds: dict[str, tuple[float, ...]] = option(doc="per-channel [low, high] multiples (`jd_ads = [0.8, 1.5]`)",
                                                  factory=dict)
    budget: float | None = option(None, doc="the total budget the plan allocates", unit="CNY", ge=0,
                                  default_doc="the current spend")
    target_mroi: float | None = option(None, doc="instead of a budget, spend until the marginal ROI falls to this")
    curve_max: float = option(2.5, doc="the response curves run to this multiple of current spend", gt=0)
    scenarios: dict[str, dict[str, float]] = option(doc="hand-made plans: `[mix.scenarios.NAME] channel = multiple`",
                                                    factory=dict)
    forecast_weeks: int = option(13, doc="weeks forecast (at most 52)", unit="weeks", ge=1, le=52)
    planned_spend: dict[str, float] = option(doc="weekly spend per channel in the forecast", unit="CNY per week",
                                             factory=dict, default_doc="each channel's mean of the last 13 weeks")
    fee_channels: dict[str, dict[str, Any]] = option(
        doc="`[mix.fee_channels.CHANNEL]` the posts a fee channel bought: platform, creator_type, format, creators",
        factory=dict, default_doc="read from the channel's name (`*_kol`, `*_live`)")
    holdout_weeks: int = option(8, doc="weeks held out to check the fit's forecasts", unit="weeks", ge=0)
