"""A second run into the same output folder loads the saved artefacts (same keys) and gives the same figures."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import upmarket
from upmarket.config import load_config
from upmarket.pipeline import run_analyses
from upmarket.warehouse import Warehouse

TINY_SEED = 5


def _without_timings(x):
    if isinstance(x, dict):
        return {k: _without_timings(v) for k, v in x.items() if "seconds" not in str(k)}
    return [_without_timings(v) for v in x] if isinstance(x, list) else x


@pytest.mark.slow
def test_saved_artefacts_are_reused_and_change_nothing(tmp_path: Path) -> None:
    twin = tmp_path / "twin"
    upmarket.simulate(twin, preset="tiny", seed=TINY_SEED)
    out = tmp_path / "out"
    only = ["voice", "segments"]
    first = upmarket.analyze(twin, out, only=only, report=False)
    assert {first.artefacts[a]["how"] for a in ("scored_reviews", "latent_classes")} == {"computed"}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["artefacts"]["latent_classes"]["key"] == first.artefacts["latent_classes"]["key"]
    assert (out / "artefacts" / "latent_classes" / "arrays.npz").is_file()
    second = upmarket.analyze(twin, out, only=only, report=False)
    assert {second.artefacts[a]["how"] for a in ("scored_reviews", "latent_classes")} == {"loaded"}
    for key in ("voice", "pricing", "segments", "warnings"):
        assert _without_timings(second.figures.get(key)) == _without_timings(first.figures.get(key)), key
    config = load_config(twin)
    config = replace(config, analysis_options={**config.analysis_options,
                                               "segments": {**config.options("segments"), "covariates": []}})
    with Warehouse.for_dataset(twin) as wh:
        changed = run_analyses(wh, config, only=only, out=out)
    assert changed.artefacts["latent_classes"]["how"] == "computed", "another option: another key, a new fit"
    assert changed.artefacts["scored_reviews"]["how"] == "loaded"
