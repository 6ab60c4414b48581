"""The equity section end to end on small hand-made tables with answers known by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from upmarket.analyses.equity import Equity
from upmarket.config import Config
from upmarket.report.charts import charts_of
from upmarket.warehouse import Warehouse

TS = pd.Timestamp("2024-03-01 10:00:00")


def _insert(wh: Warehouse, table: str, df: pd.DataFrame) -> None:
    wh.con.register("_t", df)
    cols = ", ".join(f'"{c}"' for c in df.columns)
    wh.con.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM _t')
    wh.con.unregister("_t")


def _warehouse() -> Warehouse:
    wh = Warehouse()
    _insert(wh, "device_history", pd.DataFrame({
        "user_id": ["a", "b", "c", "d", "e", "f"], "date": pd.to_datetime(["2024-01-01"] * 6).date,
        "from_brand": ["Xiaomi", "Xiaomi", "Xiaomi", "Apple", "Apple", "Redmi"],
        "to_brand": ["Xiaomi", "Apple", "Redmi", "Apple", "Apple", "Xiaomi"]}))
    _insert(wh, "users", pd.DataFrame({"user_id": list("abcdefghij"), "city_tier": ["tier1"] * 10}))
    # two quarters; Redmi (the benchmark) sells at 1000, Xiaomi at 3000 then 3500, Apple at 6000
    _insert(wh, "market_sales", pd.DataFrame({
        "period": ["2024Q1"] * 3 + ["2024Q2"] * 3 + ["2024Q3"] * 3, "region": "CN",
        "brand": ["Redmi", "Xiaomi", "Apple"] * 3, "price_band": "<2000",
        "units": [100, 50, 10] * 3,
        "avg_price": [1000.0, 3000.0, 6000.0, 1000.0, 3500.0, 6000.0, 1000.0, 4000.0, 6000.0]}))
    _insert(wh, "posts", pd.DataFrame({
        "post_id": ["p1", "p2", "p3", "p4"], "ts": TS, "platform": "douyin", "creator_id": "k",
        "creator_type": "kol", "format": "note", "brands": ["Xiaomi", "Xiaomi|Apple", "Apple", "Huawei"],
        "views": [100, 300, 100, 500]}))
    _insert(wh, "products", pd.DataFrame({"sku_id": ["x", "r", "p"], "brand": ["Xiaomi", "Redmi", "Apple"],
                                          "model": ["X", "R", "P"], "list_price": [3000.0, 1000.0, 6000.0]}))
    _insert(wh, "reviews", pd.DataFrame({"review_id": ["1", "2", "3", "4"], "ts": TS, "platform": "jd",
                                         "sku_id": ["x", "x", "p", "p"], "rating": [5, 3, 5, 5], "text": ""}))
    return wh


@pytest.fixture
def section():
    eq = Equity()
    eq.upstream = {"voice": {"Xiaomi": {"sentiment": 0.6, "value_framing": 0.7, "value_framing_ci": [0.6, 0.8],
                                        "aspects": {"camera": 0.5, "price": 0.9}},
                             "Apple": {"sentiment": 0.8, "value_framing": 0.2, "value_framing_ci": [0.1, 0.3],
                                       "aspects": {"camera": 0.7, "price": 0.3}}},
                   "pricing": {"brand_premium_cny": {"all": {"Xiaomi": 800.0, "Apple": 3000.0, "Redmi": 0.0}}}}
    with _warehouse() as wh:
        return eq.run(wh, Config(analysis_options={"equity": {"min_n": 1, "draws": 100}}))


def test_loyalty_and_flows(section):
    x, a = section.figures["Xiaomi"], section.figures["Apple"]
    assert x["loyalty"] == pytest.approx(1 / 3, abs=1e-4) and a["loyalty"] == 1.0
    assert x["switching_to"] == {"Xiaomi": pytest.approx(1 / 3, abs=1e-4), "Apple": pytest.approx(1 / 3, abs=1e-4),
                                 "Redmi": pytest.approx(1 / 3, abs=1e-4)}
    assert (x["inflow"], x["outflow"], x["net_flow"]) == (1, 2, -1)
    assert x["loyalty_ci"][0] < x["loyalty"] < x["loyalty_ci"][1]
    assert x["loyalty_by_city_tier"] == {"tier1": pytest.approx(1 / 3, abs=1e-4)}
    flows = section.tables["sub_brand_flows"].iloc[0]
    assert (flows.focal_to_sub, flows.sub_to_focal) == (1, 1)
    assert x["sub_brand_flows"] == {"Redmi": {"to_sub_brand": 1, "from_sub_brand": 1,
                                              "group_retention": 0.75}}  # 3 of the group's 4 changes land in it


def test_revenue_premium_against_the_benchmark_brand(section):
    rp = section.tables["revenue_premium"].set_index(["period", "brand"])["revenue_premium"]
    # Xiaomi: 50 units × (3000 − 1000), then × (3500 − 1000), then × (4000 − 1000)
    assert rp[("2024Q1", "Xiaomi")] == 100_000 and rp[("2024Q2", "Xiaomi")] == 125_000
    assert rp[("2024Q1", "Redmi")] == 0
    x = section.figures["Xiaomi"]
    assert x["revenue_premium"] == 150_000 and x["revenue_premium_period"] == "2024Q3"
    assert x["revenue_premium_trend"] == 25_000  # a straight line: +25 000 CNY per quarter
    assert section.figures["Apple"]["revenue_premium_trend"] == 0


def test_awareness_associations_quality_and_index(section, findings_are_templates):
    x, a, h = section.figures["Xiaomi"], section.figures["Apple"], section.figures["Huawei"]
    # mentions: Xiaomi 2 of 5 brand mentions; views count once per brand a post features: 400 of 1300
    assert x["awareness_by"]["post_mentions"] == pytest.approx(2 / 5, abs=1e-4)
    assert x["awareness_by"]["post_views"] == pytest.approx(400 / 1300, abs=1e-4)
    assert h["awareness_by"]["post_views"] == pytest.approx(500 / 1300, abs=1e-4)
    assert x["associations"] == pytest.approx(0.3) and x["associations_ci"] == [pytest.approx(0.2), pytest.approx(0.4)]
    assert x["distinctive_aspects"] == ["price"] and a["distinctive_aspects"] == ["camera"]
    # quality: mean of the rescaled rating ((4 − 1) / 4 = 0.75), voice sentiment 0.6 and camera sentiment 0.5
    assert x["perceived_quality"] == pytest.approx((0.75 + 0.6 + 0.5) / 3, abs=1e-4)
    assert a["index"] > x["index"]  # Apple leads on associations, quality and loyalty
    w = section.tables["index_weights"].set_index("dimension")["weight"]
    assert w.sum() == pytest.approx(1.0)
    sens = section.tables["index_sensitivity"]
    only_loyalty = sens[sens["weights"] == "only loyalty"].set_index("brand")["index"]
    assert only_loyalty["Apple"] == 1.0 and only_loyalty["Xiaomi"] == pytest.approx(1 / 3, abs=1e-4)
    # by quarter: 2024Q1 holds the dated dimensions (loyalty from the changes, mentions, ratings)
    q = section.tables["dimensions_by_quarter"].set_index(["period", "brand", "dimension"])["value"]
    assert q[("2024Q1", "Xiaomi", "loyalty")] == pytest.approx(1 / 3) and q[("2024Q1", "Apple", "loyalty")] == 1.0
    assert q[("2024Q1", "Xiaomi", "perceived_quality")] == pytest.approx(0.75)
    by_period = section.tables["index_by_period"].set_index(["period", "brand"])["index"]
    assert by_period[("2024Q1", "Apple")] > by_period[("2024Q1", "Xiaomi")]
    assert {c.name for c in charts_of(section, "Xiaomi")} >= {"switching_sankey", "four_dimensions", "revenue_premium"}
    assert all(f.text_zh for f in section.findings)
    # findings are templates: the index weights name dimensions as codes the report labels, not in English
    assert all(f.template is not None and f.template.render("zh") == f.text_zh for f in section.findings)
    findings_are_templates(section, "equity")
    index = [f for f in section.findings if f.id == "equity.index"]
    assert all("awareness" not in f.text_zh and "loyalty" not in f.text_zh for f in index)


def test_a_missing_benchmark_and_bad_weights_are_named():
    with _warehouse() as wh:
        sec = Equity().run(wh, Config(analysis_options={"equity": {"benchmark_brand": "Nokia", "draws": 50}}))
        assert "Nokia" in sec.not_computed["revenue_premium"]
        assert "revenue_premium" not in sec.tables
        assert "associations" in sec.not_computed  # no voice figures upstream
        with pytest.raises(ValueError, match="weights: unknown dimension"):
            Equity().run(wh, Config(analysis_options={"equity": {"weights": {"fame": 1.0}}}))


def test_without_device_history_loyalty_is_named_not_computed():
    wh = Warehouse()
    _insert(wh, "market_sales", pd.DataFrame({"period": ["2024Q1", "2024Q1"], "region": "CN",
                                              "brand": ["Redmi", "Xiaomi"], "price_band": "<2000", "units": [10, 10],
                                              "avg_price": [1000.0, 2000.0]}))
    with wh:
        eq = Equity()
        assert eq.missing(wh) is None
        sec = eq.run(wh, Config(sub_brands=(), analysis_options={"equity": {"benchmark_brand": "Redmi"}}))
        assert "device_history" in sec.not_computed["loyalty"]
        assert sec.figures["Xiaomi"]["revenue_premium"] == 10_000
        assert "loyalty" not in sec.figures["Xiaomi"]
        none = Equity().run(wh, Config(sub_brands=()))
        assert "benchmark_brand" in none.not_computed["revenue_premium"]
