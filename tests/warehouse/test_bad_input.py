"""Hostile input: every bad row is quarantined with the right reason, column and row; good rows all load."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wh_helpers import quarantined, rows, write

from upmarket.config import Config
from upmarket.contract import TABLES
from upmarket.warehouse import Warehouse
from upmarket.warehouse.ingest import NoLoadableFileError, RejectedFileError

D = dt.date(2024, 11, 11)
HEADER = "date,platform,sku_id,visitors,buyers\n"


def _ingest(dataset: Path) -> tuple[Warehouse, object]:
    wh = Warehouse()
    return wh, wh.ingest(dataset, Config())


def test_gbk_with_title_rows_and_chinese_values(dataset: Path) -> None:
    text = ("京东商智 商品明细\n导出时间：2024-11-12\n"
            "时间,平台,SKU,商品访客数,成交客户数,成交金额\n"
            "2024-11-11,京东,100012,\"1,234\",12,\"￥5,678.50\"\n"
            "2024-11-11,京东,100013,1.2万,--,-\n")
    write(dataset / "traffic.csv", text, "gbk")
    wh, rep = _ingest(dataset)
    f = rep.file("traffic.csv")
    assert f.encoding in ("gbk", "gb18030") and (f.rows_read, f.rows_loaded) == (2, 1)
    assert rows(wh, "SELECT date, platform, sku_id, visitors, buyers, gmv, _row FROM traffic") == [
        (D, "jd", "100012", 1234, 12, 5678.5, 4)]
    assert quarantined(wh) == [(5, "buyers", "missing_required", "--")]


def test_utf8_bom_mixed_line_endings_and_quoted_newlines(dataset: Path) -> None:
    raw = ("\ufeffdate,platform,sku_id,segment,visitors,buyers\r\n"
           "2024-11-11,jd,A1,\"students\r\nand young\",10,1\n"
           "2024-11-11,jd,A2,plain,20,2\r\n"
           "2024-11-11,jd,A3,,30,3\n")
    write(dataset / "traffic.csv", raw)
    wh, rep = _ingest(dataset)
    assert rep.file("traffic.csv").rows_loaded == 3
    got = rows(wh, "SELECT sku_id, segment, visitors FROM traffic ORDER BY sku_id")
    assert got == [("A1", "students\r\nand young", 10), ("A2", "plain", 20), ("A3", None, 30)]


def test_missing_markers_negative_counts_and_rules(dataset: Path) -> None:
    write(dataset / "traffic.csv", HEADER + "2024-11-11,jd,A1,-,0\n2024-11-11,jd,A2,--,0\n2024-11-11,jd,A3,-4,0\n"
          "2024-11-11,jd,A4,10,11\n2024-11-11,jd,A5,\"1,000\",999\n")
    wh, _ = _ingest(dataset)
    assert quarantined(wh) == [(2, "visitors", "missing_required", "-"), (3, "visitors", "missing_required", "--"),
                               (4, "visitors", "below_min", "-4"), (5, "buyers", "buyers_gt_visitors", "11")]
    assert rows(wh, "SELECT sku_id, visitors, buyers FROM traffic") == [("A5", 1000, 999)]


def test_duplicated_headers_are_kept_as_extra(dataset: Path) -> None:
    write(dataset / "traffic.csv", "date,platform,sku_id,visitors,visitors,buyers\n2024-11-11,jd,A1,10,11,1\n"
          "2024-11-11,jd,A2,5,6,9\n")
    wh, _ = _ingest(dataset)
    assert rows(wh, "SELECT visitors, _extra FROM traffic") == [(10, '{"visitors_2":"11"}')]
    raw_row = rows(wh, "SELECT raw_row FROM quarantine")[0][0]
    assert '"visitors":"5"' in raw_row and '"visitors_2":"6"' in raw_row


def test_ragged_rows_are_quarantined(dataset: Path) -> None:
    write(dataset / "traffic.csv", HEADER + "2024-11-11,jd,A1,10,1\n2024-11-11,jd,A2,10,1,oops,more\n"
          "2024-11-11,jd,A3,10\n2024-11-11,jd,A4,10,2\n")
    wh, rep = _ingest(dataset)
    f = rep.file("traffic.csv")
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (4, 2, 2)
    assert [(r, reason) for r, _, reason, _ in quarantined(wh)] == [(3, "ragged_row"), (4, "ragged_row")]


def test_summary_row_is_reconciled_with_loaded_rows(dataset: Path) -> None:
    write(dataset / "traffic.csv", "时间,平台,SKU,商品访客数,成交客户数,成交金额\n"
          "合计,,,\"1,300\",6,\"1,002.50\"\n"
          "2024-11-11,京东,A1,\"1,234\",5,\"1,000.50\"\n2024-11-11,京东,A2,10,1,2\n")
    wh, rep = _ingest(dataset)
    f = rep.file("traffic.csv")
    assert quarantined(wh) == [(2, "date", "summary_row", "合计")]
    assert f.reconcile == ["visitors: summary row says 1,300, loaded rows sum to 1,244"]
    assert "1,300" in str(rep)


def test_empty_file_fails_with_one_clear_message(dataset: Path) -> None:
    write(dataset / "traffic.csv", "")
    with pytest.raises(NoLoadableFileError, match=r"traffic\.csv"):  # the only file, rejected: nothing to load
        _ingest(dataset)


def test_truncated_gzip_is_rejected_and_rolled_back(dataset: Path) -> None:
    write(dataset / "users.csv", "user_id\nu1\n")
    body = HEADER + "".join(f"2024-11-11,jd,S{i},{i + 10},1\n" for i in range(20000))
    blob = gzip.compress(body.encode())
    (dataset / "traffic.csv.gz").write_bytes(blob[: len(blob) // 2])
    wh = Warehouse()
    with pytest.raises(RejectedFileError, match=r"traffic\.csv\.gz"):
        wh.ingest(dataset, Config(), strict=True)
    assert wh.count("users") == 0 and wh.count("traffic") == 0 and wh.count("ingest_manifest") == 0
    rep = wh.ingest(dataset, Config())
    assert [(f.path, f.status) for f in rep.rejected] == [("traffic.csv.gz", "rejected")]
    assert wh.count("users") == 1 and wh.count("traffic") == 0 and wh.count("ingest_manifest") == 1


def test_xlsx_with_merged_section_headers(dataset: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["商品数据", None, None, "流量", None, "成交", None])
    for rng in ("A1:C1", "D1:E1", "F1:G1"):
        ws.merge_cells(rng)
    ws.append(["日期", "平台", "商品ID", "访客数", "浏览量", "支付买家数", "支付金额"])
    ws.append(["2024-11-11", "京东", 123456, "1,234", 2000, 12, "￥5,000.00"])
    ws.append([dt.date(2024, 11, 12), "京东", 123456.0, 1000, 1800, 10, 4000.5])
    ws.append(["合计", None, None, 2234, 3800, 22, 9000.5])
    wb.save(dataset / "traffic.xlsx")
    wh, rep = _ingest(dataset)
    f = rep.file("traffic.xlsx")
    assert (f.format, f.rows_read, f.rows_loaded, f.rows_quarantined) == ("xlsx", 3, 2, 1)
    assert rows(wh, "SELECT date, platform, sku_id, visitors, page_views, buyers, gmv, _row FROM traffic ORDER BY _row"
                ) == [(D, "jd", "123456", 1234, 2000, 12, 5000.0, 3),
                      (dt.date(2024, 11, 12), "jd", "123456", 1000, 1800, 10, 4000.5, 4)]
    assert quarantined(wh) == [(5, "date", "summary_row", "合计")]


# --- the key check: a GBK export with Chinese headers = the same table in UTF-8 with English headers ----------

TRAFFIC_COLS = ", ".join(f'"{c}"' for c in TABLES["traffic"].names)


def test_gbk_chinese_export_equals_utf8_english(tmp_path: Path) -> None:
    zh = tmp_path / "zh"
    en = tmp_path / "en"
    write(zh / "traffic.csv",
          "生意参谋 商品\n统计时间 2024-11-01 ~ 2024-11-07\n\n\n"
          "统计日期,平台,商品ID,城市等级,流量来源,商品访客数,商品浏览量,商品收藏人数,商品加购人数,支付买家数,支付件数,支付金额\n"
          "2024-11-01至2024-11-07,天猫,654321.0,新一线,手淘搜索,\"12,345\",3.2万,\"1,200\",800,321,330,\"￥1,234,567.80\"\n"
          "2024年11月8日,天猫,654322,一线,直播,900,1500,-,--,12,12,\"45,000\"\n"
          "2024/11/09,淘宝,654323,五线及以下,其他,10,10,0,0,0,0,0\n", "gbk")
    write(en / "traffic.csv",
          "date,date_end,platform,sku_id,city_tier,source,visitors,page_views,favorites,add_to_carts,buyers,units,gmv\n"
          "2024-11-01,2024-11-07,tmall,654321,new_tier1,search,12345,32000,1200,800,321,330,1234567.8\n"
          "2024-11-08,,tmall,654322,tier1,live,900,1500,,,12,12,45000\n"
          "2024-11-09,,tmall,654323,tier5,other,10,10,0,0,0,0,0\n")
    got = {}
    for name, d in (("zh", zh), ("en", en)):
        wh, rep = _ingest(d)
        assert rep.totals["rows_quarantined"] == 0, wh.quarantine().to_dict("records")
        got[name] = rows(wh, f"SELECT {TRAFFIC_COLS} FROM traffic ORDER BY sku_id")
    assert got["zh"] == got["en"]
    assert len(got["en"]) == 3


# --- property: random bad cells, written as UTF-8 or GBK CSV -----------------------------------------------------

BAD_TRAFFIC = {
    "neg": ("visitors", "-5", "below_min"),
    "pct": ("visitors", "5%", "percent_in_count_column"),
    "sci": ("sku_id", "1.2E+10", "id_scientific_notation"),
    "date": ("date", "2024-02-30", "invalid_date"),
    "code": ("platform", "Bad Shop", "invalid_code"),
    "miss": ("visitors", "--", "missing_required"),
    "frac": ("buyers", "1.5", "not_an_integer"),
    "rule": ("buyers", None, "buyers_gt_visitors"),
}
DATES = ["2024-11-{d:02d}", "2024/11/{d:02d}", "2024年11月{d}日"]
PLATFORMS = [("jd", "jd"), ("京东", "jd"), ("TMALL", "tmall"), ("拼多多", "pdd")]

traffic_rows = st.lists(
    st.tuples(st.integers(1, 28), st.sampled_from(range(len(DATES))), st.sampled_from(PLATFORMS),
              st.integers(0, 2_000_000), st.floats(0, 1), st.booleans(),
              st.none() | st.sampled_from(sorted(BAD_TRAFFIC))),
    min_size=1, max_size=25,
)

SLOW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _write_csv(path: Path, header: list[str], body: list[list[str]], encoding: str) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(body)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))


@SLOW
@given(traffic_rows, st.sampled_from(["utf-8", "gbk"]))
def test_property_traffic_bad_cells(data, encoding) -> None:
    body, expect_bad, expect_good = [], {}, {}
    for i, (day, fmt, (plat, plat_code), visitors, share, sep, bad) in enumerate(data):
        row_no = i + 2
        buyers = int(visitors * share)
        cells = {"date": DATES[fmt].format(d=day), "platform": plat, "sku_id": f"S{i}",
                 "visitors": f"{visitors:,}" if sep else str(visitors), "buyers": str(buyers)}
        if bad is not None:
            col, value, reason = BAD_TRAFFIC[bad]
            cells[col] = value if value is not None else str(visitors + 1)
            expect_bad[row_no] = (col, reason)
        else:
            expect_good[row_no] = (dt.date(2024, 11, day), plat_code, f"S{i}", visitors, buyers)
        body.append([cells[c] for c in ("date", "platform", "sku_id", "visitors", "buyers")])
    with tempfile.TemporaryDirectory() as tmp:
        _write_csv(Path(tmp) / "traffic.csv", ["date", "platform", "sku_id", "visitors", "buyers"], body, encoding)
        wh, rep = _ingest(Path(tmp))
    f = rep.file("traffic.csv")
    assert f.rows_read == len(data) == f.rows_loaded + f.rows_quarantined
    got_bad = {r: (c, reason) for r, c, reason, _ in quarantined(wh)}
    assert got_bad == expect_bad
    got_good = {r[-1]: r[:-1] for r in rows(wh, "SELECT date, platform, sku_id, visitors, buyers, _row FROM traffic")}
    assert got_good == expect_good


BAD_ORDERS = {
    "dup": ("order_id,sku_id", None, "duplicate_key"),
    "ts": ("ts", "2024-11-31 10:00:00", "invalid_timestamp"),
    "price": ("price_paid", "-1", "below_min"),
    "units": ("units", "0", "below_min"),
    "user": ("user_id", "", "missing_required"),
}

order_rows = st.lists(
    st.tuples(st.integers(0, 23), st.sampled_from(["", "+08:00", "Z"]), st.none() | st.integers(1, 5),
              st.integers(1, 9999), st.none() | st.sampled_from(sorted(BAD_ORDERS))),
    min_size=1, max_size=25,
)


@SLOW
@given(order_rows, st.sampled_from(["utf-8", "gbk"]))
def test_property_orders_bad_cells(data, encoding) -> None:
    body, expect_bad, expect_good = [], {}, {}
    for i, (hour, zone, units, price, bad) in enumerate(data):
        row_no = i + 2
        cells = {"order_id": f"o{i}", "ts": f"2024-11-11 {hour:02d}:00:00{zone}", "user_id": f"u{i}",
                 "platform": "京东", "sku_id": "S1", "units": "" if units is None else str(units),
                 "price_paid": f"￥{price:,}"}
        if bad == "dup" and not expect_good:
            bad = None  # no loaded row to duplicate yet
        if bad == "dup":
            cells["order_id"] = expect_good[min(expect_good)][0]  # the key of a row that loaded
            expect_bad[row_no] = BAD_ORDERS[bad][0], BAD_ORDERS[bad][2]
        elif bad is not None:
            col, value, reason = BAD_ORDERS[bad]
            cells[col] = value
            expect_bad[row_no] = (col, reason)
        else:
            ts = dt.datetime(2024, 11, 11) + dt.timedelta(hours=hour + (8 if zone == "Z" else 0))
            expect_good[row_no] = (f"o{i}", ts, "jd", units or 1, float(price))
        body.append([cells[c] for c in ("order_id", "ts", "user_id", "platform", "sku_id", "units", "price_paid")])
    with tempfile.TemporaryDirectory() as tmp:
        _write_csv(Path(tmp) / "orders.csv", ["order_id", "ts", "user_id", "platform", "sku_id", "units",
                                              "price_paid"], body, encoding)
        wh, rep = _ingest(Path(tmp))
    f = rep.file("orders.csv")
    assert f.rows_read == len(data) == f.rows_loaded + f.rows_quarantined
    assert {r: (c, reason) for r, c, reason, _ in quarantined(wh)} == expect_bad
    got_good = {r[-1]: r[:-1] for r in rows(wh, "SELECT order_id, ts, platform, units, price_paid, _row FROM orders")}
    assert got_good == expect_good
