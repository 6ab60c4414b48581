"""Spread benchmark: cascade measures on one 1,000,000-node cascade and a 50,000,000-share table.

Baseline: networkx, in the same run. ``networkx.wiener_index`` is all-pairs shortest paths, so it is
timed on trees it can finish (a few thousand nodes), a power law ``t = a * n**b`` is fitted to those
times, and the fit is extrapolated to the big cascade and, cascade by cascade, to the table; both
the measured same-size ratio and the extrapolated one are printed.

Every timing of the table runs in a fresh subprocess so its peak memory (``ru_maxrss``) is its own.
``scale`` shrinks the sizes (``BENCH_SCALE=0.1`` → a 100,000-node cascade and 5,000,000 shares).

    python benchmarks/spread.py [scale]
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BIG_CASCADE = 1_000_000
TABLE_SHARES = 50_000_000
NX_BUDGET_S = 20.0


def random_tree(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random recursive tree in topological order: node i hangs under a uniform earlier node."""
    parent = np.floor(rng.random(n) * np.arange(n)).astype(np.int64)
    parent[0] = -1
    return parent


def forest_sizes(total: int, rng: np.random.Generator) -> np.ndarray:
    """Heavy-tailed cascade sizes (Pareto, most posts barely shared) summing to about ``total`` nodes."""
    sizes = np.minimum(1 + np.floor(rng.pareto(1.3, size=total // 4 + 1) * 3), 200_000).astype(np.int64)
    cum = np.cumsum(sizes)
    return sizes[: int(np.searchsorted(cum, total)) + 1]


def forest(sizes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random recursive trees of the given sizes, concatenated into one topological parent array."""
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    cid = np.repeat(np.arange(sizes.size), sizes)
    local = np.arange(int(sizes.sum())) - starts[cid]
    parent = np.floor(rng.random(local.size) * local).astype(np.int64) + starts[cid]
    parent[local == 0] = -1
    return parent


def time_networkx(max_seconds: float = NX_BUDGET_S) -> tuple[list[tuple[int, float]], float, float]:
    """networkx.wiener_index on growing random trees until the budget is spent; fit t = a * n**b."""
    import networkx as nx

    rng = np.random.default_rng(1)
    points: list[tuple[int, float]] = []
    n, spent = 250, 0.0
    while spent < max_seconds / 3 and n <= 8000:
        parent = random_tree(n, rng)
        g = nx.Graph()
        g.add_edges_from(zip(range(1, n), parent[1:].tolist(), strict=True))
        t0 = time.perf_counter()
        nx.wiener_index(g)
        dt = time.perf_counter() - t0
        points.append((n, dt))
        spent += dt
        n *= 2
    ns, ts = np.log([p[0] for p in points]), np.log([p[1] for p in points])
    b, log_a = np.polyfit(ns, ts, 1)
    return points, float(np.exp(log_a)), float(b)


def time_ours(parent: np.ndarray, repeat: int = 3) -> float:
    from upmarket.analyses.spread.cascades import tree_metrics

    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        tree_metrics(parent)
        best = min(best, time.perf_counter() - t0)
    return best


# --------------------------------------------------------------------------- subprocess work
def _child_generate(out: str, n_shares: int) -> dict:
    """Write a shares + posts Parquet pair of about n_shares rows (1% duplicate re-shares)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(7)
    sizes = forest_sizes(int(n_shares * 0.99) + 1, rng)
    parent = forest(sizes, rng)
    is_root = parent < 0
    cid = np.cumsum(is_root) - 1
    starts = np.flatnonzero(is_root)
    node = np.flatnonzero(~is_root)
    par = parent[node]
    par_user = np.where(is_root[par], -1, par)  # -1: shared from the creator (empty parent)
    local = node - starts[cid[node]]
    dup = rng.choice(node.size, size=n_shares - node.size, replace=True) if n_shares > node.size else np.array([], int)
    post = np.concatenate([cid[node], cid[node[dup]]])
    user = np.concatenate([node, node[dup]])
    parent_user = np.concatenate([par_user, par_user[dup]])
    seconds = np.concatenate([local, local[dup] + 10])
    pq.write_table(pa.table({"post": post, "user": user, "parent": parent_user, "sec": seconds}), f"{out}/raw.parquet")
    return {"shares": int(post.size), "posts": int(sizes.size), "nodes": int(sizes.sum()),
            "largest": int(sizes.max()), "sizes": sizes.tolist()}


def _child_table(out: str) -> dict:
    """Load the generated shares into a file warehouse and time the cascade table end to end."""
    from upmarket.analyses.spread.cascades import cascade_table
    from upmarket.warehouse import Warehouse

    wh = Warehouse(f"{out}/bench.duckdb", memory_limit="3GB")  # the budget is 4 GiB for the process
    t0 = time.perf_counter()
    wh.con.execute(f"""
        INSERT INTO posts (post_id, ts, platform, creator_id, creator_type, format)
        SELECT DISTINCT 'p' || post, TIMESTAMP '2024-03-01', 'douyin', 'c' || post, 'kol', 'short_video'
        FROM '{out}/raw.parquet'""")
    wh.con.execute(f"""
        INSERT INTO shares (post_id, user_id, parent_user_id, ts, _file_id, _row)
        SELECT 'p' || post, 'u' || "user", CASE WHEN parent < 0 THEN NULL ELSE 'u' || parent END,
               TIMESTAMP '2024-03-01' + to_seconds(sec), 'bench', NULL
        FROM '{out}/raw.parquet'""")
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    table, forest_ = cascade_table(wh)
    total = time.perf_counter() - t0
    return {"load_s": load, "cascade_table_s": total, "posts": len(table), "nodes": int(forest_.parent.size),
            "duplicates": forest_.duplicates, "max_size": int(table["size"].max())}


def _child_kernel(out: str) -> dict:
    """Only the NumPy/SciPy kernel on the same forest (resolved parents), for its own peak memory."""
    from upmarket.analyses.spread.cascades import tree_metrics

    sizes = np.asarray(json.loads(Path(f"{out}/meta.json").read_text())["sizes"], dtype=np.int64)
    parent = forest(sizes, np.random.default_rng(7))
    t0 = time.perf_counter()
    m = tree_metrics(parent)
    return {"kernel_s": time.perf_counter() - t0, "nodes": int(parent.size), "cascades": int(m.size.size)}


def _run_child(what: str, *args: object) -> dict:
    code = (f"import json,sys,resource; sys.path.insert(0, {str(Path(__file__).parent)!r}); import spread as b; "
            f"r = b._child_{what}(*{args!r}); "
            "r['peak_rss_mib'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; print(json.dumps(r))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {what} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(scale: float = 1.0) -> dict:
    """Run the benchmark and return its numbers (printed as it goes)."""
    rng = np.random.default_rng(0)
    big = max(1000, int(BIG_CASCADE * scale))
    shares = max(10_000, int(TABLE_SHARES * scale))
    result: dict = {"scale": scale}

    points, a, b = time_networkx()
    result["networkx_points"] = points
    result["networkx_fit"] = {"a": a, "b": b}
    print(f"networkx.wiener_index on random trees: {points}; fit t = {a:.3g} * n^{b:.2f}")
    n_same, t_nx_same = points[-1]
    t_ours_same = time_ours(random_tree(n_same, rng), repeat=5)
    result["same_size"] = {"nodes": n_same, "networkx_s": t_nx_same, "ours_s": t_ours_same,
                           "ratio": t_nx_same / t_ours_same}
    print(f"same size ({n_same} nodes): networkx {t_nx_same:.3f} s, ours {t_ours_same * 1e3:.2f} ms, "
          f"ratio {t_nx_same / t_ours_same:,.0f}x (measured)")

    per_node = {}
    for n in (big // 4, big // 2, big):
        t = time_ours(random_tree(n, rng))
        per_node[n] = t / n
        print(f"one cascade of {n:,} nodes: {t:.3f} s, {t / n * 1e9:.0f} ns per node")
    result["time_per_node_ns"] = {str(k): v * 1e9 for k, v in per_node.items()}
    t_big = per_node[big] * big
    chain = np.arange(-1, big - 1)
    t_chain = time_ours(chain, repeat=1)
    result["chain_s"] = t_chain
    print(f"a chain of {big:,} nodes (depth {big - 1:,}): {t_chain:.3f} s")
    nx_big = a * big**b
    result["big_cascade"] = {"nodes": big, "ours_s": t_big, "networkx_extrapolated_s": nx_big,
                             "ratio_extrapolated": nx_big / t_big}
    print(f"{big:,}-node cascade: ours {t_big:.3f} s; networkx extrapolated {nx_big:,.0f} s; "
          f"ratio {nx_big / t_big:,.0f}x (extrapolated)")

    with tempfile.TemporaryDirectory(prefix="upmarket_bench_spread_") as out:
        gen = _run_child("generate", out, shares)
        sizes = np.asarray(gen.pop("sizes"), dtype=np.int64)
        Path(out, "meta.json").write_text(json.dumps({"sizes": sizes.tolist()}))
        print(f"generated {gen['shares']:,} shares over {gen['posts']:,} posts (largest cascade {gen['largest']:,})")
        kernel = _run_child("kernel", out)
        print(f"kernel on {kernel['nodes']:,} nodes: {kernel['kernel_s']:.1f} s, "
              f"peak {kernel['peak_rss_mib']:,.0f} MiB", flush=True)
        table = _run_child("table", out)
    nx_table = float(np.sum(a * sizes[sizes > 1].astype(float) ** b))
    result["table"] = {**gen, "kernel": kernel, "end_to_end": table, "networkx_extrapolated_s": nx_table,
                       "ratio_kernel_extrapolated": nx_table / kernel["kernel_s"],
                       "ratio_end_to_end_extrapolated": nx_table / table["cascade_table_s"]}
    print(f"kernel on {kernel['nodes']:,} nodes: {kernel['kernel_s']:.1f} s, "
          f"{kernel['kernel_s'] / kernel['nodes'] * 1e9:.0f} ns per node, peak {kernel['peak_rss_mib']:,.0f} MiB")
    print(f"end to end from the warehouse ({gen['shares']:,} share rows, load {table['load_s']:.1f} s): "
          f"{table['cascade_table_s']:.1f} s, peak {table['peak_rss_mib']:,.0f} MiB")
    print(f"networkx on the table (extrapolated per cascade from the fit): {nx_table:,.0f} s; ratio "
          f"{nx_table / kernel['kernel_s']:,.0f}x kernel, {nx_table / table['cascade_table_s']:,.0f}x end to end")
    return result


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
    print(f"(this process peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB)")
