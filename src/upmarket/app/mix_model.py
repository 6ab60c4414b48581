"""A saved marketing-mix model (the ``mix_model`` artefact, OUT/artefacts/mix_model/) read for budget what-ifs.

Format (docs/artefacts-demand.md, "mix_model"): the weekly GMV response of each channel to a steady weekly
spend ``x`` (in units of the channel's mean spend; a normalised adstock leaves a constant spend unchanged) is a
saturation curve, Hill ``β / (1 + (K / x)^s)`` or (version 2) logistic ``β · tanh(λ x / 2)``, plus a weekly
baseline GMV. Version 2 may carry posterior draws of the same numbers (its arrays), which gives the what-if an interval.
A file this reader cannot reproduce (a newer version, another curve) is refused with a message, never approximated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ARTEFACT = "mix_model"
FORMAT = "upmarket.mix_model"
VERSIONS = (1, 2)
CURVE_KEYS = {"hill": ("k", "s"), "logistic": ("lam",)}
CHANNEL_KEYS = ("name", "mean_spend_cny", "current_spend_cny", "beta_gmv_cny")
LEVEL = 0.90


class MixModelError(ValueError):
    """The saved mix model is unreadable (the message names the file and the entry)."""


def response(x: np.ndarray | float, beta: np.ndarray | float, saturation: str,
             params: Mapping[str, np.ndarray | float]) -> np.ndarray:
    """Weekly GMV a channel adds at steady spend ``x`` (units of its mean spend), element-wise over draws."""
    x = np.maximum(np.asarray(x, float), 0.0)
    if saturation == "hill":
        with np.errstate(divide="ignore"):
            ratio = np.where(x > 0, np.asarray(params["k"], float) / np.where(x > 0, x, 1.0), np.inf)
        return np.asarray(beta, float) / (1.0 + ratio ** np.asarray(params["s"], float))
    return np.asarray(beta, float) * np.tanh(0.5 * np.asarray(params["lam"], float) * x)


@dataclass
class Channel:
    """One channel's response curve (weekly spend in CNY → weekly incremental GMV in CNY)."""

    name: str
    mean_spend_cny: float
    current_spend_cny: float
    beta_gmv_cny: float
    params: dict[str, float]
    saturation: str = "hill"

    @property
    def k(self) -> float:
        return self.params["k"]

    @property
    def s(self) -> float:
        return self.params["s"]

    def gmv(self, spend_cny: float) -> float:
        return float(response(float(spend_cny) / self.mean_spend_cny, self.beta_gmv_cny, self.saturation,
                              self.params))


@dataclass
class MixModel:
    """The baseline and the channels of a saved mix model, with posterior draws when the run saved them."""

    baseline_gmv_cny: float
    channels: list[Channel]
    period: str = "week"
    saturation: str = "hill"
    draws: dict[str, np.ndarray] | None = None
    """``baseline_gmv_cny`` (n,) and ``beta_gmv_cny`` plus the curve's parameters (n, channels)."""

    def spend_vector(self, spend_cny: Mapping[str, float] | None = None) -> np.ndarray:
        spend_cny = spend_cny or {}
        return np.array([float(spend_cny.get(c.name, c.current_spend_cny)) for c in self.channels])

    def gmv(self, spend_cny: Mapping[str, float] | None = None) -> float:
        """Weekly GMV at a steady spend per channel (channels not named keep their current spend)."""
        spend = self.spend_vector(spend_cny)
        return self.baseline_gmv_cny + float(np.sum([c.gmv(x) for c, x in zip(self.channels, spend, strict=True)]))

    def gmv_draws(self, spend_cny: Mapping[str, float] | None = None) -> np.ndarray | None:
        """(draws,) weekly GMV at the spend per posterior draw, or None without draws."""
        if self.draws is None:
            return None
        x = self.spend_vector(spend_cny) / np.array([c.mean_spend_cny for c in self.channels])
        params = {k: self.draws[k] for k in CURVE_KEYS[self.saturation]}
        return self.draws["baseline_gmv_cny"] + response(x[None, :], self.draws["beta_gmv_cny"], self.saturation,
                                                         params).sum(axis=1)

    def interval(self, spend_cny: Mapping[str, float] | None = None,
                 relative_to_current: bool = False) -> tuple[float, float] | None:
        """The 90 % posterior interval of weekly GMV (or of its change from the current spend), None without draws."""
        g = self.gmv_draws(spend_cny)
        if g is None:
            return None
        if relative_to_current:
            g = g - self.gmv_draws()
        lo, hi = np.quantile(g, [(1 - LEVEL) / 2, 1 - (1 - LEVEL) / 2])
        return float(lo), float(hi)


def _positive(value: Any) -> bool:
    return bool(np.all(np.isfinite(value)) and np.all(np.asarray(value) > 0))


def _check_draws(path: Path, arrays: dict[str, np.ndarray], saturation: str, n_channels: int
                 ) -> dict[str, np.ndarray]:
    arrays = {k: np.asarray(v, float) for k, v in arrays.items()}
    need = ("baseline_gmv_cny", "beta_gmv_cny", *CURVE_KEYS[saturation])
    missing = [k for k in need if k not in arrays]
    if missing:
        raise MixModelError(f"{path}: lacks {', '.join(missing)}")
    n = arrays["baseline_gmv_cny"].shape[0]
    for k in need[1:]:
        if arrays[k].shape != (n, n_channels):
            raise MixModelError(f"{path}: {k} has shape {arrays[k].shape}, expected ({n}, {n_channels})")
    return arrays


def load_mix_model(out: str | Path) -> MixModel | None:
    """The ``mix_model`` artefact of a finished run (read through the store's loader), or None when it has none."""
    from upmarket.app.demand_fit import load_saved_model

    if not (Path(out) / "artefacts" / ARTEFACT).is_dir():
        return None
    meta, arrays, path = load_saved_model(out, ARTEFACT, MixModelError, "no saved mix model")
    if meta.get("format") != FORMAT:
        raise MixModelError(f"{path}: format {meta.get('format')!r}, expected {FORMAT!r}")
    version = meta.get("version", 1)
    if version not in VERSIONS:
        raise MixModelError(f"{path}: version {version!r}; this reader knows versions "
                            f"{', '.join(map(str, VERSIONS))} (a newer upmarket wrote it?)")
    saturation = str(meta.get("saturation", "hill"))
    if saturation not in CURVE_KEYS or (version == 1 and saturation != "hill"):
        raise MixModelError(f"{path}: saturation {saturation!r} cannot be reproduced here "
                            f"(known: {', '.join(CURVE_KEYS) if version > 1 else 'hill'} in version {version})")
    channels = []
    for i, c in enumerate(meta.get("channels", [])):
        missing = [k for k in (*CHANNEL_KEYS, *CURVE_KEYS[saturation]) if k not in c]
        if missing:
            raise MixModelError(f"{path}: channels[{i}] lacks {', '.join(missing)}")
        channel = Channel(str(c["name"]), *(float(c[k]) for k in CHANNEL_KEYS[1:]),
                          params={k: float(c[k]) for k in CURVE_KEYS[saturation]}, saturation=saturation)
        if not _positive(channel.mean_spend_cny) or not all(_positive(v) for v in channel.params.values()):
            raise MixModelError(f"{path}: channels[{i}] ({channel.name}) needs mean_spend_cny > 0 and "
                                f"{', '.join(CURVE_KEYS[saturation])} > 0")
        channels.append(channel)
    draws = None
    if version >= 2 and meta.get("draws"):
        draws = _check_draws(path, arrays, saturation, len(channels))
    return MixModel(float(meta.get("baseline_gmv_cny", 0.0)), channels, str(meta.get("period", "week")),
                    saturation, draws)
