"""The ``[segments]`` options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from upmarket.choice.latent import PRICE_NODES
from upmarket.settings import Settings, option


@dataclass(frozen=True)
class SegmentsSettings(Settings):
    """The latent-class fit, the reference brand, the mixed logit and the behavioural clustering."""

    table = "segments"
    aliases: ClassVar[Mapping[str, str]] = {"reference": "reference_brand"}

    max_classes: int = option(6, doc="the most latent classes tried (the BIC picks among 1..max_classes)", ge=1)
    n_starts: int = option(3, doc="random starts of each latent-class fit", ge=1)
    seed: int = option(0, doc="random seed of the starts, the mixed logit and the clustering")
    price_nodes: int = option(PRICE_NODES, doc="Gauss–Hermite nodes of the within-class price spread (0: one α per "
                                               "class)", ge=0)
    covariates: tuple[str, ...] = option(("city_tier", "age_band", "gender"),
                                         doc="users columns that shift class shares (empty: constant shares)")
    reference_brand: str | None = option(None, doc="the brand WTP is measured against (old name `reference`)",
                                         default_doc="the sub-brand, else the focal brand")
    min_group: int = option(30, doc="respondents needed for a per-group WTP", unit="respondents", ge=1)
    mixed_draws: int = option(50, doc="draws of the mixed logit (0: no mixed logit)", ge=0)
    n_targets: int = option(2, doc="segments recommended as targets", ge=1)
    max_k: int = option(6, doc="the most behavioural clusters tried (no conjoint)", ge=2)
    n_boot: int = option(10, doc="bootstrap replicates of the clustering's stability", ge=1)
