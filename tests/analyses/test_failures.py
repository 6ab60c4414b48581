"""Failures are failures: an analysis that raises is reported under ``failed`` (results.json, Results, report, CLI)
and the CLI exits non-zero after writing everything it could; declared column needs are checked on the warehouse."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest
from typer.testing import CliRunner

import upmarket
from upmarket.analyses.base import (
    REGISTRY,
    Analysis,
    Need,
    Section,
    column_present,
    drop_uncomputable,
    needs,
    unmet_needs,
)
from upmarket.cli import EXIT_ANALYSIS_FAILED, app
from upmarket.results import read_results
from upmarket.warehouse import Warehouse

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "paper_2024"


class Boom(Analysis):
    """An analysis with a bug: it needs market_sales and raises on it."""

    name = "boom"
    title = "Boom"
    requires = ("market_sales",)
    order = 1

    def run(self, warehouse: Warehouse, config) -> Section:
        raise KeyError("ctr")


@pytest.fixture
def boom(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(REGISTRY, Boom.name, Boom)
    return Boom.name


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "paper")
    return tmp_path / "paper"


def test_a_raising_analysis_is_failed_not_skipped(boom: str, dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = upmarket.analyze(dataset, out, only=[boom, "market"])
    assert res.failed[boom]["type"] == "KeyError"
    assert "ctr" in res.failed[boom]["error"]
    assert res.failed[boom]["where"].startswith("test_failures.py:"), "where: the frame that raised"
    assert boom not in res.skipped
    assert "market" in res.figures and "premium_share" in res["market"], "the other analyses still ran"
    written = read_results(out)  # validated against the schema
    assert written["failed"][boom]["type"] == "KeyError"
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="failed"' in report and "KeyError" in report
    assert report.index('id="failed"') < report.index('id="section-market"'), "failures are shown before the sections"
    assert "FAILED boom" in res.summary()


def test_debug_lets_the_exception_through(boom: str, dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        upmarket.analyze(dataset, tmp_path / "out", only=[boom], debug=True)


def test_cli_exits_non_zero_after_writing(boom: str, dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["analyze", str(dataset), "-o", str(out),
                                                         "--only", boom, "--only", "market"])
    assert res.exit_code == EXIT_ANALYSIS_FAILED, res.output
    assert "analysis boom FAILED: KeyError" in res.output
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["failed"][boom]["type"] == "KeyError"
    assert (out / "report.html").is_file()


def test_a_clean_run_has_an_empty_failed_key(dataset: Path, tmp_path: Path) -> None:
    res = upmarket.analyze(dataset, tmp_path / "out", only=["market"])
    assert res.failed == {}
    assert json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))["failed"] == {}


# --------------------------------------------------------------------------- declared column needs
def test_column_present_means_some_row_has_a_value() -> None:
    with Warehouse(":memory:") as wh:
        wh.load_frame("traffic", pd.DataFrame({
            "date": ["2024-11-01", "2024-11-02"], "platform": ["jd", "jd"], "sku_id": ["a", "b"],
            "visitors": [10, 20], "buyers": [1, 2], "source": ["", "  "], "impressions": [None, 300]}))
        assert column_present(wh, "traffic", "impressions"), "one row with a value is enough"
        assert not column_present(wh, "traffic", "source"), "blank text is no value"
        assert not column_present(wh, "traffic", "favorites"), "an export without the column loads it all NULL"
        assert not column_present(wh, "orders", "units"), "an empty table has no column"


def test_unmet_needs_name_the_missing_table_or_column() -> None:
    declared: dict[str, Need] = {
        "ctr": needs("traffic:impressions", "events"),
        "visit_to_buy": needs("traffic"),
        "by_tier": needs("traffic:city_tier", "events & users:city_tier"),
        "cart_rate": needs("traffic:add_to_carts,visitors"),
    }
    with Warehouse(":memory:") as wh:
        wh.load_frame("traffic", pd.DataFrame({"date": ["2024-11-01"], "platform": ["tmall"], "sku_id": ["a"],
                                               "visitors": [10], "buyers": [1], "impressions": [100]}))
        unmet = unmet_needs(wh, declared)
    assert set(unmet) == {"by_tier", "cart_rate"}
    assert unmet["by_tier"] == ("traffic has no city_tier column; table events is not in the dataset and table users "
                                "is not in the dataset")
    assert unmet["cart_rate"] == "traffic has no add_to_carts column"


def test_drop_uncomputable_removes_tables_and_columns() -> None:
    tables = {"topics": pd.DataFrame({"topic": ["a"]}),
              "by_type": pd.DataFrame({"type": ["kol"], "save_rate": [0.0], "save_rate_low": [0.0], "posts": [3]})}
    shown = drop_uncomputable(tables, {"topics": "posts has no topics column", "save_rate": "no saves"})
    assert list(shown) == ["by_type"]
    assert list(shown["by_type"].columns) == ["type", "posts"]


class Declared(Analysis):
    name = "declared"
    title = "Declared"
    figure_needs: ClassVar[dict[str, Need]] = {"a": needs("traffic:impressions"), "b": needs("traffic:favorites")}

    def run(self, warehouse: Warehouse, config) -> Section:  # pragma: no cover - must not be called
        raise AssertionError("an analysis none of whose figures can be computed is not run")


def test_an_analysis_with_no_computable_figure_is_skipped_with_its_reasons(monkeypatch, dataset, tmp_path) -> None:
    monkeypatch.setitem(REGISTRY, Declared.name, Declared)
    res = upmarket.analyze(dataset, tmp_path / "out", only=["declared"])
    assert res.failed == {}
    assert "declared" in res.skipped
    assert res.not_computed["declared"] == {"a": "table traffic is not in the dataset",
                                            "b": "table traffic is not in the dataset"}


def test_demo_fails_loudly_when_an_analysis_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``upmarket demo`` exits 3 and names the failure (the simulation and analysis are stubbed: only the CLI's
    handling of a failed run is under test here; the pipeline's is above)."""
    from upmarket import pipeline
    from upmarket.results import Results

    failed = {"funnel": {"error": "'ctr'", "type": "KeyError", "where": "upmarket/analyses/funnel/__init__.py:1"}}
    monkeypatch.setattr(upmarket, "simulate", lambda *a, **k: None)
    monkeypatch.setattr(pipeline, "analyze", lambda *a, **k: Results({"focal_brand": "Xiaomi", "failed": failed}))
    res = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["demo", "-o", str(tmp_path / "demo")])
    assert res.exit_code == EXIT_ANALYSIS_FAILED, res.output
    assert "analysis funnel FAILED: KeyError" in res.output
