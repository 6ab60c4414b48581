"""Aaker's other three dimensions from behaviour, the revenue premium, and the equity index.

* awareness: each brand's share of reach — of brand mentions in posts, of their views (a post's views count once
  per brand it features), of brand searches and of content views in events — with cluster-robust 90 % intervals
  (a post or a user is the cluster);
* perceived quality: mean review rating (rescaled 1..5 → 0..1) and the voice analysis' sentiment;
* revenue premium (Ailawadi, Lehmann & Neslin 2003): revenue minus what the same units would earn at the
  benchmark brand's average price, per period, with a linear trend;
* the index: each dimension scaled across brands to 0..1 (the best brand 1), averaged with stated weights, and a
  sensitivity table of the index under other weights.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from upmarket.warehouse.source import as_source, to_frame

if TYPE_CHECKING:
    from upmarket.warehouse.source import TableSource

Z90 = float(stats.norm.ppf(0.95))
DIMENSIONS = ("awareness", "associations", "perceived_quality", "loyalty")


def ratio_shares(units: pd.DataFrame, cluster: str, brands: list[str]) -> pd.DataFrame:
    """Per brand: share = Σ y_b / Σ n over clusters, with a cluster-robust (ratio-estimator) 90 % interval.

    ``units`` has one row per (cluster, brand) with ``y`` (the brand's count or weight in the cluster) and ``n``
    (the cluster's total, repeated on each of its rows)."""
    tot = units.drop_duplicates(cluster)[[cluster, "n"]].set_index(cluster)["n"]
    denom = float(tot.sum())
    rows = []
    for b in brands:
        y = units.loc[units["brand"] == b].groupby(cluster)["y"].sum().reindex(tot.index, fill_value=0.0)
        share = float(y.sum() / denom) if denom else np.nan
        se = float(np.sqrt(((y - share * tot) ** 2).sum()) / denom) if denom else np.nan
        rows.append({"brand": b, "share": share, "share_low": max(share - Z90 * se, 0.0),
                     "share_high": min(share + Z90 * se, 1.0)})
    return pd.DataFrame(rows)


def _split_brands(posts: pd.DataFrame) -> pd.DataFrame:
    """One row per (post, brand mentioned) from the ``|``-separated ``brands`` column."""
    from upmarket.contract.codes import canonical_brand

    exploded = posts.assign(brand=posts["brands"].fillna("").map(
        lambda s: [canonical_brand(x) for x in re.split(r"[|｜]", s) if x.strip()])).explode("brand")
    return exploded.dropna(subset=["brand"])


def _branded_posts(con: TableSource, *cols: str) -> pd.DataFrame:
    """``cols`` of the posts that name at least one brand."""
    posts = con.table("posts")
    return to_frame(posts.filter(posts.brands.notnull(), posts.brands.strip() != "").select(*cols))


def _event_brands(con: TableSource, event: str) -> pd.DataFrame:
    """``user_id, brand, y, n``: each user's ``event``s per brand (the event's own brand, else its SKU's) and
    the user's total over brands."""
    e = con.table("events")
    e = e.filter(e.event == event)
    p = con.table("products").select("sku_id", sku_brand="brand")
    e = e.left_join(p, "sku_id")
    e = e.select("user_id", brand=e.brand.strip().nullif("").coalesce(e.sku_brand)).filter(ibis._.brand.notnull())
    c = e.group_by("user_id", "brand").agg(y=e.count().cast("float64"))
    return to_frame(c.mutate(n=c.y.sum().over(group_by=c.user_id)))


def reach(con: TableSource, brands: list[str], has_posts: bool, has_views: bool,
          has_events: bool) -> pd.DataFrame:
    """Long table: measure, brand, share, share_low, share_high, for each reach measure the data allow."""
    con = as_source(con)
    out = []
    if has_posts:
        posts = _branded_posts(con, "post_id", "brands", "views")
        ex = _split_brands(posts)
        if len(ex):
            mentions = ex.assign(y=1.0, n=ex.groupby("post_id")["brand"].transform("size").astype(float))
            out.append(ratio_shares(mentions, "post_id", brands).assign(measure="post_mentions"))
            if has_views:
                v = ex.dropna(subset=["views"])
                v = v.assign(y=v["views"].astype(float), n=v["views"].astype(float)
                             * v.groupby("post_id")["brand"].transform("size"))
                if len(v) and v["n"].sum() > 0:
                    out.append(ratio_shares(v, "post_id", brands).assign(measure="post_views"))
    if has_events:
        for event, name in (("search", "searches"), ("content_view", "content_views")):
            ev = _event_brands(con, event)
            if len(ev):
                out.append(ratio_shares(ev, "user_id", brands).assign(measure=name))
    if not out:
        return pd.DataFrame(columns=["measure", "brand", "share", "share_low", "share_high"])
    return pd.concat(out, ignore_index=True)[["measure", "brand", "share", "share_low", "share_high"]]


def ratings(con: TableSource, brands: list[str]) -> pd.DataFrame:
    """Per brand: reviews rated, mean rating and its rescaled 0..1 score with a 90 % interval."""
    con = as_source(con)
    r, p = con.table("reviews"), con.table("products")
    df = to_frame(r.join(p, "sku_id").filter(r.rating.notnull(), ~r.is_followup.fill_null(False))
                  .select(p.brand, r.rating))
    rows = []
    for b in brands:
        x = df.loc[df["brand"] == b, "rating"].astype(float)
        if len(x) < 2:
            continue
        m, se = float(x.mean()), float(x.std(ddof=1) / np.sqrt(len(x)))
        rows.append({"brand": b, "reviews_rated": len(x), "mean_rating": m,
                     "rating_score": (m - 1) / 4, "rating_score_low": max((m - Z90 * se - 1) / 4, 0.0),
                     "rating_score_high": min((m + Z90 * se - 1) / 4, 1.0)})
    return pd.DataFrame(rows)


PERIOD_KINDS = (("month", r"^\d{4}-\d{2}$"), ("quarter", r"^\d{4}Q[1-4]$"), ("half", r"^\d{4}H[12]$"),
                ("year", r"^\d{4}$"))


def revenue_premium(con: TableSource, benchmark: str) -> tuple[pd.DataFrame, str | None]:
    """Per period and brand: units, revenue, benchmark price, revenue premium (CNY) and its share of revenue.

    Uses the finest period kind in market_sales (months, else quarters, halves, years), summed over regions
    (``CN`` alone when national rows exist, so provinces are not counted twice). Revenue is ``revenue`` or
    ``units × avg_price``. Returns the table and a reason when it cannot be computed."""
    con = as_source(con)
    m = con.table("market_sales")
    m = m.filter(m.units.notnull())
    ms = to_frame(m.group_by("period", "region", "brand").agg(
        units=m.units.sum().cast("float64"),
        revenue=m.revenue.coalesce(m.units * m.avg_price).sum().cast("float64"),
        unpriced=m.count(where=m.revenue.isnull() & m.avg_price.isnull())))
    if ms.empty:
        return ms, "market_sales has no rows with units"
    if (ms["region"] == "CN").any():
        ms = ms[ms["region"] == "CN"]
    for _kind, pattern in PERIOD_KINDS:
        sub = ms[ms["period"].astype(str).str.match(pattern)]
        if sub["period"].nunique() >= 1:
            ms = sub
            break
    g = ms.groupby(["period", "brand"], as_index=False)[["units", "revenue", "unpriced"]].sum()
    if g["unpriced"].sum() == len(ms) or g["revenue"].isna().all():
        return pd.DataFrame(), "market_sales has neither revenue nor avg_price"
    bench = g[g["brand"] == benchmark].set_index("period")
    if bench.empty:
        return pd.DataFrame(), f"the benchmark brand {benchmark!r} has no rows in market_sales"
    g["benchmark_price"] = g["period"].map(bench["revenue"] / bench["units"])
    g = g.dropna(subset=["benchmark_price"])
    g["revenue_premium"] = g["revenue"] - g["units"] * g["benchmark_price"]
    g["premium_share_of_revenue"] = g["revenue_premium"] / g["revenue"]
    g["price_ratio"] = (g["revenue"] / g["units"]) / g["benchmark_price"]
    return g.drop(columns="unpriced").sort_values(["brand", "period"]).reset_index(drop=True), None


def premium_trend(rp: pd.DataFrame) -> pd.DataFrame:
    """Per brand: OLS slope of the revenue premium per period (CNY per period) with a 90 % interval."""
    rows = []
    for b, g in rp.groupby("brand"):
        g = g.sort_values("period")
        if len(g) < 3:
            continue
        x = np.arange(len(g), dtype=float)
        res = stats.linregress(x, g["revenue_premium"].to_numpy())
        t = stats.t.ppf(0.95, len(g) - 2)
        rows.append({"brand": b, "periods": len(g), "slope_cny_per_period": res.slope,
                     "slope_low": res.slope - t * res.stderr, "slope_high": res.slope + t * res.stderr,
                     "latest_period": g["period"].iloc[-1], "latest_premium": g["revenue_premium"].iloc[-1]})
    return pd.DataFrame(rows)


def scale(values: pd.Series) -> pd.Series:
    """0..1 across brands relative to the best brand (value / max); keeps ratios between brands."""
    top = values.max()
    return values / top if top and np.isfinite(top) and top > 0 else values * np.nan


def equity_index(dims: pd.DataFrame, weights: dict[str, float]) -> pd.Series:
    """Weighted mean of the scaled dimensions present for a brand (weights renormalised over those present)."""
    scaled = dims[list(weights)].apply(scale)
    w = pd.Series(weights, dtype=float)
    present = scaled.notna()
    num = (scaled.fillna(0) * w).sum(axis=1)
    den = (present * w).sum(axis=1)
    return num / den.replace(0, np.nan)


def sensitivity(dims: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """The index and each brand's rank under the base weights, equal weights, each dimension alone and each
    dimension left out."""
    keys = [k for k in weights if dims[k].notna().any()]
    schemes: dict[str, dict[str, float]] = {"base": weights, "equal": dict.fromkeys(keys, 1.0)}
    for k in keys:
        schemes[f"only {k}"] = {k: 1.0}
        if len(keys) > 1:
            schemes[f"without {k}"] = {j: weights[j] for j in keys if j != k}
    rows = []
    for name, w in schemes.items():
        idx = equity_index(dims, w)
        ranks = idx.rank(ascending=False, method="min")
        for b in dims.index:
            rows.append({"weights": name, "brand": b, "index": idx.get(b), "rank": ranks.get(b)})
    return pd.DataFrame(rows)


def _quarter(day: ibis.expr.types.DateValue) -> ibis.expr.types.StringValue:
    """``2025Q3``: the year and quarter of a date, as text."""
    return day.year().cast("string") + "Q" + day.quarter().cast("string")


def quarterly_dimensions(con: TableSource, has: dict[str, bool]) -> pd.DataFrame:
    """Per quarter and brand, the dimensions that carry a date: loyalty (device_history.date), awareness (share of
    brand mentions in posts) and perceived quality (rescaled mean rating). Long: period, brand, dimension, value, n."""
    con = as_source(con)
    parts = []
    if has.get("device_history"):
        d = con.table("device_history")
        d = d.filter(d.date.notnull())
        parts.append(to_frame(d.group_by(period=_quarter(d.date.cast("date")), brand=d.from_brand,
                                         dimension=ibis.literal("loyalty"))
                              .agg(value=(d.from_brand == d.to_brand).cast("int32").mean().cast("float64"),
                                   n=d.count())))
    if has.get("posts"):
        posts = _branded_posts(con, "post_id", "ts", "brands")
        ex = _split_brands(posts)
        if len(ex):
            ex["period"] = pd.to_datetime(ex["ts"]).dt.to_period("Q").astype(str)
            g = ex.groupby(["period", "brand"]).size().rename("n").reset_index()
            g["value"] = g["n"] / g.groupby("period")["n"].transform("sum")
            parts.append(g.assign(dimension="awareness"))
    if has.get("reviews"):
        r, p = con.table("reviews"), con.table("products")
        rated = r.join(p, "sku_id").filter(r.rating.notnull())
        parts.append(to_frame(rated.group_by(period=_quarter(r.ts.date()), brand=p.brand,
                                             dimension=ibis.literal("perceived_quality"))
                              .agg(value=((r.rating.mean() - 1) / 4).cast("float64"), n=rated.count())))
    if not parts:
        return pd.DataFrame(columns=["period", "brand", "dimension", "value", "n"])
    out = pd.concat(parts, ignore_index=True)[["period", "brand", "dimension", "value", "n"]]
    return out.sort_values(["period", "dimension", "brand"]).reset_index(drop=True)


def index_by_period(quarterly: pd.DataFrame, weights: dict[str, float], associations: pd.Series | None,
                    min_n: int) -> pd.DataFrame:
    """The index per quarter and brand from the dated dimensions (cells with fewer than ``min_n`` observations left
    out) and associations held at their whole-span value (voice gives no dated figure)."""
    q = quarterly[quarterly["n"] >= min_n]
    rows = []
    for period, g in q.groupby("period"):
        dims = g.pivot_table(index="brand", columns="dimension", values="value")
        if associations is not None:
            dims["associations"] = associations.reindex(dims.index)
        dims = dims.reindex(columns=list(weights))
        if dims.notna().sum().sum() == 0:
            continue
        idx = equity_index(dims, weights)
        for b, v in idx.dropna().items():
            rows.append({"period": period, "brand": b, "index": v,
                         "dimensions": int(dims.loc[b].notna().sum())})
    return pd.DataFrame(rows)
