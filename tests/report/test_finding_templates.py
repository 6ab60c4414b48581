"""Findings as templates: the report renders slots by unit and label, in either language."""

from __future__ import annotations

import pytest

from upmarket.analyses.base import Finding
from upmarket.findings import Slot, Slots, Template
from upmarket.report.findings import finding_text, render
from upmarket.report.i18n import code_label, segment_label


def _example() -> Template:
    s = Slots()
    en = (f"{s('channel', 'douyin_ads', 'code')} returns {s('roi', 9.674, 'ratio', 'mix.roi.douyin_ads')}; "
          f"{s('segment', 'brand-driven: Apple', 'segment')} pays {s('wtp', 12345.0, 'cny+', 'x.wtp')} "
          f"({s('share', 0.4213, 'pct', 'x.share')})")
    zh = (f"{s('channel', 'douyin_ads', 'code')}回报{s('roi', 9.674, 'ratio', 'mix.roi.douyin_ads')}；"
          f"{s('segment', 'brand-driven: Apple', 'segment')}多付{s('wtp', 12345.0, 'cny+', 'x.wtp')}"
          f"（{s('share', 0.4213, 'pct', 'x.share')}）")
    return s.template(en, zh)


def test_slots_render_by_unit_and_label_in_each_language() -> None:
    tpl = _example()
    assert tpl.render("en") == "Douyin ads returns 9.67; brand-driven: Apple pays +¥12,345 (42.1%)"
    zh = tpl.render("zh")
    assert zh.startswith("抖音广告回报9.67；品牌驱动型：Apple多付+¥1.23万") and zh.endswith("（42.1%）")
    assert tpl.evidence == {"mix.roi.douyin_ads": 9.674, "x.wtp": 12345.0, "x.share": 0.4213}


def test_a_finding_round_trips_through_its_dict_and_renders_again() -> None:
    f = Finding.of("mix.roi", _example())
    d = f.to_dict()
    assert d["template"]["en"].startswith("{channel} returns {roi}")
    assert d["slots"]["roi"]["key"] == "mix.roi.douyin_ads"
    assert Finding.from_dict(d) == f
    assert finding_text(d, "zh") == f.text_zh and finding_text(d, "en") == f.text
    # a finding stored without a template (older output) still reads, its codes as labels
    assert finding_text({"text": "x", "text_zh": "最好的是camera"}, "zh") == "最好的是拍照"


def test_template_refuses_a_slot_it_was_not_given_and_a_slot_given_twice_differently() -> None:
    with pytest.raises(ValueError, match="not given"):
        Template("{a} and {b}", "{a}", {})
    s = Slots()
    s("a", 1.0, "pct")
    with pytest.raises(ValueError, match="twice"):
        s("a", 2.0, "pct")
    assert render("{x} {not a slot}", {}, "en") == "{x} {not a slot}"


@pytest.mark.parametrize(("name", "zh"), [("camera-driven", "拍照驱动型"), ("price-sensitive", "价格敏感型"),
                                          ("brand-driven: Huawei", "品牌驱动型：Huawei"), ("class 3", "第3类"),
                                          ("all respondents", "全体受访者"), ("battery-driven", "续航驱动型")])
def test_every_name_the_segments_naming_builds_has_a_chinese_label(name: str, zh: str) -> None:
    assert segment_label(name, "zh") == zh and segment_label(name, "en") == name


def test_channel_codes_read_as_words_in_english() -> None:
    assert code_label("douyin_ads", "en") == "Douyin ads" and code_label("douyin_ads", "zh") == "抖音广告"
    assert code_label("Xiaomi", "en") == "Xiaomi" and code_label("some_new_code", "en") == "some new code"


def test_periods_levels_and_magnitudes_render_by_unit() -> None:
    s = Slots()
    period, growth, level = s("period", "2024H1", "period"), s("growth", -0.193, "pct-", "m.g"), s("level", 0.9,
                                                                                                   "level")
    tpl = s.template(f"{period}: fell {growth} ({level} interval), rose {s('up', 0.05, 'pct-')}",
                     f"{period}同比下降{growth}（{level} 区间）")
    assert tpl.render("en") == "2024H1: fell 19.3% (90% interval), rose 5.0%"
    assert tpl.render("zh") == "2024年上半年同比下降19.3%（90% 区间）"
    assert tpl.evidence == {"m.g": -0.193}  # the slot keeps the signed value results hold
    for label, zh in (("2024Q4", "2024年第四季度"), ("2024-11", "2024年11月"), ("2024", "2024年"), ("FY24", "FY24")):
        assert render("{p}", {"p": Slot(label, "period")}, "zh") == zh and render("{p}", {"p": Slot(label, "period")},
                                                                                  "en") == label


def test_market_findings_are_templates_for_a_focal_brand_without_premium_units() -> None:
    from upmarket.analyses.market import findings

    figures = {"yoy_period": "2024Q4", "price_band_yoy": {"4000+": 0.2, "<2000": -0.1, "2000-3999": 0.0},
               "premium_share": {"2024Q4": 0.3, "2023Q4": 0.25},
               "premium_brand_share": {"2024Q4": {"Apple": 0.6, "Huawei": 0.4}}}
    out = {f.id: f for f in findings(figures, "Xiaomi")}
    assert out["market.price_band_yoy"].text == ("Units at ¥4,000 or more grew 20.0% year on year in 2024Q4 while "
                                                 "<¥2,000 fell 10.0% and ¥2,000–¥3,999 grew 0.0%.")
    assert out["market.price_band_yoy"].text_zh == (
        "2024年第四季度¥4,000及以上价位段销量同比增长20.0%，¥2,000以下价位段同比下降10.0%，¥2,000–¥3,999价位段同比增长0.0%。")
    assert out["market.premium_focal"].text == "Xiaomi has no premium units in 2024Q4."
    assert out["market.premium_focal"].evidence == {"market.premium_brand_share.2024Q4": {"Apple": 0.6, "Huawei": 0.4}}
    assert out["market.premium_share"].evidence == {"market.premium_share.2024Q4": 0.3,
                                                    "market.premium_share.2023Q4": 0.25}
