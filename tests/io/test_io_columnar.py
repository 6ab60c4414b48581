"""Parquet (a folder of parts) and JSON Lines: native types, 1-based record numbers, renamed columns."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from upmarket.config import Config
from upmarket.io import UnreadableFile, discover, open_table


def _events(n: int, start: int) -> pa.Table:
    return pa.table({
        "ts": pa.array([f"2024-11-{1 + i % 28:02d} 10:00:00" for i in range(start, start + n)]),
        "Platform": pa.array(["jd"] * n),
        "user_id": pa.array([f"u{i}" for i in range(start, start + n)]),
        "event": pa.array(["click"] * n),
        "value": pa.array([float(i) for i in range(start, start + n)]),
    })


def test_parquet_folder_of_parts(tmp_path: Path) -> None:
    folder = tmp_path / "events"
    folder.mkdir()
    for k, (n, start) in enumerate([(5, 0), (7, 5), (3, 12)], start=1):
        pq.write_table(_events(n, start), folder / f"part-{k}.parquet", row_group_size=2)
    (folder / "part-10.parquet").write_bytes((folder / "part-3.parquet").read_bytes())
    found = discover(tmp_path, Config())
    assert [f.rel_path for f in found] == ["events/part-1.parquet", "events/part-2.parquet", "events/part-3.parquet",
                                           "events/part-10.parquet"]
    raw = open_table(found[1])
    assert raw.format == "parquet" and raw.header_row == 0 and raw.encoding is None
    assert raw.parquet_paths == [folder / "part-2.parquet"]
    assert raw.rows_hint == 7
    assert list(raw.columns) == ["ts", "platform", "user_id", "event", "value"]
    assert raw.columns["platform"] == "Platform"
    batches = list(raw.batches(batch_rows=3))
    assert [b.num_rows for b in batches] == [3, 3, 1]
    table = pa.Table.from_batches(batches)
    assert table["_row"].to_pylist() == [1, 2, 3, 4, 5, 6, 7]
    assert table["user_id"].to_pylist() == [f"u{i}" for i in range(5, 12)]
    assert table.schema.field("value").type == pa.float64()


def test_gzipped_parquet_is_read_in_memory(tmp_path: Path, source) -> None:
    plain = tmp_path / "x.parquet"
    pq.write_table(_events(4, 0), plain)
    path = tmp_path / "events.parquet.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    raw = open_table(source(path, "events"))
    assert raw.parquet_paths is None and raw.compression == "gzip"
    assert raw.read_all()["_row"].to_pylist() == [1, 2, 3, 4]


def test_corrupt_parquet(tmp_path: Path, source) -> None:
    path = tmp_path / "events.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 100)
    with pytest.raises(UnreadableFile, match="not a readable Parquet file"):
        open_table(source(path, "events"))


def test_jsonl_native_types(tmp_path: Path, source) -> None:
    path = tmp_path / "orders.jsonl"
    recs = [{"order_id": "o1", "ts": "2024-11-11T00:01:00", "user_id": "u1", "platform": "jd", "sku_id": "s1",
             "price_paid": 5999.0, "units": 1},
            {"order_id": "o2", "ts": "2024-11-11T00:02:00", "user_id": "u2", "platform": "tmall", "sku_id": "s2",
             "price_paid": 4299.5, "units": 2}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\n")
    raw = open_table(source(path, "orders"))
    assert raw.format == "jsonl" and raw.header_row == 0
    data = raw.read_all()
    assert data["_row"].to_pylist() == [1, 2]
    assert data["price_paid"].to_pylist() == [5999.0, 4299.5]
    assert data.schema.field("units").type == pa.int64()
    assert data["platform"].to_pylist() == ["jd", "tmall"]


def test_jsonl_missing_required(tmp_path: Path, source) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_text('{"order_id": "o1"}\n')
    with pytest.raises(UnreadableFile, match=r"missing required column\(s\) ts, user_id, platform, sku_id, "
                                             r"price_paid of table 'orders' \(headers seen at columns: 'order_id'\)"):
        open_table(source(path, "orders"))


def test_jsonl_key_first_seen_late_fails_loudly(tmp_path: Path, source, monkeypatch) -> None:
    from upmarket.io import readers

    monkeypatch.setattr(readers, "CSV_BLOCK_BYTES", 256)
    lines = [json.dumps({"user_id": f"u{i}", "city": "武汉"}, ensure_ascii=False) for i in range(50)]
    lines.append(json.dumps({"user_id": "u50", "city": "成都", "gender": "f"}, ensure_ascii=False))
    path = tmp_path / "users.jsonl"
    path.write_text("\n".join(lines) + "\n")
    raw = open_table(source(path, "users"))
    assert list(raw.columns) == ["user_id", "city"]
    with pytest.raises(UnreadableFile, match="has a key the first records lack \\(they have user_id, city\\)"):
        raw.read_all()
