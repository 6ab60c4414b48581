"""Ingest benchmark: upmarket's cleaning ingest vs DuckDB's raw table copy, and pandera vs SQL.

Generates an ``events`` table (vectorised NumPy/Arrow, written once) as Parquet and as CSV,
then times, in separate processes so peak memory can be read per run:

* DuckDB's raw ``CREATE TABLE AS SELECT * FROM read_parquet(...)`` / ``read_csv(...)``;
* ``Warehouse.ingest`` of the same file (hash, cleaning SQL, quarantine check, manifest, commit).

The ratio raw_seconds / upmarket_seconds is the figure of merit (goal >= 0.8 on Parquet); peak
memory is each child's VmHWM (``ru_maxrss`` would carry the parent's peak across ``exec``).
It also times pandera's lazy validation against the DuckDB cleaning SQL on one in-memory frame,
which is why the ingest path validates in SQL and pandera only checks small in-memory frames.

    python benchmarks/ingest.py --rows 20000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def make_events(n: int, seed: int = 0) -> pa.Table:
    """A realistic events table of ``n`` rows, built with vectorised NumPy and Arrow dictionaries."""
    from upmarket.contract import CODE_LISTS

    rng = np.random.default_rng(seed)

    def pick(values: list[str], size: int, p: np.ndarray | None = None) -> pa.Array:
        idx = rng.choice(len(values), size=size, p=p).astype(np.int32)
        return pa.DictionaryArray.from_arrays(pa.array(idx), pa.array(values)).cast(pa.string())

    start = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64)
    ts = np.sort(start + rng.integers(0, 365 * 86400 * 10**6, n))
    events = list(CODE_LISTS["event"].codes)
    event_p = np.array([40, 15, 5, 10, 15, 3, 5, 2, 2, 2, 1], float)
    event_p /= event_p.sum()
    n_users = max(1000, n // 20)
    users = [f"u{i:08d}" for i in range(n_users)]
    skus = [f"sku{i:05d}" for i in range(2000)]
    sku = pick(skus, n)
    sku = pa.compute.if_else(pa.array(rng.random(n) < 0.15), pa.scalar(None, pa.string()), sku)
    value = np.where(rng.random(n) < 0.02, np.round(rng.uniform(500, 9000, n), 2), np.nan)
    return pa.table({
        "ts": pa.array(ts, pa.timestamp("us")),
        "platform": pick(["jd", "tmall", "douyin", "mistore", "pdd", "xiaohongshu"], n),
        "user_id": pick(users, n),
        "event": pick(events, n, event_p),
        "sku_id": sku,
        "brand": pick(["Xiaomi", "Redmi", "Huawei", "Apple", "OPPO", "vivo", "Honor"], n),
        "source": pick(["search", "recommend", "live", "kol", "ad", "other"], n),
        "session_id": pick([f"s{i:07d}" for i in range(max(1000, n // 8))], n),
        "value": pa.array(value, from_pandas=True),
    })


def write_dataset(n: int, out: Path) -> dict[str, Path]:
    """Write the events table once as Parquet and as CSV; returns their dataset folders."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    t = make_events(n)
    pq_dir, csv_dir = out / "parquet", out / "csv"
    pq_dir.mkdir(parents=True, exist_ok=True)
    csv_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(t, pq_dir / "events.parquet", row_group_size=1 << 20)
    t2 = t.set_column(0, "ts", pa.compute.strftime(t["ts"], "%Y-%m-%d %H:%M:%S"))
    pacsv.write_csv(t2, csv_dir / "events.csv")
    return {"parquet": pq_dir, "csv": csv_dir}


_RAW = """
import duckdb, json, sys, time
path, fmt, db = sys.argv[1], sys.argv[2], sys.argv[3]
con = duckdb.connect(db)
con.execute("SET memory_limit = '2GB'")
con.execute("SET preserve_insertion_order = false")
reader = f"read_parquet('{path}')" if fmt == "parquet" else f"read_csv('{path}')"
t0, c0 = time.perf_counter(), time.process_time()
con.execute(f"CREATE TABLE raw AS SELECT * FROM {reader}")
con.close()
cpu = time.process_time() - c0
hwm = [int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM")][0]
print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": cpu, "rss": hwm}))
"""

_UPMARKET = """
import json, sys, time
from upmarket.warehouse import Warehouse
dataset, db = sys.argv[1], sys.argv[2]
t0, c0 = time.perf_counter(), time.process_time()
with Warehouse(db) as wh:
    rep = wh.ingest(dataset)
    cpu = time.process_time() - c0
    n = wh.count("events")
rss = [int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM")][0]
print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": cpu, "loaded": n, "totals": rep.totals, "rss": rss}))
"""


def _child(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter; its JSON output, its peak RSS in MiB and its CPU seconds.

    CPU seconds (user + system) are reported beside wall time because wall time is at the mercy
    of whatever else runs on the machine; the ratio of CPU seconds is the steadier figure.
    """
    out = subprocess.run([PY, "-c", code, *args], check=True, capture_output=True, text=True, cwd=ROOT)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["cpu_s"] = res.pop("cpu")  # process_time() around the work: all threads, no interpreter start-up
    res["peak_rss_mib"] = round(res.pop("rss") / 1024, 1)  # VmHWM of the child, KiB
    return res


def bench_hash(path: Path) -> dict:
    """Seconds to hash a file with sha256 vs blake2b (the file id)."""
    import hashlib

    out = {}
    for algo in ("sha256", "blake2b"):
        t0 = time.perf_counter()
        with open(path, "rb") as fh:
            hashlib.file_digest(fh, algo)
        out[algo] = round(time.perf_counter() - t0, 3)
    out["mib"] = round(path.stat().st_size / 2**20, 1)
    return out


def bench_pandera(rows: int) -> dict:
    """pandera lazy validation vs the DuckDB cleaning SQL on the same in-memory frame.

    ``duckdb_clean_s`` runs only the generated cleaning SQL (typed values + reasons) over the
    frame; ``load_frame_s`` is the whole path (Arrow conversion, content hash, cleaning, insert).
    """
    import duckdb

    from upmarket.contract import table
    from upmarket.contract.pandera import pandera_schema
    from upmarket.contract.sql import SourceColumns, cleaning_query
    from upmarket.warehouse import Warehouse

    events = make_events(rows, seed=1)
    df = events.to_pandas()
    schema = pandera_schema("events")
    t0 = time.perf_counter()
    schema.validate(df, lazy=True)
    t_pandera = time.perf_counter() - t0
    # the ingest situation: every cell is text, as read from a CSV export
    text = pa.table({c: events[c].cast(pa.string()) for c in events.column_names}).to_pandas()
    t0 = time.perf_counter()
    schema.validate(text, lazy=True)
    t_pandera_text = time.perf_counter() - t0

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false").fetchall()
    timings = []
    for name, f in (("typed", df), ("text", text)):
        con.register(name, f.assign(_row=np.arange(1, len(f) + 1)))
        types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {name})").fetchall())
        cols = tuple(f.columns)
        sql = cleaning_query(table("events"), name, SourceColumns({c: types[c] for c in cols}, {}, cols))
        t0 = time.perf_counter()
        bad = con.execute(f"SELECT count(*) FROM ({sql}) WHERE _fail IS NOT NULL").fetchall()[0][0]
        timings.append(time.perf_counter() - t0)
        assert bad == 0, name
    t_sql, t_sql_text = timings
    with Warehouse() as wh:
        t0 = time.perf_counter()
        rep = wh.load_frame("events", df, "bench")
        t_load = time.perf_counter() - t0
    assert rep.rows_loaded == rows, rep
    return {"rows": rows, "pandera_typed_s": round(t_pandera, 3), "duckdb_clean_typed_s": round(t_sql, 3),
            "pandera_text_s": round(t_pandera_text, 3), "duckdb_clean_text_s": round(t_sql_text, 3),
            "load_frame_s": round(t_load, 3),
            "pandera_over_duckdb_typed": round(t_pandera / t_sql, 2),
            "pandera_over_duckdb_text": round(t_pandera_text / t_sql_text, 2)}


def bench_brand_lookup(rows: int) -> dict:
    """The brand-name lookup of the cleaning SQL (``contract.sql``, brand columns) against a plain copy of the same
    column, per spelling: canonical names take a fast path; JD's 小米（MI） and unknown bracketed names do the
    lookup."""
    import duckdb

    from upmarket.contract.sql import clean_column
    from upmarket.contract.tables import table

    col = next(c for c in table("products").columns if c.name == "brand")
    helper = clean_column(col, "b").helper
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    out = {}
    spellings = (("canonical", "Xiaomi"), ("jd_bracketed", "小米（MI）"), ("unknown_bracketed", "传音（TECNO）"))
    for label, value in spellings:
        con.execute(f"CREATE OR REPLACE TABLE t AS SELECT '{value}' AS b FROM range({rows})")
        t0 = time.perf_counter()
        con.execute(f"SELECT count(DISTINCT x) FROM (SELECT {helper} AS x FROM t)").fetchall()
        lookup = time.perf_counter() - t0
        t0 = time.perf_counter()
        con.execute("SELECT count(DISTINCT b) FROM t").fetchall()
        plain = time.perf_counter() - t0
        out[label] = {"lookup_s": round(lookup, 3), "plain_s": round(plain, 3),
                      "ratio_plain_over_lookup": round(plain / lookup, 3)}
    return out


def main(scale: float = 1.0, rows: int | None = None, keep: Path | None = None) -> dict:
    """Run the benchmark on ``rows`` events (default 5M × scale) and print the figures."""
    n = int(rows if rows is not None else 5_000_000 * scale)
    results: dict = {"rows": n}
    with tempfile.TemporaryDirectory(prefix="upmarket-bench-", dir=keep) as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        dirs = write_dataset(n, tmp / "data")
        results["generate_s"] = round(time.perf_counter() - t0, 2)
        for fmt, d in dirs.items():
            f = d / ("events.parquet" if fmt == "parquet" else "events.csv")
            raw = _child(_RAW, str(f), fmt, str(tmp / f"raw_{fmt}.duckdb"))
            ups = _child(_UPMARKET, str(d), str(tmp / f"up_{fmt}.duckdb"))
            assert ups["loaded"] == n, ups
            results[fmt] = {
                "file_mib": round(f.stat().st_size / 2**20, 1),
                "raw_s": round(raw["seconds"], 2),
                "upmarket_s": round(ups["seconds"], 2),
                "ratio_raw_over_upmarket": round(raw["seconds"] / ups["seconds"], 2),
                "raw_cpu_s": round(raw["cpu_s"], 2),
                "upmarket_cpu_s": round(ups["cpu_s"], 2),
                "cpu_ratio_raw_over_upmarket": round(raw["cpu_s"] / ups["cpu_s"], 2),
                "raw_peak_rss_mib": raw["peak_rss_mib"],
                "upmarket_peak_rss_mib": ups["peak_rss_mib"],
                "hash_s": bench_hash(f),
            }
    results["pandera_vs_sql"] = bench_pandera(min(n, 1_000_000))
    results["brand_lookup"] = bench_brand_lookup(n)
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return results


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--tmp", type=Path, default=None, help="folder for the generated files")
    a = ap.parse_args()
    main(rows=a.rows, keep=a.tmp)
