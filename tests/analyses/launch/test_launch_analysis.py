"""The launch section end to end on a hand-made dataset with planted Bass curves (no twin): quarterly series from
market_sales, weekly from orders, analogue forecasts for new models, reasons for what cannot be computed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.launch import Launch
from upmarket.analyses.launch.analogues import analogue_forecast, forecast_fan, virality_regression
from upmarket.analyses.launch.bass import bass_cdf, convert_rate
from upmarket.config import Config, load_config
from upmarket.report.charts import charts_of
from upmarket.warehouse import Warehouse

QUARTERS = [f"{y}Q{q}" for y in (2023, 2024, 2025) for q in (1, 2, 3, 4)][:10]
PLANTED = {  # model: (series, launch, weekly p, q, lifetime m)
    "Phone 1": ("Phone", "2023-01-16", 0.020, 0.080, 3.0e6),
    "Phone 2": ("Phone", "2023-07-10", 0.022, 0.075, 3.4e6),
    "Phone 3": ("Phone", "2024-01-08", 0.018, 0.085, 3.2e6),
    "Phone 4": ("Phone", "2025-04-07", 0.020, 0.080, 3.3e6),   # one quarter of sales: forecast from analogues
    "Lonely": ("Solo", "2025-03-03", 0.020, 0.080, 1.0e6),     # vivo, two quarters, no earlier model: not computed
}
WEB = ("Web", "2024-02-05", 0.03, 0.10, 20_000.0)               # only in orders: a weekly curve


def _quarter_bounds(period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Period(period, freq="Q").start_time
    return start, start + pd.DateOffset(months=3)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    rng = np.random.default_rng(3)
    out = tmp_path_factory.mktemp("launch")
    models = {**PLANTED, "Web Only": WEB}
    pd.DataFrame([{"sku_id": f"S{i}", "brand": "vivo" if m == "Lonely" else "Xiaomi", "series": s, "model": m,
                   "launch_date": d, "list_price": 3999.0} for i, (m, (s, d, *_)) in enumerate(models.items())]).to_csv(
        out / "products.csv", index=False)
    rows = []
    for model, (_, launch, p, q, m) in PLANTED.items():
        for period in QUARTERS:
            start, end = _quarter_bounds(period)
            t0, t1 = ((x - pd.Timestamp(launch)).days / 7 for x in (start, end))
            units = m * float(bass_cdf(np.array([t1]), p, q)[0] - bass_cdf(np.array([t0]), p, q)[0])
            if units > 0:
                units *= np.exp(rng.normal(0, 0.03))
                brand = "vivo" if model == "Lonely" else "Xiaomi"
                rows.append({"period": period, "region": "CN", "brand": brand, "model": model,
                             "units": round(units)})
                # a province's rows for the same period must not be added to the national figure
                rows.append({"period": period, "region": "Guangdong", "brand": brand, "model": model,
                             "units": round(units / 2)})
    pd.DataFrame(rows).to_csv(out / "market_sales.csv", index=False)
    _, launch, p, q, m = WEB
    weeks = pd.date_range("2024-01-01", "2025-06-23", freq="7D")
    orders = []
    for i, w in enumerate(weeks):
        t0, t1 = ((x - pd.Timestamp(launch)).days / 7 for x in (w, w + pd.Timedelta(days=7)))
        units = m * float(bass_cdf(np.array([t1]), p, q)[0] - bass_cdf(np.array([t0]), p, q)[0])
        units = round(units * np.exp(rng.normal(0, 0.1))) if units > 0 else 0
        if units:
            orders.append({"order_id": f"O{i}", "ts": (w + pd.Timedelta(days=2)).isoformat(), "user_id": f"U{i}",
                           "platform": "mistore", "sku_id": f"S{len(PLANTED)}", "units": units,
                           "price_paid": 3999.0})
    # the orders' span: the first week of 2024 to the end of June 2025
    orders.append({"order_id": "O-end", "ts": "2025-06-29T20:00:00", "user_id": "U-end", "platform": "mistore",
                   "sku_id": "S0", "units": 1, "price_paid": 3999.0})
    orders.append({"order_id": "O-start", "ts": "2024-01-01T09:00:00", "user_id": "U-start", "platform": "mistore",
                   "sku_id": "S0", "units": 1, "price_paid": 3999.0})
    pd.DataFrame(orders).to_csv(out / "orders.csv", index=False)
    return out


@pytest.fixture(scope="module")
def section(dataset):
    config = load_config(dataset)
    with Warehouse(":memory:") as wh:
        wh.ingest(dataset, config)
        analysis = Launch()
        analysis.upstream = {}
        return analysis.run(wh, config)


def _rel(a: float, b: float) -> float:
    return abs(a / b - 1)


@pytest.mark.parametrize("model", ["Phone 1", "Phone 2", "Phone 3"])
def test_quarterly_fits_recover_the_planted_curves(section, model):
    _, _, p, q, m = PLANTED[model]
    f = section.figures[model]
    assert f["time_unit"] == "quarter" and f["source"] == "market_sales" and f["basis"] == "fit"
    pw, qw = convert_rate(f["p"], "quarter", "week"), convert_rate(f["q"], "quarter", "week")
    assert _rel(pw, p) < 0.25 and _rel(qw, q) < 0.25 and _rel(f["m"], m) < 0.15, (pw, qw, f["m"])
    lo, hi = f["m_ci"]
    assert lo < f["m"] < (hi if hi is not None else np.inf)


def test_a_model_launched_before_the_data_is_fitted_from_its_launch_and_flagged(section):
    assert section.figures["Phone 1"]["censored"] is False  # launched 2023-01-16, the data begin 2023-01-01
    assert not any("Phone 1" in w for w in section.warnings)


def test_weekly_fit_from_orders(section):
    _, _, p, q, m = WEB
    f = section.figures["Web Only"]
    assert f["time_unit"] == "week" and f["source"] == "orders"
    assert _rel(f["p"], p) < 0.25 and _rel(f["q"], q) < 0.25 and _rel(f["m"], m) < 0.15, f


def test_a_new_model_is_forecast_from_its_series(section):
    f = section.figures["Phone 4"]
    assert f["basis"] == "analogues" and f["analogue_level"] == "series"
    assert f["analogues"] == ["Phone 1", "Phone 2", "Phone 3"]
    _, _, p, q, m = PLANTED["Phone 4"]
    for name, truth in (("p", convert_rate(p, "week", "quarter")), ("q", convert_rate(q, "week", "quarter")),
                        ("m", m)):
        lo, hi = f[f"{name}_ci"]
        assert lo < truth < hi
    fan = section.tables["launch_fan"]
    g = fan[fan["model"] == "Phone 4"]
    assert len(g) == 8 and (g["units_low"] <= g["units_median"]).all() and (g["units_median"] <= g["units_high"]).all()
    assert {c.name for c in charts_of(section, "Xiaomi")} == {"launch_curves", "launch_fan"}


def test_what_cannot_be_computed_says_why(section):
    assert "Lonely" not in section.figures
    assert "2 period(s)" in section.not_computed["Lonely"]
    assert "cascades" in section.not_computed["q_drivers"]


def test_rows_of_the_fits_table_add_up(section):
    fits = section.tables["launch_fits"]
    assert set(fits["model"]) >= {"Phone 1", "Phone 2", "Phone 3", "Phone 4", "Lonely", "Web Only"}
    assert fits.loc[fits["model"] == "Phone 3", "n_periods"].iloc[0] == 6  # 2024Q1 .. 2025Q2


def test_analogue_intervals_widen_when_analogues_disagree():
    close = pd.DataFrame({"p": [0.02, 0.021, 0.019], "q": [0.08, 0.079, 0.081], "m": [1e6, 1.02e6, 0.98e6],
                          "time_unit": "week"})
    apart = close.assign(q=[0.04, 0.08, 0.16], m=[0.5e6, 1e6, 2e6])
    a, b = analogue_forecast(close, "week"), analogue_forecast(apart, "week")
    width = lambda f, k: f[f"{k}_ci"][1] / f[f"{k}_ci"][0]  # noqa: E731
    assert width(b, "q") > 3 * width(a, "q") and width(b, "m") > 3 * width(a, "m")
    assert analogue_forecast(close, "quarter")["p"] == pytest.approx(convert_rate(a["p"], "week", "quarter"))
    fan = forecast_fan(b, 10, 500, np.random.default_rng(0))
    assert (fan["cumulative_high"].diff().dropna() >= 0).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_virality_regression_recovers_a_planted_slope(seed):
    rng = np.random.default_rng(seed)
    n = 30
    virality = rng.uniform(1.5, 4.0, n)
    q = np.exp(np.log(0.07) + 0.3 * (virality - 2.5) + rng.normal(0, 0.1, n))
    fits = pd.DataFrame({"model": [f"m{i}" for i in range(n)], "q": q * 13, "time_unit": "quarter"})
    reg = virality_regression(fits, pd.DataFrame({"model": fits["model"], "virality": virality}))
    assert reg["n"] == n and reg["slope_ci"][0] < 0.3 < reg["slope_ci"][1] and reg["slope_ci"][0] > 0


def test_bad_source_option_names_the_key(dataset):
    config = Config(analysis_options={"launch": {"source": "tracker"}})
    with Warehouse(":memory:") as wh:
        wh.ingest(dataset, config)
        with pytest.raises(ValueError, match=r"\[launch\] source"):
            Launch().run(wh, config)


def test_findings_are_templates(section, findings_are_templates):
    findings_are_templates(section, "launch")
    bass = next(f for f in section.findings if f.id == "launch.bass")
    assert "units on its Bass curve" in bass.text and "按 Bass 曲线" in bass.text_zh


@pytest.mark.parametrize(("slope_ci", "too_few", "en", "zh"), [
    ([0.1, 0.5], False, "the 90% interval excludes no effect).", "（90% 区间不含零）。"),
    ([-0.2, 0.5], True, "but its 90% interval includes none; too few launches to act on).", "区间包含零；上市次数太少"),
])
def test_the_virality_finding_is_a_template_citing_the_regression(slope_ci, too_few, en, zh, findings_are_templates):
    from upmarket.analyses.base import Section
    from upmarket.config import Config

    figures = {"q_drivers": {"cascade_virality": {"n": 25, "slope": 0.2, "slope_ci": slope_ci, "too_few": too_few}}}
    sec = Section("launch", "Launch", figures=figures, findings=Launch._findings(figures, Config()))
    findings_are_templates(sec, "launch")
    (f,) = sec.findings
    assert f.text.startswith("Across 25 launches, more viral cascades go with a faster") and f.text.endswith(en)
    assert zh in f.text_zh and f.evidence["launch.q_drivers.cascade_virality.slope_ci"] == slope_ci
