"""Ibis data access against the raw DuckDB SQL it replaced, on the same warehouse in the same run.

Each reader of the analyses (now Ibis expressions compiled to DuckDB) is timed against the SQL string it replaced
(kept here verbatim as the baseline), both returning a pandas frame. Printed per reader: best-of-``repeats`` wall
time of each and the ratio Ibis / SQL (above 1: Ibis slower). Ibis' cost is compiling the expression (a few ms)
plus its Arrow → pandas conversion; the engine does the same work.

The warehouse: a twin (``--preset demo`` or ``large``; from ``make bench``, large at BENCH_SCALE 1, demo below), a
dataset folder (ingested once into a throwaway DuckDB) or an already loaded warehouse file (``--db``, a copy).

    python benchmarks/ibis_access.py [DATASET] [--preset demo] [--db WAREHOUSE] [--repeats 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BASELINE_SQL = {
    "voice.load_reviews": (
        "SELECT r.review_id, r.ts, r.platform, r.sku_id, r.rating, r.text, p.brand AS brand FROM reviews r "
        "LEFT JOIN (SELECT sku_id, any_value(brand) AS brand FROM products GROUP BY sku_id) p USING (sku_id) "
        "ORDER BY r.review_id"),
    "spread.post_rows": """
        SELECT post_id, any_value(ts) AS ts, any_value(platform) AS platform, any_value(creator_id) AS creator_id,
               any_value(creator_type) AS creator_type, any_value(format) AS format, any_value(topics) AS topics,
               any_value(sku_ids) AS sku_ids, any_value(followers) AS followers, any_value(views) AS views,
               any_value(coalesce(likes, 0) + coalesce(comments, 0) + coalesce(shares, 0) + coalesce(saves, 0))
                   AS engagements,
               any_value(saves) AS saves, any_value(gmv) AS gmv, any_value(cost) AS cost, any_value(text) AS text
        FROM posts WHERE post_id IS NOT NULL GROUP BY post_id ORDER BY post_id""",
    "spread.daily_counts(searches)": """SELECT sku_id, CAST(ts AS DATE) AS day, count(*)::DOUBLE AS n FROM events
                 WHERE event = 'search' AND sku_id IS NOT NULL AND ts IS NOT NULL GROUP BY ALL""",
    "segments.behaviour_events": (
        "SELECT user_id, platform, count(*) AS n, count(*) FILTER (WHERE event IN ('content_view', 'live_view')) "
        "AS content FROM events GROUP BY ALL"),
    "equity.repeat_purchases": (
        "SELECT from_brand, to_brand, count(*) AS n FROM (SELECT user_id, brand AS from_brand, next_brand AS to_brand "
        "FROM (SELECT o.user_id, p.brand, lead(p.brand) OVER (PARTITION BY o.user_id ORDER BY o.ts, o.order_id) "
        "AS next_brand FROM orders o JOIN products p USING (sku_id) WHERE p.brand IS NOT NULL) "
        "WHERE next_brand IS NOT NULL) GROUP BY ALL"),
    "equity.event_brands(search)": (
        "WITH e AS (SELECT e.user_id, coalesce(nullif(trim(e.brand), ''), p.brand) AS brand FROM events e "
        "LEFT JOIN products p USING (sku_id) WHERE e.event = 'search') "
        ", c AS (SELECT user_id, brand, count(*)::DOUBLE AS y FROM e WHERE brand IS NOT NULL GROUP BY ALL) "
        "SELECT user_id, brand, y, sum(y) OVER (PARTITION BY user_id) AS n FROM c"),
    "pricing_plan.recent_listing_prices": (
        "WITH p AS (SELECT sku_id, any_value(brand) AS brand FROM products GROUP BY sku_id), "
        "l AS (SELECT * FROM listings WHERE price > 0 AND date >= (SELECT max(date) FROM listings) - INTERVAL 90 DAY) "
        "SELECT l.platform, p.brand, median(l.price) AS price, quantile_cont(l.price, 0.9) AS top, "
        "avg(1 - l.price / nullif(l.list_price, 0)) AS coupon FROM l JOIN p USING (sku_id) GROUP BY ALL"),
    "launch.order_weeks": (
        "WITH p AS (SELECT sku_id, any_value(model) AS model FROM products GROUP BY sku_id) "
        "SELECT p.model, date_trunc('week', o.ts) AS week, sum(coalesce(o.units, 1)) AS units "
        "FROM orders o JOIN p USING (sku_id) WHERE p.model IS NOT NULL GROUP BY ALL"),
}


def _readers() -> dict[str, Callable[[Any], Any]]:
    """The Ibis readers, by the same names as the baseline SQL."""
    import ibis

    from upmarket.analyses.equity.dimensions import _event_brands
    from upmarket.analyses.equity.switching import transition_counts
    from upmarket.analyses.pricing_plan import recent_listing_prices
    from upmarket.analyses.spread.creators import post_rows
    from upmarket.analyses.spread.seeding import daily_counts
    from upmarket.analyses.voice.analysis import load_reviews
    from upmarket.warehouse.source import to_frame

    def behaviour_events(wh: Any) -> Any:
        e = wh.table("events")
        return to_frame(e.group_by("user_id", "platform").agg(
            n=e.count(), content=e.count(where=e.event.isin(["content_view", "live_view"]))))

    def order_weeks(wh: Any) -> Any:
        o, p = wh.table("orders"), wh.table("products")
        models = p.group_by("sku_id").agg(model=p.model.arbitrary())
        sold = o.join(models, "sku_id").filter(models.model.notnull())
        return to_frame(sold.group_by(models.model, week=o.ts.truncate("W"))
                        .agg(units=o.units.fill_null(1).sum().cast("float64")))

    del ibis
    return {
        "voice.load_reviews": lambda wh: load_reviews(wh)[0],
        "spread.post_rows": post_rows,
        "spread.daily_counts(searches)": lambda wh: daily_counts(wh, "searches"),
        "segments.behaviour_events": behaviour_events,
        "equity.repeat_purchases": lambda wh: transition_counts(wh, source="orders"),
        "equity.event_brands(search)": lambda wh: _event_brands(wh, "search"),
        "pricing_plan.recent_listing_prices": recent_listing_prices,
        "launch.order_weeks": order_weeks,
    }


def _best(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _warehouse(dataset: Path | None, preset: str, db: Path | None) -> Any:
    import upmarket
    from upmarket.warehouse import Warehouse

    if db is not None:  # an already loaded warehouse file
        wh = Warehouse(db, memory_limit="3GB")
    else:
        if dataset is None:
            dataset = Path(tempfile.mkdtemp(prefix="bench-ibis-")) / "twin"
            t0 = time.perf_counter()
            upmarket.simulate(dataset, preset=preset, seed=7)
            print(f"twin ({preset} preset): {time.perf_counter() - t0:.1f} s", flush=True)
        wh = Warehouse(":memory:", memory_limit="3GB")
        t0 = time.perf_counter()
        wh.ingest(dataset)
        print(f"ingest: {time.perf_counter() - t0:.1f} s", flush=True)
    print(f"events {wh.count('events'):,}, orders {wh.count('orders'):,}, listings {wh.count('listings'):,}",
          flush=True)
    return wh


def main(scale: float = 1.0, dataset: Path | None = None, repeats: int = 3, preset: str | None = None,
         db: Path | None = None) -> dict[str, Any]:
    """``scale`` (make bench's BENCH_SCALE) picks the preset: the large twin at 1.0, the demo twin below."""
    wh = _warehouse(dataset, preset or ("large" if scale >= 1.0 else "demo"), db)
    readers = _readers()
    out: dict[str, Any] = {}
    print(f"{'reader':38s} {'SQL s':>8s} {'Ibis s':>8s} {'ratio':>6s} {'rows':>10s}")
    for name, sql in BASELINE_SQL.items():
        t_sql, a = _best(lambda sql=sql: wh.con.execute(sql).df(), repeats)
        t_ibis, b = _best(lambda name=name: readers[name](wh), repeats)
        if len(a) != len(b):
            raise AssertionError(f"{name}: SQL gave {len(a)} rows, Ibis {len(b)}")
        out[name] = {"sql_s": t_sql, "ibis_s": t_ibis, "ratio": t_ibis / t_sql, "rows": len(a)}
        print(f"{name:38s} {t_sql:8.3f} {t_ibis:8.3f} {t_ibis / t_sql:6.2f} {len(a):10,d}", flush=True)
    total_sql = sum(v["sql_s"] for v in out.values())
    total_ibis = sum(v["ibis_s"] for v in out.values())
    print(f"{'all readers':38s} {total_sql:8.3f} {total_ibis:8.3f} {total_ibis / total_sql:6.2f}")
    out["total"] = {"sql_s": total_sql, "ibis_s": total_ibis, "ratio": total_ibis / total_sql}
    wh.close()
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", nargs="?", type=Path, default=None)
    ap.add_argument("--preset", default="demo", help="twin preset when no dataset is given (demo, large)")
    ap.add_argument("--db", type=Path, default=None, help="an already loaded warehouse file (a copy: it is opened)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    main(dataset=args.dataset, repeats=args.repeats, preset=args.preset, db=args.db)
