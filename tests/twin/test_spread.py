"""The twin's posts and cascades: truth equals a brute-force reading of the raw tables by the contract's rules."""

from __future__ import annotations

import itertools
from collections import defaultdict, deque

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from upmarket.contract import CODE_LISTS, TABLES
from upmarket.twin import lexicon as lx
from upmarket.twin.catalog import products
from upmarket.twin.consumers import users as draw_users
from upmarket.twin.spread import simulate_posts, tree_metrics


@pytest.fixture(scope="module")
def users():
    return draw_users(4000, np.random.default_rng(2))


@pytest.fixture(scope="module")
def small(users):
    """Cascades capped at 90 nodes, so the O(n²) brute force stays quick."""
    return simulate_posts(products(), users, rng=np.random.default_rng(7), start="2024-01-01", end="2025-06-30",
                          n_posts=1000, share_scale=2.0, max_cascade=90)


@pytest.fixture(scope="module")
def mid(users):
    return simulate_posts(products(), users, rng=np.random.default_rng(8), start="2024-01-01", end="2025-06-30",
                          n_posts=4000)


# ---------------------------------------------------------------- brute force, straight from the contract text
def effective_trees(posts: pd.DataFrame, shares: pd.DataFrame) -> tuple[dict, dict]:
    """Per post: {node: parent} (root = creator) after the contract's rules, and counts of each edge case."""
    creator = dict(zip(posts["post_id"], posts["creator_id"], strict=True))
    trees: dict[str, dict[str, str | None]] = {p: {c: None} for p, c in creator.items()}
    counts = defaultdict(int)
    for post_id, g in shares.groupby("post_id", sort=False):
        root = creator[post_id]
        first: dict[str, tuple[pd.Timestamp, str | None]] = {}
        for user, parent, ts in sorted(zip(g["user_id"], g["parent_user_id"], g["ts"], strict=True),
                                       key=lambda r: r[2]):
            if user in first:
                counts["duplicates"] += 1
                continue
            first[user] = (ts, None if pd.isna(parent) else parent)
        tree = trees[post_id]
        for user, (ts, parent) in first.items():
            if parent is None or parent == root:
                counts["parent_is_creator"] += parent == root
                tree[user] = root
            elif parent not in first:
                counts["unknown_parent"] += 1
                tree[user] = root
            elif first[parent][0] > ts:
                counts["late_parent"] += 1
                tree[user] = root
            else:
                tree[user] = parent
    return trees, counts


def brute_metrics(tree: dict[str, str | None]) -> dict:
    nodes = list(tree)
    adj = defaultdict(list)
    root = next(u for u, p in tree.items() if p is None)
    for u, p in tree.items():
        if p is not None:
            adj[u].append(p)
            adj[p].append(u)

    def bfs(src: str) -> dict[str, int]:
        dist, q = {src: 0}, deque([src])
        while q:
            u = q.popleft()
            for v in adj[u]:
                if v not in dist:
                    dist[v] = dist[u] + 1
                    q.append(v)
        return dist

    d0 = bfs(root)
    assert len(d0) == len(nodes)  # the effective tree is connected
    per_level = pd.Series(list(d0.values())).value_counts()
    n = len(nodes)
    total = sum(sum(bfs(u).values()) for u in nodes) / 2 if n > 1 else 0
    return {"size": n, "depth": max(d0.values()), "max_breadth": int(per_level.max()),
            "structural_virality": total / (n * (n - 1) / 2) if n > 1 else 0.0}


# ---------------------------------------------------------------- tests
def test_truth_equals_brute_force_on_every_cascade(small):
    trees, _ = effective_trees(small.posts, small.shares)
    truth = small.truth["spread"]
    assert set(truth) == set(trees)
    for post_id, tree in trees.items():
        want = brute_metrics(tree)
        got = truth[post_id]
        assert (got["size"], got["depth"], got["max_breadth"]) == (want["size"], want["depth"], want["max_breadth"])
        assert got["structural_virality"] == pytest.approx(want["structural_virality"], rel=1e-12, abs=1e-12)
    assert max(t["size"] for t in truth.values()) == 90  # the cap was reached and respected


def test_edge_cases_present_with_exact_counts(small):
    _, counts = effective_trees(small.posts, small.shares)
    planted = small.truth["cascade_edge_cases"]
    for key in ("duplicates", "late_parent", "unknown_parent", "parent_is_creator"):
        assert planted[key] > 0, key
        assert counts[key] == planted[key], key
    assert planted["share_rows"] == len(small.shares)
    assert planted["nodes"] == sum(t["size"] for t in small.truth["spread"].values())
    per_post = small.labels.set_index("post_id")
    assert per_post["n_duplicates"].sum() == planted["duplicates"]


def test_shares_timing_and_counts(small):
    posts = small.posts.set_index("post_id")
    sh = small.shares
    assert (sh["ts"].to_numpy() > posts.loc[sh["post_id"], "ts"].to_numpy()).all()
    assert (posts["shares"] == sh.groupby("post_id").size().reindex(posts.index, fill_value=0)).all()
    # ts increases along every edge that is kept (parent earlier than child)
    first = sh.drop_duplicates(["post_id", "user_id"])
    j = first.merge(first, left_on=["post_id", "parent_user_id"], right_on=["post_id", "user_id"],
                    suffixes=("", "_p"))
    kept = j[j["ts_p"] <= j["ts"]]
    assert len(kept) > 0.9 * len(j) and (kept["ts"] > kept["ts_p"]).all()


def test_broadcast_versus_viral_by_creator_type(mid):
    lab = mid.labels
    sv = lab.groupby("creator_type")["structural_virality"].mean()
    assert sv["user"] > sv["brand"] + 0.3 and sv["koc"] > sv["executive"]
    big = lab[lab["size"] >= 20]
    breadth_share = (big["max_breadth"] / big["size"]).groupby(big["creator_type"]).mean()
    assert breadth_share["brand"] > 0.6 > breadth_share["user"]
    depth = big.groupby("creator_type")["depth"].mean()
    assert depth["user"] > 2 * depth["brand"]


def test_posts_follow_the_contract(mid):
    posts = mid.posts
    assert list(posts.columns) == list(TABLES["posts"].names)
    assert list(mid.shares.columns) == list(TABLES["shares"].names)
    assert posts["post_id"].is_unique and posts["ts"].is_monotonic_increasing
    assert set(posts["creator_type"]) == set(CODE_LISTS["creator_type"].codes)
    assert set(posts["format"]) == set(CODE_LISTS["format"].codes)
    assert set(posts["platform"]) == {"douyin", "xiaohongshu", "weibo", "bilibili"}
    assert set(posts.loc[posts["format"] == "note", "platform"]) == {"xiaohongshu"}
    assert set(posts.loc[posts["format"] == "livestream", "platform"]) == {"douyin"}
    assert posts["ts"].min() >= pd.Timestamp("2024-01-01") and posts["ts"].max() < pd.Timestamp("2025-07-01")
    # followers are heavy-tailed by type: executives ≫ kol ≫ koc ≫ user
    f = posts.groupby("creator_type")["followers"].median()
    assert f["executive"] > f["kol"] > f["koc"] > f["user"]
    # saves matter on xiaohongshu
    rate = (posts["saves"] / posts["views"].clip(lower=1)).groupby(posts["platform"]).mean()
    assert rate["xiaohongshu"] > 2 * rate["douyin"]
    assert (posts[["views", "likes", "comments", "shares", "saves"]] >= 0).all().all()
    assert (posts["likes"] <= posts["views"]).all()
    # featured SKUs exist and were launched before the post
    prods = products().set_index("sku_id")
    first_sku = posts["sku_ids"].dropna().str.split("|").str[0]
    launch = pd.to_datetime(prods.loc[first_sku, "launch_date"]).to_numpy()
    late = launch > posts.loc[first_sku.index, "ts"].to_numpy()
    assert late.mean() < 0.02  # only models launched after the window's start date can be older posts
    assert posts["topics"].str.contains("小米徕卡影像").any() and posts["topics"].str.contains("性价比").any()


def test_captions_carry_planted_framing(mid):
    text = mid.posts.set_index("post_id")["text"]
    lab = mid.labels.set_index("post_id")
    has_value = text.str.contains("|".join(lx.VALUE_POS + lx.VALUE_NEG))
    assert (has_value == (lab["value_framing"] == 1)).all()
    vp = mid.truth["voice_posts"]
    assert vp["Redmi"]["value_framing"] > 0.6 > 0.25 > vp["Apple"]["value_framing"]


def test_creator_roi_truth(mid):
    posts = mid.posts
    paid = posts[posts["cost"].notna()]
    assert set(paid["creator_type"]) == {"kol", "koc", "media"}
    assert paid["sku_ids"].notna().all() and paid["gmv"].notna().all()
    assert posts.loc[posts["format"] == "livestream", "gmv"].notna().all()
    by_type = mid.truth["creators"]["by_type"]
    for t, g in paid.groupby("creator_type"):
        assert by_type[t]["realised_roi"] == pytest.approx(g["gmv"].sum() / g["cost"].sum())
        assert by_type[t]["n_posts"] == len(g)
    # realised ROI is planted ROI with noise
    assert by_type["kol"]["realised_roi"] == pytest.approx(by_type["kol"]["planted_roi"], rel=0.15)
    assert by_type["kol"]["planted_roi"] > by_type["koc"]["planted_roi"] > by_type["media"]["planted_roi"]
    by_creator = mid.truth["creators"]["by_creator"]
    assert set(by_creator) == set(paid["creator_id"])


def test_same_seed_same_posts(users):
    kw = {"start": "2024-01-01", "end": "2024-03-31", "n_posts": 300}
    a = simulate_posts(products(), users, rng=np.random.default_rng(4), **kw)
    b = simulate_posts(products(), users, rng=np.random.default_rng(4), **kw)
    pd.testing.assert_frame_equal(a.posts, b.posts)
    pd.testing.assert_frame_equal(a.shares, b.shares)
    assert a.truth == b.truth


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 10_000), max_size=40), min_size=1, max_size=6))
def test_tree_metrics_match_bfs_on_random_forests(raw):
    """Random forests (parent index < child index), several trees at once."""
    post, parent = [], []
    for p, tree in enumerate(raw):
        base = len(post)
        post.append(p)
        parent.append(-1)
        for i, r in enumerate(tree, start=1):
            post.append(p)
            parent.append(base + r % i)
    m = tree_metrics(np.array(post), np.array(parent), len(raw))
    for p in range(len(raw)):
        ids = [i for i, q in enumerate(post) if q == p]
        tree = {str(i): (None if parent[i] < 0 else str(parent[i])) for i in ids}
        want = brute_metrics(tree)
        got = m.iloc[p]
        assert (got["size"], got["depth"], got["max_breadth"]) == (want["size"], want["depth"], want["max_breadth"])
        assert got["structural_virality"] == pytest.approx(want["structural_virality"], rel=1e-12, abs=1e-12)


def test_known_shapes():
    # a star of 4 children: SV = (4·1 + 6·2) / 10; a chain of 4 nodes: (3·1 + 2·2 + 1·3) / 6
    post = np.array([0] * 5 + [1] * 4 + [2])
    parent = np.array([-1, 0, 0, 0, 0, -1, 5, 6, 7, -1])
    m = tree_metrics(post, parent, 3)
    assert m["structural_virality"].tolist() == pytest.approx([1.6, 10 / 6, 0.0])
    assert m["max_breadth"].tolist() == [4, 1, 1] and m["depth"].tolist() == [1, 3, 0]
    assert list(itertools.accumulate(m["size"])) == [5, 9, 10]
