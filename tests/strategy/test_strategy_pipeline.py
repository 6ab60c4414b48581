"""The pipeline's strategy step: a crash there is reported under failed.strategy, never a lost run."""

from __future__ import annotations

import pytest

import upmarket.strategy
from upmarket.pipeline import strategy_block


def test_a_crash_in_the_strategy_is_a_listed_failure(monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("bad figure")

    monkeypatch.setattr(upmarket.strategy, "build_strategy", boom)
    figures = {"focal_brand": "Xiaomi", "failed": {}}
    out = strategy_block(figures)
    assert out["findings"] == [] and figures["failed"]["strategy"]["error"] == "bad figure"
    with pytest.raises(RuntimeError):
        strategy_block({"failed": {}}, debug=True)


def test_empty_figures_give_an_empty_strategy_with_reasons() -> None:
    figures = {"focal_brand": "Xiaomi", "config": {"sub_brands": ["Redmi"]}, "skipped": {"voice": "no reviews"},
               "failed": {}}
    out = strategy_block(figures)
    assert out["findings"] == [] and figures["failed"] == {}
    assert out["suppressed"]["product.aspects"] == "voice was skipped: no reviews"
