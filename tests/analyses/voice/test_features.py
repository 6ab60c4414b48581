"""Word features, domain adaptation and the model file format of the sentiment model."""

from __future__ import annotations

import numpy as np

from upmarket.analyses.voice.sentiment import SentimentModel, word_hashes


def test_word_hashes_are_stable_and_stay_within_texts():
    rows, h = word_hashes(["手机很好用", "", "手机"])
    _, h2 = word_hashes(["手机"])
    assert rows.max() == 2 and 1 not in rows  # the empty text has no tokens
    assert h2[0] in set(h[rows == 2])  # a token hashes the same in any batch (no per-process salt)
    assert h2[0] in set(h[rows == 0])  # ... and at any position of the joined batch
    # unigrams of text 0 plus one bigram fewer than tokens; none crosses into text 2
    n_uni0 = (rows == 0).sum()
    assert (rows == 2).sum() == 1 and n_uni0 >= 3


def _toy(n: int = 400) -> tuple[list[str], np.ndarray, list[str]]:
    """Two domains where the same word means opposite things: 便宜 is good for phones, bad for 'luxury'."""
    rng = np.random.default_rng(0)
    texts, y, dom = [], [], []
    for i in range(n):
        d = "phone" if i % 2 else "luxury"
        good = rng.random() < 0.5
        word = "很便宜" if good == (d == "phone") else "很精致"
        texts.append(f"{word}{'好评' if good else '差评'}" if rng.random() < 0.3 else word)
        y.append(int(good))
        dom.append(d)
    return texts, np.array(y), dom


def test_domain_copy_learns_domain_specific_meaning(tmp_path):
    texts, y, dom = _toy()
    plain = SentimentModel(bits=16, C=10.0).fit(texts, y)
    aware = SentimentModel(bits=16, C=10.0, words=True).fit(texts, y, domains=dom)
    acc_plain = (plain.predict(texts) == y).mean()
    acc_aware = (aware.predict(texts, domain=dom) == y).mean()
    assert acc_aware > 0.95 > acc_plain + 0.2
    p = aware.predict_proba(["很便宜"] * 2, domain=["phone", "luxury"])
    assert p[0] > 0.5 > p[1]
    assert aware.predict_proba(["很便宜"], domain="unknown")[0] == aware.predict_proba(["很便宜"])[0]
    again = SentimentModel.load(aware.save(tmp_path / "aware.npz"))
    assert again.words and again.domains_ == ("luxury", "phone")
    np.testing.assert_allclose(again.predict_proba(texts[:50], domain=dom[:50]),
                               aware.predict_proba(texts[:50], domain=dom[:50]), atol=3e-3)


def test_two_level_domains_and_nb_member(tmp_path):
    from test_text_and_model import BAD

    from upmarket.analyses.voice.score import score_reviews

    texts, y, dom = _toy()
    paths = [("elec/phone" if i % 4 == 1 else "elec/tablet") if d == "phone" else "luxury/bag"
             for i, d in enumerate(dom)]
    m = SentimentModel(bits=16, C=10.0, words=True, char_ensemble=2, nb_c=2.0).fit(texts, y, domains=paths)
    assert m.resolve_domain("phone") == "elec/phone" and m.resolve_domain("elec/tablet") == "elec/tablet"
    assert m.resolve_domain("elec") is None and m.resolve_domain("camera") is None
    # one copy per level: a text's elec/phone and elec/tablet features share the base and the elec copy
    a, b = (m.counts(["很便宜"], d).indices for d in ("elec/phone", "elec/tablet"))
    base = m.counts(["很便宜"]).indices
    assert len(a) == len(b) == 3 * len(base) + 2 and len(np.intersect1d(a, b)) == 2 * len(base) + 1
    assert (m.predict(texts, domain=paths) == y).mean() > 0.95
    p = m.predict_proba(["很便宜"] * 3, domain=["phone", "elec/tablet", "bag"])
    assert p[0] > 0.5 and p[1] > 0.5 and p[2] < 0.5
    # members combine with weights ∝ 1/sd: each member's weighted log-odds has the same spread on training text
    counts, chars = m.count_views(texts, paths)
    members = m._members(counts, chars)
    assert len(m.weights_) == 3
    spread = [float(np.std(w * s)) for w, s in zip(m.weights_, members, strict=True)]
    np.testing.assert_allclose(spread, spread[0], rtol=1e-4)
    np.testing.assert_allclose(m.decision_function(texts, domain=paths),
                               sum(w * s for w, s in zip(m.weights_, members, strict=True)), rtol=1e-5)
    again = SentimentModel.load(m.save(tmp_path / "nb.npz"))
    assert again.nb_c == 2.0 and again.weights_ == m.weights_ and again.domains_ == m.domains_
    np.testing.assert_allclose(again.decision_function(texts[:50], domain="phone"),
                               m.decision_function(texts[:50], domain="phone"), atol=3e-2)
    s = score_reviews([f"r{i}" for i in range(len(BAD))], BAD, m, domain="phone").sentiment  # bad input, research-style
    assert s["score"].isna().tolist() == (s["flag"] == "empty").tolist() and s["score"].notna().sum() == 6
