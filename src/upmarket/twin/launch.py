"""Launch curves: each model's lifetime units follow a Bass diffusion with planted p, q, m (weekly time).

A model launched in the observation window (2024-01-01 .. 2025-06-30) with at least four quarters in it sells
exactly m · (F(t_end) − F(t_start)) per quarter (split over memory configurations; ``market.pin_bass``), so its
quarterly units in ``market_sales`` trace its Bass curve up to integer rounding across provinces; other models
carry the market plan's quarter-to-quarter scale. ``truth.launch`` lists the models launched inside the window
with their p, q (per week; a fixed per-model jitter, or one drawn by the caller for recovery tests over planted
curves) and m (lifetime units; for a pinned launch its review-weighted size m' = m · review factor).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd


def bass_cdf(t_weeks: np.ndarray, p: np.ndarray | float, q: np.ndarray | float) -> np.ndarray:
    """Bass cumulative adoption share F(t) = (1 − e^{−(p+q)t}) / (1 + (q/p)·e^{−(p+q)t}); 0 for t ≤ 0."""
    t = np.maximum(np.asarray(t_weeks, dtype=float), 0.0)
    e = np.exp(-(np.asarray(p) + np.asarray(q)) * t)
    return (1.0 - e) / (1.0 + (np.asarray(q) / np.asarray(p)) * e)


def bass_params(models: pd.DataFrame, rng: np.random.Generator | None = None) -> pd.DataFrame:
    """Planted weekly p and q per model: flagships peak within weeks, budget phones sell for ~1.5 years.

    p + q sets how fast a model's sales fade (≈ when its successor takes over); q/p how late the peak comes.
    The jitter (±15 %) comes from ``rng`` when given (tests of recovery over different planted curves); without one,
    a fixed generator: the twin's answer key, the same for every run seed, so a seed does not move the truths that
    rest on these curves (e.g. the review → units regression, ``twin.market.REVIEW_DEMAND``).
    """
    rng = np.random.default_rng(20240618) if rng is None else rng
    jitter = rng.uniform(0.85, 1.15, size=(len(models), 2))
    price = models["min_price"].to_numpy(float)
    apple = models["brand"].eq("Apple").to_numpy()
    fold = models["foldable"].to_numpy(bool)
    cls = [apple, fold, price >= 4000, price >= 2000]
    p = np.select(cls, [0.022, 0.03, 0.025, 0.015], 0.010)
    q = np.select(cls, [0.045, 0.06, 0.075, 0.070], 0.055)
    return pd.DataFrame({"model": models["model"], "p": p * jitter[:, 0], "q": q * jitter[:, 1]})


def weekly_adoption(launch: date, p: float, q: float, m: float, weeks: int = 78) -> pd.DataFrame:
    """Expected new adopters per week since launch (week 0 starts on the launch day)."""
    t = np.arange(weeks + 1, dtype=float)
    f = bass_cdf(t, p, q)
    return pd.DataFrame({"week": pd.to_datetime(launch) + pd.to_timedelta(t[:-1] * 7, unit="D"),
                         "units": m * np.diff(f)})


def launch_truth(models: pd.DataFrame, bass: pd.DataFrame, m: pd.Series, start: date) -> dict[str, dict[str, float]]:
    """truth.launch: {model: {p, q, m}} for models launched on or after ``start``.

    ``m`` is the lifetime size that matches the model's quarterly units in market_sales (see market.py).
    """
    df = models.merge(bass, on="model")
    df["m"] = df["model"].map(m)
    df = df[pd.to_datetime(df["launch_date"]) >= pd.Timestamp(start)]
    return {r.model: {"p": float(r.p), "q": float(r.q), "m": float(r.m)} for r in df.itertuples()}


def noisy_bass_series(p: float, q: float, m: float, bounds: np.ndarray, noise: float,
                      rng: np.random.Generator) -> np.ndarray:
    """Units per period between consecutive ``bounds`` (weeks since launch) of a Bass curve, with multiplicative
    log-normal noise of sd ``noise`` and integer rounding: a pure Bass DGP for recovery tests, weekly or quarterly."""
    t = np.asarray(bounds, dtype=float)
    expected = m * np.diff(bass_cdf(t, p, q))
    return np.round(expected * np.exp(rng.normal(0.0, noise, size=expected.size) - noise**2 / 2))
