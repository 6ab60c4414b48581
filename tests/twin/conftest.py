"""One tiny twin per test session (simulating is the slow part)."""

from __future__ import annotations

import json

import pytest

from upmarket.twin import simulate


@pytest.fixture(scope="session")
def tiny_twin(tmp_path_factory):
    out = tmp_path_factory.mktemp("twin") / "tiny"
    run = simulate(out, preset="tiny", seed=0)
    return out, json.loads((out / "truth.json").read_text(encoding="utf-8")), run
