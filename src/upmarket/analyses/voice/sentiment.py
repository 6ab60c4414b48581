"""Review sentiment: hashed character n-grams → a linear model, fitted and applied in bulk.

Why this model: on Chinese reviews, character 1–3-grams carry most of what word features do
(``不错``, ``不好``, ``没有``) without a tokeniser in the hot path, and a linear model over hashed
features scores hundreds of thousands of texts a second on a CPU. The vectoriser is written in
NumPy (all n-grams of a batch at once from one code-point array), which measured about 10× faster
than scikit-learn's ``HashingVectorizer(analyzer="char")`` on review-length text (see
``benchmarks/voice.py``). Features are sub-linear TF × IDF, L2-normalised; the classifier is
scikit-learn's ``LogisticRegression``. A model is saved as one compressed ``.npz`` (weights,
IDF, settings, training notes) — no pickle, so loading a model file runs no code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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


class NotFittedError(RuntimeError):
    """The model was used before ``fit`` or ``load``."""


@dataclass
class NgramHasher:
    """Character n-grams (``ngram_range``) of a batch, hashed into ``2**bits`` columns.

    N-grams never cross text boundaries; spaces are skipped as unigrams. Stateless: the same
    text always lands in the same columns, so models can be saved as plain weight vectors.
    """

    ngram_range: tuple[int, int] = (1, 3)
    bits: int = 20

    def counts(self, texts: list[str]) -> sp.csr_matrix:
        """Raw n-gram counts, one row per text."""
        n_docs = len(texts)
        cps, starts = codepoints(texts)
        doc = np.repeat(np.arange(n_docs + 1, dtype=np.int64), np.diff(np.append(starts, len(cps))))[: len(cps)]
        cps64 = cps.astype(np.uint64)
        keep_base = (cps != 0) & (cps != _PUNCT_LOW)
        rows, cols = [], []
        shift = np.uint64(64 - self.bits)
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
            mixed = (h[idx] ^ (h[idx] >> np.uint64(29))) * _MULT[3]
            rows.append(doc[idx])
            cols.append((mixed >> shift).astype(np.int64))
        r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        mat = sp.csr_matrix((np.ones(len(r), dtype=np.float32), (r, c)), shape=(n_docs, 1 << self.bits))
        mat.sum_duplicates()
        return mat


def _l2_rows(mat: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(mat.multiply(mat).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.diags((1.0 / norms).astype(np.float32)) @ mat


@dataclass
class SentimentModel:
    """Binary review sentiment (1 = positive). ``predict_proba`` gives P(positive) per text.

    Parameters are stored by ``__init__`` only; ``fit`` learns ``coef_``, ``intercept_`` and
    ``idf_``. ``C`` is the inverse L2 strength of the logistic regression.
    """

    ngram_range: tuple[int, int] = (1, 3)
    bits: int = 20
    C: float = 8.0
    min_df: int = 1
    max_iter: int = 200
    coef_: np.ndarray | None = field(default=None, repr=False)
    intercept_: float = 0.0
    idf_: np.ndarray | None = field(default=None, repr=False)
    info_: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def hasher(self) -> NgramHasher:
        return NgramHasher(tuple(self.ngram_range), self.bits)

    # ------------------------------------------------------------------ features
    def _features(self, texts: list[str], counts: sp.csr_matrix | None = None) -> sp.csr_matrix:
        mat = self.hasher.counts(texts) if counts is None else counts
        mat.data = 1.0 + np.log(mat.data)
        if self.idf_ is not None:
            mat = mat @ sp.diags(self.idf_)
        return _l2_rows(mat.tocsr())

    def _check(self) -> None:
        if self.coef_ is None or self.idf_ is None:
            raise NotFittedError("SentimentModel is not fitted: call fit() or SentimentModel.load()")

    # ------------------------------------------------------------------ fit / predict
    def fit(self, texts: list[str], labels: np.ndarray, sample_weight: np.ndarray | None = None,
            normalised: bool = False) -> SentimentModel:
        """Learn IDF and weights from texts with 0/1 labels (1 = positive)."""
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(labels).astype(np.int64)
        if len(texts) != len(y):
            raise ValueError(f"{len(texts)} texts but {len(y)} labels")
        if set(np.unique(y)) - {0, 1} or len(np.unique(y)) < 2:
            raise ValueError("labels must be 0/1 and contain both classes")
        norm = texts if normalised else normalise(texts).texts
        counts = self.hasher.counts(norm)
        df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
        n = counts.shape[0]
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        idf[df < self.min_df] = 0.0
        self.idf_ = idf.astype(np.float32)
        x = self._features(norm, counts)
        clf = LogisticRegression(C=self.C, max_iter=self.max_iter, solver="liblinear")
        clf.fit(x, y, sample_weight=sample_weight)
        self.coef_ = clf.coef_.ravel().astype(np.float32)
        self.intercept_ = float(clf.intercept_[0])
        self.info_ = {**self.info_, "n_train": int(n), "share_positive": float(y.mean())}
        return self

    def decision_function(self, texts: list[str], normalised: bool = False) -> np.ndarray:
        """The linear score (log-odds of positive) per text."""
        self._check()
        norm = texts if normalised else normalise(texts).texts
        x = self._features(norm)
        return x @ self.coef_ + self.intercept_

    def predict_proba(self, texts: list[str], normalised: bool = False) -> np.ndarray:
        """P(positive) per text."""
        return 1.0 / (1.0 + np.exp(-self.decision_function(texts, normalised)))

    def predict(self, texts: list[str], normalised: bool = False) -> np.ndarray:
        return (self.predict_proba(texts, normalised) >= 0.5).astype(np.int64)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write the model as a compressed ``.npz`` (weights stored sparse: most hash slots are 0)."""
        self._check()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        nz = np.flatnonzero((self.coef_ != 0) | (self.idf_ != 0))
        meta = {"ngram_range": list(self.ngram_range), "bits": self.bits, "C": self.C, "min_df": self.min_df,
                "intercept": self.intercept_, "info": self.info_, "format": 1}
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
                min_df=int(meta["min_df"]))
        m.coef_, m.idf_, m.intercept_, m.info_ = coef, idf, float(meta["intercept"]), dict(meta["info"])
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
