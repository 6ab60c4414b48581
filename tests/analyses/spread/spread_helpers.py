"""Brute-force references and warehouse fixtures for the spread tests."""

from __future__ import annotations

from collections import deque

import pandas as pd

from upmarket.warehouse import Warehouse

BASE = pd.Timestamp("2024-03-01 10:00:00")


def bfs_metrics(parents: list[int]) -> dict[str, float]:
    """Size, depth, max breadth and mean pairwise distance of one tree by plain BFS from every node.

    ``parents[i]`` is node i's parent (any index order), ``-1`` for the single root.
    """
    n = len(parents)
    adj: list[list[int]] = [[] for _ in range(n)]
    for child, par in enumerate(parents):
        if par >= 0:
            adj[child].append(par)
            adj[par].append(child)
    root = parents.index(-1)

    def dist_from(src: int) -> list[int]:
        dist = [-1] * n
        dist[src] = 0
        queue = deque([src])
        while queue:
            u = queue.popleft()
            for w in adj[u]:
                if dist[w] < 0:
                    dist[w] = dist[u] + 1
                    queue.append(w)
        return dist

    from_root = dist_from(root)
    levels: dict[int, int] = {}
    for d in from_root:
        levels[d] = levels.get(d, 0) + 1
    total = sum(sum(dist_from(s)[s + 1:]) for s in range(n))
    return {
        "size": n,
        "depth": max(from_root),
        "max_breadth": max(levels.values()),
        "structural_virality": total / (n * (n - 1) / 2) if n > 1 else 0.0,
    }


def contract_reference(posts: pd.DataFrame, shares: pd.DataFrame) -> dict[str, dict[str, float]]:
    """The contract's cascade rules written the slow, obvious way, then :func:`bfs_metrics`."""
    out: dict[str, dict[str, float]] = {}
    creators = dict(zip(posts.post_id, posts.creator_id, strict=True))
    all_posts = sorted(set(posts.post_id) | set(shares.post_id))
    for pid in all_posts:
        creator = creators.get(pid)
        rows = shares[shares.post_id == pid]
        firsts: dict[str, tuple] = {}
        for r in rows.to_dict("records"):
            if creator is not None and r["user_id"] == creator:
                continue  # the creator's own share duplicates the root
            key = (r["ts"], r["_file_id"], r["_row"], r["parent_user_id"] or "")
            if r["user_id"] not in firsts or key < firsts[r["user_id"]][0]:
                firsts[r["user_id"]] = (key, r["parent_user_id"])
        order = sorted(firsts, key=lambda u: (firsts[u][0][:3], u))
        rank = {u: i for i, u in enumerate(order)}
        parents = [-1]
        for u in order:
            par = firsts[u][1]
            par = None if par in (None, "", creator) else par
            if par is None or par not in rank or rank[par] >= rank[u]:
                parents.append(0)
            else:
                parents.append(rank[par] + 1)
        out[pid] = bfs_metrics(parents)
    return out


def warehouse_with(posts: pd.DataFrame, shares: pd.DataFrame) -> Warehouse:
    """A throwaway warehouse holding the given posts and shares (bookkeeping columns included)."""
    wh = Warehouse()
    p = posts.copy()
    for col, default in (("ts", BASE), ("platform", "douyin"), ("creator_type", "kol"), ("format", "short_video")):
        if col not in p:
            p[col] = default
    wh.con.register("_p", p)
    cols = ", ".join(f'"{c}"' for c in p.columns)
    wh.con.execute(f"INSERT INTO posts ({cols}) SELECT {cols} FROM _p")
    wh.con.unregister("_p")
    if len(shares):
        s = shares.copy()
        wh.con.register("_s", s)
        cols = ", ".join(f'"{c}"' for c in s.columns)
        wh.con.execute(f"INSERT INTO shares ({cols}) SELECT {cols} FROM _s")
        wh.con.unregister("_s")
    return wh
