"""Phone changes of panel users from a planted brand-switching matrix (``device_history``).

An owner of brand b in city tier t and age band a buys b again at the next change with probability
``retention(b, t, a) = logistic(logit(RETENTION[b]) + TIER_SHIFT[t] + AGE_SHIFT[a])``; a switcher goes to
another brand in proportion to ``PULL`` (the brand left excluded). The truth of a brand's loyalty is the mean
planted retention over the panel's actual changes from that brand (its owners' mix of tiers and ages), so an
estimator is scored against the conditional expectation its data identify, not against a population figure
the panel does not represent. The same holds per tier and age band, and for the switching matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from upmarket.twin.catalog import BRANDS
from upmarket.twin.consumers import AGE_BANDS, TIERS

RETENTION = {"Xiaomi": 0.52, "Redmi": 0.48, "Huawei": 0.72, "Apple": 0.78, "OPPO": 0.50, "vivo": 0.55, "Honor": 0.47}
"""Planted retention of an owner in the reference cell (tier2, 25-34)."""
PULL = {"Xiaomi": 1.3, "Redmi": 1.2, "Huawei": 1.6, "Apple": 1.2, "OPPO": 0.9, "vivo": 1.0, "Honor": 0.9}
"""Where switchers go: proportional to these weights (excluding the brand they leave)."""
TIER_SHIFT = {"tier1": 0.30, "new_tier1": 0.15, "tier2": 0.0, "tier3": -0.15, "tier4": -0.30, "tier5": -0.45}
"""Logit shift of retention by city tier: owners in big cities rebuy their brand more often."""
AGE_SHIFT = {"<18": -0.50, "18-24": -0.35, "25-34": 0.0, "35-44": 0.20, "45-54": 0.35, "55+": 0.50}
"""Logit shift of retention by age band: the young switch more."""


def switching_matrix(retention: np.ndarray | None = None) -> np.ndarray:
    """P(next brand | current brand) in ``BRANDS`` order for the given diagonal (default: the reference cell)."""
    ret = np.array([RETENTION[b] for b in BRANDS]) if retention is None else np.asarray(retention, dtype=float)
    pull = np.array([PULL[b] for b in BRANDS])
    out = np.zeros((len(BRANDS), len(BRANDS)))
    for i in range(len(BRANDS)):
        w = pull.copy()
        w[i] = 0.0
        out[i] = (1 - ret[i]) * w / w.sum()
        out[i, i] = ret[i]
    return out


def retention(brand_idx: np.ndarray, tier: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Planted P(stay) per owner: brand index into ``BRANDS``, city tier and age band codes (unknown: no shift)."""
    base = logit(np.array([RETENTION[b] for b in BRANDS]))[brand_idx]
    shift = (pd.Series(tier).map(TIER_SHIFT).fillna(0.0).to_numpy()
             + pd.Series(age).map(AGE_SHIFT).fillna(0.0).to_numpy())
    return expit(base + shift)


@dataclass
class DeviceHistory:
    table: pd.DataFrame
    """The public ``device_history`` table."""
    planted: pd.DataFrame
    """Per change: from_brand, city_tier, age_band and the planted P(stay) and switching row used to draw it."""


def simulate_device_history(users: pd.DataFrame, rng: np.random.Generator, start: date = date(2024, 1, 1),
                            end: date = date(2025, 6, 30), max_changes: int = 2) -> pd.DataFrame:
    """Each user changes phone 0..max_changes times in the window, starting from prior_brand."""
    return simulate_device_panel(users, rng, start, end, max_changes).table


def simulate_device_panel(users: pd.DataFrame, rng: np.random.Generator, start: date = date(2024, 1, 1),
                          end: date = date(2025, 6, 30), max_changes: int = 2) -> DeviceHistory:
    """The device history and, per change, the planted probabilities it was drawn from."""
    pull = np.array([PULL[b] for b in BRANDS])
    nb = len(BRANDS)
    n = len(users)
    n_days = (end - start).days + 1
    cur = users["prior_brand"].map({b: i for i, b in enumerate(BRANDS)}).to_numpy()
    tier = users["city_tier"].to_numpy() if "city_tier" in users else np.full(n, None)
    age = users["age_band"].to_numpy() if "age_band" in users else np.full(n, None)
    n_changes = rng.choice(max_changes + 1, size=n, p=[0.35, 0.5, 0.15][: max_changes + 1])
    day = np.sort(rng.integers(n_days, size=(n, max_changes)), axis=1)
    frames, planted = [], []
    for k in range(max_changes):  # a loop over change rounds (≤ 2), vectorised over users
        stay = retention(cur, tier, age)
        w = np.tile(pull, (n, 1))
        w[np.arange(n), cur] = 0.0
        probs = (1 - stay)[:, None] * w / w.sum(axis=1, keepdims=True)
        probs[np.arange(n), cur] = stay
        nxt = np.minimum((probs.cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1), nb - 1)
        act = n_changes > k
        frames.append(pd.DataFrame({"user_id": users["user_id"].to_numpy()[act],
                                    "date": pd.Timestamp(start) + pd.to_timedelta(day[act, k], unit="D"),
                                    "from_brand": np.array(BRANDS, dtype=object)[cur[act]],
                                    "to_brand": np.array(BRANDS, dtype=object)[nxt[act]]}))
        planted.append(pd.concat([pd.DataFrame({"from_brand": np.array(BRANDS, dtype=object)[cur[act]],
                                                "city_tier": tier[act], "age_band": age[act]}),
                                  pd.DataFrame(probs[act], columns=list(BRANDS))], axis=1))
        cur = np.where(act, nxt, cur)
    df = pd.concat(frames, ignore_index=True)
    df["date"] = df["date"].dt.date
    order = df.sort_values(["user_id", "date"], kind="stable").index
    return DeviceHistory(df.loc[order].reset_index(drop=True),
                         pd.concat(planted, ignore_index=True).loc[order].reset_index(drop=True))


def loyalty_truth(planted: pd.DataFrame) -> dict[str, Any]:
    """Truth under results keys: per brand loyalty (mean planted P(stay) over the panel's changes from it), by city
    tier and age band, and the switching matrix (mean planted row), plus the planted reference cell."""
    def diag(g: pd.DataFrame) -> dict[str, float]:
        return {b: float(g.loc[g["from_brand"] == b, b].mean()) for b in BRANDS if (g["from_brand"] == b).any()}

    by = {}
    for col, levels in (("city_tier", TIERS), ("age_band", AGE_BANDS)):
        by[f"by_{col}"] = {lv: diag(planted[planted[col] == lv]) for lv in levels if (planted[col] == lv).any()}
    switching = planted.groupby("from_brand")[list(BRANDS)].mean()
    return {"loyalty": diag(planted), **by,
            "switching": {a: {b: float(switching.loc[a, b]) for b in BRANDS} for a in switching.index},
            "retention": dict(RETENTION), "tier_shift": dict(TIER_SHIFT), "age_shift": dict(AGE_SHIFT),
            "pull": dict(PULL)}


def simulate_dirichlet_panel(n_people: int, rng: np.random.Generator, M: float, K: float, S: float,
                             shares: dict[str, float]) -> pd.DataFrame:
    """A purchase panel that follows the NBD-Dirichlet exactly: person i buys the category Poisson(λ_i) times,
    λ_i ~ Gamma(K, M/K); each purchase is brand j with the person's own probabilities p_i ~ Dirichlet(S · share).
    Returns one row per (user_id, brand) bought, with ``units``; people who bought nothing have no row."""
    names = list(shares)
    share = np.array([shares[b] for b in names], dtype=float)
    share = share / share.sum()
    lam = rng.gamma(K, M / K, size=n_people)
    n = rng.poisson(lam)
    buyers = np.flatnonzero(n > 0)
    p = rng.dirichlet(S * share, size=len(buyers))
    counts = np.array([rng.multinomial(k, pi) for k, pi in zip(n[buyers], p, strict=True)])
    who, brand = np.nonzero(counts)
    return pd.DataFrame({"user_id": [f"d{i:07d}" for i in buyers[who]],
                         "brand": np.array(names, dtype=object)[brand], "units": counts[who, brand]})
