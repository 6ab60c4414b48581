"""Review labels: a review that praises one thing and criticises another is mixed (0), not positive."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.voice.aspects import extract_aspects
from upmarket.analyses.voice.score import review_labels, score_reviews
from upmarket.analyses.voice.sentiment import SentimentModel
from upmarket.analyses.voice.text import normalise

MIXED = ["拍照很好，但是续航太差", "屏幕很清晰，不过系统广告太多", "外观漂亮，就是价格太贵了"]
POSITIVE = ["拍照很好，续航也很给力，总体很满意", "系统流畅，屏幕清晰，物流很快", "手机很好用，非常喜欢",
            "收到了，拍照非常清晰"]
NEGATIVE = ["续航太差，发热严重，很失望", "系统卡顿，客服态度很差", "用了三天，屏幕模糊，后悔买了",
            "用了三天，电池不耐用"]


@pytest.fixture(scope="module")
def shipped() -> SentimentModel:
    return SentimentModel.load()


def test_mixed_positive_negative_labels(shipped):
    texts = MIXED + POSITIVE + NEGATIVE + ["", "😀😀"]
    s = score_reviews([str(i) for i in range(len(texts))], texts, shipped).sentiment
    want = [0] * len(MIXED) + [1] * len(POSITIVE) + [-1] * len(NEGATIVE) + [0, 0]
    assert s["label"].tolist() == want, list(zip(texts, s["score"].round(2), s["label"], strict=True))
    # the binary whole-text score alone would call the mixed reviews positive: the clause rule is what changes it
    assert (s["score"].to_numpy()[: len(MIXED)] >= 0.5).all()
    # a factual lead clause does not vote: 用了三天 leans positive in a binary model, the review is negative
    assert s["score"].iloc[len(texts) - 3] >= 0.5


def test_sentiment_figure_counts_only_positive_labels(shipped):
    from upmarket.analyses.voice.analysis import ratio_parts

    texts = MIXED + POSITIVE + [""]
    scored = score_reviews([str(i) for i in range(len(texts))], texts, shipped)
    num, den = ratio_parts(scored)
    assert num["sentiment"].sum() / den["sentiment"].sum() == pytest.approx(len(POSITIVE) / (len(texts) - 1))


def test_review_labels_matches_pipeline_and_aspects_unchanged(shipped):
    from upmarket.analyses.voice.twin_data import twin_reviews

    reviews, _ = twin_reviews(n_orders=6_000, seed=404)
    texts = reviews["text"].tolist()
    scored = score_reviews(reviews["review_id"], texts, shipped)
    norm = normalise(texts).texts
    score = scored.sentiment["score"].to_numpy()
    assert np.array_equal(review_labels(norm, score, shipped, domain="phone"), scored.sentiment["label"].to_numpy())
    # aspects come from the same clause pass: they must equal extract_aspects' output
    ref = extract_aspects(norm, shipped, domain="phone")
    ids = reviews["review_id"].astype(str).to_numpy()
    want = pd.DataFrame({"review_id": ids[ref["row"].to_numpy()], "aspect": ref["aspect"].to_numpy(),
                         "polarity": ref["polarity"].to_numpy()})
    pd.testing.assert_frame_equal(scored.aspects.reset_index(drop=True), want)


def test_twin_positive_share_recovered(shipped):
    """On twin reviews (truth: sign of the mean opinion-clause polarity) the share positive is within 0.05 per brand."""
    from upmarket.analyses.voice.twin_data import twin_reviews

    reviews, labels = twin_reviews(n_orders=20_000, seed=505)
    s = score_reviews(reviews["review_id"], reviews["text"].tolist(), shipped).sentiment
    keep = ~labels["is_empty"].to_numpy()
    brand = reviews["brand"].to_numpy()[keep]
    est = pd.Series(s["label"].to_numpy()[keep] == 1).groupby(brand).mean()
    truth = pd.Series(labels["sentiment"].to_numpy()[keep] == 1).groupby(brand).mean()
    old = pd.Series(s["score"].to_numpy()[keep] >= 0.5).groupby(brand).mean()
    assert (est - truth).abs().max() <= 0.05, pd.DataFrame({"est": est, "truth": truth})
    assert (old - truth).min() > 0.05  # the whole-text rule overstates every brand: this test can fail
