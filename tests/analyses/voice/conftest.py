"""A small sentiment model trained on twin reviews, once per session (a few seconds)."""

from __future__ import annotations

import pytest

from upmarket.analyses.voice.sentiment import SentimentModel


@pytest.fixture(scope="session")
def twin_model() -> SentimentModel:
    from upmarket.analyses.voice.twin_data import twin_reviews

    reviews, labels = twin_reviews(n_orders=30_000, seed=101)
    keep = (labels["sentiment"] != 0).to_numpy() & ~labels["is_empty"].to_numpy()
    texts = reviews["text"].to_numpy()[keep].tolist()
    y = (labels["sentiment"].to_numpy()[keep] > 0).astype(int)
    return SentimentModel(bits=18, C=4.0).fit(texts, y)
