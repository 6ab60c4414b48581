"""Behavioural segmentation when there is no conjoint: k-means on users × orders × events features.

Features per user (one SQL pass each): city tier index, age band index, prior brand (one-hot, top brands),
orders, median price paid (log), share of events on each platform, content engagement (content_view and
live_view share of events). Standardised, k-means (scikit-learn) for K = 2..max_k, K by silhouette on a
sample; stability = mean adjusted Rand index between the full-data labels and labels from ``n_boot`` refits on
bootstrap resamples (assigned to the nearest refitted centre). Profiles are plain words from each cluster's
most distinctive features (largest |z| of the cluster mean).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from upmarket.contract.codes import CODE_LISTS
from upmarket.warehouse.source import to_frame

if TYPE_CHECKING:
    from upmarket.warehouse import Warehouse


def _user_sample(warehouse: Warehouse, max_users: int, seed: int) -> pd.DataFrame:
    """``user_id, city_tier, age_band, prior_brand`` of a seeded reservoir sample of ``max_users`` users.

    DuckDB SQL, not Ibis: Ibis samples a fraction (Bernoulli), not a fixed number of rows with a seed,
    and the segments fitted on the sample depend on which rows it holds.
    """
    return warehouse.con.execute(f"SELECT user_id, city_tier, age_band, prior_brand FROM users "
                                 f"USING SAMPLE {int(max_users)} ROWS (reservoir, {int(seed)})").df()


def user_features(warehouse: Warehouse, max_users: int = 50_000, seed: int = 0) -> pd.DataFrame:
    """One row per user (index user_id), numeric features only; a sample of ``max_users`` when larger."""
    if not warehouse.has_rows("users"):
        raise ValueError("behavioural segmentation needs the users table")
    tiers = CODE_LISTS["city_tier"].codes
    ages = CODE_LISTS["age_band"].codes
    u = _user_sample(warehouse, max_users, seed).set_index("user_id")
    X = pd.DataFrame(index=u.index)
    X["tier"] = u["city_tier"].map({t: i for i, t in enumerate(tiers)}).astype(float)
    X["age"] = u["age_band"].map({a: i for i, a in enumerate(ages)}).astype(float)
    top = u["prior_brand"].value_counts().index[:6]
    for b in top:
        X[f"prior={b}"] = (u["prior_brand"] == b).astype(float)
    if warehouse.has_rows("orders"):
        orders = warehouse.table("orders")
        o = to_frame(orders.group_by("user_id").agg(orders=orders.count(), price=orders.price_paid.median())
                     ).set_index("user_id")
        X["orders"] = o["orders"].reindex(X.index).fillna(0.0)
        X["log_price"] = np.log(o["price"].reindex(X.index)).fillna(0.0)
    if warehouse.has_rows("events"):
        events = warehouse.table("events")
        e = to_frame(events.group_by("user_id", "platform").agg(
            n=events.count(), content=events.count(where=events.event.isin(["content_view", "live_view"]))))
        tot = e.groupby("user_id")["n"].sum()
        plat = e.pivot_table(index="user_id", columns="platform", values="n", aggfunc="sum", fill_value=0)
        for p in plat.columns:
            X[f"platform={p}"] = (plat[p] / tot).reindex(X.index).fillna(0.0)
        X["content_share"] = (e.groupby("user_id")["content"].sum() / tot).reindex(X.index).fillna(0.0)
        X["events"] = np.log1p(tot.reindex(X.index).fillna(0.0))
    return X.fillna(X.median())


def cluster_users(X: pd.DataFrame, max_k: int = 6, n_boot: int = 10, seed: int = 0, sample: int = 5000
                  ) -> tuple[np.ndarray, dict]:
    """Labels, and a report: chosen K, silhouettes, bootstrap ARI (mean, min)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, silhouette_score

    Z = ((X - X.mean()) / X.std(ddof=0).replace(0, 1)).to_numpy()
    rng = np.random.default_rng(seed)
    sub = rng.choice(len(Z), size=min(sample, len(Z)), replace=False)
    sil = {}
    for k in range(2, max_k + 1):
        lab = KMeans(k, n_init=4, random_state=seed).fit_predict(Z[sub])
        sil[k] = float(silhouette_score(Z[sub], lab))
    k = max(sil, key=sil.get)
    km = KMeans(k, n_init=4, random_state=seed).fit(Z)
    aris = []
    for b in range(n_boot):
        idx = rng.integers(len(Z), size=len(Z))
        kb = KMeans(k, n_init=2, random_state=seed + b + 1).fit(Z[idx])
        aris.append(adjusted_rand_score(km.labels_, kb.predict(Z)))
    return km.labels_, {"k": k, "silhouette": {int(a): round(v, 4) for a, v in sil.items()},
                        "bootstrap_ari_mean": round(float(np.mean(aris)), 4),
                        "bootstrap_ari_min": round(float(np.min(aris)), 4), "n_boot": n_boot}


def _phrase(feature: str, z: float, mean: float) -> str:
    hi = z > 0
    if feature == "tier":
        return "higher-tier cities" if not hi else "lower-tier cities"
    if feature == "age":
        return "older" if hi else "younger"
    if feature.startswith("prior="):
        return f"{'often' if hi else 'rarely'} came from {feature[6:]} ({mean:.0%})"
    if feature.startswith("platform="):
        return f"{'heavy' if hi else 'light'} on {feature[9:]} ({mean:.0%} of events)"
    if feature == "log_price":
        return f"pays {'more' if hi else 'less'} (median ~{np.exp(mean):,.0f} CNY)"
    if feature == "content_share":
        return f"{'much' if hi else 'little'} content viewing ({mean:.0%} of events)"
    if feature == "orders":
        return f"{'more' if hi else 'fewer'} orders ({mean:.2f} per user)"
    if feature == "events":
        return "very active" if hi else "rarely active"
    return f"{'high' if hi else 'low'} {feature}"


def profiles(X: pd.DataFrame, labels: np.ndarray, top: int = 3) -> pd.DataFrame:
    """Size, share and a plain-words profile per cluster."""
    mu, sd = X.mean(), X.std(ddof=0).replace(0, 1)
    rows = []
    for c in np.unique(labels):
        m = X[labels == c].mean()
        z = (m - mu) / sd
        feats = z.abs().sort_values(ascending=False).index[:top]
        rows.append({"segment": f"cluster {c + 1}", "users": int((labels == c).sum()),
                     "share": float((labels == c).mean()),
                     "profile": "; ".join(_phrase(f, float(z[f]), float(m[f])) for f in feats)})
    return pd.DataFrame(rows)
