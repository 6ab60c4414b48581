"""A channel the data cannot pin is flagged (wide interval, left out of the findings), not printed as a number."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.mix import findings
from upmarket.analyses.mix.model import LiftTest, MixData, fit
from upmarket.analyses.mix.plan import roi_table, unidentified

MEANS = np.array([1.0e6, 6.0e5])
DECAY, K, S, BETA = np.array([0.5, 0.2]), np.array([1.0, 0.8]), np.array([1.2, 1.0]), np.array([3.0e6, 1.5e6])


def _media(spend: np.ndarray) -> np.ndarray:
    """(weeks, channels) GMV each channel adds: normalised geometric adstock of spend / mean spend, then Hill."""
    x = spend / MEANS
    ad, acc = np.zeros_like(x), np.zeros(x.shape[1])
    for t in range(len(x)):
        acc = x[t] + DECAY * acc
        ad[t] = acc * (1 - DECAY)
    return BETA / (1 + (K / np.maximum(ad, 1e-12)) ** S)


def _series(seed: int, lockstep: bool, weeks: int = 80) -> tuple[MixData, np.ndarray, list[LiftTest]]:
    """Two channels; with ``lockstep`` the second's spend is a fixed share of the first's, so only their sum is
    identified. Returns the data, the true ROI and one 8-week holdout per channel (measured exactly)."""
    rng = np.random.default_rng(seed)
    spend = MEANS * rng.lognormal(0.0, 0.35, (weeks, 2))
    if lockstep:
        spend[:, 1] = spend[:, 0] * MEANS[1] / MEANS[0]
    media = _media(spend)
    gmv = (1.0e7 + media.sum(axis=1)) * rng.lognormal(0, 0.01, weeks)
    dates = pd.date_range("2023-01-02", periods=weeks, freq="7D")
    tests = []
    for j, start in enumerate((20, 50)):
        off = spend.copy()
        off[start:start + 8, j] = 0
        lift = float((media - _media(off))[:, j].sum())
        tests.append(LiftTest(("a", "b")[j], dates[start], dates[start + 7] + pd.Timedelta(days=6), lift, 0.1 * lift))
    return MixData(dates, ("a", "b"), spend, gmv), media.sum(axis=0) / spend.sum(axis=0), tests


def test_a_wide_interval_is_flagged_and_a_non_positive_low_too() -> None:
    roi = pd.DataFrame({"channel": ["a", "b", "c", "d"], "roi_low": [1.0, 1.0, 0.0, 2.0],
                        "roi_high": [3.9, 4.1, 1.0, 2.5]})
    assert unidentified(roi) == ["b", "c"]
    assert unidentified(roi, ratio=5.0) == ["c"]


def test_findings_say_a_flagged_channel_is_unidentified_and_leave_it_out_of_the_ranking() -> None:
    roi = pd.DataFrame({"channel": ["a", "b", "c"], "roi": [9.0, 3.0, 2.0], "roi_low": [1.0, 2.5, 1.5],
                        "roi_high": [40.0, 3.6, 2.6], "mroi": [2.0, 1.0, 1.5], "mroi_low": [0.5, 0.8, 1.0],
                        "mroi_high": [5.0, 1.2, 2.0]})
    alloc = pd.DataFrame({"channel": ["a", "b", "c"], "change": [0.2, -0.1, -0.1]})
    opt = {"weeks": 13, "uplift": 1e6, "uplift_ci": [1e5, 2e6], "mroi_at_optimum": {}}
    got = findings(roi, alloc, opt, {}, unidentified(roi))
    assert "do not pin the return of a" in got[0].text and "mix.roi.a" in got[0].evidence
    ranking = got[1]
    assert ranking.text.startswith("b returned the most") and "mix.roi.a" not in ranking.evidence
    # a channel label ("Douyin ads") never takes a possessive: no "{channel}'s" in any English template
    for f in got:
        assert not re.search(r"\{[a-z_]*\d*\}'s", f.template.en), f.template.en


@pytest.mark.slow
def test_channels_in_lockstep_are_flagged_and_calibrated_separate_channels_are_not() -> None:
    """Two channels whose spend moves together: the data identify only their sum, so each ROI's interval is wide
    and the flag fires. With their own spend patterns and an 8-week lift test each, both are pinned (within
    30 % of the truth, intervals covering it) and neither is flagged. (Seeds 0–3 of this fixture: lockstep widths
    3.4–15×, both channels flagged on three, one on the fourth; calibrated errors within 8 %, none flagged.)"""
    data, _true, _tests = _series(0, lockstep=True)
    roi = roi_table(fit(data, starts=1, n_draws=300, seed=0))
    assert unidentified(roi), roi
    assert (roi["roi_high"] / roi["roi_low"]).min() > 3
    data, true, tests = _series(0, lockstep=False)
    roi = roi_table(fit(data, lift_tests=tests, starts=1, n_draws=300, seed=0))
    assert unidentified(roi) == [], roi
    assert np.abs(roi["roi"].to_numpy() / true - 1).max() <= 0.3, roi
    assert ((roi["roi_low"] <= true) & (true <= roi["roi_high"])).all()
