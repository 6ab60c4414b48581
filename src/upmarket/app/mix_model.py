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
        return self.draws["baseline_gmv_cny"] + self.media_draws(spend_cny).sum(axis=1)

    def media_draws(self, spend_cny: Mapping[str, float] | None = None) -> np.ndarray:
        """(draws, channels) weekly GMV each channel adds at a steady spend; the point as one row without draws."""
        x = self.spend_vector(spend_cny) / np.array([c.mean_spend_cny for c in self.channels])
        if self.draws is None:
            return np.array([[c.gmv(v * c.mean_spend_cny) for c, v in zip(self.channels, x, strict=True)]])
        params = {k: self.draws[k] for k in CURVE_KEYS[self.saturation]}
        return response(x[None, :], self.draws["beta_gmv_cny"], self.saturation, params)

    def change(self, spend_cny: Mapping[str, float] | None = None) -> tuple[float, tuple[float, float] | None]:
        """Weekly GMV a steady plan adds over the current spend: the median over the posterior draws of the paired
        change (the point's change without draws) and its 90 % interval. The mix optimiser's ``uplift`` is this
        number times its weeks, so the dashboard and results.json agree exactly."""
        if self.draws is None:
            return self.gmv(spend_cny) - self.gmv(), None
        diff = self.media_draws(spend_cny).sum(axis=1) - self.media_draws().sum(axis=1)
        lo, mid, hi = np.quantile(diff, [(1 - LEVEL) / 2, 0.5, 1 - (1 - LEVEL) / 2])
        return float(mid), (float(lo), float(hi))

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


def _check_draws(where: str, arrays: Mapping[str, np.ndarray], saturation: str,
                 n_channels: int) -> dict[str, np.ndarray]:
    need = ("baseline_gmv_cny", "beta_gmv_cny", *CURVE_KEYS[saturation])
    missing = [k for k in need if k not in arrays]
    if missing:
        raise MixModelError(f"{where}: lacks {', '.join(missing)}")
    n = np.asarray(arrays["baseline_gmv_cny"]).shape[0]
    for k in need[1:]:
        if np.shape(arrays[k]) != (n, n_channels):
            raise MixModelError(f"{where}: {k} has shape {np.shape(arrays[k])}, expected ({n}, {n_channels})")
    return {k: np.asarray(v, float) for k, v in arrays.items()}


def load_mix_model(out: str | Path) -> MixModel | None:
    """The ``mix_model`` artefact of a finished run (read through the store's loader), or None when it has none."""
    from upmarket.app.demand_fit import load_saved_model

    if not (Path(out) / "artefacts" / ARTEFACT).is_dir():
        return None
    meta, arrays, path = load_saved_model(out, ARTEFACT, MixModelError, "no saved mix model")
    draws = arrays if meta.get("version", 1) >= 2 and meta.get("draws") else None
    return mix_model_from(meta, draws, str(path), str(path))


def mix_model_from(meta: Mapping[str, Any], draws: Mapping[str, np.ndarray] | None = None, where: str = ARTEFACT,
                   draws_where: str = "") -> MixModel:
    """The model from the saved JSON's contents and the npz's arrays, checked: the mix analysis's optimiser builds it
    from the very numbers it saves, so its plans and the dashboard's what-ifs are one computation."""
    if meta.get("format") != FORMAT:
        raise MixModelError(f"{where}: format {meta.get('format')!r}, expected {FORMAT!r}")
    version = meta.get("version", 1)
    if version not in VERSIONS:
        raise MixModelError(f"{where}: version {version!r}; this reader knows versions "
                            f"{', '.join(map(str, VERSIONS))} (a newer upmarket wrote it?)")
    saturation = str(meta.get("saturation", "hill"))
    if saturation not in CURVE_KEYS or (version == 1 and saturation != "hill"):
        raise MixModelError(f"{where}: saturation {saturation!r} cannot be reproduced here "
                            f"(known: {', '.join(CURVE_KEYS) if version > 1 else 'hill'} in version {version})")
    channels = []
    for i, c in enumerate(meta.get("channels", [])):
        missing = [k for k in (*CHANNEL_KEYS, *CURVE_KEYS[saturation]) if k not in c]
        if missing:
            raise MixModelError(f"{where}: channels[{i}] lacks {', '.join(missing)}")
        channel = Channel(str(c["name"]), *(float(c[k]) for k in CHANNEL_KEYS[1:]),
                          params={k: float(c[k]) for k in CURVE_KEYS[saturation]}, saturation=saturation)
        if not _positive(channel.mean_spend_cny) or not all(_positive(v) for v in channel.params.values()):
            raise MixModelError(f"{where}: channels[{i}] ({channel.name}) needs mean_spend_cny > 0 and "
                                f"{', '.join(CURVE_KEYS[saturation])} > 0")
        channels.append(channel)
    checked = None
    if version >= 2 and draws:
        checked = _check_draws(draws_where or f"{where} draws", draws, saturation, len(channels))
    return MixModel(float(meta.get("baseline_gmv_cny", 0.0)), channels, str(meta.get("period", "week")),
                    saturation, checked)
