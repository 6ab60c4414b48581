"""The price that maximises margin (or revenue) for one cell under a logit demand, with the issue's constraints.

Constraints: the price is at least the list-price floor and at least ``ladder_gap`` above the sub-brand's
price (the ladder), the share of the focal product's lost buyers who go to the sub-brand stays under
``diversion_cap``, and the national subsidy (``subsidy_rate`` of the price, at most ``subsidy_max`` CNY) only
applies at or below ``subsidy_cap`` (6000 CNY), which makes demand jump there. The objective is piecewise
smooth, so: a coarse scan for the feasible best, then a bounded scalar search on the piece that holds it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar


@dataclass
class Cell:
    """Logit demand for one cell: utilities of the other alternatives and the focal product's non-price utility."""

    v_focal: float  # utility of the focal product without price
    alpha: float  # price coefficient per 1000 CNY (positive)
    v_sub: float  # utility of the sub-brand product, price included
    v_others: np.ndarray  # utilities of rival products and the no-buy option, price included
    cost: float  # unit cost, CNY
    floor: float  # list-price floor, CNY
    p_sub: float  # the sub-brand's price, CNY
    ladder_gap: float = 500.0
    diversion_cap: float = 0.3
    subsidy_cap: float = 6000.0
    subsidy_rate: float = 0.15
    subsidy_max: float = 500.0
    objective: str = "margin"
    ceiling: float = 15000.0


def paid(cell: Cell, p: np.ndarray) -> np.ndarray:
    """What the buyer pays after the subsidy (only at or under the cap)."""
    p = np.asarray(p, float)
    return np.where(p <= cell.subsidy_cap, p - np.minimum(cell.subsidy_rate * p, cell.subsidy_max), p)


def shares(cell: Cell, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Focal and sub-brand choice shares at focal price(s) ``p``."""
    vf = cell.v_focal - cell.alpha * paid(cell, p) / 1000
    m = max(float(np.max(vf)), cell.v_sub, float(cell.v_others.max()))
    ef, es, eo = np.exp(vf - m), np.exp(cell.v_sub - m), np.exp(cell.v_others - m).sum()
    d = ef + es + eo
    return ef / d, es / d


def value(cell: Cell, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Objective per buyer and feasibility at price(s) ``p``."""
    p = np.asarray(p, float)
    sf, ss = shares(cell, p)
    obj = (p - cell.cost) * sf if cell.objective == "margin" else p * sf
    lo = max(cell.floor, cell.p_sub + cell.ladder_gap)
    sf0, ss0 = shares(cell, np.array([lo]))
    lost = sf0[0] - sf
    div = np.where(lost > 1e-12, (ss - ss0[0]) / np.maximum(lost, 1e-12), 0.0)
    ok = (p >= lo - 1e-9) & (p <= cell.ceiling) & (div <= cell.diversion_cap + 1e-12)
    return obj, ok


def optimise(cell: Cell, step: float = 50.0) -> dict[str, float]:
    """The best feasible price with its units share, margin per buyer and diversion to the sub-brand."""
    lo = max(cell.floor, cell.p_sub + cell.ladder_gap)
    if lo > cell.ceiling:
        raise ValueError(f"no feasible price: floor/ladder {lo:.0f} CNY is above the ceiling {cell.ceiling:.0f}")
    grid = np.unique(np.r_[np.arange(lo, cell.ceiling + step, step), cell.subsidy_cap, lo])
    grid = grid[(grid >= lo) & (grid <= cell.ceiling)]
    obj, ok = value(cell, grid)
    obj = np.where(ok, obj, -np.inf)
    i = int(np.argmax(obj))
    best_p, best_v = float(grid[i]), float(obj[i])
    a, b = max(lo, best_p - step), min(cell.ceiling, best_p + step)
    pieces = [(a, min(b, cell.subsidy_cap)), (max(a, cell.subsidy_cap + 1e-6), b)]
    for x0, x1 in pieces:
        if x1 <= x0:
            continue
        res = minimize_scalar(lambda x: -value(cell, np.array([x]))[0][0] if value(cell, np.array([x]))[1][0]
                              else np.inf, bounds=(x0, x1), method="bounded", options={"xatol": 0.01})
        if np.isfinite(res.fun) and -res.fun > best_v:
            best_p, best_v = float(res.x), float(-res.fun)
    sf, ss = shares(cell, np.array([best_p]))
    sf0, ss0 = shares(cell, np.array([lo]))
    lost = sf0[0] - sf[0]
    return {"price": best_p, "paid": float(paid(cell, np.array([best_p]))[0]), "share": float(sf[0]),
            "objective_per_buyer": best_v, "sub_share": float(ss[0]),
            "diversion_to_sub": float((ss[0] - ss0[0]) / lost) if lost > 1e-12 else 0.0}
