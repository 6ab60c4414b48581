"""Launch benchmark: the Bass fit (NLS on per-period increments, profile intervals) against Bass's own 1969
estimator, the OLS regression S_t = a + b·Y_{t−1} + c·Y²_{t−1} on the same series, in the same run.

Series: pure Bass curves with log-normal noise (``twin.launch.noisy_bass_series``), three DGPs (flagship, budget,
foldable), weekly (52 weeks from launch, 15 % noise) and quarterly (6 quarters, launch 5 weeks into the first, 5 %
noise), ``seeds`` seeds each. Printed per cadence: the share of series with p and q within 25 % and m within 15 %,
median |log error|, the 90 % interval coverage of q (ours; the OLS has none on p, q, m directly), and the fit time
per series of each method (ours with and without intervals).

    python benchmarks/launch.py [seeds]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from upmarket.analyses.launch.bass import BassFitError, BassSeries, fit_bass
from upmarket.twin.launch import noisy_bass_series

DGPS = {"flagship": (0.025, 0.075, 2.0e6), "budget": (0.010, 0.055, 6.0e6), "fold": (0.030, 0.060, 4.0e5)}
QUARTER_WEEKS = 365.25 / 4 / 7


def ols_bass(units: np.ndarray) -> tuple[float, float, float] | None:
    """Bass (1969): regress sales on lagged cumulative sales and its square; p, q, m from the roots. None when the
    quadratic has no positive market size (it often fails on short or noisy series)."""
    y_prev = np.concatenate([[0.0], np.cumsum(units)[:-1]])
    x = np.column_stack([np.ones_like(y_prev), y_prev, y_prev**2])
    a, b, c = np.linalg.lstsq(x, units, rcond=None)[0]
    if c >= 0:
        return None
    disc = b * b - 4 * a * c
    if disc < 0:
        return None
    m = (-b - np.sqrt(disc)) / (2 * c)
    if m <= 0:
        return None
    p = a / m
    return float(p), float(-c * m), float(m)


def _score(est: list[tuple[float, float, float] | None], truth: list[tuple[float, float, float]]) -> dict[str, float]:
    ok = [(e, t) for e, t in zip(est, truth, strict=True) if e is not None and min(e) > 0]
    within = np.mean([abs(e[0] / t[0] - 1) < 0.25 and abs(e[1] / t[1] - 1) < 0.25 and abs(e[2] / t[2] - 1) < 0.15
                      if e is not None and min(e) > 0 else False for e, t in zip(est, truth, strict=True)])
    err = np.array([[abs(np.log(e[i] / t[i])) for i in range(3)] for e, t in ok]) if ok else np.full((1, 3), np.nan)
    return {"all_within": float(within), "failed": len(est) - len(ok),
            **{f"median_abs_log_err_{k}": float(np.median(err[:, i])) for i, k in enumerate("pqm")}}


def run(cadence: str, seeds: int) -> dict[str, dict[str, float]]:
    ours, ours_pt, ols, truth, covered = [], [], [], [], 0
    t_ci = t_pt = t_ols = 0.0
    for i, (p, q, m) in enumerate(DGPS.values()):
        for seed in range(seeds):
            rng = np.random.default_rng([i, seed, cadence == "week"])
            if cadence == "week":
                bounds, noise, scale = np.arange(0, 53, dtype=float), 0.15, 1.0
            else:
                bounds, noise, scale = -5.0 + QUARTER_WEEKS * np.arange(7), 0.05, QUARTER_WEEKS
            units = noisy_bass_series(p, q, m, bounds, noise, rng)
            t = bounds / scale
            series = BassSeries(t[:-1], t[1:], units, cadence)
            truth.append((p * scale, q * scale, m))
            t0 = time.perf_counter()
            try:
                fit = fit_bass(series)
                ours.append((fit.p, fit.q, fit.m))
                lo, hi = fit.ci["q"]
                covered += lo is not None and hi is not None and lo <= q * scale <= hi
            except BassFitError:
                ours.append(None)
            t_ci += time.perf_counter() - t0
            t0 = time.perf_counter()
            try:
                fit = fit_bass(series, intervals=False)
                ours_pt.append((fit.p, fit.q, fit.m))
            except BassFitError:
                ours_pt.append(None)
            t_pt += time.perf_counter() - t0
            t0 = time.perf_counter()
            ols.append(ols_bass(units))  # regression on whole periods from t = 0: the mid-quarter launch ignored
            t_ols += time.perf_counter() - t0
    n = len(truth)
    return {"ours": {**_score(ours, truth), "q_ci_coverage": covered / n, "ms_per_fit_with_intervals": 1e3 * t_ci / n,
                     "ms_per_point_fit": 1e3 * t_pt / n},
            "bass_1969_ols": {**_score(ols, truth), "ms_per_fit": 1e3 * t_ols / n}}


def main(scale: float = 1.0) -> dict:
    seeds = max(2, round(20 * scale))
    out = {}
    for cadence in ("week", "quarter"):
        res = run(cadence, seeds)
        out[cadence] = res
        print(f"{cadence}: {len(DGPS)} DGPs × {seeds} seeds")
        for method, r in res.items():
            print(f"  {method:14s} " + "  ".join(f"{k}={v:.3g}" for k, v in r.items()))
    return out


if __name__ == "__main__":
    main(float(sys.argv[1]) / 20 if len(sys.argv) > 1 else 1.0)
