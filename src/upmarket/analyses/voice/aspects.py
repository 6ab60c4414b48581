"""Eight aspects and the polarity of each opinion, at the clause level.

A review is cut into clauses at punctuation and before contrast words (但是, 不过, 可是, 然而,
就是, 只是), so "拍照很好，但是发热严重" yields a positive camera opinion and a negative
performance one. Aspect terms are matched per clause with RE2 (``pyarrow.compute``, one C pass
per aspect over all clauses). The polarity of a clause is the sentiment model's score of that
clause (its character n-grams carry negation: 不好, 不卡, 没有问题), shifted by a small opinion
lexicon with explicit negation scope (不/没有/一点也不/并不 … before the opinion word flips it).
A clause whose combined score is within ``neutral_band`` of 0.5 states no opinion.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import pandas as pd

from upmarket.analyses.voice.sentiment import SentimentModel
from upmarket.text.lexicon import (  # the lexicon and clause helpers several analyses share
    ASPECT_TERMS,
    ASPECTS,
    Clauses,
    lexicon_polarity,
    match_matrix,
    neutral_mask,
    split_clauses,
)

MODEL_SLICE_CHARS = 20_000
"""Texts are hashed and scored in slices of about this many characters: the n-gram arrays of a slice stay in the
CPU cache (a 50,000-review batch at once ran 30–40 % slower on real reviews; the scores are the same). Since the
one-member model sorts its occurrences instead of building a 2^22-column matrix, small slices cost no fixed
overhead: 20,000 characters ran the whole-text pass ~20 % faster than 150,000 on the distinct real texts."""


def sliced_decision(model: SentimentModel, texts: list[str], domain: Sequence[str | None] | str | None = None,
                    slice_chars: int = MODEL_SLICE_CHARS) -> np.ndarray:
    """``model.decision_function`` of normalised ``texts``, one slice of about ``slice_chars`` characters at a time.

    Each text's log-odds depend on that text alone, so slicing changes the cost, not the result.
    """
    if not texts:
        return model.decision_function(texts, normalised=True, domain=domain)
    ends = np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)) + 1)
    cuts = np.searchsorted(ends, np.arange(slice_chars, int(ends[-1]), slice_chars), side="right")
    bounds = np.unique(np.concatenate([[0], cuts, [len(texts)]])).tolist()
    per_text = domain is not None and not isinstance(domain, str)
    return np.concatenate([model.decision_function(texts[lo:hi], normalised=True,
                                                   domain=list(domain[lo:hi]) if per_text else domain)
                           for lo, hi in pairwise(bounds)])


def clause_polarity(clauses: list[str], model: SentimentModel, neutral_band: float = 0.1,
                    lexicon_weight: float = 3.0, domain: Sequence[str | None] | str | None = None,
                    lex: np.ndarray | None = None, neutral: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Polarity (−1/0/1) and P(positive) per clause: model log-odds plus a lexicon nudge.

    A model file may carry ``info["clause_offset"]`` (added to its log-odds on clauses: a model fitted on
    whole reviews leans to its document prior on short clauses; the shipped one is chosen on real
    aspect-labelled sentences) and ``info["clause_lexicon_weight"]`` (overrides ``lexicon_weight``).
    ``lex`` / ``neutral``: the clauses' :func:`lexicon_polarity` / :func:`neutral_mask` when the caller already has
    them (each is an RE2 pass over all clauses).
    """
    if not clauses:
        return np.zeros(0, np.int8), np.zeros(0)
    logit = sliced_decision(model, clauses, domain)
    lex = lexicon_polarity(clauses) if lex is None else lex
    weight = float(model.info_.get("clause_lexicon_weight", lexicon_weight))
    p = 1.0 / (1.0 + np.exp(-(logit + float(model.info_.get("clause_offset", 0.0)) + weight * lex)))
    pol = np.where(p >= 0.5 + neutral_band, 1, np.where(p <= 0.5 - neutral_band, -1, 0)).astype(np.int8)
    pol[neutral_mask(clauses) if neutral is None else neutral] = 0
    return pol, p


def aspect_hits(clauses: list[str], detectors=None) -> np.ndarray:
    """Boolean (clause × aspect): a lexicon term matches, or (with learned ``detectors``) P ≥ its threshold."""
    hits = match_matrix(clauses, ASPECT_TERMS)
    if detectors is not None and clauses:
        hits |= detectors.hits(clauses, ASPECTS)
    return hits


def text_opinions(texts: list[str], found: pd.DataFrame, model: SentimentModel, detectors,
                  neutral_band: float, domain: Sequence[str | None] | str | None = None) -> pd.DataFrame:
    """Opinions the learned detectors find in a whole text but in none of its clauses.

    An aspect is often named by the sentence, not by any one clause (反应很快，物有所值 — performance,
    price), and the detectors were trained on whole annotated sentences; run on clauses only, they miss it.
    So each text is also run through the detectors, and an aspect found there that no clause names becomes
    an opinion with the whole text's polarity. Held-out aspect sentences (docs/voice.md): recall
    0.838 → 0.852, precision 0.785 → 0.775, polarity 0.859 → 0.861 (cutting texts into sentences at 。！？
    first gave recall 0.846). ``found``: the clause-level (row, aspect_i) pairs. Returns rows
    (row, aspect_i, pol) like the clause frame.
    """
    empty = pd.DataFrame({"row": np.zeros(0, np.int64), "aspect_i": np.zeros(0, np.int64),
                          "pol": np.zeros(0, np.int64)})
    if detectors is None or not texts:
        return empty
    ri, ai = np.nonzero(detectors.hits(texts, ASPECTS))
    known = set(zip(found["row"].to_numpy().tolist(), found["aspect_i"].to_numpy().tolist(), strict=True))
    new = np.array([(r, a) not in known for r, a in zip(ri.tolist(), ai.tolist(), strict=True)], bool)
    ri, ai = ri[new], ai[new]
    if ri.size == 0:
        return empty
    uniq, inv = np.unique(ri, return_inverse=True)
    dom = domain
    if dom is not None and not isinstance(dom, str):
        dom = np.asarray(dom, object)[uniq].tolist()
    pol, _ = clause_polarity([texts[i] for i in uniq], model, neutral_band, domain=dom)
    return pd.DataFrame({"row": ri.astype(np.int64), "aspect_i": ai.astype(np.int64),
                         "pol": pol[inv].astype(np.int64)})


def extract_aspects(texts: list[str], model: SentimentModel, neutral_band: float = 0.1,
                    domain: Sequence[str | None] | str | None = None, detectors=None,
                    surround: tuple[list[str], list[str]] | None = None) -> pd.DataFrame:
    """Opinions of normalised texts: one row per (text index, aspect) with a polarity.

    ``domain``: the texts' domain for a domain-aware model (one for all, or one per text).
    ``detectors``: learned :class:`~upmarket.analyses.voice.aspect_models.AspectDetectors` (optional).
    ``surround``: the text before and after each text in its document (a sentence's review), read by a learned
    polarity model only.

    Columns: ``row`` (index into ``texts``), ``aspect``, ``polarity`` (−1/0/1: the sign of the
    mean polarity of the clauses naming the aspect; 0 = mentioned without a clear opinion),
    ``n_clauses``.
    """
    cl = split_clauses(texts)
    hits = aspect_hits(cl.text, detectors)
    any_hit = hits.any(axis=1)
    pol = np.zeros(len(cl.text), np.int8)
    if any_hit.any():
        idx = np.flatnonzero(any_hit)
        dom = domain
        if dom is not None and not isinstance(dom, str):
            dom = np.asarray(dom, object)[cl.review[idx]].tolist()
        pol[idx], _ = clause_polarity([cl.text[i] for i in idx], model, neutral_band, domain=dom)
    return aspect_opinions(texts, cl, hits, pol, model, detectors, neutral_band, domain, surround)


def aspect_contexts(texts: list[str], cl: Clauses, hits: np.ndarray, rows: np.ndarray,
                    aspect_is: np.ndarray) -> list[str]:
    """The context of each (text row, aspect index) opinion: the text's clauses naming the aspect, joined with
    "，" in text order, or the whole text when no clause names it (the opinion was found in the whole text).

    The learned polarity model (:class:`~upmarket.analyses.voice.aspect_models.AspectPolarity`) is trained and
    applied on exactly these strings.
    """
    ci, ai = np.nonzero(hits)
    joined: dict[tuple[int, int], str] = {}
    for c, a in zip(ci.tolist(), ai.tolist(), strict=True):
        key = (int(cl.review[c]), a)
        joined[key] = joined[key] + "，" + cl.text[c] if key in joined else cl.text[c]
    return [joined.get((int(r), int(a)), texts[int(r)]) for r, a in zip(rows, aspect_is, strict=True)]


def aspect_opinions(texts: list[str], cl: Clauses, hits: np.ndarray, pol: np.ndarray, model: SentimentModel,
                    detectors, neutral_band: float, domain: Sequence[str | None] | str | None,
                    surround: tuple[list[str], list[str]] | None = None) -> pd.DataFrame:
    """One row per (text, aspect) opinion from the clause pass (``cl``, ``hits``, clause polarities ``pol``) plus
    the whole-text detections (:func:`text_opinions`): row, aspect, polarity, n_clauses.

    Polarity: the sign of the summed clause polarities — or, when ``detectors`` carry a learned polarity model
    (``detectors.polarity``), its decision on the opinion's :func:`aspect_contexts` and the text around them
    (``surround`` extends it beyond the text; P ≥ 0.5 → +1, else −1; its neutral band was chosen by
    cross-validation on the train side: none, docs/voice.md).
    """
    ci, ai = np.nonzero(hits)
    frame = pd.DataFrame({"row": cl.review[ci], "aspect_i": ai, "pol": pol[ci].astype(np.int64)})
    frame = pd.concat([frame, text_opinions(texts, frame, model, detectors, neutral_band, domain)],
                      ignore_index=True)
    out = frame.groupby(["row", "aspect_i"], sort=True).agg(s=("pol", "sum"), n_clauses=("pol", "size")).reset_index()
    out["aspect"] = np.asarray(ASPECTS, dtype=object)[out["aspect_i"].to_numpy()]
    learned = getattr(detectors, "polarity", None)
    if learned is not None and len(out):
        rows, a_is = out["row"].to_numpy(), out["aspect_i"].to_numpy()
        from upmarket.analyses.voice.aspect_models import opinion_texts

        p = learned.predict_proba(opinion_texts(texts, aspect_contexts(texts, cl, hits, rows, a_is), rows, surround))
        out["polarity"] = np.where(p >= 0.5, 1, -1).astype(np.int8)
    else:
        out["polarity"] = np.sign(out["s"]).astype(np.int8)
    return out[["row", "aspect", "polarity", "n_clauses"]]
