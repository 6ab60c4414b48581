"""The price plan on the tiny twin through the pipeline: segment × tier × channel, every constraint, intervals."""

from __future__ import annotations

import re

import numpy as np
import pytest

import upmarket
from upmarket.config import load_config
from upmarket.pipeline import run_analyses
from upmarket.results import to_jsonable, validate_results
from upmarket.warehouse import Warehouse


@pytest.fixture(scope="module")
def tiny_plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("plan_tiny") / "twin"
    upmarket.simulate(out, preset="tiny", seed=3)
    config = load_config(out)
    opts = {**config.analysis_options, "segments": {"mixed_draws": 0, "max_classes": 3, "n_starts": 1},
            "pricing_plan": {"draws": 8, "channel_fee": {"douyin": 0.05}, "channel_spread": 0.08}}
    config = type(config)(**{**config.__dict__, "analysis_options": opts})
    with Warehouse(":memory:") as wh:
        wh.ingest(out, config)
        platforms = set(wh.con.execute("SELECT DISTINCT platform FROM orders").df()["platform"])
        res = run_analyses(wh, config, only=["segments", "pricing_plan"], debug=True)
    return res, platforms


def test_plan_has_a_price_per_segment_tier_and_channel(tiny_plan, findings_are_templates):
    res, platforms = tiny_plan
    validate_results(to_jsonable(res.figures))
    sec = next(s for s in res.sections if s.name == "pricing_plan")
    findings_are_templates(sec, "pricing_plan")
    plan = sec.tables["price_plan"]
    assert set(plan["channel"]) == platforms and len(platforms) >= 3
    assert "all" in set(plan["city_tier"]) and plan["city_tier"].nunique() > 1
    assert set(plan["segment"]) == set(res.figures["pricing"]["segment_share"])
    w = plan.groupby(["segment", "city_tier"])["channel_weight"].sum()
    assert np.allclose(w, 1.0)
    fig = res.figures["pricing_plan"]
    seg = plan["segment"].iloc[0]
    assert set(fig["price"][seg]["all"]) == set(plan.loc[(plan["segment"] == seg) & (plan["city_tier"] == "all"),
                                                         "channel"])
    assert fig["constraints"]["subsidy_cap"] == 6000.0 and fig["constraints"]["channel_fee"] == {"douyin": 0.05}
    assert any("no channel attribute" in x for x in sec.warnings)
    assert all(f.text_zh and "coupon" in f.text for f in sec.findings)
    # segment names and channel codes are slots: the Chinese sentence labels them (no "-driven", no "jd")
    assert all(re.search(r"[a-z]+-(driven|sensitive)|\bjd\b|\btmall\b", f.text_zh) is None for f in sec.findings)


def test_plan_respects_every_constraint(tiny_plan):
    res, _ = tiny_plan
    plan = next(s for s in res.sections if s.name == "pricing_plan").tables["price_plan"]
    c = res.figures["pricing_plan"]["constraints"]
    assert (plan["price"] >= c["floor"] - 1e-9).all()
    assert (plan["price"] >= plan["sub_price"] + c["ladder_gap"] - 1e-9).all()
    assert (plan["diversion_to_sub"] <= c["diversion_cap"] + 1e-9).all()
    g = plan.groupby(["segment", "city_tier"])["price"]
    assert (g.max() <= (1 + c["channel_spread"]) * g.min() + 1e-6).all()
    assert np.allclose(plan["list_price"], plan.groupby(["segment", "city_tier"])["price"].transform("max"))
    assert (plan["coupon"] >= 0).all()
    sub = plan["price"] <= c["subsidy_cap"]  # the national subsidy: 15 %, at most 500 CNY, only up to 6000
    assert np.allclose(plan.loc[sub, "paid"], plan.loc[sub, "price"] - np.minimum(0.15 * plan.loc[sub, "price"], 500))
    assert np.allclose(plan.loc[~sub, "paid"], plan.loc[~sub, "price"])
    assert plan["cannibalisation"].between(0, 1).all() and (plan["units_per_1000"] > 0).all()
    for lo, hi in (("price_low", "price_high"), ("units_low", "units_high"), ("margin_low", "margin_high")):
        assert (plan[lo] <= plan[hi]).all() and plan[lo].notna().all()
    dy = plan[plan["channel"] == "douyin"]  # the fee comes off the margin: (p·(1 − fee) − cost)·units
    cost = 0.6 * c["floor"]
    assert np.allclose(dy["margin_per_1000"], (dy["price"] * 0.95 - cost) * dy["units_per_1000"], rtol=1e-6)


def test_plan_names_the_bound_that_holds_each_price_and_what_differentiating_is_worth(tiny_plan):
    from upmarket.analyses.pricing_plan.optimise import BOUNDS

    res, _ = tiny_plan
    plan = next(s for s in res.sections if s.name == "pricing_plan").tables["price_plan"]
    fig = res.figures["pricing_plan"]
    floor = fig["constraints"]["floor"]
    assert set(plan["binding"]) <= set(BOUNDS)
    on_floor = plan[plan["binding"] == "floor"]
    assert np.allclose(on_floor["price"], floor, atol=2.0)
    assert (on_floor["unconstrained_price"] < floor).all()  # the floor binds because demand asks for less
    assert (on_floor["bound_cost_per_1000"] >= -1.0).all()  # a bound never raises the margin
    interior = plan[plan["binding"] == "interior"]
    assert np.allclose(interior["price"], interior["unconstrained_price"], rtol=0.003, atol=2.0)
    assert fig["cells"] == len(plan) and abs(sum(fig["binding_share"].values()) - 1) < 1e-3
    assert fig["differentiation_worth_per_1000"] >= -1.0  # the uniform price is one of the plan's candidates
    assert all(v >= -1.0 for v in (t["all"] for t in fig["worth_vs_uniform_per_1000"].values()))
    assert 0 <= fig["cannibalisation_all"] <= 1
    price_plan = [f for f in res.figures["strategy"]["findings"] if f["id"] == "price.plan"]
    assert price_plan and price_plan[0]["binding"] in BOUNDS
