"""The Bass diffusion model fitted by nonlinear least squares on per-period adoptions, with profile intervals.

Sales per period are the adoptions between the period's bounds: ``m · (F(t1) − F(t0))`` with ``t`` the time since
launch in the series' own unit (week, month or quarter) and F the Bass cumulative share
``(1 − e^{−(p+q)t}) / (1 + (q/p) e^{−(p+q)t})``. Fitting increments over exact bounds (not a discrete
``S_t = a + b·Y_{t−1} + c·Y²_{t−1}`` regression) lets a series start mid-period (a launch on a Thursday, in the
middle of a quarter), skip periods, end in a partial period, or start long after the launch: a launch before the
data begins (left-censored) is a first period whose ``t0`` is the known time since launch.

Without a launch date a left-censored series cannot give the launch's p, q, m, and no fourth "offset" parameter
helps: the Bass equation dF/dt = (p + qF)(1 − F) restarted at F₀ is again a Bass curve, with p' = p + qF₀,
q' = q(1 − F₀) and m' = m(1 − F₀), so every offset fits the data equally well. Such a series is fitted from its
first period and its p, q, m are those of the *remaining* market (``remaining_market``), which the analysis says.

Residuals are on the square-root scale, ``√y − √ŷ``: sales counts have a variance that grows with their level, and
the root stabilises it (Poisson-like), so one big quarter does not drown the shape of the small ones. Intervals are
**profile likelihood** intervals (the nonlinear-regression F test: a value is inside when refitting the other
parameters with it held fixed raises the residual sum of squares by less than ``F(level; 1, n − k) / (n − k)``):
they follow the curved, skewed shape that short series give m and q, where a Wald interval would be symmetric and
too narrow. A side that never crosses the threshold within a factor ``PROFILE_SPAN`` of the estimate is open
(``None``): the data do not bound it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats

UNIT_DAYS: dict[str, float] = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "quarter": 365.25 / 4,
                               "year": 365.25}
"""Length of each time unit in days: a Bass p, q in one unit converts to another by this ratio (F depends on
(p+q)·t and q/p only)."""

LOG_FLOOR = float(np.log(1e-8))
"""Smallest log p, log q reported: a fit running to q → 0 is the no-imitation boundary of the model."""

PROFILE_SPAN = 30.0
"""How far (a factor either side of the estimate) a profile interval searches for its bound before calling it open."""


def bass_cdf(t: np.ndarray, p: float, q: float) -> np.ndarray:
    """Bass cumulative adoption share F(t), 0 for t ≤ 0."""
    t = np.maximum(np.asarray(t, dtype=float), 0.0)
    e = np.exp(-(p + q) * t)
    return (1.0 - e) / (1.0 + (q / p) * e)


def bass_increments(t0: np.ndarray, t1: np.ndarray, p: float, q: float, m: float) -> np.ndarray:
    """Expected adoptions between t0 and t1 (time since launch, in the series' unit)."""
    return m * (bass_cdf(t1, p, q) - bass_cdf(t0, p, q))


def peak_time(p: float, q: float) -> float:
    """Time of the adoption peak, ln(q/p) / (p + q), 0 when q ≤ p (sales fall from the launch on)."""
    return float(np.log(q / p) / (p + q)) if q > p else 0.0


def convert_rate(value: float, from_unit: str, to_unit: str) -> float:
    """A Bass p or q per ``from_unit`` expressed per ``to_unit``."""
    return value * UNIT_DAYS[to_unit] / UNIT_DAYS[from_unit]


@dataclass
class BassSeries:
    """One model's sales per period: bounds ``t0``, ``t1`` in time units since launch, and the units sold.

    ``remaining_market`` is True when the launch date is unknown and the model may have sold before the first
    period: the fit then describes the market left at the first period, not the launch (see the module notes)."""

    t0: np.ndarray
    t1: np.ndarray
    units: np.ndarray
    time_unit: str
    remaining_market: bool = False

    def __post_init__(self) -> None:
        self.t0 = np.asarray(self.t0, dtype=float)
        self.t1 = np.asarray(self.t1, dtype=float)
        self.units = np.asarray(self.units, dtype=float)
        if not (len(self.t0) == len(self.t1) == len(self.units)):
            raise ValueError("t0, t1 and units must have the same length")
        if (self.t1 <= self.t0).any():
            raise ValueError("every period must end after it starts")
        if (self.units < 0).any() or not np.isfinite(self.units).all():
            raise ValueError("units must be finite and >= 0")


@dataclass
class BassResult:
    """A fitted Bass curve: estimates, profile intervals (None = open side) and fit diagnostics."""

    p: float
    q: float
    m: float
    time_unit: str
    remaining_market: bool
    """p, q, m describe the market left at the first period (launch date unknown, sales before the data)."""
    n: int
    rss: float
    level: float
    ci: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    converged: bool = True

    @property
    def peak(self) -> float:
        return peak_time(self.p, self.q)

    def predict(self, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
        """Expected adoptions between t0 and t1 (time since launch)."""
        return bass_increments(np.asarray(t0), np.asarray(t1), self.p, self.q, self.m)

    def per(self, unit: str) -> tuple[float, float]:
        """(p, q) expressed per ``unit``."""
        return convert_rate(self.p, self.time_unit, unit), convert_rate(self.q, self.time_unit, unit)


class BassFitError(ValueError):
    """A series too short or too flat to fit a Bass curve; the message says why, for ``not_computed``."""


def _grid_start(s: BassSeries, t0: np.ndarray, t1: np.ndarray) -> tuple[float, float, float]:
    """Best (p, q, m) on a log grid, m solved by least squares for each (p, q): a start that avoids local minima."""
    ps = np.logspace(-4, 0.5, 28)
    qs = np.logspace(-3, 1.2, 30)
    P, Q = (a.ravel() for a in np.meshgrid(ps, qs, indexing="ij"))
    tt0 = np.maximum(t0[None, :], 0.0)
    tt1 = np.maximum(t1[None, :], 0.0)
    e0, e1 = np.exp(-(P + Q)[:, None] * tt0), np.exp(-(P + Q)[:, None] * tt1)
    r = (Q / P)[:, None]
    dF = (1 - e1) / (1 + r * e1) - (1 - e0) / (1 + r * e0)
    m = (dF @ s.units) / np.maximum((dF**2).sum(axis=1), 1e-300)
    m = np.maximum(m, s.units.sum())
    sse = ((np.sqrt(s.units)[None, :] - np.sqrt(np.maximum(m[:, None] * dF, 0.0))) ** 2).sum(axis=1)
    best = int(np.argmin(sse))
    return float(P[best]), float(Q[best]), float(m[best])


def _residuals(theta: np.ndarray, s: BassSeries, fixed: dict[int, float]) -> np.ndarray:
    """√y − √ŷ for ``theta`` = (log p, log q, log m) with some entries held fixed."""
    p, q, m = np.exp(np.clip(_merge(theta, fixed, 3), LOG_FLOOR, 40.0))
    return np.sqrt(s.units) - np.sqrt(np.maximum(bass_increments(s.t0, s.t1, p, q, m), 0.0))


def _dcdf(t: np.ndarray, p: float, q: float) -> tuple[np.ndarray, np.ndarray]:
    """∂F/∂log p and ∂F/∂log q, 0 for t ≤ 0."""
    t = np.maximum(np.asarray(t, dtype=float), 0.0)
    e = np.exp(-(p + q) * t)
    r = q / p
    den = (1 + r * e) ** 2
    common = t * e * (1 + r)
    return p * (common + (1 - e) * e * q / p**2) / den, q * (common - (1 - e) * e / p) / den


def _jacobian(theta: np.ndarray, s: BassSeries, fixed: dict[int, float]) -> np.ndarray:
    """Analytic Jacobian of ``_residuals`` with respect to the free entries of ``theta``."""
    p, q, m = np.exp(np.clip(_merge(theta, fixed, 3), LOG_FLOOR, 40.0))
    pred = m * (bass_cdf(s.t1, p, q) - bass_cdf(s.t0, p, q))
    scale = -0.5 / np.sqrt(np.maximum(pred, 1e-12))
    a0, b0 = _dcdf(s.t0, p, q)
    a1, b1 = _dcdf(s.t1, p, q)
    jac = np.column_stack([m * (a1 - a0), m * (b1 - b0), pred]) * scale[:, None]
    return jac[:, [i for i in range(3) if i not in fixed]]


def _merge(free: np.ndarray, fixed: dict[int, float], k: int) -> np.ndarray:
    out = np.empty(k)
    it = iter(free)
    for i in range(k):
        out[i] = fixed[i] if i in fixed else next(it)
    return out


def _solve(s: BassSeries, start: np.ndarray, fixed: dict[int, float]) -> tuple[np.ndarray, float, bool]:
    """Levenberg–Marquardt (MINPACK) on the free entries: unbounded thanks to the log and square-root
    parametrisation, and a few times faster than a bounded trust-region solver on these tiny problems."""
    k = len(start)
    free = [i for i in range(k) if i not in fixed]
    sol = optimize.least_squares(_residuals, start[free], jac=_jacobian, args=(s, fixed), method="lm", xtol=1e-7,
                                 ftol=1e-8, max_nfev=100 * (len(free) + 1))
    return _merge(sol.x, fixed, k), float(2 * sol.cost), bool(sol.success)


def _profile_bound(s: BassSeries, theta: np.ndarray, j: int, threshold: float, direction: int) -> float | None:
    """The log-parameter value where the profile RSS crosses ``threshold`` going ``direction`` from the estimate.

    Steps outward (each refit warm-started from the last point inside) until the RSS exceeds the threshold, then
    bisects between the last inside and the first outside point."""
    def rss_at(v: float, warm: np.ndarray) -> tuple[float, np.ndarray]:
        full, rss, _ = _solve(s, warm, {j: v})
        return rss, full

    inside, warm = theta[j], theta.copy()
    limit = theta[j] + direction * np.log(PROFILE_SPAN)
    step = np.log(1.25)
    while direction * (limit - inside) > 1e-12:
        v = inside + direction * step
        if direction * (v - limit) > 0:
            v = limit
        rss, full = rss_at(v, warm)
        if rss > threshold:
            outside = v
            for _ in range(6):
                mid = 0.5 * (inside + outside)
                rss, full = rss_at(mid, warm)
                if rss > threshold:
                    outside = mid
                else:
                    inside, warm = mid, full
            return float(0.5 * (inside + outside))
        inside, warm = v, full
        step *= 1.6
    return None


def fit_bass(s: BassSeries, level: float = 0.9, min_points: int = 4, intervals: bool = True) -> BassResult:
    """Fit p, q, m to one series; BassFitError when it cannot be done."""
    k = 3
    n = len(s.units)
    if n < max(min_points, k):
        raise BassFitError(f"{n} period(s) with sales; a Bass fit needs at least {max(min_points, k)}")
    if (s.units > 0).sum() < k:
        raise BassFitError(f"only {(s.units > 0).sum()} period(s) with positive sales; {k} parameters to fit")
    p0, q0, m0 = _grid_start(s, s.t0, s.t1)
    theta, rss, ok = _solve(s, np.log([p0, q0, m0]), {})
    theta[:3] = np.clip(theta[:3], LOG_FLOOR, 40.0)  # q → 0 (no word of mouth) is a boundary, not −∞
    p, q, m = (float(v) for v in np.exp(theta[:3]))
    res = BassResult(p=p, q=q, m=m, time_unit=s.time_unit, remaining_market=s.remaining_market, n=n, rss=rss,
                     level=level, converged=ok)
    dof = n - k
    if intervals and dof > 0:
        f = stats.f.ppf(level, 1, dof)
        threshold = max(rss, 1e-12 * max(s.units.sum(), 1.0)) * (1 + f / dof)
        for j, name in enumerate(("p", "q", "m")):
            lo = _profile_bound(s, theta, j, threshold, -1)
            hi = _profile_bound(s, theta, j, threshold, +1)
            res.ci[name] = (None if lo is None else float(np.exp(lo)), None if hi is None else float(np.exp(hi)))
    return res
