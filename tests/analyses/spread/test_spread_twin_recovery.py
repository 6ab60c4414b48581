"""Twin recovery: every cascade measure equals the planted truth; creator-type ROI within 15% of planted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from spread_helpers import warehouse_with

from upmarket.analyses.spread import cascade_table
from upmarket.analyses.spread.cascades import METRICS
from upmarket.analyses.spread.creators import post_frame, roi
from upmarket.contract import TABLES
from upmarket.twin import spread as twin_spread


@pytest.fixture(scope="module")
def twin():
    brands = ["Xiaomi", "Xiaomi", "Redmi", "Huawei", "Apple", "OPPO", "vivo", "Honor"]
    products = pd.DataFrame({"sku_id": [f"s{i}" for i in range(8)], "model": [f"m{i}" for i in range(8)],
                             "brand": brands, "list_price": [5999.0, 4499.0, 1999.0, 6999.0, 7999.0, 2999.0,
                                                             3999.0, 2599.0]})
    users = pd.DataFrame({"user_id": [f"u{i:05d}" for i in range(5000)]})
    res = twin_spread.simulate_posts(products, users, rng=np.random.default_rng(3), start="2024-01-01",
                                     end="2024-06-30", n_posts=400)
    posts = res.posts[[c for c in TABLES["posts"].names if c in res.posts.columns]]
    shares = res.shares[[c for c in TABLES["shares"].names if c in res.shares.columns]]
    wh = warehouse_with(posts, shares)
    yield wh, res.truth
    wh.close()


def test_every_cascade_measure_equals_truth(twin) -> None:
    wh, truth = twin
    table, _ = cascade_table(wh)
    got = table.set_index("post_id")[list(METRICS)].to_dict("index")
    assert set(got) == set(truth["spread"])
    wrong = {p: (got[p], t) for p, t in truth["spread"].items()
             if any(got[p][k] != pytest.approx(t[k], rel=1e-12, abs=1e-12) for k in METRICS)}
    assert not wrong, list(wrong.items())[:3]


def test_creator_type_roi_within_15_percent(twin) -> None:
    wh, truth = twin
    posts = post_frame(wh, None)
    est = roi(posts, "creator_type", reps=0, rng=np.random.default_rng(0)).set_index("creator_type")
    planted = {t: v["planted_roi"] for t, v in truth["creators"]["by_type"].items() if v["n_posts"] >= 20}
    assert planted
    for t, p in planted.items():
        assert est.loc[t, "gmv_per_cny"] == pytest.approx(p, rel=0.15), t
