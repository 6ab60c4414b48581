"""The voice findings are templates: every number a slot citing the figures or a table cell, each quote a text slot
(hand-made scores and tables; no model, no twin)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from upmarket.analyses.base import Section
from upmarket.analyses.voice.analysis import Voice
from upmarket.analyses.voice.score import Scored
from upmarket.config import Config

WEEK = pd.Timestamp("2024-06-03")


def _inputs() -> tuple[dict, dict, pd.DataFrame, Scored]:
    texts = ["用了两周，手机发热严重，玩游戏烫手", "拍照很清楚，夜景也好，值得购买", "续航太差了，一天要充三次电",
             "性价比很高，这个价位很值", "苹果的系统流畅，质感很好"]
    df = pd.DataFrame({"review_id": [f"r{i}" for i in range(5)], "brand": ["Xiaomi"] * 4 + ["Apple"],
                       "text": texts, "week": [WEEK] * 5})
    sentiment = pd.DataFrame({"review_id": df["review_id"], "score": [0.1, 0.9, 0.1, 0.9, 0.9],
                              "frame": [np.nan, np.nan, np.nan, 1.0, 0.0], "flag": ""})
    aspects = pd.DataFrame({"review_id": ["r0", "r1", "r2", "r4"], "aspect": ["heat", "camera", "battery", "system"],
                            "polarity": [-1, 1, -1, 1]})
    figures = {"Xiaomi": {"value_framing": 0.625, "aspects": {"camera": 0.812, "battery": 0.3125}},
               "Apple": {"value_framing": 0.2, "aspects": {"system": 0.9}}}
    tables = {
        "voice_drivers": pd.DataFrame({"brand": ["Xiaomi", "Xiaomi"], "aspect": ["battery", "battery"],
                                       "opinion": ["negative", "positive"], "effect": [-1.15, 0.2],
                                       "ci_low": [-1.68, 0.05], "ci_high": [-0.63, 0.35]}),
        "voice_issues": pd.DataFrame({"brand": ["Xiaomi"], "issue": ["发热"], "week": [WEEK], "mentions": [12],
                                      "baseline": [2.25], "jump": [True]}),
        "voice_associations": pd.DataFrame({"brand": ["Xiaomi", "Xiaomi"], "term": ["性价比", "发热"], "rank": [1, 2]}),
    }
    return figures, tables, df, Scored(sentiment, aspects, texts)


def test_voice_findings_are_templates_with_quotes_as_text_slots(findings_are_templates) -> None:
    figures, tables, df, scored = _inputs()
    findings = Voice._findings(figures, Config(focal_brand="Xiaomi"), tables, df, scored)
    sec = Section("voice", "Voice", figures=figures, tables=tables, findings=findings)
    findings_are_templates(sec, "voice")
    by_id = {f.id: f for f in findings}
    assert set(by_id) == {"voice.value_framing", "voice.aspects", "voice.associations", "voice.drivers",
                          "voice.issues"}
    aspects = by_id["voice.aspects"]
    assert aspects.text.startswith("Xiaomi's strongest aspect is camera (81.2% positive) E.g. “拍照很清楚")
    assert "最弱的是续航（31.2%正面）" in by_id["voice.aspects"].text_zh
    drivers = by_id["voice.drivers"]
    assert "-1.15 (90% interval -1.68 to -0.63)" in drivers.text
    assert "-1.15星（90%区间 -1.68 至 -0.63）" in drivers.text_zh
    assert drivers.evidence == {"voice_drivers.Xiaomi.battery.negative.effect": -1.15,
                                "voice_drivers.Xiaomi.battery.negative.ci_low": -1.68,
                                "voice_drivers.Xiaomi.battery.negative.ci_high": -0.63}
    issues = by_id["voice.issues"]
    assert issues.text.startswith("Issues watch: Xiaomi reviews naming 发热 jumped to 12 in the week of 2024-06-03 "
                                  "(trailing mean 2.25). E.g. “用了两周，手机发热严重")
    assert issues.text_zh.startswith("问题监测：Xiaomi提及发热的负面评价在2024-06-03当周升至12条（此前均值2.25）。例：")
    # a quote is a slot's value, so digits in a review never count as a number typed into the template
    assert "三次" in by_id["voice.drivers"].text and "{quote}" in by_id["voice.drivers"].template.en
