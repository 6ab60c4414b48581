"""Fee channels linked to the posts and cascades they bought: a hand-made fixture and the twin's posts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mix_helpers import warehouse_with

from upmarket.analyses.mix import kol_figures, kol_findings
from upmarket.analyses.mix.data import MixInputError
from upmarket.analyses.mix.kol import fee_channel_rules, kol_table

WEEKS = pd.date_range("2024-03-04", periods=4, freq="7D")
CHANNELS = ("xiaohongshu_kol", "douyin_live", "jd_ads")
ROI = pd.DataFrame({"channel": list(CHANNELS), "roi": [3.0, 5.0, 8.0], "roi_low": [2.0, 4.0, 6.0],
                    "roi_high": [4.5, 6.5, 9.0], "mroi": [1.5, 2.0, 4.0]})


def _spend() -> pd.DataFrame:
    return pd.DataFrame({"xiaohongshu_kol": [10_000.0, 20_000.0, 0.0, 5_000.0], "douyin_live": [40_000.0] * 4,
                         "jd_ads": [1e5] * 4}, index=WEEKS)


def _posts() -> pd.DataFrame:
    rows = [  # post, ts, platform, creator, type, format, cost, views, likes, comments, shares, saves, gmv, brands
        ("n1", "2024-03-05 10:00", "xiaohongshu", "kA", "kol", "note", 6_000.0, 50_000, 900, 50, 40, 10, 18_000.0,
         "Xiaomi"),
        ("n2", "2024-03-12 09:00", "xiaohongshu", "kB", "koc", "note", 4_000.0, 30_000, 500, 30, 15, 5, None,
         "Redmi|Apple"),
        ("n3", "2024-03-13 09:00", "xiaohongshu", "kC", "kol", "note", 9_000.0, 10_000, 100, 0, 0, 0, None, "Apple"),
        ("n4", "2024-03-14 09:00", "xiaohongshu", "kD", "user", "note", None, 800, 5, 0, 0, 0, None, "Xiaomi"),
        ("l1", "2024-03-20 20:00", "douyin", "hA", "kol", "livestream", 30_000.0, 200_000, 3000, 800, 120, 0,
         150_000.0, "Xiaomi"),
        ("v1", "2024-03-21 20:00", "douyin", "hB", "kol", "short_video", 8_000.0, 90_000, 1200, 60, 30, 0, None,
         "Xiaomi"),
        ("old", "2023-12-01 20:00", "douyin", "hA", "kol", "livestream", 50_000.0, 1, 0, 0, 0, 0, None, "Xiaomi"),
    ]
    cols = ["post_id", "ts", "platform", "creator_id", "creator_type", "format", "cost", "views", "likes", "comments",
            "shares", "saves", "gmv", "brands"]
    df = pd.DataFrame(rows, columns=cols)
    df["ts"] = pd.to_datetime(df["ts"])
    return df


def _shares() -> pd.DataFrame:
    rows = [("n1", "u1", None), ("n1", "u2", "u1"), ("n1", "u1", None),  # u1's second share: not a node
            ("n1", "kA", None),  # the creator sharing their own note: the root, not a new node
            ("n2", "u3", None), ("l1", "u4", None), ("l1", "u5", "u4"), ("l1", "u6", "u5")]
    df = pd.DataFrame(rows, columns=["post_id", "user_id", "parent_user_id"])
    df["ts"] = pd.Timestamp("2024-03-25")
    return df


def test_fee_channels_link_to_their_paid_posts_with_per_yuan_measures_beside_the_mmm_roi() -> None:
    rules = fee_channel_rules(CHANNELS, {})
    assert set(rules) == {"xiaohongshu_kol", "douyin_live"}  # jd_ads buys ads, not creators
    with warehouse_with(posts=_posts(), shares=_shares()) as wh:
        got = kol_table(wh, rules, _spend(), ROI, ["Xiaomi", "Redmi"], {}).set_index("channel")
    xhs, live = got.loc["xiaohongshu_kol"], got.loc["douyin_live"]
    # n1 (Xiaomi) and n2 (Redmi, a sub-brand); not n3 (Apple only), n4 (unpaid), nor the douyin posts
    assert xhs["posts"] == 2 and xhs["creators"] == 2 and xhs["fees_cny"] == 10_000.0
    assert xhs["fee_share"] == pytest.approx(10_000.0 / 30_000.0)  # fees over the spend of the two weeks with posts
    assert xhs["cost_per_engagement"] == pytest.approx(10_000.0 / (1000 + 550))
    assert xhs["cost_per_1000_views"] == pytest.approx(10_000.0 / 80)
    assert xhs["cascade_nodes"] == 3 + 2  # n1: root, u1, u2; n2: root, u3
    assert xhs["cascade_nodes_per_1000_cny"] == pytest.approx(5 / 10)
    assert xhs["attributed_gmv_per_cny"] == pytest.approx(1.8)  # only n1 reports GMV
    assert (xhs["mmm_roi"], xhs["mmm_roi_low"], xhs["mmm_roi_high"]) == (3.0, 2.0, 4.5)
    # the livestream only: not the short video, not the livestream before the modelled weeks
    assert live["posts"] == 1 and live["fees_cny"] == 30_000.0 and live["cascade_nodes"] == 4
    assert live["fee_share"] == pytest.approx(0.75)
    assert live["attributed_gmv_per_cny"] == pytest.approx(5.0) and live["mmm_roi"] == 5.0
    said = kol_findings(got.reset_index())[0]
    assert said.text.startswith("The fees of Douyin livestreams bought 1 paid posts")
    assert "5.00 CNY of GMV per CNY" in said.text
    assert said.evidence["mix.kol.douyin_live.mmm_roi"] == 5.0 and "媒介模型" in said.text_zh
    figures = kol_figures(got.reset_index())
    assert figures["douyin_live"]["mmm_roi_ci"] == [4.0, 6.5] and figures["xiaohongshu_kol"]["posts"] == 2


def test_spreads_reported_cascades_are_used_where_it_measured_the_post() -> None:
    spread = {"l1": {"size": 9, "depth": 4, "max_breadth": 3, "structural_virality": 2.5}}
    with warehouse_with(posts=_posts(), shares=_shares()) as wh:
        got = kol_table(wh, fee_channel_rules(CHANNELS, {}), _spend(), ROI, ["Xiaomi"], spread).set_index("channel")
    assert got.loc["douyin_live", "cascade_nodes"] == 9
    assert got.loc["douyin_live", "mean_structural_virality"] == 2.5
    assert got.loc["douyin_live", "posts_measured_by_spread"] == 1
    assert np.isnan(got.loc["xiaohongshu_kol", "mean_structural_virality"])  # spread did not report n1


def test_configured_fee_channels_and_their_errors() -> None:
    rules = fee_channel_rules(CHANNELS, {"fee_channels": {"jd_ads": {"creators": ["hB"]}}})
    with warehouse_with(posts=_posts(), shares=_shares()) as wh:
        got = kol_table(wh, rules, _spend(), ROI, ["Xiaomi"], {}).set_index("channel")
    assert got.loc["jd_ads", "posts"] == 1 and got.loc["jd_ads", "fees_cny"] == 8_000.0
    assert got.loc["jd_ads", "cascade_nodes"] == 1  # v1 has no shares: a lone root
    with pytest.raises(MixInputError, match=r"fee_channels: 'tv' is not a channel"):
        fee_channel_rules(CHANNELS, {"fee_channels": {"tv": {"platform": "douyin"}}})
    with pytest.raises(MixInputError, match=r"fee_channels.jd_ads: unknown key 'campaign'"):
        fee_channel_rules(CHANNELS, {"fee_channels": {"jd_ads": {"campaign": "x"}}})


def test_no_posts_table_no_kol_table() -> None:
    with warehouse_with() as wh:
        assert kol_table(wh, fee_channel_rules(CHANNELS, {}), _spend(), ROI, ["Xiaomi"], {}).empty


@pytest.fixture(scope="module")
def twin_posts():
    """The twin's posts and cascades (with their exact planted measures) and its weekly spend."""
    from upmarket.twin.catalog import products
    from upmarket.twin.consumers import users
    from upmarket.twin.mix import simulate_mix
    from upmarket.twin.spread import simulate_posts

    sp = simulate_posts(products(), users(3000, np.random.default_rng(2)), rng=np.random.default_rng(5),
                        start="2024-01-01", end="2025-06-30", n_posts=1500)
    spend, _kpi, _truth = simulate_mix(np.random.default_rng(0))
    wide = spend.pivot_table(index="week", columns="channel", values="spend", aggfunc="sum")
    wide.index = pd.DatetimeIndex(pd.to_datetime(wide.index))
    return sp, wide


def test_on_the_twin_fees_and_cascades_match_the_planted_posts(twin_posts) -> None:
    sp, wide = twin_posts
    posts, truth = sp.posts, sp.truth["spread"]
    roi = pd.DataFrame({"channel": wide.columns, "roi": 1.0, "roi_low": 0.5, "roi_high": 2.0, "mroi": 0.5})
    rules = fee_channel_rules(tuple(wide.columns), {})
    assert set(rules) == {"xiaohongshu_kol", "douyin_live"}
    with warehouse_with(posts=posts, shares=sp.shares) as wh:
        counted = kol_table(wh, rules, wide, roi, ["Xiaomi", "Redmi"], {}).set_index("channel")
        exact = kol_table(wh, rules, wide, roi, ["Xiaomi", "Redmi"], truth).set_index("channel")
    ours = posts["brands"].fillna("").str.split("|").map(lambda b: bool({"Xiaomi", "Redmi"} & set(b)))
    paid = posts[(posts["cost"] > 0) & ours]
    expect = {"xiaohongshu_kol": paid[(paid["platform"] == "xiaohongshu") & paid["creator_type"].isin(["kol", "koc"])
                                      & (paid["format"] != "livestream")],
              "douyin_live": paid[(paid["platform"] == "douyin") & (paid["format"] == "livestream")]}
    for ch, linked in expect.items():
        assert len(linked) >= 5, ch  # the twin plants paid posts of both kinds, so the check has something to check
        sizes = [truth[p]["size"] for p in linked["post_id"]]
        for got in (counted, exact):
            assert got.loc[ch, "posts"] == len(linked)
            assert got.loc[ch, "fees_cny"] == pytest.approx(linked["cost"].sum())
            assert got.loc[ch, "cascade_nodes"] == sum(sizes)  # counted from shares = the planted tree sizes
            assert got.loc[ch, "attributed_gmv_per_cny"] == pytest.approx(linked["gmv"].sum() / linked["cost"].sum())
        virality = np.mean([truth[p]["structural_virality"] for p in linked["post_id"]])
        assert exact.loc[ch, "mean_structural_virality"] == pytest.approx(virality)
        assert exact.loc[ch, "posts_measured_by_spread"] == len(linked)
