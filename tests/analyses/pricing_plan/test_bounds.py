"""The price plan names the bound that holds each price and what a uniform price would cost (issue 19 item 2)."""

from __future__ import annotations

import numpy as np
import pytest

from upmarket.analyses.pricing_plan import Cell, optimise
from upmarket.analyses.pricing_plan import uniform_price as uniform
from upmarket.analyses.pricing_plan.optimise import binding, unconstrained, value


def cell(alpha: float, floor: float = 3999.0, v_focal: float = 4.0, cap: float = 0.9) -> Cell:
    return Cell(v_focal=v_focal, alpha=alpha, v_sub=0.5, v_others=np.array([0.8, 0.2, 0.0]), cost=2400.0,
                floor=floor, p_sub=1999.0, diversion_cap=cap, ceiling=15000.0)


def logit_optimum(c: Cell) -> float:
    """Brute force over a fine grid, no business bounds (price ≥ cost only)."""
    grid = np.arange(c.cost, c.ceiling, 0.5)
    obj, ok = value(unconstrained(c), grid)
    return float(grid[np.argmax(np.where(ok, obj, -np.inf))])


@pytest.mark.parametrize("alpha", [0.9, 1.2, 1.6])
def test_a_price_sensitive_cell_is_held_by_the_floor(alpha):
    c = cell(alpha)
    got = optimise(c)
    free = optimise(unconstrained(c))
    assert abs(free["price"] - logit_optimum(c)) <= 2.0
    assert free["price"] < 3999 - 2  # demand and cost alone ask for less than the floor
    assert got["price"] == pytest.approx(3999.0)
    assert binding(c, got["price"], free["price"]) == "floor"


@pytest.mark.parametrize("alpha", [0.2, 0.3])
def test_an_insensitive_cell_is_interior_or_on_the_subsidy_kink(alpha):
    c = cell(alpha, floor=2500.0)
    got = optimise(c)
    free = optimise(unconstrained(c))
    b = binding(c, got["price"], free["price"])
    assert b in ("interior", "subsidy_cap")
    if b == "interior":
        assert got["price"] == pytest.approx(free["price"], abs=2.0)


def test_ladder_binds_when_the_sub_brand_is_priced_high():
    c = cell(1.2, floor=2500.0)
    c.p_sub = 3800.0
    got = optimise(c)
    assert binding(c, got["price"], optimise(unconstrained(c))["price"]) == "ladder"


def test_uniform_price_maximises_the_weighted_objective_and_differentiation_is_worth_something():
    cells = {("a", "all"): ([cell(0.4, floor=2500.0)], np.array([1.0])),
             ("b", "all"): ([cell(1.4, floor=2500.0)], np.array([1.0]))}
    share = {"a": 0.5, "b": 0.5}
    u = uniform(cells, share, step=1.0)
    grid = np.arange(3000.0, 15000.0, 1.0)
    tot = sum(0.5 * np.where(value(cs[0], grid)[1], value(cs[0], grid)[0], -np.inf) for cs, _ in cells.values())
    assert abs(u - float(grid[np.argmax(tot)])) <= 2.0
    own = [optimise(cs[0])["objective_per_buyer"] for cs, _ in cells.values()]
    at_u = [float(value(cs[0], np.array([u]))[0][0]) for cs, _ in cells.values()]
    assert all(o >= a - 1e-9 for o, a in zip(own, at_u, strict=True))
    assert sum(own) - sum(at_u) > 1.0  # two different segments: one price leaves margin on the table
