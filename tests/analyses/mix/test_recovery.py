"""Recovery of the twin's planted ROI per channel, over several seeds, with and without lift tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.mix.model import LiftTest, MixData, fit
from upmarket.analyses.mix.plan import roi_table, unidentified
from upmarket.twin.mix import simulate_mix

SEEDS = (0, 1, 2)


def _data(seed: int) -> tuple[MixData, dict, list[LiftTest]]:
    sp, kpi, truth = simulate_mix(np.random.default_rng(seed))
    wide = sp.pivot_table(index="week", columns="channel", values="spend", aggfunc="sum")
    controls = kpi[["avg_price", "promo_days", "competitor_launch", "subsidy"]].astype(float)
    data = MixData(pd.DatetimeIndex(pd.to_datetime(wide.index)), tuple(wide.columns), wide.to_numpy(float),
                   kpi["gmv"].to_numpy(float), controls.reset_index(drop=True))
    tests = [LiftTest(t["channel"], pd.Timestamp(t["start"]), pd.Timestamp(t["end"]), t["lift"], t["lift_se"])
             for t in truth["lift_tests"]]
    return data, truth, tests


@pytest.mark.slow
def test_roi_recovered_with_lift_tests_over_seeds() -> None:
    """Issue 18's target: every channel's ROI within 30 % and the 90 % intervals covering the truth, with the twin's
    8-week lift tests (twin.mix.LIFT_WEEKS), none flagged as unidentified. Seeds 3–5 are in
    benchmarks/mix_recovery.py (41 of 42 within 30 % over seeds 0–5; docs/mix.md has the table)."""
    errors, covered = [], []
    for seed in SEEDS:
        data, truth, tests = _data(seed)
        f = fit(data, lift_tests=tests, n_draws=400, starts=2, seed=seed)
        table = roi_table(f)
        assert unidentified(table) == [], table
        for r in table.itertuples():
            errors.append(r.roi / truth["roi"][r.channel] - 1)
            covered.append(r.roi_low <= truth["roi"][r.channel] <= r.roi_high)
        assert f.diagnostics["converged"]
    errors = np.abs(errors)
    assert errors.max() <= 0.30, errors.round(2)
    assert np.median(errors) <= 0.10, errors.round(2)
    assert all(covered)
