"""The one-member decision without a sparse matrix equals the CSR → tf-idf → l2 → dot chain it replaced.

``SentimentModel.decision_function`` of a single-member model now sums tf·idf·coef and (tf·idf)² per text
straight from the hashed feature occurrences (issue 15 item 8). The chain it replaced is kept here as
:func:`reference_decision`, evaluated in float64 (the library's float32 product differs from exact arithmetic by
up to ~3e-5 on real text) and in its original float32, on 2,000 real reviews (``../shared/data``, skipped with a
reason where absent), 2,000 twin reviews and a domain-aware model fitted here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.voice.corpora import BINARY, data_dir
from upmarket.analyses.voice.score import score_reviews
from upmarket.analyses.voice.sentiment import SentimentModel
from upmarket.text.normalise import normalise

EDGE = ["", " ", "😀", "好好好好好好", "很好" * 600, "a b c", "，。！"]


def reference_decision(model: SentimentModel, texts: list[str], domain=None, exact: bool = True) -> np.ndarray:
    """The main member's log-odds through the sparse matrix (the code path before the change)."""
    counts, _ = model.count_views(texts, model._domain(domain))
    if not exact:
        return model._features(counts) @ model.coef_ + model.intercept_
    feats = model._tfidf(counts.astype(np.float64), model.idf_.astype(np.float64))
    return feats @ model.coef_.astype(np.float64) + model.intercept_


def _real(n: int) -> list[str]:
    root = data_dir()
    if root is None:
        pytest.skip("research corpora (../shared/data) not present on this machine")
    per = n // len(BINARY)
    frames = [pd.read_csv(root / c / "train.csv", usecols=["review"])["review"].sample(per, random_state=1)
              for c in BINARY]
    return pd.concat(frames).astype(str).tolist()


def _twin(n: int) -> list[str]:
    from upmarket.analyses.voice.twin_data import twin_reviews

    reviews, _ = twin_reviews(n_orders=5 * n, seed=8)
    return reviews["text"].drop_duplicates().head(n).tolist()


@pytest.mark.parametrize("source", ["real", "twin"])
def test_shipped_model_matches_sparse_chain(shipped: SentimentModel, source: str) -> None:
    texts = normalise((_real(2000) if source == "real" else _twin(2000)) + EDGE).texts
    assert len(texts) >= 2000
    fast = shipped.decision_function(texts, normalised=True)
    exact = reference_decision(shipped, texts)
    before = reference_decision(shipped, texts, exact=False)
    assert np.abs(fast - exact).max() < 1e-6
    assert np.abs(fast - before).max() < 1e-4
    assert ((fast > 0) == (before > 0)).all()
    assert shipped.predict(texts, normalised=True).tolist() == (before > 0).astype(int).tolist()
    assert np.isclose(fast[texts.index("")], shipped.intercept_)  # no features: the intercept alone


def test_domain_copies_and_unseen_columns_match() -> None:
    """A fitted model with domain copies and min_df 2 (columns with idf 0), on texts of known and unknown domains."""
    texts = _twin(600)
    y = np.array([int(("好" in t) or ("不错" in t)) for t in texts])
    domains = [("elec/phone", "elec/camera", "home")[i % 3] for i in range(len(texts))]
    model = SentimentModel(ngram_range=(1, 4), bits=16, min_df=2).fit(texts, y, domains=domains)
    assert (model.idf_ == 0).sum() > 0 and set(model.domains_) == set(domains)
    per_text = [("phone", "camera", "home", "unknown", None)[i % 5] for i in range(len(texts))] + [None] * len(EDGE)
    norm = normalise(texts + EDGE).texts
    for domain in (None, "phone", per_text):
        fast = model.decision_function(norm, normalised=True, domain=domain)
        assert np.abs(fast - reference_decision(model, norm, domain=domain)).max() < 1e-6


@pytest.mark.parametrize("texts", [[""], ["", ""], ["😀😀😀"], ["😀", ""]])
def test_a_call_where_no_text_has_a_known_ngram_scores_the_intercept(shipped: SentimentModel, texts) -> None:
    """A slice in which no text has a known n-gram (one empty clause, emoji only) scores the intercept alone, as
    the sparse chain does; ``score_reviews`` never raises on such input (it did: an index error on an empty key)."""
    norm = normalise(texts).texts
    fast = shipped.decision_function(norm, normalised=True)
    assert np.allclose(fast, reference_decision(shipped, norm))
    assert np.allclose(fast, shipped.intercept_)
    assert len(score_reviews(list(range(len(texts))), texts, shipped).sentiment) == len(texts)
