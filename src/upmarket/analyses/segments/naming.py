"""Names for latent classes from what defines them, and scoring against planted segments.

A class is named after the archetype its coefficients fit best — ``value`` (most price sensitive),
``imaging`` (largest top camera part-worth), ``gamer`` (largest top chip part-worth), ``status`` (largest
utility for the two most valued brands over the reference) — by a one-to-one Hungarian assignment on
standardised scores. Archetypes whose attribute is absent are not used; extra classes are ``class N``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def _top_level(names: list[str], prefix: str) -> int | None:
    idx = [i for i, n in enumerate(names) if n.startswith(prefix)]
    return idx[-1] if idx else None


def archetype_scores(betas: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    """Score of each class (rows of ``betas``) on each available archetype."""
    out: dict[str, np.ndarray] = {"value": -betas[:, names.index("price")]}
    cam = _top_level(names, "camera")
    chip = [i for i, n in enumerate(names) if n.startswith("chip")]
    if cam is not None:
        out["imaging"] = betas[:, cam]
    if chip:
        out["gamer"] = betas[:, chip].max(axis=1)
    brands = [i for i, n in enumerate(names) if n.startswith("brand=")]
    if brands:
        top = np.argsort(-betas[:, brands].mean(axis=0))[:2]
        out["status"] = betas[:, np.array(brands)[top]].mean(axis=1)
    return out


def name_classes(betas: np.ndarray, names: list[str]) -> list[str]:
    """One name per class (Hungarian assignment of classes to archetypes)."""
    K = len(betas)
    if K == 1:
        return ["all_respondents"]
    sc = archetype_scores(betas, names)
    arch = list(sc)
    M = np.column_stack([(s - s.mean()) / (s.std() + 1e-12) for s in sc.values()])  # (K, A)
    rows, cols = linear_sum_assignment(-M)
    out = [f"class {k + 1}" for k in range(K)]
    for r, c in zip(rows, cols, strict=True):
        out[r] = arch[c]
    return out


def adjusted_rand(a: np.ndarray, b: np.ndarray) -> float:
    """Adjusted Rand index between two labelings."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(a, b))


def purity(pred: np.ndarray, truth: np.ndarray) -> float:
    """Share of respondents whose class's majority planted segment is their own."""
    import pandas as pd

    tab = pd.crosstab(pred, truth)
    return float(tab.max(axis=1).sum() / tab.to_numpy().sum())
