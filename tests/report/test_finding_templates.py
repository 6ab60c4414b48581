"""Findings as templates: the report renders slots by unit and label, in either language."""

from __future__ import annotations

import pytest

from upmarket.analyses.base import Finding
from upmarket.findings import Slots, Template
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
