"""Formula injection: what upmarket writes for people never runs as a spreadsheet formula."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from upmarket.io.safe_output import defuse_cell, defuse_frame, write_for_people

PAYLOADS = ["=HYPERLINK(\"http://x\",\"click\")", "=cmd|' /C calc'!A0", "+1", "@SUM(1)", "-1+cmd|' /C calc'!A0",
            "\t=1", "\r=1"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_cells_get_a_quote(payload: str) -> None:
    assert defuse_cell(payload) == "'" + payload


@pytest.mark.parametrize("value", ["好评", "a=b", "", "'=already", "-12.5", "-3", "-1,234.5", 5, -5, -2.5, None])
def test_other_cells_unchanged(value: object) -> None:
    assert defuse_cell(value) == value


def test_numbers_stay_numbers_in_a_frame() -> None:
    df = pd.DataFrame({"text": ["=1+1", "ok"], "score": [-0.5, 0.25], "n": [-1, 2], "=col": ["a", "b"]})
    out = defuse_frame(df)
    assert out["text"].tolist() == ["'=1+1", "ok"]
    assert out["score"].tolist() == [-0.5, 0.25] and out["n"].dtype == df["n"].dtype
    assert list(out.columns)[-1] == "'=col"
    assert df["text"].tolist() == ["=1+1", "ok"], "the caller's frame is not modified"


def test_xlsx_stores_no_formula(tmp_path: Path) -> None:
    out = tmp_path / "scored.xlsx"
    write_for_people(pd.DataFrame({"text": PAYLOADS, "score": [-1.0] * len(PAYLOADS)}), out)
    ws = openpyxl.load_workbook(out).active
    cells = [c for row in ws.iter_rows(min_row=2) for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    # XML stores a carriage return as a line feed; the quote in front is what matters
    assert [c.value for c in cells if c.column == 1] == ["'" + p.replace("\r", "\n") for p in PAYLOADS]
    assert {c.value for c in cells if c.column == 2} == {-1}


def test_csv_cells_start_with_a_quote(tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    write_for_people(pd.DataFrame({"text": PAYLOADS[:4], "score": [-1.5, 2.0, -3.0, 0.0]}), out)
    back = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
    assert back["text"].tolist() == ["'" + p for p in PAYLOADS[:4]]
    assert back["score"].tolist() == [-1.5, 2.0, -3.0, 0.0]


def test_voice_score_writes_defused_xlsx(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from upmarket.cli import app

    src = tmp_path / "texts.csv"
    texts = ["=HYPERLINK(\"http://x\",\"点这里\")", "质量很好"]
    pd.DataFrame({"id": ["=1", "b"], "text": texts}).to_csv(src, index=False)
    out = tmp_path / "scored.xlsx"
    res = CliRunner().invoke(app, ["voice", "score", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    ws = openpyxl.load_workbook(out).active
    assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    texts = [c.value for c in next(ws.iter_cols(min_col=2, max_col=2, min_row=2))]
    assert texts[0] == "'=HYPERLINK(\"http://x\",\"点这里\")" and texts[1] == "质量很好"
