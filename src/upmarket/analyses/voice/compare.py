"""Paired comparison of two classifiers on the same test texts.

Two models scored on the same held-out texts are not independent samples: most texts are right
(or wrong) for both, and only the discordant texts carry information about which model is better.
So the honest comparison is paired: ``b`` = texts only model A gets right, ``c`` = texts only model
B gets right, the exact McNemar test (two-sided binomial test of ``b`` out of ``b + c`` at 1/2), and
an interval for the accuracy difference ``(b - c) / n`` — a paired bootstrap over texts (drawn as
one multinomial over the four agreement cells, which is the same as resampling texts, without a
loop) and, as a closed-form cross-check, Newcombe's (1998, method 10) hybrid score interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["PAIRED_COLUMNS", "newcombe_paired_interval", "paired_comparison", "paired_table"]

PAIRED_COLUMNS = ("n", "acc_a", "acc_b", "diff", "b", "c", "p_mcnemar", "ci_low", "ci_high",
                  "newcombe_low", "newcombe_high")
"""Keys of :func:`paired_comparison`'s result (``diff`` = ``acc_a - acc_b``)."""


def _wilson(x: int, n: int, z: float) -> tuple[float, float]:
    """Wilson score interval for a proportion ``x / n``."""
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def newcombe_paired_interval(both: int, b: int, c: int, neither: int, level: float = 0.90) -> tuple[float, float]:
    """Newcombe's (1998, method 10) score interval for a paired difference of proportions.

    ``both``/``neither`` = texts both models get right/wrong; ``b``/``c`` = texts only A/only B
    gets right. It combines the two Wilson intervals of the marginal accuracies with the phi
    correlation of the 2×2 table, so it needs no resampling and stays inside [−1, 1].
    """
    n = both + b + c + neither
    if n <= 0:
        raise ValueError("newcombe_paired_interval: no texts (n = 0)")
    z = float(stats.norm.ppf(0.5 + level / 2))
    p1, p2 = (both + b) / n, (both + c) / n
    l1, u1 = _wilson(both + b, n, z)
    l2, u2 = _wilson(both + c, n, z)
    denom = float(both + b) * (c + neither) * (both + c) * (b + neither)
    phi = (both * neither - b * c) / np.sqrt(denom) if denom > 0 else 0.0
    d = p1 - p2
    lo = d - np.sqrt(max((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0.0))
    hi = d + np.sqrt(max((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2, 0.0))
    return float(max(lo, -1.0)), float(min(hi, 1.0))


def paired_comparison(y: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray, level: float = 0.90,
                      n_boot: int = 10_000, seed: int = 0) -> dict[str, float]:
    """Paired accuracy comparison of predictions ``pred_a`` vs ``pred_b`` against labels ``y``.

    Texts where either prediction is missing (NaN) are left out, so both models are compared on
    the same texts. Returns :data:`PAIRED_COLUMNS`: accuracies, ``diff = acc_a - acc_b``, the
    discordant counts ``b`` (only A right) and ``c`` (only B right), the exact two-sided McNemar
    p-value (1 when ``b + c = 0``), the ``level`` paired-bootstrap percentile interval of ``diff``
    (``n_boot`` replicates, seeded) and Newcombe's score interval.
    """
    y, pa, pb = (np.asarray(v, dtype=float).ravel() for v in (y, pred_a, pred_b))
    if not (len(y) == len(pa) == len(pb)):
        raise ValueError(f"paired_comparison: lengths differ (y {len(y)}, pred_a {len(pa)}, pred_b {len(pb)})")
    if not 0 < level < 1:
        raise ValueError(f"paired_comparison: level must be in (0, 1), got {level}")
    ok = ~(np.isnan(y) | np.isnan(pa) | np.isnan(pb))
    ra, rb = pa[ok] == y[ok], pb[ok] == y[ok]
    n = int(ok.sum())
    if n == 0:
        raise ValueError("paired_comparison: no text has a label and both predictions")
    both, b, c = int((ra & rb).sum()), int((ra & ~rb).sum()), int((~ra & rb).sum())
    neither = n - both - b - c
    p = float(stats.binomtest(b, b + c, 0.5).pvalue) if b + c else 1.0
    # Paired bootstrap over texts: only the discordant cells move the difference, and resampling n
    # texts with replacement draws the cell counts as one multinomial(n, cell shares).
    cells = np.random.default_rng(seed).multinomial(n, np.array([b, c, n - b - c]) / n, size=n_boot)
    boot = (cells[:, 0] - cells[:, 1]) / n
    lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    nlo, nhi = newcombe_paired_interval(both, b, c, neither, level)
    return {"n": n, "acc_a": (both + b) / n, "acc_b": (both + c) / n, "diff": (b - c) / n, "b": b, "c": c,
            "p_mcnemar": p, "ci_low": float(lo), "ci_high": float(hi), "newcombe_low": nlo, "newcombe_high": nhi}


def paired_table(y: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray, groups: np.ndarray | pd.Series,
                 level: float = 0.90, n_boot: int = 10_000, seed: int = 0) -> pd.DataFrame:
    """:func:`paired_comparison` per group (e.g. corpus): one row per group, sorted by group name."""
    g = np.asarray(groups)
    y, pa, pb = (np.asarray(v, dtype=float) for v in (y, pred_a, pred_b))
    rows = [{"group": k, **paired_comparison(y[g == k], pa[g == k], pb[g == k], level, n_boot, seed)}
            for k in sorted(pd.unique(g))]
    return pd.DataFrame(rows, columns=["group", *PAIRED_COLUMNS])
