"""Names for latent classes from what sets each class apart in the data, and scores against known segments.

A class is named after the part of its utility in which it differs most from the other classes: its price
sensitivity ("price-sensitive"), its liking for one brand ("brand-driven: Apple") or the weight it gives one
attribute ("camera-driven"). Every class's utility is put on its own scale first — each part-worth divided by
the class's total utility range (price range × |price coefficient| + brand range + each attribute's range) — so
a class that chooses more deterministically is not "more" of everything. Each candidate trait is standardised
across classes and the classes are assigned one trait each (Hungarian, maximising the summed z-scores), so the
names are distinct. Nothing here knows what segments a market "should" have: the traits are the design's own
columns.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

PRICE_SENSITIVE = "price-sensitive"
ONE_CLASS = "all respondents"


def _attribute_groups(names: list[str]) -> dict[str, list[int]]:
    """Design columns per attribute (part-worth dummies share the prefix before ``=``; linear ones stand alone)."""
    groups: dict[str, list[int]] = {}
    for j, n in enumerate(names):
        if n in ("price", "none") or n.startswith("brand="):
            continue
        groups.setdefault(n.split("=", 1)[0], []).append(j)
    return groups


def class_traits(betas: np.ndarray, names: list[str], price_range: float = 1.0, reference: str | None = None
                 ) -> dict[str, np.ndarray]:
    """Each class's weight on every candidate trait, on the class's own utility scale: trait name -> (K,)."""
    K = len(betas)
    ip = names.index("price")
    brand_cols = [j for j, n in enumerate(names) if n.startswith("brand=")]
    brand_u = np.c_[np.zeros(K), betas[:, brand_cols]]  # the reference brand at 0
    groups = _attribute_groups(names)
    attr_range = {a: np.ptp(np.c_[np.zeros(K), betas[:, idx]], axis=1) for a, idx in groups.items()}
    price_imp = np.abs(betas[:, ip]) * price_range
    total = price_imp + np.ptp(brand_u, axis=1) + sum(attr_range.values(), np.zeros(K))
    total = np.where(total > 0, total, 1.0)
    traits = {PRICE_SENSITIVE: price_imp / total}
    labels = [reference] + [names[j].split("=", 1)[1] for j in brand_cols]
    for b, col in zip(labels, brand_u.T, strict=True):
        if b is not None:  # the reference brand's column is there only when its name is known
            traits[f"brand-driven: {b}"] = (col - brand_u.mean(axis=1)) / total
    for a, r in attr_range.items():
        traits[f"{a}-driven"] = r / total
    return traits


def name_classes(betas: np.ndarray, names: list[str], price_range: float = 1.0, reference: str | None = None
                 ) -> list[str]:
    """One distinct name per class (rows of ``betas``), from the trait that sets it apart most."""
    K = len(betas)
    if K == 1:
        return [ONE_CLASS]
    traits = class_traits(betas, names, price_range, reference)
    labels = list(traits)
    M = np.column_stack([(v - v.mean()) / (v.std() + 1e-12) for v in traits.values()])  # (K, traits)
    rows, cols = linear_sum_assignment(-M)
    out = [f"class {k + 1}" for k in range(K)]
    for r, c in zip(rows, cols, strict=True):
        out[r] = labels[c]
    return out


def adjusted_rand(a: np.ndarray, b: np.ndarray) -> float:
    """Adjusted Rand index between two labelings."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(a, b))


def purity(pred: np.ndarray, truth: np.ndarray) -> float:
    """Share of respondents whose class's majority known segment is their own."""
    import pandas as pd

    tab = pd.crosstab(pred, truth)
    return float(tab.max(axis=1).sum() / tab.to_numpy().sum())
