"""The price optimiser agrees with a brute-force grid and respects every constraint."""

from __future__ import annotations

import numpy as np
import pytest

from upmarket.analyses.pricing_plan import Cell, optimise
from upmarket.analyses.pricing_plan.optimise import value


def brute(cell: Cell) -> float:
    grid = np.arange(0.0, cell.ceiling + 0.5, 0.5)
    obj, ok = value(cell, grid)
    return float(grid[np.argmax(np.where(ok, obj, -np.inf))])


@pytest.mark.parametrize(("alpha", "cap", "floor"), [(0.5, 0.9, 3999.0), (0.9, 0.9, 3999.0), (0.35, 0.9, 2999.0),
                                                     (0.6, 0.15, 3999.0), (1.5, 0.9, 5000.0)])
def test_optimiser_equals_brute_force(alpha, cap, floor):
    cell = Cell(v_focal=4.0, alpha=alpha, v_sub=0.5, v_others=np.array([0.8, 0.2, 0.0]), cost=2400.0,
                floor=floor, p_sub=1999.0, diversion_cap=cap, ceiling=9000.0)
    got = optimise(cell)
    want = brute(cell)
    assert abs(value(cell, np.array([got["price"]]))[0][0] - value(cell, np.array([want]))[0][0]) < 1e-3
    assert abs(got["price"] - want) <= 2.0
    assert got["price"] >= max(floor, 1999 + 500) - 1e-9
    assert got["diversion_to_sub"] <= cap + 1e-9


def test_subsidy_cap_pulls_price_to_6000():
    # price-sensitive enough that losing the subsidy above 6000 costs more than the extra margin
    cell = Cell(v_focal=6.0, alpha=0.55, v_sub=0.0, v_others=np.array([0.0]), cost=2000.0, floor=3999.0,
                p_sub=1999.0, diversion_cap=1.0, ceiling=9000.0)
    assert abs(optimise(cell)["price"] - brute(cell)) <= 2.0
