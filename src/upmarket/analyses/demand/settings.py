"""The ``[demand]`` options (what each does: the module docstring of :mod:`upmarket.analyses.demand`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from upmarket.settings import Settings, option


@dataclass(frozen=True)
class DemandSettings(Settings):
    """The demand model's specification, its intervals, the counterfactuals and the tables it shows."""

    table = "demand"
    aliases: ClassVar[Mapping[str, str]] = {"reference": "reference_brand", "nest": "nests"}

    characteristics: tuple[str, ...] | None = option(
        None, doc="product characteristics in the utility (built-in names or numeric products columns)",
        default_doc="camera, performance, battery, foldable")
    min_units: int = option(1, doc="market_sales model rows with fewer units are left out", unit="units", ge=0)
    reference_brand: str | None = option(None, doc="the brand premia are measured against (old name `reference`)",
                                         default_doc="the first sub-brand in the data")
    nests: str = option("band", doc="nests of the nested logit: `band`, `premium`, `none` or a products column "
                                    "(old name `nest`)")
    integration_size: int = option(5, doc="Gauss–Hermite nodes per random coefficient", ge=1)
    fixed_effects: str = option("auto", doc="absorbed fixed effects (`auto`: product × period when identified)",
                                choices=("auto", "product_period", "period", "none"))
    rc: bool | None = option(None, doc="also fit the random-coefficients logit",
                             default_doc="true under product × period fixed effects")
    tastes: str = option("auto", doc="the rc model's consumer types from the conjoint's latent classes (`auto`) or "
                                     "not (`none`)", choices=("auto", "none"))
    conjoint_attributes: dict[str, Any] | None = option(
        None, doc="conjoint attribute → demand characteristic (a name, or {characteristic, levels})",
        default_doc='{camera = "camera"}')
    micro: bool = option(False, doc="experimental micro-BLP on buyer demographics from users × orders")
    micro_agents: int = option(40, doc="panel users per market of the micro-BLP", ge=1)
    draws: int = option(30, doc="parametric bootstrap draws of the figures' intervals", ge=1)
    cross_top: int = option(30, doc="products (latest period, by units) in the own/cross elasticity table", ge=1)
    review_aspects: tuple[str, ...] = option((), doc="review aspects whose scores enter as characteristics (WTP "
                                                     "per unit of net sentiment); empty: off")
    step_cny: float = option(500.0, doc="the price step of the what-if table", unit="CNY", gt=0)
    counterfactual: bool = option(True, doc="equilibrium pricing and the 国补 scenarios")
    cost_ratio: float | dict[str, float] | None = option(
        None, doc="marginal cost as a share of price: one number or {brand = ratio}",
        default_doc="recovered from the Bertrand–Nash conditions", gt=0)
    counterfactual_period: str | None = option(None, doc="the period the counterfactuals are run in",
                                               default_doc="the latest period before 2025")
