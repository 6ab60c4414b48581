"""Fixtures shared across test folders: the demo twin is simulated once per test session (per worker)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

DEMO_SEED = 7


@pytest.fixture(scope="session")
def demo_twin(tmp_path_factory) -> Path:
    """A demo-preset twin (seed 7): every contract table, upmarket.toml, truth.json and _truth/."""
    import upmarket

    out = tmp_path_factory.mktemp("demo_twin") / "twin"
    upmarket.simulate(out, preset="demo", seed=DEMO_SEED)
    return out


@pytest.fixture(scope="session")
def twin_subset(demo_twin, tmp_path_factory) -> Callable[[tuple[str, ...]], Path]:
    """A dataset folder holding only some of the demo twin's tables (and its upmarket.toml)."""

    def make(tables: tuple[str, ...]) -> Path:
        sub = tmp_path_factory.mktemp("subset")
        for t in tables:
            shutil.copy(demo_twin / f"{t}.parquet", sub / f"{t}.parquet")
        shutil.copy(demo_twin / "upmarket.toml", sub / "upmarket.toml")
        return sub

    return make
