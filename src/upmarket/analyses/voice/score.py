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
    aspect_hits,
    aspect_opinions,
    clause_polarity,
    lexicon_polarity,
    neutral_mask,
    sliced_decision,
    split_clauses,
)
from upmarket.analyses.voice.framing import framing
from upmarket.analyses.voice.sentiment import SentimentModel
from upmarket.analyses.voice.text import Normalised, normalise
from upmarket.text.lexicon import distinct_clauses, distinct_values, negated_complaints_as_praise
from upmarket.text.normalise import as_str

BATCH = 50_000
PARALLEL_MIN = 50_000
"""From this many texts on, scoring is split over worker processes when cores are idle (:func:`default_jobs`; below
it, start-up and handing results back cost about what a second process saves)."""
MAX_JOBS = 2
NEUTRAL_BAND = 0.1
"""A clause whose P(positive) is within this of 0.5 states no opinion (polarity 0)."""
OPINION_CONFIDENCE = 0.4
"""A clause the model scores at least this far from 0.5 (P ≥ 0.9 or ≤ 0.1) states an opinion even without a
lexicon word or an aspect term (对得起旗舰的定位, 撑不起这个高端定位)."""
MIXED_BALANCE = 1.0
"""A review is mixed when it has opinion clauses of both signs and the fewer side is at least this share of
the larger: 1 = exactly balanced (chosen by 3-way accuracy on the hand-labelled mixed reviews, docs/voice.md)."""


@dataclass
class ReviewEvidence:
    """What the clause pass learns about each review of a batch (one entry per text).

    ``lexicon``: the review's lexicon evidence, Σ clause lexicon polarity / √(number of clauses);
    ``n_pos`` / ``n_neg``: opinion clauses read positive / negative (see :func:`review_labels`).
    """

    lexicon: np.ndarray
    n_pos: np.ndarray
    n_neg: np.ndarray
    n_opinion: np.ndarray
    n_lukewarm: np.ndarray


def lexicon_weight(model: SentimentModel) -> float:
    """Weight of the review's lexicon evidence added to the model's whole-text log-odds.

    Stored in the model file (``info["doc_lexicon_weight"]``, chosen on real labelled reviews by
    ``scripts/train_voice_model.py``; an adapted model scales it); a model fitted from scratch has none: 0.
    """
    return float(model.info_.get("doc_lexicon_weight", 0.0))


def review_lexicon(texts: list[str]) -> np.ndarray:
    """Each normalised text's lexicon evidence (Σ clause lexicon polarity / √clauses), without a model."""
    cl = split_clauses(texts)
    lex = lexicon_polarity(cl.text) if cl.text else np.zeros(0, np.int8)
    n_cl = np.bincount(cl.review, minlength=len(texts))
    return np.bincount(cl.review, weights=lex, minlength=len(texts)) / np.sqrt(np.maximum(n_cl, 1))


def review_scores(logit: np.ndarray, ev: ReviewEvidence, model: SentimentModel) -> np.ndarray:
    """Whole-text P(positive): model log-odds + :func:`lexicon_weight` × the review's lexicon evidence."""
    return 1.0 / (1.0 + np.exp(-(logit + lexicon_weight(model) * ev.lexicon)))


def review_labels_from(score: np.ndarray) -> np.ndarray:
    """Review label (1/−1; 0 for an empty text): the side of 0.5 the whole-text score falls on.

    Chosen by accuracy on real labelled reviews (docs/voice.md, "Review label"): every neutral band
    and every clause-vote rule tried was less accurate on the corpora than the score itself, so the
    label is the score's own decision. The headline shares then set mixed reviews (:func:`mixed_flags`)
    apart: positive = label 1 and not mixed, negative = label −1 and not mixed, mixed (docs/voice.md).
    """
    return np.where(np.isnan(score), 0, np.where(score >= 0.5, 1, -1)).astype(np.int8)


def mixed_flags(ev: ReviewEvidence, balance: float = MIXED_BALANCE) -> np.ndarray:
    """Mixed or lukewarm reviews (the neutral class): opinion clauses of both signs with the fewer side at
    least ``balance`` × the larger (by default as many praising as complaining clauses: 拍照很好，但是续航太差),
    or only lukewarm opinions (一般般, 谈不上惊艳).
    Measured on hand-labelled real reviews (docs/voice.md)."""
    both = (ev.n_pos > 0) & (ev.n_neg > 0)
    lukewarm = (ev.n_pos == 0) & (ev.n_neg == 0) & (ev.n_lukewarm > 0)
    return (both & (np.minimum(ev.n_pos, ev.n_neg) >= balance * np.maximum(ev.n_pos, ev.n_neg))) | lukewarm


def default_jobs(n: int) -> int:
    """Worker processes for ``n`` texts: 1 below :data:`PARALLEL_MIN`, else one per core that the 1-minute load
    average leaves idle (counting this process as one of the runners), up to :data:`MAX_JOBS`.

    On a busy machine a second process only competes with the first: the 2-process path measured slower than one
    process at load 10 on 2 cores (docs/voice.md, "Throughput"). The output does not depend on it.
    """
    cores = os.cpu_count() or 1
    if n < PARALLEL_MIN or cores < 2:
        return 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover - no load average on this platform
        load = 0.0
    return max(1, min(MAX_JOBS, cores, int(cores + 1.5 - load)))


def review_labels(texts: list[str], model: SentimentModel, domain: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(label, mixed)`` of raw ``texts`` exactly as :func:`score_reviews` gives them."""
    s = score_reviews(np.arange(len(texts)), texts, model, domain=domain, n_jobs=1).sentiment
    return s["label"].to_numpy(), s["mixed"].to_numpy()


def _clause_pass(texts: list[str], model: SentimentModel, neutral_band: float,
                 domain: str | None, detectors=None, distinct: bool = True) -> tuple[ReviewEvidence, pd.DataFrame]:
    """Review evidence and aspect opinions from one pass over the batch's clauses (split and scored once).

    An *opinion clause* names an aspect, holds a word of the lexicon (including lukewarm ones: 一般,
    还行, which count 0), or is scored confidently by the model (:data:`OPINION_CONFIDENCE`); factual
    clauses (收到了, 用了三天) do not vote. The aspect opinions are those of
    :func:`~upmarket.analyses.voice.aspects.extract_aspects` (same columns, same values).
    ``distinct``: match and score each distinct clause once (False: every clause; same output, the reference).
    """
    n = len(texts)
    if distinct:
        cl, uniq, inv = distinct_clauses(texts)
    else:
        cl = split_clauses(texts)
        uniq, inv = cl.text, np.arange(len(cl.text))
    hits = aspect_hits(uniq, detectors)[inv]
    if uniq:
        lex_u = lexicon_polarity(uniq)
        luke_u = neutral_mask(uniq)
        pol_u, p_u = clause_polarity(uniq, model, neutral_band, domain=domain, lex=lex_u, neutral=luke_u)
        lex, luke, pol, p = lex_u[inv], luke_u[inv], pol_u[inv], p_u[inv]
        opinion = hits.any(axis=1) | (lex != 0) | luke | (np.abs(p - 0.5) >= OPINION_CONFIDENCE)
    else:
        lex, luke, pol = np.zeros(0, np.int8), np.zeros(0, bool), np.zeros(0, np.int8)
        opinion = np.zeros(0, bool)
    n_cl = np.bincount(cl.review, minlength=n)
    ev = ReviewEvidence(lexicon=np.bincount(cl.review, weights=lex, minlength=n) / np.sqrt(np.maximum(n_cl, 1)),
                        n_pos=np.bincount(cl.review, weights=opinion & (pol > 0), minlength=n),
                        n_neg=np.bincount(cl.review, weights=opinion & (pol < 0), minlength=n),
                        n_opinion=np.bincount(cl.review, weights=opinion, minlength=n),
                        n_lukewarm=np.bincount(cl.review, weights=opinion & luke, minlength=n))
    return ev, aspect_opinions(texts, cl, hits, pol, model, detectors, neutral_band, domain)


@dataclass
class Scored:
    """Per-review outputs, keyed by ``review_id``.

    ``sentiment``: review_id, score (whole-text P(positive), NaN when the text is empty), label (1/−1 by the score,
    0 when empty; :func:`review_labels_from`), mixed (praise and complaint, :func:`mixed_flags`),
    flag (``empty``/``truncated``/``no_chinese``/``''``), value_terms, premium_terms, frame
    (1 value, 0 premium, NaN unframed). ``aspects``: review_id, aspect, polarity (−1/0/1).
    ``texts``: the normalised texts (for associations and quotes).
    """

    sentiment: pd.DataFrame
    aspects: pd.DataFrame
    texts: list[str]
    adaptation: pd.DataFrame | None = None
    """Set by the analysis when it adapted the model to the dataset's ratings (``voice_adaptation``)."""


def _score_batch(raw: list[str], model: SentimentModel, domain: str | None, detectors,
                 distinct: bool) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """One batch: the sentiment columns (without review_id), the aspect rows (``row`` into the batch) and the
    normalised texts. With ``distinct``, each distinct raw text is normalised once and each distinct normalised
    text scored once (:func:`~upmarket.text.lexicon.distinct_values`)."""
    if distinct:
        raw_u, raw_inv = distinct_values(raw)
    else:
        raw_u, raw_inv = raw, np.arange(len(raw))
    norm = normalise(raw_u)
    texts = [norm.texts[i] for i in raw_inv.tolist()]
    if distinct:
        uniq, inv = distinct_values(texts)
    else:
        uniq, inv = texts, np.arange(len(texts))
    empty = norm.empty[raw_inv]
    logit = sliced_decision(model, negated_complaints_as_praise(uniq), domain)
    ev, asp = _clause_pass(uniq, model, NEUTRAL_BAND, domain, detectors, distinct)
    score = review_scores(logit, ev, model)[inv]
    score[empty] = np.nan
    v, p, frame = framing(uniq)
    sent = pd.DataFrame({"score": score, "label": review_labels_from(score), "mixed": mixed_flags(ev)[inv] & ~empty,
                         "flag": Normalised.flags_of(empty, norm.truncated[raw_inv], norm.latin_only[raw_inv]),
                         "value_terms": v[inv], "premium_terms": p[inv], "frame": frame[inv]})
    # each batch row takes its distinct text's aspect rows, in row order (rows sorted, aspects as found)
    asp_row = asp["row"].to_numpy()
    per_text = np.bincount(asp_row, minlength=len(uniq))
    first = np.concatenate([[0], np.cumsum(per_text)[:-1]]) if len(uniq) else np.zeros(0, np.int64)
    take_n = per_text[inv]
    start = np.repeat(first[inv], take_n)
    offset = np.arange(int(take_n.sum())) - np.repeat(np.cumsum(take_n) - take_n, take_n)
    take = start + offset
    aspects = pd.DataFrame({"row": np.repeat(np.arange(len(texts)), take_n),
                            "aspect": asp["aspect"].to_numpy()[take], "polarity": asp["polarity"].to_numpy()[take]})
    return sent, aspects, texts


def _score_serial(ids: np.ndarray, texts: Sequence[object], model: SentimentModel, batch: int, progress,
                  domain: str | None, detectors=None, distinct: bool = True) -> Scored:
    sent_parts, asp_parts, all_texts = [], [], []
    for lo in range(0, len(texts), batch):
        sent, asp, norm_texts = _score_batch(as_str(texts[lo: lo + batch]), model, domain, detectors, distinct)
        cid = ids[lo : lo + batch]
        sent.insert(0, "review_id", cid)
        sent_parts.append(sent)
        asp_parts.append(pd.DataFrame({"review_id": cid[asp["row"].to_numpy()], "aspect": asp["aspect"].to_numpy(),
                                       "polarity": asp["polarity"].to_numpy()}))
        all_texts.extend(norm_texts)
        if progress is not None:
            progress(min(lo + batch, len(texts)), len(texts))
    sentiment = pd.concat(sent_parts, ignore_index=True) if sent_parts else pd.DataFrame(
        {"review_id": [], "score": [], "label": [], "mixed": [], "flag": [], "value_terms": [], "premium_terms": [],
         "frame": []})
    aspects = pd.concat(asp_parts, ignore_index=True) if asp_parts else pd.DataFrame(
        {"review_id": [], "aspect": [], "polarity": []})
    return Scored(sentiment, aspects, all_texts)


_JOB: tuple | None = None
"""(ids, texts, model, batch, domain, detectors, distinct) handed to forked workers by inheritance, not by pickling."""


def _score_part(bounds: tuple[int, int]) -> Scored:
    ids, texts, model, batch, domain, detectors, distinct = _JOB
    lo, hi = bounds
    return _score_serial(ids[lo:hi], texts[lo:hi], model, batch, None, domain, detectors, distinct)


def score_reviews(ids: Sequence[object], texts: Sequence[object], model: SentimentModel | None = None,
                  batch: int = BATCH, progress=None, domain: str | None = "phone",
                  n_jobs: int | None = None, detectors=None, distinct: bool = True) -> Scored:
    """Score raw texts; never raises on bad text (empty, emoji-only, English, HTML, very long).

    ``domain``: the texts' product domain for a domain-aware model (ignored by models without it).
    ``n_jobs``: processes; by default :func:`default_jobs` (1 below :data:`PARALLEL_MIN` texts or on a busy
    machine, else up to :data:`MAX_JOBS`). This process scores one part and ``n_jobs − 1`` forked workers the others,
    so the model and texts are shared, not copied; where ``fork`` is unavailable the work stays in this process.
    ``detectors``: learned aspect detectors (:mod:`.aspect_models`) used with the aspect lexicon.
    ``distinct``: normalise, match and score each distinct text and clause once and broadcast (the output is the
    same; False scores every one, the reference path the tests and the benchmark compare with).
    """
    global _JOB
    model = model if model is not None else SentimentModel.load()
    ids = pd.Series(ids, dtype=object).astype(str).to_numpy() if len(ids) else np.zeros(0, dtype=object)
    if len(ids) != len(texts):
        raise ValueError(f"{len(ids)} ids but {len(texts)} texts")
    n = len(texts)
    if n_jobs is None:
        n_jobs = default_jobs(n)
    if n_jobs <= 1 or n < 2 * n_jobs or "fork" not in mp.get_all_start_methods():
        return _score_serial(ids, texts, model, batch, progress, domain, detectors, distinct)
    step = -(-n // n_jobs)
    bounds = [(lo, min(lo + step, n)) for lo in range(0, n, step)]
    _JOB = (ids, texts, model, batch, domain, detectors, distinct)
    try:  # this process scores the first part while n_jobs − 1 forked workers score the rest
        with mp.get_context("fork").Pool(len(bounds) - 1) as pool:
            rest = pool.map_async(_score_part, bounds[1:])
            parts = [_score_part(bounds[0]), *rest.get()]
    finally:
        _JOB = None
    if progress is not None:
        progress(n, n)
    return Scored(pd.concat([p.sentiment for p in parts], ignore_index=True),
                  pd.concat([p.aspects for p in parts], ignore_index=True),
                  [t for p in parts for t in p.texts])
