"""Launch curves on the demo twin: quarterly market_sales and products through the real ingest path, against the
twin's planted Bass p, q (per week) and m.

The twin's quarterly units are each model's Bass increments times the market plan's maker × price-group scale of
that quarter, and models leave the shelves once a quarter falls below 12 % of their best (twin/market.py), so the
per-model series are not pure Bass curves and a 2024 launch has 4–6 quarters. The issue's targets (p, q within
25 %, m within 15 %) are met on pure Bass series (test_bass.py); here the test holds the median error of the fitted
launches to what the estimator achieves on these distorted series, and checks the twin check's unit conversion."""

from __future__ import annotations

import numpy as np
import pytest

from upmarket.analyses.launch import Launch


@pytest.fixture(scope="module")
def rec(recover_on_twin):
    """One run on the demo twin's market_sales and products, shared by the tests below."""
    return recover_on_twin(Launch, ("market_sales", "products"), {})


def test_fitted_launches_recover_the_planted_curves(rec):
    fitted = {k: v for k, v in rec.section.figures.items() if isinstance(v, dict) and v.get("basis") == "fit"}
    planted = rec.truth["launch"]
    both = sorted(set(fitted) & set(planted))
    assert len(both) >= 20
    err = {name: np.median([abs(np.log(rec.checks[f"launch.{k}.{name}"].estimate / planted[k][name])) for k in both])
           for name in ("p", "q", "m")}
    assert err["m"] < 0.15, err
    assert err["p"] < 0.4 and err["q"] < 0.4, err
    assert all(fitted[k]["time_unit"] == "quarter" for k in both)
    # the check compares per-week rates: a quarterly p is 13 weeks' worth
    k = both[0]
    assert rec.checks[f"launch.{k}.p"].estimate == pytest.approx(fitted[k]["p"] * 7 / (365.25 / 4))


def test_short_series_are_forecast_from_earlier_generations_or_said_to_be_too_short(rec):
    for model in rec.truth["launch"]:
        entry = rec.section.figures.get(model)
        assert entry is not None or model in rec.section.not_computed
        if entry is not None and entry["basis"] == "analogues":
            assert entry["n_analogues"] >= 2 and len(entry["analogues"]) == entry["n_analogues"]
