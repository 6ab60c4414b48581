"""The market: quarters × provinces, daily prices, calibrated target units, and the tables they give.

1. ``price_schedule``: daily shelf and effective prices per platform × SKU (lifecycle markdowns,
   618 and 双11 discounts, 国补 from 2025-01-20: 15 % off, at most 500 CNY, for phones selling
   at or below 6000 CNY: ``contract.codes.NATIONAL_SUBSIDY``). The quarter's mean effective price is what
   demand sees; its band is the SKU's price band in that quarter.
2. ``calibrate_targets``: top-down targets (quarter totals → makers → price groups → models by Bass
   weights) so the seed paper's figures (``TARGETS``) hold by construction; see docs/twin.md.
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

from upmarket.contract.codes import NATIONAL_SUBSIDY
from upmarket.twin.catalog import BRANDS, REFERENCE_BRAND
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

TARGETS = {
    "quarter_units_m": {"2024Q1": 68.5, "2024Q2": 70.5, "2024Q3": 68.8, "2024Q4": 77.4, "2025Q1": 71.6,
                        "2025Q2": 69.0},
    "yoy_2024H1": {"<2000": -0.19, "2000-3999": -0.10, "4000+": 0.17},
    "premium_share_2024H2": 0.28,
    "premium_brand_share": {"2023": {"Apple": 0.618, "Huawei": 0.21}, "2024": {"Apple": 0.511, "Huawei": 0.31}},
    "q4_2024_units_m": {"Apple": 13.1, "Xiaomi group": 12.2},
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
        subsidised = (d >= np.datetime64(NATIONAL_SUBSIDY.start)) & NATIONAL_SUBSIDY.eligible(pre)
        price = pre - np.where(subsidised, NATIONAL_SUBSIDY.amount(pre), 0.0)
        out_shelf.append(shelf)
        out_price.append(np.round(price, 0))
        out_promo.append(promo + 10 * subsidised)
        ok = (age_months >= 0) & (own_store[None, :] if pf == "mistore" else True)
        listed.append(np.broadcast_to(ok, shelf.shape))
    return {"days": days.to_numpy(), "shelf": np.stack(out_shelf, -1), "price": np.stack(out_price, -1),
            "promo": np.stack(out_promo, -1), "listed": np.stack(listed, -1)}


PROMO_TEXT = {0: None, 1: "618", 2: "双11", 10: "国补", 11: "618,国补", 12: "双11,国补"}


def listings_table(products: pd.DataFrame, sched: dict[str, np.ndarray]) -> pd.DataFrame:
    """The contract ``listings`` table (one row per listed day × platform × SKU), sorted by date, platform, sku_id.

    Built in sorted order directly (products are sorted by sku_id; platforms are visited alphabetically).
    """
    order = np.argsort(np.array(PLATFORMS))
    listed = sched["listed"][:, :, order].transpose(0, 2, 1)  # (days, platforms sorted, SKUs)
    t, k_sorted, j = np.nonzero(listed)
    k = order[k_sorted]
    codes = sched["promo"][t, j, k]
    promo_text = np.array([PROMO_TEXT.get(c) for c in range(max(PROMO_TEXT) + 1)], dtype=object)
    return pd.DataFrame({
        "date": pd.to_datetime(sched["days"]).date[t],
        "platform": np.array(PLATFORMS, dtype=object)[k],
        "sku_id": products["sku_id"].to_numpy()[j],
        "list_price": sched["shelf"][t, j, k],
        "price": sched["price"][t, j, k],
        "promo": promo_text[codes],
    })


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


QUARTER_UNITS_M = {"2023Q3": 68.0, "2023Q4": 75.0, **TARGETS["quarter_units_m"]}
"""Quarter totals (millions). 2023Q1/Q2 are not given: they follow from the 2024H1 band YoY targets."""
H1_2023_SPLIT = (0.507, 0.493)
"""How the derived 2023H1 total splits over Q1 and Q2."""
PREMIUM_SHARE = {"2023Q1": 0.225, "2023Q2": 0.225, "2023Q3": 0.235, "2023Q4": 0.265, "2024Q3": 0.260,
                 "2024Q4": 0.300, "2025Q1": 0.300, "2025Q2": 0.295}
"""Premium (≥ 4000 CNY) share of units per quarter; 2024H1 follows from the +17 % premium YoY target."""
LOW_SHARE = {"2023Q1": 0.38, "2023Q2": 0.38, "2023Q3": 0.37, "2023Q4": 0.35, "2024Q3": 0.33, "2024Q4": 0.31,
             "2025Q1": 0.31, "2025Q2": 0.32}
"""< 2000 CNY share of units per quarter; 2024H1 follows from the −19 % YoY target. 2000–3999 is the rest."""
APPLE_SEASON = {1: 1.02, 2: 0.88, 3: 0.90, 4: 1.18}
"""Apple's unit share by quarter of the year, relative (iPhones launch in September: Q4 is the peak)."""
MAKER_SHARE = {  # non-Apple makers' unit shares (%), renormalised each quarter to what Apple leaves
    "Huawei": (12.5, 13.0, 13.5, 14.5, 15.5, 16.0, 16.5, 17.5, 18.0, 18.0),
    "Xiaomi": (15.0, 15.0, 15.0, 14.5, 14.5, 15.0, 15.0, 15.8, 15.5, 15.5),  # Xiaomi + Redmi
    "vivo": (19.0, 19.0, 19.0, 18.0, 18.0, 18.5, 18.0, 17.0, 17.5, 18.0),
    "OPPO": (18.0, 18.0, 17.5, 17.0, 16.5, 17.0, 16.5, 16.0, 16.5, 17.0),
    "Honor": (18.0, 18.5, 18.5, 17.5, 17.5, 17.5, 17.0, 16.3, 16.5, 16.5),
}
HUAWEI_PREMIUM_RAMP = 0.0
"""Huawei's premium fraction of its units rises by this much (relative) each quarter within a year."""
DELIST_FRACTION = 0.12
"""Models leave the shelves once a quarter's Bass increment is below this fraction of their best quarter."""
MAKERS: tuple[str, ...] = ("Apple", "Huawei", "Xiaomi", "vivo", "OPPO", "Honor")
GROUPS: tuple[str, ...] = ("<2000", "2000-3999", "4000+")


def prior_m(mods: pd.DataFrame) -> np.ndarray:
    """Natural lifetime size per model (millions): by price tier, brand and form factor.

    Only ratios within a maker × price group × quarter matter: the plan fixes the cell totals.
    """
    price = mods["min_price"].to_numpy(float)
    name = mods["model"].str
    m0 = np.select([price >= 6000, price >= 4000, price >= 2000], [2.0, 3.0, 10.0], 22.0)
    apple = mods["brand"].eq("Apple").to_numpy()
    pro = name.contains("Pro").to_numpy()
    m0 = np.where(apple, np.where(pro, 16.0, 24.0), m0)
    m0 = np.where(apple & name.contains("Plus|16e").to_numpy(), 7.0, m0)
    m0 = np.where(mods["brand"].eq("Huawei").to_numpy() & (price >= 4000), 9.0, m0)
    m0 = np.where(mods["brand"].eq("Redmi").to_numpy() & name.contains("Note").to_numpy(), 26.0, m0)
    xiaomi = mods["brand"].eq("Xiaomi").to_numpy()
    m0 = np.where(xiaomi, np.select([name.contains("Ultra").to_numpy(), pro], [6.0, 11.0], 22.0), m0)
    m0 = np.where(xiaomi & name.contains("Civi").to_numpy(), 12.0, m0)
    m0 = np.where(mods["foldable"].to_numpy(bool), 1.0, m0)
    return m0


@dataclass
class Targets:
    units: np.ndarray  # (quarters, SKUs) national target units
    m: pd.Series  # lifetime units per model (fitted to its planned quarterly units given its Bass p, q)
    bass: pd.DataFrame
    season: pd.Series  # total units per quarter (millions)
    plan: pd.DataFrame  # quarter × maker × group planned units (millions)


def _fill_quarterly(spec: dict[str, float], h1_2024: float) -> np.ndarray:
    return np.array([spec.get(q, h1_2024) for q in QUARTERS])


def market_plan(natural: pd.DataFrame) -> dict[str, np.ndarray]:
    """Top-down plan per quarter: totals, price-group totals, Apple and Huawei units and premium units.

    ``natural`` has, per quarter (rows) and column ``Apple_prem_frac``: the premium fraction of Apple's natural
    (Bass-weighted) units, so that Apple's planned premium units are exactly what its line-up sells there.
    """
    y = TARGETS["yoy_2024H1"]
    low23, prem23 = LOW_SHARE["2023Q1"], PREMIUM_SHARE["2023Q1"]
    mid23 = 1 - low23 - prem23
    h1_24 = TARGETS["quarter_units_m"]["2024Q1"] + TARGETS["quarter_units_m"]["2024Q2"]
    h1_23 = h1_24 / ((1 + y["<2000"]) * low23 + (1 + y["2000-3999"]) * mid23 + (1 + y["4000+"]) * prem23)
    units = dict(QUARTER_UNITS_M)
    units["2023Q1"], units["2023Q2"] = h1_23 * H1_2023_SPLIT[0], h1_23 * H1_2023_SPLIT[1]
    total = np.array([units[q] for q in QUARTERS])
    prem = _fill_quarterly(PREMIUM_SHARE, (1 + y["4000+"]) * prem23 * h1_23 / h1_24)
    low = _fill_quarterly(LOW_SHARE, (1 + y["<2000"]) * low23 * h1_23 / h1_24)
    groups = np.stack([low, 1 - low - prem, prem], axis=1) * total[:, None]  # (Q, 3)
    year = np.array([q[:4] for q in QUARTERS])
    qoy = np.array([int(q[-1]) for q in QUARTERS])
    pbs = TARGETS["premium_brand_share"]
    # Apple: share path = level(year) × season; levels chosen so Apple's premium units hit the targets
    pi_a = natural["Apple_prem_frac"].to_numpy()
    shape = np.array([APPLE_SEASON[k] for k in qoy]) * total
    apple = np.zeros(len(QUARTERS))
    m23 = year == "2023"
    apple[m23] = shape[m23] * pbs["2023"]["Apple"] * groups[m23, 2].sum() / (shape[m23] * pi_a[m23]).sum()
    q4 = QUARTERS.index("2024Q4")
    apple[q4] = TARGETS["q4_2024_units_m"]["Apple"]
    m24 = (year == "2024") & (np.arange(len(QUARTERS)) != q4)
    rest = pbs["2024"]["Apple"] * groups[year == "2024", 2].sum() - apple[q4] * pi_a[q4]
    apple[m24] = shape[m24] * rest / (shape[m24] * pi_a[m24]).sum()
    m25 = year == "2025"
    level24 = (apple[year == "2024"] / shape[year == "2024"]).mean()
    apple[m25] = shape[m25] * level24 * 0.97
    # other makers: shares renormalised to what Apple leaves; 2024Q4 Xiaomi group fixed at the target
    share = np.array([MAKER_SHARE[m] for m in MAKERS[1:]], dtype=float).T  # (Q, 5)
    makers = share / share.sum(axis=1, keepdims=True) * (total - apple)[:, None]
    xi = MAKERS.index("Xiaomi") - 1
    others = [k for k in range(share.shape[1]) if k != xi]
    makers[q4, xi] = TARGETS["q4_2024_units_m"]["Xiaomi group"]
    makers[q4, others] = share[q4, others] / share[q4, others].sum() * (total[q4] - apple[q4] - makers[q4, xi])
    huawei = makers[:, 0]
    # Huawei premium units: a within-year ramp scaled to the premium brand share targets
    ramp = (1 + HUAWEI_PREMIUM_RAMP) ** (qoy - 1) * huawei
    hp = np.zeros(len(QUARTERS))
    for yr in ("2023", "2024"):
        m = year == yr
        hp[m] = ramp[m] * pbs[yr]["Huawei"] * groups[m, 2].sum() / ramp[m].sum()
    frac24q4 = hp[q4] / huawei[q4]
    hp[m25] = huawei[m25] * frac24q4 * (1 + HUAWEI_PREMIUM_RAMP) ** (qoy[m25] - 1)
    return {"total": total, "groups": groups, "apple": apple, "apple_prem": apple * pi_a, "makers": makers,
            "huawei_prem": hp}


def _ipf(seed: np.ndarray, rows: np.ndarray, cols: np.ndarray, n_iter: int = 500) -> np.ndarray:
    """Iterative proportional fitting of a non-negative table to row and column totals."""
    x = seed.copy()
    for _ in range(n_iter):
        x *= (rows / np.maximum(x.sum(axis=1), 1e-300))[:, None]
        x *= (cols / np.maximum(x.sum(axis=0), 1e-300))[None, :]
        if np.abs(x.sum(axis=1) - rows).max() < 1e-9 * rows.sum():
            break
    return x


def bass_increments(mods: pd.DataFrame, bass: pd.DataFrame) -> np.ndarray:
    """ΔF per quarter and model: the share of the model's lifetime sales falling in each quarter (Q, K)."""
    qb = quarter_bounds()
    launch = pd.to_datetime(mods["launch_date"]).to_numpy()
    wk = lambda ts: (ts[:, None] - launch[None, :]) / np.timedelta64(7, "D")  # noqa: E731
    t0, t1 = wk(qb["start"].to_numpy()), wk((qb["end"] + pd.Timedelta(days=1)).to_numpy())
    pq = bass.set_index("model").loc[mods["model"], ["p", "q"]].to_numpy()
    return bass_cdf(t1, pq[:, 0], pq[:, 1]) - bass_cdf(t0, pq[:, 0], pq[:, 1])


REVIEW_DEMAND: dict[str, float] = {"camera": 1.0}
"""Planted review → demand effect: within its quarter × brand × price group (``review_reweight``), a model's natural
units get the factor exp(Σ_a β_a · (s_ma − s⁰_ma)), s_ma its true expected net review sentiment on aspect a
(``twin.voice.model_review_scores``, in [−1, 1]) and s⁰_ma the same without its planted review quality
(``twin.voice.REVIEW_QUALITY_SD``): demand answers the part of review quality that brand and specs do not already
carry (the brand's reputation is in its intercept, the camera spec in β_camera). A log-unit moves δ by about 0.7 util
here, so 1.0 log-unit per unit of net camera sentiment is worth about 80 CNY per +0.1 at ᾱ ≈ 0.9 per 1000 CNY (a
model whose camera reviews go from half to all net positive, +0.5, is worth ~390 CNY more: 5-15 % of a mid-range
phone's price); the identified figure is truth ``pricing.review_wtp_cny`` (783 CNY per unit on the demo twin, seed 7).
Why not larger: the units it moves change the models' fitted Bass lifetime sizes, and above ~1.05 more than a tenth
of them leave their plausible ranges (tests/twin/test_core.py)."""


def review_weight(products: pd.DataFrame) -> np.ndarray:
    """Per-SKU demand weight exp(Σ_a β_a (s_ma − s⁰_ma)) of ``REVIEW_DEMAND`` (1 when it is empty)."""
    from upmarket.twin.voice import model_review_scores

    if not REVIEW_DEMAND:
        return np.ones(len(products))
    aspects = tuple(REVIEW_DEMAND)
    gap = model_review_scores(products, aspects) - model_review_scores(products, aspects, review_quality=False)
    log_w = gap.to_numpy() @ np.array(list(REVIEW_DEMAND.values()))
    return np.exp(pd.Series(log_w, index=gap.index).reindex(products["model"].astype(str)).to_numpy())


def review_reweight(w: np.ndarray, factor: np.ndarray, brand: pd.Series, grp: np.ndarray) -> np.ndarray:
    """Natural weights (Q, J) × the review factor (J,), rescaled so every quarter × brand × price-group total is
    unchanged: reviews move units between a brand's models of a price group, never between brands or groups, so the
    market plan (and every brand-level calibration figure) is exactly what it is without them."""
    cell = brand.map({b: i for i, b in enumerate(BRANDS)}).to_numpy()[None, :] * len(GROUPS) + grp
    qi = np.broadcast_to(np.arange(w.shape[0])[:, None], w.shape)
    wf = w * factor[None, :]
    before = np.zeros((w.shape[0], len(BRANDS) * len(GROUPS)))
    after = np.zeros_like(before)
    np.add.at(before, (qi, cell), w)
    np.add.at(after, (qi, cell), wf)
    scale = np.divide(before, after, out=np.zeros_like(before), where=after > 0)
    return wf * scale[qi, cell]


def review_wtp_truth(rows: pd.DataFrame, products: pd.DataFrame, alpha: float,
                     aspects: tuple[str, ...] = ("camera", "battery")) -> dict[str, float]:
    """What an estimator identifies for the review WTP (CNY per unit of net review sentiment), per aspect.

    As for the brand premium: OLS over the product-market rows of the row's brand utility + ξ (``v``) on the model's
    true expected review score, a constant, brand × price-band and period dummies and the demand analysis's
    second-stage characteristics (camera, performance per 10 points, log2 storage/128, foldable; the mean over the
    model's SKUs whose list-price band is the row's band, else over all its SKUs), divided by ᾱ, × 1000 — the
    regression ``analyses.demand.reviews.review_wtp`` runs on estimated δ and scores. An aspect without a planted
    demand effect (battery) has a truth near zero: what a test of no effect recovers.
    """
    from upmarket.twin.voice import model_review_scores

    scores = model_review_scores(products, aspects)
    p = products.assign(camera=products["camera_score"] / 10, performance=products["performance_score"] / 10,
                        storage=np.log2(products["storage_gb"] / 128), foldable=products["foldable"].astype(float),
                        band=_band_index(products["list_price"].to_numpy(float)))
    chars = ["camera", "performance", "storage", "foldable"]
    by_band = p.groupby(["model", "band"])[chars].mean()
    by_model = p.groupby("model")[chars].mean()
    key = pd.MultiIndex.from_arrays([rows["model"], rows["band"]])
    x = by_band.reindex(key).to_numpy()
    x = np.where(np.isnan(x), by_model.reindex(rows["model"]).to_numpy(), x)
    cell = pd.factorize(rows["brand"].astype(str) + "|" + rows["band"].astype(str), sort=True)[0]
    dummies = np.eye(cell.max() + 1)[cell][:, 1:]  # brand × price band
    period = pd.factorize(rows["q"], sort=True)[0]
    periods = np.eye(period.max() + 1)[period][:, 1:]
    s = scores.reindex(rows["model"]).to_numpy()
    out = {}
    for i, a in enumerate(aspects):
        design = np.column_stack([np.ones(len(rows)), dummies, periods, x, s[:, i]])
        coef = np.linalg.lstsq(design, rows["v"].to_numpy(float), rcond=None)[0]
        out[a] = float(coef[-1] / alpha * 1000)
    return out


BASS_EXACT_FROM = date(2024, 1, 1)
"""Start of the twin's observation window (``twin.run.OBS_START``): see ``pinned_models``."""
BASS_MIN_QUARTERS = 4
"""Quarters of sales a launch needs in the window to be pinned to its Bass curve (the analysis's ``min_points``)."""


def pinned_models(mods: pd.DataFrame) -> np.ndarray:
    """Models pinned to their Bass curve: launched in the observation window with at least ``BASS_MIN_QUARTERS``
    quarters of sales in it (the ones a Bass fit on quarterly data can identify). Later launches, like older models,
    absorb the plan's quarter-to-quarter scale."""
    launch = pd.to_datetime(mods["launch_date"])
    last_start = quarter_bounds()["start"].iloc[len(QUARTERS) - BASS_MIN_QUARTERS]
    return ((launch >= pd.Timestamp(BASS_EXACT_FROM)) & (launch < last_start + pd.DateOffset(months=3))).to_numpy()


def pinned_sizes(m_plain: np.ndarray, review: np.ndarray, k_of: np.ndarray) -> np.ndarray:
    """Lifetime size m' = m · factor per model: its review-free size times its review factor (``review_weight``).

    Why not the size fitted to the review-reweighted plan: ``review_reweight`` renormalises within quarter × brand ×
    price group, and a new launch is often most of its cell, so its own factor cancels and pinning to that fit would
    erase the planted review → units effect for the launches."""
    factor = np.ones(len(m_plain))
    factor[k_of] = review  # one factor per model (the same for each of its SKUs)
    return m_plain * factor


PIN_OLD_RANGE = (0.25, 4.0)
"""``pin_bass`` rescales a cell's older models by at most this range; beyond it the cell keeps its planned units."""
PIN_POOL_MAKERS = np.array([MAKERS.index(m) for m in ("vivo", "OPPO", "Honor")])
"""Makers without brand-share targets: ``pin_bass`` lets their older models absorb other cells' rest."""


def _bass_m(units: np.ndarray, A: np.ndarray, k_of: np.ndarray, n_models: int) -> np.ndarray:
    """Least-squares lifetime size per model of its quarterly units (summed over SKUs) on its Bass increments ΔF."""
    u_k = np.zeros((units.shape[0], n_models))
    np.add.at(u_k.T, k_of, units.T)
    return (u_k * A).sum(axis=0) / np.maximum((A**2).sum(axis=0), 1e-300)


def pin_bass(units: np.ndarray, w: np.ndarray, m: np.ndarray, dF: np.ndarray, k_of: np.ndarray, pinned: np.ndarray,
             maker: np.ndarray, grp: np.ndarray) -> np.ndarray:
    """Units (Q, J) in which every ``pinned`` model sells exactly m_k · ΔF_kt in quarter t, while every quarter ×
    maker × price-group total stays as planned.

    Why: the plan scales each maker × group cell by a factor that changes from quarter to quarter, which would make a
    model's quarterly units Bass × that factor, not the planted Bass curve. A pinned model's units are split over its
    SKUs by their natural weights ``w``; the cell's other (older) models take the rest in proportion to their units.
    A cell with no older model on sale, or whose older models would need a scale outside ``PIN_OLD_RANGE``, passes
    its rest (if its maker is in ``PIN_POOL_MAKERS``) to those makers' older models of its group; failing that it
    keeps its planned units (its pinned models are Bass × the cell's scale in that quarter). ``dF`` is 0 once delisted.
    """
    out = units.copy()
    n_q = units.shape[0]
    wk = np.zeros((n_q, len(m)))
    np.add.at(wk.T, k_of, w.T)
    share = np.divide(w, wk[:, k_of], out=np.zeros_like(w), where=wk[:, k_of] > 0)
    target = m[k_of][None, :] * dF[:, k_of] * share * (wk[:, k_of] > 0)
    pin_j = pinned[k_of]
    for qi in range(n_q):
        cell = maker * len(GROUPS) + grp[qi]
        failed = np.zeros(len(maker), dtype=bool)
        for c in np.unique(cell):
            in_c = cell == c
            pin_c, old_c = in_c & pin_j, in_c & ~pin_j
            rest = units[qi, in_c].sum() - target[qi, pin_c].sum()
            old = units[qi, old_c].sum()
            if not pin_c.any():
                continue
            if old <= 0 or not PIN_OLD_RANGE[0] <= rest / old <= PIN_OLD_RANGE[1]:
                failed |= pin_c
                continue
            out[qi, pin_c] = target[qi, pin_c]
            out[qi, old_c] = units[qi, old_c] * rest / old
        # second chance, among makers without unit or share targets: older models of the same price group take the
        # rest (every group total stays; those makers' shares move by the residual)
        failed &= np.isin(maker, PIN_POOL_MAKERS)
        for g in np.unique(grp[qi][failed]):
            pin_g = failed & (grp[qi] == g)
            pool = (grp[qi] == g) & ~pin_j & np.isin(maker, PIN_POOL_MAKERS) & ~np.isin(cell, cell[pin_g])
            rest = units[qi, pin_g].sum() - target[qi, pin_g].sum()
            old = out[qi, pool].sum()
            if old <= 0 or not PIN_OLD_RANGE[0] <= (old + rest) / old <= PIN_OLD_RANGE[1]:
                continue
            out[qi, pin_g] = target[qi, pin_g]
            out[qi, pool] *= (old + rest) / old
    return out


def calibrate_targets(products: pd.DataFrame, price_q: np.ndarray, avail: np.ndarray,
                      bass_jitter: np.random.Generator | None = None) -> Targets:
    """Target units per (quarter, SKU), built top-down so the seed paper's figures hold by construction.

    quarter totals → maker units → price-group split per maker (Apple's and Huawei's premium units fixed
    by the premium brand-share targets, the rest by iterative proportional fitting to the group totals)
    → SKUs within maker × group by natural weights (prior lifetime size × Bass increment × config weight); launches
    with four quarters in the window then sell exactly their Bass curve (``pin_bass``). ``bass_jitter`` draws the
    per-model jitter of p and q (``twin.launch.bass_params``); None keeps the fixed answer key.
    """
    mods = catalog_models()
    bass = bass_params(mods, bass_jitter)
    k_of = products["model"].map({m: i for i, m in enumerate(mods["model"])}).to_numpy()
    A = bass_increments(mods, bass)
    m0 = prior_m(mods)
    # a model is delisted once its quarterly sales fall below DELIST_FRACTION of its best quarter
    weeks = np.arange(0, 400, 1.0)
    pq_ = bass.set_index("model").loc[mods["model"], ["p", "q"]].to_numpy()
    f = bass_cdf(weeks[:, None], pq_[:, 0], pq_[:, 1])
    peak = (f[13:] - f[:-13]).max(axis=0)
    on_sale = DELIST_FRACTION * peak[None, :] <= A
    launched = np.cumsum(A > 0, axis=0) > 0
    on_sale = on_sale | (launched & (np.cumsum(on_sale, axis=0) == 0))  # the launch ramp is always on sale
    w = A[:, k_of] * m0[k_of][None, :] * products["_config_weight"].to_numpy()[None, :] * avail * on_sale[:, k_of]
    grp = np.minimum(_band_index(price_q), 2)  # (Q, J): 0 <2000, 1 2000-3999, 2 4000+
    review = review_weight(products)
    w_plain = w
    w = review_reweight(w, review, products["brand"], grp)  # better-reviewed models sell more
    maker = products["maker"].map({m: i for i, m in enumerate(MAKERS)}).to_numpy()
    nat = np.zeros((len(QUARTERS), len(MAKERS), len(GROUPS)))
    for qi in range(len(QUARTERS)):
        np.add.at(nat[qi], (maker, grp[qi]), w[qi])
    apple_frac = nat[:, 0, 2] / nat[:, 0].sum(axis=1)
    plan = market_plan(pd.DataFrame({"Apple_prem_frac": apple_frac}, index=list(QUARTERS)))
    cells = np.zeros_like(nat)
    for qi in range(len(QUARTERS)):
        a_tot, a_prem = plan["apple"][qi], plan["apple_prem"][qi]
        non = nat[qi, 0, :2]
        cells[qi, 0, 2] = a_prem
        cells[qi, 0, :2] = (a_tot - a_prem) * non / max(non.sum(), 1e-300)
        hp = plan["huawei_prem"][qi]
        cells[qi, 1, 2] = hp
        seed = nat[qi, 1:].copy()
        seed[0, 2] = 0.0  # Huawei's premium cell is fixed
        rows = plan["makers"][qi].copy()
        rows[0] -= hp
        cols = plan["groups"][qi] - cells[qi, 0] - np.array([0.0, 0.0, hp])
        if (cols < 0).any() or (rows < 0).any():
            raise RuntimeError(f"market plan infeasible in {QUARTERS[qi]}: rows {rows}, cols {cols}")
        fit = _ipf(seed, rows, cols)
        fit[0, 2] = hp
        cells[qi, 1:] = fit
    scale = np.where(nat > 0, cells / np.where(nat > 0, nat, 1.0), 0.0)  # (Q, makers, groups)
    units = w * scale[np.arange(len(QUARTERS))[:, None], maker[None, :], grp] * 1e6
    # lifetime size m per model: least squares fit of its planned quarterly units to m · ΔF (its Bass curve)
    m_fit = _bass_m(units, A, k_of, len(mods))
    pinned = pinned_models(mods)
    # a pinned launch's size is its review-free size times its review factor (constant over its life), so the review
    # effect survives pinning: its series stays m'·ΔF with m' = m · factor (see pinned_sizes)
    m_plain = _bass_m(w_plain * scale[np.arange(len(QUARTERS))[:, None], maker[None, :], grp] * 1e6, A, k_of,
                      len(mods))
    m_pin = np.where(pinned, pinned_sizes(m_plain, review, k_of), m_fit)
    units = pin_bass(units, w, m_pin, A * on_sale, k_of, pinned, maker, grp)
    # truth m: what a pinned launch's units trace (m'), else the size fitted to its planned units
    m_fit = np.where(pinned, m_pin, _bass_m(units, A, k_of, len(mods)))
    plan_df = pd.DataFrame(
        [(q, mk, g, cells[qi, mi, gi] / 1.0) for qi, q in enumerate(QUARTERS) for mi, mk in enumerate(MAKERS)
         for gi, g in enumerate(GROUPS)], columns=["quarter", "maker", "group", "units_m"])
    return Targets(units=units, m=pd.Series(m_fit, index=mods["model"]), bass=bass,
                   season=pd.Series(plan["total"], index=list(QUARTERS)), plan=plan_df)


# ---------------------------------------------------------------------------------------------- prices by province
LOCAL_PRICE_SD = {"province_quarter": 0.02, "brand_province_quarter": 0.025, "sku": 0.01}
"""Log price deviations of a province's street price from the national mean: local promotions, distributor
margins and, from 2025, local top-ups of 国补. Drawn independently of everything else (valid instruments)."""
LOCAL_SUBSIDY_TOPUP = 0.04
"""From 2025Q1, each province adds U(0, 0.04) of extra local subsidy (a log price cut)."""


VALID_INSTRUMENTS = (
    "Province street-price deviations from the product's national quarter price (local promotions, distributor "
    "margins, local 国补 top-ups) are drawn independently of ξ: log(p_jrt) − mean_r log(p_jrt) and functions of it "
    "(e.g. the deviation of the same model's price in other provinces' promotions, or the province-quarter mean "
    "deviation) are valid. ξ varies by product × quarter only, so product × quarter effects absorb it entirely. "
    "National prices (list price, markdown by age, 618/双11, national 国补) are NOT independent of ξ: the targets "
    "are built top-down, so ξ_jt absorbs what national price moves would have done; Hausman prices (the same "
    "product in other provinces) therefore carry ξ_jt and are invalid, and characteristic-based (BLP / "
    "differentiation) instruments are only approximately valid (ξ̄ differs by brand and quarter)."
)
"""Which price instruments are valid in the twin (written to truth.params.demand.valid_instruments)."""


def province_prices(price_q: np.ndarray, products: pd.DataFrame, n_prov: int, rng: np.random.Generator) -> np.ndarray:
    """Street prices (Q, P, J), CNY: national quarter price × exp(−local shock), kept inside the national band."""
    n_q, n_j = price_q.shape
    brand = products["brand"].map({b: i for i, b in enumerate(BRANDS)}).to_numpy()
    z = rng.normal(0, LOCAL_PRICE_SD["province_quarter"], (n_q, n_prov, 1))
    z = z + rng.normal(0, LOCAL_PRICE_SD["brand_province_quarter"], (n_q, n_prov, len(BRANDS)))[:, :, brand]
    z = z + rng.normal(0, LOCAL_PRICE_SD["sku"], (n_q, n_prov, n_j))
    in_2025 = np.array([q.startswith("2025") for q in QUARTERS])
    z = z + (in_2025[:, None, None] * rng.uniform(0, LOCAL_SUBSIDY_TOPUP, (1, n_prov, 1)))
    p = np.nan_to_num(price_q)[:, None, :] * np.exp(-z)
    band = _band_index(price_q)
    lo = np.array([0.0, 2000.0, 4000.0, 6000.0])[band][:, None, :]
    hi = np.array([1999.0, 3999.0, 5999.0, np.inf])[band][:, None, :]
    return np.where(np.isnan(price_q)[:, None, :], np.nan, np.round(np.clip(p, lo, hi), 0))


# ---------------------------------------------------------------------------------------------- the market
PLANTED_PREMIUM_CNY = {"Redmi": 0.0, "Xiaomi": 700.0, "Huawei": 2000.0, "Apple": 2500.0, "OPPO": 500.0,
                       "vivo": 600.0, "Honor": 400.0}
"""Planted brand intercepts, in CNY against Redmi at the mean price coefficient (β_b = ᾱ · premium + const)."""


@dataclass
class MarketResult:
    market_sales: pd.DataFrame
    market_size: pd.DataFrame
    listings: pd.DataFrame
    params: DemandParams
    agents: Agents
    delta: np.ndarray  # (Q, J) national mean utility at the national price
    xi: np.ndarray  # (Q, J)
    price_q: np.ndarray  # CNY (Q, J) national
    sku_units: np.ndarray  # (Q, P, J) integer units
    targets: Targets
    pricing: dict
    price_qr: np.ndarray | None = None  # CNY (Q, P, J) province street prices
    rows: pd.DataFrame | None = None  # product-market rows with ξ_row (truth of what brand dummies identify)


def simulate_market(products: pd.DataFrame, rng: np.random.Generator, n_agents: int = 200,
                    progress=None, bass_jitter: np.random.Generator | None = None) -> MarketResult:
    """Run the calibrated demand model over every quarter and province; build the market tables.

    ``bass_jitter``: a generator for the launch curves' per-model jitter (recovery tests over planted curves); None,
    the twin's default, keeps the fixed answer key, so a run seed changes the market's draws but not its Bass curves
    (and every other truth that rests on them, e.g. the review → units regression, stays as it was)."""
    provs = province_table()
    agents = Agents.draw(provs, n_agents, rng)
    params = init_params(agents)
    tastes = taste_tables(agents)
    sched = price_schedule(products)
    price_q, avail = quarterly_prices(sched)
    targets = calibrate_targets(products, price_q, avail, bass_jitter)
    avail = avail & (targets.units > 0.5)
    price_qr = province_prices(price_q, products, len(provs), rng)
    msize = provs["people_m"].to_numpy() / provs["people_m"].sum() * SMARTPHONE_USERS
    brand_idx = products["brand"].map({b: i for i, b in enumerate(BRANDS)}).to_numpy()
    cam = products["camera_score"].to_numpy() / 10
    perf = products["performance_score"].to_numpy() / 10
    storage = np.log2(products["storage_gb"].to_numpy() / 128)
    band = _band_index(price_q)
    delta = np.zeros_like(price_q)
    expected = np.zeros((len(QUARTERS), len(provs), len(products)))
    acc = PricingAccumulator()
    for qi in range(len(QUARTERS)):
        p_r = np.nan_to_num(price_qr[qi]) / 1000
        prod = Products(brand_idx, cam, perf, p_r, band[qi], avail[qi])
        mu_ = mu(agents, prod, params, tastes)
        offset = -params.alpha_mean * (p_r - np.nan_to_num(price_q[qi])[None, :] / 1000)
        delta[qi] = solve_delta(targets.units[qi], msize, mu_, avail[qi], offset=offset)
        s = agent_shares(delta[qi], mu_, avail[qi], offset)
        expected[qi] = msize[:, None] * s.mean(axis=1)
        acc.add(s, agents, prod, msize)
        if progress is not None:
            progress(1)
    sku_units = np.rint(expected)
    x_part = params.beta_camera * cam + params.beta_perf * perf + params.beta_storage * storage
    resid = np.where(avail, delta + params.alpha_mean * np.nan_to_num(price_q) / 1000 - x_part[None, :], np.nan)
    rows = _product_market_rows(products, provs, delta, price_q, price_qr, sku_units, x_part, params)
    # identified brand utility (β_b + ξ̄_b) = brand mean over rows of δ_row − X_row·β + ᾱ·p_row
    ident = rows.groupby("brand")["v"].mean()
    const = float(ident[REFERENCE_BRAND])
    params.brand_intercepts = {b: const + params.alpha_mean * PLANTED_PREMIUM_CNY[b] / 1000 for b in BRANDS}
    beta_b = np.array([params.brand_intercepts[b] for b in BRANDS])
    rows["xi"] = rows["v"] - rows["brand"].map(params.brand_intercepts)
    params.xi_brand_mean = {b: float(ident[b] - params.brand_intercepts[b]) for b in BRANDS}
    xi = resid - beta_b[brand_idx][None, :]
    sales = _market_sales(products, provs, price_qr, sku_units)
    size = pd.DataFrame({"period": np.repeat(QUARTERS, len(provs)), "region": np.tile(provs["province"], len(QUARTERS)),
                         "potential_units": np.tile(np.rint(msize).astype(np.int64), len(QUARTERS))})
    pricing = acc.truth()
    return MarketResult(sales, size, listings_table(products, sched), params, agents, delta, xi, price_q,
                        sku_units, targets, pricing, price_qr, rows)


def _product_market_rows(products: pd.DataFrame, provs: pd.DataFrame, delta: np.ndarray, price_q: np.ndarray,
                         price_qr: np.ndarray, units: np.ndarray, x_part: np.ndarray,
                         params: DemandParams) -> pd.DataFrame:
    """The demand estimator's observations: (quarter, province, model, band) rows of market_sales.

    Per row: δ_row = log Σ_j exp(δ_jr) over the row's SKUs (the mean utility a logit over rows sees),
    X_row·β = mean over the row's SKUs, p_row = units-weighted street price; ``v`` = δ_row − X_row·β + ᾱ·p_row
    is the row's brand utility β_b + ξ_row.
    """
    q, r, j = np.nonzero(units > 0)
    p_jr = price_qr[q, r, j] / 1000
    d_jr = delta[q, j] - params.alpha_mean * (p_jr - price_q[q, j] / 1000)
    df = pd.DataFrame({"q": q, "r": r, "model": products["model"].to_numpy()[j],
                       "brand": products["brand"].to_numpy()[j], "band": _band_index(price_qr[q, r, j]),
                       "e": np.exp(d_jr), "x": x_part[j], "u": units[q, r, j], "pu": p_jr * units[q, r, j]})
    g = df.groupby(["q", "r", "brand", "model", "band"], sort=True).agg(
        e=("e", "sum"), x=("x", "mean"), u=("u", "sum"), pu=("pu", "sum")).reset_index()
    g["price"] = g["pu"] / g["u"]
    g["v"] = np.log(g["e"]) - g["x"] + params.alpha_mean * g["price"]
    return g[["q", "r", "brand", "model", "band", "u", "price", "v"]]


def _market_sales(products: pd.DataFrame, provs: pd.DataFrame, price_qr: np.ndarray, units: np.ndarray) -> pd.DataFrame:
    q, r, j = np.nonzero(units > 0)
    u = units[q, r, j].astype(np.int64)
    price = price_qr[q, r, j]
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
    return pd.DataFrame(rows, columns=["figure", "target", "twin"])
