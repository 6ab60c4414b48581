"""Twin generation speed and peak memory: ``python benchmarks/twin.py [--scale 0.1]``.

Runs the large preset (``scale`` × 100M events) in a subprocess and reports events per second and
the child's peak RSS (ru_maxrss). Baseline, measured in the same run: the I/O floor — writing the
same number of rows of random events-shaped columns (NumPy → Arrow → Parquet parts, same writer
settings) with no model behind them. The ratio says how close to pure writing the simulation runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CHILD = """
import sys
from upmarket.twin import presets
from upmarket.twin.run import simulate
scale = float(sys.argv[2])
presets.PRESETS["bench"] = dict(presets.PRESETS["large"])
presets.PRESETS["bench"]["n_events"] = int(presets.PRESETS["large"]["n_events"] * scale)
presets.PRESETS["bench"]["n_users"] = max(int(presets.PRESETS["large"]["n_users"] * scale), 10_000)
simulate(sys.argv[1], preset="bench", seed=0)
"""

FLOOR = """
import sys, numpy as np, pyarrow as pa
from pathlib import Path
from upmarket.twin.writer import TableWriter
n, out = int(sys.argv[2]), Path(sys.argv[1])
rng = np.random.default_rng(0)
w = TableWriter(out, "events", parts=True)
chunk = 1_000_000
codes = np.array(["impression", "click", "favorite", "cart", "order"])
plats = np.array(["jd", "tmall", "douyin", "mistore", "xiaohongshu"])
for lo in range(0, n, chunk):
    k = min(chunk, n - lo)
    ts = np.datetime64("2024-01-01T00:00:00") + rng.integers(0, 3600 * 24 * 540, k).astype("timedelta64[s]")
    w.write(pa.table({
        "ts": pa.array(np.sort(ts).astype("datetime64[us]")),
        "platform": pa.array(plats[rng.integers(0, 5, k)]),
        "user_id": pa.array(np.char.add("U", rng.integers(0, 2_000_000, k).astype("U7"))),
        "event": pa.array(codes[rng.integers(0, 5, k)]),
        "sku_id": pa.array(np.char.add("S", rng.integers(0, 300, k).astype("U3"))),
    }))
w.close()
"""


def _child(code: str, *args: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one fresh Python process running ``code``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args])
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise RuntimeError(f"benchmark child failed with status {status}")
    return time.perf_counter() - t0, usage.ru_maxrss / 1024


def main(scale: float = 1.0) -> dict:
    events = int(100_000_000 * scale)
    with tempfile.TemporaryDirectory() as out:
        twin_s, twin_mib = _child(CHILD, out, str(scale))
    with tempfile.TemporaryDirectory() as out:
        floor_s, floor_mib = _child(FLOOR, out, str(events))
    res = {
        "scale": scale, "events": events,
        "twin_seconds": round(twin_s, 1), "twin_events_per_second": round(events / twin_s),
        "twin_peak_rss_mib": round(twin_mib, 1),
        "baseline": "random events-shaped rows written with the same writer (I/O floor)",
        "baseline_seconds": round(floor_s, 1), "baseline_peak_rss_mib": round(floor_mib, 1),
        "ratio_twin_speed_vs_floor": round(floor_s / twin_s, 3),
    }
    print(
        f"twin large preset × {scale}: {events:,} events in {twin_s:.1f} s = {events / twin_s:,.0f} events/s, "
        f"peak {twin_mib:,.0f} MiB; I/O floor {floor_s:.1f} s → ratio {floor_s / twin_s:.2f}× of pure writing"
    )
    return res


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=1.0)
    print(json.dumps(main(ap.parse_args().scale), indent=1))
