"""Recovery on the tiny twin: realised funnel, stages and paths exactly (truth.json keeps 10 digits); planted
rates within sampling error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.funnel import BREAKDOWN_KEYS, FunnelOptions, compute
from upmarket.analyses.funnel import rates as fr
from upmarket.analyses.funnel import stages as fs
from upmarket.analyses.funnel.stages import EPOCH_MONDAY, EVENT_STAGE, STAGES
from upmarket.twin.check import compare
from upmarket.warehouse.pseudonym import pseudonymise


@pytest.fixture(scope="module")
def result(twin_wh):
    _, truth, wh = twin_wh
    return compute(wh, FunnelOptions(bootstrap=100)), truth, twin_wh[0]


def test_realised_funnel_equals_truth_exactly(result):
    out, truth, _ = result
    assert set(out.figures) - BREAKDOWN_KEYS == set(truth["funnel"])
    for p, rates in truth["funnel"].items():
        for k, v in rates.items():
            assert out.figures[p][k] == pytest.approx(v, abs=1e-9), (p, k)  # truth.json keeps 10 digits
    checks = [c for c in compare({"funnel": out.figures}, truth) if c.key.startswith("funnel.")]
    assert len(checks) == 16 and all(c.passed for c in checks)


def test_event_based_rates_equal_traffic_based(result):
    """traffic is the twin's per-day aggregate of events: both bases must give the same counts."""
    out, _, _ = result
    a = out.tables["funnel_by_city_tier"].set_index(["platform", "city_tier"])
    b = out.tables["funnel_events_by_city_tier"].set_index(["platform", "city_tier"])
    for c in ("visitors", "favorites", "add_to_carts", "buyers", "ctr_num", "ctr_den"):
        pd.testing.assert_series_equal(a[c].sort_index(), b[c].sort_index(), check_names=False)


def test_planted_rates_within_sampling_error(result):
    """Planted (expected) rates lie within 3.5 binomial standard errors of the estimates (tiny sample)."""
    out, truth, _ = result
    planted = truth["funnel_params"]["platforms"]
    for p, rates in planted.items():
        f = out.figures[p]
        n = {"ctr": f["impressions"], "favorite_rate": f["visitors"], "cart_rate": f["visitors"],
             "visit_to_buy": f["visitors"]}
        for k, v in rates.items():
            se = np.sqrt(v * (1 - v) / n[k])
            assert abs(f[k] - v) <= 3.5 * se, (p, k, f[k], v)


def test_highest_stage_equals_truth(result):
    out, truth, _ = result
    hs = out.tables["stage_highest"]
    got = {(r.brand, STAGES[r.level]): r.users for r in hs.itertuples()}
    want = {(b, s): n for b, d in truth["stages"]["highest_stage_users"].items() for s, n in d.items() if n}
    assert got == want


def test_transitions_match_an_independent_pandas_count(result):
    """Week-to-week transitions recomputed from the Parquet events with plain pandas agree within 1e-12."""
    out, _, path = result
    ev = pd.read_parquet(path / "events")
    prod = pd.read_parquet(path / "products.parquet")[["sku_id", "brand"]].rename(columns={"brand": "pb"})
    ev = ev.merge(prod, on="sku_id", how="left")
    ev["b"] = ev["pb"].fillna(ev["brand"])
    ev["lvl"] = ev["event"].map(EVENT_STAGE)
    ev["wk"] = (ev["ts"].dt.normalize() - pd.Timestamp(EPOCH_MONDAY)).dt.days // 7
    ev["o"] = ev["event"] == "order"
    w = ev.groupby(["b", "user_id", "wk"]).agg(lvl=("lvl", "max"), no=("o", "sum")).reset_index()
    w["prior"] = w.groupby(["b", "user_id"])["no"].cumsum() - w["no"]
    w.loc[(w["no"] > 0) & ((w["prior"] > 0) | (w["no"] >= 2)), "lvl"] = 4
    nxt = w[["b", "user_id", "wk", "lvl"]].assign(wk=w["wk"] - 1).rename(columns={"lvl": "to"})
    j = w[w["wk"] < w["wk"].max()].merge(nxt, on=["b", "user_id", "wk"], how="left").fillna({"to": 0})
    ref = j.groupby(["b", "lvl"])["to"].value_counts(normalize=True)
    t = out.tables["stage_transitions"]
    tr = t[t["customer"] == "all"].set_index(["brand", "from_level", "to_level"])["p"]
    assert len(tr) == len(ref)
    for (b, lv, to), p in ref.items():
        assert tr[(b, int(lv), int(to))] == pytest.approx(p, abs=1e-12)
    rows = t.groupby(["brand", "customer", "from_level"])["p"].sum()
    assert np.allclose(rows, 1.0)
    # new + returning rows add up to the all rows; a new customer's purchase row cannot exist (they just bought)
    n = t.pivot_table(index=["brand", "from_level", "to_level"], columns="customer", values="n", aggfunc="sum",
                      fill_value=0)
    assert (n["new"] + n["returning"] == n["all"]).all()
    assert not ((t["customer"] == "new") & (t["from_stage"].isin(["purchase"]))).any()


def test_paths_equal_truth(result):
    out, truth, _ = result
    pt = out.tables["paths_by_tier"].set_index("city_tier")
    for tier, d in {**truth["paths"]["by_tier"], "all": truth["paths"]["all"]}.items():
        assert pt.loc[tier, "visits"] == d["visits"] and pt.loc[tier, "buys"] == d["buyers"], tier
        for k in ("buyer_share", "conversion_seeded", "conversion_unseeded", "lift"):
            assert pt.loc[tier, k] == pytest.approx(d[k], abs=1e-9), (tier, k)


def test_seeding_metrics_are_proportions_with_intervals(result):
    out, _, _ = result
    s = out.tables["seeding"]
    assert set(s["platform"]) == {"douyin", "xiaohongshu"}
    assert (s["re_searchers"] <= s["seeded"]).all() and (s["seeded"] <= s["viewers"]).all()
    assert ((s["research_rate_low"] <= s["research_rate"]) & (s["research_rate"] <= s["research_rate_high"])).all()
    assert s["research_rate"].between(0.001, 0.999).all()


def test_stage_panel_transitions_equal_truth_on_the_twin(result, twin_wh):
    """The twin's stage panel (planted weekly chain): the analysis on the panel users' events reproduces the
    realised transition counts exactly, so its weekly-stage definition is the one the twin plants."""
    _, truth, wh = twin_wh
    tt = truth["stages"]["transitions"]
    assert tt["panel_brand"] and set(tt["planted"]) >= set(tt["realised_counts"])
    ev = wh.table("events")
    last = int(fs.week_number(ev.ts.max()).execute())  # the data's last week, not the panel's
    ev = ev.filter(ev.user_id.isin(pseudonymise(tt["panel_brand"])))  # the truth names users by their raw ids
    counts = fs.transitions(fs.weekly_stages(ev, wh.table("products")), last_wk=last).to_pandas()
    got = counts.groupby(["brand", "from_level", "to_level"])["n"].sum()
    want = {(b, STAGES.index(f), STAGES.index(t)): n for b, d in tt["realised_counts"].items()
            for f, row in d.items() for t, n in row.items() if n}
    assert {k: int(v) for k, v in got.items()} == want


STEP_PLANTED = {"click_given_impression": "ctr", "favorite_given_click": "favorite_rate",
                "cart_given_click": "cart_rate", "order_given_cart": "visit_to_buy"}
"""The twin draws favourite, cart and order independently given a click: P(order | cart) = P(order | click)."""


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stage_rates_recover_planted_rates(seed, twin_wh, tmp_path):
    """``funnel.stages`` from events lie within 3.5 binomial standard errors of the planted rates, over seeds."""
    import json

    from upmarket.twin import simulate
    from upmarket.warehouse import Warehouse

    if seed == 0:
        out, truth, wh = twin_wh
        steps = fr.step_counts(wh.table("events")).to_pandas()
    else:
        out = tmp_path / "tiny"
        simulate(out, preset="tiny", seed=seed)
        truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
        with Warehouse(":memory:") as wh:
            wh.ingest(out)
            steps = fr.step_counts(wh.table("events")).to_pandas()
    rates, missing = fr.stage_rates(steps)
    planted = truth["funnel_params"]["platforms"]
    assert set(rates) >= set(planted) and not missing
    n = steps.set_index("platform")
    for p, truth_rates in planted.items():
        for step, rate in STEP_PLANTED.items():
            v = truth_rates[rate]
            se = np.sqrt(v * (1 - v) / n.loc[p, fr.STEPS[step][1]])
            assert abs(rates[p][step] - v) <= 3.5 * se, (seed, p, step, rates[p][step], v)
            lo, hi = rates[p][f"{step}_ci"]
            assert lo <= rates[p][step] <= hi
