"""Funnel rates on hand-made traffic with known answers, Wilson intervals, and bad event input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from funnel_helpers import insert, small_log

from upmarket.analyses.funnel import FunnelOptions, compute
from upmarket.analyses.funnel.rates import day_bootstrap, wilson
from upmarket.config import Config
from upmarket.pipeline import run_analyses
from upmarket.report.charts import section_charts
from upmarket.results import to_jsonable, validate_results
from upmarket.warehouse import Warehouse

PRODUCTS = pd.DataFrame({"sku_id": ["X1", "A1", "R1"], "brand": ["Xiaomi", "Apple", "Redmi"],
                         "model": ["Xiaomi 15", "iPhone 16", "Redmi 14"], "list_price": [4499.0, 5999.0, 1299.0]})


def _traffic() -> pd.DataFrame:
    """jd: 2 days; tmall: one row without favourites (must not dilute favourite_rate)."""
    return pd.DataFrame({
        "date": pd.to_datetime(["2024-05-01", "2024-05-02", "2024-05-01", "2024-05-01", "2024-05-02"]).date,
        "platform": ["jd", "jd", "jd", "tmall", "tmall"],
        "sku_id": ["X1", "X1", "A1", "R1", "X1"],
        "city_tier": ["tier1", "tier1", "tier3", "tier1", "tier5"],
        "source": ["search", "search", "ad", "search", "live"],
        "impressions": [1000, 2000, 500, 400, 600],
        "clicks": [100, 160, 40, 40, 30],
        "visitors": [90, 150, 40, 40, 30],
        "favorites": [9, 15, 4, 8, None],
        "add_to_carts": [18, 30, 8, 4, 3],
        "buyers": [9, 12, 2, 4, 3],
        "units": [10, 12, 2, 4, 3],
    })


@pytest.fixture()
def traffic_wh():
    wh = Warehouse(":memory:")
    wh.load_frame("products", PRODUCTS, file_label="products-frame")
    wh.load_frame("traffic", _traffic(), file_label="traffic-frame")
    yield wh
    wh.close()


def test_rates_from_handmade_traffic_equal_hand_arithmetic(traffic_wh):
    out = compute(traffic_wh, FunnelOptions(bootstrap=200))
    jd, tm = out.figures["jd"], out.figures["tmall"]
    assert jd["ctr"] == pytest.approx(300 / 3500)
    assert jd["favorite_rate"] == pytest.approx(28 / 280)
    assert jd["cart_rate"] == pytest.approx(56 / 280)
    assert jd["visit_to_buy"] == pytest.approx(23 / 280)
    assert jd["units_per_buyer"] == pytest.approx(24 / 23)
    # the tmall row without favourites is left out of that rate's denominator: 8 / 40, not 8 / 70
    assert tm["favorite_rate"] == pytest.approx(8 / 40)
    assert tm["visit_to_buy"] == pytest.approx(7 / 70)
    for p in ("jd", "tmall"):
        for r in ("ctr", "favorite_rate", "cart_rate", "visit_to_buy"):
            lo, hi = out.figures[p][f"{r}_ci"]
            assert 0 <= lo <= out.figures[p][r] <= hi <= 1, (p, r)
    by_tier = out.tables["funnel_by_city_tier"].set_index(["platform", "city_tier"])
    assert by_tier.loc[("jd", "tier3"), "visit_to_buy"] == pytest.approx(2 / 40)
    band = out.tables["funnel_by_price_band"].set_index(["platform", "price_band"])
    assert band.loc[("tmall", "<2000"), "buyers"] == 4 and band.loc[("jd", "4000-5999"), "buyers"] == 23


def test_premium_acceptance_counts_premium_buyers_by_tier(traffic_wh):
    prem = compute(traffic_wh, FunnelOptions(bootstrap=0)).tables["premium_acceptance"]
    t = prem[(prem["group"] == "city_tier")].set_index(["value", "brand"])
    # tier1: Xiaomi X1 (premium) 21 buyers on jd; Redmi R1 (<2000) 4 buyers on tmall
    assert t.loc[("tier1", "Xiaomi"), "premium_buyers"] == 21
    assert t.loc[("tier1", "Xiaomi"), "premium_buyer_share"] == pytest.approx(1.0)
    assert t.loc[("tier1", "Redmi"), "premium_buyer_share"] == pytest.approx(0.0)
    assert t.loc[("tier3", "rivals"), "premium_visit_to_buy"] == pytest.approx(2 / 40)


def test_wilson_matches_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    k, n = np.array([0, 3, 50, 99]), np.array([10, 40, 100, 100])
    lo, hi = wilson(k, n)
    ref_lo, ref_hi = proportion_confint(k, n, alpha=0.10, method="wilson")
    assert np.allclose(lo, ref_lo) and np.allclose(hi, ref_hi)
    assert np.isnan(wilson(np.array([0]), np.array([0]))[0]).all()


def _daily(buyers: list[int]) -> pd.DataFrame:
    n = len(buyers)
    return pd.DataFrame({"platform": ["jd"] * n, "date": list(range(1, n + 1)), "ctr_num": [10] * n,
                         "ctr_den": [100] * n, "visitors": [1000] * n, "favorites": [10] * n, "fav_den": [1000] * n,
                         "add_to_carts": [10] * n, "cart_den": [1000] * n, "buyers": buyers, "units": buyers,
                         "units_buyers": buyers})


def test_day_bootstrap_is_wider_when_days_differ():
    """Days with very different conversion: the day-cluster interval is wider than Wilson's."""
    buyers = [20, 120, 20, 120, 20, 120]
    ci = day_bootstrap(_daily(buyers), reps=500, seed=1)["jd"]["visit_to_buy"]
    wl, wh = wilson(np.array([sum(buyers)]), np.array([1000 * len(buyers)]))
    assert (ci[1] - ci[0]) > 2 * (wh[0] - wl[0])


def test_day_bootstrap_needs_enough_days():
    """One day (a weekly window-total export) would give an interval of zero width: none is given,
    so the headline falls back to Wilson's."""
    assert day_bootstrap(_daily([20]), reps=200, seed=1) == {"jd": {}}
    assert day_bootstrap(_daily([20, 30, 25]), reps=200, seed=1) == {"jd": {}}
    assert "visit_to_buy" in day_bootstrap(_daily([20, 30, 25, 22, 28]), reps=200, seed=1)["jd"]


def test_analysis_registers_and_results_validate(traffic_wh, findings_are_templates):
    import upmarket.analyses.funnel  # noqa: F401  (registers)

    res = run_analyses(traffic_wh, Config(), only=["funnel"], debug=True)
    validate_results(to_jsonable(res.figures))
    assert res.figures["funnel"]["jd"]["visit_to_buy"] == pytest.approx(23 / 280)
    sec = res.sections[0]
    assert any("8.2" in f.text and f.text_zh for f in sec.findings)  # cites jd's 8.21% visit-to-buy
    findings_are_templates(sec, "funnel")
    drawn = {c.name for c in section_charts(sec.name, res.figures, sec.tables)}
    assert drawn >= {"funnel_platforms", "funnel_tiers", "funnel_premium"}


def test_bad_event_input_is_reported_not_hidden():
    d = small_log(seed=5, n_journeys=120)
    wh = Warehouse(":memory:")
    insert(wh, "products", d["products"])
    insert(wh, "users", d["users"].iloc[5:])  # 5 users missing from users
    ev = d["events"]
    bad = ev.iloc[:3].assign(event="teleport")
    # a session whose order has no click, and one whose click is 8 h after its order (UTC vs Beijing)
    o1 = ev.iloc[:1].assign(event="order", session_id="zz1", platform="jd", ts=pd.Timestamp("2024-03-10 12:00"))
    o2 = o1.assign(session_id="zz2")
    c2 = o2.assign(event="click", ts=pd.Timestamp("2024-03-10 20:00"))
    insert(wh, "events", pd.concat([ev, bad, o1, o2, c2], ignore_index=True))
    out = compute(wh, FunnelOptions(bootstrap=0))
    text = " | ".join(out.warnings)
    assert "3 events have an event code outside" in text
    assert "users missing from the users table" in text
    missing = set(d["users"]["user_id"].iloc[:5])
    n_missing = int(ev["user_id"].isin(missing).sum() + bad["user_id"].isin(missing).sum()
                    + 3 * int(o1["user_id"].iloc[0] in missing))
    assert f"{n_missing} events from" in text
    assert "2 of" in text and "no click before the order" in text
    assert "1 sessions' first click comes 1–24 h after the order" in text
    # unknown codes never enter the funnel
    assert "teleport" not in set(out.tables["stage_transitions"]["from_stage"])
    wh.close()
