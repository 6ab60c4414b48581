"""The price optimiser agrees with a brute-force grid and respects every constraint."""

from __future__ import annotations

import numpy as np
import pytest

from upmarket.analyses.pricing_plan import Cell, optimise
from upmarket.analyses.pricing_plan.optimise import optimise_channels, value


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


def _channel_cells() -> list[Cell]:
    """Two channels that differ in rivals, sub-brand price and fee (a small case brute force can enumerate)."""
    base = dict(v_focal=4.0, alpha=0.7, cost=2400.0, floor=3999.0, diversion_cap=0.9, ceiling=7000.0)
    return [Cell(v_sub=0.4, v_others=np.array([0.9, 0.1, 0.0]), p_sub=1999.0, fee=0.05, **base),
            Cell(v_sub=0.8, v_others=np.array([0.2, 0.0]), p_sub=2999.0, fee=0.0, **base)]


def _brute_channels(cells: list[Cell], w: np.ndarray, spread: float, step: float = 1.0) -> tuple[float, np.ndarray]:
    """Every pair of channel prices on the grid; the best weighted objective that meets all constraints."""
    grid = np.arange(3000.0, 7000.0 + step / 2, step)
    (o1, ok1), (o2, ok2) = (value(c, grid) for c in cells)
    tot = w[0] * np.where(ok1, o1, -np.inf)[:, None] + w[1] * np.where(ok2, o2, -np.inf)[None, :]
    p1, p2 = np.meshgrid(grid, grid, indexing="ij")
    tot = np.where(np.maximum(p1, p2) <= (1 + spread) * np.minimum(p1, p2) + 1e-9, tot, -np.inf)
    i, j = np.unravel_index(np.argmax(tot), tot.shape)
    return float(tot[i, j]), np.array([grid[i], grid[j]])


@pytest.mark.parametrize("spread", [0.0, 0.03, 0.2])
def test_channel_optimiser_equals_brute_force(spread):
    cells, w = _channel_cells(), np.array([0.6, 0.4])
    got = optimise_channels(cells, w, spread=spread)
    want_v, want_p = _brute_channels(cells, w, spread)
    got_v = sum(wi * value(c, np.array([g["price"]]))[0][0] for wi, c, g in zip(w, cells, got, strict=True))
    assert abs(got_v - want_v) < 1e-6 * abs(want_v)
    assert np.abs(np.array([g["price"] for g in got]) - want_p).max() <= 2.0
    prices = [g["price"] for g in got]
    assert max(prices) <= (1 + spread) * min(prices) + 1e-9
    assert prices[1] >= 2999 + 500 and all(0 <= g["cannibalisation"] <= 1 for g in got)
    if spread == 0.2:  # unconstrained enough that the channels really differ (fee, rivals, sub-brand)
        assert prices[0] != prices[1]


def test_channel_optimiser_refuses_impossible_bands():
    cells = _channel_cells()
    cells[1].floor = 6900.0
    cells[0].ceiling = 5000.0
    with pytest.raises(ValueError, match="within a 3% band"):
        optimise_channels(cells, np.array([0.5, 0.5]), spread=0.03)
    with pytest.raises(ValueError, match="one non-negative weight per channel"):
        optimise_channels(cells, np.array([1.0]))
