"""Data is only data on the terminal: Rich markup (``[/b]``, ``[link=x]``) and emoji codes (``:x:``) in
file names, headers, brands and messages print literally and never crash the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from upmarket.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "paper_2024"
runner = CliRunner(env={"COLUMNS": "240"})
PAYLOADS = ("[/b]", "[link=x]", ":x:")


def _split_example(tmp_path: Path) -> Path:
    """The paper example as two parts whose relative paths hold markup (``x[/b]:x:.csv`` spans a folder)."""
    dataset = tmp_path / "d"
    parts = dataset / "market_sales" / "x["
    parts.mkdir(parents=True)
    shutil.copy(EXAMPLE / "upmarket.toml", dataset / "upmarket.toml")
    lines = (EXAMPLE / "market_sales.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (parts / "b]:x:.csv").write_text("".join(lines[:120]), encoding="utf-8")
    (dataset / "market_sales" / "q[link=x]y.csv").write_text(lines[0] + "".join(lines[120:]), encoding="utf-8")
    return dataset


def test_file_names_with_markup_print_literally(tmp_path: Path) -> None:
    dataset = _split_example(tmp_path)
    res = runner.invoke(app, ["ingest", str(dataset)])
    assert res.exit_code == 0, res.output
    assert "market_sales/x[/b]:x:.csv" in res.output
    assert "market_sales/q[link=x]y.csv" in res.output
    assert "❌" not in res.output


def test_focal_brand_with_markup_prints_literally(tmp_path: Path) -> None:
    dataset = _split_example(tmp_path)
    brand = "Nova[/b][link=x]:x:"
    res = runner.invoke(app, ["analyze", str(dataset), "-o", str(tmp_path / "out"), "--focal-brand", brand])
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "MarkupError" not in res.output and "❌" not in res.output
    if res.exit_code == 0:
        assert brand in res.output


@pytest.mark.parametrize("payload", PAYLOADS)
def test_header_with_markup_in_the_error_message(tmp_path: Path, payload: str) -> None:
    dataset = tmp_path / "d"
    dataset.mkdir()
    (dataset / "traffic.csv").write_text(f"{payload},root:x:0:0\n1,2\n", encoding="utf-8")
    res = runner.invoke(app, ["ingest", str(dataset)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and "MarkupError" not in res.output
    flat = " ".join(res.output.split())
    assert payload in flat and "root:x:0:0" in flat


def test_files_hint_prints_as_written(tmp_path: Path) -> None:
    dataset = tmp_path / "d"
    dataset.mkdir()
    (dataset / "traffic.csv").write_text("date,sku_id,visitors,buyers\n2024-01-01,A1,10,1\n", encoding="utf-8")
    res = runner.invoke(app, ["ingest", str(dataset)])
    assert res.exit_code == 2, res.output
    assert "[[files]] entry" in " ".join(res.output.split())


def test_report_table_and_progress_take_markup_as_text() -> None:
    from rich.console import Console

    from upmarket.progress import RichProgress
    from upmarket.warehouse.ingest import FileReport, IngestReport

    rep = IngestReport(files=[FileReport("reviews/a[/b][link=x]:x:.csv", "reviews", "loaded", "id", "csv", "utf-8",
                                         3, 2, 1, note="[/b] note", top_reasons=[("[/red]", 1)],
                                         reconcile=["gmv: [/b] :x:"])])
    console = Console(width=300, color_system=None, record=True)
    console.print(rep.to_rich())
    text = console.export_text()
    for literal in ("reviews/a[/b][link=x]:x:.csv", "[/b] note", "[/red] ×1", "gmv: [/b] :x:"):
        assert literal in text
    with RichProgress(transient=True) as progress:  # a description holding markup must not raise
        progress.task("orders/[/b]:x:.csv", total=2).advance(2)
