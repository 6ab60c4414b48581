"""Number formatting by declared unit: ¥, %, counts, and 万/亿 under Chinese."""

from __future__ import annotations

import math

import pytest

from upmarket.report.format import fmt, unit_of


@pytest.mark.parametrize(
    ("value", "unit", "lang", "expected"),
    [
        (0.286, "pct", "en", "28.6%"),
        (-0.19, "pct", "zh", "-19.0%"),
        (4399, "cny", "en", "¥4,399"),
        (-74.1, "cny", "en", "-¥74.10"),
        (45_600, "cny", "zh", "¥4.56万"),
        (1.156e11, "cny", "zh", "¥1,156亿"),
        (123_456_789, "count", "zh", "1.23亿"),
        (123_456_789, "count", "en", "123 m"),
        (77_400_000, "count", "zh", "7,740万"),
        (9_999, "count", "zh", "9,999"),
        (-1.9234, "elasticity", "en", "-1.92"),
        ([0.21, 0.35], "pct", "en", "[21.0%, 35.0%]"),
        (None, "pct", "en", "–"),
        (math.nan, "cny", "zh", "–"),
    ],
)
def test_fmt_by_unit(value, unit, lang, expected):
    assert fmt(value, unit, lang) == expected


@pytest.mark.parametrize(
    ("key", "unit"),
    [
        ("funnel.jd.ctr", "pct"),
        ("pricing.brand_premium_cny.all.Apple", "cny"),
        ("pricing.price_elasticity.all.Xiaomi", "elasticity"),
        ("pricing.price_elasticity_ci.all.Xiaomi", "elasticity"),
        ("market.units.2024", "count"),
        ("segments.attractiveness.price-sensitive", "number"),  # a data label is not a unit hint
        ("mix.roi.douyin_ads", "ratio"),
    ],
)
def test_unit_declared_by_key(key, unit):
    assert unit_of(key) == unit


def test_mapping_values_take_their_figures_unit():
    assert fmt({"Apple": 0.511, "Huawei": 0.3}, None, "en", key="market.premium_brand_share.2024") == (
        "Apple: 51.1%; Huawei: 30.0%")
    assert fmt({"ctr": 0.047, "units": 12_000}, None, "zh", key="funnel.jd") == "ctr: 4.7%; units: 1.2万"


def test_workbook_keeps_hostile_text_as_text(tmp_path):
    import openpyxl
    import pandas as pd

    from upmarket.report.xlsx import write_xlsx

    quotes = pd.DataFrame({"brand": ["Xiaomi", "Apple"], "quote": ['=HYPERLINK("http://x","点我")', "+1-1"],
                           "share": [0.25, float("nan")]})
    path = write_xlsx({"voice_posts_framing": quotes}, tmp_path, "zh")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["目录", "内容中的框架"]
    sheet = book["内容中的框架"]
    assert [c.value for c in sheet[1]] == ["品牌", "原文摘录", "份额"]
    assert sheet["B2"].data_type == "s" and sheet["B2"].value.startswith("=HYPERLINK")  # text, not a formula
    assert sheet["C2"].value == 0.25 and sheet["C2"].number_format == "0.0%"
