"""Launch curves on the demo twin: quarterly market_sales and products through the real ingest path, against the
twin's planted Bass p, q (per week) and m.

A launch with at least four quarters in the window sells exactly its Bass curve where the twin's older models can
absorb the market plan's quarter-to-quarter scale (twin.market.pin_bass); fits whose p or q interval is too wide are
declined (launch.MAX_CI_RATIO). Every fit reported meets the issue's targets (p, q within 25 %, m within 15 %);
test_launch_twin_seeds.py checks the same over several seeds."""

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
    assert len(both) >= 12
    err = {name: np.median([abs(np.log(rec.checks[f"launch.{k}.{name}"].estimate / planted[k][name])) for k in both])
           for name in ("p", "q", "m")}
    assert max(err.values()) < 0.05, err
    for name in ("p", "q", "m"):
        misses = [k for k in both if not rec.checks[f"launch.{k}.{name}"].passed]
        assert not misses, (name, misses)  # every fit reported meets the targets
    # a degenerate fit (q at the boundary, sales highest in the first period) is declined with the reason
    assert all(min(v["p"], v["q"]) > 1e-6 for v in fitted.values())
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
