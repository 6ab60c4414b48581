"""The cleaning SQL generated from the contract: one raw spelling → one typed value or one reason."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from upmarket.warehouse import Warehouse
from upmarket.warehouse.pseudonym import pseudonymise

BASE_TRAFFIC = {"date": "2024-11-11", "platform": "jd", "sku_id": "A1", "visitors": "10", "buyers": "1"}
BASE_ORDERS = {"order_id": "o1", "ts": "2024-11-11 10:00:00", "user_id": "u1", "platform": "jd", "sku_id": "A1",
               "price_paid": "100"}


KEYS = {"orders": "order_id", "products": "sku_id", "users": "user_id"}


def _load_many(table: str, base: dict[str, str], column: str, raws: list[str | None]) -> list[tuple]:
    """Load one row per raw spelling of ``column``: per row, (typed value, None) or (column, reason)."""
    frame = []
    for i, raw in enumerate(raws):
        row = {**base, column: raw}
        if table in KEYS and column != KEYS[table]:
            row[KEYS[table]] = f"k{i}"
        frame.append(row)
    with Warehouse() as wh:
        rep = wh.load_frame(table, pd.DataFrame(frame), "t")
        assert rep.rows_read == len(raws) == rep.rows_loaded + rep.rows_quarantined
        typed = dict(wh.con.execute(f'SELECT _row, "{column}" FROM {table}').fetchall())
        bad = dict(wh.con.execute('SELECT "row", ["column", reason] FROM quarantine').fetchall())
    return [(typed[i], None) if i in typed else tuple(bad[i]) for i in range(1, len(raws) + 1)]


def _check(table: str, base: dict[str, str], column: str, cases: dict) -> None:
    """Every raw spelling in ``cases`` gives its expected (value, None) or (column, reason)."""
    got = dict(zip(cases, _load_many(table, base, column, list(cases)), strict=True))
    assert got == cases


def test_count_spellings_and_rejections():
    ok = {"1,234": 1234, "1，234": 1234, " 12 ": 12, "1.2万": 12000, "3亿": 300_000_000, "7.0": 7, "": None,
          "-": None, "--": None}
    bad = {"5%": "percent_in_count_column", "-3": "below_min", "1.5": "not_an_integer", "abc": "not_a_number",
           "inf": "not_a_number"}
    _check("traffic", BASE_TRAFFIC, "impressions",
           {**{k: (v, None) for k, v in ok.items()}, **{k: ("impressions", r) for k, r in bad.items()}})


def test_missing_is_never_zero():
    _check("traffic", {**BASE_TRAFFIC, "buyers": "0"}, "visitors",
           {"--": ("visitors", "missing_required"), "0": (0, None)})


def test_money():
    _check("traffic", BASE_TRAFFIC, "gmv", {"¥1,000.50": (1000.5, None), "￥2万": (20000.0, None), "3.5": (3.5, None),
                                            "100元": (100.0, None), "3.2%": ("gmv", "percent_in_number_column")})


def test_dates():
    d = dt.date(2024, 11, 11)
    _check("traffic", BASE_TRAFFIC, "date", {
        "2024-11-11": (d, None), "2024/11/11": (d, None), "2024年11月11日": (d, None),
        "2024-11-11 00:00:00": (d, None), "45607": (d, None), "20241111": (d, None),
        "2024-1-5": (dt.date(2024, 1, 5), None),
        "2024-13-45": ("date", "invalid_date"), "yesterday": ("date", "invalid_date"),
        "2024-11-01至soon": ("date", "invalid_date"),
    })


def test_date_range_sets_date_end():
    with Warehouse() as wh:
        df = pd.DataFrame([{**BASE_TRAFFIC, "date": "2024-11-01至2024-11-07"},
                           {**BASE_TRAFFIC, "sku_id": "A2", "date": "2024-11-01 ~ 2024-11-07"},
                           {**BASE_TRAFFIC, "sku_id": "A3"}])
        wh.load_frame("traffic", df)
        got = wh.con.execute("SELECT date, date_end FROM traffic ORDER BY _row").fetchall()
    week = (dt.date(2024, 11, 1), dt.date(2024, 11, 7))
    assert got == [week, week, (dt.date(2024, 11, 11), None)]


def test_range_not_allowed_without_end_column():
    base = {"user_id": "u", "date": "2024-01-01", "from_brand": "Apple", "to_brand": "Xiaomi"}
    _check("device_history", base, "date", {"2024-01-01至2024-01-02": ("date", "date_range_not_allowed")})


def test_timestamps_are_naive_beijing():
    ten = dt.datetime(2024, 11, 11, 10)
    _check("orders", BASE_ORDERS, "ts", {
        "2024-11-11 10:00:00": (ten, None),
        "2024-11-11T10:00:00": (ten, None),
        "2024/11/11 10:00": (ten, None),
        "2024-11-11T02:00:00Z": (ten, None),
        "2024-11-11 10:00:00+08:00": (ten, None),
        "2024-11-11T03:00:00+0100": (ten, None),
        "2024-11-10T21:00:00-05:00": (ten, None),
        "2024-11-11 10:00:00.250": (dt.datetime(2024, 11, 11, 10, 0, 0, 250000), None),
        "2024-11-11": (dt.datetime(2024, 11, 11), None),
        "1731290400": (ten, None),  # epoch seconds (UTC) → Beijing
        "2024年11月11日 10:00:00": (ten, None),
        "11/31/2024 25:00": ("ts", "invalid_timestamp"),
    })


def test_ids():
    _check("traffic", BASE_TRAFFIC, "sku_id", {"123.0": ("123", None), " A-1 ": ("A-1", None),
                                               "00123": ("00123", None),
                                               "1.23E+11": ("sku_id", "id_scientific_notation")})


def test_code_lists():
    _check("traffic", BASE_TRAFFIC, "platform", {"京东": ("jd", None), " TMALL ": ("tmall", None),
                                                 "kuaishou": ("kuaishou", None), "newshop_2": ("newshop_2", None),
                                                 "Some Shop!": ("platform", "invalid_code")})
    _check("traffic", BASE_TRAFFIC, "city_tier",
           {"新一线": ("new_tier1", None), "tier9": ("city_tier", "invalid_code")})


def test_brand_names_as_the_platforms_write_them_are_one_brand():
    """JD and Tmall write brands as 小米（MI）, 华为（HUAWEI）, Apple; trackers as xiaomi: one brand each, so the focal
    brand and its rivals are found; brands upmarket does not know are kept as written (trimmed), never lower-cased."""
    base = {"sku_id": "s", "model": "m", "list_price": "4499"}
    _check("products", base, "brand", {
        "小米（MI）": ("Xiaomi", None), " xiaomi ": ("Xiaomi", None), "华为(HUAWEI)": ("Huawei", None),
        "Apple": ("Apple", None), "苹果": ("Apple", None), "红米": ("Redmi", None), "荣耀（honor）": ("Honor", None),
        "VIVO": ("vivo", None), "oppo": ("OPPO", None), "（MI）小米": ("Xiaomi", None),
        "Nothing Phone": ("Nothing Phone", None), "传音（TECNO）": ("传音（TECNO）", None),
        "": ("brand", "missing_required"),
    })
    # the maker defaults to the brand's canonical name
    with Warehouse() as wh:
        wh.load_frame("products", pd.DataFrame([{**base, "brand": "小米（MI）"}]), "t")
        assert wh.con.execute("SELECT brand, maker FROM products").fetchall() == [("Xiaomi", "Xiaomi")]


def test_booleans():
    base = {"sku_id": "s", "brand": "Xiaomi", "model": "Xiaomi 15", "list_price": "4499"}
    _check("products", base, "foldable", {"是": (True, None), "否": (False, None), "TRUE": (True, None),
                                          "0": (False, None), "y": (True, None),
                                          "maybe": ("foldable", "not_a_boolean")})


def test_rate_percent():
    import duckdb

    from upmarket.contract import Column
    from upmarket.contract.sql import clean_column

    value, reason = clean_column(Column("ctr", "rate", False), "v").render()
    got = duckdb.sql(f"SELECT {value}, {reason} FROM (VALUES ('3.2%'), ('0.05'), ('x')) t(v)").fetchall()
    assert got == [(pytest.approx(0.032), None), (0.05, None), (None, "not_a_number")]


def test_row_rules_and_defaults():
    with Warehouse() as wh:
        df = pd.DataFrame([{**BASE_TRAFFIC, "buyers": "11"}, {**BASE_TRAFFIC, "sku_id": "A2", "favorites": "12"}])
        rep = wh.load_frame("traffic", df, "t")
        assert rep.rows_quarantined == 2
        got = wh.con.execute('SELECT "row", "column", reason FROM quarantine ORDER BY "row"').fetchall()
        assert got == [(1, "buyers", "buyers_gt_visitors"), (2, "favorites", "favorites_gt_visitors")]
        orders = pd.DataFrame([BASE_ORDERS, {**BASE_ORDERS, "order_id": "o2", "units": "3"}])
        wh.load_frame("orders", orders, "o")
        assert wh.con.execute("SELECT units FROM orders ORDER BY order_id").fetchall() == [(1,), (3,)]
        products = pd.DataFrame([{"sku_id": "s1", "brand": "Redmi", "model": "K80", "list_price": "2499"},
                                 {"sku_id": "s2", "brand": "Redmi", "maker": "Xiaomi", "model": "K80",
                                  "list_price": "1"}])
        wh.load_frame("products", products, "p")
        assert wh.con.execute("SELECT maker FROM products ORDER BY sku_id").fetchall() == [("Redmi",), ("Xiaomi",)]


def test_summary_and_empty_rows():
    with Warehouse() as wh:
        df = pd.DataFrame([
            {**BASE_TRAFFIC, "sku_id": "合计", "visitors": "100"},
            {**BASE_TRAFFIC, "sku_id": "-"},
            dict.fromkeys(BASE_TRAFFIC, ""),
            BASE_TRAFFIC,
        ])
        rep = wh.load_frame("traffic", df, "t")
        got = wh.con.execute('SELECT "row", "column", reason FROM quarantine ORDER BY "row"').fetchall()
    assert got == [(1, "sku_id", "summary_row"), (2, "sku_id", "summary_row"), (3, None, "empty_row")]
    assert (rep.rows_loaded, rep.rows_quarantined) == (1, 3)


def test_extra_columns_are_kept_as_json():
    with Warehouse() as wh:
        wh.load_frame("traffic", pd.DataFrame([{**BASE_TRAFFIC, "加购件数": "7", "note": None}]), "t")
        assert wh.con.execute("SELECT _extra, _row FROM traffic").fetchone() == ('{"加购件数":"7","note":null}', 1)


def test_duplicate_keys_within_and_across_frames():
    with Warehouse() as wh:
        base = {"user_id": "u1", "city": "Beijing"}
        wh.load_frame("users", pd.DataFrame([base, {**base, "city": "Wuhan"}, {"user_id": "u2"}]), "a")
        rep = wh.load_frame("users", pd.DataFrame([{"user_id": "u2"}, {"user_id": "u3"}]), "b")
        assert rep.rows_quarantined == 1
        got = wh.con.execute('SELECT path, "row", "column", reason, raw_value FROM quarantine ORDER BY path').fetchall()
        u1, u2 = pseudonymise(["u1", "u2"])  # people's ids are stored as salted pseudonyms
        assert got == [("a", 2, "user_id", "duplicate_key", u1), ("b", 1, "user_id", "duplicate_key", u2)]
        assert wh.con.execute("SELECT city FROM users WHERE user_id = ?", [u1]).fetchone() == ("Beijing",)
