"""The command line: each verb calls the library and reports plainly; bad files give one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from upmarket.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "paper_2024"
runner = CliRunner(env={"COLUMNS": "200"})


def copy_example(tmp_path: Path) -> Path:
    dataset = tmp_path / "paper"
    shutil.copytree(EXAMPLE, dataset)
    return dataset


def test_analyze_then_report_in_chinese(tmp_path: Path) -> None:
    dataset = copy_example(tmp_path)
    out = tmp_path / "out"
    res = runner.invoke(app, ["analyze", str(dataset), "-o", str(out)])
    assert res.exit_code == 0, res.output
    figures = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert figures["contract"] == 1
    assert round(figures["market"]["price_band_yoy"]["4000+"], 2) == 0.17
    assert (out / "tables" / "units_by_band.parquet").is_file()
    assert (dataset / ".upmarket.duckdb").is_file(), "the warehouse defaults to a file inside the dataset"
    res = runner.invoke(app, ["report", str(out), "--lang", "zh"])
    assert res.exit_code == 0, res.output
    assert "价位段" in (out / "report.html").read_text(encoding="utf-8")


def test_validate_writes_nothing(tmp_path: Path) -> None:
    dataset = copy_example(tmp_path)
    res = runner.invoke(app, ["validate", str(dataset)])
    assert res.exit_code == 0, res.output
    assert "224" in res.output  # rows that would load
    assert not (dataset / ".upmarket.duckdb").exists()


def test_ingest_twice_loads_once(tmp_path: Path) -> None:
    dataset = copy_example(tmp_path)
    db = tmp_path / "wh.duckdb"
    for _ in range(2):
        res = runner.invoke(app, ["ingest", str(dataset), "--db", str(db)])
        assert res.exit_code == 0, res.output
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM market_sales").fetchall()[0][0] == 224
    assert con.execute("SELECT count(*) FROM ingest_manifest").fetchall()[0][0] == 1


def test_unreadable_file_is_one_line_naming_it(tmp_path: Path) -> None:
    dataset = tmp_path / "bad"
    dataset.mkdir()
    (dataset / "traffic.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    res = runner.invoke(app, ["ingest", str(dataset)])
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) <= 2, res.output  # one message (Rich may wrap a long line once)
    assert "traffic.csv" in res.output and "Traceback" not in res.output


def test_missing_dataset_folder(tmp_path: Path) -> None:
    res = runner.invoke(app, ["analyze", str(tmp_path / "nope")])
    assert res.exit_code == 2
    assert "not a dataset folder" in res.output


def test_analyze_without_report_then_report_renders_the_same_html(tmp_path: Path) -> None:
    """One writer: ``analyze --no-report`` saves everything the report needs; ``report OUT`` renders from it alone
    the HTML that ``analyze`` rendered from memory. A manifest from another version is refused."""
    dataset = copy_example(tmp_path)
    out = tmp_path / "out"
    res = runner.invoke(app, ["analyze", str(dataset), "-o", str(out), "--no-report"])
    assert res.exit_code == 0, res.output
    assert not (out / "report.html").exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["contract"] == "1" and manifest["data_state"] and len(manifest["config_hash"]) == 16
    res = runner.invoke(app, ["report", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "report.html").is_file()
    both = tmp_path / "both"
    assert runner.invoke(app, ["analyze", str(dataset), "-o", str(both)]).exit_code == 0
    from_memory = (both / "report.html").read_text(encoding="utf-8")
    (both / "report.html").unlink()
    assert runner.invoke(app, ["report", str(both)]).exit_code == 0
    assert (both / "report.html").read_text(encoding="utf-8") == from_memory
    (both / "manifest.json").write_text(json.dumps({**manifest, "upmarket": "0.0.0"}), encoding="utf-8")
    res = runner.invoke(app, ["report", str(both)])
    assert res.exit_code != 0 and "another version" in res.output and "0.0.0" in res.output
