"""Each figure in results.json has one owner: two analyses may share a block, never a figure."""

import re

import pytest

from upmarket.results import ResultsCollisionError, deep_merge


def test_a_shared_block_merges_and_a_shared_figure_raises() -> None:
    figures: dict = {}
    owners: dict[str, str] = {}
    deep_merge(figures, {"pricing": {"price_elasticity": {"all": {"Apple": -1.2}}}}, owners=owners, writer="demand")
    deep_merge(figures, {"pricing": {"price_elasticity": {"value": {"Apple": -2.0}}}}, owners=owners,
               writer="segments")
    assert figures["pricing"]["price_elasticity"] == {"all": {"Apple": -1.2}, "value": {"Apple": -2.0}}
    with pytest.raises(ResultsCollisionError, match=re.escape(
            "segments and demand both write results figure 'pricing.price_elasticity.all.Apple'")):
        deep_merge(figures, {"pricing": {"price_elasticity": {"all": {"Apple": -9.0}}}}, owners=owners,
                   writer="segments")
    with pytest.raises(ResultsCollisionError, match=re.escape("pricing.price_elasticity.all")):
        deep_merge(figures, {"pricing": {"price_elasticity": {"all": 0.5}}}, owners=owners, writer="spread")
    assert figures["pricing"]["price_elasticity"]["all"] == {"Apple": -1.2}, "nothing overwritten"
    deep_merge(figures, {"pricing": {"price_elasticity": {"all": {"Apple": -1.3}}}}, owners=owners, writer="demand")
    assert figures["pricing"]["price_elasticity"]["all"]["Apple"] == -1.3, "an owner may rewrite its own figure"
