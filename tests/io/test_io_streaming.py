"""A large gzip CSV streams: many bounded batches, memory far below the file's size, exact row numbers."""

from __future__ import annotations

import gzip
import io
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from upmarket.io import SourceFile, open_table

ROWS = 2_400_000
CHUNK = 300_000


def _rss_bytes() -> int:
    """Current (not peak) resident set size, so earlier tests in the process do not mask growth."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _write_events_gz(path: Path) -> int:
    """2.4M event rows (~113 bytes each, ~270 MB of text): one 300k-row chunk written 8 times into a gzip stream."""
    rng = np.random.default_rng(7)
    idx = np.arange(CHUNK)
    brands = np.array(["Xiaomi", "Redmi", "Huawei", "Apple", "OPPO", "vivo", "Honor"])
    ids = pa.array(idx).cast(pa.string())
    table = pa.table({
        "ts": pa.array(np.datetime64("2024-11-01T00:00:00") + idx.astype("timedelta64[s]")).cast(pa.string()),
        "platform": pa.array(np.where(idx % 3 == 0, "jd", "tmall")),
        "user_id": pc.binary_join_element_wise("user-00000000", ids, ""),
        "event": pa.array(np.where(idx % 5 == 0, "order", "click")),
        "sku_id": pc.binary_join_element_wise("sku-10000000", pc.cast(pa.array(idx % 977), pa.string()), ""),
        "brand": pa.array(brands[rng.integers(0, len(brands), CHUNK)]),
        "session_id": pc.binary_join_element_wise("session-abcdef-0123456789-", ids, ""),
        "value": pa.array(np.round(rng.uniform(999, 9999, CHUNK), 2)).cast(pa.string()),
    })
    body = io.BytesIO()
    pacsv.write_csv(table, body, write_options=pacsv.WriteOptions(quoting_style="none", include_header=False))
    member = gzip.compress(body.getvalue(), compresslevel=1)
    with open(path, "wb") as out:  # a multi-member gzip, as `cat a.gz b.gz` or pigz make
        out.write(gzip.compress((",".join(table.column_names) + "\n").encode()))
        for _ in range(ROWS // CHUNK):
            out.write(member)
    return len(body.getvalue()) * (ROWS // CHUNK)


def test_large_gzip_csv_streams_with_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "events.csv.gz"
    t0 = time.perf_counter()
    text_bytes = _write_events_gz(path)
    assert text_bytes > 250e6
    t_write = time.perf_counter() - t0

    raw = open_table(SourceFile(path, path.name, "events"))
    assert raw.compression == "gzip" and raw.format == "csv"
    assert list(raw.columns) == ["ts", "platform", "user_id", "event", "sku_id", "brand", "session_id", "value"]

    rss0, pool0 = _rss_bytes(), pa.total_allocated_bytes()
    peak_rss, peak_pool, n_batches, n_rows, last_row = rss0, pool0, 0, 0, 0
    t0 = time.perf_counter()
    for batch in raw.batches(batch_rows=65536):
        n_batches += 1
        n_rows += batch.num_rows
        assert batch.num_rows <= 65536
        rows = batch.column(0)
        assert rows[0].as_py() == (last_row + 1 if last_row else 2)  # header on line 1, no gaps between batches
        last_row = rows[-1].as_py()
        peak_pool = max(peak_pool, pa.total_allocated_bytes())
        if n_batches % 8 == 0:
            peak_rss = max(peak_rss, _rss_bytes())
    t_read = time.perf_counter() - t0

    assert n_rows == ROWS and last_row == ROWS + 1
    assert n_batches >= ROWS // 65536
    assert peak_pool - pool0 < 96 << 20, f"Arrow pool grew by {(peak_pool - pool0) >> 20} MiB"
    assert peak_rss - rss0 < 160 << 20, f"RSS grew by {(peak_rss - rss0) >> 20} MiB for a ~270 MB file"
    print(f"write {t_write:.1f}s, read {t_read:.1f}s, {n_batches} batches, pool +{(peak_pool - pool0) >> 20} MiB, "
          f"RSS +{(peak_rss - rss0) >> 20} MiB, file {path.stat().st_size >> 20} MiB gz")
