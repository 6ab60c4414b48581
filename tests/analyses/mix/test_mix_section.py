"""The mix section end to end on the twin's weekly spend and KPI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mix_helpers import warehouse_with

from upmarket.analyses.mix import Mix
from upmarket.config import Config
from upmarket.report.charts import charts_of
from upmarket.twin.mix import simulate_mix


@pytest.mark.slow
def test_section_figures_tables_charts_and_findings(findings_are_templates) -> None:
    sp, kpi, truth = simulate_mix(np.random.default_rng(3))
    opts = {"draws": 300, "starts": 1, "plan_draws": 60, "forecast_weeks": 6, "holdout_weeks": 6,
            "bounds": {"ooh": [0.9, 1.1]}, "scenarios": {"more_live": {"douyin_live": 1.5}}}
    with warehouse_with(spend=sp, kpi_weekly=kpi) as wh:
        sec = Mix().run(wh, Config(analysis_options={"mix": opts}))
    fig = sec.figures
    channels = set(truth["roi"])
    assert set(fig["roi"]) == channels == set(fig["mroi"]) == set(fig["contribution"])
    for ch in channels:
        lo, hi = fig["roi_ci"][ch]
        assert 0 < lo <= fig["roi"][ch] <= hi
        assert fig["mroi_ci"][ch][0] <= fig["mroi"][ch] <= fig["mroi_ci"][ch][1]
        assert fig["mroi"][ch] < fig["roi"][ch]  # saturating curves: the next yuan returns less than the average
    opt = fig["optimiser"]
    assert sum(opt["allocation"].values()) == pytest.approx(opt["budget"], rel=1e-4)
    assert opt["budget"] == pytest.approx(opt["current_budget"], rel=1e-6)
    alloc = sec.tables["allocation"].set_index("channel")
    assert 0.9 - 1e-6 <= 1 + alloc.loc["ooh", "change"] <= 1.1 + 1e-6
    assert opt["uplift"] >= 0 and opt["expected_gmv_ci"][0] <= opt["expected_gmv"] <= opt["expected_gmv_ci"][1]
    fc = sec.tables["forecast"]
    assert len(fc) == 6 and (fc["gmv_p05"] <= fc["gmv_p50"]).all() and (fc["gmv_p50"] <= fc["gmv_p95"]).all()
    assert pd.Timestamp(fc["week"].iloc[0]) == pd.Timestamp(kpi["week"].iloc[-1]) + pd.Timedelta(days=7)
    assert 0 <= fig["holdout"]["mape"] < 0.1 and 0 <= fig["holdout"]["coverage_90"] <= 1
    assert fig["diagnostics"]["converged"] and fig["diagnostics"]["n_weeks"] == len(kpi)
    assert set(sec.tables["scenarios"]["scenario"]) == {"current", "optimal", "more_live"}
    assert {c.name for c in charts_of(sec, "Xiaomi")} >= {"mix_roi", "mix_response_curves", "mix_forecast",
                                                         "mix_holdout"}
    assert sec.findings and all(f.text_zh for f in sec.findings)
    findings_are_templates(sec, "mix")
    assert "laplace_ess_fraction" in set(sec.tables["diagnostics"]["diagnostic"])


def test_skipped_without_an_outcome() -> None:
    sp = pd.DataFrame({"week": pd.date_range("2024-01-01", periods=3, freq="7D").date, "channel": "jd_ads",
                       "spend": [1.0, 2.0, 3.0]})
    with warehouse_with(spend=sp) as wh:
        assert "kpi_weekly" in Mix().missing(wh)
