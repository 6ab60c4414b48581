"""Funnel benchmark: the full funnel + stages on the twin's event log, our Ibis path against baselines.

Data: ``upmarket.twin.channels.simulate_channels`` writes ``scale × 100M`` events as Parquet parts
(the large preset's shape: 2M users × scale), once, into ``--data`` (reused when present).

Each contender runs in its own process (so peak RSS is its own) and computes the same things:
the distinct-user funnel by platform (impressions, click sessions, visitors, favourites, carts,
buyers per user-day-SKU-source key) and the AIPL weekly stages with the week-to-week
transition counts split by new / returning customer; the results (visitors, buyers, transition
and returning-transition totals) must agree between contenders.

* ``ibis-duckdb``: upmarket's Ibis expressions on DuckDB over the Parquet parts (the product);
* ``duckdb-sql``: the same queries hand-written in DuckDB SQL (baseline 1);
* ``polars``: the same in a polars lazy query (baseline 2);
* ``pandas``: the same in pandas, on the largest prefix of parts within ``--pandas-rows``
  (time extrapolated linearly, stated as such);
* ``ibis-spark``: upmarket's Ibis expressions on Spark local[2] (optional, ``--spark``).

    python benchmarks/funnel.py --scale 0.1 --spark
    python benchmarks/funnel.py --scale 1 --only ibis-duckdb,duckdb-sql,polars   # the 100M run

A data folder holding a ``meta.json`` with the matching ``n_events_target`` is reused as is (a
folder of symlinks to the first parts of the 100M set serves as a subset for Spark).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
FULL_EVENTS = 100_000_000
FULL_USERS = 2_000_000
DUCK_MEMORY = "3GB"


# --------------------------------------------------------------------------- data
def generate(data: Path, scale: float, seed: int = 0) -> dict:
    """Write events/users/products for ``scale`` × 100M events (skipped when ``data/meta.json`` matches)."""
    meta_path = data / "meta.json"
    n_events = int(FULL_EVENTS * scale)
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        if meta.get("n_events_target") == n_events:
            return meta
    from datetime import date

    import numpy as np

    from upmarket.twin import catalog, consumers
    from upmarket.twin.channels import simulate_channels
    from upmarket.twin.writer import write_table

    data.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    products = catalog.products()
    users = consumers.users(max(int(FULL_USERS * scale), 2_000), rng)
    t0 = time.perf_counter()
    simulate_channels(products, users, rng=rng, n_events=n_events, out_dir=data, start=date(2024, 1, 1),
                      end=date(2025, 6, 30))
    write_table(products[[c for c in products.columns if not c.startswith("_")]], "products", data)
    write_table(users[[c for c in users.columns if not c.startswith("_")]], "users", data)
    import duckdb

    n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{(data / 'events').as_posix()}/*.parquet')").fetchall()[0][0]
    meta = {"n_events_target": n_events, "events": int(n), "users": len(users), "generate_seconds":
            round(time.perf_counter() - t0, 1)}
    meta_path.write_text(json.dumps(meta))
    return meta


# --------------------------------------------------------------------------- contenders
def _ibis(src) -> dict:
    from upmarket.analyses.funnel import rates as fr
    from upmarket.analyses.funnel import stages as fs

    ev, us, pr = src.table("events"), src.table("users"), src.table("products")
    cube = fr.cube(fr.event_counts(ev, us, pr), ["platform", "city_tier", "brand", "price_band", "premium"]).to_pandas()
    weekly = fs.weekly_stages(ev, pr)
    tr = fs.transitions(weekly).to_pandas()
    by = cube.groupby("platform")[["ctr_num", "ctr_den", "visitors", "favorites", "add_to_carts", "buyers"]].sum()
    return {"visitors": by["visitors"].to_dict(), "buyers": by["buyers"].to_dict(), "transitions": int(tr["n"].sum()),
            "returning": int(tr.loc[tr["bought"].astype(bool), "n"].sum())}


class _DuckParquet:
    """A table source over Parquet files, on a fresh DuckDB connection (the Ibis DuckDB backend)."""

    def __init__(self, data: Path) -> None:
        import ibis

        self.con = ibis.duckdb.connect(memory_limit=DUCK_MEMORY, preserve_insertion_order=False)
        self.t = {"events": self.con.read_parquet(f"{(data / 'events').as_posix()}/*.parquet", table_name="events"),
                  "users": self.con.read_parquet(str(data / "users.parquet"), table_name="users"),
                  "products": self.con.read_parquet(str(data / "products.parquet"), table_name="products")}

    def table(self, name: str):
        return self.t[name]

    def has_rows(self, name: str) -> bool:
        return name in self.t


def run_ibis_duckdb(data: Path) -> dict:
    return _ibis(_DuckParquet(data))


def run_ibis_spark(data: Path) -> dict:
    from upmarket.analyses.funnel import SparkSource, local_session

    spark = local_session(cores=2, shuffle_partitions=8, driver_memory="3g")
    src = SparkSource.from_parquet(spark, {"events": data / "events", "users": data / "users.parquet",
                                           "products": data / "products.parquet"})
    try:
        return _ibis(src)
    finally:
        spark.stop()


SQL_KEYS = """
WITH k AS (
  SELECT CAST(ts AS DATE) AS d, platform, sku_id, coalesce(source, 'unknown') AS source, user_id,
         count(*) FILTER (WHERE event = 'impression') AS imp,
         count(DISTINCT session_id) FILTER (WHERE event = 'click') AS sess,
         bool_or(event = 'click') AS c, bool_or(event = 'favorite') AS f,
         bool_or(event = 'cart') AS a, bool_or(event = 'order') AS o
  FROM ev WHERE event IN ('impression', 'click', 'favorite', 'cart', 'order') AND sku_id IS NOT NULL
  GROUP BY ALL)
SELECT k.platform, coalesce(u.city_tier, 'unknown') AS city_tier, coalesce(p.brand, 'unknown') AS brand,
       sum(imp) AS impressions, sum(sess) AS clicks, sum(c::INT) AS visitors, sum(f::INT) AS favorites,
       sum(a::INT) AS carts, sum(o::INT) AS buyers
FROM k LEFT JOIN us u USING (user_id) LEFT JOIN pr p USING (sku_id)
GROUP BY ALL
"""

SQL_STAGES = """
WITH e AS (
  SELECT coalesce(p.brand, ev.brand) AS brand, ev.user_id,
         (date_diff('day', DATE '2000-01-03', CAST(ev.ts AS DATE)) // 7) AS wk,
         CASE WHEN event IN ('impression','content_view','live_view') THEN 1
              WHEN event IN ('search','click','favorite','follow','cart') THEN 2
              WHEN event = 'order' THEN 3 WHEN event IN ('review','share') THEN 4 ELSE 0 END AS lvl,
         event = 'order' AS is_order
  FROM ev LEFT JOIN pr p USING (sku_id)),
w AS (SELECT brand, user_id, wk, max(lvl) AS lvl, sum(is_order::INT) AS n_orders FROM e
      WHERE brand IS NOT NULL GROUP BY ALL),
w2 AS (SELECT brand, user_id, wk,
         CASE WHEN n_orders > 0 AND (sum(n_orders) OVER (PARTITION BY brand, user_id ORDER BY wk
              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) > 0 OR n_orders >= 2) THEN 4 ELSE lvl END AS lvl,
         sum(n_orders) OVER (PARTITION BY brand, user_id ORDER BY wk
              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) > 0 AS bought
       FROM w)
SELECT a.brand, a.lvl AS from_level, coalesce(b.lvl, 0) AS to_level, a.bought, count(*) AS n
FROM w2 a LEFT JOIN w2 b ON a.brand = b.brand AND a.user_id = b.user_id AND b.wk = a.wk + 1
WHERE a.wk < (SELECT max(wk) FROM w2)
GROUP BY ALL
"""


def run_duckdb_sql(data: Path) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{DUCK_MEMORY}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"CREATE VIEW ev AS SELECT * FROM read_parquet('{(data / 'events').as_posix()}/*.parquet')")
    con.execute(f"CREATE VIEW us AS SELECT * FROM read_parquet('{(data / 'users.parquet').as_posix()}')")
    con.execute(f"CREATE VIEW pr AS SELECT * FROM read_parquet('{(data / 'products.parquet').as_posix()}')")
    cube = con.execute(SQL_KEYS).df()
    tr = con.execute(SQL_STAGES).df()
    by = cube.groupby("platform")[["visitors", "buyers"]].sum()
    return {"visitors": by["visitors"].astype(int).to_dict(), "buyers": by["buyers"].astype(int).to_dict(),
            "transitions": int(tr["n"].sum()), "returning": int(tr.loc[tr["bought"].astype(bool), "n"].sum())}


def _polars_plan(ev, us, pr):
    import polars as pl

    funnel = ["impression", "click", "favorite", "cart", "order"]
    k = (ev.filter(pl.col("event").is_in(funnel) & pl.col("sku_id").is_not_null())
         .with_columns(pl.col("ts").dt.date().alias("d"), pl.col("source").fill_null("unknown"))
         .group_by(["d", "platform", "sku_id", "source", "user_id"])
         .agg((pl.col("event") == "impression").sum().alias("imp"),
              pl.col("session_id").filter(pl.col("event") == "click").n_unique().alias("sess"),
              (pl.col("event") == "click").any().alias("c"), (pl.col("event") == "favorite").any().alias("f"),
              (pl.col("event") == "cart").any().alias("a"), (pl.col("event") == "order").any().alias("o")))
    cube = (k.join(us.select("user_id", "city_tier"), on="user_id", how="left")
            .join(pr.select("sku_id", "brand"), on="sku_id", how="left")
            .group_by(["platform", "city_tier", "brand"])
            .agg(pl.col("imp").sum(), pl.col("sess").sum(), pl.col("c").sum().alias("visitors"),
                 pl.col("f").sum(), pl.col("a").sum(), pl.col("o").sum().alias("buyers")))
    lvl = (pl.when(pl.col("event").is_in(["impression", "content_view", "live_view"])).then(1)
           .when(pl.col("event").is_in(["search", "click", "favorite", "follow", "cart"])).then(2)
           .when(pl.col("event") == "order").then(3).when(pl.col("event").is_in(["review", "share"])).then(4)
           .otherwise(0))
    e = (ev.join(pr.select("sku_id", pl.col("brand").alias("p_brand")), on="sku_id", how="left")
         .with_columns(pl.coalesce("p_brand", "brand").alias("b"), lvl.alias("lvl"),
                       ((pl.col("ts").dt.date() - pl.date(2000, 1, 3)).dt.total_days() // 7).alias("wk"))
         .filter(pl.col("b").is_not_null()))
    w = (e.group_by(["b", "user_id", "wk"]).agg(pl.col("lvl").max(), (pl.col("event") == "order").sum().alias("no"))
         .sort(["b", "user_id", "wk"])
         .with_columns((pl.col("no").cum_sum().over(["b", "user_id"]) - pl.col("no")).alias("prior")))
    w = w.with_columns(pl.when((pl.col("no") > 0) & ((pl.col("prior") > 0) | (pl.col("no") >= 2))).then(4)
                       .otherwise(pl.col("lvl")).alias("lvl"),
                       ((pl.col("prior") + pl.col("no")) > 0).alias("bought")).select("b", "user_id", "wk", "lvl",
                                                                                      "bought")
    nxt = w.select("b", "user_id", (pl.col("wk") - 1).alias("wk"), pl.col("lvl").alias("to"))
    maxwk = w.select(pl.col("wk").max()).collect().item()
    tr = (w.filter(pl.col("wk") < maxwk).join(nxt, on=["b", "user_id", "wk"], how="left")
          .with_columns(pl.col("to").fill_null(0)).group_by(["b", "lvl", "to", "bought"]).agg(pl.len().alias("n")))
    return cube, tr


def run_polars(data: Path) -> dict:
    import polars as pl

    ev = pl.scan_parquet(str(data / "events" / "*.parquet"))
    us = pl.scan_parquet(str(data / "users.parquet"))
    pr = pl.scan_parquet(str(data / "products.parquet"))
    cube, tr = _polars_plan(ev, us, pr)
    cube = cube.collect(engine="streaming")
    tr = tr.collect(engine="streaming")
    by = cube.to_pandas().groupby("platform")[["visitors", "buyers"]].sum()
    tr = tr.to_pandas()
    return {"visitors": by["visitors"].astype(int).to_dict(), "buyers": by["buyers"].astype(int).to_dict(),
            "transitions": int(tr["n"].sum()), "returning": int(tr.loc[tr["bought"].astype(bool), "n"].sum())}


def run_pandas(data: Path, max_rows: int) -> dict:
    """The funnel by platform in pandas on a prefix of parts (whole days) of at most ``max_rows`` events."""
    import pandas as pd
    import pyarrow.parquet as pq

    parts = sorted((data / "events").glob("*.parquet"))
    chosen, rows = [], 0
    for p in parts:
        n = pq.ParquetFile(p).metadata.num_rows
        if rows + n > max_rows and chosen:
            break
        chosen.append(p)
        rows += n
    t0 = time.perf_counter()
    ev = pd.concat([pd.read_parquet(p) for p in chosen], ignore_index=True)
    us = pd.read_parquet(data / "users.parquet", columns=["user_id", "city_tier"])
    ev = ev[ev["event"].isin(["impression", "click", "favorite", "cart", "order"]) & ev["sku_id"].notna()]
    ev = ev.assign(d=ev["ts"].dt.date, source=ev["source"].fillna("unknown"))
    for e in ("impression", "click", "favorite", "cart", "order"):
        ev[e] = ev["event"] == e
    ev["click_sess"] = ev["session_id"].where(ev["click"])
    k = ev.groupby(["d", "platform", "sku_id", "source", "user_id"], observed=True).agg(
        imp=("impression", "sum"), sess=("click_sess", "nunique"), c=("click", "any"), f=("favorite", "any"),
        a=("cart", "any"), o=("order", "any")).reset_index()
    k = k.merge(us, on="user_id", how="left")
    by = k.groupby("platform")[["imp", "sess", "c", "f", "a", "o"]].sum()
    secs = time.perf_counter() - t0
    return {"rows": rows, "seconds_on_rows": secs, "visitors": by["c"].astype(int).to_dict()}


RUNNERS = {"ibis-duckdb": run_ibis_duckdb, "duckdb-sql": run_duckdb_sql, "polars": run_polars,
           "ibis-spark": run_ibis_spark}


def _child(which: str, data: Path, pandas_rows: int) -> None:
    t0 = time.perf_counter()
    out = run_pandas(data, pandas_rows) if which == "pandas" else RUNNERS[which](data)
    secs = time.perf_counter() - t0
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over execve from the parent
    status = Path("/proc/self/status").read_text()
    peak_self = int(next(ln.split()[1] for ln in status.splitlines() if ln.startswith("VmHWM"))) / 1024
    peak_kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the Spark JVM
    print(json.dumps({"which": which, "seconds": round(secs, 2), "peak_mb": round(max(peak_self, peak_kids), 1),
                      "result": out}, default=str))


def _measure(which: str, data: Path, pandas_rows: int) -> dict:
    cmd = [PY, str(Path(__file__).resolve()), "--child", which, "--data", str(data), "--pandas-rows",
           str(pandas_rows)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        return {"which": which, "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(scale: float = 1.0, data: str | Path | None = None, spark: bool = False,
         pandas_rows: int = 20_000_000, only: list[str] | None = None) -> dict:
    """Generate (or reuse) the data, time every contender (or ``only`` these), and return the table of results."""
    data = Path(data or Path(tempfile.gettempdir()) / "upmarket-bench" / f"funnel-{scale:g}")
    meta = generate(data, scale)
    names = ["ibis-duckdb", "duckdb-sql", "polars", "pandas"] + (["ibis-spark"] if spark else [])
    names = [n for n in names if not only or n in only] + [n for n in only or [] if n not in names]
    runs = {n: _measure(n, data, pandas_rows) for n in names}
    pd_run = runs.get("pandas", {})
    if "result" in pd_run:
        r = pd_run["result"]
        pd_run["extrapolated_seconds"] = round(r["seconds_on_rows"] * meta["events"] / max(r["rows"], 1), 1)
    ours = runs.get("ibis-duckdb", {}).get("seconds")
    best = min((runs[n]["seconds"] for n in ("duckdb-sql", "polars") if "seconds" in runs.get(n, {})), default=None)
    same = ("visitors", "buyers", "transitions", "returning")
    ref = next(({k: r["result"].get(k) for k in same} for n, r in runs.items() if "result" in r and n != "pandas"),
               None)
    agree = all({k: r["result"].get(k) for k in same} == ref for n, r in runs.items()
                if "result" in r and n != "pandas")
    res = {"scale": scale, "data": meta, "runs": runs, "same_visitors_everywhere": agree,
           "ratio_ours_to_faster_baseline": round(ours / best, 3) if ours and best else None}
    _print(res)
    return res


def _print(res: dict) -> None:
    print(f"events: {res['data']['events']:,}  users: {res['data']['users']:,}")
    print(f"{'contender':<14}{'seconds':>10}{'peak MB':>10}  note")
    for n, r in res["runs"].items():
        if "error" in r:
            print(f"{n:<14}{'error':>10}{'':>10}  {r['error']}")
            continue
        note = ""
        if n == "pandas":
            note = (f"{r['result']['rows']:,} rows in {r['result']['seconds_on_rows']:.1f}s → "
                    f"{r['extrapolated_seconds']}s extrapolated (funnel only)")
        print(f"{n:<14}{r['seconds']:>10.1f}{r['peak_mb']:>10.0f}  {note}")
    print(f"ours / faster baseline = {res['ratio_ours_to_faster_baseline']}  (goal <= 1.0); "
          f"same visitors, buyers and transitions everywhere: {res['same_visitors_everywhere']}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--spark", action="store_true")
    ap.add_argument("--pandas-rows", type=int, default=20_000_000)
    ap.add_argument("--only", default=None, help="comma-separated contenders to run (default: all)")
    ap.add_argument("--child", default=None)
    a = ap.parse_args()
    if a.child:
        _child(a.child, a.data, a.pandas_rows)
    else:
        only = a.only.split(",") if a.only else None
        print(json.dumps(main(a.scale, a.data, a.spark, a.pandas_rows, only), default=str))
