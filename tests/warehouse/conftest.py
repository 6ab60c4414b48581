"""Fixtures for the warehouse tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from upmarket.warehouse import Warehouse


@pytest.fixture
def wh(tmp_path: Path):
    with Warehouse(tmp_path / "wh.duckdb") as w:
        yield w


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d
