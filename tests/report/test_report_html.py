"""report.html: offline, bilingual, complete, and rebuildable from an output folder alone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from upmarket.analyses.base import Finding, Section
from upmarket.report import load_sections, render_report, report_model, save_sections
from upmarket.results import Results


def make_section() -> Section:
    """A market section as the analysis returns it: figures and tables, from which the report draws three charts."""
    return Section(
        name="market",
        title="Market structure",
        title_zh="市场结构",
        figures=RESULTS["market"],
        tables={"units_by_band": pd.DataFrame(
            {"period": ["2024", "2024"], "price_band": ["<2000", "6000+"], "units": [114060000, 49600000],
             "share": [0.7, 0.3]}
        ), "premium_by_brand": pd.DataFrame(
            {"period": ["2023", "2024", "2024"], "brand": ["Apple", "Apple", "Xiaomi"], "units": [30, 40, 9],
             "share": [1.0, 0.8, 0.2]})},
        findings=[
            Finding("Premium phones were 28.6% of units in 2024 <b>.", {"market.premium_share.2024": 0.286},
                    "2024年高端机型占销量的28.6%。"),
        ],
        warnings=["model rows dropped: 1 row(s)"],
    )


RESULTS = {
    "contract": 1,
    "focal_brand": "Xiaomi",
    "run_at": "2025-01-23T10:00:00+08:00",
    "market": {"premium_share": {"2023": 0.25, "2024": 0.286}, "units": {"2023": 150000000, "2024": 163660000}},
    "skipped": {"voice": "needs table(s) reviews, not in the dataset"},
    "data_quality": {
        "files": [
            {"path": "market_sales.csv", "table": "market_sales", "format": "csv", "encoding": "gbk",
             "rows_read": 12345, "rows_loaded": 12300, "rows_quarantined": 45, "status": "loaded"},
        ],
        "quarantine_reasons": [
            {"path": "market_sales.csv", "table": "market_sales", "column": "units", "reason": "not_a_number",
             "rows": 45},
        ],
    },
    "twin_check": [
        {"key": "pricing.price_elasticity.all.Xiaomi", "estimate": -1.9, "truth": -2.0, "tolerance": 0.3,
         "passed": True},
        {"key": "mix.roi.douyin_ads", "estimate": 3.1, "truth": 1.5, "tolerance": 0.5, "passed": False},
    ],
}


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An output folder as `upmarket analyze` leaves it: results.json, tables, sections.json."""
    section = make_section()
    Results(json.loads(json.dumps(RESULTS)), [section]).write(tmp_path)
    save_sections([section], tmp_path)
    return tmp_path


def html_of(out: Path, lang: str, sections: list[Section] | None = None) -> str:
    return render_report(RESULTS, sections, out, lang=lang).read_text(encoding="utf-8")


def test_offline_with_plotly_inlined_once(out: Path):
    html = html_of(out, "en", [make_section()])
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)\s*=\s*[\"']?(https?:)?//", html, re.I)
    assert html.count(get_plotlyjs()[:300]) == 1
    assert html.count("<script type=\"text/javascript\">") == 1
    for name in ("market_units_by_band", "market_premium_share", "market_premium_brands"):  # drawn from the tables
        assert f'id="chart-{name}"' in html, name
    assert not (out / "charts").exists()  # nothing but results, tables and the index is saved


def test_no_charts_means_no_plotly_bundle(out: Path):
    section = make_section()
    section.tables = {}  # nothing to draw from
    html = html_of(out, "en", [section])
    assert get_plotlyjs()[:300] not in html
    assert len(html) < 100_000


def test_english_labels_findings_and_escaping(out: Path):
    html = html_of(out, "en", [make_section()])
    for text in ("Executive summary", "Data quality", "Skipped analyses", "Twin check", "Focal brand",
                 "Market structure", "Price band (CNY)", "Premium share", "Share of units at 4000+ CNY"):
        assert text in html, text
    assert "Premium phones were 28.6% of units in 2024 &lt;b&gt;." in html  # escaped, not markup
    assert 'Premium share · 2024 = 28.6% <code class="keypath">market.premium_share.2024</code>' in html
    assert "主要发现" not in html and "2024年高端机型" not in html


def test_chinese_labels_and_texts(out: Path):
    html = html_of(out, "zh", [make_section()])
    assert '<html lang="zh-CN">' in html
    for text in ("执行摘要", "数据质量", "未运行的分析", "孪生数据校验", "目标品牌", "市场结构", "价位段（元）",
                 "2024年高端机型占销量的28.6%。", "高端机型（4000元及以上）销量占比", "PingFang SC",
                 "Noto Sans CJK SC"):
        assert text in html, text
    assert json.dumps("高端销量份额")[1:-1] in html  # a chart's axis title, in the chart's JSON
    assert "Executive summary" not in html and "Premium phones were" not in html


def test_data_quality_skipped_and_twin_check(out: Path):
    html = html_of(out, "en", [make_section()])
    dq = html[html.index('id="data-quality"'):]
    for text in ("12,345", "12,300", "45", "gbk", "not_a_number", "units", "market_sales.csv"):
        assert text in dq, text
    assert "<strong>voice</strong>: needs table(s) reviews, not in the dataset" in html
    twin = html[html.index('id="twin-check"'):]
    assert "1 of 2 checks passed" in twin and "mix.roi.douyin_ads" in twin and "failed" in twin


def test_status_derived_and_mismatch_flagged(out: Path):
    results = json.loads(json.dumps(RESULTS))
    results["data_quality"]["files"] = [
        {"path": "a.csv", "table": "orders", "rows_read": 10, "rows_loaded": 10, "rows_quarantined": 0},
        {"path": "b.csv", "table": "orders", "rows_read": 10, "rows_loaded": 7, "rows_quarantined": 2},
    ]
    model = report_model(results, [make_section()], out, "en")
    statuses = [row[-1] for row in model["data_quality"]["files"].rows]
    assert statuses == ["ok", "rows read ≠ rows loaded + rows quarantined"]
    assert model["data_quality"]["totals"] == {"rows_read": 20, "rows_loaded": 17, "rows_quarantined": 2}


def test_rerender_from_output_folder_gives_the_same_report(out: Path):
    section = make_section()
    direct = report_model(RESULTS, [section], out, "zh")
    rebuilt_sections = load_sections(out, RESULTS)
    assert [s.name for s in rebuilt_sections] == ["market"]
    assert rebuilt_sections[0].findings[0].text_zh == "2024年高端机型占销量的28.6%。"
    pd.testing.assert_frame_equal(rebuilt_sections[0].tables["units_by_band"], section.tables["units_by_band"])
    rebuilt = report_model(RESULTS, None, out, "zh")
    for a, b in zip(direct["sections"], rebuilt["sections"], strict=True):
        assert {k: v for k, v in a.items() if k != "charts"} == {k: v for k, v in b.items() if k != "charts"}
        assert [c["title"] for c in a["charts"]] == [c["title"] for c in b["charts"]]
    assert html_of(out, "zh", [section]) == html_of(out, "zh", None)


def test_missing_sections_index_falls_back_to_results(out: Path):
    (out / "sections.json").unlink()
    html = html_of(out, "en", None)
    assert 'data-section="market"' in html and "0.286" in html


def test_unknown_language_is_refused(out: Path):
    with pytest.raises(ValueError, match="'fr'"):
        render_report(RESULTS, [make_section()], out, lang="fr")
