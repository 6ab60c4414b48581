"""Throughput of the whole voice pipeline (normalise → sentiment → aspects → framing) vs SnowNLP and jieba.

``main(scale)`` scores ``100_000 × scale`` twin reviews with the shipped model, in one process and
with ``score_reviews(n_jobs=2)`` (what the analysis uses on large inputs, worker start-up
included), and, in the same run, SnowNLP sentiment on a sample and jieba / rjieba segmentation
of the same texts. Prints and returns reviews per second, reviews per CPU-second of the serial path (the
machine is shared: wall time depends on the others' load, printed too) and CPU seconds per stage (what
dominates). Goal: ≥ 40,000 reviews/s on 2 cores.
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


def stage_cpu(texts: list[str], model, batch: int = 50_000) -> dict[str, float]:
    """CPU seconds per stage of the serial scoring path (process time: on a shared machine wall time is noise)."""
    from upmarket.analyses.voice import score as sc
    from upmarket.analyses.voice.aspects import aspect_hits, clause_polarity
    from upmarket.analyses.voice.framing import framing
    from upmarket.analyses.voice.text import normalise
    from upmarket.text.lexicon import lexicon_polarity, negated_complaints_as_praise, neutral_mask, split_clauses

    cpu: dict[str, float] = {}

    def tick(name: str, t0: float) -> float:
        t = time.process_time()
        cpu[name] = cpu.get(name, 0.0) + t - t0
        return t

    for lo in range(0, len(texts), batch):
        t = time.process_time()
        norm = normalise(texts[lo: lo + batch]).texts
        t = tick("normalise (OpenCC, width, HTML)", t)
        rewritten = negated_complaints_as_praise(norm)
        t = tick("negation rewrite (RE2)", t)
        model.decision_function(rewritten, normalised=True, domain="phone")
        t = tick("whole-text model (hashing + sparse dot)", t)
        cl = split_clauses(norm)
        t = tick("clause split (RE2)", t)
        aspect_hits(cl.text)
        t = tick("aspect terms (RE2)", t)
        lex = lexicon_polarity(cl.text)
        neutral_mask(cl.text)
        t = tick("clause lexicon (RE2)", t)
        clause_polarity(cl.text, model, sc.NEUTRAL_BAND, domain="phone", lex=lex)
        t = tick("clause model (hashing + sparse dot)", t)
        framing(norm)
        tick("framing (RE2)", t)
    return {k: round(v, 2) for k, v in cpu.items()}


def main(scale: float = 1.0) -> dict:
    from upmarket.analyses.voice.score import score_reviews
    from upmarket.analyses.voice.sentiment import SentimentModel

    n = max(int(100_000 * scale), 1000)
    texts = _texts(n)
    ids = np.arange(n).astype(str)
    c0 = time.process_time()
    model = SentimentModel.load()
    load_cpu = time.process_time() - c0
    c0 = time.process_time()
    score_reviews(ids[:100], texts[:100], model)  # cold: OpenCC tables, RE2 compilation
    cold_cpu = time.process_time() - c0
    score_reviews(ids[:2000], texts[:2000], model)  # warm up (OpenCC tables, regex compilation)
    t0, c0 = time.perf_counter(), time.process_time()
    s = score_reviews(ids, texts, model)
    up = n / (time.perf_counter() - t0)
    up_cpu = n / (time.process_time() - c0)  # one core's worth of work, whatever else the machine runs
    stages = stage_cpu(texts, model)
    small = {}
    for k in (100, 1_000, 10_000):
        c0 = time.process_time()
        score_reviews(ids[:k], texts[:k], model)
        small[k] = round(k / (time.process_time() - c0))

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
           "aspect_opinions": len(s.aspects), "goal_reviews_per_s": 40_000,
           "upmarket_reviews_per_cpu_s": round(up_cpu), "stage_cpu_s": stages,
           "load_average_1min": round(os.getloadavg()[0], 1),
           "model_load_cpu_s": round(load_cpu, 2), "first_call_cpu_s": round(cold_cpu, 2),
           "reviews_per_cpu_s_by_size": small}
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
