"""The whole per-review pipeline: normalise → sentiment → aspects → framing, in batches.

Used by the ``voice`` analysis, by ``upmarket voice score`` and by the benchmark, so all three
measure and produce the same thing.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from upmarket.analyses.voice.aspects import (
    ASPECT_TERMS,
    ASPECTS,
    clause_polarity,
    lexicon_polarity,
    match_matrix,
    neutral_mask,
    split_clauses,
)
from upmarket.analyses.voice.framing import framing
from upmarket.analyses.voice.sentiment import SentimentModel
from upmarket.analyses.voice.text import normalise

BATCH = 50_000
PARALLEL_MIN = 200_000
"""From this many texts on, scoring is split over worker processes (below it, start-up costs more than it saves)."""
MAX_JOBS = 2
NEUTRAL_BAND = 0.1
"""A clause (or a review without opinion clauses) whose P(positive) is within this of 0.5 is neutral (0)."""
OPINION_CONFIDENCE = 0.4
"""A clause the model scores at least this far from 0.5 (P ≥ 0.9 or ≤ 0.1) states an opinion even without a
lexicon word or an aspect term (对得起旗舰的定位, 撑不起这个高端定位)."""


def review_labels(texts: list[str], score: np.ndarray, model: SentimentModel, neutral_band: float = NEUTRAL_BAND,
                  domain: str | None = None) -> np.ndarray:
    """Review label (1/0/−1): the sign of the sum of the polarities of the review's *opinion clauses*.

    A review that praises one thing and criticises another as strongly ("拍照很好，但是续航太差") is
    mixed, so neutral (0), whatever a binary whole-text model says. An opinion clause names an aspect,
    holds an opinion word of the lexicon (including lukewarm ones: 一般, 还行, which count 0), or is
    scored confidently by the model (:data:`OPINION_CONFIDENCE`); factual clauses (收到了, 用了三天,
    帮家里人买的) do not vote — a binary model leans positive on them. Each clause's polarity is
    :func:`~upmarket.analyses.voice.aspects.clause_polarity` (model plus negation-aware lexicon).
    A review without opinion clauses keeps the whole-text label (``score`` with ``neutral_band``);
    an empty text (NaN ``score``) is 0.
    """
    return _clause_pass(texts, score, model, neutral_band, domain)[0]


def _clause_pass(texts: list[str], score: np.ndarray, model: SentimentModel, neutral_band: float,
                 domain: str | None) -> tuple[np.ndarray, pd.DataFrame]:
    """Review labels and aspect opinions from one pass over the batch's clauses (split and scored once).

    The aspect opinions are those of :func:`~upmarket.analyses.voice.aspects.extract_aspects` (same
    columns, same values); doing both here saves splitting, matching and scoring the clauses twice.
    """
    label = np.where(score >= 0.5 + neutral_band, 1, np.where(score <= 0.5 - neutral_band, -1, 0)).astype(np.int8)
    cl = split_clauses(texts)
    hits = match_matrix(cl.text, ASPECT_TERMS)
    pol, p = clause_polarity(cl.text, model, neutral_band, domain=domain)
    opinion = (hits.any(axis=1) | (lexicon_polarity(cl.text) != 0) | neutral_mask(cl.text)
               | (np.abs(p - 0.5) >= OPINION_CONFIDENCE)) if cl.text else np.zeros(0, bool)
    n = len(texts)
    n_op = np.bincount(cl.review, weights=opinion, minlength=n)
    net = np.bincount(cl.review, weights=np.where(opinion, pol, 0), minlength=n)
    label = np.where((n_op > 0) & ~np.isnan(score), np.sign(net), label).astype(np.int8)
    ci, ai = np.nonzero(hits)
    frame = pd.DataFrame({"row": cl.review[ci], "aspect_i": ai, "pol": pol[ci].astype(np.int64)})
    asp = frame.groupby(["row", "aspect_i"], sort=True).agg(s=("pol", "sum"), n_clauses=("pol", "size")).reset_index()
    asp["aspect"] = np.asarray(ASPECTS, dtype=object)[asp["aspect_i"].to_numpy()]
    asp["polarity"] = np.sign(asp["s"]).astype(np.int8)
    return label, asp[["row", "aspect", "polarity", "n_clauses"]]


@dataclass
class Scored:
    """Per-review outputs, keyed by ``review_id``.

    ``sentiment``: review_id, score (whole-text P(positive), NaN when the text is empty), label (1/0/−1, the
    sign of the review's opinion clauses, see :func:`review_labels`),
    flag (``empty``/``truncated``/``no_chinese``/``''``), value_terms, premium_terms, frame
    (1 value, 0 premium, NaN unframed). ``aspects``: review_id, aspect, polarity (−1/0/1).
    ``texts``: the normalised texts (for associations and quotes).
    """

    sentiment: pd.DataFrame
    aspects: pd.DataFrame
    texts: list[str]


def _score_serial(ids: np.ndarray, texts: Sequence[object], model: SentimentModel, batch: int, progress,
                  domain: str | None) -> Scored:
    sent_parts, asp_parts, all_texts = [], [], []
    for lo in range(0, len(texts), batch):
        chunk = list(texts[lo : lo + batch])
        norm = normalise(chunk)
        score = model.predict_proba(norm.texts, normalised=True, domain=domain)
        score[norm.empty] = np.nan
        label, asp = _clause_pass(norm.texts, score, model, NEUTRAL_BAND, domain)
        v, p, frame = framing(norm.texts)
        cid = ids[lo : lo + batch]
        sent_parts.append(pd.DataFrame({"review_id": cid, "score": score, "label": label, "flag": norm.flags(),
                                        "value_terms": v, "premium_terms": p, "frame": frame}))
        asp_parts.append(pd.DataFrame({"review_id": cid[asp["row"].to_numpy()], "aspect": asp["aspect"].to_numpy(),
                                       "polarity": asp["polarity"].to_numpy()}))
        all_texts.extend(norm.texts)
        if progress is not None:
            progress(min(lo + batch, len(texts)), len(texts))
    sentiment = pd.concat(sent_parts, ignore_index=True) if sent_parts else pd.DataFrame(
        {"review_id": [], "score": [], "label": [], "flag": [], "value_terms": [], "premium_terms": [], "frame": []})
    aspects = pd.concat(asp_parts, ignore_index=True) if asp_parts else pd.DataFrame(
        {"review_id": [], "aspect": [], "polarity": []})
    return Scored(sentiment, aspects, all_texts)


_JOB: tuple | None = None
"""(ids, texts, model, batch, domain) handed to forked workers by inheritance, not by pickling."""


def _score_part(bounds: tuple[int, int]) -> Scored:
    ids, texts, model, batch, domain = _JOB
    lo, hi = bounds
    return _score_serial(ids[lo:hi], texts[lo:hi], model, batch, None, domain)


def score_reviews(ids: Sequence[object], texts: Sequence[object], model: SentimentModel | None = None,
                  batch: int = BATCH, progress=None, domain: str | None = "phone",
                  n_jobs: int | None = None) -> Scored:
    """Score raw texts; never raises on bad text (empty, emoji-only, English, HTML, very long).

    ``domain``: the texts' product domain for a domain-aware model (ignored by models without it).
    ``n_jobs``: worker processes; by default 1 below :data:`PARALLEL_MIN` texts, else up to
    :data:`MAX_JOBS` (one per core). Workers are forked, so the model and texts are shared, not
    copied; where ``fork`` is unavailable the work stays in this process.
    """
    global _JOB
    model = model if model is not None else SentimentModel.load()
    ids = pd.Series(ids, dtype=object).astype(str).to_numpy() if len(ids) else np.zeros(0, dtype=object)
    if len(ids) != len(texts):
        raise ValueError(f"{len(ids)} ids but {len(texts)} texts")
    n = len(texts)
    if n_jobs is None:
        n_jobs = min(MAX_JOBS, os.cpu_count() or 1) if n >= PARALLEL_MIN else 1
    if n_jobs <= 1 or n < 2 * n_jobs or "fork" not in mp.get_all_start_methods():
        return _score_serial(ids, texts, model, batch, progress, domain)
    step = -(-n // n_jobs)
    _JOB = (ids, texts, model, batch, domain)
    try:
        with mp.get_context("fork").Pool(n_jobs) as pool:
            parts = pool.map(_score_part, [(lo, min(lo + step, n)) for lo in range(0, n, step)])
    finally:
        _JOB = None
    if progress is not None:
        progress(n, n)
    return Scored(pd.concat([p.sentiment for p in parts], ignore_index=True),
                  pd.concat([p.aspects for p in parts], ignore_index=True),
                  [t for p in parts for t in p.texts])
