"""The market: quarters × provinces, daily prices, calibrated target units, and the tables they give.

1. ``price_schedule``: daily shelf and effective prices per platform × SKU (lifecycle markdowns,
   618 and 双11 discounts, 国补 from 2025-01-20: 15 % off, at most 500 CNY, for phones selling
   under 6000 CNY). The quarter's mean effective price is what demand sees; its band is the SKU's
   price band in that quarter.
2. ``calibrate_targets``: Bass curves per model (``launch.py``) with lifetime sizes m chosen by
   bounded least squares so the national aggregates meet the seed paper's figures (``TARGETS``).
3. ``simulate_market``: for each quarter, the BLP contraction (``demand.solve_delta``) makes the
   random-coefficients logit reproduce those target units exactly; province units are the model's
   expected units M_r · s_jr, rounded. ``market_sales`` rows are (quarter, province, brand, model,
   price band), so both the ``price_band`` column and ``avg_price`` give the band.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy.optimize import lsq_linear

from upmarket.twin.catalog import BRANDS
from upmarket.twin.catalog import models as catalog_models
from upmarket.twin.consumers import provinces as province_table
from upmarket.twin.demand import (
    BANDS,
    Agents,
    DemandParams,
    PricingAccumulator,
    Products,
    agent_shares,
    init_params,
    mu,
    solve_delta,
    taste_tables,
)
from upmarket.twin.launch import bass_cdf, bass_params

START = date(2023, 1, 1)
END = date(2025, 6, 30)
QUARTERS: tuple[str, ...] = tuple(f"{y}Q{q}" for y in (2023, 2024, 2025) for q in (1, 2, 3, 4))[:10]
SMARTPHONE_USERS = 1.05e9
"""Potential buyers per quarter: China's smartphone users, spread over the twin's 12 provinces by population."""

PLATFORMS: tuple[str, ...] = ("jd", "tmall", "douyin", "mistore")
PLATFORM_DISCOUNT = {"jd": 0.0, "tmall": 0.01, "douyin": 0.03, "mistore": 0.0}
SUBSIDY_START = date(2025, 1, 20)
SUBSIDY_RATE, SUBSIDY_CAP, SUBSIDY_PRICE_LIMIT = 0.15, 500.0, 6000.0

TARGETS = {
    "quarter_units_m": {"2024Q1": 68.5, "2024Q2": 70.5, "2024Q3": 68.8, "2024Q4": 77.4, "2025Q1": 71.6,
                        "2025Q2": 69.0},
    "yoy_2024H1": {"<2000": -0.19, "2000-3999": -0.10, "4000+": 0.17},
    "premium_share_2024H2": 0.28,
    "premium_brand_share": {"2023": {"Apple": 0.618, "Huawei": 0.21}, "2024": {"Apple": 0.511, "Huawei": 0.31}},
    "q4_2024_units_m": {"Apple": 13.1, "Xiaomi group": 12.2},
    "brand_share_2024": {"vivo": 0.17, "OPPO": 0.155, "Honor": 0.15, "Huawei": 0.165},
    "xiaomi_brand_of_group_2024": 0.32,
}
"""The seed paper's market figures the twin is calibrated to (documented in docs/twin.md)."""


def quarter_bounds() -> pd.DataFrame:
    q = pd.PeriodIndex(QUARTERS, freq="Q")
    return pd.DataFrame({"quarter": QUARTERS, "start": q.start_time.normalize(), "end": q.end_time.normalize()})


def _half(quarter: str) -> str:
    return f"{quarter[:4]}H{1 if quarter[-1] in '12' else 2}"


# ---------------------------------------------------------------------------------------------- prices
def price_schedule(products: pd.DataFrame) -> dict[str, np.ndarray]:
    """Daily prices, dense arrays (days, SKUs, platforms): shelf, price, promo code, listed mask.

    promo codes: 0 none, 1 618, 2 双11, then +10 when 国补 applies.
    """
    days = pd.date_range(START, END, freq="D")
    d = days.to_numpy()[:, None]
    launch = pd.to_datetime(products["launch_date"]).to_numpy()[None, :]
    age_months = (d - launch) / np.timedelta64(1, "D") / 30.44
    list_price = products["list_price"].to_numpy(float)[None, :]
    is_apple = products["brand"].eq("Apple").to_numpy()[None, :]
    markdown = np.clip((age_months - 3) / 15, 0, 1) * 0.15 + np.clip((age_months - 18) / 12, 0, 1) * 0.10
    markdown = markdown + np.where(is_apple, 0.06 + np.clip(age_months / 12, 0, 1) * 0.06, 0.0)
    shelf = np.round(list_price * (1 - markdown) / 10) * 10 - 1  # prices end in 9
    shelf = np.maximum(shelf, 0.4 * list_price)
    month, dom = days.month.to_numpy()[:, None], days.day.to_numpy()[:, None]
    is618 = (month == 6) & (dom <= 18)
    is11 = ((month == 10) & (dom >= 24)) | ((month == 11) & (dom <= 11))
    promo = np.where(is618, 1, np.where(is11, 2, 0))
    festival = np.where(is618, 0.08, np.where(is11, 0.10, 0.0))
    brand = products["brand"].to_numpy()
    own_store = np.isin(brand, ["Xiaomi", "Redmi"])
    out_shelf, out_price, out_promo, listed = [], [], [], []
    for pf in PLATFORMS:
        pre = shelf * (1 - festival - PLATFORM_DISCOUNT[pf])
        subsidised = (d >= np.datetime64(SUBSIDY_START)) & (pre < SUBSIDY_PRICE_LIMIT)
        price = np.where(subsidised, pre - np.minimum(SUBSIDY_RATE * pre, SUBSIDY_CAP), pre)
        out_shelf.append(shelf)
        out_price.append(np.round(price, 0))
        out_promo.append(promo + 10 * subsidised)
        ok = (age_months >= 0) & (own_store[None, :] if pf == "mistore" else True)
        listed.append(np.broadcast_to(ok, shelf.shape))
    return {"days": days.to_numpy(), "shelf": np.stack(out_shelf, -1), "price": np.stack(out_price, -1),
            "promo": np.stack(out_promo, -1), "listed": np.stack(listed, -1)}


PROMO_TEXT = {0: None, 1: "618", 2: "双11", 10: "国补", 11: "618,国补", 12: "双11,国补"}


def listings_table(products: pd.DataFrame, sched: dict[str, np.ndarray]) -> pd.DataFrame:
    """The contract ``listings`` table (one row per listed day × platform × SKU), sorted."""
    t, j, k = np.nonzero(sched["listed"])
    promo = pd.Series(sched["promo"][t, j, k]).map(PROMO_TEXT)
    df = pd.DataFrame({
        "date": pd.to_datetime(sched["days"][t]).date,
        "platform": np.array(PLATFORMS, dtype=object)[k],
        "sku_id": products["sku_id"].to_numpy()[j],
        "list_price": sched["shelf"][t, j, k],
        "price": sched["price"][t, j, k],
        "promo": promo.to_numpy(),
    })
    return df.sort_values(["date", "platform", "sku_id"], kind="stable").reset_index(drop=True)


def quarterly_prices(sched: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Mean effective price per (quarter, SKU) over listed days and platforms, CNY; and availability."""
    qb = quarter_bounds()
    days = pd.to_datetime(sched["days"])
    qi = np.searchsorted(qb["end"].to_numpy(), days.to_numpy(), side="left")
    listed = sched["listed"].astype(float)
    tot = np.zeros((len(QUARTERS), listed.shape[1]))
    cnt = np.zeros_like(tot)
    np.add.at(tot, qi, (sched["price"] * listed).sum(axis=2))
    np.add.at(cnt, qi, listed.sum(axis=2))
    avail = cnt > 0
    return np.where(avail, tot / np.maximum(cnt, 1), np.nan), avail


# ---------------------------------------------------------------------------------------------- targets
def _band_index(prices: np.ndarray) -> np.ndarray:
    edges = np.array([2000.0, 4000.0, 6000.0])
    return np.searchsorted(edges, np.nan_to_num(prices, nan=0.0), side="right")


QUARTER_UNITS_M = {"2023Q1": 77.0, "2023Q2": 76.8, "2023Q3": 68.0, "2023Q4": 72.0, **TARGETS["quarter_units_m"]}
"""Quarter totals the seasonal index meets; 2023 H1 follows from the 2024 H1 band YoY targets (not a target)."""

RIDGE = 0.6
"""Weight of the prior on lifetime sizes, per model, relative to a 100 % deviation."""


def prior_m(mods: pd.DataFrame) -> np.ndarray:
    """Prior lifetime units per model (millions): by price tier, brand and form factor."""
    price = mods["min_price"].to_numpy(float)
    m0 = np.select([price >= 6000, price >= 4000, price >= 2000], [6.0, 12.0, 20.0], 32.0)
    name = mods["model"].str
    apple = mods["brand"].eq("Apple").to_numpy()
    m0 = np.where(apple, np.where(name.contains("Pro").to_numpy(), 22.0, 30.0), m0)
    m0 = np.where(apple & name.contains("Plus").to_numpy(), 10.0, m0)
    m0 = np.where(mods["foldable"].to_numpy(bool), 2.0, m0)
    return m0


@dataclass
class Targets:
    units: np.ndarray  # (quarters, SKUs) national target units
    m: pd.Series  # lifetime units per model
    bass: pd.DataFrame
    season: pd.Series  # seasonal index per quarter


def calibrate_targets(products: pd.DataFrame, price_q: np.ndarray, avail: np.ndarray) -> Targets:
    """Choose each model's lifetime size m so the aggregates meet ``TARGETS`` (bounded least squares)."""
    mods = catalog_models()
    bass = bass_params(mods)
    k_of = products["model"].map({m: i for i, m in enumerate(mods["model"])}).to_numpy()
    qb = quarter_bounds()
    launch = pd.to_datetime(mods["launch_date"]).to_numpy()
    wk = lambda ts: (ts[:, None] - launch[None, :]) / np.timedelta64(7, "D")  # noqa: E731
    t0, t1 = wk(qb["start"].to_numpy()), wk((qb["end"] + pd.Timedelta(days=1)).to_numpy())
    pq = bass[["p", "q"]].to_numpy()
    A = bass_cdf(t1, pq[:, 0], pq[:, 1]) - bass_cdf(t0, pq[:, 0], pq[:, 1])  # noqa: N806 (Q, K)
    w = products["_config_weight"].to_numpy()
    # units_jq = A[q, k(j)] · w_j · m_k  →  per-SKU design G[q, j, k]
    G = np.zeros((len(QUARTERS), len(products), len(mods)))  # noqa: N806
    G[:, np.arange(len(products)), k_of] = A[:, k_of] * w[None, :] * avail
    band = _band_index(price_q)  # (Q, J)
    brand = products["brand"].to_numpy()
    qidx = {q: i for i, q in enumerate(QUARTERS)}

    year = {y: [q for q in QUARTERS if q.startswith(y)] for y in ("2023", "2024")}
    h = {hh: [q for q in QUARTERS if _half(q) == hh] for hh in ("2023H1", "2023H2", "2024H1", "2024H2")}
    m0 = prior_m(mods)
    season = np.ones(len(QUARTERS))  # kept at 1: quarterly units are pure Bass increments
    m_sol = _fit_sizes(G, band, brand, year, h, qidx, m0)
    units = np.einsum("qjk,k->qj", G, m_sol * 1e6) * season[:, None]
    m = pd.Series(m_sol * 1e6, index=mods["model"])
    return Targets(units=units, m=m, bass=bass, season=pd.Series(season, index=list(QUARTERS)))


def _fit_sizes(G, band, brand, year, h, qidx, m0) -> np.ndarray:  # noqa: N803
    """Bounded least squares for lifetime sizes (millions) against the share and YoY targets."""
    def agg(quarters, sku_mask=None) -> np.ndarray:
        rows = G[[qidx[q] for q in quarters]]
        if sku_mask is not None:
            rows = rows * sku_mask[[qidx[q] for q in quarters]][..., None]
        return rows.sum(axis=(0, 1))

    def in_band(bands) -> np.ndarray:
        return np.isin(band, bands)

    def of_brand(*brands) -> np.ndarray:
        return np.broadcast_to(np.isin(brand, brands)[None, :], band.shape)

    rows, rhs = [], []

    def add(row, target, sc):
        rows.append(row / sc)
        rhs.append(target / sc)

    T = TARGETS  # noqa: N806
    for q, v in T["quarter_units_m"].items():
        add(agg([q]), v, 0.5)
    add(agg(h["2023H2"]), 140.0, 4.0)
    band_sets = {"<2000": [0], "2000-3999": [1], "4000+": [2, 3]}
    for b, y in T["yoy_2024H1"].items():
        m24, m23 = agg(h["2024H1"], in_band(band_sets[b])), agg(h["2023H1"], in_band(band_sets[b]))
        add(m24 - (1 + y) * m23, 0.0, 0.3)
    prem = in_band([2, 3])
    add(agg(h["2024H2"], prem) - T["premium_share_2024H2"] * agg(h["2024H2"]), 0.0, 0.4)
    for y, shares in T["premium_brand_share"].items():
        for b, s in shares.items():
            add(agg(year[y], prem & of_brand(b)) - s * agg(year[y], prem), 0.0, 0.4)
    add(agg(["2024Q4"], of_brand("Apple")), T["q4_2024_units_m"]["Apple"], 0.2)
    add(agg(["2024Q4"], of_brand("Xiaomi", "Redmi")), T["q4_2024_units_m"]["Xiaomi group"], 0.2)
    for b, s in T["brand_share_2024"].items():
        add(agg(year["2024"], of_brand(b)) - s * agg(year["2024"]), 0.0, 2.0)
    grp = agg(year["2024"], of_brand("Xiaomi", "Redmi"))
    add(agg(year["2024"], of_brand("Xiaomi")) - T["xiaomi_brand_of_group_2024"] * grp, 0.0, 2.0)
    # a pull toward a plausible lifetime size per model (prior_m) keeps the line-up realistic
    ridge = np.diag(RIDGE / m0)
    A_ls = np.vstack([np.array(rows), ridge])  # noqa: N806
    b_ls = np.concatenate([np.array(rhs), np.full(len(m0), RIDGE)])
    return lsq_linear(A_ls, b_ls, bounds=(0.3, 60.0), method="bvls").x


# ---------------------------------------------------------------------------------------------- the market
@dataclass
class MarketResult:
    market_sales: pd.DataFrame
    market_size: pd.DataFrame
    listings: pd.DataFrame
    params: DemandParams
    agents: Agents
    delta: np.ndarray  # (Q, J)
    xi: np.ndarray  # (Q, J)
    price_q: np.ndarray  # CNY (Q, J)
    sku_units: np.ndarray  # (Q, P, J) integer units
    targets: Targets
    pricing: dict


def simulate_market(products: pd.DataFrame, rng: np.random.Generator, n_agents: int = 200,
                    progress=None) -> MarketResult:
    """Run the calibrated demand model over every quarter and province; build the market tables."""
    provs = province_table()
    agents = Agents.draw(provs, n_agents, rng)
    params = init_params(agents)
    tastes = taste_tables(agents)
    sched = price_schedule(products)
    price_q, avail = quarterly_prices(sched)
    targets = calibrate_targets(products, price_q, avail)
    avail = avail & (targets.units > 0.5)
    msize = provs["people_m"].to_numpy() / provs["people_m"].sum() * SMARTPHONE_USERS
    brand_idx = products["brand"].map({b: i for i, b in enumerate(BRANDS)}).to_numpy()
    cam = products["camera_score"].to_numpy() / 10
    perf = products["performance_score"].to_numpy() / 10
    storage = np.log2(products["storage_gb"].to_numpy() / 128)
    band = _band_index(price_q)
    delta = np.zeros_like(price_q)
    sku_units = np.zeros((len(QUARTERS), len(provs), len(products)))
    acc = PricingAccumulator()
    for qi in range(len(QUARTERS)):
        prod = Products(brand_idx, cam, perf, np.nan_to_num(price_q[qi]) / 1000, band[qi], avail[qi])
        mu_ = mu(agents, prod, params, tastes)
        delta[qi] = solve_delta(targets.units[qi], msize, mu_, avail[qi])
        s = agent_shares(delta[qi], mu_, avail[qi])
        sku_units[qi] = np.rint(msize[:, None] * s.mean(axis=1))
        acc.add(s, agents, prod, msize)
        if progress is not None:
            progress(1)
    # decompose δ: brand intercepts are brand means of δ + ᾱp − Xβ, ξ the rest
    x_part = params.beta_camera * cam + params.beta_perf * perf + params.beta_storage * storage
    resid = np.where(avail, delta + params.alpha_mean * np.nan_to_num(price_q) / 1000 - x_part[None, :], np.nan)
    params.brand_intercepts = {b: float(np.nanmean(resid[:, brand_idx == i])) for i, b in enumerate(BRANDS)}
    xi = resid - np.array([params.brand_intercepts[b] for b in BRANDS])[brand_idx][None, :]
    sales = _market_sales(products, provs, price_q, sku_units)
    size = pd.DataFrame({"period": np.repeat(QUARTERS, len(provs)), "region": np.tile(provs["province"], len(QUARTERS)),
                         "potential_units": np.tile(np.rint(msize).astype(np.int64), len(QUARTERS))})
    pricing = acc.truth()
    return MarketResult(sales, size, listings_table(products, sched), params, agents, delta, xi, price_q,
                        sku_units, targets, pricing)


def _market_sales(products: pd.DataFrame, provs: pd.DataFrame, price_q: np.ndarray, units: np.ndarray) -> pd.DataFrame:
    q, r, j = np.nonzero(units > 0)
    u = units[q, r, j].astype(np.int64)
    price = price_q[q, j]
    df = pd.DataFrame({
        "period": np.array(QUARTERS, dtype=object)[q], "region": provs["province"].to_numpy()[r],
        "brand": products["brand"].to_numpy()[j], "model": products["model"].to_numpy()[j],
        "price_band": np.array(BANDS, dtype=object)[_band_index(price)], "units": u, "revenue": u * price,
    })
    g = (df.groupby(["period", "region", "brand", "model", "price_band"], as_index=False, sort=True)
         [["units", "revenue"]].sum())
    g["revenue"] = g["revenue"].round(0)
    g["avg_price"] = (g["revenue"] / g["units"]).round(2)
    g["source"] = "twin"
    return g[["period", "region", "brand", "price_band", "model", "units", "avg_price", "revenue", "source"]]


# ---------------------------------------------------------------------------------------------- market truth
def market_truth(sales: pd.DataFrame, yoy_period: str = "2024H1") -> dict:
    """market.* exactly as the contract defines them, recounted from the written market_sales rows."""
    df = sales.copy()
    df["year"] = df["period"].str[:4]
    df["half"] = df["year"] + np.where(df["period"].str[-1].isin(["1", "2"]), "H1", "H2")
    df["prem"] = df["price_band"].isin(["4000-5999", "6000+"])
    df["band3"] = df["price_band"].replace({"4000-5999": "4000+", "6000+": "4000+"})
    periods = {}
    for col in ("year", "half"):
        for p, g in df.groupby(col):
            periods[p] = g
    premium_share = {p: float(g.loc[g["prem"], "units"].sum() / g["units"].sum()) for p, g in periods.items()}
    brand_share = {}
    for p, g in periods.items():
        pg = g[g["prem"]]
        brand_share[p] = {b: float(v / pg["units"].sum()) for b, v in pg.groupby("brand")["units"].sum().items()}
    prev = f"{int(yoy_period[:4]) - 1}{yoy_period[4:]}"
    cur_b = periods[yoy_period].groupby("band3")["units"].sum()
    prev_b = periods[prev].groupby("band3")["units"].sum()
    yoy = {b: float(cur_b[b] / prev_b[b] - 1) for b in cur_b.index if b in prev_b.index}
    return {"price_band_yoy": yoy, "premium_share": premium_share, "premium_brand_share": brand_share}


def calibration_table(sales: pd.DataFrame) -> pd.DataFrame:
    """Target vs twin for every calibration figure (the table in docs/twin.md)."""
    mt = market_truth(sales)
    by_q = sales.groupby("period")["units"].sum() / 1e6
    rows = [("2024 units (M)", 285.0, float(by_q[[q for q in by_q.index if q.startswith("2024")]].sum()))]
    rows += [(f"{q} units (M)", v, float(by_q[q])) for q, v in TARGETS["quarter_units_m"].items()]
    rows += [(f"H1 2024 YoY {b}", v, mt["price_band_yoy"][b]) for b, v in TARGETS["yoy_2024H1"].items()]
    rows.append(("premium share 2024H2", TARGETS["premium_share_2024H2"], mt["premium_share"]["2024H2"]))
    for y, shares in TARGETS["premium_brand_share"].items():
        rows += [(f"{b} share of premium {y}", s, mt["premium_brand_share"][y].get(b, 0.0)) for b, s in shares.items()]
    q4 = sales[sales["period"] == "2024Q4"]
    rows.append(("2024Q4 units (M)", 77.4, float(q4["units"].sum() / 1e6)))
    rows.append(("2024Q4 Apple units (M)", 13.1, float(q4.loc[q4["brand"] == "Apple", "units"].sum() / 1e6)))
    rows.append(("2024Q4 Xiaomi+Redmi units (M)", 12.2,
                 float(q4.loc[q4["brand"].isin(["Xiaomi", "Redmi"]), "units"].sum() / 1e6)))
    y24 = sales[sales["period"].str.startswith("2024")]
    for b, s in TARGETS["brand_share_2024"].items():
        rows.append((f"{b} unit share 2024", s, float(y24.loc[y24["brand"] == b, "units"].sum() / y24["units"].sum())))
    return pd.DataFrame(rows, columns=["figure", "target", "twin"])
