"""Review sentiment: hashed character n-grams (+ optional word uni/bigrams and a domain copy) → a linear model.

Why this model: on Chinese reviews, character 1–4-grams carry most of what word features do
(``不错``, ``不好``, ``没有``) without a tokeniser in the hot path, and a linear model over hashed
features scores hundreds of thousands of texts a second on a CPU. The vectoriser is written in
NumPy (all n-grams of a batch at once from one code-point array). Optional feature groups
add the last points of accuracy on real corpora (measured in ``scripts/train_voice_model.py``):

* ``words``: jieba-compatible word unigrams and bigrams (rjieba on the joined batch, one C call;
  tokens hashed with a vectorised polynomial hash, so no Python work per token);
* ``domains``: "frustratingly easy" domain adaptation (Daumé 2007): a text from domain *d* gets
  its features twice, once shared and once salted with *d*, plus a domain bias. Reviews of
  phones and of hotels use 不错/一般 differently; the shared copy still scores texts of an unknown
  domain (``domain=None``). A domain may be a path ``coarse/fine`` (``elec/phone``): one copy
  per level, so tablets and phones share their ``elec`` weights and keep their own, and
  ``domain="phone"`` finds ``elec/phone``;
* ``negation``: a word after 不/没/没有/别/无/一点也不/不太, up to the next punctuation, also gets a
  ``NEG_`` copy (a salted hash, found with the same vectorised scan);
* ``char_ensemble``: a second logistic regression on character n-grams only, fitted separately,
  whose log-odds are averaged with the main model's. Its n-grams are a prefix of the main hashing
  pass, so scoring costs about 1.3× a single model, not 2×;
* ``nb_c``: a third member, an NB-weighted logistic regression (Wang & Manning 2012): binary
  presence of the main features scaled by their log-count ratio. Its weights fold into one
  vector over the main columns, so it costs one more sparse product on counts already built.

Members' log-odds are combined with weights inversely proportional to each member's standard
deviation on the training texts (so each member counts equally), rescaled to the members' mean
scale, so the sum is still on a log-odds scale.

Features are sub-linear TF × IDF, L2-normalised; the classifier is scikit-learn's
``LogisticRegression``. A model is saved as one compressed ``.npz`` (weights, IDF, settings,
training notes) — no pickle, so loading a model file runs no code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from upmarket.analyses.voice.text import Normalised, codepoints, normalise
from upmarket.estimation import NotFittedError, Results, coefficient_frame  # the one NotFittedError of every estimator

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "voice_sentiment.npz"
"""The shipped default model (trained only on redistributable text; see ``docs/voice.md``)."""

_MULT = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5],
                 dtype=np.uint64)
_PUNCT_LOW = 0x20
_WORD_P = np.uint64(0x100000001B3)  # odd, so invertible modulo 2**64
_WORD_P_INV = np.uint64(pow(0x100000001B3, -1, 1 << 64))
_WORD_SALT = np.uint64(0x5851F42D4C957F2D)
_BIGRAM_SALT = np.uint64(0x14057B7EF767814F)
_NEG_SALT = np.uint64(0x2545F4914F6CDD1D)
NEGATORS = ("不", "没", "没有", "别", "无", "一点也不", "不太")
"""Words that open a negation scope: later words up to the next punctuation also get a ``NEG_`` copy."""
_SCOPE_END = np.array([ord(c) for c in "\n，。！？；：,.!?;:~、…()（）"], dtype=np.uint64)


def _mix(h: np.ndarray) -> np.ndarray:
    """A 64-bit finaliser, so nearby keys spread over all columns (unchanged since model format 1)."""
    return (h ^ (h >> np.uint64(29))) * _MULT[3]


@dataclass
class NgramHasher:
    """Character n-grams (``ngram_range``) of a batch, hashed into ``2**bits`` columns.

    N-grams never cross text boundaries; spaces are skipped as unigrams. Stateless: the same
    text always lands in the same columns, so models can be saved as plain weight vectors.
    """

    ngram_range: tuple[int, int] = (1, 3)
    bits: int = 20

    def hashes(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(row, 64-bit hash) of every n-gram occurrence in the batch."""
        r, h, _ = self.hashes_upto(texts, self.ngram_range[1])
        return r, h

    def hashes_upto(self, texts: list[str], upto: int) -> tuple[np.ndarray, np.ndarray, int]:
        """:meth:`hashes` plus how many leading entries are n-grams of length ≤ ``upto``.

        The output is ordered by n-gram length and an n-gram's hash does not depend on
        ``ngram_range``, so the first entries are exactly the 1..``upto``-grams (one pass serves
        two models).
        """
        n_docs = len(texts)
        cps, starts = codepoints(texts)
        doc = np.repeat(np.arange(n_docs + 1, dtype=np.int64), np.diff(np.append(starts, len(cps))))[: len(cps)]
        cps64 = cps.astype(np.uint64)
        keep_base = (cps != 0) & (cps != _PUNCT_LOW)
        rows, hs = [], []
        lo, hi = self.ngram_range
        h = np.zeros(len(cps), dtype=np.uint64)
        valid = np.ones(len(cps), dtype=bool)
        for n in range(1, hi + 1):
            m = len(cps) - n + 1
            if m <= 0:
                break
            h = h[:m] * _MULT[0] + (cps64[n - 1 : n - 1 + m] + np.uint64(n)) * _MULT[n % 4]
            valid = valid[:m] & (cps[n - 1 : n - 1 + m] != 0)
            if n < lo:
                continue
            ok = valid & keep_base[:m] if n == 1 else valid
            idx = np.flatnonzero(ok)
            rows.append(doc[idx])
            hs.append(h[idx])
        r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        k = sum(len(x) for x in rows[: max(0, upto - lo + 1)])
        return r, (np.concatenate(hs) if hs else np.zeros(0, np.uint64)), k

    def counts(self, texts: list[str]) -> sp.csr_matrix:
        """Raw n-gram counts, one row per text."""
        r, h = self.hashes(texts)
        return _to_csr(r, _columns(h, self.bits), len(texts), self.bits)


def _columns(h: np.ndarray, bits: int) -> np.ndarray:
    return (_mix(h) >> np.uint64(64 - bits)).astype(np.int64)


def _to_csr(rows: np.ndarray, cols: np.ndarray, n_docs: int, bits: int) -> sp.csr_matrix:
    """Canonical counts (indices sorted in each row, duplicates summed), as ``csr_matrix((1, (rows, cols)))`` gives.

    The flag skips ``tocsr``'s per-row comparison sort; the two transposes sort the indices in linear time and
    ``sum_duplicates`` then only merges: about 40 % less time (benchmarks/voice.py), the same matrix.
    """
    coo = sp.coo_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n_docs, 1 << bits))
    coo.has_canonical_format = True
    mat = coo.tocsr().tocsc().tocsr()
    mat.sum_duplicates()
    return mat


@lru_cache(maxsize=1)
def _cut():
    """rjieba's segmenter (jieba's dictionary and algorithm in Rust), else jieba's."""
    try:
        import rjieba

        return rjieba.cut
    except ImportError:  # pragma: no cover - depends on the environment
        import jieba

        return jieba.lcut


def _poly_hash(words: Sequence[str]) -> np.ndarray:
    """The token hash of :func:`word_hashes` for a few given words (to recognise them by hash)."""
    out = np.zeros(len(words), np.uint64)
    with np.errstate(over="ignore"):
        for i, w in enumerate(words):
            h, p = np.uint64(0), np.uint64(1)
            for ch in w:
                p = p * _WORD_P
                h = h + (np.uint64(ord(ch)) + np.uint64(1)) * p
            out[i] = h + _WORD_SALT
    return out


def word_hashes(texts: list[str], negation: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(row, 64-bit hash) of every word unigram and within-text bigram of the batch.

    ``negation``: a word inside a negation scope (after one of :data:`NEGATORS`, up to the next
    punctuation) also yields a ``NEG_`` copy of itself (a salted hash), so 不…满意 and 满意 differ.

    The batch is segmented as ONE string (texts joined by newlines, which jieba never merges
    into a word), and each token's hash is a polynomial over its code points computed from one
    prefix sum: h(s[a:b]) = (S[b] − S[a]) · P^(−a) mod 2^64 — no Python loop per token.
    """
    if not texts:
        return np.zeros(0, np.int64), np.zeros(0, np.uint64)
    joined = "\n".join(texts)
    toks = _cut()(joined)
    lens = np.fromiter(map(len, toks), np.int64, len(toks))
    ends = np.cumsum(lens)
    begins = ends - lens
    cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if int(ends[-1]) != len(cps):  # pragma: no cover - a segmenter that changed the text
        raise RuntimeError("word segmentation did not preserve the text")
    powers = np.empty(len(cps) + 1, np.uint64)
    powers[0] = 1
    powers[1:] = _WORD_P
    with np.errstate(over="ignore"):
        np.multiply.accumulate(powers, out=powers)
        inv = np.empty(len(cps) + 1, np.uint64)
        inv[0] = 1
        inv[1:] = _WORD_P_INV
        np.multiply.accumulate(inv, out=inv)
        prefix = np.zeros(len(cps) + 1, np.uint64)
        np.cumsum((cps + np.uint64(1)) * powers[1:], out=prefix[1:])
        h = (prefix[ends] - prefix[begins]) * inv[begins] + _WORD_SALT
    first = cps[np.minimum(begins, len(cps) - 1)]
    keep = ~((lens == 1) & ((first == 0x0A) | (first == 0x20)))
    neg = np.zeros(len(toks), bool)
    if negation:
        idx = np.arange(len(toks))
        is_neg = np.isin(h, _poly_hash(NEGATORS))
        stop = (lens == 1) & np.isin(first, _SCOPE_END)
        last_neg = np.maximum.accumulate(np.where(is_neg, idx, -1))
        last_stop = np.maximum.accumulate(np.where(stop, idx, -1))
        neg = (last_neg > last_stop) & ~is_neg & keep
    starts = np.zeros(len(texts), np.int64)
    np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts))[:-1] + 1, out=starts[1:])
    doc = np.searchsorted(starts, begins, side="right") - 1
    with np.errstate(over="ignore"):
        neg_doc, neg_h = doc[neg], h[neg] * _MULT[2] + _NEG_SALT
    doc, h = doc[keep], h[keep]
    same = doc[1:] == doc[:-1]
    with np.errstate(over="ignore"):
        bi = h[:-1][same] * _MULT[1] + h[1:][same] + _BIGRAM_SALT
    return np.concatenate([doc, doc[:-1][same], neg_doc]), np.concatenate([h, bi, neg_h])


def _domain_salt(domain: str) -> np.uint64:
    return np.uint64(int.from_bytes(domain.encode("utf-8")[:8].ljust(8, b"\0"), "little") | 1)


def _l2_rows(mat: sp.csr_matrix) -> sp.csr_matrix:
    """Each row scaled to unit length (rows of zeros stay zero)."""
    mat = mat.tocsr()
    per_row = np.diff(mat.indptr)
    row = np.repeat(np.arange(mat.shape[0]), per_row)
    norms = np.sqrt(np.bincount(row, weights=mat.data.astype(np.float64) ** 2, minlength=mat.shape[0]))
    norms[norms == 0] = 1.0
    out = mat.copy()
    out.data = out.data / norms[row].astype(np.float32)
    return out


@dataclass
class SentimentModel(Results):
    """Binary review sentiment (1 = positive). ``predict_proba`` gives P(positive) per text.

    On the estimator protocol (:class:`upmarket.estimation.Results`) as far as it fits: ``summary()`` and
    ``to_dict()`` give the labelled scalar parameters (intercepts, member weights) and the training record
    (``info_``); the hashed n-gram weights have no labels, and a penalised fit no standard errors (NaN).

    Parameters are stored by ``__init__`` only; ``fit`` learns ``coef_``, ``intercept_``,
    ``idf_`` and ``domains_``. ``C`` is the inverse L2 strength of the logistic regression;
    ``words`` adds word uni/bigrams, ``negation`` their ``NEG_`` copies in a negation scope (see
    module doc). ``char_ensemble`` (≥ 1) adds a second, separately fitted logistic regression on
    character 1..``char_ensemble``-grams only (no words, no domain copy; ``C = char_c``) and
    averages the two log-odds: the two models err on different texts. Its n-grams come from the
    same hashing pass (``char_coef_``, ``char_idf_``, ``char_intercept_``). ``nb_c`` > 0 adds an
    NB-weighted logistic regression on the main features' presence (``nb_coef_``, log-count
    ratios folded in). ``weights_``: each member's weight in the combined log-odds.
    """

    ngram_range: tuple[int, int] = (1, 3)
    bits: int = 20
    C: float = 8.0
    min_df: int = 1
    max_iter: int = 200
    words: bool = False
    negation: bool = False
    char_ensemble: int = 0
    char_c: float = 10.0
    nb_c: float = 0.0
    coef_: np.ndarray | None = field(default=None, repr=False)
    intercept_: float = 0.0
    idf_: np.ndarray | None = field(default=None, repr=False)
    char_coef_: np.ndarray | None = field(default=None, repr=False)
    char_intercept_: float = 0.0
    char_idf_: np.ndarray | None = field(default=None, repr=False)
    nb_coef_: np.ndarray | None = field(default=None, repr=False)
    nb_intercept_: float = 0.0
    weights_: tuple[float, ...] = ()
    domains_: tuple[str, ...] = ()
    info_: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def hasher(self) -> NgramHasher:
        return NgramHasher(tuple(self.ngram_range), self.bits)

    # ------------------------------------------------------------------ features
    def counts(self, texts: list[str], domains: Sequence[str | None] | str | None = None) -> sp.csr_matrix:
        """Raw hashed counts of normalised texts, with a domain copy where a text's domain is known."""
        return self.count_views(texts, domains)[0]

    def count_views(self, texts: list[str], domains: Sequence[str | None] | str | None = None
                    ) -> tuple[sp.csr_matrix, sp.csr_matrix | None]:
        """(main counts, char-ensemble counts or None) from one hashing pass."""
        rows, cols, k = self.hashed_columns(texts, domains)
        chars = _to_csr(rows[:k], cols[:k], len(texts), self.bits) if self.char_ensemble else None
        return _to_csr(rows, cols, len(texts), self.bits), chars

    def hashed_columns(self, texts: list[str], domains: Sequence[str | None] | str | None = None
                       ) -> tuple[np.ndarray, np.ndarray, int]:
        """(row, column) of every feature occurrence, and how many leading ones are the char-ensemble n-grams."""
        if self.char_ensemble and self.ngram_range[0] > 1:
            raise ValueError("char_ensemble needs ngram_range to start at 1")
        rows, hs, k = self.hasher.hashes_upto(texts, self.char_ensemble)
        cols = _columns(hs, self.bits)
        if self.words:
            wr, wh = word_hashes(texts, self.negation)
            rows, hs = np.concatenate([rows, wr]), np.concatenate([hs, wh])
            cols = np.concatenate([cols, _columns(wh, self.bits)])
        if domains is not None:
            dom = np.full(len(texts), domains, dtype=object) if isinstance(domains, str) else \
                np.asarray(domains, dtype=object)
            levels: list[np.ndarray] = []  # one salt array per level of the domain paths
            for d in {x for x in dom.tolist() if x}:
                for j, part in enumerate(str(d).split("/")):
                    if j == len(levels):
                        levels.append(np.zeros(len(texts), np.uint64))
                    levels[j][dom == d] = _domain_salt(part)
            all_rows, all_cols = [rows], [cols]
            for salt in levels:
                has = salt != 0
                sel = has[rows]
                with np.errstate(over="ignore"):
                    all_cols.append(_columns(hs[sel] * _MULT[2] + salt[rows[sel]], self.bits))
                bias_rows = np.flatnonzero(has)
                all_rows += [rows[sel], bias_rows]
                all_cols.append(_columns(salt[bias_rows], self.bits))
            rows, cols = np.concatenate(all_rows), np.concatenate(all_cols)
        return rows, cols, k

    @staticmethod
    def _tfidf(counts: sp.csr_matrix, idf: np.ndarray | None) -> sp.csr_matrix:
        mat = counts.copy()
        mat.data = 1.0 + np.log(mat.data)
        mat = mat.tocsr()
        if idf is not None:
            mat.data = mat.data * idf[mat.indices]  # column scaling without an O(columns) diagonal matrix
        return _l2_rows(mat)

    def _features(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        return self._tfidf(counts, self.idf_)

    def _check(self) -> None:
        if self.coef_ is None or self.idf_ is None or (self.char_ensemble and self.char_coef_ is None) or (
                self.nb_c and self.nb_coef_ is None):
            raise NotFittedError("SentimentModel is not fitted: call fit() or SentimentModel.load()")

    def resolve_domain(self, domain: str | None) -> str | None:
        """The trained domain ``domain`` names: itself, or the one path whose last level it is (``phone``
        → ``elec/phone``); None (shared features only) when unknown."""
        if not domain or not self.domains_:
            return None
        if domain in self.domains_:
            return domain
        tails = [d for d in self.domains_ if d.split("/")[-1] == domain]
        return tails[0] if len(tails) == 1 else None

    def _domain(self, domain: Sequence[str | None] | str | None) -> Sequence[str | None] | str | None:
        """Unknown domains fall back to the shared features only."""
        if domain is None or not self.domains_:
            return None
        if isinstance(domain, str):
            return self.resolve_domain(domain)
        known = {d: self.resolve_domain(d) for d in set(domain)}
        return [known[d] for d in domain]

    # ------------------------------------------------------------------ fit / predict
    def fit(self, texts: list[str], labels: np.ndarray, sample_weight: np.ndarray | None = None,
            normalised: bool = False, domains: Sequence[str | None] | None = None) -> SentimentModel:
        """Learn IDF and weights from texts with 0/1 labels (1 = positive), optionally tagged with domains."""
        y = np.asarray(labels).astype(np.int64)
        if len(texts) != len(y):
            raise ValueError(f"{len(texts)} texts but {len(y)} labels")
        if set(np.unique(y)) - {0, 1} or len(np.unique(y)) < 2:
            raise ValueError("labels must be 0/1 and contain both classes")
        if domains is not None and len(domains) != len(y):
            raise ValueError(f"{len(texts)} texts but {len(domains)} domains")
        norm = texts if normalised else normalise(texts).texts
        self.domains_ = tuple(sorted({str(d) for d in domains if d})) if domains is not None else ()
        counts, chars = self.count_views(norm, domains)
        self.idf_ = self._idf(counts)
        self.coef_, self.intercept_ = _logreg(self._features(counts), y, self.C, self.max_iter, sample_weight)
        if chars is not None:
            self.char_idf_ = self._idf(chars)
            self.char_coef_, self.char_intercept_ = _logreg(self._tfidf(chars, self.char_idf_), y, self.char_c,
                                                            self.max_iter, sample_weight)
        if self.nb_c:
            pres = _presence(counts)
            r = _log_count_ratio(pres, y)
            coef, self.nb_intercept_ = _logreg(pres @ sp.diags(r), y, self.nb_c, self.max_iter, sample_weight)
            self.nb_coef_ = (coef * r).astype(np.float32)
        self.weights_ = (1.0,)
        if self.char_ensemble or self.nb_c:
            sd = np.array([float(np.std(m)) for m in self._members(counts, chars)])
            self.weights_ = tuple((sd.mean() / (len(sd) * np.maximum(sd, 1e-9))).tolist())
        self.info_ = {**self.info_, "n_train": len(y), "share_positive": float(y.mean())}
        return self

    def _idf(self, counts: sp.csr_matrix) -> np.ndarray:
        df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
        idf = np.log((1.0 + counts.shape[0]) / (1.0 + df)) + 1.0
        idf[df < self.min_df] = 0.0
        return idf.astype(np.float32)

    def decision_function(self, texts: list[str], normalised: bool = False,
                          domain: Sequence[str | None] | str | None = None) -> np.ndarray:
        """The linear score (log-odds of positive) per text; with ``char_ensemble``, the mean of both models'."""
        self._check()
        norm = texts if normalised else normalise(texts).texts
        if not self.char_ensemble and not self.nb_c:  # one member: no matrix needed
            rows, cols, _ = self.hashed_columns(norm, self._domain(domain))
            return self._linear_score(rows, cols, len(norm))
        counts, chars = self.count_views(norm, self._domain(domain))
        members = self._members(counts, chars)
        if len(members) == 1:
            return members[0]
        w = self.weights_ if len(self.weights_) == len(members) else (1.0 / len(members),) * len(members)
        return sum(wk * m for wk, m in zip(w, members, strict=True))

    def _score_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Per column (idf·coef, idf) side by side in float32, viewed as one uint64 per column; and idf ≠ 0 (bool).

        One random gather then serves both sums of :meth:`_linear_score` (one cache line, not two). The
        shipped weights and IDF are float16, so their product is exact in float32. Built once per weights.
        """
        cached = self.__dict__.get("_table")
        if cached is not None and cached[0] is self.coef_ and cached[1] is self.idf_:
            return cached[2]
        pairs = np.empty((len(self.coef_), 2), np.float32)
        pairs[:, 0] = self.idf_.astype(np.float64) * self.coef_
        pairs[:, 1] = self.idf_
        table = (pairs.view(np.uint64).ravel(), self.idf_ != 0)
        self.__dict__["_table"] = (self.coef_, self.idf_, table)
        return table

    def _linear_score(self, rows: np.ndarray, cols: np.ndarray, n_docs: int) -> np.ndarray:
        """The main member's log-odds straight from feature occurrences, without a sparse matrix.

        Equal to ``l2(tf·idf) @ coef + intercept`` with tf = 1 + log(count): per text
        Σ tf·idf·coef / sqrt(Σ (tf·idf)²). Occurrences are grouped by one sort of row·2^bits + column
        (counts per text and column), then per-text sums by ``bincount`` in float64, so the result is closer to
        exact than the float32 sparse product it replaces (within 1e-4 of it, labels equal).
        """
        table, known = self._score_table()
        seen = np.flatnonzero(known[cols])  # idf 0 (df < min_df): no part in either sum; a 4 MB gather, not 32
        key = (rows[seen].astype(np.int64, copy=False) << self.bits) | cols[seen]
        key.sort(kind="stable")  # radix-free timsort: ~2× numpy's default sort on these partly ordered keys
        starts = np.ones(len(key), bool)  # the first occurrence of each (text, column); none when no text has one
        starts[1:] = key[1:] != key[:-1]
        first = np.flatnonzero(starts)
        tf = 1.0 + np.log(np.diff(np.append(first, len(key))).astype(np.float64))
        key = key[first]
        pairs = table[key & ((1 << self.bits) - 1)].view(np.float32).reshape(-1, 2)
        row = key >> self.bits
        num = np.bincount(row, weights=tf * pairs[:, 0], minlength=n_docs)
        den = np.sqrt(np.bincount(row, weights=np.square(tf * pairs[:, 1]), minlength=n_docs))
        den[den == 0] = 1.0
        return num / den + self.intercept_

    def _members(self, counts: sp.csr_matrix, chars: sp.csr_matrix | None) -> list[np.ndarray]:
        """Each member's log-odds: main model, then the char model and the NB-weighted model when present."""
        out = [self._features(counts) @ self.coef_ + self.intercept_]
        if chars is not None:
            out.append(self._tfidf(chars, self.char_idf_) @ self.char_coef_ + self.char_intercept_)
        if self.nb_c:
            out.append(_presence(counts) @ self.nb_coef_ + self.nb_intercept_)
        return out

    def predict_proba(self, texts: list[str], normalised: bool = False,
                      domain: Sequence[str | None] | str | None = None) -> np.ndarray:
        """P(positive) per text."""
        return 1.0 / (1.0 + np.exp(-self.decision_function(texts, normalised, domain)))

    def predict(self, texts: list[str], normalised: bool = False,
                domain: Sequence[str | None] | str | None = None) -> np.ndarray:
        return (self.predict_proba(texts, normalised, domain) >= 0.5).astype(np.int64)

    # ------------------------------------------------------------------ results protocol
    summary_title = "Review sentiment model"

    def _coefficients(self) -> pd.DataFrame:
        """The scalar parameters by label (the hashed weights are summarised by their count of non-zeros)."""
        self._check()
        values = {"intercept": self.intercept_, "nonzero_weights": float(np.count_nonzero(self.coef_))}
        if self.char_ensemble:
            values["char_intercept"] = self.char_intercept_
        if self.nb_c:
            values["nb_intercept"] = self.nb_intercept_
        values.update({f"weight[{i}]": w for i, w in enumerate(self.weights_)})
        return coefficient_frame(list(values), np.array(list(values.values()), float),
                                 np.full(len(values), np.nan))

    def to_dict(self) -> dict[str, Any]:
        """:meth:`Results.to_dict` plus the domains trained on and the training record."""
        return {**super().to_dict(), "domains": list(self.domains_), "info": dict(self.info_)}

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write the model as a compressed ``.npz`` (weights stored sparse: most hash slots are 0)."""
        self._check()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"ngram_range": list(self.ngram_range), "bits": self.bits, "C": self.C, "min_df": self.min_df,
                "intercept": self.intercept_, "info": self.info_,
                "format": 4 if self.nb_c else 3 if self.char_ensemble else 2,
                "nb_c": self.nb_c, "nb_intercept": self.nb_intercept_, "weights": list(self.weights_),
                "words": self.words, "negation": self.negation, "domains": list(self.domains_),
                "char_ensemble": self.char_ensemble, "char_c": self.char_c, "char_intercept": self.char_intercept_}
        arrays = _sparse_arrays("", self.coef_, self.idf_)
        if self.char_ensemble:
            arrays.update(_sparse_arrays("char_", self.char_coef_, self.char_idf_))
        if self.nb_c:
            arrays.update(_sparse_arrays("nb_", self.nb_coef_, np.zeros_like(self.nb_coef_)))
        with path.open("wb") as fh:
            np.savez_compressed(fh, **arrays, meta=np.array(json.dumps(meta, sort_keys=True)))
        return path

    @classmethod
    def load(cls, path: str | Path | None = None) -> SentimentModel:
        """Read a model written by :meth:`save` (default: the shipped model)."""
        path = Path(path) if path is not None else DEFAULT_MODEL
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no sentiment model there (train one with `upmarket voice train`)")
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            size = 1 << int(meta["bits"])
            m = cls(ngram_range=tuple(meta["ngram_range"]), bits=int(meta["bits"]), C=float(meta["C"]),
                    min_df=int(meta["min_df"]), words=bool(meta.get("words", False)),
                    negation=bool(meta.get("negation", False)), char_ensemble=int(meta.get("char_ensemble", 0)),
                    char_c=float(meta.get("char_c", 10.0)), nb_c=float(meta.get("nb_c", 0.0)))
            m.coef_, m.idf_ = _dense_arrays(z, "", size)
            if m.char_ensemble:
                m.char_coef_, m.char_idf_ = _dense_arrays(z, "char_", size)
            if m.nb_c:
                m.nb_coef_ = _dense_arrays(z, "nb_", size)[0]
        m.intercept_, m.info_ = float(meta["intercept"]), dict(meta["info"])
        m.char_intercept_ = float(meta.get("char_intercept", 0.0))
        m.domains_ = tuple(meta.get("domains", ()))
        m.nb_intercept_ = float(meta.get("nb_intercept", 0.0))
        n_members = 1 + bool(m.char_ensemble) + bool(m.nb_c)
        m.weights_ = tuple(meta.get("weights") or ((1.0 / n_members,) * n_members))  # format 3: plain mean
        return m


def _logreg(x: sp.csr_matrix, y: np.ndarray, C: float, max_iter: int,
            sample_weight: np.ndarray | None) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, max_iter=max_iter, solver="liblinear").fit(x, y, sample_weight=sample_weight)
    return clf.coef_.ravel().astype(np.float32), float(clf.intercept_[0])


def _presence(counts: sp.csr_matrix) -> sp.csr_matrix:
    """1 where a feature occurs (the NB-weighted member's input)."""
    pres = counts.copy()
    pres.data = np.ones_like(pres.data)
    return pres


def _log_count_ratio(pres: sp.csr_matrix, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """log(p/|p|₁) − log(q/|q|₁) with add-``alpha`` counts per class (Wang & Manning 2012)."""
    p = np.asarray(pres[y == 1].sum(axis=0)).ravel() + alpha
    q = np.asarray(pres[y == 0].sum(axis=0)).ravel() + alpha
    return (np.log(p / p.sum()) - np.log(q / q.sum())).astype(np.float32)


def _sparse_arrays(prefix: str, coef: np.ndarray, idf: np.ndarray) -> dict[str, np.ndarray]:
    nz = np.flatnonzero((coef != 0) | (idf != 0))
    return {f"{prefix}index": nz.astype(np.int32), f"{prefix}coef": coef[nz].astype(np.float16),
            f"{prefix}idf": idf[nz].astype(np.float16)}


def _dense_arrays(z: Any, prefix: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    coef, idf = np.zeros(size, np.float32), np.zeros(size, np.float32)
    coef[z[f"{prefix}index"]] = z[f"{prefix}coef"]
    idf[z[f"{prefix}index"]] = z[f"{prefix}idf"]
    return coef, idf


def balanced_weights(labels: np.ndarray, groups: Sequence[object] | None = None) -> np.ndarray:
    """Sample weights that give each class the same total weight within each group (e.g. corpus).

    ``n_g / (2 · n_{g,y})``, as scikit-learn's ``class_weight="balanced"`` but per group, so a
    mostly-positive corpus (hotels) and a mostly-negative one (takeaway) both count their
    minority class fully.
    """
    y = np.asarray(labels).astype(np.int64)
    g = pd.Series(np.zeros(len(y), np.int64) if groups is None else np.asarray(groups, dtype=object))
    frame = pd.DataFrame({"g": g, "y": y})
    n_gy = frame.groupby(["g", "y"])["y"].transform("size").to_numpy()
    n_g = frame.groupby("g")["y"].transform("size").to_numpy()
    return (n_g / (2.0 * n_gy)).astype(np.float64)


def score_texts(texts: list[object], model: SentimentModel | None = None,
                neutral_band: float = 0.0) -> tuple[np.ndarray, np.ndarray, Normalised]:
    """Scores P(positive) and labels (1/0/-1; NaN score for empty texts) for raw texts."""
    model = model if model is not None else SentimentModel.load()
    norm = normalise(texts)
    score = model.predict_proba(norm.texts, normalised=True)
    score[norm.empty] = np.nan
    label = np.where(score >= 0.5 + neutral_band, 1, np.where(score < 0.5 - neutral_band, -1, 0))
    label[norm.empty] = 0
    return score, label, norm
