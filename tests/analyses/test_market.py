"""Market structure: the paper example reproduces every published figure; the counting rules hold."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from upmarket.analyses.market import (
    MarketStructure,
    choose_yoy_period,
    parse_period,
    period_zh,
    year_before,
)
from upmarket.config import Config, load_config
from upmarket.report.charts import charts_of
from upmarket.warehouse import Warehouse

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "paper_2024"


def load(wh: Warehouse, table: str, df: pd.DataFrame) -> None:
    """Put rows into a contract table through the ingest cleaning path; every row must load."""
    report = wh.load_frame(table, df, file_label=f"{table}.test")
    assert wh.count(table) == len(df), report


def run(rows: list[dict], config: Config | None = None, products: list[dict] | None = None):
    wh = Warehouse()
    df = pd.DataFrame(rows)
    for col in ("price_band", "model", "avg_price", "revenue"):
        if col not in df:
            df[col] = None
    df["avg_price"] = df["avg_price"].astype("float64")
    df["revenue"] = df["revenue"].astype("float64")
    load(wh, "market_sales", df)
    if products:
        load(wh, "products", pd.DataFrame(products))
    return MarketStructure().run(wh, config or Config())


def band(period: str, bnd: str, units: int, brand: str = "Xiaomi", region: str = "CN") -> dict:
    return {"period": period, "region": region, "brand": brand, "price_band": bnd, "units": units}


# --------------------------------------------------------------------------- the paper example
@pytest.fixture(scope="module")
def paper():
    """The example loaded the way `upmarket analyze` loads it: the CSV through ingest, upmarket.toml."""
    cfg = load_config(EXAMPLE)
    with Warehouse() as wh:  # in memory: nothing is written into the example folder
        wh.ingest(EXAMPLE, cfg)
        assert wh.count("market_sales") == 224
        assert MarketStructure().missing(wh) is None
        return MarketStructure().run(wh, cfg)


def test_paper_table1_h1_2024_yoy_by_band(paper):
    f = paper.figures
    assert f["yoy_period"] == "2024H1"
    yoy = f["price_band_yoy"]
    assert list(yoy) == ["<2000", "2000-3999", "4000-5999", "6000+", "4000+"], "every band, then the aggregate"
    parts = [yoy["4000-5999"], yoy["6000+"]]
    if None not in parts:  # the pooled growth is a units-weighted mean of its bands' growths
        assert min(parts) - 1e-12 <= yoy["4000+"] <= max(parts) + 1e-12
    assert abs(yoy["4000+"] - 0.17) < 0.0005
    assert abs(yoy["2000-3999"] + 0.10) < 0.0005
    assert abs(yoy["<2000"] + 0.19) < 0.0005


def test_paper_premium_brand_shares(paper):
    pbs = paper.figures["premium_brand_share"]
    assert abs(pbs["2023"]["Apple"] - 0.618) < 0.0005
    assert abs(pbs["2024"]["Apple"] - 0.511) < 0.0005
    assert abs(pbs["2023"]["Huawei"] - 0.21) < 0.005
    assert pbs["2024"]["Huawei"] > 0.30  # "over 30%"; filled in as 30.5%
    assert abs(pbs["2024"]["Huawei"] - 0.305) < 0.0005
    growth = paper.figures["premium_brand_yoy"]["2024"]
    for brand in ("Xiaomi", "vivo", "OPPO"):
        assert pbs["2024"][brand] < 0.10  # single digits
        assert 0.45 <= growth[brand] < 0.50  # "close to 50%"


def test_paper_q4_2024_canalys(paper):
    f = paper.figures
    assert round(f["units"]["2024Q4"] / 1e6, 1) == 77.4
    assert round(f["units_yoy"]["2024Q4"], 2) == 0.05
    units = f["brand_units"]["2024Q4"]
    assert round(units["Apple"] / 1e6, 1) == 13.1
    assert round(units["Xiaomi"] / 1e6, 1) == 12.2
    share = f["brand_share"]["2024Q4"]
    assert round(share["vivo"], 2) == 0.17
    assert round(share["Huawei"], 2) == 0.16
    ranked = [b for b in sorted(units, key=units.get, reverse=True) if b != "Others"]
    assert ranked[:4] == ["Apple", "vivo", "Huawei", "Xiaomi"]
    assert round(f["brand_yoy"]["2024Q4"]["Xiaomi"], 2) == 0.29


def test_paper_full_year_and_premium_share(paper):
    f = paper.figures
    assert round(f["units"]["2024"] / 1e8, 2) == 2.85
    assert 0.04 <= f["units_yoy"]["2024"] <= 0.056
    assert round(f["premium_share"]["2024H2"], 2) == 0.28
    top3 = sorted(f["brand_units"]["2024"], key=f["brand_units"]["2024"].get, reverse=True)[:3]
    assert top3 == ["vivo", "Huawei", "Apple"]
    assert paper.warnings == []


def test_paper_tables_findings_and_charts(paper, findings_are_templates):
    ub = paper.tables["units_by_band"]
    assert list(ub.columns) == ["period", "price_band", "units", "share"]
    assert ub.groupby("period")["share"].sum().round(9).eq(1).all()
    assert int(ub.loc[ub.period == "2024", "units"].sum()) == paper.figures["units"]["2024"]
    text = " ".join(f.text for f in paper.findings)
    assert "grew 17.0% year on year in 2024H1" in text and "<¥2,000 fell 19.0%" in text
    zh = " ".join(f.text_zh for f in paper.findings)
    assert "2024年上半年¥4,000及以上价位段销量同比增长17.0%" in zh and "¥2,000以下价位段同比下降19.0%" in zh
    assert "Xiaomi" in text  # the focal brand in the premium band
    findings_are_templates(paper, "market")
    assert {c.name for c in charts_of(paper, "Xiaomi")} == {"market_units_by_band", "market_premium_share",
                                                           "market_premium_brands"}


# --------------------------------------------------------------------------- rules
def test_periods():
    assert parse_period("2024H2").start.month == 7 and parse_period("2024H2").end.day == 31
    assert parse_period("2024-02").end.day == 29 and parse_period("2024Q4").months == 3
    assert year_before("2024-11") == "2023-11" and year_before("2024Q4") == "2023Q4"
    assert period_zh("2024Q4") == "2024年第四季度"
    with pytest.raises(ValueError, match="2024H3"):
        parse_period("2024H3")


def test_yoy_period_choice_latest_then_longer_then_configured():
    assert choose_yoy_period(["2024H1", "2024Q4", "2024", "2024H2"]) == "2024"
    assert choose_yoy_period(["2024H1", "2024Q3"]) == "2024Q3"
    assert choose_yoy_period(["2024H1", "2024"], "2024H1") == "2024H1"
    rows = [band(p, "<2000", u) for p, u in (("2023", 100), ("2024", 90), ("2023H1", 50), ("2024H1", 60))]
    assert run(rows).figures["yoy_period"] == "2024"
    cfg = Config(analysis_options={"market": {"yoy_period": "2024H1"}})
    s = run(rows, cfg)
    assert s.figures["yoy_period"] == "2024H1" and abs(s.figures["price_band_yoy"]["<2000"] - 0.2) < 1e-9
    bad = run(rows, Config(analysis_options={"market": {"yoy_period": "2022"}}))
    assert bad.figures["yoy_period"] == "2024" and any("'2022'" in w for w in bad.warnings)


def test_cn_rows_win_over_provinces_and_provinces_sum_without_cn():
    rows = [
        band("2024", "<2000", 100, region="CN"),
        band("2024", "<2000", 60, region="Guangdong"),
        band("2024", "<2000", 40, region="Zhejiang"),
        band("2023", "<2000", 30, region="广东"),
        band("2023", "6000+", 20, region="浙江"),
        band("2023", "6000+", 999, region="IN"),
    ]
    s = run(rows)
    assert s.figures["units"] == {"2023": 50, "2024": 100}
    assert s.figures["premium_share"]["2023"] == pytest.approx(0.4)
    assert any("province rows ignored" in w and "100 units" in w for w in s.warnings)
    assert any("summed from provinces for 2023" in w for w in s.warnings)
    assert any("other countries" in w and "999" in w for w in s.warnings)


def test_band_rows_win_over_model_rows_for_the_same_brand():
    rows = [
        band("2024", "6000+", 100, brand="Apple"),
        {"period": "2024", "region": "CN", "brand": "Apple", "model": "iPhone 16 Pro", "units": 80, "avg_price": 8999},
        {"period": "2024", "region": "CN", "brand": "Xiaomi", "model": "Xiaomi 15", "units": 50, "avg_price": 4499},
    ]
    s = run(rows)
    assert s.figures["units"]["2024"] == 150  # not 230
    assert s.figures["premium_brand_share"]["2024"] == {"Apple": pytest.approx(2 / 3, abs=1e-6),
                                                        "Xiaomi": pytest.approx(1 / 3, abs=1e-6)}
    assert any("model rows dropped" in w and "80 units" in w for w in s.warnings)


def test_model_rows_banded_by_avg_price_revenue_then_list_price():
    rows = [
        {"period": "2024", "region": "CN", "brand": "Xiaomi", "model": "Xiaomi 15", "units": 10, "avg_price": 4499},
        {"period": "2024", "region": "CN", "brand": "Redmi", "model": "Redmi K80", "units": 20, "revenue": 20 * 2499.0},
        {"period": "2024", "region": "CN", "brand": "Redmi", "model": "Redmi 14C", "units": 30},
        {"period": "2024", "region": "CN", "brand": "Honor", "model": "Mystery", "units": 5},
    ]
    products = [
        {"sku_id": "1", "brand": "Redmi", "model": "redmi 14c ", "list_price": 699.0},
        {"sku_id": "2", "brand": "Redmi", "model": "Redmi 14C", "list_price": 899.0},
    ]
    s = run(rows, products=products)
    ub = s.tables["units_by_band"].set_index("price_band")["units"].to_dict()
    assert ub == {"<2000": 30, "2000-3999": 20, "4000-5999": 10}
    assert s.figures["units"]["2024"] == 65  # the unbanded Honor row still counts in totals
    assert s.figures["premium_share"]["2024"] == pytest.approx(10 / 60, abs=1e-6)
    assert s.figures["brand_share"]["2024"]["Honor"] == pytest.approx(5 / 65, abs=1e-6)
    assert any("no price band" in w and "5 units" in w for w in s.warnings)
    assert any("avg_price (1 rows)" in w and "list_price (1 rows)" in w and "revenue (1 rows)" in w
               for w in s.warnings)


def test_runs_twice_on_one_warehouse_as_the_pipeline_does():
    cfg = load_config(EXAMPLE)
    with Warehouse() as wh:
        wh.ingest(EXAMPLE, cfg)
        a = MarketStructure()
        first = a.run(wh, cfg) if a.missing(wh) is None else None
        second = a.run(wh, cfg) if a.missing(wh) is None else None
    assert first is not None and second is not None and first.figures == second.figures


def test_quarterly_tracker_rolls_up_into_halves_and_years():
    rows = [band(f"{y}Q{q}", b, u * q) for y in (2023, 2024) for q in (1, 2, 3, 4) for b, u in
            (("<2000", 100), ("4000-5999", 30 if y == 2023 else 40))]
    rows = [r for r in rows if r["period"] not in ("2024Q3", "2024Q4")]  # 2024 incomplete
    out = run(rows, Config(analysis_options={"market": {"yoy_period": "2024H1"}}))
    f = out.figures
    assert {"2023H1", "2023H2", "2023", "2024H1"} <= set(f["units"])
    assert "2024" not in f["units"] and "2024H2" not in f["units"]
    assert f["units"]["2023H1"] == (100 + 30) * 3
    assert f["yoy_period"] == "2024H1"
    assert f["price_band_yoy"]["4000+"] == pytest.approx(40 / 30 - 1, abs=1e-6)
    assert f["price_band_yoy"]["<2000"] == pytest.approx(0.0, abs=1e-9)
    assert any("2024H1 = 2024Q1 + 2024Q2" in w for w in out.warnings)


def test_reported_halves_are_not_rebuilt_from_quarters():
    rows = [band("2023Q1", "<2000", 10), band("2023Q2", "<2000", 10), band("2023H1", "<2000", 25)]
    f = run(rows).figures
    assert f["units"]["2023H1"] == 25


def test_chart_axis_uses_one_granularity():
    from upmarket.report.charts.market import chart_periods

    assert chart_periods(["2024", "2023", "2024Q1", "2023Q4", "2024Q2", "2024H1"]) == ["2023Q4", "2024Q1", "2024Q2"]
    assert chart_periods(["2024", "2023", "2024H1", "2023H1", "2024Q4"]) == ["2023H1", "2024H1"]
