"""Re-ingest benchmark: what keeping the warehouse in step with the folder costs.

On a twin dataset, times a first ingest and then re-ingests after: nothing changed; one file
deleted; one file moved (same content); one file moved and edited; one unreadable file added
(rejected, the rest unchanged); and a fresh ingest where DuckDB fails on the last file (the
transaction aborts, so the run is replayed without it: the worst case of a rejection, about
twice a clean ingest). The baseline is the first full ingest, measured in the same run.

    python benchmarks/reingest.py --preset demo
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path


def _timed(wh, dataset) -> tuple[float, object]:
    from upmarket.config import load_config

    t0 = time.perf_counter()
    rep = wh.ingest(dataset, load_config(dataset))
    return time.perf_counter() - t0, rep


def _table_file(dataset: Path, table: str) -> Path:
    return next(p for p in sorted(dataset.iterdir()) if p.name.split(".")[0] == table and p.is_file())


def _damaged_parquet(path: Path, n: int = 50_000) -> None:
    """A traffic Parquet file whose data pages are damaged but whose footer is intact: DuckDB fails midway."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pa.table({"date": ["2024-11-11"] * n, "platform": ["jd"] * n, "sku_id": [f"S{i}" for i in range(n)],
                  "visitors": np.arange(n) + 10, "buyers": np.ones(n, dtype="int64")})
    pq.write_table(t, path, row_group_size=5_000, compression="none")
    blob = bytearray(path.read_bytes())
    start = int(len(blob) * 0.6)
    blob[start:start + 2_000] = b"\xff" * 2_000
    path.write_bytes(bytes(blob))


def run(preset: str = "tiny", seed: int = 3) -> dict:
    import pyarrow.parquet as pq

    import upmarket
    from upmarket.warehouse import Warehouse

    tmp = Path(tempfile.mkdtemp(prefix="upm-reingest-"))
    try:
        dataset = tmp / "market"
        upmarket.simulate(dataset, preset=preset, seed=seed)
        out: dict = {"preset": preset}
        with Warehouse(tmp / "wh.duckdb") as wh:
            s, rep = _timed(wh, dataset)
            out["first_ingest"] = {"seconds": round(s, 3), "rows_loaded": rep.totals["rows_loaded"],
                                   "files": rep.totals["files"]}
            s, rep = _timed(wh, dataset)
            out["unchanged"] = {"seconds": round(s, 3), "rows_loaded": rep.totals["rows_loaded"]}
            spend = _table_file(dataset, "spend")
            spend.unlink()
            s, rep = _timed(wh, dataset)
            out["deleted_spend"] = {"seconds": round(s, 3), "rows_removed": sum(r.rows_loaded for r in rep.removed),
                                    "spend_rows_left": wh.count("spend")}
            reviews = _table_file(dataset, "reviews")
            (dataset / "reviews").mkdir()
            moved = dataset / "reviews" / f"part-1{''.join(reviews.suffixes)}"
            shutil.move(reviews, moved)
            s, rep = _timed(wh, dataset)
            out["moved_reviews"] = {"seconds": round(s, 3), "status": rep.file(moved.relative_to(dataset).as_posix())
                                    .status, "rows_loaded": rep.totals["rows_loaded"]}
            if moved.suffix == ".parquet":
                tbl = pq.read_table(moved)
                edited = dataset / "reviews" / "part-2.parquet"
                pq.write_table(tbl.slice(0, max(1, tbl.num_rows - 10)), edited)
                moved.unlink()
                s, rep = _timed(wh, dataset)
                out["moved_and_edited_reviews"] = {"seconds": round(s, 3), "rows_loaded": rep.totals["rows_loaded"],
                                                   "rows_quarantined": rep.totals["rows_quarantined"],
                                                   "reviews_rows": wh.count("reviews")}
            (dataset / "traffic_bad.csv").write_text("date,platform,sku_id\n2024-11-11,jd,A1\n", encoding="utf-8")
            (dataset / "upmarket.toml").write_text('[[files]]\nglob = "traffic_bad.csv"\ntable = "traffic"\n',
                                                   encoding="utf-8")
            s, rep = _timed(wh, dataset)
            out["one_rejected_file"] = {"seconds": round(s, 3), "rejected": [f.path for f in rep.rejected]}
        # worst case of a rejection: DuckDB fails on the last file, the transaction aborts and the run is replayed
        _damaged_parquet(dataset / "zz_damaged.parquet")
        (dataset / "upmarket.toml").write_text('[[files]]\nglob = "zz_damaged.parquet"\ntable = "traffic"\n',
                                               encoding="utf-8")
        with Warehouse(tmp / "wh2.duckdb") as wh:
            s, rep = _timed(wh, dataset)
            out["fresh_ingest_duckdb_abort_on_last_file"] = {
                "seconds": round(s, 3), "rejected": [f.path for f in rep.rejected],
                "rows_loaded": rep.totals["rows_loaded"]}
        base = out["first_ingest"]["seconds"]
        for key in ("unchanged", "deleted_spend", "moved_reviews", "one_rejected_file",
                    "fresh_ingest_duckdb_abort_on_last_file"):
            out[key]["ratio_to_first_ingest"] = round(out[key]["seconds"] / base, 3) if base else None
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(scale: float = 1.0) -> dict:
    res = run("demo" if scale >= 1 else "tiny")
    print(json.dumps(res, indent=2))
    return res


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="demo")
    args = ap.parse_args()
    print(json.dumps(run(args.preset), indent=2))
