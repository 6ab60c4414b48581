"""The saved demand fit (analyses/demand/export.py) reloaded without pyblp (app/demand_fit.py): shares at observed
prices match the fit's, shares under new prices match pyblp's own re-solve, and a price rise moves the right way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_fe_iv import planted_fe_market

from upmarket.analyses.demand import DemandModel
from upmarket.analyses.demand.counterfactual import price_rise
from upmarket.analyses.demand.data import PRICE_UNIT
from upmarket.analyses.demand.export import demand_fit_artefact
from upmarket.app.demand_fit import DemandFitError, load_demand_fit
from upmarket.artefacts import SavedModel, save_artefact


def saved(fit, tmp_path, **kw):
    save_artefact(tmp_path, "demand_fit", demand_fit_artefact(fit, focal_brand="Xiaomi", sub_brands=("Redmi",), **kw))
    return load_demand_fit(tmp_path)


def market(seed: int) -> pd.DataFrame:
    df = planted_fe_market(seed, n_periods=3, n_regions=5, per_brand=3)
    df["maker"] = df["brand"].replace({"Redmi": "Xiaomi"})
    return df


@pytest.mark.parametrize(("kind", "fixed_effects", "seed"), [
    ("logit", "product_period", 0), ("nested", "product_period", 1), ("rc", "product_period", 2),
    ("logit", "none", 3), ("nested", "period", 4), ("rc", "none", 5)])
def test_reloaded_fit_reproduces_pyblp_shares(kind, fixed_effects, seed, tmp_path):
    """Observed prices: the fit's shares within 1e-6; a 300 CNY rise on one model in every market: pyblp's
    ``compute_shares`` at the new prices within 1e-6 (each kind, FE-IV and characteristic-IV)."""
    fit = DemandModel(kind=kind, characteristics=("camera",), fixed_effects=fixed_effects,
                      integration_size=5).fit(market(seed))
    loaded = saved(fit, tmp_path)
    want = np.asarray(fit.results.compute_shares(), float).ravel()
    assert np.max(np.abs(loaded.shares() - want)) < 1e-6
    prices = fit.data["prices"].to_numpy(float).copy()
    hit = (fit.data["model"] == "Xiaomi 1").to_numpy()
    prices[hit] += 0.3
    moved = np.asarray(fit.results.compute_shares(prices=prices[:, None]), float).ravel()
    got = loaded.shares(prices * PRICE_UNIT)
    assert np.max(np.abs(got - moved)) < 1e-6
    assert np.max(np.abs(moved - want)) > 1e-4  # the check above compares a real move, not two copies


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_price_rise_loses_units_to_rivals_and_matches_the_analysis_counterfactual(seed, tmp_path):
    """A 500 CNY rise on a Xiaomi model: Xiaomi's units fall, every rival's and the outside good's rise, diversion
    sums to one (the moved brand's row holds its other models' gains), and the units lost and the brand gains are
    the analysis' own ``price_rise`` numbers."""
    fit = DemandModel(kind="nested", characteristics=("camera",)).fit(market(seed))
    loaded = saved(fit, tmp_path)
    sim = loaded.simulate({"Xiaomi 2": 500.0})
    assert sim.loc["Xiaomi", "units_change"] < 0
    for other in ("Redmi", "Apple", "outside"):
        assert sim.loc[other, "units_change"] > 0
    assert sim["diversion"].sum() == pytest.approx(1.0, abs=1e-9)  # Xiaomi's row: its other models' gains
    assert sim.loc["Xiaomi", "diversion"] > 0
    ref = price_rise(fit, "Xiaomi 2", 500.0)
    assert sim.attrs["units_lost"] == pytest.approx(ref["units_lost"], rel=1e-6)
    for brand in ("Redmi", "Apple", "outside"):
        assert sim.loc[brand, "units_change"] == pytest.approx(ref[f"to_{brand}"], rel=1e-6)
    assert sim.loc["Redmi", "diversion"] > 0  # the sub-brand's share of the loss: the cannibalisation shown


def test_margins_from_config_costs_and_a_region_filter(tmp_path):
    fit = DemandModel(kind="logit", characteristics=("camera",)).fit(market(6))
    loaded = saved(fit, tmp_path, cost_ratio=0.5)
    assert loaded.meta["cost_source"].startswith("config")
    base = loaded.simulate({})
    assert base["units_change"].abs().max() < 1e-9
    period = sorted(fit.data["period"].unique())[-1]
    last = fit.data[fit.data["period"] == period]
    want = (last["prices_cny"] * 0.5 * np.asarray(fit.results.compute_shares()).ravel()[last.index]
            * last["potential_units"]).groupby(last["brand"]).sum()
    assert base.loc["Apple", "margin_cny"] == pytest.approx(want["Apple"], rel=1e-6)
    one = loaded.simulate({"Apple 0": 200.0}, regions=["R0"])
    assert one.attrs["markets"] == 1
    assert one.loc["Apple", "units"] < base.loc["Apple", "units"] / 2  # one region of five


def test_missing_or_foreign_artefact_is_a_clear_error(tmp_path):
    with pytest.raises(DemandFitError, match="no saved demand fit"):
        load_demand_fit(tmp_path)
    save_artefact(tmp_path, "demand_fit", SavedModel({"format": "other"}, {}))
    with pytest.raises(DemandFitError, match=r"demand_fit/artefact\.json: format 'other'"):
        load_demand_fit(tmp_path)


def test_cost_override_and_a_price_band_view(tmp_path):
    """A cost ratio given at simulation time replaces the saved (FOC) costs; the band view keeps the chosen band's
    brands and folds the rest into one row, the units and the diversion still adding up."""
    fit = DemandModel(kind="logit", characteristics=("camera",)).fit(market(7))
    loaded = saved(fit, tmp_path)
    assert loaded.meta["cost_source"].startswith("recovered")
    foc = loaded.simulate({})
    half = loaded.simulate({}, cost_ratio=0.5)
    assert not np.allclose(foc["margin_cny"].dropna(), half["margin_cny"].dropna())
    units_by_brand = half["units"].drop("outside")
    share = half["share_inside"].drop("outside")
    assert share.sum() == pytest.approx(1.0) and share["Apple"] == pytest.approx(
        units_by_brand["Apple"] / units_by_brand.sum())
    band = loaded.simulate({"Apple 0": 300.0}, bands=["hi"])
    assert "other bands" in band.index and "Redmi" not in band.index  # Redmi's models sit in the low band
    whole = loaded.simulate({"Apple 0": 300.0})
    assert band["units"].sum() == pytest.approx(whole["units"].sum())
    assert band["diversion"].sum() == pytest.approx(1.0)


def test_a_fit_that_cannot_be_saved_is_a_warning_not_a_failure():
    """The demand figures stand without the artefact: a bad cost ratio leaves no artefact and says why."""
    from upmarket.analyses.demand.export import saved_fit

    fit = DemandModel(kind="logit", characteristics=("camera",)).fit(market(8))
    warnings: list[str] = []
    assert saved_fit(fit, warnings, focal_brand="Xiaomi", cost_ratio=1.5) is None
    assert len(warnings) == 1 and "could not be saved" in warnings[0] and "between 0 and 1" in warnings[0]
    assert isinstance(saved_fit(fit, warnings, focal_brand="Xiaomi"), SavedModel)
