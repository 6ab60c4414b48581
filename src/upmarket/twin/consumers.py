"""Synthetic Chinese smartphone consumers: where they live, who they are, and their latent segment.

A consumer's segment (value seekers, imaging enthusiasts, performance gamers, status/business
buyers) depends on city tier, age and gender, and sets the tastes the demand model uses: the
price coefficient (segment × city tier, lognormal heterogeneity), brand tastes, camera and
performance tastes, and which review aspects the person cares about. The same draws feed demand
(agents per province), the channel panel (``users``), the conjoint and loyalty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from upmarket.twin.catalog import BRANDS

TIERS: tuple[str, ...] = ("tier1", "new_tier1", "tier2", "tier3", "tier4", "tier5")
AGE_BANDS: tuple[str, ...] = ("<18", "18-24", "25-34", "35-44", "45-54", "55+")
SEGMENTS: tuple[str, ...] = ("value", "imaging", "gamer", "status")
ASPECTS: tuple[str, ...] = ("camera", "performance", "system", "battery", "design", "screen", "price", "service")

# city, province, tier, people (millions; the rural remainder of a province is its tier5 entry)
CITIES: tuple[tuple[str, str, str, float], ...] = (
    ("北京", "Beijing", "tier1", 21.9),
    ("上海", "Shanghai", "tier1", 24.9),
    ("广州", "Guangdong", "tier1", 18.8), ("深圳", "Guangdong", "tier1", 17.8),
    ("东莞", "Guangdong", "new_tier1", 10.5),
    ("佛山", "Guangdong", "new_tier1", 9.6), ("惠州", "Guangdong", "tier2", 6.1), ("汕头", "Guangdong", "tier3", 5.5),
    ("湛江", "Guangdong", "tier3", 7.0), ("梅州", "Guangdong", "tier4", 3.9), ("云浮", "Guangdong", "tier5", 41.0),
    ("杭州", "Zhejiang", "new_tier1", 12.5), ("宁波", "Zhejiang", "new_tier1", 9.6), ("温州", "Zhejiang", "tier2", 9.7),
    ("金华", "Zhejiang", "tier2", 7.1), ("湖州", "Zhejiang", "tier3", 3.4), ("丽水", "Zhejiang", "tier4", 2.5),
    ("舟山", "Zhejiang", "tier5", 21.0),
    ("南京", "Jiangsu", "new_tier1", 9.5), ("苏州", "Jiangsu", "new_tier1", 12.9), ("无锡", "Jiangsu", "tier2", 7.5),
    ("徐州", "Jiangsu", "tier2", 9.0), ("盐城", "Jiangsu", "tier3", 6.7), ("宿迁", "Jiangsu", "tier4", 5.0),
    ("连云港", "Jiangsu", "tier5", 34.5),
    ("济南", "Shandong", "tier2", 9.4), ("青岛", "Shandong", "new_tier1", 10.3), ("潍坊", "Shandong", "tier2", 9.4),
    ("临沂", "Shandong", "tier2", 11.0), ("济宁", "Shandong", "tier3", 8.3), ("菏泽", "Shandong", "tier4", 8.7),
    ("滨州", "Shandong", "tier5", 44.0),
    ("郑州", "Henan", "new_tier1", 12.8), ("洛阳", "Henan", "tier3", 7.1), ("南阳", "Henan", "tier3", 9.7),
    ("周口", "Henan", "tier4", 9.0), ("商丘", "Henan", "tier4", 7.8), ("三门峡", "Henan", "tier5", 52.0),
    ("成都", "Sichuan", "new_tier1", 21.4), ("绵阳", "Sichuan", "tier3", 4.9), ("南充", "Sichuan", "tier3", 5.6),
    ("达州", "Sichuan", "tier4", 5.4), ("甘孜", "Sichuan", "tier5", 46.3),
    ("武汉", "Hubei", "new_tier1", 13.7), ("宜昌", "Hubei", "tier3", 3.9), ("襄阳", "Hubei", "tier3", 5.3),
    ("黄冈", "Hubei", "tier4", 5.8), ("恩施", "Hubei", "tier5", 29.3),
    ("长沙", "Hunan", "new_tier1", 10.5), ("株洲", "Hunan", "tier3", 3.9), ("衡阳", "Hunan", "tier3", 6.6),
    ("邵阳", "Hunan", "tier4", 6.6), ("张家界", "Hunan", "tier5", 38.4),
    ("石家庄", "Hebei", "tier2", 11.2), ("保定", "Hebei", "tier2", 11.5), ("唐山", "Hebei", "tier2", 7.7),
    ("邯郸", "Hebei", "tier3", 9.4), ("承德", "Hebei", "tier4", 3.4), ("衡水", "Hebei", "tier5", 31.2),
    ("合肥", "Anhui", "new_tier1", 9.6), ("芜湖", "Anhui", "tier3", 3.7), ("阜阳", "Anhui", "tier3", 8.2),
    ("六安", "Anhui", "tier4", 4.4), ("池州", "Anhui", "tier5", 35.2),
)

AGE_PROBS = np.array([0.04, 0.15, 0.26, 0.23, 0.19, 0.13])
"""Age mix of phone buyers in the population."""
AGE_PROBS_ONLINE = np.array([0.05, 0.24, 0.33, 0.21, 0.12, 0.05])
"""Age mix of the online panel (younger)."""

# segment logit = base + tier effect * tier index (0 = tier1 .. 5 = tier5) + age effect
SEGMENT_BASE = np.array([0.0, 0.1, -0.1, 0.6])
SEGMENT_TIER = np.array([0.15, 0.0, 0.0, -0.22])
SEGMENT_AGE = np.array([  # rows: age bands, columns: segments
    [0.0, -0.3, 1.3, -1.5],
    [-0.1, 0.0, 1.0, -0.8],
    [0.0, 0.2, 0.4, 0.0],
    [0.0, 0.0, -0.4, 0.5],
    [0.2, -0.2, -1.0, 0.5],
    [0.8, -0.5, -1.8, 0.0],
])
SEGMENT_FEMALE = np.array([0.0, 0.45, -0.6, 0.0])

PRICE_COEF_SEGMENT = {"value": 1.05, "imaging": 0.77, "gamer": 0.86, "status": 0.55}
"""Median price coefficient per 1000 CNY, by segment (utility lost per 1000 CNY of price)."""
PRICE_COEF_TIER = {"tier1": 0.88, "new_tier1": 0.93, "tier2": 1.00, "tier3": 1.05, "tier4": 1.10, "tier5": 1.15}
"""Multiplier on the price coefficient by city tier: lower tiers are more price sensitive."""
PRICE_COEF_SIGMA = 0.20
"""Standard deviation of log price coefficient within segment × tier (lognormal heterogeneity)."""

BRAND_TASTE = {  # utility deviations by segment; demand centres them on the population mean
    "value": {"Xiaomi": 0.0, "Redmi": 0.7, "Huawei": -0.3, "Apple": -0.7, "OPPO": 0.2, "vivo": 0.25, "Honor": 0.35},
    "imaging": {"Xiaomi": 0.3, "Redmi": -0.4, "Huawei": 0.5, "Apple": 0.1, "OPPO": 0.3, "vivo": 0.4, "Honor": 0.0},
    "gamer": {"Xiaomi": 0.4, "Redmi": 0.6, "Huawei": -0.3, "Apple": 0.1, "OPPO": -0.2, "vivo": -0.1, "Honor": 0.0},
    "status": {"Xiaomi": 0.0, "Redmi": -0.9, "Huawei": 0.9, "Apple": 0.9, "OPPO": -0.2, "vivo": -0.2, "Honor": 0.0},
}
CAMERA_TASTE = {"value": 0.02, "imaging": 0.30, "gamer": 0.03, "status": 0.10}
"""Utility per 10 points of camera_score, by segment."""
PERF_TASTE = {"value": 0.02, "imaging": 0.03, "gamer": 0.30, "status": 0.06}
"""Utility per 10 points of performance_score, by segment."""

ASPECT_IMPORTANCE = {  # how much each aspect weighs in a segment member's opinion (rows sum to 1)
    "value":   dict(zip(ASPECTS, (0.08, 0.10, 0.10, 0.17, 0.07, 0.08, 0.30, 0.10), strict=True)),
    "imaging": dict(zip(ASPECTS, (0.38, 0.08, 0.08, 0.10, 0.14, 0.12, 0.05, 0.05), strict=True)),
    "gamer":   dict(zip(ASPECTS, (0.05, 0.40, 0.12, 0.15, 0.05, 0.13, 0.06, 0.04), strict=True)),
    "status":  dict(zip(ASPECTS, (0.18, 0.10, 0.16, 0.08, 0.24, 0.10, 0.02, 0.12), strict=True)),
}

PRIOR_BRAND = {  # brand of the phone owned before the window, by segment
    "value": {"Xiaomi": 0.06, "Redmi": 0.24, "Huawei": 0.10, "Apple": 0.05, "OPPO": 0.18, "vivo": 0.20, "Honor": 0.17},
    "imaging": {"Xiaomi": 0.14, "Redmi": 0.06, "Huawei": 0.22, "Apple": 0.2, "OPPO": 0.16, "vivo": 0.16, "Honor": 0.06},
    "gamer": {"Xiaomi": 0.20, "Redmi": 0.25, "Huawei": 0.06, "Apple": 0.20, "OPPO": 0.08, "vivo": 0.10, "Honor": 0.11},
    "status": {"Xiaomi": 0.08, "Redmi": 0.02, "Huawei": 0.32, "Apple": 0.42, "OPPO": 0.06, "vivo": 0.06, "Honor": 0.04},
}


def cities() -> pd.DataFrame:
    """The city table: city, province, city_tier, people (millions)."""
    return pd.DataFrame(CITIES, columns=["city", "province", "city_tier", "people_m"])


def provinces() -> pd.DataFrame:
    """Provinces with population (millions) and their tier mix (one column per tier, shares summing to 1)."""
    c = cities()
    mix = c.pivot_table(index="province", columns="city_tier", values="people_m", aggfunc="sum", fill_value=0.0)
    mix = mix.reindex(columns=list(TIERS), fill_value=0.0)
    pop = mix.sum(axis=1)
    out = mix.div(pop, axis=0)
    out.insert(0, "people_m", pop)
    return out.reset_index().sort_values("province", kind="stable").reset_index(drop=True)


def segment_probs(tier_idx: np.ndarray, age_idx: np.ndarray, female: np.ndarray) -> np.ndarray:
    """P(segment | tier, age, gender), shape (n, 4)."""
    logits = (SEGMENT_BASE[None, :] + SEGMENT_TIER[None, :] * tier_idx[:, None] + SEGMENT_AGE[age_idx]
              + SEGMENT_FEMALE[None, :] * female[:, None])
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of a (n, k) probability matrix, vectorised."""
    u = rng.random(probs.shape[0])
    idx = (probs.cumsum(axis=1) < u[:, None]).sum(axis=1)
    return np.minimum(idx, probs.shape[1] - 1)


def draw_consumers(n: int, rng: np.random.Generator, *, province: str | None = None, online: bool = False,
                   tier_skew: float = 0.0) -> pd.DataFrame:
    """Draw ``n`` consumers (from one province, or China as the twin knows it).

    Columns: city, province, city_tier, age_band, gender, prior_brand, ``_segment``, ``_alpha``
    (price coefficient per 1000 CNY), ``_price_sens`` (``_alpha`` relative to the segment×tier median),
    ``_tier_idx``, ``_age_idx``. ``tier_skew`` > 0 tilts the draw toward higher tiers (online panels).
    """
    c = cities()
    if province is not None:
        c = c[c["province"] == province]
        if c.empty:
            raise ValueError(f"unknown province {province!r}")
    tier_idx_city = c["city_tier"].map({t: i for i, t in enumerate(TIERS)}).to_numpy()
    w = c["people_m"].to_numpy() * np.exp(-tier_skew * tier_idx_city)
    city_i = rng.choice(len(c), size=n, p=w / w.sum())
    tier_idx = tier_idx_city[city_i]
    age_idx = rng.choice(len(AGE_BANDS), size=n, p=AGE_PROBS_ONLINE if online else AGE_PROBS)
    female = rng.random(n) < 0.48
    seg_idx = _categorical(rng, segment_probs(tier_idx, age_idx, female.astype(float)))
    segs = np.array(SEGMENTS, dtype=object)[seg_idx]
    median = (np.array([PRICE_COEF_SEGMENT[s] for s in SEGMENTS])[seg_idx]
              * np.array([PRICE_COEF_TIER[t] for t in TIERS])[tier_idx])
    price_sens = np.exp(PRICE_COEF_SIGMA * rng.standard_normal(n))
    prior = np.array([[PRIOR_BRAND[s][b] for b in BRANDS] for s in SEGMENTS])
    prior = prior / prior.sum(axis=1, keepdims=True)
    prior_idx = _categorical(rng, prior[seg_idx])
    return pd.DataFrame({
        "city": c["city"].to_numpy()[city_i],
        "province": c["province"].to_numpy()[city_i],
        "city_tier": np.array(TIERS, dtype=object)[tier_idx],
        "age_band": np.array(AGE_BANDS, dtype=object)[age_idx],
        "gender": np.where(female, "f", "m"),
        "prior_brand": np.array(BRANDS, dtype=object)[prior_idx],
        "_segment": segs,
        "_alpha": median * price_sens,
        "_price_sens": price_sens,
        "_tier_idx": tier_idx,
        "_age_idx": age_idx,
    })


def users(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """The online panel: contract ``users`` columns plus the latent ``_segment``/``_price_sens``/``_alpha``, sorted."""
    df = draw_consumers(n, rng, online=True, tier_skew=0.15)
    df.insert(0, "user_id", np.char.add("u", np.char.zfill(np.arange(n).astype(str), 7)).astype(object))
    return df.sort_values("user_id", kind="stable").reset_index(drop=True)
