"""The whole segments analysis on the tiny twin through the pipeline: STP, map, messages and results.json."""

from __future__ import annotations

import re

import pytest

import upmarket
from upmarket.config import load_config
from upmarket.pipeline import run_analyses
from upmarket.report.charts import section_charts
from upmarket.results import to_jsonable, validate_results
from upmarket.warehouse import Warehouse


@pytest.fixture(scope="module")
def tiny_segments(tmp_path_factory):
    out = tmp_path_factory.mktemp("seg_tiny") / "twin"
    upmarket.simulate(out, preset="tiny", seed=3)
    config = load_config(out)
    opts = {**config.analysis_options, "segments": {"mixed_draws": 20, "max_classes": 3, "n_starts": 1}}
    config = type(config)(**{**config.__dict__, "analysis_options": opts})
    with Warehouse(":memory:") as wh:
        wh.ingest(out, config)
        res = run_analyses(wh, config, only=["segments"], debug=True)
    return res


def test_stp_map_and_messages_reach_results(tiny_segments, findings_are_templates):
    res = tiny_segments
    validate_results(to_jsonable(res.figures))
    p = res.figures["pricing"]
    sec = res.sections[0]
    stp = sec.tables["stp"]
    assert set(stp.columns) >= {"who", "share", "growth", "premium_acceptance", "wtp_focal_cny", "value_framing",
                                "attractiveness", "target"}
    assert stp["attractiveness"].is_monotonic_decreasing and stp["target"].sum() == len(p["stp"]["targets"])
    assert stp["share"].sum() == pytest.approx(1.0)
    assert ((stp["premium_acceptance"] >= 0) & (stp["premium_acceptance"] <= 1)).all()
    assert p["stp"]["formula"].startswith("A = ")
    assert set(p["positioning"]["gap_to"]) == {"Apple", "Huawei"}
    # the tiny twin has 33 reviews: too few praised aspects per brand, so the map falls back to posts' hashtags
    assert p["positioning"]["source"] == "posts (hashtags)"
    assert any("perceptual map from reviews" in w for w in sec.warnings)
    assert "positioning_map" in {c.name for c in section_charts(sec.name, res.figures, sec.tables)}
    themes = sec.tables["message_themes"]
    assert set(themes["segment"]) == set(p["stp"]["targets"])
    lead = themes[themes["theme"] == "lead"]
    assert lead["importance"].between(0, 1).all() and len(lead) >= 1
    # the tiny twin has 33 reviews: a lead aspect may have no focal-brand mention, then no praise is cited
    assert (lead["praise_share"].isna() | lead["praise_share"].between(0, 1)).all()
    assert (lead.loc[lead["praise_share"].isna(), "phrases"] == "").all()
    assert p["mixed_logit"]["loglik"] > p["mixed_logit"]["mnl_loglik"]
    assert any("Target" in f.text and f.text_zh for f in sec.findings)
    # segment names are slots the report labels: the Chinese sentences hold no English name the naming built
    named = [f for f in sec.findings if f.template is not None and any(
        s.unit == "segment" for s in f.template.slots.values())]
    assert len(named) >= 3
    for f in named:
        assert re.search(r"-driven|-sensitive|brand-driven|respondents", f.text_zh) is None, f.text_zh
        assert f.template.render("zh") == f.text_zh
    findings_are_templates(sec, "pricing")
    assert {"segments.mixed_logit", "segments.positioning"} <= {f.id for f in sec.findings}
    # a target's over-represented profile goes in brackets: ASCII in English, full-width in Chinese
    profiled = [f for f in sec.findings
                if (f.id or "").startswith("segments.message_themes.") and "who" in f.template.slots]
    assert profiled, "the tiny twin has users, so each target segment has a profile"
    for f in profiled:
        assert "{segment} ({who})" in f.template.en and "{segment}（{who}）" in f.template.zh
        assert "(" not in f.template.zh.replace("（", "")
