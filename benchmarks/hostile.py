"""Hostile-size benchmark: big decompressed text, blank-line floods and wide files, against DuckDB's own
``read_csv`` of the same file measured in the same run (issue 20, item 3).

Each run is a fresh interpreter so its peak RSS (VmHWM) is its own. Cases:

* ``gzip_csv``: a traffic CSV of ``--mib`` MiB decompressed, gzip-compressed (goal: peak < 2 GiB at 1-2 GiB);
* ``blank_lines``: a header, one row and ``--blank-mib`` MiB of blank lines, gzip-compressed;
* ``wide_<n>``: 2,000 rows with ``n`` = 300, 1,000, 3,000 mostly empty extra columns (goal: time linear in n).

    python benchmarks/hostile.py --mib 1024 --blank-mib 64
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
GIB = 1 << 30

_RAW = """
import duckdb, json, sys, time
path, db = sys.argv[1], sys.argv[2]
con = duckdb.connect(db)
con.execute("SET memory_limit = '1GB'")
con.execute("SET preserve_insertion_order = false")
t0, c0 = time.perf_counter(), time.process_time()
con.execute(f"CREATE TABLE raw AS SELECT * FROM read_csv('{path}', all_varchar = true, null_padding = true)")
n = con.execute("SELECT count(*) FROM raw").fetchone()[0]
con.close()
cpu = time.process_time() - c0
hwm = [int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM")][0]
print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": cpu, "rows": n, "rss": hwm}))
"""

_UPMARKET = """
import json, sys, time
from upmarket.warehouse import Warehouse
dataset, db = sys.argv[1], sys.argv[2]
t0, c0 = time.perf_counter(), time.process_time()
with Warehouse(db) as wh:
    rep = wh.ingest(dataset)
cpu = time.process_time() - c0
hwm = [int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM")][0]
print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": cpu, "rows": rep.totals["rows_read"],
                  "loaded": rep.totals["rows_loaded"], "rss": hwm}))
"""


def _child(code: str, *args: str, timeout: float) -> dict:
    try:
        out = subprocess.run([PY, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout:.0f} s"}
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or [f"exit {out.returncode}"])[-1][:300]}
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["peak_rss_mib"] = round(res.pop("rss") / 1024, 1)
    return res


def write_traffic_gz(path: Path, mib: int, extra: int = 0, rows: int | None = None) -> int:
    """A 生意参谋-like traffic CSV, ``mib`` MiB decompressed (or ``rows`` rows), with ``extra`` empty columns."""
    header = ["统计日期", "商品ID", "平台", "商品访客数", "支付买家数", "商品名称"] + [f"额外{k}" for k in range(extra)]
    name = "小米14 Ultra 16GB+512GB 黑色"
    block = "".join(f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d},{600000000000 + i},tmall,{i % 9000 + 10},{i % 7},{name}"
                    f"{',' * extra}\n" for i in range(4096))
    data = block.encode()
    target = mib << 20 if rows is None else len(data) * rows // 4096
    written = 0
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write((",".join(header) + "\n").encode())
        while written < target:
            f.write(data)
            written += len(data)
    return written


def write_blank_lines_gz(path: Path, mib: int) -> None:
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write("统计日期,商品ID,平台,商品访客数,支付买家数\n2024-01-01,1,tmall,10,1\n".encode())
        chunk = b"\n" * (1 << 20)
        for _ in range(mib):
            f.write(chunk)


def _pair(name: str, folder: Path, file: Path, timeout: float) -> dict:
    raw = _child(_RAW, str(file), str(folder / "raw.duckdb"), timeout=timeout)
    ours = _child(_UPMARKET, str(folder / "d"), str(folder / "wh.duckdb"), timeout=timeout)
    res = {"duckdb_read_csv": raw, "upmarket": ours}
    if "seconds" in raw and "seconds" in ours:
        res["speed_ratio"] = round(raw["seconds"] / ours["seconds"], 3)  # 1.0 = as fast as DuckDB's raw copy
    line = f"{name}: upmarket {ours.get('seconds', 0):.1f} s, peak {ours.get('peak_rss_mib', '?')} MiB"
    line += f" | duckdb read_csv {raw.get('seconds', 0):.1f} s, peak {raw.get('peak_rss_mib', '?')} MiB"
    line += f" | ratio {res.get('speed_ratio', '—')}" + "".join(f" | {k} error: {v['error']}" for k, v in
                                                            (("upmarket", ours), ("duckdb", raw)) if "error" in v)
    print(line, flush=True)
    return res


def main(scale: float = 1.0, mib: int | None = None, blank_mib: int | None = None, timeout: float = 1800) -> dict:
    mib = mib or max(16, int(256 * scale))
    blank_mib = blank_mib or max(4, int(16 * scale))
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="upmarket-hostile-") as tmp:
        root = Path(tmp)
        for name, make in (
            (f"gzip_csv_{mib}mib", lambda p: write_traffic_gz(p, mib)),
            (f"blank_lines_{blank_mib}mib", lambda p: write_blank_lines_gz(p, blank_mib)),
            *((f"wide_{n}", lambda p, n=n: write_traffic_gz(p, 0, extra=n, rows=2000)) for n in (300, 1000, 3000)),
        ):
            folder = root / name
            (folder / "d").mkdir(parents=True)
            file = folder / "d" / "traffic.csv.gz"
            t0 = time.perf_counter()
            make(file)
            print(f"  wrote {name} in {time.perf_counter() - t0:.0f} s", flush=True)
            out[name] = _pair(name, folder, file, timeout)
    wide = {n: out[f"wide_{n}"]["upmarket"].get("seconds") for n in (300, 1000, 3000)}
    if all(wide.values()):
        out["wide_seconds_per_1000_columns"] = {n: round(s / n * 1000, 2) for n, s in wide.items()}
        print(f"wide: seconds per 1,000 columns {out['wide_seconds_per_1000_columns']} (flat = linear)")
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mib", type=int, default=None, help="decompressed size of the big CSV (default 256)")
    ap.add_argument("--blank-mib", type=int, default=None, help="MiB of blank lines (default 16)")
    ap.add_argument("--timeout", type=float, default=1800)
    args = ap.parse_args()
    print(json.dumps(main(mib=args.mib, blank_mib=args.blank_mib, timeout=args.timeout), indent=2, default=str))
