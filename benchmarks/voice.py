"""Throughput of the whole voice pipeline (normalise → sentiment → aspects → framing) vs SnowNLP and jieba.

``main(scale)`` scores ``100_000 × scale`` twin reviews with the shipped model, in one process and
with ``score_reviews(n_jobs=2)`` (what the analysis uses on large inputs, worker start-up
included), and, in the same run, SnowNLP sentiment on a sample and jieba / rjieba segmentation
of the same texts. Prints and returns reviews per second. Goal: ≥ 40,000 reviews/s on 2 cores.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np


def _texts(n: int) -> list[str]:
    from upmarket.analyses.voice.twin_data import twin_reviews

    reviews, _ = twin_reviews(n_orders=max(int(n * 3.2), 1000), seed=11)
    t = reviews["text"].tolist()
    return (t * (n // max(len(t), 1) + 1))[:n]


def main(scale: float = 1.0) -> dict:
    from upmarket.analyses.voice.score import score_reviews
    from upmarket.analyses.voice.sentiment import SentimentModel

    n = max(int(100_000 * scale), 1000)
    texts = _texts(n)
    ids = np.arange(n).astype(str)
    model = SentimentModel.load()
    score_reviews(ids[:2000], texts[:2000], model)  # warm up (OpenCC tables, regex compilation)
    t0 = time.perf_counter()
    s = score_reviews(ids, texts, model)
    up = n / (time.perf_counter() - t0)

    t0 = time.perf_counter()  # the library's own 2-process path (fork, start-up included)
    s2 = score_reviews(ids, texts, model, n_jobs=2)
    up2 = n / (time.perf_counter() - t0)
    assert len(s2.sentiment) == n

    from snownlp import SnowNLP

    k = max(int(300 * scale), 50)
    t0 = time.perf_counter()
    for t in texts[:k]:
        if t:
            _ = SnowNLP(t).sentiments
    snow = k / (time.perf_counter() - t0)

    import jieba

    jieba.initialize()
    m = min(n, 20_000)
    t0 = time.perf_counter()
    for t in texts[:m]:
        jieba.lcut(t)
    jb = m / (time.perf_counter() - t0)
    out = {"n_reviews": n, "upmarket_reviews_per_s": round(up), "upmarket_2_processes_reviews_per_s": round(up2),
           "snownlp_reviews_per_s": round(snow, 1), "speedup_2_processes_vs_snownlp": round(up2 / snow, 1),
           "jieba_reviews_per_s": round(jb), "speedup_vs_snownlp": round(up / snow, 1),
           "mean_chars": round(float(np.mean([len(t) for t in texts])), 1), "cores": os.cpu_count(),
           "aspect_opinions": len(s.aspects), "goal_reviews_per_s": 40_000}
    try:
        import rjieba

        t0 = time.perf_counter()
        for t in texts[:m]:
            rjieba.cut(t)
        out["rjieba_reviews_per_s"] = round(m / (time.perf_counter() - t0))
    except ImportError:
        pass
    return out


if __name__ == "__main__":
    print(json.dumps(main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0), indent=1))
