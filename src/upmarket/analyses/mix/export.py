"""Save a fitted mix model's steady-state response so the dashboard's budget what-ifs are the model's own numbers.

At a spend held constant week after week, both adstocks the model fits (geometric ``(1-λ)·Σ λ^l x``, Weibull
weights normalised to one) return the spend itself, so the weekly GMV is the baseline plus each channel's
saturation curve of its spend (in units of the channel's mean spend): the decay parameters drop out and only the
curve parameters, the spend scale and a baseline are saved. The curve is the Hill ``β / (1 + (K / x)^s)`` or the
logistic ``β · tanh(λ x / 2)``; format version 2 (docs/artefacts-demand.md) names which. The baseline is the mean
weekly baseline (trend, season, events, controls) over the optimiser's window of recent weeks, whose mean weekly
spend is the "current" spend. Alongside the point (the posterior mode), ``DRAWS`` Laplace draws of the same
quantities go into an npz so the dashboard can show an interval. Reader: :mod:`upmarket.app.mix_model`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from upmarket.analyses.mix.data import lift_tests_path
from upmarket.analyses.mix.model import MAX_LAG, MixFit, baseline_of, media, unflatten
from upmarket.artefacts import Artefact, SavedModel

if TYPE_CHECKING:
    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

FORMAT = "upmarket.mix_model"
VERSION = 2
DRAWS = 200
"""Posterior draws saved for the dashboard's interval (a few kB per channel)."""


def mode_vector(f: MixFit) -> np.ndarray:
    """The posterior mode as one flat vector in the fit's layout (the point the saved numbers are taken at)."""
    return np.concatenate([np.atleast_1d(np.asarray(f.mode[name], float)) for name, _ in f.layout])


def _curves(f: MixFit, flat: np.ndarray) -> dict[str, np.ndarray]:
    """(rows, channels) curve parameters in CNY for flat parameter rows: β in GMV CNY, K in mean-spend units, s or λ."""
    rows = np.atleast_2d(flat)
    out: dict[str, list[np.ndarray]] = {}
    for v in rows:
        p = unflatten(v, f.layout)
        out.setdefault("beta_gmv_cny", []).append(np.exp(np.asarray(p["log_beta"])) * f.scaling.gmv_scale)
        if "log_k" in p:
            out.setdefault("k", []).append(np.exp(np.asarray(p["log_k"])))
            out.setdefault("s", []).append(np.exp(np.asarray(p["log_s"])))
        else:
            out.setdefault("lam", []).append(np.exp(np.asarray(p["log_lam"])))
    return {k: np.array(v) for k, v in out.items()}


def _baselines(f: MixFit, flat: np.ndarray, start: int) -> np.ndarray:
    """(rows,) mean weekly baseline GMV (CNY) over weeks ``start:`` of the fit for flat parameter rows."""
    weeks = f.data.weeks[start:]
    base, _ = f.scaling.baseline(weeks, f.data.controls.iloc[start:].reset_index(drop=True))
    with jax.enable_x64(True):
        b = [np.asarray(baseline_of(unflatten(jnp.asarray(v), f.layout), jnp.asarray(base))).mean()
             for v in np.atleast_2d(flat)]
    return np.array(b) * f.scaling.gmv_scale


def steady_state_gmv(f: MixFit, weekly_spend: np.ndarray, flat: np.ndarray | None = None, start: int = 0) -> float:
    """The fit's own weekly GMV at a spend held at ``weekly_spend`` (channels, CNY) long enough for the adstock to
    settle, at parameters ``flat`` (default the mode): the mean baseline over weeks ``start:`` plus the model's
    media term in its last week. Independent of the export's closed form, so tests can check one with the other."""
    vec = mode_vector(f) if flat is None else np.asarray(flat, float)
    p = unflatten(vec, f.layout)
    if f.adstock == "geometric":
        decay = float(np.max(1 / (1 + np.exp(-np.asarray(p["logit_decay"])))))
        n = MAX_LAG if decay <= 0 else int(min(max(math.ceil(math.log(1e-13) / math.log(decay)), MAX_LAG), 4000))
    else:
        n = MAX_LAG + 1
    x = np.tile(np.asarray(weekly_spend, float) / f.scaling.spend_scale, (n, 1))
    with jax.enable_x64(True):
        contrib = np.asarray(media(unflatten(jnp.asarray(vec), f.layout), jnp.asarray(x), f.adstock))[-1]
    return float(_baselines(f, vec, start)[0] + contrib.sum() * f.scaling.gmv_scale)


def mix_model_artefact(f: MixFit, start: int, n_draws: int = DRAWS) -> SavedModel:
    """The steady-state model of fit ``f`` with the recent window beginning at week index ``start``."""
    saturation = "hill" if "log_k" in f.mode else "logistic"
    point = _curves(f, mode_vector(f))
    current = f.data.spend[start:].mean(axis=0)
    channels = []
    for j, name in enumerate(f.data.channels):
        row = {"name": name, "mean_spend_cny": float(f.scaling.spend_scale[j]), "current_spend_cny": float(current[j]),
               "beta_gmv_cny": float(point["beta_gmv_cny"][0, j])}
        row.update({k: float(point[k][0, j]) for k in (("k", "s") if saturation == "hill" else ("lam",))})
        channels.append(row)
    draws = f.draws_flat[:n_draws]
    arrays = {k: v for k, v in _curves(f, draws).items()} if len(draws) else {}
    if arrays:
        arrays["baseline_gmv_cny"] = _baselines(f, draws, start)
    weeks = f.data.weeks
    meta = {"format": FORMAT, "version": VERSION, "period": "week", "saturation": saturation,
            "baseline_gmv_cny": float(_baselines(f, mode_vector(f), start)[0]),
            "baseline_weeks": [str(weeks[start].date()), str(weeks[-1].date())],
            "point": "posterior mode", "adstock": f.adstock, "draws": bool(arrays),
            "n_draws": len(draws) if arrays else 0, "channels": channels}
    return SavedModel(meta, arrays)


def _lift_test_file(warehouse: Warehouse, config: Config) -> list[Path]:
    """The lift-test CSV the fit reads beside the tables (its contents belong in the mix_model key)."""
    path = lift_tests_path(warehouse, config.settings("mix"))
    return [path] if path is not None else []


MIX_MODEL = Artefact(
    "mix_model", None, reads=("spend", "kpi_weekly", "orders", "products"), settings=("mix",),
    files=_lift_test_file,
    doc="the fitted mix model's steady-state response curves and draws, for budget what-ifs (`upmarket serve`); "
        "its key also covers the dataset folder's lift-test file (`lift_tests_file`)")
