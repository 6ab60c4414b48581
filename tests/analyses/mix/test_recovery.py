"""Recovery of the twin's planted ROI per channel, over several seeds, with and without lift tests."""

from __future__ import annotations

import numpy as np
import pytest

from upmarket.analyses.mix.model import fit
from upmarket.analyses.mix.plan import roi_table, unidentified
from upmarket.twin.mix import CHANNELS, mix_data, simulate_mix

SEEDS = (0, 1, 2)


@pytest.mark.slow
def test_roi_recovered_with_lift_tests_over_seeds() -> None:
    """Issue 18's target: every channel's ROI within 30 % and the 90 % intervals covering the truth, with the twin's
    8-week lift tests (twin.mix.LIFT_WEEKS), none flagged as unidentified. Seeds 3–5 are in
    benchmarks/mix_recovery.py (41 of 42 within 30 % over seeds 0–5; docs/mix.md has the table)."""
    errors, covered = [], []
    for seed in SEEDS:
        data, truth, tests = mix_data(np.random.default_rng(seed))
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


def test_mix_data_is_the_twin_series_the_model_takes() -> None:
    """twin.mix.mix_data (shared with benchmarks/mix_recovery.py): one column per planted channel, one row per week,
    the GMV the twin wrote, and one lift test per channel carrying the twin's measured values."""
    data, truth, tests = mix_data(np.random.default_rng(3))
    _, kpi, truth_again = simulate_mix(np.random.default_rng(3))
    assert set(data.channels) == set(CHANNELS) and data.spend.shape == (len(kpi), len(CHANNELS))
    assert np.allclose(data.gmv, kpi["gmv"].to_numpy(float))
    assert truth["roi"] == truth_again["roi"]
    assert [(t.channel, t.lift) for t in tests] == [(t["channel"], t["lift"]) for t in truth["lift_tests"]]
