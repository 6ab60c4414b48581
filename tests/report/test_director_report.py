"""The report a director reads, on the demo twin: the executive summary first in both languages, Chinese
throughout under zh, results.xlsx, and report.pdf printed by the system Chromium."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import upmarket
from upmarket.cli import app
from upmarket.contract import TABLES
from upmarket.report import ReportFiles, render_all, render_html
from upmarket.report.format import fmt
from upmarket.report.pdf import CHROMIUM_ENV, find_chromium, write_pdf
from upmarket.results import read_results

TWIN_TABLES = ("market_sales", "products", "traffic", "reviews")
ANALYSES = ["market", "funnel", "voice"]


@pytest.fixture(scope="module")
def run_out(demo_twin: Path, tmp_path_factory) -> Path:
    """The demo twin's market, funnel and voice analyses, written with their report (no strategy layer)."""
    dataset = tmp_path_factory.mktemp("director") / "market"
    dataset.mkdir()
    for table in TWIN_TABLES:
        shutil.copy(demo_twin / f"{table}.parquet", dataset / f"{table}.parquet")
    shutil.copy(demo_twin / "upmarket.toml", dataset / "upmarket.toml")
    out = dataset.parent / "out"
    upmarket.analyze(dataset, out, only=ANALYSES)
    return out


def latest(mapping: dict[str, Any]) -> str:
    return sorted(mapping)[-1]


def strategy_block(figures: dict[str, Any]) -> dict[str, Any]:
    """Findings in the contract's ``strategy`` shape, citing real figures of this run."""
    focal = figures["focal_brand"]
    period = latest(figures["market"]["premium_share"])
    platform = next(k for k in figures["funnel"] if isinstance(figures["funnel"][k], dict) and "ctr" in
                    figures["funnel"][k])
    cited = [
        (f"market.premium_share.{period}", figures["market"]["premium_share"][period], "market"),
        ("market.price_band_yoy.4000+", figures["market"]["price_band_yoy"]["4000+"], "market"),
        (f"funnel.{platform}.ctr", figures["funnel"][platform]["ctr"], "place"),
        (f"funnel.{platform}.visit_to_buy", figures["funnel"][platform]["visit_to_buy"], "place"),
        (f"voice.{focal}.sentiment", figures["voice"][focal]["sentiment"], "product"),
    ]
    findings = [
        {"id": f"decision_{i}", "framework": "4P", "section": section, "decision": True, "n": 1200 + i,
         "text": f"Decision {i} rests on this figure.", "text_zh": f"第{i}项决策依据此指标。", "evidence": {key: value}}
        for i, (key, value, section) in enumerate(cited, start=1)
    ]
    findings.append({"id": "value_lock_in", "framework": "equity", "verdict": "yes", "confidence": 0.8,
                     "text": "The brand is argued from value for money.", "text_zh": "品牌被以性价比来评价。",
                     "evidence": {f"voice.{focal}.value_framing": figures["voice"][focal]["value_framing"]}})
    return {"findings": findings,
            "dilemmas": {"value_lock_in": {"title": "Locked in value for money?", "title_zh": "是否被性价比锁定？",
                                           "verdict": "yes", "confidence": 0.8}},
            "suppressed": {"loyalty_gap": "needs table(s) device_history, not in the dataset"}}


FULL_TABLES = (*TWIN_TABLES, "spend", "kpi_weekly", "device_history")
FULL_ANALYSES = [*ANALYSES, "equity", "mix", "launch"]
QUICK_MIX = "\n[mix]\ndraws = 100\nplan_draws = 30\nstarts = 1\nholdout_weeks = 0\nforecast_weeks = 6\n"
"""The mix model with few draws, one start and no hold-out refit: the report needs its tables, not their precision
(the fit is the slow part of this module; the demo run's hold-out text was read in Chinese by hand)."""


@pytest.fixture(scope="module")
def full_out(demo_twin: Path, tmp_path_factory) -> Path:
    """The same run with brand equity, the media mix and launches, whose figures the report's areas show."""
    dataset = tmp_path_factory.mktemp("director_full") / "market"
    dataset.mkdir()
    for table in FULL_TABLES:  # a table may be a file, a folder of parts, or both
        if (demo_twin / table).is_dir():
            shutil.copytree(demo_twin / table, dataset / table)
        if (demo_twin / f"{table}.parquet").is_file():
            shutil.copy(demo_twin / f"{table}.parquet", dataset / f"{table}.parquet")
    toml = (demo_twin / "upmarket.toml").read_text(encoding="utf-8")
    (dataset / "upmarket.toml").write_text(toml + QUICK_MIX, encoding="utf-8")
    out = dataset.parent / "out"
    upmarket.analyze(dataset, out, only=FULL_ANALYSES)
    shutil.copy(out / "report.html", dataset.parent / "analyze_report.html")  # later tests re-render in place
    return out


@pytest.fixture(scope="module")
def with_strategy(run_out: Path) -> dict[str, Any]:
    figures = read_results(run_out)
    figures["strategy"] = strategy_block(figures)
    return figures


@pytest.fixture(scope="module")
def rendered(run_out: Path, with_strategy: dict[str, Any], tmp_path_factory) -> dict[str, tuple[str, Path]]:
    """The report with strategy findings in each language: its HTML text and a copy of its workbook."""
    keep = tmp_path_factory.mktemp("rendered")
    out = {}
    for lang in ("en", "zh"):
        files = render_all(with_strategy, None, run_out, lang)
        out[lang] = (files.html.read_text(encoding="utf-8"), Path(shutil.copy(files.xlsx, keep / f"{lang}.xlsx")))
    return out


class VisibleText(HTMLParser):
    """The text a reader sees: no scripts or styles, no identifiers (``<code>``, ``<pre>``), no raw appendix tables."""

    HIDDEN = ("script", "style", "code", "pre")

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in (*self.HIDDEN, "details"):
            hide = tag in self.HIDDEN or "raw-table" in (dict(attrs).get("class") or "")
            self.stack.append(hide)
            self.hidden += hide

    def handle_endtag(self, tag: str) -> None:
        if tag in (*self.HIDDEN, "details") and self.stack:
            self.hidden -= self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_words(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    text = " ".join(parser.parts)
    return set(re.findall(r"(?<![A-Za-z0-9_.+-])[A-Za-z]{2,}(?![A-Za-z0-9_])", text))


def data_words(run_out: Path, figures: dict[str, Any], dataset: Path) -> set[str]:
    """Words that are data, not language: brands, model names, words inside customers' quotes."""
    words = {figures["focal_brand"], *(figures.get("voice") or {})}
    products = pd.read_parquet(dataset / "products.parquet")
    for col in ("brand", "model", "sku_id"):
        if col in products:
            words |= set(re.findall(r"[A-Za-z]{2,}", " ".join(products[col].astype(str))))
    reviews = pd.read_parquet(dataset / "reviews.parquet")
    words |= set(re.findall(r"[A-Za-z]{2,}", " ".join(reviews["text"].astype(str))))
    return words


UNITS_AND_NAMES = {"upmarket", "results", "json", "xlsx", "parquet", "Parquet", "tables", "PDF", "SKU", "GMV", "ROI",
                   "CNY", "UTC", "CN", "pp", "logit", "IV", "AIPL", "OLS", "HC", "Dirichlet", "Bass", "Aaker"}
"""Allowed in the Chinese report: the product and its file names, units, standard abbreviations and the names of
the models a marketer knows by their author (the Dirichlet, Bass and Aaker models)."""


def visible_identifiers(html: str) -> set[str]:
    """snake_case names a reader sees (``jd_ads``, ``excess_scr``): codes that reached the page unlabelled."""
    parser = VisibleText()
    parser.feed(html)
    return set(re.findall(r"(?<![A-Za-z0-9_./-])[a-z][a-z0-9]*_[a-z0-9_]*[a-z0-9](?![A-Za-z0-9_])",
                          " ".join(parser.parts)))


def test_summary_is_page_one_in_both_languages(rendered, with_strategy: dict[str, Any]):
    for lang, heading, sentence in (("en", "Executive summary", "Decision 1 rests"), ("zh", "执行摘要", "第1项决策")):
        html = rendered[lang][0]
        main = html[html.index("<main>"):]
        assert main.index('id="executive-summary"') < main.index("<nav") < main.index('id="area-'), lang
        summary = main[main.index('id="executive-summary"'):main.index("</section>")]
        assert heading in summary and sentence in summary
        decisions = summary[summary.index('<ol class="decisions">'):summary.index("</ol>")]
        assert decisions.count("<li data-finding=") == 5
        for finding in with_strategy["strategy"]["findings"][:5]:
            key, value = next(iter(finding["evidence"].items()))
            item = decisions[decisions.index(f'data-finding="{finding["id"]}"'):]
            assert f'<span class="headline">{fmt(value, None, lang, key=key)}</span>' in item[:400], (lang, key)
            assert f'href="#evidence-{finding["id"]}"' in item[:2000]
            assert f'id="evidence-{finding["id"]}"' in html  # the link lands on the evidence block
            anchor = html.index(f'id="evidence-{finding["id"]}"')
            assert html.rfind('<section class="block area" id="area-', 0, anchor) > html.index("<nav")
        verdict_word = "是" if lang == "zh" else "yes"
        assert f'<span class="verdict">{verdict_word}</span>' in summary


def test_areas_hold_what_ran_with_at_most_three_charts(rendered):
    html = rendered["en"][0]
    areas = re.findall(r'<section class="block area" id="area-(\w+)"', html)
    assert set(areas) == {"product", "place", "market"}  # price, promotion, STP, equity... did not run: no section
    for block in re.split(r'<section class="block area"', html)[1:]:
        block = block[:block.index("</section>")]
        assert 1 <= block.count('<figure class="chart">') <= 3
        for table in re.findall(r"<thead>(.*?)</thead>", block):
            assert "ctr_num" not in table and "fav_den" not in table  # labels, not column names
    assert 'href="tables/funnel_platform.parquet"' in html  # raw tables: in the appendix, with their Parquet file


def test_without_strategy_the_summary_says_so(run_out: Path):
    figures = {key: value for key, value in read_results(run_out).items() if key != "strategy"}  # a run without it
    for lang, words in (("en", "No strategy findings"), ("zh", "没有策略结论")):
        html = render_all(figures, None, run_out, lang).html.read_text(encoding="utf-8")
        summary = html[html.index('id="executive-summary"'):]
        assert 'class="note no-strategy"' in summary[:600] and words in summary[:800]


def test_chinese_report_has_no_english_words(run_out: Path, with_strategy: dict[str, Any], rendered):
    html = rendered["zh"][0]
    dataset = Path(with_strategy["dataset"])
    contract_names = set(TABLES) | {name for t in TABLES.values() for name in t.names}
    allowed = UNITS_AND_NAMES | data_words(run_out, with_strategy, dataset) | contract_names
    stray = visible_words(html) - allowed
    assert not stray, sorted(stray)
    # and the check does see English: the English report is full of it
    english = rendered["en"][0]
    assert {"Executive", "summary", "Funnel"} <= visible_words(english) - allowed


def test_chinese_report_of_a_full_run_has_no_english_words(full_out: Path):
    """Equity, mix and launch in Chinese too: findings, evidence labels, table headers and chart labels."""
    figures = read_results(full_out)
    assert {"equity", "mix", "launch"} <= set(figures), sorted(figures.get("failed") or {})
    html = render_all(figures, None, full_out, "zh").html.read_text(encoding="utf-8")
    dataset = Path(figures["dataset"])
    contract_names = set(TABLES) | {name for t in TABLES.values() for name in t.names}
    allowed = UNITS_AND_NAMES | data_words(full_out, figures, dataset) | contract_names
    stray = visible_words(html) - allowed
    assert not stray, sorted(stray)
    codes = visible_identifiers(html) - contract_names
    assert not codes, sorted(codes)
    for area in ("promotion", "equity", "launch"):
        assert f'id="area-{area}"' in html, area
    chart_words = set()  # the charts' titles, axes and legends, inside each chart's script
    for script in re.findall(r'Plotly\.newPlot\(\s*"chart-[^"]+",(.*?)</script>', html, flags=re.S):
        for text in re.findall(r'"(?:name|text)":"((?:[^"\\]|\\.)*)"', script):
            chart_words |= set(re.findall(r"(?<![A-Za-z0-9_.+-])[A-Za-z]{2,}(?![A-Za-z0-9_])", json.loads(f'"{text}"')))
    assert "Bass" in chart_words  # the scan does read the charts
    assert not chart_words - allowed, sorted(chart_words - allowed)


def test_report_redrawn_from_the_folder_is_the_one_analyze_wrote(full_out: Path):
    """Charts are drawn from results.json and the tables alone: ``upmarket report OUT`` gives analyze's page."""
    written = (full_out.parent / "analyze_report.html").read_text(encoding="utf-8")
    assert render_html(read_results(full_out), None, full_out, "en") == written
    drawn = set(re.findall(r'<div id="chart-(\w+)"', written))
    assert {"mix_roi", "mix_response_curves", "mix_forecast", "switching_sankey", "four_dimensions",
            "launch_curves", "voice_aspect_profile", "funnel_platforms", "market_units_by_band"} <= drawn
    assert not (full_out / "charts").exists()


def test_full_run_areas_show_mix_equity_and_launch_with_labels(full_out: Path):
    html = render_all(read_results(full_out), None, full_out, "en").html.read_text(encoding="utf-8")
    blocks = {m[0]: m[1][:m[1].index("</section>")] for m in
              re.findall(r'<section class="block area" id="area-(\w+)"(.*?)(?=<section class="block area"|$)', html,
                         flags=re.S)}
    for area, chart in (("promotion", "chart-mix_response_curves"), ("equity", "chart-switching_sankey"),
                        ("launch", "chart-launch_curves")):
        assert 2 <= blocks[area].count('<figure class="chart">') <= 3 and chart in blocks[area], area
    assert "Return per ¥1 spent (low, 90%)" in blocks["promotion"]  # ROI shown with its interval
    for raw in ("mroi", "excess_scr", "slope_cny_per_period", "contribution_low", "n_analogues"):
        assert not re.search(rf"<th[^>]*>{raw}</th>", html), raw


def test_workbook_opens_with_its_sheets(run_out: Path, rendered):
    for lang, contents, findings, platform_sheet, platform_header in (
        ("en", "Contents", "Findings", "Funnel by platform", "Platform"),
        ("zh", "目录", "主要发现", "各平台转化漏斗", "平台"),
    ):
        book = openpyxl.load_workbook(rendered[lang][1])
        sections = json.loads((run_out / "sections.json").read_text(encoding="utf-8"))
        n_tables = sum(len(s["tables"]) for s in sections)
        assert book.sheetnames[:2] == [contents, findings] and len(book.sheetnames) == n_tables + 2
        sheet = book[platform_sheet]
        headers = [c.value for c in sheet[1]]
        assert headers[0] == platform_header and "ctr_num" not in headers
        ctr_col = headers.index("点击率" if lang == "zh" else "Click-through rate") + 1
        assert sheet.cell(row=2, column=ctr_col).number_format == "0.0%"
        assert isinstance(sheet.cell(row=2, column=ctr_col).value, float)  # a number a user can sum, not text
        assert book[contents].cell(row=2, column=1).hyperlink is not None


def test_pdf_beside_the_html_with_chinese_fonts(run_out: Path, with_strategy: dict[str, Any]):
    if find_chromium() is None:
        pytest.skip("no Chromium on this machine (.ci/run installs it)")
    files = render_all(with_strategy, None, run_out, "zh", pdf=True)
    assert files.pdf == run_out / "report.pdf" and files.pdf_reason is None
    data = files.pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 50_000
    # a subset tag (ABCDEF+) names a font embedded in the file, not one the reader's machine must have
    assert re.search(rb"/FontName\s*/[A-Z]{6}\+NotoSansCJK", data), "the Chinese font is not embedded"


def test_pdf_falls_back_without_a_browser(monkeypatch, tmp_path: Path):
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "no-such-chromium"))
    html = tmp_path / "report.html"
    html.write_text("<html><body>报告</body></html>", encoding="utf-8")
    outcome = write_pdf(html)
    assert outcome.path is None and "no browser" in outcome.reason
    assert not (tmp_path / "report.pdf").exists()
    lines = ReportFiles(html, None, outcome.path, outcome.reason).lines("zh")
    assert any("未生成 report.pdf" in line and "浏览器" in line for line in lines), lines


def test_cli_report_speaks_the_reports_language(run_out: Path, monkeypatch, tmp_path: Path):
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "no-such-chromium"))
    res = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["report", str(run_out), "--lang", "zh", "--pdf"])
    assert res.exit_code == 0, res.output
    assert "报告:" in res.output and "工作簿:" in res.output and "未生成 report.pdf" in res.output
    assert "Traceback" not in res.output
