"""STP: each segment's size, growth, premium acceptance, WTP for the focal brand, framing; attractiveness; targets.

Segments are known for conjoint respondents only (posterior class probabilities). To measure growth and premium
acceptance on every buyer, each user gets the **observed-group proxy** P(segment | city tier, age band): the mean
posterior of the respondents in that cell (cells with < ``min_cell`` respondents fall back to the tier, then to the
overall shares). Orders and reviews are then counted with those probabilities as weights. Everything is SQL over
the warehouse plus NumPy; no per-row Python.

Attractiveness (shown with the table): each column is min–max scaled across segments to [0, 1] and
``A = 0.30·size + 0.15·growth + 0.25·premium_acceptance + 0.20·wtp_focal + 0.10·(1 − value_framing)``;
columns that cannot be measured are left out and the remaining weights rescaled to sum to 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd

from upmarket.choice.proxy import group_proxy
from upmarket.warehouse.source import to_frame

if TYPE_CHECKING:
    from upmarket.warehouse import Warehouse

__all__ = ["PREMIUM_PRICE", "WEIGHTS", "attractiveness", "group_proxy", "order_measures", "review_framing", "who"]

PREMIUM_PRICE = 4000.0
WEIGHTS = {"size": 0.30, "growth": 0.15, "premium_acceptance": 0.25, "wtp_focal": 0.20, "not_value_framed": 0.10}


def who(warehouse: Warehouse, posterior: pd.DataFrame, traits: tuple[str, ...] = ("city_tier", "age_band")
        ) -> pd.Series | None:
    """A short demographic label per segment: for each trait, the level most over-represented in the segment
    (posterior-weighted share over the respondents' share), e.g. "tier1 ×1.4, 18-24 ×1.9"."""
    if not warehouse.has_rows("users"):
        return None
    segs = [c for c in posterior.columns if c != "respondent_id"]
    u = to_frame(warehouse.table("users").select("user_id", *traits))
    m = posterior.merge(u, left_on="respondent_id", right_on="user_id")
    if len(m) < 30:
        return None
    parts: dict[str, list[str]] = {s: [] for s in segs}
    for t in traits:
        x = pd.get_dummies(m[t].fillna("?"))
        base = x.mean()
        seg_share = pd.DataFrame(m[segs].to_numpy().T @ x.to_numpy(float), index=segs, columns=x.columns)
        lift = seg_share.div(m[segs].sum().to_numpy(), axis=0) / base
        for s in segs:
            lv = lift.loc[s].idxmax()
            parts[s].append(f"{lv} ×{lift.loc[s, lv]:.1f}")
    return pd.Series({s: ", ".join(v) for s, v in parts.items()})


def _weighted(frame: pd.DataFrame, proxy: pd.DataFrame, value: str) -> pd.Series:
    """Σ_users P(segment|user)·value / Σ P(segment|user), per segment."""
    segs = [c for c in proxy.columns if c != "user_id"]
    m = frame.merge(proxy, on="user_id")
    w = m[segs].to_numpy()
    v = m[value].to_numpy(float)[:, None]
    return pd.Series((w * v).sum(axis=0) / np.maximum(w.sum(axis=0), 1e-12), index=segs)


def order_measures(warehouse: Warehouse, proxy: pd.DataFrame) -> pd.DataFrame | None:
    """Per segment: growth (orders in the last 6 months of data over the 6 before, −1) and premium acceptance
    (share of the segment's buyers with an order at ≥ 4000 CNY), weighted by the proxy probabilities."""
    if not warehouse.has_rows("orders"):
        return None
    o = warehouse.table("orders")
    # the cut-offs as literals: calendar-month intervals are not supported by every engine (Polars)
    last = pd.Timestamp(o.ts.max().execute())
    half, year = (ibis.literal(last - pd.DateOffset(months=k)) for k in (6, 12))
    one = ibis.literal(1, "int32")
    buyers = to_frame(o.group_by("user_id").agg(
        late=o.count(where=o.ts > half), early=o.count(where=(o.ts <= half) & (o.ts > year)),
        premium=ibis.ifelse(o.price_paid >= PREMIUM_PRICE, one, ibis.literal(0, "int32")).max()))
    segs = [c for c in proxy.columns if c != "user_id"]
    m = buyers.merge(proxy, on="user_id")
    if m.empty:
        return None
    w = m[segs].to_numpy()
    late, early = w.T @ m["late"].to_numpy(float), w.T @ m["early"].to_numpy(float)
    return pd.DataFrame({"segment": segs, "growth": np.where(early > 0, late / np.maximum(early, 1e-12) - 1, np.nan),
                         "premium_acceptance": _weighted(m[["user_id", "premium"]], proxy, "premium").to_numpy(),
                         "buyers": w.sum(axis=0)})


def review_framing(warehouse: Warehouse, proxy: pd.DataFrame) -> tuple[pd.Series | None, str | None]:
    """Per segment: value-framed share of framed reviews (voice's ``framing``), weighted by the proxy."""
    if not warehouse.has_rows("reviews"):
        return None, "no reviews: value-vs-premium framing not measured"
    try:
        from upmarket.text.framing import framing
        from upmarket.text.normalise import normalise
    except ImportError as exc:  # pragma: no cover - voice is part of the package
        return None, f"voice module not importable ({exc}); framing column skipped"
    reviews = warehouse.table("reviews")
    if "user_id" not in reviews.columns:
        return None, "reviews have no user_id: framing cannot be tied to segments"
    df = to_frame(reviews.filter(reviews.user_id.notnull(), reviews.text != "").select("user_id", "text"))
    if df.empty:
        return None, "no reviews with a user_id and text: framing not measured"
    _, _, frame = framing(normalise(df["text"].tolist()).texts)
    df["frame"] = frame
    df = df[df["frame"].notna()]
    return _weighted(df[["user_id", "frame"]], proxy, "frame"), None


def attractiveness(table: pd.DataFrame) -> tuple[pd.Series, str]:
    """The score and its formula (with the weights actually used)."""
    cols = {"size": "share", "growth": "growth", "premium_acceptance": "premium_acceptance",
            "wtp_focal": "wtp_focal_cny", "not_value_framed": "value_framing"}
    parts, used = [], {}
    for key, col in cols.items():
        if col not in table or table[col].isna().all():
            continue
        x = table[col].astype(float)
        if key == "not_value_framed":
            x = 1 - x
        rng = x.max() - x.min()
        parts.append((key, ((x - x.min()) / rng if rng > 0 else x * 0 + 0.5).fillna(0.0)))
        used[key] = WEIGHTS[key]
    tot = sum(used.values())
    score = sum(used[k] / tot * s for k, s in parts)
    formula = "A = " + " + ".join(f"{used[k] / tot:.2f}·{k}" for k, _ in parts) + " (each min–max scaled over segments)"
    return score, formula
