"""A saved marketing-mix model (OUT/artefacts/mix_model.json) read for budget what-ifs.

Format (docs/artefacts-demand.md, "Marketing-mix artefact"): the weekly GMV response of each channel to a steady
weekly spend ``x``: ``β · h / (1 + h)`` with ``h = (x / mean_spend / K)^s`` (a Hill curve of spend in units of the
channel's mean, after a normalised adstock, which leaves a constant spend unchanged), plus a weekly baseline GMV.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ARTEFACTS_DIR = "artefacts"
JSON_NAME = "mix_model.json"
FORMAT = "upmarket.mix_model"
CHANNEL_KEYS = ("name", "mean_spend_cny", "current_spend_cny", "beta_gmv_cny", "k", "s")


class MixModelError(ValueError):
    """The saved mix model is unreadable (the message names the file and the entry)."""


@dataclass
class Channel:
    """One channel's response curve (weekly spend in CNY → weekly incremental GMV in CNY)."""

    name: str
    mean_spend_cny: float
    current_spend_cny: float
    beta_gmv_cny: float
    k: float
    s: float

    def gmv(self, spend_cny: float) -> float:
        x = max(float(spend_cny), 0.0) / self.mean_spend_cny
        if x <= 0:
            return 0.0
        return self.beta_gmv_cny / (1.0 + (self.k / x) ** self.s)


@dataclass
class MixModel:
    """The baseline and the channels of a saved mix model."""

    baseline_gmv_cny: float
    channels: list[Channel]
    period: str = "week"

    def gmv(self, spend_cny: Mapping[str, float] | None = None) -> float:
        """Weekly GMV at a steady spend per channel (channels not named keep their current spend)."""
        spend_cny = spend_cny or {}
        return self.baseline_gmv_cny + float(np.sum([c.gmv(spend_cny.get(c.name, c.current_spend_cny))
                                                     for c in self.channels]))


def load_mix_model(out: str | Path) -> MixModel | None:
    """OUT/artefacts/mix_model.json, or None when the run has no mix model (the one reader: rewire it here)."""
    path = Path(out) / ARTEFACTS_DIR / JSON_NAME
    if not path.is_file():
        return None
    try:
        meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MixModelError(f"{path}: not valid JSON ({exc})") from exc
    if meta.get("format") != FORMAT:
        raise MixModelError(f"{path}: format {meta.get('format')!r}, expected {FORMAT!r}")
    channels = []
    for i, c in enumerate(meta.get("channels", [])):
        missing = [k for k in CHANNEL_KEYS if k not in c]
        if missing:
            raise MixModelError(f"{path}: channels[{i}] lacks {', '.join(missing)}")
        channel = Channel(str(c["name"]), *(float(c[k]) for k in CHANNEL_KEYS[1:]))
        if not channel.mean_spend_cny > 0 or not channel.k > 0:
            raise MixModelError(f"{path}: channels[{i}] ({channel.name}) needs mean_spend_cny > 0 and k > 0")
        channels.append(channel)
    return MixModel(float(meta.get("baseline_gmv_cny", 0.0)), channels, str(meta.get("period", "week")))
