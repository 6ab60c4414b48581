"""The Bass fit recovers planted p, q, m from pure Bass series with noise, weekly and quarterly, over seeds and DGPs."""

from __future__ import annotations

import numpy as np
import pytest

from upmarket.analyses.launch.bass import BassFitError, BassSeries, convert_rate, fit_bass
from upmarket.twin.launch import noisy_bass_series

QUARTER_WEEKS = 365.25 / 4 / 7
DGPS = {  # weekly p, q and lifetime m: a flagship that peaks within weeks, a budget phone that sells for a year
    "flagship": (0.025, 0.075, 2.0e6),
    "budget": (0.010, 0.055, 6.0e6),
    "fold": (0.030, 0.060, 4.0e5),
}


def _close(est: float, truth: float, rel: float) -> bool:
    return abs(est / truth - 1) <= rel


@pytest.mark.parametrize("dgp", sorted(DGPS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weekly_recovery(dgp: str, seed: int) -> None:
    p, q, m = DGPS[dgp]
    rng = np.random.default_rng(seed)
    bounds = np.arange(0, 61, dtype=float)  # 60 weeks from launch
    units = noisy_bass_series(p, q, m, bounds, noise=0.15, rng=rng)
    fit = fit_bass(BassSeries(bounds[:-1], bounds[1:], units, "week"))
    assert _close(fit.p, p, 0.25) and _close(fit.q, q, 0.25) and _close(fit.m, m, 0.15), (fit.p, fit.q, fit.m)
    for name in ("p", "q", "m"):
        lo, hi = fit.ci[name]
        assert lo is not None and hi is not None and lo < getattr(fit, name) < hi


@pytest.mark.parametrize("dgp", sorted(DGPS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quarterly_recovery_with_a_mid_quarter_launch(dgp: str, seed: int) -> None:
    """Eight calendar quarters, the launch 5 weeks into the first: p, q come back per quarter and convert to weeks."""
    p, q, m = DGPS[dgp]
    rng = np.random.default_rng(100 + seed)
    bounds = -5.0 + QUARTER_WEEKS * np.arange(9)
    units = noisy_bass_series(p, q, m, bounds, noise=0.05, rng=rng)
    tq = bounds / QUARTER_WEEKS
    fit = fit_bass(BassSeries(tq[:-1], tq[1:], units, "quarter"))
    pw, qw = fit.per("week")
    assert _close(pw, p, 0.25) and _close(qw, q, 0.25) and _close(fit.m, m, 0.15), (pw, qw, fit.m)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_left_censored_series_with_a_known_launch(seed: int) -> None:
    """Sales seen only from week 6 on, launch date known: the first period starts at t = 6 and p, q, m come back."""
    p, q, m = DGPS["budget"]
    rng = np.random.default_rng(200 + seed)
    bounds = np.arange(6, 71, dtype=float)
    units = noisy_bass_series(p, q, m, bounds, noise=0.1, rng=rng)
    fit = fit_bass(BassSeries(bounds[:-1], bounds[1:], units, "week"))
    assert _close(fit.p, p, 0.25) and _close(fit.q, q, 0.25) and _close(fit.m, m, 0.15), (fit.p, fit.q, fit.m)


def test_left_censored_series_without_a_launch_date_gives_the_remaining_market() -> None:
    """No launch date: the fit is the Bass curve of the market left at the first period, p' = p + qF₀,
    q' = q(1 − F₀), m' = m(1 − F₀), which is what the data identify (no offset can be fitted)."""
    from upmarket.analyses.launch.bass import bass_cdf

    p, q, m = DGPS["budget"]
    bounds = np.arange(6, 71, dtype=float)
    units = noisy_bass_series(p, q, m, bounds, noise=0.05, rng=np.random.default_rng(9))
    local = bounds - bounds[0]
    fit = fit_bass(BassSeries(local[:-1], local[1:], units, "week", remaining_market=True))
    f0 = float(bass_cdf(np.array([6.0]), p, q)[0])
    assert fit.remaining_market
    assert _close(fit.p, p + q * f0, 0.25) and _close(fit.q, q * (1 - f0), 0.25) and _close(fit.m, m * (1 - f0), 0.15)


def test_profile_intervals_cover_the_truth_in_most_runs() -> None:
    """90 % profile intervals on 20 noisy weekly series: coverage of q well above half and not trivially wide."""
    p, q, m = DGPS["flagship"]
    bounds = np.arange(0, 41, dtype=float)
    covered, widths = 0, []
    for seed in range(20):
        units = noisy_bass_series(p, q, m, bounds, noise=0.2, rng=np.random.default_rng(300 + seed))
        fit = fit_bass(BassSeries(bounds[:-1], bounds[1:], units, "week"))
        lo, hi = fit.ci["q"]
        covered += lo is not None and hi is not None and lo <= q <= hi
        widths.append((hi - lo) / q if lo is not None and hi is not None else np.inf)
    assert covered >= 14
    assert np.median(widths) < 0.6


def test_too_short_a_series_says_why() -> None:
    with pytest.raises(BassFitError, match="3 period"):
        fit_bass(BassSeries([0, 1, 2], [1, 2, 3], [5, 9, 12], "week"))


def test_a_series_that_never_turns_cannot_pin_m() -> None:
    """Five weeks of rising sales: the data cannot bound the market size, and the interval says so."""
    p, q, m = DGPS["budget"]
    bounds = np.arange(0, 6, dtype=float)
    units = noisy_bass_series(p, q, m, bounds, noise=0.05, rng=np.random.default_rng(5))
    fit = fit_bass(BassSeries(bounds[:-1], bounds[1:], units, "week"))
    lo, hi = fit.ci["m"]
    assert hi is None or hi / max(lo or 1.0, 1.0) > 10


def test_rates_convert_between_units() -> None:
    assert convert_rate(0.02, "week", "quarter") == pytest.approx(0.02 * QUARTER_WEEKS)
    assert convert_rate(convert_rate(0.3, "quarter", "month"), "month", "quarter") == pytest.approx(0.3)
