"""Cascade measures: equal to brute-force BFS on random trees; each contract rule has its own test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spread_helpers import BASE, bfs_metrics, contract_reference, warehouse_with

from upmarket.analyses.spread.cascades import METRICS, build_forest, cascade_table, check_forest, tree_metrics


def trees(max_nodes: int = 25) -> st.SearchStrategy[list[int]]:
    """A random tree as a topological parent list: node i > 0 hangs under a random earlier node."""
    return st.integers(1, max_nodes).flatmap(
        lambda n: st.tuples(*[st.integers(0, max(i - 1, 0)) for i in range(n)]).map(
            lambda ps: [-1] + [int(p) for p in ps[1:]]
        )
    )


def as_forest(cascades: list[list[int]]) -> np.ndarray:
    parts, offset = [], 0
    for tree in cascades:
        arr = np.asarray(tree, dtype=np.int64)
        parts.append(np.where(arr >= 0, arr + offset, -1))
        offset += arr.size
    return np.concatenate(parts)


@settings(max_examples=150, deadline=None)
@given(st.lists(trees(), min_size=1, max_size=6), st.integers(1, 40))
def test_tree_metrics_equal_bfs(cascades: list[list[int]], chunk: int) -> None:
    m = tree_metrics(as_forest(cascades), chunk_nodes=chunk)
    for i, tree in enumerate(cascades):
        ref = bfs_metrics(tree)
        got = {k: getattr(m, k)[i] for k in METRICS}
        assert got["size"] == ref["size"]
        assert got["depth"] == ref["depth"]
        assert got["max_breadth"] == ref["max_breadth"]
        assert got["structural_virality"] == pytest.approx(ref["structural_virality"], rel=1e-12, abs=0)


def test_shapes_with_known_answers() -> None:
    chain = [-1, *range(9)]  # 10 nodes in a line
    star = [-1] + [0] * 9  # a broadcast: everyone from the root
    m = tree_metrics(as_forest([chain, star, [-1]]), nodes=True)
    assert m.size.tolist() == [10, 10, 1]
    assert m.depth.tolist() == [9, 1, 0]
    assert m.max_breadth.tolist() == [1, 9, 1]
    # chain: Wiener = n(n^2-1)/6 = 165, pairs 45; star: 9 + 2*C(9,2) = 81
    assert m.wiener.tolist() == [165, 81, 0]
    assert m.structural_virality.tolist() == [165 / 45, 81 / 45, 0.0]
    assert m.node_subtree[:3].tolist() == [10, 9, 8]


def test_deep_chain_is_exact() -> None:
    n = 200_000
    m = tree_metrics(np.arange(-1, n - 1))
    assert m.depth[0] == n - 1 and m.max_breadth[0] == 1
    assert m.wiener[0] == n * (n * n - 1) // 6


@pytest.mark.parametrize(
    ("parent", "message"),
    [([0, 0], "must be -1"), ([-1, 2, 0], "not an earlier node"), ([-1, 0, -1, 0], "not an earlier node")],
)
def test_bad_parent_array_is_named(parent: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_forest(np.asarray(parent))


# --------------------------------------------------------------------------- contract rules through the warehouse
def share(post: str, user: str, parent: str | None, minute: int, row: int, file: str = "f1") -> dict:
    return {"post_id": post, "user_id": user, "parent_user_id": parent, "ts": BASE + pd.Timedelta(minutes=minute),
            "_file_id": file, "_row": row}


def metrics_for(posts: list[tuple[str, str]], shares: list[dict]) -> dict[str, dict]:
    p = pd.DataFrame(posts, columns=["post_id", "creator_id"])
    s = pd.DataFrame(shares, columns=["post_id", "user_id", "parent_user_id", "ts", "_file_id", "_row"])
    with warehouse_with(p, s) as wh:
        table, _ = cascade_table(wh)
    return table.set_index("post_id")[list(METRICS)].to_dict("index")


def test_duplicate_share_is_not_a_new_node_and_the_earliest_counts() -> None:
    got = metrics_for([("p", "c")], [
        share("p", "a", None, 1, 1),
        share("p", "b", "a", 2, 2),
        share("p", "b", None, 0, 3),  # b's earliest share: from the root, so b is not under a
        share("p", "a", "b", 5, 4),  # a second share of a: a duplicate, ignored
    ])
    assert got["p"] == {"size": 3, "depth": 1, "max_breadth": 2, "structural_virality": 4 / 3}


def test_unknown_parent_is_attached_to_the_root() -> None:
    got = metrics_for([("p", "c")], [share("p", "a", None, 1, 1), share("p", "b", "ghost", 2, 2)])
    assert got["p"]["depth"] == 1 and got["p"]["max_breadth"] == 2


def test_parent_sharing_later_is_attached_to_the_root() -> None:
    got = metrics_for([("p", "c")], [share("p", "a", "b", 1, 1), share("p", "b", None, 2, 2)])
    assert got["p"]["depth"] == 1 and got["p"]["size"] == 3


def test_parent_of_another_post_is_unknown_here() -> None:
    got = metrics_for([("p", "c"), ("q", "c")], [share("q", "a", None, 0, 1), share("p", "b", "a", 2, 2)])
    assert got["p"]["depth"] == 1


def test_empty_or_creator_parent_means_the_root() -> None:
    got = metrics_for([("p", "c")], [share("p", "a", "", 1, 1), share("p", "b", "c", 2, 2),
                                     share("p", "d", "  ", 3, 3)])
    assert got["p"] == {"size": 4, "depth": 1, "max_breadth": 3, "structural_virality": 1.5}


def test_creators_own_share_is_not_a_node() -> None:
    got = metrics_for([("p", "c")], [share("p", "c", None, 1, 1), share("p", "a", "c", 2, 2)])
    assert got["p"]["size"] == 2


def test_lone_root_and_chain() -> None:
    got = metrics_for([("lone", "c"), ("p", "c")],
                      [share("p", "a", None, 1, 1), share("p", "b", "a", 2, 2), share("p", "d", "b", 3, 3)])
    assert got["lone"] == {"size": 1, "depth": 0, "max_breadth": 1, "structural_virality": 0.0}
    assert got["p"] == {"size": 4, "depth": 3, "max_breadth": 1, "structural_virality": 10 / 6}


def test_equal_timestamps_cannot_make_a_cycle() -> None:
    # a and b name each other with the same ts: source row order decides, a (row 1) comes first
    got = metrics_for([("p", "c")], [share("p", "b", "a", 1, 2), share("p", "a", "b", 1, 1)])
    assert got["p"]["depth"] == 2 and got["p"]["size"] == 3


def test_self_parent_is_attached_to_the_root() -> None:
    got = metrics_for([("p", "c")], [share("p", "a", "a", 1, 1)])
    assert got["p"] == {"size": 2, "depth": 1, "max_breadth": 1, "structural_virality": 1.0}


def test_post_missing_from_posts_still_gets_a_cascade_and_is_counted() -> None:
    p = pd.DataFrame([("p", "c")], columns=["post_id", "creator_id"])
    s = pd.DataFrame([share("x", "a", None, 1, 1), share("x", "b", "a", 2, 2)])
    with warehouse_with(p, s) as wh:
        forest = build_forest(wh)
        table, _ = cascade_table(wh)
    assert forest.orphan_posts == 1
    assert table.set_index("post_id").loc["x", "depth"] == 2


def test_duplicates_and_reattachments_are_counted() -> None:
    p = pd.DataFrame([("p", "c")], columns=["post_id", "creator_id"])
    s = pd.DataFrame([share("p", "a", None, 1, 1), share("p", "a", None, 2, 2), share("p", "c", None, 3, 3),
                      share("p", "b", "ghost", 4, 4), share("p", "d", "e", 5, 5), share("p", "e", None, 6, 6)])
    with warehouse_with(p, s) as wh:
        forest = build_forest(wh)
        table, _ = cascade_table(wh)
    assert forest.duplicates == 2
    row = table.set_index("post_id").loc["p"]
    assert (row.reattached_unknown_parent, row.reattached_later_parent) == (1, 1)


@st.composite
def raw_shares(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Messy share tables: duplicates, unknown and later parents, creators' shares, tied timestamps."""
    n_posts = draw(st.integers(1, 4))
    users = [f"u{i}" for i in range(8)]
    posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(n_posts)],
                          "creator_id": draw(st.lists(st.sampled_from(users), min_size=n_posts, max_size=n_posts))})
    rows = draw(st.lists(st.tuples(st.integers(0, n_posts), st.sampled_from(users),
                                   st.sampled_from([None, "", "ghost", *users]), st.integers(0, 6)), max_size=30))
    shares = pd.DataFrame(
        [share(f"p{pi}", u, par, minute, row) for row, (pi, u, par, minute) in enumerate(rows)],
        columns=["post_id", "user_id", "parent_user_id", "ts", "_file_id", "_row"],
    )
    return posts, shares.sample(frac=1.0, random_state=draw(st.integers(0, 99)))


@settings(max_examples=60, deadline=None)
@given(raw_shares())
def test_warehouse_cascades_equal_the_reference(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    posts, shares = data
    ref = contract_reference(posts, shares)
    with warehouse_with(posts, shares) as wh:
        table, _ = cascade_table(wh, chunk_nodes=7)
        bucketed, _ = cascade_table(wh, chunk_nodes=7, bucket_rows=3)  # resolved in hash(post_id) buckets
    for t in (table, bucketed):
        got = t.set_index("post_id")[list(METRICS)].to_dict("index")
        assert set(got) == set(ref)
        for pid, r in ref.items():
            assert got[pid]["size"] == r["size"]
            assert got[pid]["depth"] == r["depth"]
            assert got[pid]["max_breadth"] == r["max_breadth"]
            assert got[pid]["structural_virality"] == pytest.approx(r["structural_virality"], rel=1e-12)


def test_buckets_count_unusable_rows_once() -> None:
    """A share row without a post_id belongs to no bucket but is still reported as dropped, once."""
    t = pd.Timestamp("2024-03-01")
    posts = pd.DataFrame({"post_id": ["a", "b"], "creator_id": ["ca", "cb"]})
    shares = pd.DataFrame({
        "post_id": ["a", "a", "b", "b", None],
        "user_id": ["u1", "u2", "u1", "u3", "u9"],
        "parent_user_id": [None, "u1", None, "u1", None],
        "ts": [t + pd.Timedelta(minutes=i) for i in range(5)],
    })
    with warehouse_with(posts, shares) as wh:
        whole = build_forest(wh)
        bucketed = build_forest(wh, bucket_rows=1)
    assert whole.dropped_rows == bucketed.dropped_rows == 1
    assert sorted(bucketed.post_id) == ["a", "b"] and bucketed.parent.size == whole.parent.size == 6
