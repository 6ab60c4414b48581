"""The twin core: contract conformance, determinism, calibration, truth consistency."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from upmarket.contract import TABLES
from upmarket.twin import simulate
from upmarket.twin.catalog import products
from upmarket.twin.market import TARGETS, calibration_table
from upmarket.twin.writer import ARROW_TYPES, arrow_schema, write_table

CORE_TABLES = ("products", "users", "market_sales", "market_size", "listings", "choices", "device_history", "spend",
               "kpi_weekly")


def _digest(folder) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_bytes(tiny_twin, tmp_path):
    out, _, _ = tiny_twin
    simulate(tmp_path / "again", preset="tiny", seed=0)
    assert _digest(out) == _digest(tmp_path / "again")


@pytest.mark.parametrize("table", CORE_TABLES)
def test_tables_follow_the_contract(tiny_twin, table):
    out, _, _ = tiny_twin
    schema = pq.read_schema(out / f"{table}.parquet")
    t = TABLES[table]
    assert list(schema.names[: len(t.columns)]) == list(t.names)
    for c in t.columns:
        assert schema.field(c.name).type == ARROW_TYPES[c.dtype], c.name
    df = pd.read_parquet(out / f"{table}.parquet")
    for c in t.columns:
        if c.required:
            assert df[c.name].notna().all(), f"{table}.{c.name} has nulls"
        if c.min is not None and df[c.name].notna().any():
            assert (df[c.name].dropna() >= c.min).all(), f"{table}.{c.name} below {c.min}"


def test_writer_rejects_missing_required_column(tmp_path):
    with pytest.raises(ValueError, match=r"market_size.*potential_units"):
        write_table(pd.DataFrame({"period": ["2024Q1"], "region": ["CN"]}), "market_size", tmp_path)
    assert arrow_schema("users").names[0] == "user_id"


def test_market_truth_is_a_recount_of_market_sales(tiny_twin):
    out, truth, _ = tiny_twin
    ms = pd.read_parquet(out / "market_sales.parquet")
    prem = ms["price_band"].isin(["4000-5999", "6000+"])
    y24 = ms["period"].str.startswith("2024")
    assert truth["market"]["premium_share"]["2024"] == pytest.approx(ms.loc[prem & y24, "units"].sum()
                                                                     / ms.loc[y24, "units"].sum(), abs=1e-9)
    apple = ms.loc[prem & y24 & (ms["brand"] == "Apple"), "units"].sum() / ms.loc[prem & y24, "units"].sum()
    assert truth["market"]["premium_brand_share"]["2024"]["Apple"] == pytest.approx(apple, abs=1e-9)
    # avg_price agrees with the band column on every row
    edges = np.searchsorted([2000, 4000, 6000], ms["avg_price"], side="right")
    assert (np.array(["<2000", "2000-3999", "4000-5999", "6000+"])[edges] == ms["price_band"]).all()


def test_calibration_targets_met(tiny_twin):
    out, _, _ = tiny_twin
    cal = calibration_table(pd.read_parquet(out / "market_sales.parquet"))
    share_rows = cal[cal["target"].abs() < 1]
    assert (share_rows["twin"] - share_rows["target"]).abs().max() < 0.02, cal.to_string()
    units = cal[cal["target"] >= 1]
    assert ((units["twin"] - units["target"]).abs() / units["target"]).max() < 0.02, cal.to_string()
    assert TARGETS["yoy_2024H1"]["4000+"] == 0.17


def test_choices_one_chosen_per_task(tiny_twin):
    out, _, _ = tiny_twin
    ch = pd.read_parquet(out / "choices.parquet")
    per_task = ch.groupby(["respondent_id", "task_id"])["chosen"].sum()
    assert (per_task == 1).all()
    assert 0.03 < ch.loc[ch["alt_id"] == "none", "chosen"].mean() < 0.5


def test_pricing_truth_is_sane(tiny_twin):
    _, truth, _ = tiny_twin
    el = truth["pricing"]["price_elasticity"]["all"]
    assert all(v < 0 for v in el.values())
    for frm, row in truth["pricing"]["diversion"].items():
        assert sum(row.values()) == pytest.approx(1.0, abs=1e-9), frm
    prem = truth["pricing"]["brand_premium_cny"]
    assert prem["all"]["Redmi"] == 0.0
    assert prem["status"]["Apple"] > prem["value"]["Apple"]  # status buyers pay more for Apple


def test_device_history_starts_from_prior_brand(tiny_twin):
    out, truth, _ = tiny_twin
    dh = pd.read_parquet(out / "device_history.parquet")
    users = pd.read_parquet(out / "users.parquet").set_index("user_id")
    first = dh.groupby("user_id").first()
    assert (first["from_brand"] == users.loc[first.index, "prior_brand"]).all()
    assert set(truth["loyalty"]["retention"]) == set(products()["brand"])


def test_launch_truth_matches_market_sales_curve(tiny_twin):
    out, truth, _ = tiny_twin
    ms = pd.read_parquet(out / "market_sales.parquet")
    from upmarket.twin.launch import bass_cdf
    model = "Xiaomi Civi 4 Pro"
    p = truth["launch"][model]
    q = ms[ms["model"] == model].groupby("period")["units"].sum()
    weeks = (pd.PeriodIndex(q.index, freq="Q").end_time.normalize() + pd.Timedelta(days=1)
             - pd.Timestamp("2024-03-21")) / pd.Timedelta(days=7)
    expected = p["m"] * np.diff(np.concatenate([[0.0], bass_cdf(weeks.to_numpy(), p["p"], p["q"])]))
    assert np.allclose(q.to_numpy(), expected, rtol=0.01, atol=50)
