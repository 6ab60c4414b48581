"""Damaged rows are quarantined, not whole files: bad bytes (bad_encoding), bad JSON Lines lines
(bad_json, too_deep, too_large); rows read = rows loaded + rows quarantined."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from upmarket.warehouse import Warehouse
from upmarket.warehouse.pseudonym import pseudonymise


def _ingest(dataset: Path) -> tuple[dict, dict[int, str]]:
    with Warehouse() as wh:
        rep = wh.ingest(dataset)
        f = rep.files[0]
        assert f.rows_read == f.rows_loaded + f.rows_quarantined
        reasons = dict(wh.con.execute('SELECT "row", reason FROM quarantine').fetchall())
        return rep.totals, reasons


def _users_csv(n: int, city: str = "深圳") -> str:
    return "user_id,城市\n" + "".join(f"u{i},{city}\n" for i in range(n))


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_truncated_last_character_quarantines_the_last_row(tmp_path: Path, encoding: str) -> None:
    body = _users_csv(30).encode(encoding) + "u30,深".encode(encoding)[:-1]
    (tmp_path / "users.csv").write_bytes(body)
    totals, reasons = _ingest(tmp_path)
    assert (totals["rows_read"], totals["rows_loaded"]) == (31, 30)
    assert reasons == {32: "bad_encoding"}


@pytest.mark.parametrize("compress", [False, True])
def test_one_bad_byte_deep_in_a_file_quarantines_its_row(tmp_path: Path, compress: bool) -> None:
    """The bad byte lies beyond the sniffed sample and Arrow's first blocks: the reader switches midway."""
    lines = _users_csv(60_000).encode().splitlines(keepends=True)
    lines[50_001] = b"u50000,\xff\xfe\xe6\xb7\n"
    body = b"".join(lines)
    path = tmp_path / ("users.csv.gz" if compress else "users.csv")
    path.write_bytes(gzip.compress(body, 1) if compress else body)
    totals, reasons = _ingest(tmp_path)
    assert (totals["rows_read"], totals["rows_loaded"], totals["rows_quarantined"]) == (60_000, 59_999, 1)
    assert reasons == {50_002: "bad_encoding"}


def _users_jsonl(n: int) -> list[str]:
    return [json.dumps({"user_id": f"u{i}", "city": "武汉", "age_band": "25-34"}, ensure_ascii=False)
            for i in range(n)]


def test_jsonl_nested_10000_deep_is_quarantined(tmp_path: Path) -> None:
    lines = _users_jsonl(20)
    lines[5] = '{"user_id": "u5", "city": ' + "[" * 10_000 + "]" * 10_000 + "}"
    lines[7] = '{"user_id": "u7", "city": ' + '{"a": ' * 10_000 + "1" + "}" * 10_000 + "}"
    lines.insert(0, '{"user_id": "deep", "city": ' + "[" * 10_000)  # the first line: where the schema comes from
    (tmp_path / "users.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    totals, reasons = _ingest(tmp_path)
    assert (totals["rows_read"], totals["rows_loaded"]) == (21, 18)
    assert reasons == {1: "too_deep", 7: "too_deep", 9: "too_deep"}


def test_jsonl_depth_limit_counts_brackets_outside_strings(tmp_path: Path) -> None:
    lines = _users_jsonl(3)
    lines[1] = json.dumps({"user_id": "u1", "city": "[" * 500 + "{" * 500}, ensure_ascii=False)
    (tmp_path / "users.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    totals, reasons = _ingest(tmp_path)
    assert (totals["rows_loaded"], reasons) == (3, {})


def test_bad_jsonl_lines_quarantine_the_line_not_the_file(tmp_path: Path, monkeypatch) -> None:
    from upmarket.io import readers

    monkeypatch.setattr(readers, "MAX_JSON_LINE_BYTES", 4096)
    lines = _users_jsonl(40)
    lines[3] = '{"user_id": "u3", "city": '  # cut short
    lines[10] = "[1, 2, 3]"  # not an object
    lines[20] = '{"user_id": "u20", "city": "' + "长" * 5000 + '"}'  # over the line limit
    lines[30] = "not json at all"
    (tmp_path / "users.jsonl").write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    totals, reasons = _ingest(tmp_path)
    assert (totals["rows_read"], totals["rows_loaded"], totals["rows_quarantined"]) == (40, 36, 4)
    assert reasons == {4: "bad_json", 11: "bad_json", 21: "too_large", 31: "bad_json"}


def test_jsonl_of_only_bad_lines_is_rejected(tmp_path: Path) -> None:
    from upmarket.warehouse.ingest import NoLoadableFileError

    (tmp_path / "users.jsonl").write_text("{oops\n{" + "[" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(NoLoadableFileError, match=r"users\.jsonl"):  # the folder's only file: rejected
        _ingest(tmp_path)


def test_ragged_gbk_row_prints_nothing(tmp_path: Path, capfd) -> None:
    """Arrow decoded a ragged row's text as UTF-8 for a row handler; a GBK row printed a traceback to stderr."""
    body = _users_csv(40).encode("gbk") + "u40,深圳,多余,字段\n".encode("gbk")
    (tmp_path / "users.csv").write_bytes(body)
    totals, reasons = _ingest(tmp_path)
    assert (totals["rows_read"], totals["rows_loaded"]) == (41, 40)
    assert reasons == {42: "ragged_row"}
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "Exception ignored" not in captured.err


def test_jsonl_line_with_invalid_utf8_is_quarantined(tmp_path: Path) -> None:
    """Arrow's JSON parser let the bytes through and DuckDB then failed the whole ingest (found by the fuzzer)."""
    lines = [line.encode() for line in _users_jsonl(30)]
    lines[12] = b'{"user_id": "u12", "city": "M\xfcnchen \xff"}'
    (tmp_path / "users.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    totals, reasons = _ingest(tmp_path)
    assert (totals["rows_read"], totals["rows_loaded"]) == (30, 29)
    assert reasons == {13: "bad_encoding"}


def test_jsonl_value_changing_type_in_the_first_block_quarantines_that_line(tmp_path: Path) -> None:
    lines = _users_jsonl(10)
    lines[4] = json.dumps({"user_id": 5, "city": ["a"], "age_band": {"x": 1}})
    (tmp_path / "users.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    totals, reasons = _ingest(tmp_path)
    assert (totals["rows_read"], totals["rows_loaded"]) == (10, 9)
    assert reasons == {5: "bad_json"}


def test_a_tiny_gbk_file_is_still_gbk(tmp_path: Path) -> None:
    """Tolerating damaged UTF-8 must not take a GBK file with one Chinese character for damaged UTF-8."""
    (tmp_path / "users.csv").write_bytes("user_id,city\nu1,京\nu2,x\n".encode("gbk"))
    with Warehouse() as wh:
        rep = wh.ingest(tmp_path)
        assert rep.files[0].encoding == "gb18030" and rep.totals["rows_loaded"] == 2
        u1 = pseudonymise(["u1"])[0]
        assert wh.con.execute("SELECT city FROM users WHERE user_id = ?", [u1]).fetchone()[0] == "京"


def test_jsonl_with_a_bom_loads_every_line(tmp_path: Path) -> None:
    (tmp_path / "users.jsonl").write_bytes(b"\xef\xbb\xbf" + ("\n".join(_users_jsonl(5)) + "\n").encode())
    totals, reasons = _ingest(tmp_path)
    assert (totals["rows_read"], totals["rows_loaded"], reasons) == (5, 5, {})
