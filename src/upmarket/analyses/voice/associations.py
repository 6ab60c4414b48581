"""Brand associations (Aaker): the terms most distinctively tied to each brand against its rivals.

Weighted log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn, 2008,
"Fightin' Words"): for term w and brand b against all other brands,
δ = log((y_bw+α_w)/(n_b+α₀−y_bw−α_w)) − log((y_rw+α_w)/(n_r+α₀−y_rw−α_w)), z = δ/√(1/(y_bw+α_w)+1/(y_rw+α_w)),
with α from the pooled term frequencies. z ranks terms by how reliably they separate the brand,
so rare one-off words do not top the list. Tokens come from rjieba (jieba-rs: the same
dictionary and segmentation as jieba, measured several times faster), falling back to jieba.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# function words, shopping boilerplate, and degree words / generic praise slang that say nothing of a brand
_STOP_WORDS = """
的 了 是 我 也 很 都 就 还 在 和 有 不 这 那 个 买 用 手机
一个 非常 感觉 比较 没有 可以 什么 就是 但是 还是 而且 自己 因为
所以 已经 觉得 一下 真的 一直 现在 这个 那个 这款 东西 一般 然后
时候 知道 收到
十分 特别 超级 相当 有点 太 挺 蛮 极其 更 最 无敌 绝了
"""
STOP = frozenset(_STOP_WORDS.split())


def tokenizer():
    """The fastest installed jieba-compatible segmenter (``rjieba`` if present, else ``jieba``)."""
    try:
        import rjieba

        return rjieba.cut
    except ImportError:  # pragma: no cover - depends on the environment
        import jieba

        return jieba.lcut


def term_counts(texts: list[str], groups: np.ndarray) -> pd.DataFrame:
    """Document frequency of each multi-character Han term per group: columns group, term, n."""
    cut = tokenizer()
    toks = [set(cut(t)) for t in texts]
    sizes = np.fromiter((len(s) for s in toks), np.int64, len(toks))
    flat = pd.DataFrame({"group": np.repeat(groups, sizes), "term": [w for s in toks for w in s]})
    flat = flat[flat["term"].str.len().ge(2) & flat["term"].str.contains(r"^[\u4e00-\u9fff]+$", regex=True)
                & ~flat["term"].isin(STOP)]
    return flat.groupby(["group", "term"]).size().rename("n").reset_index()


def weighted_log_odds(counts: pd.DataFrame, alpha0: float = 1000.0, min_count: int = 5, top: int = 15) -> pd.DataFrame:
    """Top ``top`` terms per group by z-scored log-odds against all other groups (see module doc)."""
    if counts.empty:
        return pd.DataFrame(columns=["group", "term", "n", "log_odds", "z", "rank"])
    wide = counts.pivot_table(index="term", columns="group", values="n", fill_value=0, aggfunc="sum")
    y = wide.to_numpy(dtype=float)
    total = y.sum(axis=1, keepdims=True)
    alpha = alpha0 * total / total.sum()
    n = y.sum(axis=0, keepdims=True)
    yr, nr = total - y, n.sum() - n
    a0 = alpha.sum()
    d = np.log((y + alpha) / (n + a0 - y - alpha)) - np.log((yr + alpha) / (nr + a0 - yr - alpha))
    z = d / np.sqrt(1.0 / (y + alpha) + 1.0 / (yr + alpha))
    out = pd.DataFrame({"group": np.repeat(wide.columns.to_numpy()[None, :], len(wide), 0).ravel(),
                        "term": np.repeat(wide.index.to_numpy(), y.shape[1]), "n": y.ravel().astype(np.int64),
                        "log_odds": d.ravel(), "z": z.ravel()})
    out = out[out["n"] >= min_count].sort_values(["group", "z"], ascending=[True, False])
    out["rank"] = out.groupby("group").cumcount() + 1
    return out[out["rank"] <= top].reset_index(drop=True)
