"""The ``[pricing_plan]`` options."""

from __future__ import annotations

from dataclasses import dataclass

from upmarket.settings import Settings, option


@dataclass(frozen=True)
class PricingPlanSettings(Settings):
    """The price plan's constraints, objective, channel fees and draws."""

    table = "pricing_plan"

    floor: float = option(3999.0, doc="no planned price below this", unit="CNY", gt=0)
    cost_share: float = option(0.6, doc="unit cost as a share of the floor", gt=0, lt=1)
    sub_price: float | None = option(None, doc="the sub-brand's price on every channel", unit="CNY", gt=0,
                                     default_doc="its 90th-percentile effective price per channel, else 1999")
    ladder_gap: float = option(500.0, doc="the least gap above the sub-brand's price", unit="CNY", ge=0)
    diversion_cap: float = option(0.3, doc="the most of the sub-brand's buyers the plan may divert", ge=0, le=1)
    objective: str = option("margin", doc="what the plan maximises: `margin` (after fees and cost) or `revenue`",
                         choices=("margin", "revenue"))
    channel_spread: float = option(0.1, doc="a cell's channel prices stay within this share of the lowest", ge=0)
    channel_fee: dict[str, float] = option(doc="platform fee as a share of price, by platform", factory=dict)
    min_tier: int = option(30, doc="respondents needed for a city tier's own price sensitivity",
                           unit="respondents", ge=1)
    draws: int = option(30, doc="posterior draws of the plan's percentiles", ge=1)
    seed: int = option(0, doc="random seed of the draws")
