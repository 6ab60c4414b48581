"""Channel journeys: events, traffic and orders agree exactly, and the planted funnel is recoverable."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from upmarket.contract.codes import CODE_LISTS
from upmarket.twin import catalog, consumers
from upmarket.twin.channels import SELLING, ChannelResult, simulate_channels

START, END = date(2024, 1, 1), date(2025, 6, 30)


def _run(out: Path, seed: int = 3, n_events: int = 250_000, n_users: int = 20_000) -> ChannelResult:
    products = catalog.products()
    users = consumers.users(n_users, np.random.default_rng(11))
    return simulate_channels(products, users, rng=np.random.default_rng(seed), n_events=n_events, out_dir=out,
                             start=START, end=END)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ChannelResult]:
    out = tmp_path_factory.mktemp("channels")
    res = _run(out)
    users = consumers.users(20_000, np.random.default_rng(11))
    users[["user_id", "city_tier"]].to_parquet(out / "_users.parquet")
    return out, res


@pytest.fixture(scope="module")
def con(run: tuple[Path, ChannelResult]) -> duckdb.DuckDBPyConnection:
    out, _ = run
    c = duckdb.connect()
    c.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{out}/events/*.parquet')")
    c.execute(f"CREATE VIEW traffic AS SELECT * FROM read_parquet('{out}/traffic.parquet')")
    c.execute(f"CREATE VIEW orders AS SELECT * FROM read_parquet('{out}/orders.parquet')")
    c.execute(f"CREATE VIEW users AS SELECT * FROM read_parquet('{out}/_users.parquet')")
    return c


def test_event_count_near_target_and_codes_valid(run, con) -> None:
    _, res = run
    n = con.execute("SELECT count(*) FROM events").fetchone()[0]
    assert n == res.truth["consistency"]["events"]
    assert abs(n - 250_000) / 250_000 < 0.03
    for col, codes in (("platform", "platform"), ("event", "event"), ("source", "source")):
        seen = {r[0] for r in con.execute(f"SELECT DISTINCT {col} FROM events").fetchall()}
        assert seen <= set(CODE_LISTS[codes].codes), (col, seen)
    lo, hi = con.execute("SELECT min(ts), max(ts) FROM events").fetchone()
    assert lo >= pd.Timestamp(START) and hi < pd.Timestamp(END) + pd.Timedelta(days=1)
    # value only on orders, and it is units × unit price
    bad = con.execute("SELECT count(*) FROM events WHERE (event = 'order') <> (value IS NOT NULL)").fetchone()[0]
    assert bad == 0
    # sellers only on the selling platforms; mistore only sells the focal maker's phones
    assert {r[0] for r in con.execute("SELECT DISTINCT platform FROM orders").fetchall()} <= set(SELLING)
    brands = con.execute("SELECT DISTINCT brand FROM events WHERE platform = 'mistore'").fetchall()
    assert {b[0] for b in brands} <= {"Xiaomi", "Redmi"}


def test_traffic_is_exact_aggregate_of_events(con) -> None:
    diff = con.execute("""
        WITH e AS (
            SELECT e.ts::DATE AS date, e.platform, e.sku_id, u.city_tier, e.source,
                count(*) FILTER (WHERE event = 'impression') AS impressions,
                count(DISTINCT session_id) FILTER (WHERE event = 'click') AS clicks,
                count(DISTINCT e.user_id) FILTER (WHERE event = 'click') AS visitors,
                count(*) FILTER (WHERE event = 'click') AS page_views,
                count(DISTINCT e.user_id) FILTER (WHERE event = 'favorite') AS favorites,
                count(DISTINCT e.user_id) FILTER (WHERE event = 'cart') AS add_to_carts,
                count(DISTINCT e.user_id) FILTER (WHERE event = 'order') AS buyers,
                count(*) FILTER (WHERE event = 'order') AS orders,
                round(coalesce(sum(value), 0), 2) AS gmv
            FROM events e JOIN users u USING (user_id)
            WHERE platform IN ('jd', 'tmall', 'mistore', 'douyin')
              AND event IN ('impression', 'click', 'favorite', 'cart', 'order')
            GROUP BY ALL)
        SELECT count(*) FROM e FULL JOIN traffic t USING (date, platform, sku_id, city_tier, source)
        WHERE t.impressions IS DISTINCT FROM e.impressions OR t.clicks IS DISTINCT FROM e.clicks
           OR t.visitors IS DISTINCT FROM e.visitors OR t.page_views IS DISTINCT FROM e.page_views
           OR t.favorites IS DISTINCT FROM e.favorites OR t.add_to_carts IS DISTINCT FROM e.add_to_carts
           OR t.buyers IS DISTINCT FROM e.buyers OR t.orders IS DISTINCT FROM e.orders
           OR abs(t.gmv - e.gmv) > 0.01
    """).fetchone()[0]
    assert diff == 0
    assert con.execute("SELECT count(*) FROM traffic").fetchone()[0] > 1000


def test_orders_sum_to_traffic(con) -> None:
    bad = con.execute("""
        WITH o AS (SELECT ts::DATE AS date, platform, sku_id, count(DISTINCT user_id) AS buyers,
                          count(*) AS orders, sum(units) AS units, sum(units * price_paid) AS gmv
                   FROM orders GROUP BY ALL),
             t AS (SELECT date, platform, sku_id, sum(orders) AS orders, sum(units) AS units, sum(gmv) AS gmv,
                          sum(buyers) AS buyers FROM traffic GROUP BY ALL HAVING sum(orders) > 0)
        SELECT count(*) FROM o FULL JOIN t USING (date, platform, sku_id)
        WHERE o.orders IS DISTINCT FROM t.orders OR o.units IS DISTINCT FROM t.units
           OR abs(o.gmv - t.gmv) > 0.05 OR o.buyers > t.buyers
    """).fetchone()[0]
    assert bad == 0
    n_orders, units = con.execute("SELECT count(*), sum(units) FROM orders").fetchone()
    assert n_orders > 200 and n_orders < units < 1.2 * n_orders  # mostly one unit, sometimes two
    viol = con.execute("SELECT count(*) FROM traffic WHERE buyers > visitors OR favorites > visitors "
                       "OR add_to_carts > visitors OR visitors > clicks OR clicks > impressions").fetchone()[0]
    assert viol == 0


def test_truth_funnel_equals_traffic_rates(run, con) -> None:
    _, res = run
    rows = con.execute("""SELECT platform, sum(clicks) / sum(impressions), sum(favorites) / sum(visitors),
                                 sum(add_to_carts) / sum(visitors), sum(buyers) / sum(visitors)
                          FROM traffic GROUP BY platform""").fetchall()
    assert {r[0] for r in rows} == set(SELLING)
    for p, ctr, fav, cart, buy in rows:
        t = res.truth["funnel"][p]
        assert t["ctr"] == pytest.approx(ctr, rel=1e-12)
        assert t["favorite_rate"] == pytest.approx(fav, rel=1e-12)
        assert t["cart_rate"] == pytest.approx(cart, rel=1e-12)
        assert t["visit_to_buy"] == pytest.approx(buy, rel=1e-12)


def test_planted_funnel_recovered_within_sampling_error(run, con) -> None:
    _, res = run
    n = dict(con.execute("SELECT platform, sum(impressions) FROM traffic GROUP BY ALL").fetchall())
    v = dict(con.execute("SELECT platform, sum(visitors) FROM traffic GROUP BY ALL").fetchall())
    for p in SELLING:
        real, plant = res.truth["funnel"][p], res.truth["funnel_params"]["platforms"][p]
        for k, den in (("ctr", n[p]), ("favorite_rate", v[p]), ("cart_rate", v[p]), ("visit_to_buy", v[p])):
            se = np.sqrt(plant[k] * (1 - plant[k]) / den)
            assert abs(real[k] - plant[k]) < 4.5 * se + 1e-9, (p, k, real[k], plant[k], se)
    # the structure is there: platforms differ, premium converts less, tier 1 converts more than tier 5
    f = res.truth["funnel"]
    assert f["mistore"]["ctr"] > f["jd"]["ctr"] > f["douyin"]["ctr"]
    det = res.truth["funnel_detail"]
    buy = lambda dim, key: np.mean([det[dim][p][key]["visit_to_buy"] for p in ("jd", "tmall")])  # noqa: E731
    assert buy("price_band", "<2000") > 1.3 * buy("price_band", "6000+")
    assert buy("city_tier", "tier1") > buy("city_tier", "tier5")


def test_cross_platform_paths(run) -> None:
    _, res = run
    paths = res.truth["paths"]
    assert paths["window_days"] == 7
    # seeded visits convert about path_lift times as often; buyers' seeded share exceeds the visit share
    assert 1.2 < paths["all"]["lift"] < 2.3
    planted = paths["planted"]["share_of_visits"]
    assert paths["all"]["buyer_share"] > min(planted.values())
    assert paths["by_tier"]["tier1"]["buyer_share"] > paths["by_tier"]["tier5"]["buyer_share"]


def test_path_truth_matches_sql_over_events(run, con) -> None:
    """The streamed 种草 → 拔草 truth equals a brute-force SQL join over the written events."""
    _, res = run
    rows = con.execute("""
        WITH seen AS (
            SELECT user_id, sku_id, ts FROM events
            WHERE platform IN ('douyin', 'xiaohongshu') AND event IN ('content_view', 'live_view')
              AND sku_id IS NOT NULL),
        visits AS (
            SELECT session_id, any_value(user_id) AS user_id, any_value(sku_id) AS sku_id,
                   min(ts) FILTER (WHERE event = 'click') AS t_click,
                   min(ts) FILTER (WHERE event = 'order') AS t_order
            FROM events WHERE platform IN ('jd', 'tmall', 'mistore') AND event IN ('click', 'order')
            GROUP BY session_id),
        flagged AS (
            SELECT v.user_id, v.t_order IS NOT NULL AS bought,
                   EXISTS (SELECT 1 FROM seen s WHERE s.user_id = v.user_id AND s.sku_id = v.sku_id
                           AND s.ts < v.t_click AND s.ts >= v.t_click - INTERVAL 7 DAY) AS sv,
                   v.t_order IS NOT NULL AND EXISTS (
                       SELECT 1 FROM seen s WHERE s.user_id = v.user_id AND s.sku_id = v.sku_id
                           AND s.ts < v.t_order AND s.ts >= v.t_order - INTERVAL 7 DAY) AS so
            FROM visits v)
        SELECT u.city_tier, count(*), sum(sv::INT), sum((sv AND bought)::INT), sum(bought::INT), sum(so::INT)
        FROM flagged JOIN users u USING (user_id) GROUP BY ALL
    """).fetchall()
    by_tier = res.truth["paths"]["by_tier"]
    assert {r[0] for r in rows} == set(by_tier)
    for tier, visits, s_visits, s_buys, buys, s_orders in rows:
        t = by_tier[tier]
        assert (t["visits"], t["buyers"]) == (visits, buys)
        assert t["buyer_share"] == pytest.approx(s_orders / buys)
        assert t["conversion_seeded"] == pytest.approx(s_buys / s_visits)
        assert t["conversion_unseeded"] == pytest.approx((buys - s_buys) / (visits - s_visits))


def test_prices_follow_promotions_and_subsidy(run) -> None:
    _, res = run
    o = res.orders
    lp = catalog.products().set_index("sku_id")["list_price"]
    ratio = o["price_paid"] / o["sku_id"].map(lp).to_numpy()
    d = o["ts"].dt
    in618 = (d.month == 6) & (d.day <= 18)
    plain = ~in618 & ~((d.month == 11) & (d.day <= 11)) & (o["ts"] < "2025-01-20")
    assert np.allclose(ratio[plain], 1.0, atol=1e-3)
    assert np.allclose(ratio[in618 & (o["ts"] < "2025-01-01")], 0.92, atol=1e-3)
    sub = (o["ts"] >= "2025-01-20") & ~in618 & (o["sku_id"].map(lp) < 6000).to_numpy()
    assert sub.sum() > 0 and (ratio[sub] < 0.999).all()
    assert o["order_id"].is_unique and list(o.columns[:8]) == ["order_id", "ts", "user_id", "platform", "sku_id",
                                                               "units", "price_paid", "source"]


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    def digest(out: Path) -> str:
        h = hashlib.sha256()
        for f in sorted(out.rglob("*.parquet")):
            h.update(f.relative_to(out).as_posix().encode())
            h.update(f.read_bytes())
        return h.hexdigest()

    a = _run(tmp_path / "a", seed=9, n_events=60_000, n_users=5_000)
    b = _run(tmp_path / "b", seed=9, n_events=60_000, n_users=5_000)
    c = _run(tmp_path / "c", seed=10, n_events=60_000, n_users=5_000)
    assert digest(tmp_path / "a") == digest(tmp_path / "b") != digest(tmp_path / "c")
    assert json.dumps(a.truth, sort_keys=True) == json.dumps(b.truth, sort_keys=True)
    assert a.orders.equals(b.orders) and not a.orders.equals(c.orders)


@pytest.mark.slow
def test_constant_memory_5m_events(tmp_path: Path) -> None:
    """5M events in small chunks: peak RSS growth stays far below the event volume."""
    code = textwrap.dedent(f"""
        import resource, sys
        from datetime import date
        import numpy as np
        from upmarket.twin import catalog, consumers
        from upmarket.twin.channels import simulate_channels
        p = catalog.products(); u = consumers.users(200_000, np.random.default_rng(1))
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        res = simulate_channels(p, u, rng=np.random.default_rng(2), n_events=5_000_000,
                                out_dir=__import__("pathlib").Path({str(tmp_path)!r}), start=date(2024, 1, 1),
                                end=date(2025, 6, 30))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(res.truth["consistency"]["events"], (peak - base) // 1024)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    n_events, growth_mb = map(int, out.stdout.split())
    assert n_events > 4_800_000
    assert growth_mb < 500, growth_mb
