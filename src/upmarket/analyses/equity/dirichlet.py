"""The NBD-Dirichlet model of repeat buying (Goodhardt, Ehrenberg & Chatfield 1984), estimated as R's
``NBDdirichlet::dirichlet`` does it (Feiming Chen, CRAN, version 1.4).

Why a benchmark: a small brand has fewer buyers who also buy it less often ("double jeopardy"), so low
loyalty alone does not say a brand is weak. The Dirichlet predicts, from category penetration, buying rate
and brand shares alone, the penetration, buying rate, share of category requirements (SCR) and 100 %-loyal
share each brand *should* have; observed minus predicted is the brand's excess loyalty.

Estimation mirrors the R package so that its published toothpaste example reproduces:

* ``M = cat_pen × cat_buyrate`` (mean category purchases per person in the base period);
* ``K`` solves ``K log(1 + M/K) = −log(1 − cat_pen)`` (NBD fitted by its mean and zeros), or ``M² / (var − M)``
  when the variance of category purchases is given;
* ``S`` is solved per brand so that the predicted penetration equals the observed one, outliers (Tukey's
  boxplot rule and values above the upper notch) are dropped, and the rest are averaged weighted by share.

``period`` scales M (a multiple of the base period), as ``period.set(t)`` does in R.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats


@dataclass(frozen=True)
class DirichletFit:
    """M, K, S and the per-brand predictions of a fitted NBD-Dirichlet."""

    M: float
    K: float
    S: float
    S_by_brand: dict[str, float]
    brands: tuple[str, ...]
    brand_share: np.ndarray
    brand_pen_obs: np.ndarray | None
    nstar: int = 50
    period: float = 1.0

    @property
    def m(self) -> float:
        """M for the current period (base M × period)."""
        return self.M * self.period

    def _pn(self) -> np.ndarray:
        n = np.arange(self.nstar + 1)
        return stats.nbinom.pmf(n, self.K, self.K / (self.K + self.m))

    def _p0(self, alpha: float) -> np.ndarray:
        """P(no purchase of a brand with Dirichlet weight ``alpha`` | n category purchases), n = 0..nstar."""
        n = np.arange(self.nstar + 1)
        return stats.betabinom.pmf(0, n, alpha, self.S - alpha)

    def penetration(self, j: int | Sequence[int]) -> float:
        """Predicted share of people buying brand j (or any of the brands j) in the period."""
        alpha = self.S * float(np.sum(self.brand_share[np.atleast_1d(j)]))
        return float(1 - np.sum(self._pn() * self._p0(alpha)))

    def buy_rate(self, j: int) -> float:
        """Predicted purchases of brand j per buyer of j: E[r] = Σ Pn · n · share / b."""
        n = np.arange(1, self.nstar + 1)
        return float(np.sum(self._pn()[1:] * n * self.brand_share[j]) / self.penetration(j))

    def category_rate_of_buyers(self, j: int) -> float:
        """Predicted category purchases per buyer of brand j (R's ``wp``)."""
        n = np.arange(self.nstar + 1)
        alpha = self.S * self.brand_share[j]
        return float(np.sum(n * self._pn() * (1 - self._p0(alpha))) / self.penetration(j))

    def scr(self, j: int) -> float:
        """Share of category requirements: the brand's share of its own buyers' category purchases."""
        return self.buy_rate(j) / self.category_rate_of_buyers(j)

    def sole_loyal(self, j: int) -> float:
        """Share of brand j's buyers who bought only brand j in the period (100 %-loyal)."""
        n = np.arange(1, self.nstar + 1)
        alpha = self.S * self.brand_share[j]
        only = stats.betabinom.pmf(n, n, alpha, self.S - alpha)
        return float(np.sum(self._pn()[1:] * only) / self.penetration(j))

    def duplication(self, j: int, k: int) -> float:
        """Share of brand j's buyers who also bought brand k."""
        if j == k:
            return 1.0
        both = self.penetration(j) + self.penetration(k) - self.penetration([j, k])
        return both / self.penetration(j)

    def table(self) -> pd.DataFrame:
        """One row per brand: share, predicted penetration, buying rate, category rate, SCR, 100 %-loyal share."""
        rows = []
        for j, b in enumerate(self.brands):
            rows.append({"brand": b, "share": float(self.brand_share[j]),
                         "penetration_obs": None if self.brand_pen_obs is None else float(self.brand_pen_obs[j]),
                         "penetration": self.penetration(j), "buy_rate": self.buy_rate(j),
                         "category_rate": self.category_rate_of_buyers(j), "scr": self.scr(j),
                         "sole_loyal": self.sole_loyal(j)})
        return pd.DataFrame(rows)

    def duplication_table(self) -> pd.DataFrame:
        """Rows: buyers of brand j; columns: share of them who also bought brand k."""
        idx = range(len(self.brands))
        return pd.DataFrame([[self.duplication(j, k) for k in idx] for j in idx],
                            index=list(self.brands), columns=list(self.brands))


def _fivenum(x: np.ndarray) -> np.ndarray:
    """Tukey's five numbers as R's ``fivenum`` (hinges, not quantiles), which ``boxplot.stats`` uses."""
    x = np.sort(x)
    n = len(x)
    n4 = np.floor((n + 3) / 2) / 2
    d = np.array([1, n4, (n + 1) / 2, n + 1 - n4, n]) - 1
    return 0.5 * (x[np.floor(d).astype(int)] + x[np.ceil(d).astype(int)])


def _kept(s_all: np.ndarray) -> np.ndarray:
    """Which per-brand S survive R's outlier rule: inside 1.5 IQR of the hinges and not above the upper notch."""
    fn = _fivenum(s_all)
    iqr = fn[3] - fn[1]
    out = (s_all < fn[1] - 1.5 * iqr) | (s_all > fn[3] + 1.5 * iqr)
    notch_high = fn[2] + 1.58 * iqr / np.sqrt(len(s_all))
    return ~(out | (s_all > notch_high))


def dirichlet(cat_pen: float, cat_buyrate: float, brand_share: Sequence[float], brand_pen_obs: Sequence[float],
              brand_name: Sequence[str] | None = None, cat_pur_var: float | None = None, nstar: int = 50,
              max_s: float = 30.0, max_k: float = 30.0, period: float = 1.0,
              drop_outlier_s: bool = True) -> DirichletFit:
    """Fit the NBD-Dirichlet from summary figures, with the inputs of R's ``NBDdirichlet::dirichlet``.

    ``cat_pen``: share of people who bought the category in the base period; ``cat_buyrate``: category purchases
    per category buyer; ``brand_share``: brands' shares of purchases; ``brand_pen_obs``: observed share of people
    buying each brand (used to solve S). ``period`` is the multiple of the base period predictions refer to.
    ``drop_outlier_s=False`` averages every brand's S (what the package's older printed example shows, S = 1.55 for
    the toothpaste data); the default drops outliers as the current R source does (S = 1.30).
    """
    share = np.asarray(brand_share, dtype=float)
    pen_obs = np.asarray(brand_pen_obs, dtype=float)
    if not 0 < cat_pen < 1:
        raise ValueError(f"cat_pen must lie strictly between 0 and 1, got {cat_pen}")
    if cat_buyrate < 1:
        raise ValueError(f"cat_buyrate is purchases per category buyer and cannot be below 1, got {cat_buyrate}")
    if len(share) != len(pen_obs) or len(share) < 2:
        raise ValueError("brand_share and brand_pen_obs need one value per brand, for two brands or more")
    if np.any(share <= 0) or np.any(share >= 1):
        raise ValueError("every brand share must lie strictly between 0 and 1")
    names = tuple(brand_name) if brand_name is not None else tuple(f"B{i + 1}" for i in range(len(share)))
    M = cat_pen * cat_buyrate
    if cat_pur_var is None:
        target = -np.log1p(-cat_pen)
        K = optimize.minimize_scalar(lambda k: (k * np.log1p(M / k) - target) ** 2, bounds=(1e-4, max_k),
                                     method="bounded", options={"xatol": 1e-8}).x
    else:
        if cat_pur_var <= M:
            raise ValueError(f"cat_pur_var ({cat_pur_var}) must exceed M = cat_pen × cat_buyrate ({M:.4g})")
        K = M**2 / (cat_pur_var - M)
    base = DirichletFit(M, float(K), 1.0, {}, names, share, pen_obs, nstar)
    pn = base._pn()
    n = np.arange(nstar + 1)

    def pen_gap(s: float, j: int) -> float:
        p0 = stats.betabinom.pmf(0, n, s * share[j], s - s * share[j])
        return (1 - float(np.sum(pn * p0)) - pen_obs[j]) ** 2

    s_all = np.array([optimize.minimize_scalar(pen_gap, bounds=(1e-6, max_s), args=(j,), method="bounded",
                                               options={"xatol": 1e-8}).x for j in range(len(share))])
    keep = _kept(s_all) if drop_outlier_s else np.ones(len(s_all), dtype=bool)
    S = float(np.average(s_all[keep], weights=share[keep]))
    return DirichletFit(M, float(K), S, dict(zip(names, s_all.tolist(), strict=True)), names, share, pen_obs, nstar,
                        period)
