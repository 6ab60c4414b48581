"""Launch reads every post's cascade (spread's ``post_cascades`` artefact), not only the top posts in results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.launch.analogues import cascade_virality
from upmarket.warehouse import Warehouse


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_launch_with_posts_gets_its_mean_virality(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_models, per_model = 12, 30  # 360 posts: a top-100-by-size view would hide most launches
    models = [f"Phone {i}" for i in range(n_models)]
    launch = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 200, n_models), unit="D")
    planted = dict(zip(models, rng.uniform(1.5, 6.0, n_models), strict=True))
    rows, cascades = [], []
    for m, day in zip(models, launch, strict=True):
        for j in range(per_model):
            pid = f"P-{m}-{j}"
            rows.append({"post_id": pid, "ts": day + pd.Timedelta(weeks=float(rng.uniform(0, 10))),
                         "sku_ids": f"{m}-128|{m}-256"})
            cascades.append({"post_id": pid, "structural_virality": planted[m] + rng.normal(0, 0.05),
                             "size": int(rng.integers(2, 50))})
    # a post long after its launch is outside the window and does not count
    rows.append({"post_id": "P-late", "ts": launch[0] + pd.Timedelta(weeks=40), "sku_ids": f"{models[0]}-128"})
    cascades.append({"post_id": "P-late", "structural_virality": 99.0, "size": 10_000})
    products = pd.DataFrame([{"sku_id": f"{m}-{v}", "model": m} for m in models for v in (128, 256)])
    info = pd.DataFrame({"model": models, "launch_date": launch})
    with Warehouse(":memory:") as wh:
        wh.con.register("posts_df", pd.DataFrame(rows))
        wh.con.register("products_df", products)
        wh.con.execute("CREATE OR REPLACE TABLE posts AS SELECT * FROM posts_df")
        wh.con.execute("CREATE OR REPLACE TABLE products AS SELECT * FROM products_df")
        got = cascade_virality(wh, pd.DataFrame(cascades), info, window_weeks=13).set_index("model")
    assert set(got.index) == set(models)
    assert (got["n_cascades"] == per_model).all()
    for m in models:
        assert got.loc[m, "virality"] == pytest.approx(planted[m], abs=0.05)


def test_no_cascades_means_no_virality() -> None:
    with Warehouse(":memory:") as wh:
        assert cascade_virality(wh, None, pd.DataFrame({"model": [], "launch_date": []}), 13) is None
