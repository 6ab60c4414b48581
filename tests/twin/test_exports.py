"""Platform-style exports: right encodings and headers, known bad rows, and no row written twice."""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from upmarket.contract import TABLES
from upmarket.twin import catalog, consumers
from upmarket.twin.channels import simulate_channels
from upmarket.twin.exports import write_platform_exports
from upmarket.twin.writer import write_table

COUNTS = ("impressions", "clicks", "visitors", "page_views", "favorites", "add_to_carts", "buyers", "orders", "units")


def _dataset(out: Path) -> None:
    users = consumers.users(5_000, np.random.default_rng(1))
    simulate_channels(catalog.products(), users, rng=np.random.default_rng(2), n_events=60_000, out_dir=out,
                      start=date(2024, 1, 1), end=date(2025, 6, 30))
    shutil.rmtree(out / "events")  # not exported; keeps the folder small
    weeks = pd.date_range("2024-01-01", "2025-06-30", freq="W-MON").date
    spend = pd.DataFrame({"week": np.repeat(weeks, 3), "channel": np.tile(["douyin_ads", "jd_ads", "douyin_ads"],
                                                                          len(weeks)),
                          "brand": np.tile(["Xiaomi", "Xiaomi", "Huawei"], len(weeks)),
                          "spend": np.arange(3 * len(weeks)) * 1000.0 + 5e5,
                          "impressions": np.arange(3 * len(weeks)) * 10 + 100})
    write_table(spend, "spend", out)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict[str, pd.DataFrame]]:
    out = tmp_path_factory.mktemp("exports")
    _dataset(out)
    before = {t: pd.read_parquet(out / f"{t}.parquet") for t in ("traffic", "orders", "spend")}
    truth = write_platform_exports(out, np.random.default_rng(7), bad_per_file=5, orders_part_rows=40)
    return out, truth, before


def _zh(table: str, column: str) -> tuple[str, ...]:
    return TABLES[table].column(column).aliases


def _bad_traffic(df: pd.DataFrame, names: dict[str, str]) -> dict[str, int]:
    """Count bad rows by inspecting the raw text, independently of the writer."""
    reasons = {}
    num = {c: pd.to_numeric(df[names[c]].str.replace(",", ""), errors="coerce") for c in ("visitors", "buyers")}
    reasons["negative_count"] = int((num["visitors"] < 0).sum())
    reasons["percent_in_count"] = int(df[names["buyers"]].str.contains("%").sum())
    reasons["buyers_gt_visitors"] = int(((num["buyers"] > num["visitors"]) & (num["visitors"] >= 0)).sum())
    reasons["bad_date"] = int(pd.to_datetime(df[names["date"]], format="%Y-%m-%d", errors="coerce").isna().sum()
                              - (df[names["sku_id"]] == "合计").sum())
    reasons["scientific_id"] = int(df[names["sku_id"]].str.fullmatch(r"\d(\.\d+)?E\+\d+").sum())
    return {k: v for k, v in reasons.items() if v}


def test_layout_and_replacement(exported) -> None:
    out, truth, before = exported
    files = set(truth["ingest"])
    assert any(f.startswith("traffic/platform=jd/") and f.endswith(".csv") for f in files)
    assert any(f.startswith("traffic/platform=tmall/") for f in files)
    assert any(f.startswith("spend/channel=douyin_ads/") and f.endswith(".xlsx") for f in files)
    assert sum(f.startswith("orders/part-") and f.endswith(".csv.gz") for f in files) >= 2
    for f in files:
        assert (out / f).is_file(), f
    assert not (out / "orders.parquet").exists()
    rest = pd.read_parquet(out / "traffic.parquet")
    assert set(rest["platform"]) == {"mistore", "douyin"}
    assert len(rest) == (~before["traffic"]["platform"].isin(["jd", "tmall"])).sum()
    sp = pd.read_parquet(out / "spend.parquet")
    assert not ((sp["channel"] == "douyin_ads") & (sp["brand"] == "Xiaomi")).any()
    assert ((sp["channel"] == "douyin_ads") & (sp["brand"] == "Huawei")).any()  # no brand column in 千川: stays


@pytest.mark.parametrize("platform,title_rows", [("jd", 0), ("tmall", 4)])
def test_traffic_exports(exported, platform: str, title_rows: int) -> None:
    out, truth, before = exported
    rel = next(f for f in truth["ingest"] if f.startswith(f"traffic/platform={platform}/"))
    t = truth["ingest"][rel]
    raw = (out / rel).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("gbk")
    df = pd.read_csv(io.StringIO(text), skiprows=title_rows, dtype=str, keep_default_na=False)
    # headers are the contract's Chinese aliases (plus 商品加购件数, an extra column, for 生意参谋)
    names = {}
    for h in df.columns:
        col = next((c.name for c in TABLES["traffic"].columns if h in c.aliases), None)
        assert col is not None or h == "商品加购件数", h
        if col:
            names[col] = h
    assert set(names) >= {"date", "sku_id", "city_tier", "source", *COUNTS, "gmv"}
    assert names["sku_id"] == ("SKU" if platform == "jd" else "商品ID")
    assert len(df) == t["rows"] and t["title_rows"] == title_rows
    assert t["bad_rows"] == 5 and sum(t["reasons"].values()) == 5
    assert _bad_traffic(df, names) == t["reasons"]
    summary = df[names["sku_id"]] == "合计"
    assert summary.sum() == t["summary_rows"] == (1 if platform == "jd" else 0)
    if platform == "jd":
        assert summary.iloc[0]  # at the top
    # the good rows are exactly the canonical rows of that platform (nothing lost, nothing doubled)
    bad = pd.Series(False, index=df.index)
    for c in ("visitors", "buyers"):
        v = pd.to_numeric(df[names[c]], errors="coerce")
        bad |= v.isna() | (v < 0)
    bad |= pd.to_numeric(df[names["buyers"]], errors="coerce") > pd.to_numeric(df[names["visitors"]], errors="coerce")
    bad |= pd.to_datetime(df[names["date"]], format="%Y-%m-%d", errors="coerce").isna()
    bad |= df[names["sku_id"]].str.contains("E+", regex=False)
    good = df[~bad & ~summary]
    assert len(good) == t["good_rows"]
    canon = before["traffic"][before["traffic"]["platform"] == platform]
    assert len(good) == len(canon)
    for c in COUNTS:
        assert pd.to_numeric(good[names[c]]).sum() == canon[c].sum(), c
    gmv = pd.to_numeric(good[names["gmv"]].str.replace(",", "")).sum()
    assert gmv == pytest.approx(canon["gmv"].sum(), abs=0.05)
    if platform == "jd":
        assert int(df.loc[summary, names["buyers"]].iloc[0]) == canon["buyers"].sum()
    zh_tiers = set(good[names["city_tier"]])
    assert zh_tiers <= {"一线", "新一线", "二线", "三线", "四线", "五线"}


def test_spend_xlsx(exported) -> None:
    from openpyxl import load_workbook

    out, truth, before = exported
    rel = next(f for f in truth["ingest"] if f.endswith(".xlsx"))
    t = truth["ingest"][rel]
    raw = (out / rel).read_bytes()
    assert raw[:2] == b"PK"
    ws = load_workbook(io.BytesIO(raw)).active
    rows = list(ws.iter_rows(values_only=True))
    assert "千川" in str(rows[0][0])  # one title row, then the header
    header = rows[1]
    assert header[0] in _zh("spend", "week") and header[1] in _zh("spend", "spend")
    body = rows[2:]
    assert len(body) == t["rows"] == t["good_rows"] + t["bad_rows"] and t["bad_rows"] == 5
    neg = sum(isinstance(r[1], int | float) and r[1] < 0 for r in body)
    pct = sum(isinstance(v, str) and v.endswith("%") for r in body for v in r[1:])
    bad_date = sum(pd.isna(pd.to_datetime(r[0], errors="coerce")) for r in body)
    assert {"negative_spend": neg, "percent_in_count": pct, "bad_date": bad_date} == t["reasons"]
    canon = before["spend"]
    canon = canon[(canon["channel"] == "douyin_ads") & (canon["brand"] == "Xiaomi")]
    assert len(body) - 5 == len(canon)


def test_orders_gzip_parts(exported) -> None:
    out, truth, before = exported
    parts = sorted(f for f in truth["ingest"] if f.startswith("orders/"))
    frames = []
    for rel in parts:
        raw = (out / rel).read_bytes()
        assert raw[:2] == b"\x1f\x8b"
        df = pd.read_csv(io.BytesIO(gzip.decompress(raw)), dtype=str)
        assert list(df.columns[:7]) == ["order_id", "ts", "user_id", "platform", "sku_id", "units", "price_paid"]
        t = truth["ingest"][rel]
        assert len(df) == t["rows"] and t["bad_rows"] == 5
        frames.append(df)
    allo = pd.concat(frames, ignore_index=True)
    ts = pd.to_datetime(allo["ts"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    bad = ts.isna() | (pd.to_numeric(allo["price_paid"]) < 0) | allo["order_id"].str.contains("E+", regex=False)
    assert bad.sum() == 5 * len(parts)
    good = allo[~bad]
    assert len(good) == len(before["orders"])
    assert set(good["order_id"]) == set(before["orders"]["order_id"])
    assert pd.to_numeric(good["price_paid"]).sum() == pytest.approx(before["orders"]["price_paid"].sum())


def test_exports_deterministic(tmp_path: Path) -> None:
    def digest(root: Path, rels: list[str]) -> str:
        h = hashlib.sha256()
        for rel in [*sorted(rels), "traffic.parquet", "spend.parquet"]:
            h.update((root / rel).read_bytes())
        return h.hexdigest()

    _dataset(tmp_path / "a")
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    ta = write_platform_exports(tmp_path / "a", np.random.default_rng(3), orders_part_rows=40)
    tb = write_platform_exports(tmp_path / "b", np.random.default_rng(3), orders_part_rows=40)
    assert ta == tb
    assert digest(tmp_path / "a", list(ta["ingest"])) == digest(tmp_path / "b", list(tb["ingest"]))


def test_ingest_end_to_end(exported, tmp_path: Path) -> None:
    """The project's ingest reads every export, and quarantines exactly the recorded bad and summary rows."""
    import upmarket

    out, truth, before = exported
    upmarket.ingest(out, db=tmp_path / "w.duckdb")
    import duckdb

    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    man = dict(((p, (r, q)) for p, r, q in con.execute(
        "SELECT path, rows_read, rows_quarantined FROM ingest_manifest").fetchall()))
    for rel, t in truth["ingest"].items():
        assert man[rel] == (t["rows"], t["bad_rows"] + t["summary_rows"]), rel
    loaded = con.execute("SELECT " + ", ".join(f"sum({c})" for c in COUNTS) + " FROM traffic").fetchone()
    assert list(loaded) == [before["traffic"][c].sum() for c in COUNTS]
    assert con.execute("SELECT count(*) FROM orders").fetchone()[0] == len(before["orders"])
    con.close()
    assert pq.read_metadata(out / "traffic.parquet").num_rows > 0


def test_twin_subset_keeps_both_halves_of_a_split_table(demo_twin: Path, twin_subset) -> None:
    """The demo writes spend as spend.parquet (six channels) plus a 千川 export folder (douyin_ads): the two hold
    different rows, so a subset with ``spend`` must carry both, and its ingest sees every planted channel."""
    from upmarket.config import load_config
    from upmarket.warehouse import Warehouse

    parquet = set(pd.read_parquet(demo_twin / "spend.parquet")["channel"])
    assert (demo_twin / "spend" / "channel=douyin_ads").is_dir() and "douyin_ads" not in parquet
    sub = twin_subset(("spend",))
    with Warehouse(":memory:") as wh:
        wh.ingest(sub, load_config(sub))
        channels = {r[0] for r in wh.con.execute("SELECT DISTINCT channel FROM spend").fetchall()}
    assert channels == parquet | {"douyin_ads"} and len(channels) == 7
