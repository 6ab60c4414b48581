"""Share cascades: the contract's tree rules in DuckDB, the four measures in vectorised NumPy.

The contract ("shares") defines each post's cascade:

* the root is the post's creator; an empty ``parent_user_id``, or the creator's id, means the root;
* a user's second share of the same post is a duplicate, not a new node: the earliest share is kept
  (ties: source file, then row, then parent id) and so is its parent; the creator's own shares of
  the post are duplicates of the root;
* a share whose parent is not a sharer of the post, or whose parent's (first) share comes later,
  is attached to the root. Equal timestamps are ordered by source file, row, then user id, so the
  parent must come first in that order: this also breaks any cycle.

After these rules every parent precedes its child in (post, ts, file, row, user) order, so that
order is topological. The measures come from two sparse unit-triangular solves that run in
compiled code in O(n) whatever the tree's shape (a chain of a million nodes is no slower than a
bush): depth ``d = 1 + d[parent]`` is ``(I - P) d = 1`` and subtree size
``s = 1 + sum(s[children])`` is ``(I - P)^T s = 1``, where ``P[v, parent(v)] = 1``. Then
``max_breadth`` is a bincount over (cascade, depth) and the Wiener index is
``sum over edges of s * (n - s)``; structural virality is the Wiener index over ``n(n-1)/2``.
No Python loop runs per node or per cascade, only per chunk of a few million nodes.
"""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.sparse import csc_array, csr_array
from scipy.sparse.linalg import spsolve_triangular

if TYPE_CHECKING:
    from upmarket.warehouse import Warehouse

METRICS: tuple[str, ...] = ("size", "depth", "max_breadth", "structural_virality")
"""The per-post measures results.json carries under ``spread``."""

DEFAULT_CHUNK_NODES = 2_000_000
_INT64_SAFE_N = 3_000_000  # n**3 / 6 stays below 2**63 up to ~3.8M nodes

# why a node got its parent; counted for the data-quality notes
REASON_ROOT, REASON_PARENT, REASON_CREATOR, REASON_UNKNOWN, REASON_LATER = 0, 1, 2, 3, 4


@dataclass
class TreeMetrics:
    """Per-cascade measures (arrays in cascade order) and, on request, per-node depth and subtree size."""

    size: np.ndarray
    depth: np.ndarray
    max_breadth: np.ndarray
    wiener: np.ndarray
    structural_virality: np.ndarray
    node_depth: np.ndarray | None = None
    node_subtree: np.ndarray | None = None


def check_forest(parent: np.ndarray) -> np.ndarray:
    """Validate a parent array and return the start index of each cascade.

    ``parent[i]`` is the index of node i's parent, ``-1`` for a root; each cascade is a contiguous
    run that starts with its root, and every parent comes before its child inside the same run.
    """
    parent = np.asarray(parent)
    if parent.ndim != 1 or parent.size == 0:
        raise ValueError("parent must be a non-empty 1-d array")
    is_root = parent < 0
    if not is_root[0]:
        raise ValueError("parent[0] must be -1: every cascade starts with its root")
    starts = np.flatnonzero(is_root)
    cid = np.cumsum(is_root) - 1
    idx = np.arange(parent.size)
    bad = ~is_root & ((parent >= idx) | (parent < starts[cid]))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"node {i}: parent {int(parent[i])} is not an earlier node of the same cascade")
    return starts


def _solve_chunk(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Depth and subtree size of every node of a forest in topological order (local indices)."""
    n = parent.size
    nonroot = parent >= 0
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(1 + nonroot, out=indptr[1:])
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    data = np.ones(int(indptr[-1]), dtype=np.float64)
    indices[indptr[1:] - 1] = np.arange(n, dtype=np.int32)  # the diagonal, last in its column
    first = indptr[:-1][nonroot]
    indices[first] = parent[nonroot]
    data[first] = -1.0
    # As CSC the arrays hold (I - P)^T (column c: row parent(c), row c): upper triangular.
    upper = csc_array((data.copy(), indices.copy(), indptr.copy()), shape=(n, n))
    subtree = spsolve_triangular(upper, np.ones(n), lower=False, unit_diagonal=True, overwrite_A=True, overwrite_b=True)
    # The same arrays read as CSR are I - P (row c: column parent(c), column c): lower triangular.
    lower = csr_array((data, indices, indptr), shape=(n, n))
    depth = spsolve_triangular(lower, nonroot.astype(np.float64), lower=True, unit_diagonal=True,
                               overwrite_A=True, overwrite_b=True)
    return np.rint(depth).astype(np.int64), np.rint(subtree).astype(np.int64)


def tree_metrics(parent: np.ndarray, *, chunk_nodes: int = DEFAULT_CHUNK_NODES, nodes: bool = False) -> TreeMetrics:
    """The four measures of every cascade in a forest given as a topological parent array.

    Parameters
    ----------
    parent:
        See :func:`check_forest`.
    chunk_nodes:
        Whole cascades are solved together in chunks of about this many nodes, which bounds memory
        (~70 bytes a node) and keeps the random access cache-friendly. A larger cascade is one chunk.
    nodes:
        Also return each node's depth and subtree size.
    """
    parent = np.asarray(parent, dtype=np.int64)
    starts = check_forest(parent)
    n_total = parent.size
    sizes = np.diff(np.append(starts, n_total))
    # chunk edges: the cascade start at or before each multiple of chunk_nodes
    cut = np.unique(np.searchsorted(starts, np.arange(0, n_total, max(1, chunk_nodes)), side="right") - 1)
    edges = np.append(starts[cut], n_total)
    depth_max = np.empty(starts.size, dtype=np.int64)
    breadth = np.empty(starts.size, dtype=np.int64)
    wiener = np.empty(starts.size, dtype=np.float64 if sizes.max() > _INT64_SAFE_N else np.int64)
    node_depth = np.empty(n_total, dtype=np.int64) if nodes else None
    node_sub = np.empty(n_total, dtype=np.int64) if nodes else None
    c0 = 0
    for lo, hi in itertools.pairwise(edges):  # one iteration per chunk of cascades
        p = parent[lo:hi]
        local = np.where(p >= 0, p - lo, -1)
        d, s = _solve_chunk(local)
        cstarts = starts[(starts >= lo) & (starts < hi)] - lo
        c1 = c0 + cstarts.size
        csize = sizes[c0:c1]
        cid = np.repeat(np.arange(cstarts.size), csize)
        depth_max[c0:c1] = np.maximum.reduceat(d, cstarts)
        per_level = np.bincount(cstarts[cid] + d, minlength=hi - lo)
        breadth[c0:c1] = np.maximum.reduceat(per_level, cstarts)
        pair = s.astype(wiener.dtype) * (csize[cid].astype(wiener.dtype) - s)  # 0 at the root (s = n)
        wiener[c0:c1] = np.add.reduceat(pair, cstarts)
        if nodes:
            node_depth[lo:hi] = d
            node_sub[lo:hi] = s
        c0 = c1
    pairs = sizes.astype(np.float64) * (sizes - 1) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        virality = np.where(sizes > 1, wiener / np.where(pairs > 0, pairs, 1.0), 0.0)
    return TreeMetrics(sizes, depth_max, breadth, wiener, virality, node_depth, node_sub)


# --------------------------------------------------------------------------- the contract's rules, in SQL
@dataclass
class Forest:
    """Every post's cascade as one topological parent array, with the ids to label it."""

    post_id: np.ndarray  # one per cascade, in cascade order
    parent: np.ndarray  # global index of the parent, -1 at roots
    user_id: np.ndarray | None  # per node (root: the creator), only when asked for
    reason: np.ndarray  # REASON_* per node
    duplicates: int  # share rows that were duplicates (incl. the creator's own shares)
    orphan_posts: int  # posts in shares but not in posts (their root's creator is unknown)
    dropped_rows: int  # share rows without post_id, user_id or ts


def forest_nodes(forest: Forest) -> pd.DataFrame:
    """One row per node: its cascade's ``post_id``, ``node`` (its index in the cascade, 0 = the root) and ``parent``
    (the parent's index in the same cascade, -1 at the root), in topological order."""
    is_root = forest.parent < 0
    cascade = np.cumsum(is_root) - 1
    start = np.flatnonzero(is_root)[cascade]
    index = np.arange(forest.parent.size)
    return pd.DataFrame({"post_id": np.asarray(forest.post_id, dtype=object)[cascade], "node": index - start,
                         "parent": np.where(is_root, -1, forest.parent - start)})


def _nodes_sql(tmp: str, post_filter: str = "") -> str:
    return f"""
    CREATE TEMP TABLE {tmp} AS
    WITH sh AS (
        SELECT post_id, user_id, nullif(trim(parent_user_id), '') AS parent_user_id, ts, _file_id, _row
        FROM shares
        WHERE post_id IS NOT NULL AND user_id IS NOT NULL AND ts IS NOT NULL {post_filter}
    ),
    known AS (
        SELECT post_id, min(creator_id) AS creator_id FROM posts WHERE post_id IS NOT NULL {post_filter}
        GROUP BY post_id
    ),
    roots AS (
        SELECT post_id, creator_id FROM known
        UNION ALL
        SELECT DISTINCT sh.post_id, NULL FROM sh ANTI JOIN known USING (post_id)
    ),
    firsts AS (
        SELECT sh.* FROM sh LEFT JOIN roots r USING (post_id)
        WHERE r.creator_id IS NULL OR sh.user_id <> r.creator_id
        QUALIFY row_number() OVER (
            PARTITION BY sh.post_id, sh.user_id ORDER BY sh.ts, sh._file_id, sh._row, sh.parent_user_id
        ) = 1
    ),
    nodes AS (
        SELECT post_id, creator_id AS user_id, NULL::VARCHAR AS parent_user_id, NULL::TIMESTAMP AS ts,
               NULL::VARCHAR AS _file_id, NULL::BIGINT AS _row, TRUE AS is_root, creator_id
        FROM roots
        UNION ALL
        SELECT f.post_id, f.user_id, f.parent_user_id, f.ts, f._file_id, f._row, FALSE, r.creator_id
        FROM firsts f JOIN roots r USING (post_id)
    )
    SELECT (row_number() OVER (
               ORDER BY post_id, is_root DESC, ts, _file_id NULLS FIRST, _row NULLS FIRST, user_id) - 1)::BIGINT AS pos,
           *
    FROM nodes
    """


BUCKET_ROWS = 4_000_000
"""Share rows resolved per DuckDB pass: larger tables are split by hash(post_id) so memory stays flat."""


def build_forest(warehouse: Warehouse, *, post_ids: list[str] | None = None, with_users: bool = False,
                 bucket_rows: int = BUCKET_ROWS) -> Forest:
    """Apply the contract's cascade rules to ``posts`` and ``shares`` (optionally for some posts only).

    A cascade never spans posts, so a large table is resolved in buckets of whole posts
    (``hash(post_id) % k``) and the buckets' forests are concatenated: the same result, with the
    window functions of each pass bounded by ``bucket_rows``.

    DuckDB SQL, not Ibis (the one reader of spread that is): the nodes are a temporary table joined to itself
    and fetched as numpy arrays in node order, bucketed by DuckDB's ``hash``; an Ibis port must keep the
    node order and the memory bound (``benchmarks/spread.py``) and is left for later.
    """
    con = warehouse.con
    tmp = f"_spread_nodes_{uuid.uuid4().hex[:8]}"
    ids_filter = ""
    if post_ids is not None:
        con.register(f"{tmp}_ids", pd.DataFrame({"post_id": pd.Series(post_ids, dtype=object)}))
        ids_filter = f"AND post_id IN (SELECT post_id FROM {tmp}_ids)"
    try:
        rows = con.execute(f"SELECT count(*) FROM shares WHERE TRUE {ids_filter}").fetchall()[0][0]
        k = max(1, -(-int(rows) // bucket_rows))
        parts = [
            _bucket_forest(con, tmp, ids_filter + (f" AND hash(post_id) % {k} = {b}" if k > 1 else ""), with_users)
            for b in range(k)
        ]
        # rows without a post_id fall in no bucket: count the unusable rows once, over the whole table
        dropped = con.execute(f"""
            SELECT count(*) FROM shares WHERE (post_id IS NULL OR user_id IS NULL OR ts IS NULL) {ids_filter}
        """).fetchall()[0][0]
    finally:
        if post_ids is not None:
            con.unregister(f"{tmp}_ids")
    forest = parts[0] if len(parts) == 1 else _concat_forests(parts)
    return dataclasses.replace(forest, dropped_rows=int(dropped))


def _concat_forests(parts: list[Forest]) -> Forest:
    """One forest from bucket forests: node indices shifted by the nodes before each bucket."""
    offsets = np.cumsum([0] + [f.parent.size for f in parts[:-1]])
    parent = np.concatenate(
        [np.where(f.parent >= 0, f.parent + off, f.parent) for f, off in zip(parts, offsets, strict=True)]
    )
    users = None if parts[0].user_id is None else np.concatenate([f.user_id for f in parts])
    return Forest(
        np.concatenate([f.post_id for f in parts]), parent, users, np.concatenate([f.reason for f in parts]),
        sum(f.duplicates for f in parts), sum(f.orphan_posts for f in parts), sum(f.dropped_rows for f in parts),
    )


def _bucket_forest(con, tmp: str, post_filter: str, with_users: bool) -> Forest:
    """Resolve the cascades of the posts selected by ``post_filter`` in one DuckDB pass."""
    try:
        con.execute(_nodes_sql(tmp, post_filter))
        arrays = con.execute(f"""
            SELECT c.pos,
                   CASE WHEN c.is_root THEN -1
                        WHEN p.pos IS NOT NULL AND p.pos < c.pos THEN p.pos
                        ELSE -2 END AS ppos,
                   CASE WHEN c.is_root THEN {REASON_ROOT}
                        WHEN c.parent_user_id IS NULL OR c.parent_user_id = c.creator_id THEN {REASON_CREATOR}
                        WHEN p.pos IS NULL THEN {REASON_UNKNOWN}
                        WHEN p.pos < c.pos THEN {REASON_PARENT}
                        ELSE {REASON_LATER} END::TINYINT AS reason
            FROM {tmp} c
            LEFT JOIN {tmp} p
              ON p.post_id = c.post_id AND p.user_id = c.parent_user_id AND NOT p.is_root AND NOT c.is_root
        """).fetchnumpy()
        n = int(arrays["pos"].size)
        pos = arrays["pos"]
        parent = np.empty(n, dtype=np.int64)
        parent[pos] = arrays["ppos"]
        reason = np.empty(n, dtype=np.int8)
        reason[pos] = arrays["reason"]
        del arrays
        roots = con.execute(f"SELECT post_id FROM {tmp} WHERE is_root ORDER BY pos").fetchnumpy()["post_id"]
        users = None
        if with_users:
            users = con.execute(f"SELECT user_id FROM {tmp} ORDER BY pos").fetchnumpy()["user_id"]
        dup, dropped = con.execute(f"""
            SELECT (SELECT count(*) FROM shares WHERE post_id IS NOT NULL AND user_id IS NOT NULL
                      AND ts IS NOT NULL {post_filter})
                   - (SELECT count(*) FROM {tmp} WHERE NOT is_root),
                   (SELECT count(*) FROM shares WHERE (post_id IS NULL OR user_id IS NULL OR ts IS NULL)
                      {post_filter})
        """).fetchone()
        orphans = con.execute(f"SELECT count(*) FROM {tmp} WHERE is_root AND creator_id IS NULL").fetchone()[0]
    finally:
        con.execute(f"DROP TABLE IF EXISTS {tmp}")
    if n:
        is_root = parent == -1
        starts = np.flatnonzero(is_root)
        cid = np.cumsum(is_root) - 1
        attach = parent == -2
        parent[attach] = starts[cid[attach]]
    users_arr = None if users is None else np.asarray(users, dtype=object)
    return Forest(np.asarray(roots, dtype=object), parent, users_arr, reason, int(dup), int(orphans), int(dropped))


def cascade_table(warehouse: Warehouse, *, chunk_nodes: int = DEFAULT_CHUNK_NODES, bucket_rows: int = BUCKET_ROWS,
                  ) -> tuple[pd.DataFrame, Forest]:
    """One row per post: the four measures, the Wiener index and how many shares were re-attached."""
    forest = build_forest(warehouse, bucket_rows=bucket_rows)
    if forest.parent.size == 0:
        empty = pd.DataFrame({c: pd.Series(dtype="int64") for c in ("size", "depth", "max_breadth")})
        empty.insert(0, "post_id", pd.Series(dtype=object))
        empty["structural_virality"] = pd.Series(dtype="float64")
        return empty, forest
    m = tree_metrics(forest.parent, chunk_nodes=chunk_nodes)
    is_root = forest.parent < 0
    cid = np.cumsum(is_root) - 1
    n_c = forest.post_id.size
    unknown = np.bincount(cid[forest.reason == REASON_UNKNOWN], minlength=n_c)
    later = np.bincount(cid[forest.reason == REASON_LATER], minlength=n_c)
    nonroot = np.flatnonzero(~is_root)
    direct = np.bincount(cid[nonroot[is_root[forest.parent[nonroot]]]], minlength=n_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        direct_share = np.where(m.size > 1, direct / np.maximum(m.size - 1, 1), np.nan)
    table = pd.DataFrame({
        "post_id": forest.post_id,
        "size": m.size,
        "depth": m.depth,
        "max_breadth": m.max_breadth,
        "structural_virality": m.structural_virality,
        "wiener_index": m.wiener.astype(np.float64),
        "direct_share": direct_share,
        "reattached_unknown_parent": unknown,
        "reattached_later_parent": later,
    })
    return table, forest
