"""Key drivers (which aspects move the star rating) and the issues watch (weekly problem mentions).

Drivers: per brand, OLS of rating on two dummies per aspect (opinion positive / negative; no
opinion is the base), with heteroskedasticity-robust (HC1) standard errors and 90 % intervals.
Issues watch: weekly counts of negative reviews naming a problem term; a week is flagged when
its count exceeds the mean of the previous ``window`` weeks by more than 3 Poisson standard
deviations (and by at least ``min_jump`` mentions).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from upmarket.analyses.voice.aspects import ASPECTS

ISSUES: dict[str, tuple[str, ...]] = {
    "发热": ("发热", "发烫", "烫手", "过热"), "信号": ("信号", "断流", "掉线", "没网"), "广告": ("广告", "推送"),
    "屏幕": ("屏幕", "烧屏", "绿线", "闪屏", "漏光"), "售后": ("售后", "客服", "维修", "退货"),
    "卡顿": ("卡顿", "很卡", "卡死", "闪退"), "续航": ("掉电", "耗电", "续航差", "不耐用"),
}
Z90 = 1.6448536269514722


def key_drivers(ratings: pd.DataFrame, aspects: pd.DataFrame, min_reviews: int = 50) -> pd.DataFrame:
    """Per brand and aspect: effect on rating of a positive and of a negative opinion, with 90 % CI.

    ``ratings``: review_id, brand, rating. ``aspects``: review_id, aspect, polarity.
    """
    r = ratings.dropna(subset=["rating", "brand"])
    asp = aspects[aspects["polarity"] != 0]
    dummies = pd.crosstab(asp["review_id"], [asp["aspect"], asp["polarity"]]).clip(upper=1)
    cols = [(a, p) for a in ASPECTS for p in (1, -1)]
    dummies = dummies.reindex(columns=pd.MultiIndex.from_tuples(cols), fill_value=0)
    rows = []
    for brand, g in r.groupby("brand"):
        if len(g) < min_reviews:
            continue
        x = dummies.reindex(g["review_id"].to_numpy(), fill_value=0).to_numpy(float)
        keep = x.sum(axis=0) >= 5
        xk = np.column_stack([np.ones(len(g)), x[:, keep]])
        y = g["rating"].to_numpy(float)
        beta, *_ = np.linalg.lstsq(xk, y, rcond=None)
        resid = y - xk @ beta
        bread = np.linalg.pinv(xk.T @ xk)
        meat = (xk * resid[:, None] ** 2).T @ xk
        cov = bread @ meat @ bread * len(y) / max(len(y) - xk.shape[1], 1)
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
        for j, (a, p) in enumerate(c for c, k in zip(cols, keep, strict=True) if k):
            b, s = beta[j + 1], se[j + 1]
            rows.append({"brand": brand, "aspect": a, "opinion": "positive" if p > 0 else "negative",
                         "effect": b, "ci_low": b - Z90 * s, "ci_high": b + Z90 * s,
                         "n_opinions": int(x[:, cols.index((a, p))].sum()), "n_reviews": len(g)})
    return pd.DataFrame(rows, columns=["brand", "aspect", "opinion", "effect", "ci_low", "ci_high", "n_opinions",
                                       "n_reviews"])


def mentions(texts: list[str] | pa.Array, terms: Sequence[str]) -> np.ndarray:
    """Whether each text contains any of ``terms`` (one Arrow kernel over all texts, no Python loop)."""
    arr = texts if isinstance(texts, pa.Array) else pa.array(texts, type=pa.large_string())
    if not terms:
        return np.zeros(len(arr), dtype=bool)
    hit = pc.match_substring_regex(arr, "|".join(re.escape(t) for t in terms))
    return hit.fill_null(False).to_numpy(zero_copy_only=False)


def issues_watch(texts: list[str], week: pd.Series, negative: np.ndarray, brand: pd.Series,
                 window: int = 8, min_jump: int = 5) -> pd.DataFrame:
    """Weekly counts of negative reviews naming each issue, by brand, with a ``jump`` flag."""
    arr = pa.array(texts, type=pa.large_string())
    frames = []
    for issue, terms in ISSUES.items():
        hit = mentions(arr, terms) & negative
        if hit.any():
            frames.append(pd.DataFrame({"brand": brand[hit].to_numpy(), "week": week[hit].to_numpy(), "issue": issue}))
    if not frames:
        return pd.DataFrame(columns=["brand", "issue", "week", "mentions", "baseline", "jump"])
    c = pd.concat(frames).groupby(["brand", "issue", "week"]).size().rename("mentions").reset_index()
    weeks = pd.date_range(week.min(), week.max(), freq="W-MON")
    full = (c.set_index(["brand", "issue", "week"])["mentions"]
            .unstack(["brand", "issue"]).reindex(weeks, fill_value=0).fillna(0))
    base = full.shift(1).rolling(window, min_periods=3).mean()
    jump = (full > base + 3 * np.sqrt(base.clip(lower=1))) & (full - base >= min_jump)
    out = pd.DataFrame({"mentions": full.stack(["brand", "issue"], future_stack=True),
                        "baseline": base.stack(["brand", "issue"], future_stack=True),
                        "jump": jump.stack(["brand", "issue"], future_stack=True)}).reset_index()
    out = out.rename(columns={"level_0": "week"})
    out["mentions"] = out["mentions"].astype(np.int64)
    return out[["brand", "issue", "week", "mentions", "baseline", "jump"]].sort_values(["brand", "issue", "week"])
