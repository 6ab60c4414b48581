"""The shipped model's pass, sparse chain (before) against the matrix-free one-member decision (after), one run.

``main(scale)`` takes the real corpora's distinct texts (``benchmarks/voice.py``'s ``real_distinct`` case: 61,705 at
scale 1) and the twin's reviews, and alternates three times: the whole-text model pass alone (``sliced_decision`` on
normalised texts) and the whole pipeline (``score_reviews``, one process), each with the old chain
(hashing → CSR → tf-idf → l2 → sparse dot, and its 150,000-character slices, patched in) and the current code.
CPU seconds of this process; the load average is printed because the machine is shared.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from voice import _real_texts, _twin_texts


@contextmanager
def _sparse_chain():
    """``SentimentModel.decision_function`` through the sparse matrix, as before the change."""
    from upmarket.analyses.voice.sentiment import SentimentModel
    from upmarket.analyses.voice.text import normalise

    fast = SentimentModel.decision_function

    def chain(self, texts, normalised=False, domain=None):
        norm = texts if normalised else normalise(texts).texts
        counts, chars = self.count_views(norm, self._domain(domain))
        return self._members(counts, chars)[0]

    from upmarket.analyses.voice import aspects

    slices = aspects.sliced_decision.__defaults__
    SentimentModel.decision_function = chain
    aspects.sliced_decision.__defaults__ = (None, 150_000)  # the former slice size, made for the matrix
    try:
        yield
    finally:
        SentimentModel.decision_function = fast
        aspects.sliced_decision.__defaults__ = slices


def main(scale: float = 1.0) -> None:
    from upmarket.analyses.voice import aspects
    from upmarket.analyses.voice.score import score_reviews
    from upmarket.analyses.voice.sentiment import SentimentModel
    from upmarket.analyses.voice.text import normalise

    model = SentimentModel.load()
    real = _real_texts(int(100_000 * scale))
    cases = {"twin": _twin_texts(int(100_000 * scale))}
    if real is not None:
        cases["real_distinct"] = real[1]
    model.decision_function(["预热"], normalised=True)  # builds the cached score table once
    for name, texts in cases.items():
        norm = normalise(texts).texts
        print(f"{name}: {len(texts):,} texts, {np.mean([len(t) for t in texts]):.1f} chars, "
              f"load {os.getloadavg()[0]:.1f}")
        best: dict[str, list[float]] = {}
        for _ in range(3):
            for label in ("before", "after"):
                with _sparse_chain() if label == "before" else _noop():
                    t = time.process_time()
                    aspects.sliced_decision(model, norm)
                    best.setdefault(f"model pass {label}", []).append(time.process_time() - t)
                    t = time.process_time()
                    score_reviews(list(range(len(texts))), texts, model)
                    best.setdefault(f"score_reviews {label}", []).append(time.process_time() - t)
        for key, secs in best.items():
            print(f"  {key:22s} CPU s best {min(secs):.3f} / median {np.median(secs):.3f}"
                  + (f"  → {len(texts) / min(secs):,.0f} reviews per CPU-second" if "score" in key else ""))


@contextmanager
def _noop():
    yield


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
