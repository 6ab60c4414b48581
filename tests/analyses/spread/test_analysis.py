"""The spread section end to end on small hand-made data with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from spread_helpers import BASE, warehouse_with

from upmarket.analyses.spread import Spread
from upmarket.analyses.spread.seeding import event_study
from upmarket.config import Config


def test_section_figures_tables_and_roi(findings_are_templates) -> None:
    posts = pd.DataFrame({
        "post_id": ["a", "b", "c", "d"], "creator_id": ["k1", "k1", "b1", "u1"],
        "creator_type": ["kol", "kol", "brand", "user"], "cost": [100.0, 300.0, None, None],
        "gmv": [400.0, 1200.0, None, None], "views": [1000, 3000, 5000, 10], "likes": [100, 300, 50, 1],
        "followers": [20_000, 20_000, 5_000_000, 100], "topics": ["小米徕卡影像|x", "小米徕卡影像", "x", None],
    })
    shares = pd.DataFrame({"post_id": ["a", "a", "c"], "user_id": ["u", "v", "w"], "parent_user_id": [None, "u", None],
                           "ts": [BASE, BASE + pd.Timedelta(minutes=1), BASE], "_file_id": "f", "_row": [1, 2, 3]})
    with warehouse_with(posts, shares) as wh:
        sec = Spread().run(wh, Config(analysis_options={"spread": {"top_posts": 2, "bootstrap": 50}}))
    assert list(sec.figures) == ["a", "c"]
    assert sec.figures["a"] == {"size": 3, "depth": 2, "max_breadth": 1, "structural_virality": 4 / 3}
    assert set(sec.tables["cascades"]["post_id"]) == {"a", "b", "c", "d"}
    kol = sec.tables["roi_by_creator_type"].set_index("creator_type").loc["kol"]
    assert kol["gmv_per_cny"] == 4.0 and kol["paid_posts"] == 2
    assert kol["cost_per_engagement"] == 1.0
    assert sec.tables["creators"]["creator_id"].tolist() == ["k1"]
    assert sec.tables["topics"].empty  # no topic reaches 3 posts
    assert any("seeding" in w for w in sec.warnings)
    assert all(f.text_zh for f in sec.findings)
    findings_are_templates(sec, "spread")


def test_event_study_finds_a_planted_lift_and_none_without() -> None:
    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", periods=200)
    skus = [f"s{i}" for i in range(20)]
    base = rng.poisson(20, size=(20, 200)).astype(float)
    post_days = rng.integers(20, 180, size=20)
    lifted = base.copy()
    for i, d in enumerate(post_days):  # the planted truth: +50% of an average day on days 0..6
        lifted[i, d:d + 7] += 10
    events = pd.DataFrame({"sku_id": skus, "day": days[post_days]})
    for y, expect in ((lifted, 0.5), (base, 0.0)):
        counts = pd.DataFrame({"sku_id": np.repeat(skus, 200), "day": np.tile(days, 20), "n": y.ravel()})
        res = event_study(counts, events, reps=100, rng=rng).set_index("day")
        during = res.loc[0:6]
        assert abs(during["lift"].mean() - expect) < 0.1
        assert (during["lift_low"] <= during["lift"]).all() and (during["lift"] <= during["lift_high"]).all()
        assert abs(res.loc[-7:-1, "lift"].mean()) < 0.1


def test_topics_carry_the_framing_of_their_captions():
    import pandas as pd

    from upmarket.analyses.spread.topics import topic_table

    posts = pd.DataFrame({
        "post_id": list("abcdef"), "views": [10] * 6, "engagements": [1] * 6, "saves": [0] * 6,
        "topics": ["性价比"] * 3 + ["高端旗舰"] * 3, "sku_ids": [""] * 6,
        "text": ["这价格太划算了，性价比无敌", "便宜又好用，物超所值", "随手拍",
                 "旗舰质感，高端大气", "高端旗舰的做工", "划算"],
    })
    t = topic_table(posts).set_index("topic")
    assert t.loc["性价比", "value_framing"] == 1.0  # two framed captions, both value; the third has no frame
    assert t.loc["高端旗舰", "value_framing"] == 1 / 3
