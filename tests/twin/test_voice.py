"""The twin's review text: text agrees with planted labels, truth agrees with labels."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from upmarket.contract import CODE_LISTS, TABLES
from upmarket.twin import lexicon as lx
from upmarket.twin.catalog import products
from upmarket.twin.consumers import users as draw_users
from upmarket.twin.voice import (
    ASPECTS,
    K_VERDICT,
    N_ASPECTS,
    _brand_group,
    _lex,
    _write,
    simulate_reviews,
)

CONNECTORS = tuple(sorted(set(lx.CONTRAST_POS_TO_NEG + lx.CONTRAST_NEG_TO_POS)))


def _orders(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    prods = products()
    us = draw_users(3000, rng)
    orders = pd.DataFrame({
        "order_id": [f"o{i}" for i in range(n)],
        "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 500 * 86400, n), unit="s"),
        "user_id": us["user_id"].to_numpy()[rng.integers(0, len(us), n)],
        "platform": rng.choice(["jd", "tmall", "mistore", "douyin", "pdd"], n),
        "sku_id": prods["sku_id"].to_numpy()[rng.integers(0, len(prods), n)],
        "units": 1, "price_paid": 1999.0,
    })
    return orders, prods, us


@pytest.fixture(scope="module")
def run():
    orders, prods, us = _orders(60_000, 0)
    return simulate_reviews(orders, prods, us, rng=np.random.default_rng(1)), orders


# ---------------------------------------------------------------- an independent lexicon scorer
_PHRASES = sorted(
    [(p, 1) for p in lx.VALUE_POS + lx.PREMIUM_POS + lx.OVERALL_POS]
    + [(p, -1) for p in lx.VALUE_NEG + lx.PREMIUM_NEG + lx.OVERALL_NEG] + [(p, 0) for p in lx.OVERALL_NEU],
    key=lambda x: -len(x[0]))
_WORDS = ({w: 1 for ws in lx.POS_WORDS.values() for w in ws} | {w: 1 for w in lx.COLLOQ_POS}
          | {w: -1 for ws in lx.NEG_WORDS.values() for w in ws} | {w: -1 for w in lx.COLLOQ_NEG}
          | {w: -1 for ws in lx.PROBLEM_NOUNS.values() for w in ws}
          | {w: -1 for ws in lx.NEGATABLE_WORDS.values() for w in ws} | {w: 0 for w in lx.NEUTRAL_WORDS})
_NEGATORS = sorted(set(lx.NEGATORS_OF_NEG + lx.NEGATORS_OF_POS + lx.NOUN_ABSENT), key=len, reverse=True)
_SHORT = {p: 1 for p in lx.SHORT_POS} | {p: -1 for p in lx.SHORT_NEG} | {p: 0 for p in lx.SHORT_NEU}
_SPLIT = re.compile(r"[，。！；、～~!：\s]+")


def clause_polarity(clause: str) -> int | None:
    """Phrase match first; else the last opinion word, flipped when a negator stands right before it."""
    for p, v in _PHRASES:
        if p in clause:
            return v
    best = None
    for w, v in _WORDS.items():
        i = clause.rfind(w)
        if i >= 0 and (best is None or (i + len(w), len(w)) > (best[0] + len(best[1]), len(best[1]))):
            best = (i, w, v)
    if best is None:
        return None
    i, _, v = best
    if any(clause[:i].endswith(neg) for neg in _NEGATORS):
        v = -v
    return v


def text_sentiment(text: str) -> int:
    if text in _SHORT:
        return _SHORT[text]
    pols = [p for c in _SPLIT.split(text) if c and (p := clause_polarity(c)) is not None]
    return int(np.sign(sum(pols)))


# ---------------------------------------------------------------- tests
def test_reviews_follow_the_contract(run):
    res, orders = run
    rev = res.reviews
    assert list(rev.columns) == list(TABLES["reviews"].names)
    assert rev["review_id"].is_unique
    assert set(rev["platform"]) <= set(CODE_LISTS["platform"].codes)
    main = rev[~rev["is_followup"]]
    assert main["rating"].between(1, 5).all() and rev.loc[rev["is_followup"], "rating"].isna().all()
    assert list(res.labels["review_id"]) == list(rev["review_id"])
    # review rate depends on platform: jd reviews more often than douyin
    per = rev[~rev["is_followup"]].groupby("platform").size() / orders.groupby("platform").size()
    assert 0.2 < per.mean() < 0.4 and per["jd"] > per["douyin"] + 0.08


def test_lexicon_scorer_agrees_with_planted_sentiment(run):
    res, _ = run
    lab = res.labels[~res.labels["is_empty"]].head(4000)
    text = res.reviews.set_index("review_id").loc[lab["review_id"], "text"]
    pred = np.array([text_sentiment(t) for t in text])
    agree = (pred == lab["sentiment"].to_numpy()).mean()
    assert agree >= 0.95, agree
    # and the labels are not trivially one class
    assert 0.1 < (lab["sentiment"] <= 0).mean() < 0.6


def test_negation_flips_polarity_clause_by_clause():
    """One clause per text, planted polarity ±1 on every aspect: a negator always means the opposite word class."""
    rng = np.random.default_rng(3)
    n = 4000
    a = rng.integers(0, N_ASPECTS, n)
    pol = rng.choice([-1, 1], n)
    none = np.zeros(n, np.int64)
    texts = _write(rng, np.arange(n), a, pol, np.zeros(n, bool), rng.integers(0, 8, n), none, n).to_pylist()
    neg_of_neg = sorted(lx.NEGATORS_OF_NEG + lx.NOUN_ABSENT, key=len, reverse=True)
    negated = 0
    for t, p in zip(texts, pol, strict=True):
        assert clause_polarity(_SPLIT.split(t)[0]) == p, t
        if any(x in t for x in lx.NEGATORS_OF_POS):
            negated += 1
            assert p == -1, t  # 不太/不够 + positive word is negative
        elif any(x in t for x in neg_of_neg):
            negated += 1
            assert p == 1, t  # 不/一点也不 + negative word, 没有 + problem noun are positive
    assert negated > 0.2 * n


def test_contrast_connectors_join_opposite_polarities(run):
    res, _ = run
    lab = res.labels.set_index("review_id")
    text = res.reviews.set_index("review_id")["text"]
    pol = lab[list(ASPECTS)]
    both = (pol == 1).any(axis=1) & (pol == -1).any(axis=1)
    has_conn = text.str.contains("|".join(CONNECTORS))
    assert has_conn.sum() > 500
    assert both[has_conn].all()
    assert has_conn[both].mean() > 0.5


def test_empty_texts_have_rating_but_no_aspects(run):
    res, _ = run
    lab = res.labels
    empty = lab["is_empty"].to_numpy()
    assert 0.04 < empty.mean() < 0.1
    assert (res.reviews.loc[empty, "text"] == "").all()
    assert (res.reviews.loc[~empty, "text"] != "").all()
    assert lab.loc[empty, list(ASPECTS)].isna().all().all() and lab.loc[empty, "value_framing"].isna().all()
    assert res.reviews.loc[empty & ~lab["is_followup"].to_numpy(), "rating"].notna().all()
    short = lab["is_short"].to_numpy()
    assert res.reviews.loc[short, "text"].str.len().max() <= 12


def test_value_framing_is_visible_in_text(run):
    res, _ = run
    text = res.reviews["text"]
    vf = res.labels["value_framing"]
    has_value = text.str.contains("|".join(map(re.escape, lx.VALUE_POS + lx.VALUE_NEG)))
    has_premium = text.str.contains("|".join(map(re.escape, lx.PREMIUM_POS + lx.PREMIUM_NEG)))
    assert (has_value == (vf == 1)).all()
    assert (has_premium == (vf == 0)).all()
    assert res.labels.loc[vf == 1, "price"].notna().all()  # a value argument is an opinion on price


def test_followups_extend_an_earlier_review(run):
    res, _ = run
    rev = res.reviews
    fu = rev[rev["is_followup"]]
    assert 0.05 < len(fu) / len(rev) < 0.15
    first = rev[~rev["is_followup"]].groupby(["user_id", "sku_id"])["ts"].min()
    later = fu.groupby(["user_id", "sku_id"])["ts"].min()
    assert (later > first.reindex(later.index)).all()
    assert fu["text"].str.match("|".join(lx.FOLLOWUP_OPENERS)).mean() > 0.9


def test_ratings_follow_sentiment(run):
    res, _ = run
    r = res.reviews["rating"].astype("float")
    by = r.groupby(res.labels["sentiment"].to_numpy()).mean()
    assert by[1] > by[0] + 0.5 > by[-1] + 1.0


def test_truth_recomputes_from_labels(run):
    res, _ = run
    lab = res.labels[~res.labels["is_empty"]]
    truth = res.truth["voice"]
    assert set(truth) == set(lx.BRANDS)
    for brand, t in truth.items():
        g = lab[lab["brand"] == brand]
        assert t["sentiment"] == pytest.approx((g["sentiment"] == 1).mean())
        assert t["sentiment_mean"] == pytest.approx(g["sentiment"].mean())
        assert 0 <= t["sentiment"] <= 1
        assert t["positive_share"] == pytest.approx((g["sentiment"] == 1).mean())
        assert t["mixed_share"] == pytest.approx((g["sentiment"] == 0).mean())
        assert t["sentiment"] + t["mixed_share"] + t["negative_share"] == pytest.approx(1.0)
        assert t["value_framing"] == pytest.approx(g["value_framing"].dropna().mean())
        for a in ASPECTS:
            m = g[a].dropna()
            assert t["aspects"][a] == pytest.approx((m == 1).mean())
            assert t["aspects_mean_polarity"][a] == pytest.approx(m.mean())


def test_planted_brand_profiles_show_in_truth(run):
    res, _ = run
    v = res.truth["voice"]
    assert v["Redmi"]["value_framing"] > v["Xiaomi"]["value_framing"] > v["Huawei"]["value_framing"]
    assert v["Redmi"]["value_framing"] > 0.75 and v["Apple"]["value_framing"] < 0.2
    assert v["Apple"]["aspects"]["battery"] < v["Huawei"]["aspects"]["battery"] - 0.2
    assert v["Apple"]["aspects"]["system"] > v["Xiaomi"]["aspects"]["system"] + 0.1
    assert v["Redmi"]["aspects"]["price"] > v["Apple"]["aspects"]["price"] + 0.3
    # brand-specific words carry associations
    rev = res.reviews.merge(res.labels[["review_id", "brand"]], on="review_id")
    hyper = rev["text"].str.contains("澎湃OS|HyperOS")
    assert set(rev.loc[hyper, "brand"]) == {"Xiaomi", "Redmi"}


def test_same_seed_same_reviews():
    orders, prods, us = _orders(3000, 5)
    a = simulate_reviews(orders, prods, us, rng=np.random.default_rng(9))
    b = simulate_reviews(orders, prods, us, rng=np.random.default_rng(9))
    pd.testing.assert_frame_equal(a.reviews, b.reviews)
    pd.testing.assert_frame_equal(a.labels, b.labels)
    assert a.truth == b.truth


def test_unknown_sku_names_row_and_column():
    orders, prods, us = _orders(200, 1)
    orders.loc[7, "sku_id"] = "NOPE"
    with pytest.raises(ValueError, match=r"row \d+, column 'sku_id'.*NOPE"):
        simulate_reviews(orders.assign(platform="pdd"), prods, us, rng=np.random.default_rng(0))


def test_brand_groups_and_verdict_constant():
    assert K_VERDICT == N_ASPECTS + 1
    assert list(_brand_group(np.array(["Apple", "Nokia"], object))) == [lx.BRANDS.index("Apple"), len(lx.BRANDS)]
    assert _lex().table[0].as_py() == ""


def test_varied_phrasing_keeps_labels_and_changes_text():
    """The second phrasing rewrites text only: same seed, same labels; back-stories name no aspect, hold no opinion."""
    from upmarket.analyses.voice.aspects import ASPECT_TERMS, lexicon_polarity, match_matrix, neutral_mask
    from upmarket.analyses.voice.twin_data import twin_reviews
    from upmarket.twin.phrasing import BACKSTORY, SARCASM

    plain_rev, plain_lab = twin_reviews(n_orders=4_000, seed=9)
    var_rev, var_lab = twin_reviews(n_orders=4_000, seed=9, varied=True)
    pd.testing.assert_frame_equal(plain_lab, var_lab)
    assert (plain_rev["rating"].fillna(-1) == var_rev["rating"].fillna(-1)).all()
    changed = (plain_rev["text"] != var_rev["text"]).mean()
    assert 0.3 < changed < 0.95, changed
    sarcastic = var_rev["text"].str.contains("|".join(re.escape(s.lstrip("，")) for s in SARCASM))
    assert sarcastic.any() and (var_lab.loc[sarcastic.to_numpy(), "sentiment"] == -1).all()
    stories = list(BACKSTORY)
    assert not match_matrix(stories, ASPECT_TERMS).any()
    assert not lexicon_polarity(stories).any() and not neutral_mask(stories).any()
