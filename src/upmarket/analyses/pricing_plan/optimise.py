"""The price that maximises margin (or revenue) for one cell under a logit demand, with the issue's constraints.

Constraints: the price is at least the list-price floor and at least ``ladder_gap`` above the sub-brand's
price (the ladder), the share of the focal product's lost buyers who go to the sub-brand stays under
``diversion_cap``, and the national subsidy (``subsidy_rate`` of the price, at most ``subsidy_max`` CNY) only
applies at or below ``subsidy_cap`` (6000 CNY), which makes demand jump there. The objective is piecewise
smooth, so: a coarse scan for the feasible best, then a bounded scalar search on the piece that holds it.

Channels (``optimise_channels``): one Cell per channel a brand can price separately (coupons, channel-exclusive
configurations), each with its own rivals' and sub-brand's prices and platform fee, weighted by the channel's
share of the cell's buyers, under one coupling constraint — the channel prices stay within ``spread`` of the
lowest (a larger gap moves buyers to the cheaper channel, which this demand model does not see). Solved exactly on
a ``step``-CNY grid: for every lower end ``lo`` of the band [lo, lo·(1 + spread)], each channel takes its best
feasible price in the band (a windowed maximum, ``np.maximum.reduceat``); the best ``lo`` wins.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import minimize_scalar

from upmarket.contract.codes import NATIONAL_SUBSIDY, NationalSubsidy


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
    subsidy_cap: float = NATIONAL_SUBSIDY.limit_cny
    subsidy_rate: float = NATIONAL_SUBSIDY.rate
    subsidy_max: float = NATIONAL_SUBSIDY.cap_cny
    objective: str = "margin"
    ceiling: float = 15000.0
    fee: float = 0.0  # platform commission, share of the price (margin objective only)


def paid(cell: Cell, p: np.ndarray) -> np.ndarray:
    """What the buyer pays after the subsidy (only at or under the cap)."""
    p = np.asarray(p, float)
    return p - NationalSubsidy(cell.subsidy_rate, cell.subsidy_max, cell.subsidy_cap).amount(p)


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
    obj = (p * (1 - cell.fee) - cell.cost) * sf if cell.objective == "margin" else p * sf
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
    return describe(cell, best_p)


def lower_bound(cell: Cell) -> float:
    """The lowest allowed price: the list-price floor or the sub-brand's price plus the ladder gap."""
    return max(cell.floor, cell.p_sub + cell.ladder_gap)


def describe(cell: Cell, p: float) -> dict[str, float]:
    """Price, what the buyer pays, focal and sub-brand shares, objective per buyer, diversion to the sub-brand
    (of the buyers lost by pricing above the lowest allowed price) and cannibalisation (the share of the focal
    product's buyers who would otherwise have bought the sub-brand)."""
    lo = lower_bound(cell)
    sf, ss = shares(cell, np.array([p]))
    sf0, ss0 = shares(cell, np.array([lo]))
    obj, _ = value(cell, np.array([p]))
    lost = sf0[0] - sf[0]
    es, eo = np.exp(cell.v_sub), np.exp(cell.v_others).sum()
    ss_without = es / (es + eo)  # the sub-brand's share if the focal product were not offered
    return {"price": float(p), "paid": float(paid(cell, np.array([p]))[0]), "share": float(sf[0]),
            "objective_per_buyer": float(obj[0]), "sub_share": float(ss[0]),
            "diversion_to_sub": float((ss[0] - ss0[0]) / lost) if lost > 1e-12 else 0.0,
            "cannibalisation": float((ss_without - ss[0]) / sf[0]) if sf[0] > 1e-12 else 0.0}


def optimise_channels(cells: list[Cell], weights: np.ndarray, spread: float = 0.1, step: float = 1.0
                      ) -> list[dict[str, float]]:
    """Per-channel prices maximising Σ_c weight_c·objective_c(p_c), every p_c feasible for its channel and
    max p ≤ (1 + spread)·min p; exact on a ``step``-CNY grid (module docstring). One dict per channel."""
    if not cells:
        raise ValueError("no channels to price")
    w = np.asarray(weights, float)
    if len(w) != len(cells) or (w < 0).any() or w.sum() <= 0:
        raise ValueError("channel weights: one non-negative weight per channel, not all zero")
    lo = min(lower_bound(c) for c in cells)
    hi = max(c.ceiling for c in cells)
    if lo > hi:
        raise ValueError(f"no feasible price: floor/ladder {lo:.0f} CNY is above the ceiling {hi:.0f}")
    caps = [c.subsidy_cap for c in cells if lo <= c.subsidy_cap <= hi]  # the subsidy's jump is on the grid
    grid = np.unique(np.r_[np.arange(lo, hi + step / 2, step), caps])
    F = np.full((len(cells), len(grid) + 1), -np.inf)  # a −inf sentinel column closes the last window
    for i, c in enumerate(cells):
        obj, ok = value(c, grid)
        F[i, :-1] = np.where(ok, w[i] * obj, -np.inf)
    ends = np.searchsorted(grid, grid * (1 + spread) * (1 + 1e-12), side="right")  # window i: grid[i:ends[i]]
    idx = np.column_stack([np.arange(len(grid)), ends]).ravel()
    win = np.maximum.reduceat(F, idx, axis=1)[:, ::2]  # (channels, lower ends)
    total = win.sum(axis=0)
    if not np.isfinite(total).any():
        raise ValueError(f"no feasible price vector: the channels' constraints cannot all hold within a "
                         f"{spread:.0%} band")
    i = int(np.argmax(total))
    prices = [float(grid[i + int(np.argmax(F[c, i:ends[i]]))]) for c in range(len(cells))]
    return [describe(c, p) for c, p in zip(cells, prices, strict=True)]


def unconstrained(cell: Cell) -> Cell:
    """The same cell without the plan's business bounds (floor, ladder, diversion cap): only price ≥ unit cost.
    Its optimum is the price demand and cost alone ask for, so a bound that moves the plan away from it is named."""
    return replace(cell, floor=cell.cost, p_sub=0.0, ladder_gap=0.0, diversion_cap=np.inf)


BOUNDS = ("floor", "ladder", "diversion_cap", "subsidy_cap", "ceiling", "channel_spread", "interior")
"""What holds a planned price where it is; ``interior`` means no bound does."""


def binding(cell: Cell, p: float, free_price: float, tol: float = 2.0) -> str:
    """Which bound holds ``p`` away from the unconstrained optimum ``free_price`` (``interior`` when none).

    The floor or the ladder when ``p`` sits on the lower bound above the free optimum, the ceiling on the upper one,
    the subsidy cap when ``p`` is at the cap (demand jumps there, so the optimum sits on the kink), the diversion cap
    when the sub-brand's share of lost buyers is at its cap, else the channels' common band (``channel_spread``)
    when ``p`` is off its own optimum, else interior."""
    lo = lower_bound(cell)
    if abs(p - lo) <= tol and free_price < lo - tol:
        return "floor" if cell.floor >= cell.p_sub + cell.ladder_gap else "ladder"
    if abs(p - cell.ceiling) <= tol and free_price >= cell.ceiling - tol:
        return "ceiling"
    if abs(p - cell.subsidy_cap) <= tol:
        return "subsidy_cap"
    if np.isfinite(cell.diversion_cap) and describe(cell, p)["diversion_to_sub"] >= cell.diversion_cap - 1e-3:
        return "diversion_cap"
    if abs(p - free_price) > max(tol, 0.002 * free_price):
        return "channel_spread"
    return "interior"
