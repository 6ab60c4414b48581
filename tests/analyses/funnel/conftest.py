"""Fixtures: a tiny twin loaded into a warehouse, and a small hand-made event log."""

from __future__ import annotations

import json

import pytest

from upmarket.warehouse import Warehouse


@pytest.fixture(scope="session")
def twin_wh(tmp_path_factory):
    """The tiny twin (simulated once per session), its truth and a warehouse with it loaded."""
    from upmarket.twin import simulate

    out = tmp_path_factory.mktemp("funnel_twin") / "tiny"
    simulate(out, preset="tiny", seed=0)
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    wh = Warehouse(":memory:")
    wh.ingest(out)
    yield out, truth, wh
    wh.close()
