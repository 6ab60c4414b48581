"""The saved mix model (the mix_model artefact, with its draws) reproduces the fit's own steady-state numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mix_helpers import warehouse_with

from upmarket.analyses.mix import Mix
from upmarket.analyses.mix.export import mix_model_artefact, mode_vector, steady_state_gmv
from upmarket.analyses.mix.model import MixData, MixFit, fit
from upmarket.app.dashboard import mix_status, signed
from upmarket.app.mix_model import load_mix_model
from upmarket.artefacts import load_saved, save_artefact
from upmarket.config import Config

CHANNELS = ("千川", "聚光", "jd_ads")


def synthetic(seed: int, weeks: int = 104, steady_weeks: int = 0) -> MixData:
    """Weekly spend around channel means (held at the means over the last ``steady_weeks``), GMV = seasonal
    baseline + geometric adstock + Hill (no twin)."""
    rng = np.random.default_rng(seed)
    means = np.array([1.0e6, 4.0e5, 6.0e5])
    spend = means * rng.lognormal(0.0, 0.35, (weeks, 3))
    spend[weeks - steady_weeks:] = means
    decay, k, s, beta = np.array([0.4, 0.2, 0.5]), np.array([1.0, 0.7, 1.4]), np.array([1.3, 1.0, 1.8]), \
        np.array([3.0e6, 0.8e6, 1.6e6])
    x = spend / means
    ad = np.zeros_like(x)
    acc = np.zeros(3)
    for t in range(weeks):
        acc = x[t] + decay * acc
        ad[t] = acc * (1 - decay)
    t = np.arange(weeks)
    base = 1.0e7 + 8.0e5 * np.sin(2 * np.pi * t / 52)
    gmv = base + (beta / (1 + (k / ad) ** s)).sum(axis=1)
    gmv *= rng.lognormal(0, 0.01, weeks)
    return MixData(pd.date_range("2023-01-02", periods=weeks, freq="7D"), CHANNELS, spend, gmv)


@pytest.fixture(scope="module", params=[("geometric", "hill"), ("weibull", "logistic")], ids=lambda p: "-".join(p))
def fitted(request, tmp_path_factory) -> tuple[MixFit, int, object]:
    adstock, saturation = request.param
    f = fit(synthetic(1), adstock=adstock, saturation=saturation, starts=1, n_draws=300, seed=0)
    start = len(f.data.weeks) - 13
    out = tmp_path_factory.mktemp("mix_out")
    save_artefact(out, "mix_model", mix_model_artefact(f, start))
    return f, start, load_mix_model(out)


def test_reloaded_gmv_equals_the_fits_steady_state_at_current_and_changed_spend(fitted) -> None:
    f, start, model = fitted
    current = f.data.spend[start:].mean(axis=0)
    assert model.saturation == ("hill" if "log_k" in f.mode else "logistic")
    assert model.gmv() == pytest.approx(steady_state_gmv(f, current, start=start), rel=1e-6)
    for j, name in enumerate(CHANNELS):
        for factor in (0.0, 0.4, 1.7):
            moved = current.copy()
            moved[j] *= factor
            got = model.gmv({name: moved[j]})
            assert got == pytest.approx(steady_state_gmv(f, moved, start=start), rel=1e-6)
    assert model.gmv({"千川": 2 * current[0]}) != pytest.approx(model.gmv(), rel=1e-4)  # the move matters


def test_saved_draws_are_the_fits_draws(fitted) -> None:
    f, start, model = fitted
    moved = f.data.spend[start:].mean(axis=0) * np.array([1.5, 0.5, 1.0])
    got = model.gmv_draws(dict(zip(CHANNELS, moved, strict=True)))
    assert got.shape == (200,)
    for i in (0, 57, 199):
        assert got[i] == pytest.approx(steady_state_gmv(f, moved, f.draws_flat[i], start=start), rel=1e-6)
    lo, hi = model.interval()
    assert lo < model.gmv() < hi and hi - lo > 0


def test_moving_budget_toward_the_higher_marginal_roi_raises_gmv(fitted) -> None:
    f, start, model = fitted
    current = f.data.spend[start:].mean(axis=0)
    base = steady_state_gmv(f, current, start=start)
    step = 0.01 * current
    mroi = np.array([(steady_state_gmv(f, current + np.eye(3)[j] * step, start=start) - base) / step[j]
                     for j in range(3)])
    hi, lo = int(np.argmax(mroi)), int(np.argmin(mroi))
    assert mroi[hi] > mroi[lo]
    moved = 0.05 * current[lo]
    plan = {CHANNELS[hi]: current[hi] + moved, CHANNELS[lo]: current[lo] - moved}
    assert model.gmv(plan) > model.gmv()
    assert model.gmv({CHANNELS[hi]: current[hi] - moved, CHANNELS[lo]: current[lo] + moved}) < model.gmv()


def test_the_point_is_the_mode(fitted) -> None:
    f, _, model = fitted
    assert mode_vector(f).shape == f.draws_flat.shape[1:]
    assert [c.beta_gmv_cny for c in model.channels] == pytest.approx(np.exp(f.mode["log_beta"]) * f.scaling.gmv_scale)


@pytest.mark.slow
def test_the_optimisers_plan_reloaded_in_the_dashboard_gives_its_uplift_exactly(tmp_path) -> None:
    """The optimiser plans steady weekly spend on the curves of the mix_model artefact the run saves, so the
    dashboard's what-if of the optimal plan, read back from disk, is the optimiser's own number (to 1e-6), not a
    steady state that agrees with a 13-week carry-over plan within an edge effect (formerly −12 % to +1 %)."""
    data = synthetic(2, steady_weeks=20)
    long = pd.DataFrame({"week": np.repeat(data.weeks.date, 3), "channel": np.tile(CHANNELS, len(data.weeks)),
                         "spend": data.spend.ravel()})
    kpi = pd.DataFrame({"week": data.weeks.date, "gmv": data.gmv})
    opts = {"draws": 300, "starts": 1, "plan_draws": 200, "holdout_weeks": 0, "forecast_weeks": 2}
    with warehouse_with(spend=long, kpi_weekly=kpi) as wh:
        mix = Mix()
        sec = mix.run(wh, Config(analysis_options={"mix": opts}))
        save_artefact(tmp_path, "mix_model", mix.artefacts["mix_model"])
    meta = load_saved(tmp_path, "mix_model").meta
    assert meta["version"] == 2 and meta["saturation"] == "hill" and meta["n_draws"] == 200
    model = load_mix_model(tmp_path)
    opt = sec.figures["optimiser"]
    weeks = opt["weeks"]
    assert sum(c.current_spend_cny for c in model.channels) * weeks == pytest.approx(opt["current_budget"], rel=1e-6)
    alloc = sec.tables["allocation"].set_index("channel")
    plan = {c: alloc.loc[c, "optimal_spend"] / weeks for c in CHANNELS}
    gain, (lo, hi) = model.change(plan)
    assert opt["uplift"] > 0.001 * opt["expected_gmv"]  # the plan moves GMV, so the comparison can fail
    assert gain * weeks == pytest.approx(opt["uplift"], rel=1e-6)
    assert [lo * weeks, hi * weeks] == pytest.approx(opt["uplift_ci"], rel=1e-6)
    assert float(np.median(model.gmv_draws(plan))) * weeks == pytest.approx(opt["expected_gmv"], rel=1e-6)
    # the dashboard's text shows that very change
    assert f"{signed(gain)} vs current spend" in mix_status(model, plan)
    # and the allocation table's optimum is the model's optimum: no feasible shift of budget raises its mean GMV
    best = np.array([plan[c] for c in CHANNELS])
    mean_gmv = model.gmv_draws(plan).mean()
    for j in range(3):
        for k in range(3):
            if j != k:
                moved = best.copy()
                step = 0.02 * best[j]
                moved[j] -= step
                moved[k] += step
                inside = all(alloc.loc[c, "bound_low"] <= moved[i] / (alloc.loc[c, "current_spend"] / weeks)
                             <= alloc.loc[c, "bound_high"] for i, c in enumerate(CHANNELS))
                if inside:
                    assert model.gmv_draws(dict(zip(CHANNELS, moved, strict=True))).mean() <= mean_gmv * (1 + 1e-9)
