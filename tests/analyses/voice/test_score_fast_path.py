"""The fast scoring path gives the straightforward path's output (issue 15 item 8).

``score_reviews`` scores each distinct text and clause once, runs the lexicon's per-group RE2 passes only on
clauses that hold a term, and hashes in cache-sized slices. Each shortcut is checked here against the plain
computation on real reviews (``../shared/data``, skipped with a reason where absent) and on twin reviews, with
repeated texts and clauses added, so the shortcuts actually fire.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from upmarket.analyses.voice.aspects import sliced_decision
from upmarket.analyses.voice.corpora import BINARY, data_dir
from upmarket.analyses.voice.score import score_reviews
from upmarket.text import lexicon
from upmarket.text.normalise import normalise

HOSTILE = [None, "", "  ", "😀😀", "GREAT phone!!", "&amp;拍照&#x597D;", "手機很好，但是電池不行", "a \t\u3000 b\r\n c",
           "真是\"好\"手机", "价格 有点高", "性价比很高", "卡顿也很顶", "一点都不烫", "很好" * 1100]


def _real_texts(k: int) -> list[str]:
    root = data_dir()
    if root is None:
        pytest.skip("research corpora (../shared/data) not present on this machine")
    texts = pd.concat([pd.read_csv(root / c / "train.csv", usecols=["review"])["review"].head(k) for c in BINARY])
    return texts.astype(str).tolist()


def _twin_texts(k: int) -> list[str]:
    from upmarket.analyses.voice.twin_data import twin_reviews

    reviews, _ = twin_reviews(n_orders=3 * k, seed=5)
    return reviews["text"].head(k).tolist()


@pytest.fixture(scope="module", params=["real", "twin"])
def texts(request) -> list[str]:
    base = _real_texts(100) if request.param == "real" else _twin_texts(400)
    # repeats (whole texts and, through them, clauses) plus bad input, in a shuffled order
    rng = np.random.default_rng(3)
    pool = base + [base[i] for i in rng.integers(0, len(base), len(base) // 2)] + HOSTILE
    return [pool[i] for i in rng.permutation(len(pool))]


def test_distinct_path_equals_the_every_text_path(texts, shipped):
    ids = np.arange(len(texts))
    fast = score_reviews(ids, texts, shipped, n_jobs=1, batch=150)
    ref = score_reviews(ids, texts, shipped, n_jobs=1, batch=150, distinct=False)
    assert fast.texts == ref.texts
    pd.testing.assert_frame_equal(fast.sentiment.drop(columns=["score", "frame"]),
                                  ref.sentiment.drop(columns=["score", "frame"]))
    for col in ("score", "frame"):
        np.testing.assert_allclose(fast.sentiment[col], ref.sentiment[col], rtol=0, atol=1e-9, equal_nan=True)
    pd.testing.assert_frame_equal(fast.aspects, ref.aspects)
    assert len(fast.aspects) > 0 and fast.sentiment["mixed"].any() and (fast.sentiment["label"] == -1).any()


def test_filtered_lexicon_passes_equal_every_clause_passes(texts):
    clauses = lexicon.split_clauses(normalise(texts).texts).text
    arr = pa.array(clauses, type=pa.large_string())
    plain_rule = np.sign(lexicon._lexicon_score(arr)).astype(np.int8)
    filtered = lexicon.lexicon_polarity(clauses)
    assert filtered.dtype == np.int8 and np.array_equal(filtered, plain_rule)
    assert (filtered != 0).any() and (filtered == 0).any()
    plain_hits = np.column_stack([pc.match_substring_regex(arr, lexicon._alternation(t)).to_numpy(zero_copy_only=False)
                                  for t in lexicon.ASPECT_TERMS.values()])
    assert np.array_equal(lexicon.match_matrix(clauses, lexicon.ASPECT_TERMS), plain_hits)
    # a group without terms matches every clause, as an empty pattern does
    odd = {"none": (), "camera": lexicon.ASPECT_TERMS["camera"]}
    assert lexicon.match_matrix(clauses, odd)[:, 0].all()


def test_distinct_clauses_broadcast_back_to_every_clause(texts):
    norm = normalise(texts).texts
    cl, uniq, inv = lexicon.distinct_clauses(norm)
    plain = lexicon.split_clauses(norm)
    assert cl.text == plain.text and np.array_equal(cl.review, plain.review)
    assert len(uniq) == len(set(plain.text)) < len(plain.text)
    assert [uniq[i] for i in inv] == plain.text


def test_sliced_model_pass_equals_one_call(texts, shipped):
    norm = normalise(texts).texts
    whole = shipped.decision_function(norm, normalised=True, domain="phone")
    sliced = sliced_decision(shipped, norm, "phone", slice_chars=300)
    assert np.array_equal(sliced, whole)
    per_text = sliced_decision(shipped, norm, ["phone"] * len(norm), slice_chars=300)
    assert np.array_equal(per_text, whole)


def test_normalise_collapses_runs_of_spaces_like_the_regex():
    texts = ["a \t\u3000 b\r\n\n c\x0b\x0cd ", "  x  ", "\t", "", "ａ　　ｂ", "no  change\nhere"]
    expected = [re.sub(r"[ \t\r\f\v]+", " ", t.replace("\u3000", " ")).strip() for t in texts]
    assert normalise(texts).texts == [e.replace("ａ", "a").replace("ｂ", "b") for e in expected]
    assert normalise([]).texts == [] and normalise([""]).empty.tolist() == [True]


def test_two_processes_only_from_parallel_min_and_when_a_core_is_idle(monkeypatch):
    from upmarket.analyses.voice import score as sc

    monkeypatch.setattr(sc.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(sc.os, "getloadavg", lambda: (0.3, 0.3, 0.3))
    assert sc.default_jobs(sc.PARALLEL_MIN - 1) == 1 and sc.default_jobs(sc.PARALLEL_MIN) == 2
    monkeypatch.setattr(sc.os, "getloadavg", lambda: (1.2, 1.0, 1.0))  # this process alone, busy for a minute
    assert sc.default_jobs(10 * sc.PARALLEL_MIN) == 2
    monkeypatch.setattr(sc.os, "getloadavg", lambda: (6.0, 6.0, 6.0))  # others hold the cores
    assert sc.default_jobs(10 * sc.PARALLEL_MIN) == 1
    monkeypatch.setattr(sc.os, "cpu_count", lambda: 1)
    monkeypatch.setattr(sc.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert sc.default_jobs(10 * sc.PARALLEL_MIN) == 1


def test_count_matrix_is_the_canonical_one(texts, shipped):
    import scipy.sparse as sp

    from upmarket.analyses.voice.sentiment import _columns, _to_csr

    norm = normalise(texts).texts
    rows, hashes, _ = shipped.hasher.hashes_upto(norm, 0)
    cols = _columns(hashes, shipped.bits)
    fast = _to_csr(rows, cols, len(norm), shipped.bits)
    plain = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=fast.shape)
    plain.sum_duplicates()
    for part in ("indptr", "indices", "data"):
        a, b = getattr(fast, part), getattr(plain, part)
        assert a.dtype == b.dtype and np.array_equal(a, b), part
    assert fast.data.max() > 1  # repeated n-grams were merged
    empty = _to_csr(np.zeros(0, np.int64), np.zeros(0, np.int64), 3, shipped.bits)
    assert empty.shape == (3, 1 << shipped.bits) and empty.nnz == 0 and np.array_equal(empty.indptr, [0, 0, 0, 0])
