"""Wide files: columns the contract does not name cost one list expression, not a CASE each
(before: 300 columns took 10 s, 1,000 empty columns ran DuckDB out of memory, 3,000 hung)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from upmarket.warehouse import Warehouse


def _wide_traffic(folder: Path, extra: int, rows: int, bad_row: int | None = None) -> None:
    header = ["date", "platform", "sku_id", "visitors", "buyers"] + [f"额外{k}" for k in range(extra)]
    lines = [",".join(header)]
    for i in range(rows):
        visitors = "abc" if i == bad_row else str(i + 10)
        tail = [""] * extra
        tail[i % extra] = " - "  # a missing marker, trimmed: still empty
        lines.append(f"2024-01-{i % 28 + 1:02d},jd,S{i},{visitors},{i % 7}," + ",".join(tail))
    lines.append("," * (len(header) - 1))  # a row of empty fields: empty_row
    (folder / "traffic.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_three_thousand_mostly_empty_columns_load(tmp_path: Path) -> None:
    _wide_traffic(tmp_path, 3000, 200, bad_row=7)
    t0 = time.perf_counter()
    with Warehouse() as wh:
        rep = wh.ingest(tmp_path)
        seconds = time.perf_counter() - t0
        f = rep.files[0]
        assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (201, 199, 2)
        reasons = dict(wh.con.execute('SELECT "row", reason FROM quarantine').fetchall())
        assert reasons == {9: "not_a_number", 202: "empty_row"}
        raw = wh.con.execute("SELECT raw_value FROM quarantine WHERE reason = 'not_a_number'").fetchone()[0]
        assert raw == "abc"
        extra = json.loads(wh.con.execute("SELECT _extra FROM traffic WHERE sku_id = 'S5'").fetchone()[0])
        assert len(extra) == 3000 and extra["额外5"] == " - "
    assert seconds < 60, f"3,000 columns took {seconds:.0f} s"


def test_a_row_with_only_extra_columns_filled_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "traffic.csv").write_text("date,platform,sku_id,visitors,buyers,备注,其他\n"
                                          ",,,,,有内容,\n,,,,, -- ,\n", encoding="utf-8")
    with Warehouse() as wh:
        wh.ingest(tmp_path)
        reasons = dict(wh.con.execute('SELECT "row", reason FROM quarantine').fetchall())
    assert reasons == {2: "missing_required", 3: "empty_row"}


def test_chunks_are_bounded_in_bytes_as_well_as_rows() -> None:
    import pyarrow as pa

    from upmarket.warehouse.ingest import _coalesce

    batch = pa.RecordBatch.from_pydict({f"c{k}": ["x" * 100] * 1000 for k in range(50)})  # ~5 MB
    chunks = list(_coalesce([batch] * 20, rows=1_000_000, max_bytes=12 << 20))
    assert sum(c.num_rows for c in chunks) == 20_000
    assert len(chunks) == 7 and max(c.nbytes for c in chunks) < 20 << 20


def test_csv_module_batches_are_bounded_in_fields() -> None:
    from upmarket.io.readers import _take

    records = iter([[""] * 3000 for _ in range(100)])
    sizes = []
    while batch := _take(records, rows=131_072, fields=10_000):
        sizes.append(len(batch))
    assert sizes == [4] * 25


def test_a_flood_of_blank_lines_is_no_rows(tmp_path: Path) -> None:
    import gzip

    with gzip.open(tmp_path / "traffic.csv.gz", "wb", compresslevel=1) as f:
        f.write(b"date,platform,sku_id,visitors,buyers\n2024-01-01,jd,S1,10,1\n" + b"\n" * (32 << 20) + b",,,,\n")
    t0 = time.perf_counter()
    with Warehouse() as wh:
        f = wh.ingest(tmp_path).files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (2, 1, 1)  # the row of empty fields is a row
    assert time.perf_counter() - t0 < 30
