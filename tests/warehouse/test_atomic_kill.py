"""Atomicity with a real SIGKILL: a process killed mid-ingest leaves the warehouse as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from wh_helpers import rows, write

from upmarket.config import Config
from upmarket.warehouse import Warehouse

N_TRAFFIC_FILES = 12
EVENTS_ROWS = 400_000  # big enough that DuckDB writes row groups to the file before COMMIT

CHILD = r"""
import sys, time
from pathlib import Path
from upmarket.warehouse import Warehouse

dataset, db, marker = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])

class Marker:
    def task(self, description, total=None):
        outer = self
        class T:
            done = 0
            def advance(self, n=1):
                if description == "files":
                    T.done += n
                    marker.write_text(str(T.done))
                    if T.done >= 3:
                        time.sleep(0.5)  # later files are slow: the parent kills us in here
        return T()

with Warehouse(db) as wh:
    wh.ingest(dataset, progress=Marker())
print("FINISHED")
"""


def _state(wh: Warehouse) -> tuple:
    counts = {t: wh.count(t) for t in ("traffic", "users", "events", "quarantine", "ingest_manifest")}
    manifest = rows(wh, "SELECT file_id, path, rows_read, rows_loaded, rows_quarantined FROM ingest_manifest "
                        "ORDER BY path")
    return counts, manifest, rows(wh, "SELECT sum(visitors) FROM traffic")


def test_sigkill_mid_ingest_leaves_warehouse_unchanged(tmp_path: Path) -> None:
    data, db, marker = tmp_path / "data", tmp_path / "wh.duckdb", tmp_path / "marker"
    write(data / "users.csv", "user_id,city\nu1,Beijing\nu2,Wuhan\n")
    with Warehouse(db) as wh:
        wh.ingest(data, Config())
        before = _state(wh)
    assert before[0]["users"] == 2

    rng = np.random.default_rng(0)
    n = EVENTS_ROWS
    pq.write_table(pa.table({
        "ts": pa.array(np.datetime64("2024-11-01T00:00:00", "us") + rng.integers(0, 10**12, n)),
        "platform": pa.array(np.array(["jd", "tmall"])[rng.integers(0, 2, n)]),
        "user_id": pa.array(np.char.add("u", rng.integers(0, 10**6, n).astype(str))),
        "event": pa.array(np.array(["click", "order", "cart"])[rng.integers(0, 3, n)]),
    }), data / "events.parquet")
    body = "".join(f"2024-11-{d:02d},jd,S{k},{100 + k},{k % 7}\n" for d in range(1, 29) for k in range(50))
    for i in range(N_TRAFFIC_FILES):
        write(data / "traffic" / f"part-{i:02d}.csv", "date,platform,sku_id,visitors,buyers\n" + body.replace(
            ",jd,", f",jd{i},"))

    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(data), str(db), str(marker)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not (marker.exists() and marker.read_text().strip().isdigit() and int(marker.read_text()) >= 3):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "ingest never got going"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert b"FINISHED" not in proc.stdout.read()

    with Warehouse(db) as wh:
        assert _state(wh) == before
        rep = wh.ingest(data, Config())
        assert rep.totals["files_loaded"] == 1 + N_TRAFFIC_FILES
        assert wh.count("events") == EVENTS_ROWS
        assert wh.count("traffic") == N_TRAFFIC_FILES * 28 * 50
        assert wh.count("users") == 2
        assert wh.count("ingest_manifest") == 2 + N_TRAFFIC_FILES
