"""results.schema.json is generated from a block per results key; every analysis' key has one."""

from __future__ import annotations

from importlib import resources

import jsonschema
import pytest

from upmarket.analyses.base import registered
from upmarket.contract.results_schema import render_results_schema, render_results_schema_text, result_blocks


def test_committed_schema_is_the_generated_one() -> None:
    committed = resources.files("upmarket.contract").joinpath("results.schema.json").read_text(encoding="utf-8")
    assert committed == render_results_schema_text(), (
        "contract/results.schema.json is stale: run `python -m upmarket.contract.results_schema`")


def test_every_registered_analysis_has_a_results_block() -> None:
    blocks = result_blocks()
    missing = sorted({cls.results_key or name for name, cls in registered().items()} - set(blocks))
    assert missing == [], f"add contract/results/<key>.json for {missing}"
    assert "pricing_plan" in render_results_schema()["properties"]


def test_a_block_rejects_what_its_model_forbids() -> None:
    schema = render_results_schema()
    ok = {"contract": 1, "focal_brand": "Xiaomi", "skipped": {},
          "pricing_plan": {"constraints": {"floor": 3999.0, "channel_fee": {"jd": 0.05}}}}
    jsonschema.Draft202012Validator(schema).validate(ok)
    bad = {**ok, "pricing_plan": {"constraints": {"floor": "cheap"}}}
    with pytest.raises(jsonschema.ValidationError, match="cheap"):
        jsonschema.Draft202012Validator(schema).validate(bad)
