"""The mix model's pieces on hand-made inputs with known answers (no fitting, so these run in seconds)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from mix_helpers import warehouse_with

from upmarket.analyses.mix.data import MixInputError, lift_tests, planned_spend
from upmarket.analyses.mix.model import (
    MAX_LAG,
    MixData,
    MixFit,
    Scaling,
    _geometric,
    _weibull,
    event_days,
    independent_controls,
    layout_of,
    prior_means,
)
from upmarket.analyses.mix.plan import Planner


def test_geometric_adstock_is_the_normalised_recursion() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 2, (30, 2))
    decay = np.array([0.3, 0.8])
    with jax.enable_x64(True):
        got = np.asarray(_geometric(jnp.asarray(x), jnp.asarray(decay)))
    acc = np.zeros(2)
    for t in range(30):
        acc = x[t] + decay * acc
        assert np.allclose(got[t], acc * (1 - decay))


def test_weibull_adstock_spreads_an_impulse_over_its_lags_and_keeps_its_mass() -> None:
    x = np.zeros((40, 1))
    x[5, 0] = 1.0
    with jax.enable_x64(True):
        out = np.asarray(_weibull(jnp.asarray(x), jnp.array([2.0]), jnp.array([3.0])))[:, 0]
    assert out[:5].sum() == 0
    assert out.sum() == pytest.approx(1.0)
    assert np.argmax(out) > 5  # shape > 1: the effect peaks after the spend
    assert out[5 + MAX_LAG:].sum() == 0


def test_event_days_count_the_618_and_double_eleven_windows() -> None:
    weeks = pd.DatetimeIndex(["2024-06-10", "2024-06-17", "2024-11-11", "2024-03-04"])
    ev = event_days(weeks) * 7
    assert ev["event_618"].tolist() == [7, 2, 0, 0]
    assert ev["event_1111"].tolist() == [0, 0, 1, 0]


def test_a_control_equal_to_the_event_days_is_dropped() -> None:
    weeks = pd.date_range("2024-01-01", periods=60, freq="7D")
    ev = event_days(weeks)
    rng = np.random.default_rng(1)
    controls = pd.DataFrame({"promo_days": (ev["event_618"] + ev["event_1111"]).to_numpy() * 7,
                             "subsidy": rng.normal(size=60), "flat": np.ones(60)})
    data = MixData(weeks, ("a",), np.ones((60, 1)), np.ones(60), controls)
    keep, dropped = independent_controls(data, 2)
    assert keep == ["subsidy"] and sorted(dropped) == ["flat", "promo_days"]


def _known_fit(n: int = 40) -> MixFit:
    """A MixFit whose every draw is one known parameter set: two channels, one saturating fast, no carry-over."""
    weeks = pd.date_range("2024-01-01", periods=n, freq="7D")
    spend = np.column_stack([np.full(n, 100.0), np.full(n, 100.0)])
    data = MixData(weeks, ("fast", "slow"), spend, np.full(n, 1000.0))
    p = prior_means(2, 3, "geometric")  # baseline: trend and the two event columns (no harmonics), all at zero
    p["logit_decay"] = jnp.array([-30.0, -30.0])
    p["log_k"] = jnp.log(jnp.array([0.3, 3.0]))
    p["log_s"] = jnp.zeros(2)
    p["log_beta"] = jnp.log(jnp.array([0.2, 0.5]))
    layout = layout_of(p)
    flat = np.concatenate([np.atleast_1d(np.asarray(v, float)) for v in p.values()])
    scaling = Scaling(weeks[0], n - 1, spend.mean(axis=0), 1000.0, (), np.zeros(0), np.ones(0), 0)
    mode = {k: np.asarray(v) for k, v in p.items()}
    return MixFit(data, scaling, "geometric", [], mode, np.tile(flat, (5, 1)), layout, {}, [])


def test_optimiser_moves_money_to_the_unsaturated_channel_and_equalises_marginal_roi() -> None:
    f = _known_fit()
    planner = Planner(f, weeks=13)
    budget = planner.current.sum()
    best = planner.optimise(budget, {"fast": (0.2, 3.0), "slow": (0.2, 3.0)})
    assert (best * planner.current).sum() == pytest.approx(budget, rel=1e-6)
    assert best[1] > 1 > best[0]
    assert planner.gmv(best).sum() > planner.gmv(np.ones(2)).sum()
    mroi = planner.marginal(best).mean(axis=0)
    assert mroi[0] == pytest.approx(mroi[1], rel=0.05)


def test_a_budget_outside_the_bounds_is_refused_with_the_range() -> None:
    planner = Planner(_known_fit(), weeks=13)
    with pytest.raises(ValueError, match="outside what the channel bounds allow"):
        planner.optimise(planner.current.sum() * 5, {"fast": (0.5, 2.0), "slow": (0.5, 2.0)})


def test_lift_tests_from_config_and_file_and_their_errors(tmp_path) -> None:
    wh = warehouse_with()
    wh.path = str(tmp_path / ".upmarket.duckdb")
    (tmp_path / "lift_tests.csv").write_text("channel,start,end,lift\njd_ads,2024-03-06,2024-03-31,5000000\n",
                                             encoding="utf-8")
    tests = lift_tests(wh, {"lift_tests": [{"channel": "ooh", "start": "2024-05-06", "end": "2024-05-26",
                                            "lift": 1e6, "lift_se": 2e5}]}, ("jd_ads", "ooh"))
    assert [t.channel for t in tests] == ["ooh", "jd_ads"]
    assert tests[1].start == pd.Timestamp("2024-03-04")  # the Monday of the week holding the start
    assert tests[0].se == 2e5 and tests[1].se is None
    (tmp_path / "lift_tests.csv").write_text("channel,start,end,lift\ntv,2024-03-06,2024-03-31,5\n", encoding="utf-8")
    with pytest.raises(MixInputError, match=r"lift_tests.csv: row 2: column channel: 'tv'"):
        lift_tests(wh, {}, ("jd_ads",))
    with pytest.raises(MixInputError, match="lacks column lift"):
        lift_tests(warehouse_with(), {"lift_tests": [{"channel": "jd_ads", "start": "2024-01-01",
                                                      "end": "2024-02-01"}]}, ("jd_ads",))


def test_planned_spend_defaults_to_the_recent_mean_and_rejects_unknown_channels() -> None:
    weeks = pd.date_range("2024-01-01", periods=20, freq="7D")
    spend = np.column_stack([np.arange(20.0), np.full(20, 5.0)])
    data = MixData(weeks, ("a", "b"), spend, np.ones(20))
    plan = planned_spend({"planned_spend": {"b": 9.0}}, data, 4)
    assert plan.shape == (4, 2) and plan[0, 0] == pytest.approx(np.arange(7, 20).mean()) and plan[0, 1] == 9.0
    with pytest.raises(MixInputError, match="'c' is not a channel"):
        planned_spend({"planned_spend": {"c": 1.0}}, data, 4)


def test_target_marginal_roi_sets_the_budget_where_the_next_yuan_returns_the_target() -> None:
    planner = Planner(_known_fit(), weeks=13)
    bounds = {"fast": (0.1, 4.0), "slow": (0.1, 4.0)}
    now = planner.marginal(np.ones(2)).mean(axis=0) @ planner.current / planner.current.sum()
    target = 0.7 * now  # a lower bar than today's return on the next yuan: spend more
    budget = planner.for_target_mroi(target, bounds)
    assert budget > planner.current.sum()
    best = planner.optimise(budget, bounds)
    got = np.average(planner.marginal(best).mean(axis=0), weights=best * planner.current)
    assert got == pytest.approx(target, rel=0.03)


def test_controls_are_the_numeric_kpi_columns_not_the_bookkeeping() -> None:
    from upmarket.analyses.mix.data import load
    from upmarket.config import Config

    weeks = pd.date_range("2024-01-01", periods=4, freq="7D").date
    kpi = pd.DataFrame({"week": weeks, "gmv": [1.0, 2, 3, 4], "units": [1, 2, 3, 4], "subsidy": [0, 0, 1, 1.0],
                        "_row": [1, 2, 3, 4], "_file_id": "f"})
    sp = pd.DataFrame({"week": np.repeat(weeks, 2), "channel": ["a", "b"] * 4, "spend": np.arange(8.0) + 1})
    sp.loc[len(sp)] = [weeks[0], "a", 100.0]  # another brand's row is not the focal brand's spend
    sp["brand"] = ["Xiaomi"] * 8 + ["Apple"]
    with warehouse_with(spend=sp, kpi_weekly=kpi) as wh:
        data, source, _ = load(wh, Config())
    assert list(data.controls.columns) == ["subsidy"] and source == "kpi_weekly.gmv"
    assert data.channels == ("a", "b") and data.spend[0].tolist() == [1.0, 2.0]


def test_without_kpi_weekly_gmv_is_summed_from_the_focal_brands_orders() -> None:
    from upmarket.analyses.mix.data import load
    from upmarket.config import Config

    weeks = pd.date_range("2024-01-01", periods=3, freq="7D")
    sp = pd.DataFrame({"week": weeks.date, "channel": "a", "spend": [1.0, 2.0, 3.0]})
    products = pd.DataFrame({"sku_id": ["x", "y"], "brand": ["Xiaomi", "Apple"], "model": ["m1", "m2"]})
    orders = pd.DataFrame({"order_id": ["1", "2", "3", "4"], "ts": [weeks[0] + pd.Timedelta(days=2), weeks[1],
                                                                    weeks[1] + pd.Timedelta(hours=5), weeks[2]],
                           "user_id": "u", "platform": "jd", "sku_id": ["x", "x", "y", "x"], "units": [2, 1, 5, 1],
                           "price_paid": [100.0, 50.0, 999.0, 10.0]})
    with warehouse_with(spend=sp, orders=orders, products=products) as wh:
        data, source, _ = load(wh, Config())
    assert source.startswith("orders") and data.gmv.tolist() == [200.0, 50.0, 10.0]
