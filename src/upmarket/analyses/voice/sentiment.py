"""Review sentiment: hashed character n-grams (+ optional word uni/bigrams and a domain copy) → a linear model.

Why this model: on Chinese reviews, character 1–4-grams carry most of what word features do
(``不错``, ``不好``, ``没有``) without a tokeniser in the hot path, and a linear model over hashed
features scores hundreds of thousands of texts a second on a CPU. The vectoriser is written in
NumPy (all n-grams of a batch at once from one code-point array). Two optional feature groups
add the last points of accuracy on real corpora (measured in ``scripts/train_voice_model.py``):

* ``words``: jieba-compatible word unigrams and bigrams (rjieba on the joined batch, one C call;
  tokens hashed with a vectorised polynomial hash, so no Python work per token);
* ``domains``: "frustratingly easy" domain adaptation (Daumé 2007): a text from domain *d* gets
  its features twice, once shared and once salted with *d*, plus a domain bias. Reviews of
  phones and of hotels use 不错/一般 differently; the shared copy still scores texts of an unknown
  domain (``domain=None``).

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
import scipy.sparse as sp

from upmarket.analyses.voice.text import Normalised, codepoints, normalise

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "voice_sentiment.npz"
"""The shipped default model (trained only on redistributable text; see ``docs/voice.md``)."""

_MULT = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5],
                 dtype=np.uint64)
_PUNCT_LOW = 0x20
_WORD_P = np.uint64(0x100000001B3)  # odd, so invertible modulo 2**64
_WORD_P_INV = np.uint64(pow(0x100000001B3, -1, 1 << 64))
_WORD_SALT = np.uint64(0x5851F42D4C957F2D)
_BIGRAM_SALT = np.uint64(0x14057B7EF767814F)


class NotFittedError(RuntimeError):
    """The model was used before ``fit`` or ``load``."""


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
        return r, (np.concatenate(hs) if hs else np.zeros(0, np.uint64))

    def counts(self, texts: list[str]) -> sp.csr_matrix:
        """Raw n-gram counts, one row per text."""
        r, h = self.hashes(texts)
        return _to_csr(r, _columns(h, self.bits), len(texts), self.bits)


def _columns(h: np.ndarray, bits: int) -> np.ndarray:
    return (_mix(h) >> np.uint64(64 - bits)).astype(np.int64)


def _to_csr(rows: np.ndarray, cols: np.ndarray, n_docs: int, bits: int) -> sp.csr_matrix:
    mat = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n_docs, 1 << bits))
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


def word_hashes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(row, 64-bit hash) of every word unigram and within-text bigram of the batch.

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
    starts = np.zeros(len(texts), np.int64)
    np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts))[:-1] + 1, out=starts[1:])
    doc = np.searchsorted(starts, begins, side="right") - 1
    doc, h = doc[keep], h[keep]
    same = doc[1:] == doc[:-1]
    with np.errstate(over="ignore"):
        bi = h[:-1][same] * _MULT[1] + h[1:][same] + _BIGRAM_SALT
    return np.concatenate([doc, doc[:-1][same]]), np.concatenate([h, bi])


def _domain_salt(domain: str) -> np.uint64:
    return np.uint64(int.from_bytes(domain.encode("utf-8")[:8].ljust(8, b"\0"), "little") | 1)


def _l2_rows(mat: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(mat.multiply(mat).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.diags((1.0 / norms).astype(np.float32)) @ mat


@dataclass
class SentimentModel:
    """Binary review sentiment (1 = positive). ``predict_proba`` gives P(positive) per text.

    Parameters are stored by ``__init__`` only; ``fit`` learns ``coef_``, ``intercept_``,
    ``idf_`` and ``domains_``. ``C`` is the inverse L2 strength of the logistic regression;
    ``words`` adds word uni/bigrams (see module doc).
    """

    ngram_range: tuple[int, int] = (1, 3)
    bits: int = 20
    C: float = 8.0
    min_df: int = 1
    max_iter: int = 200
    words: bool = False
    coef_: np.ndarray | None = field(default=None, repr=False)
    intercept_: float = 0.0
    idf_: np.ndarray | None = field(default=None, repr=False)
    domains_: tuple[str, ...] = ()
    info_: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def hasher(self) -> NgramHasher:
        return NgramHasher(tuple(self.ngram_range), self.bits)

    # ------------------------------------------------------------------ features
    def counts(self, texts: list[str], domains: Sequence[str | None] | str | None = None) -> sp.csr_matrix:
        """Raw hashed counts of normalised texts, with a domain copy where a text's domain is known."""
        rows, hs = self.hasher.hashes(texts)
        if self.words:
            wr, wh = word_hashes(texts)
            rows, hs = np.concatenate([rows, wr]), np.concatenate([hs, wh])
        cols = _columns(hs, self.bits)
        if domains is not None:
            dom = np.full(len(texts), domains, dtype=object) if isinstance(domains, str) else \
                np.asarray(domains, dtype=object)
            salt = np.zeros(len(texts), np.uint64)
            for d in {x for x in dom.tolist() if x}:
                salt[dom == d] = _domain_salt(str(d))
            has = salt != 0
            if has.any():
                sel = has[rows]
                with np.errstate(over="ignore"):
                    dcols = _columns(hs[sel] * _MULT[2] + salt[rows[sel]], self.bits)
                bias_rows = np.flatnonzero(has)
                bias_cols = _columns(salt[bias_rows], self.bits)
                rows = np.concatenate([rows, rows[sel], bias_rows])
                cols = np.concatenate([cols, dcols, bias_cols])
        return _to_csr(rows, cols, len(texts), self.bits)

    def _features(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        mat = counts.copy()
        mat.data = 1.0 + np.log(mat.data)
        if self.idf_ is not None:
            mat = mat @ sp.diags(self.idf_)
        return _l2_rows(mat.tocsr())

    def _check(self) -> None:
        if self.coef_ is None or self.idf_ is None:
            raise NotFittedError("SentimentModel is not fitted: call fit() or SentimentModel.load()")

    def _domain(self, domain: Sequence[str | None] | str | None) -> Sequence[str | None] | str | None:
        """Unknown domains fall back to the shared features only."""
        if domain is None or not self.domains_:
            return None
        if isinstance(domain, str):
            return domain if domain in self.domains_ else None
        return [d if d in self.domains_ else None for d in domain]

    # ------------------------------------------------------------------ fit / predict
    def fit(self, texts: list[str], labels: np.ndarray, sample_weight: np.ndarray | None = None,
            normalised: bool = False, domains: Sequence[str | None] | None = None) -> SentimentModel:
        """Learn IDF and weights from texts with 0/1 labels (1 = positive), optionally tagged with domains."""
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(labels).astype(np.int64)
        if len(texts) != len(y):
            raise ValueError(f"{len(texts)} texts but {len(y)} labels")
        if set(np.unique(y)) - {0, 1} or len(np.unique(y)) < 2:
            raise ValueError("labels must be 0/1 and contain both classes")
        if domains is not None and len(domains) != len(y):
            raise ValueError(f"{len(texts)} texts but {len(domains)} domains")
        norm = texts if normalised else normalise(texts).texts
        self.domains_ = tuple(sorted({str(d) for d in domains if d})) if domains is not None else ()
        counts = self.counts(norm, domains)
        df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
        n = counts.shape[0]
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        idf[df < self.min_df] = 0.0
        self.idf_ = idf.astype(np.float32)
        x = self._features(counts)
        clf = LogisticRegression(C=self.C, max_iter=self.max_iter, solver="liblinear")
        clf.fit(x, y, sample_weight=sample_weight)
        self.coef_ = clf.coef_.ravel().astype(np.float32)
        self.intercept_ = float(clf.intercept_[0])
        self.info_ = {**self.info_, "n_train": int(n), "share_positive": float(y.mean())}
        return self

    def decision_function(self, texts: list[str], normalised: bool = False,
                          domain: Sequence[str | None] | str | None = None) -> np.ndarray:
        """The linear score (log-odds of positive) per text."""
        self._check()
        norm = texts if normalised else normalise(texts).texts
        x = self._features(self.counts(norm, self._domain(domain)))
        return x @ self.coef_ + self.intercept_

    def predict_proba(self, texts: list[str], normalised: bool = False,
                      domain: Sequence[str | None] | str | None = None) -> np.ndarray:
        """P(positive) per text."""
        return 1.0 / (1.0 + np.exp(-self.decision_function(texts, normalised, domain)))

    def predict(self, texts: list[str], normalised: bool = False,
                domain: Sequence[str | None] | str | None = None) -> np.ndarray:
        return (self.predict_proba(texts, normalised, domain) >= 0.5).astype(np.int64)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write the model as a compressed ``.npz`` (weights stored sparse: most hash slots are 0)."""
        self._check()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        nz = np.flatnonzero((self.coef_ != 0) | (self.idf_ != 0))
        meta = {"ngram_range": list(self.ngram_range), "bits": self.bits, "C": self.C, "min_df": self.min_df,
                "intercept": self.intercept_, "info": self.info_, "format": 2, "words": self.words,
                "domains": list(self.domains_)}
        with path.open("wb") as fh:
            np.savez_compressed(fh, index=nz.astype(np.int32), coef=self.coef_[nz].astype(np.float16),
                                idf=self.idf_[nz].astype(np.float16), meta=np.array(json.dumps(meta, sort_keys=True)))
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
            coef = np.zeros(size, np.float32)
            idf = np.zeros(size, np.float32)
            coef[z["index"]] = z["coef"]
            idf[z["index"]] = z["idf"]
        m = cls(ngram_range=tuple(meta["ngram_range"]), bits=int(meta["bits"]), C=float(meta["C"]),
                min_df=int(meta["min_df"]), words=bool(meta.get("words", False)))
        m.coef_, m.idf_, m.intercept_, m.info_ = coef, idf, float(meta["intercept"]), dict(meta["info"])
        m.domains_ = tuple(meta.get("domains", ()))
        return m


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
