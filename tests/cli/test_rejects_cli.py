"""Rejected, removed and ignored files, unjoined keys and the quarantine, as the CLI and the outputs show them."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from upmarket.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "paper_2024"
runner = CliRunner(env={"COLUMNS": "250"})
BAD_TRAFFIC = "date,platform,sku_id\n2024-11-11,jd,A1\n"  # visitors and buyers are required
REVIEWS = ("review_id,ts,platform,sku_id,rating,text\n"
           "r1,2024-11-11,jd,X15,5,好\nr2,2024-11-11,jd,=HYPERLINK(\"http://x\"),4,@SUM(A1)\n"
           "r3,2024-11-11,jd,100012345,9,+cmd|' /C calc'!A0\n")
PRODUCTS = "sku_id,brand,model,list_price\nX15,Xiaomi,Xiaomi 15,4499\n"


@pytest.fixture
def paper(tmp_path: Path) -> Path:
    dataset = tmp_path / "paper"
    shutil.copytree(EXAMPLE, dataset, ignore=shutil.ignore_patterns("build.py", "README.md"))
    return dataset


def test_analyze_goes_on_without_a_rejected_file_and_lists_it_first(paper: Path, tmp_path: Path) -> None:
    (paper / "traffic.csv").write_text(BAD_TRAFFIC, encoding="utf-8")
    (paper / "products.csv").write_text(PRODUCTS + "P70,Huawei,Pura 70,5999\n", encoding="utf-8")
    (paper / "reviews.csv").write_text(REVIEWS, encoding="utf-8")
    (paper / "notes.docx").write_bytes(b"x")
    out = tmp_path / "out"
    res = runner.invoke(app, ["analyze", str(paper), "-o", str(out), "--only", "market"])
    assert res.exit_code == 0, res.output
    figures = json.loads((out / "results.json").read_text(encoding="utf-8"))
    dq = figures["data_quality"]
    assert next(iter(dq)) == "rejected_files"
    assert [(r["file"], r["table"]) for r in dq["rejected_files"]] == [("traffic.csv", "traffic")]
    assert "missing required column" in dq["rejected_files"][0]["reason"]
    assert [i["file"] for i in dq["ignored_files"]] == ["notes.docx"]
    assert dq["unmatched_keys"]["reviews"]["sample"] == ['=HYPERLINK("http://x")']  # r3 is quarantined (rating 9)
    assert round(figures["market"]["price_band_yoy"]["4000+"], 2) == 0.17, "the other files were analysed"
    assert "rejected traffic.csv (traffic)" in res.output and "1 of 2 reviews rows" in res.output
    assert "notes.docx" in res.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.index("traffic.csv") < html.index("market_sales.csv"), "rejected files top the data-quality section"
    # the quarantine goes with the results
    q = pd.read_parquet(out / "tables" / "quarantine.parquet")
    assert list(q.columns) == ["file", "table", "row", "column", "reason", "raw_value", "raw_row", "why", "原因"]
    con = duckdb.connect(str(paper / ".upmarket.duckdb"), read_only=True)
    assert len(q) == con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 1
    assert q.loc[0, "reason"] == "above_max" and q.loc[0, "file"] == "reviews.csv" and q.loc[0, "row"] == 4
    assert "评分" in q.loc[0, "原因"] and q.loc[0, "raw_value"] == "9"
    con.close()
    # fixed, the file loads on the next run
    (paper / "traffic.csv").write_text("date,platform,sku_id,visitors,buyers\n2024-11-11,jd,X15,10,1\n",
                                       encoding="utf-8")
    res = runner.invoke(app, ["analyze", str(paper), "-o", str(out), "--only", "market"])
    assert res.exit_code == 0, res.output
    dq = json.loads((out / "results.json").read_text(encoding="utf-8"))["data_quality"]
    assert dq["rejected_files"] == [] and "traffic.csv" in {f["path"] for f in dq["files"]}


@pytest.mark.parametrize("verb", ["ingest", "validate", "analyze"])
def test_strict_makes_a_rejected_file_an_error(paper: Path, tmp_path: Path, verb: str) -> None:
    (paper / "traffic.csv").write_text(BAD_TRAFFIC, encoding="utf-8")
    args = [verb, str(paper), "--strict"] + (["-o", str(tmp_path / "out")] if verb == "analyze" else [])
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert "traffic.csv" in res.output and "--strict" in res.output and "Traceback" not in res.output
    if verb != "validate":
        con = duckdb.connect(str(paper / ".upmarket.duckdb"), read_only=True)
        assert con.execute("SELECT count(*) FROM ingest_manifest").fetchone()[0] == 0, "nothing committed"
        con.close()
    assert not (tmp_path / "out" / "results.json").exists()


def test_validate_lists_rejected_and_ignored_files(paper: Path) -> None:
    (paper / "traffic.csv").write_text(BAD_TRAFFIC, encoding="utf-8")
    (paper / "sales[2024].csv").write_text("a\n1\n", encoding="utf-8")
    res = runner.invoke(app, ["validate", str(paper)])
    assert res.exit_code == 0, res.output
    assert res.output.index("traffic.csv") < res.output.index("market_sales.csv")
    assert "sales[2024].csv" in res.output and "[[files]]" in res.output


@pytest.mark.parametrize("verb", ["ingest", "validate", "analyze"])
def test_an_empty_folder_is_an_error(tmp_path: Path, verb: str) -> None:
    (tmp_path / "empty").mkdir()
    res = runner.invoke(app, [verb, str(tmp_path / "empty")])
    assert res.exit_code == 2 and "no table file found" in res.output, res.output


def test_a_folder_with_nothing_loadable_is_an_error(tmp_path: Path) -> None:
    d = tmp_path / "bad"
    d.mkdir()
    (d / "traffic.csv").write_text(BAD_TRAFFIC, encoding="utf-8")
    res = runner.invoke(app, ["analyze", str(d), "-o", str(tmp_path / "out")])
    assert res.exit_code == 2 and "no file could be loaded" in res.output and "traffic.csv" in res.output


def test_a_focal_brand_absent_from_the_data_is_an_error_naming_the_brands(paper: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["analyze", str(paper), "-o", str(tmp_path / "out"), "--focal-brand", "Nokia"])
    assert res.exit_code == 2, res.output
    assert "focal brand 'Nokia' is not in the data" in res.output
    assert "Apple" in res.output and "Xiaomi" in res.output
    assert not (tmp_path / "out" / "results.json").exists()
    (paper / "upmarket.toml").write_text('focal_brand = "xiaomi "\n', encoding="utf-8")
    assert runner.invoke(app, ["validate", str(paper)]).exit_code == 0, "brand names are read as stored"
    (paper / "upmarket.toml").write_text('focal_brand = "Nokia"\n', encoding="utf-8")
    res = runner.invoke(app, ["validate", str(paper)])
    assert res.exit_code == 2 and "focal brand 'Nokia'" in res.output and "market_sales.csv" in res.output


def test_a_deleted_file_is_reported_as_removed(paper: Path) -> None:
    (paper / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    assert runner.invoke(app, ["ingest", str(paper)]).exit_code == 0
    (paper / "products.csv").unlink()
    res = runner.invoke(app, ["ingest", str(paper)])
    assert res.exit_code == 0, res.output
    assert "removed products.csv: no longer in the folder (1 products rows)" in res.output


def test_quarantine_command_writes_every_bad_row_for_a_person_to_fix(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    (d / "reviews.csv").write_text(REVIEWS.replace(",4,@SUM", ",-1,@SUM"), encoding="utf-8")
    (d / "orders.csv").write_text("order_id,ts,platform,user_id,sku_id,price_paid\n"
                                  "o1,2024-11-11 10:00,jd,u1,X15,=1+1\no2,yesterday,jd,u1,X15,4499\n", encoding="utf-8")
    xlsx = tmp_path / "bad_rows.xlsx"
    res = runner.invoke(app, ["quarantine", str(d), "-o", str(xlsx)])
    assert res.exit_code == 0, res.output
    assert "4 quarantined rows" in res.output
    wb = openpyxl.load_workbook(xlsx)
    sheet = wb.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("file", "table", "row", "column", "reason", "raw_value", "raw_row", "why", "原因")
    got = {(r[0], r[2], r[3], r[4], r[5]) for r in rows[1:]}
    assert got == {("orders.csv", 2, "price_paid", "not_a_number", "'=1+1"),
                   ("orders.csv", 3, "ts", "invalid_timestamp", "yesterday"),
                   ("reviews.csv", 3, "rating", "below_min", "-1"),  # a number, not a formula
                   ("reviews.csv", 4, "rating", "above_max", "9")}
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", f"a live formula in {cell.coordinate}: {cell.value!r}"
            if isinstance(cell.value, str) and not re.fullmatch(r"-\d+(\.\d+)?", cell.value):  # -1 is a number
                assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
    assert all(r[7] and r[8] for r in rows[1:]), "every reason explained in English and Chinese"
    reasons = {r[0]: r[1] for r in wb.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert reasons == {"above_max": 1, "below_min": 1, "invalid_timestamp": 1, "not_a_number": 1}
    # the same rows as CSV (Excel-readable UTF-8, neutralised) and as Parquet (exact)
    out_csv = tmp_path / "bad_rows.csv"
    assert runner.invoke(app, ["quarantine", str(d), "-o", str(out_csv)]).exit_code == 0
    with open(out_csv, encoding="utf-8-sig", newline="") as fh:
        recs = list(csv.DictReader(fh))
    assert len(recs) == 4 and {r["raw_value"] for r in recs} == {"'=1+1", "yesterday", "-1", "9"}
    assert all(not r["raw_row"].startswith(("=", "+", "-", "@")) for r in recs)
    out_pq = tmp_path / "bad_rows.parquet"
    assert runner.invoke(app, ["quarantine", str(d), "-o", str(out_pq)]).exit_code == 0
    assert set(pd.read_parquet(out_pq)["raw_value"]) == {"=1+1", "yesterday", "-1", "9"}
    res = runner.invoke(app, ["quarantine", str(d), "-o", str(tmp_path / "bad.txt")])
    assert res.exit_code == 2 and ".xlsx" in res.output


def test_every_reason_the_cleaning_sql_emits_is_explained() -> None:
    import re

    import upmarket.contract.sql as sql
    from upmarket.contract.reasons import catalogue

    text = Path(sql.__file__).read_text(encoding="utf-8")
    # reason codes are the snake_case SQL literals ('below_min') and the two percent kinds built in Python
    emitted = set(re.findall(r"'([a-z]+(?:_[a-z]+)+)'", text))
    emitted |= set(re.findall(r'kind = "([a-z_]+)" if d == "int" else "([a-z_]+)"', text)[0])
    emitted |= set(re.findall(r'SEP \+ "([a-z_]+)"', text)) | {"duplicate_key"}
    assert len(emitted) >= 15
    cat = catalogue()
    assert emitted <= set(cat), f"reasons without an explanation: {sorted(emitted - set(cat))}"
    assert all(en and zh and en != zh for en, zh in cat.values())


def test_init_command(tmp_path: Path) -> None:
    d = tmp_path / "exports"
    d.mkdir()
    (d / "orders.csv").write_text("order_id\n", encoding="utf-8")
    (d / "京东商智_商品明细.xlsx").write_bytes(b"x")
    res = runner.invoke(app, ["init", str(d)])
    assert res.exit_code == 0, res.output
    text = (d / "upmarket.toml").read_text(encoding="utf-8")
    assert "orders.csv → orders" in text and '# glob = "京东商智_商品明细.xlsx"' in text
    assert runner.invoke(app, ["init", str(d)]).exit_code == 2, "never over an existing file"
    assert runner.invoke(app, ["init", str(d), "--force"]).exit_code == 0
    assert runner.invoke(app, ["init", str(tmp_path / "nope")]).exit_code == 2


def test_results_schema_checks_data_quality() -> None:
    import jsonschema

    from upmarket.results import validate_results

    validate_results({"contract": 1, "focal_brand": "Xiaomi", "skipped": {}, "data_quality": {
        "rejected_files": [{"file": "a.csv", "table": "traffic", "reason": "x"}]}})
    with pytest.raises(jsonschema.ValidationError):
        validate_results({"contract": 1, "focal_brand": "Xiaomi", "skipped": {},
                          "data_quality": {"rejected_files": ["a.csv"]}})
