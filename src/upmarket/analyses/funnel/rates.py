"""Funnel rates from ``traffic`` (platform aggregates) and from ``events`` (distinct users), with intervals.

Definitions (the same for both inputs, so the twin's ``traffic`` and ``events`` give equal rates):

* ``ctr`` = clicks / impressions (visitors / impressions when an export has no clicks);
* ``favorite_rate`` = favorites / visitors, ``cart_rate`` = add_to_carts / visitors,
  ``visit_to_buy`` = buyers / visitors, ``units_per_buyer`` = units / buyers.

``visitors``, ``favorites``, ``add_to_carts`` and ``buyers`` count *distinct users per row*, and a
traffic row is one day × SKU (× tier × source): summing rows gives user-days, so the rates are
per visitor-day, as in every platform's own tool. From events the same key is built explicitly:
(day, platform, sku_id, source, user) → any click / favourite / cart / order.

Each ratio only uses rows where both of its columns are present (an export without
``favorites`` does not dilute the favourite rate).

Intervals (90%): in the breakdown tables, Wilson score intervals on the summed counts
(vectorised). They treat visitor-days as independent; rows are days × SKU aggregates, and a
day's promotion moves every row of that day together, so the headline per-platform ``_ci`` in
``results.json`` is a cluster bootstrap over days (Poisson weights per day, shared across
platforms), which is wider when days differ. Both are documented in ``docs/funnel.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from upmarket.estimation import CI_LEVEL
from upmarket.market_rules import band_of, is_premium, sku_band_prices

if TYPE_CHECKING:
    import ibis.expr.types as ir

LEVEL = CI_LEVEL
Z90 = 1.6448536269514722
"""Standard normal quantile for a two-sided 90% interval."""

RATES: dict[str, tuple[str, str]] = {
    "ctr": ("ctr_num", "ctr_den"),
    "favorite_rate": ("favorites", "fav_den"),
    "cart_rate": ("add_to_carts", "cart_den"),
    "visit_to_buy": ("buyers", "visitors"),
}
"""Each headline rate as (numerator, denominator) of the count columns below."""

COUNTS: tuple[str, ...] = ("impressions", "ctr_num", "ctr_den", "visitors", "favorites", "fav_den",
                           "add_to_carts", "cart_den", "buyers", "units", "units_buyers")
"""The summable count columns every count cube carries."""

HEADLINE: tuple[str, ...] = tuple(RATES)


# --------------------------------------------------------------------------- interval maths
def wilson(k: np.ndarray | pd.Series, n: np.ndarray | pd.Series, z: float = Z90) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k successes in n trials, vectorised; NaN where n == 0."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.clip(k / n, 0.0, 1.0)
        z2 = z * z
        denom = 1.0 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    bad = ~(n > 0)
    lo = np.where(bad, np.nan, np.clip(centre - half, 0.0, 1.0))
    hi = np.where(bad, np.nan, np.clip(centre + half, 0.0, 1.0))
    return lo, hi


def with_rates(counts: pd.DataFrame) -> pd.DataFrame:
    """Add each rate, its Wilson interval (``_low``/``_high``) and units per buyer to a count frame."""
    out = counts.copy()
    for name, (num, den) in RATES.items():
        n = out[den].to_numpy(float)
        k = out[num].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = np.where(n > 0, k / n, np.nan)
        out[f"{name}_low"], out[f"{name}_high"] = wilson(k, n)
    ub = out["units_buyers"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["units_per_buyer"] = np.where(ub > 0, out["units"].to_numpy(float) / ub, np.nan)
    return out


MIN_BOOTSTRAP_DAYS = 5
"""A cluster bootstrap over fewer days than this is degenerate (one day: an interval of zero width):
such a group gets no bootstrap interval, and the headline falls back to the Wilson interval."""


def day_bootstrap(daily: pd.DataFrame, by: str = "platform", reps: int = 400, seed: int = 0,
                  level: float = LEVEL) -> dict[str, dict[str, list[float]]]:
    """Percentile intervals of each rate by ``by`` from a cluster bootstrap over days.

    ``daily`` has one row per (``by``, date) with the count columns. Each replicate draws a
    Poisson(1) weight per *day* (the same for every platform that day) and recomputes the
    ratios of weighted sums, so day-level shocks (promotions, launches) widen the interval.
    """
    rng = np.random.default_rng(seed)
    days = np.sort(daily["date"].unique())
    day_idx = np.searchsorted(days, daily["date"].to_numpy())
    w = rng.poisson(1.0, size=(reps, days.size)).astype(float)
    out: dict[str, dict[str, list[float]]] = {}
    a = (1 - level) / 2
    for key, g in daily.groupby(by, sort=True):
        ci: dict[str, list[float]] = {}
        out[str(key)] = ci
        if g["date"].nunique() < MIN_BOOTSTRAP_DAYS:
            continue
        wi = w[:, day_idx[g.index.to_numpy()]]
        for name, (num, den) in (*RATES.items(), ("units_per_buyer", ("units", "units_buyers"))):
            k = wi @ g[num].to_numpy(float)
            n = wi @ g[den].to_numpy(float)
            ok = n > 0
            if ok.sum() < 2:
                continue
            r = k[ok] / n[ok]
            ci[name] = [float(np.quantile(r, a)), float(np.quantile(r, 1 - a))]
    return out


# --------------------------------------------------------------------------- expressions
def product_dims(products: ir.Table, orders: ir.Table | None = None, premium_price: str = "contract") -> ir.Table:
    """sku_id → brand, price_band, premium flag; one row per SKU, banded by the price market_rules names for a
    listed SKU (its list price; the mean price paid under ``premium_price = "paid"``)."""
    p = sku_band_prices(products, orders, premium_price)
    return p.mutate(price_band=band_of(p.band_price), premium=is_premium(p.band_price)).select(
        "sku_id", "brand", "price_band", "premium")


def _num(col: ir.Value, ok: ir.BooleanValue) -> ir.Value:
    return ibis.ifelse(ok, col, 0).cast("int64")


def traffic_counts(traffic: ir.Table, products: ir.Table | None, orders: ir.Table | None = None,
                   premium_price: str = "contract") -> ir.Table:
    """``traffic`` rows with the count columns of :data:`COUNTS` and brand / price band joined in.

    Columns kept as dimensions: date, platform, sku_id, city_tier, segment, source, brand,
    price_band, premium. Window-total rows (``date_end`` set) count once, on their start date.
    """
    t = traffic
    clicks = ibis.coalesce(t.clicks, t.visitors)
    has_imp = t.impressions.notnull()
    t = t.mutate(
        platform=t.platform,
        city_tier=ibis.coalesce(t.city_tier.nullif(""), ibis.literal("unknown")),
        segment=ibis.coalesce(t.segment.nullif(""), ibis.literal("unknown")),
        source=ibis.coalesce(t.source.nullif(""), ibis.literal("unknown")),
        impressions=_num(t.impressions, has_imp),
        ctr_num=_num(clicks, has_imp),
        ctr_den=_num(t.impressions, has_imp),
        visitors=t.visitors.cast("int64"),
        favorites=_num(t.favorites, t.favorites.notnull()),
        fav_den=_num(t.visitors, t.favorites.notnull()),
        add_to_carts=_num(t.add_to_carts, t.add_to_carts.notnull()),
        cart_den=_num(t.visitors, t.add_to_carts.notnull()),
        buyers=t.buyers.cast("int64"),
        units=_num(t.units, t.units.notnull()),
        units_buyers=_num(t.buyers, t.units.notnull()),
    )
    if products is not None:
        t = t.left_join(product_dims(products, orders, premium_price), "sku_id").drop("sku_id_right")
    else:
        t = t.mutate(brand=ibis.null("string"), price_band=ibis.null("string"), premium=ibis.null("boolean"))
    t = t.mutate(
        brand=ibis.coalesce(t.brand, ibis.literal("unknown")),
        price_band=ibis.coalesce(t.price_band, ibis.literal("unknown")),
        premium=ibis.coalesce(t.premium, ibis.literal(False)),
    )
    return t.select("date", "platform", "sku_id", "city_tier", "segment", "source", "brand", "price_band", "premium",
                    *COUNTS)


def cube(rows: ir.Table, by: Sequence[str]) -> ir.Table:
    """Sum the count columns of ``rows`` by ``by`` (an Ibis expression; nothing runs yet)."""
    return rows.group_by(list(by)).aggregate(**{c: rows[c].sum().cast("int64") for c in COUNTS})


FUNNEL_EVENTS: tuple[str, ...] = ("impression", "click", "favorite", "cart", "order")


def _funnel_events(events: ir.Table, only: Sequence[str] = FUNNEL_EVENTS) -> ir.Table:
    e = events.filter(events.event.isin(list(only)) & events.sku_id.notnull())
    return e.mutate(date=e.ts.date(), source=ibis.coalesce(e.source.nullif(""), ibis.literal("unknown")))


KEY: tuple[str, ...] = ("date", "platform", "sku_id", "source", "user_id")
"""The per-user-day event key the platforms count distinct visitors over."""


def event_keys(events: ir.Table, sessions: bool = True) -> ir.Table:
    """One row per (day, platform, sku_id, source, user_id) with impressions and the user's funnel flags.

    This is the per-user-day key the platforms count distinct visitors over. Events without a
    SKU (brand-level searches and content views) are not part of the shop funnel. With
    ``sessions=False`` the distinct click-session count is left at 0 (:func:`click_sessions` gives
    it from the click events alone, far cheaper than a DISTINCT aggregate over every event).
    """
    e = _funnel_events(events)
    is_click = e.event == "click"
    n_sess = e.session_id.nunique(where=is_click).cast("int64") if sessions else ibis.literal(0, "int64")
    return e.group_by(list(KEY)).aggregate(
        impressions=(e.event == "impression").sum().cast("int64"),
        sessions=n_sess,
        clicked=is_click.any(),
        favorited=(e.event == "favorite").any(),
        carted=(e.event == "cart").any(),
        bought=(e.event == "order").any(),
    )


def click_sessions(events: ir.Table) -> ir.Table:
    """Distinct click sessions per event key with a click, in :func:`event_keys`' columns (flags false).

    Summed with ``event_keys(events, sessions=False)`` it gives the same totals per key as
    ``event_keys(events)``: the DISTINCT runs over the click events only (a few % of the log).
    """
    e = _funnel_events(events, ("click",))
    no = ibis.literal(False)
    return e.group_by(list(KEY)).aggregate(
        impressions=ibis.literal(0, "int64"), sessions=e.session_id.nunique().cast("int64"),
        clicked=no, favorited=no, carted=no, bought=no)


USER_DIMS: tuple[str, ...] = ("city_tier", "age_band", "gender")


def event_counts(events: ir.Table, users: ir.Table | None, products: ir.Table | None,
                 orders: ir.Table | None = None, premium_price: str = "contract") -> ir.Table:
    """Count columns per event key, with the user's tier, age band and gender and the SKU's brand and band.

    Users missing from ``users`` get ``unknown`` attributes (reported by :func:`event_checks`).
    A key with clicks has two rows (its flags, and its click-session count): sum them with :func:`cube`.
    """
    k = event_keys(events, sessions=False).union(click_sessions(events))
    if users is not None:
        u = users.select("user_id", *USER_DIMS).distinct(on="user_id", keep="first")
        k = k.left_join(u, "user_id").drop("user_id_right")
    else:
        k = k.mutate(**{d: ibis.null("string") for d in USER_DIMS})
    if products is not None:
        k = k.left_join(product_dims(products, orders, premium_price), "sku_id").drop("sku_id_right")
    else:
        k = k.mutate(brand=ibis.null("string"), price_band=ibis.null("string"), premium=ibis.null("boolean"))
    one = ibis.literal(1, "int64")
    zero = ibis.literal(0, "int64")
    clicked = k.clicked
    k = k.mutate(
        **{d: ibis.coalesce(k[d].nullif(""), ibis.literal("unknown")) for d in (*USER_DIMS, "brand", "price_band")},
        premium=ibis.coalesce(k.premium, ibis.literal(False)),
        ctr_num=k.sessions,
        ctr_den=k.impressions,
        visitors=ibis.ifelse(clicked, one, zero),
        favorites=ibis.ifelse(k.favorited, one, zero),
        fav_den=ibis.ifelse(clicked, one, zero),
        add_to_carts=ibis.ifelse(k.carted, one, zero),
        cart_den=ibis.ifelse(clicked, one, zero),
        buyers=ibis.ifelse(k.bought, one, zero),
        units=zero,
        units_buyers=zero,
    )
    return k.select("date", "platform", "sku_id", "source", *USER_DIMS, "brand", "price_band", "premium", *COUNTS)


# --------------------------------------------------------------------------- results.json and tables
def headline(platform_counts: pd.DataFrame, cis: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, Any]]:
    """``results["funnel"]``: per platform the four rates, their day-bootstrap ``_ci``, and the counts."""
    out: dict[str, dict[str, Any]] = {}
    r = with_rates(platform_counts)
    for row in r.itertuples(index=False):
        p = str(row.platform)
        d: dict[str, Any] = {}
        for name in (*HEADLINE, "units_per_buyer"):
            v = getattr(row, name)
            if pd.isna(v):
                continue
            d[name] = float(v)
            ci = cis.get(p, {}).get(name)
            if ci is None and name in RATES:
                ci = [float(getattr(row, f"{name}_low")), float(getattr(row, f"{name}_high"))]
            if ci is not None:
                d[f"{name}_ci"] = ci
        d["visitors"] = int(row.visitors)
        d["buyers"] = int(row.buyers)
        if row.ctr_den > 0:  # a platform whose exports carry no impressions has none, not 0
            d["impressions"] = int(row.impressions)
        out[p] = d
    return out


def fill_from_events(figures: dict[str, dict[str, Any]], event_counts: pd.DataFrame) -> None:
    """Give a platform the headline rates its traffic rows lack (a JD export has no impressions) from the events.

    The definitions are the same on both bases (module doc), so the rate is the platform's; the interval is
    Wilson's on the event counts and ``<rate>_basis`` says ``events``. Only platforms present in traffic.
    """
    r = with_rates(event_counts.groupby("platform", as_index=False)[list(COUNTS)].sum()).set_index("platform")
    for p, d in figures.items():
        if p not in r.index:
            continue
        row = r.loc[p]
        for name in HEADLINE:
            if name in d or pd.isna(row[name]):
                continue
            d[name] = float(row[name])
            d[f"{name}_ci"] = [float(row[f"{name}_low"]), float(row[f"{name}_high"])]
            d[f"{name}_basis"] = "events"


def marginals(counts: pd.DataFrame, dims: Sequence[str]) -> dict[str, pd.DataFrame]:
    """One table per dimension: rates by platform × that dimension, with Wilson intervals.

    A dimension whose every value is ``unknown`` (the export had no such column) gives no table:
    a breakdown with one ``unknown`` row would look like a result and say nothing.
    """
    out = {}
    for d in dims:
        if d not in counts or not (counts[d] != "unknown").any():
            continue
        g = counts.groupby(["platform", d], as_index=False, sort=True)[list(COUNTS)].sum()
        out[d] = with_rates(g)
    return out


def premium_acceptance(counts: pd.DataFrame, groups: Sequence[str], focal: str, rivals: Sequence[str],
                       sub_brands: Sequence[str] = ()) -> pd.DataFrame:
    """Conversion on premium (≥ 4000 CNY) SKUs and the share of buyers on them, by group, per brand.

    One row per (group, group value, brand) plus a ``rivals`` row summing the competitors, with
    ``premium_visit_to_buy`` (+ Wilson interval) and ``premium_buyer_share`` (+ Wilson interval).
    """
    frames = []
    c = counts.copy()
    c["brand_row"] = c["brand"]
    riv = c[c["brand"].isin(list(rivals))].assign(brand_row="rivals")
    c = pd.concat([c[c["brand"].isin([focal, *sub_brands, *rivals])], riv], ignore_index=True)
    for g in groups:
        if g not in c:
            continue
        prem = c[c["premium"]].groupby([g, "brand_row"])[["visitors", "buyers"]].sum()
        allb = c.groupby([g, "brand_row"])[["buyers"]].sum().rename(columns={"buyers": "all_buyers"})
        t = allb.join(prem, how="left").fillna(0).reset_index()
        t = t.rename(columns={g: "value", "brand_row": "brand", "visitors": "premium_visitors",
                              "buyers": "premium_buyers"})
        t.insert(0, "group", g)
        frames.append(t)
    if not frames:
        return pd.DataFrame()
    t = pd.concat(frames, ignore_index=True)
    for col in ("premium_visitors", "premium_buyers", "all_buyers"):
        t[col] = t[col].astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        t["premium_visit_to_buy"] = np.where(t["premium_visitors"] > 0, t["premium_buyers"] / t["premium_visitors"],
                                             np.nan)
        t["premium_buyer_share"] = np.where(t["all_buyers"] > 0, t["premium_buyers"] / t["all_buyers"], np.nan)
    t["premium_visit_to_buy_low"], t["premium_visit_to_buy_high"] = wilson(t["premium_buyers"], t["premium_visitors"])
    t["premium_buyer_share_low"], t["premium_buyer_share_high"] = wilson(t["premium_buyers"], t["all_buyers"])
    t["is_focal"] = t["brand"] == focal
    return t.sort_values(["group", "value", "brand"]).reset_index(drop=True)


# --------------------------------------------------------------------------- results.json: contract breakdown keys
def _rate_entry(row: Any, names: Sequence[str]) -> dict[str, Any]:
    d: dict[str, Any] = {}
    for name in names:
        v = getattr(row, name)
        if pd.isna(v):
            continue
        d[name] = float(v)
        d[f"{name}_ci"] = [float(getattr(row, f"{name}_low")), float(getattr(row, f"{name}_high"))]
    return d


def by_city_tier(counts: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """``funnel.by_city_tier``: the four rates per known city tier over every platform, with Wilson intervals.

    Rows without a tier (``unknown``) are left out; a rate whose columns no row of the tier has is left out.
    """
    known = counts[counts["city_tier"] != "unknown"]
    if known.empty:
        return {}
    r = with_rates(known.groupby("city_tier", as_index=False, sort=True)[list(COUNTS)].sum())
    out: dict[str, dict[str, Any]] = {}
    for row in r.itertuples(index=False):
        d = _rate_entry(row, HEADLINE)
        d["visitors"] = int(row.visitors)
        d["buyers"] = int(row.buyers)
        out[str(row.city_tier)] = d
    return out


def premium_conversion_by_city_tier(counts: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """``funnel.premium_conversion_by_city_tier``: visit-to-buy on premium SKUs (list price ≥ 4000 CNY) vs the rest.

    Only rows whose SKU is in ``products`` (a known price band) and whose tier is known count.
    """
    c = counts[(counts["city_tier"] != "unknown") & (counts["price_band"] != "unknown")]
    if c.empty:
        return {}
    g = c.groupby(["city_tier", "premium"], sort=True)[["visitors", "buyers"]].sum()
    out: dict[str, dict[str, Any]] = {}
    for (tier, premium), row in g.iterrows():
        if row["visitors"] <= 0:
            continue
        key = "premium" if premium else "mass"
        lo, hi = wilson(np.array([row["buyers"]]), np.array([row["visitors"]]))
        d = out.setdefault(str(tier), {})
        d[key] = float(row["buyers"] / row["visitors"])
        d[f"{key}_ci"] = [float(lo[0]), float(hi[0])]
        d[f"{key}_visitors"] = int(row["visitors"])
    return out


STEPS: dict[str, tuple[str, str]] = {
    "click_given_impression": ("click_after_impression", "impression_keys"),
    "favorite_given_click": ("favorite_after_click", "click_keys"),
    "cart_given_click": ("cart_after_click", "click_keys"),
    "order_given_cart": ("order_after_cart", "cart_keys"),
}
"""``funnel.stages`` step rates as (numerator, denominator) of :func:`step_counts`' columns."""


def step_counts(events: ir.Table) -> ir.Table:
    """Per platform, the per-user-day keys (:data:`KEY`) reaching each funnel step and the next one.

    A key's flags say whether the user had an impression / click / favourite / cart / order of the
    SKU that day on that platform and source; each step rate is the share of keys at one step that
    also reached the next.
    """
    k = event_keys(events, sessions=False)
    imp = k.impressions > 0
    i64 = "int64"
    return k.group_by("platform").aggregate(
        impression_keys=imp.sum().cast(i64),
        click_after_impression=(imp & k.clicked).sum().cast(i64),
        click_keys=k.clicked.sum().cast(i64),
        favorite_after_click=(k.clicked & k.favorited).sum().cast(i64),
        cart_after_click=(k.clicked & k.carted).sum().cast(i64),
        cart_keys=k.carted.sum().cast(i64),
        order_after_cart=(k.carted & k.bought).sum().cast(i64),
    )


def stage_rates(steps: pd.DataFrame) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """``funnel.stages`` from :func:`step_counts`, and ``<platform>.<step>`` → why a step has no rate."""
    out: dict[str, dict[str, Any]] = {}
    missing: dict[str, str] = {}
    for row in steps.sort_values("platform").itertuples(index=False):
        p = str(row.platform)
        d: dict[str, Any] = {}
        for name, (num, den) in STEPS.items():
            n = int(getattr(row, den))
            if n <= 0:
                missing[f"stages.{p}.{name}"] = f"events of {p} have no {den.removesuffix('_keys')} events"
                continue
            k = int(getattr(row, num))
            lo, hi = wilson(np.array([k]), np.array([n]))
            d[name] = k / n
            d[f"{name}_ci"] = [float(lo[0]), float(hi[0])]
        out[p] = d
    return out, missing
