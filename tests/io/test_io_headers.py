"""Header normalisation, alias matching, header-row search and export signatures."""

from __future__ import annotations

import pytest

from upmarket.contract import table
from upmarket.contract.exports import match_export
from upmarket.io.headers import AliasIndex, find_header_row, match_key, name_columns, normalise_header


@pytest.mark.parametrize(
    ("cell", "name", "unit"),
    [
        ("\ufeff商品ID", "商品ID", None),
        (" 消耗（元） ", "消耗", "元"),
        ("点击率(%)", "点击率", "%"),
        ("点击率（％）", "点击率", "%"),
        ("商品点击率(人数)", "商品点击率(人数)", None),
        ("站外活跃行为uv（30天设备归因）", "站外活跃行为uv(30天设备归因)", None),
        ("支付\n金额\t", "支付金额", None),
        ("ＧＭＶ", "GMV", None),
        (None, "", None),
    ],
)
def test_normalise_header(cell, name, unit) -> None:
    assert normalise_header(cell) == type(normalise_header(""))(name, unit)


def test_ascii_matching_is_case_insensitive() -> None:
    idx = AliasIndex(table("traffic"))
    assert idx.lookup("sku") == ("sku_id", 2)
    assert idx.lookup("uv") == ("visitors", 2)
    assert idx.lookup("Gmv") == ("gmv", 0)
    assert idx.lookup("SKU_ID") == ("sku_id", 0)
    assert idx.lookup("加购件数") is None  # counts items, not people: stays an extra column
    assert match_key(normalise_header(" Order ID").name) == match_key("order_id")


def test_header_row_search_prefers_most_hits() -> None:
    idx = AliasIndex(table("traffic"))
    rows = [["商品报表"], ["日期：2024-11-01"], [], ["日期", "商品ID", "访客数", "支付买家数"],
            ["2024-11-01", "1", "2", "0"]]
    assert find_header_row(rows, idx) == (3, 4)
    assert find_header_row([["a", "b"]], idx) is None


def test_two_headers_for_one_column_best_spelling_wins() -> None:
    idx = AliasIndex(table("traffic"))
    assert list(name_columns(["商品访客数", "访客数", "visitors"], idx).columns) == ["商品访客数", "访客数", "visitors"]
    assert list(name_columns(["商品访客数", "访客数"], idx).columns) == ["商品访客数", "visitors"]
    assert list(name_columns(["SKU", "商品ID"], idx).columns) == ["SKU", "sku_id"]


@pytest.mark.parametrize(
    ("headers", "platform"),
    [
        (["统计日期", "商品ID", "商品访客数", "商品收藏人数", "支付买家数"], "tmall"),
        (["时间", "SKU", "成交客户数", "商品访客数"], "jd"),
        (["商品ID", "商品收藏用户数", "成交买家数"], "pdd"),
        (["笔记ID", "蒲公英金额"], "xiaohongshu"),
        (["商品ID", "访客数"], None),
    ],
)
def test_export_signatures(headers, platform) -> None:
    sig = match_export(match_key(normalise_header(h).name) for h in headers)
    assert (sig.platform if sig else None) == platform
