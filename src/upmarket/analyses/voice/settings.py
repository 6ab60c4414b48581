"""The ``[voice]`` options."""

from __future__ import annotations

from dataclasses import dataclass

from upmarket.settings import Settings, option

N_BOOT = 200
"""Bootstrap replicates for the voice figures' intervals."""


@dataclass(frozen=True)
class VoiceSettings(Settings):
    """Which sentiment and aspect models score the reviews, and how the figures' intervals are drawn."""

    table = "voice"

    model: str | None = option(None, doc="a saved sentiment model (.npz) instead of the packaged one",
                               default_doc="the packaged model")
    aspect_models: str | None = option(None, doc="saved aspect detectors (.npz) instead of the lexicon",
                                       default_doc="the lexicon")
    adapt_to_ratings: bool = option(False, doc="adapt the sentiment model to this dataset's star ratings first")
    domain: str = option("phone", doc="the product domain whose opinion lexicon the adaptation uses")
    n_boot: int = option(N_BOOT, doc="bootstrap replicates of the per-brand voice intervals", ge=1)
