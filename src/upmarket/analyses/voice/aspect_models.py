"""Learned aspect detectors: one char n-gram logistic regression per aspect, combined with the lexicon.

Why: the aspect lexicon finds an opinion only when it names a listed term; real reviews often name an
aspect by what it does (反应很快 → performance, 物有所值 → price, 字太小看不清 → screen). A detector
trained on aspect-labelled sentences catches those. A clause names aspect *a* when a lexicon term matches
OR the detector's P(a) ≥ its threshold. All detectors share one hashed char 1–3-gram TF-IDF (the
sentiment model's hasher), so a batch is hashed once; weights are saved as one compressed ``.npz``
(no pickle). Trained by ``scripts/voice_aspect_eval.py --fit`` on research-only corpora, so never
shipped; the pipeline uses them when ``[voice] aspect_models`` names their folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from upmarket.analyses.voice.sentiment import NgramHasher, SentimentModel, _dense_arrays, _sparse_arrays
from upmarket.text.lexicon import NEGATORS, lexicon_polarity, neutral_mask

FILE = "detectors.npz"


@dataclass
class AspectDetectors:
    """Per-aspect detectors over shared features; ``thresholds[a]`` is the P at which a clause names ``a``."""

    aspects: tuple[str, ...]
    bits: int = 18
    C: float = 4.0
    thresholds: dict[str, float] = field(default_factory=dict)
    coef_: np.ndarray | None = field(default=None, repr=False)  # (n_aspects × 2**bits)
    intercept_: np.ndarray | None = field(default=None, repr=False)
    idf_: np.ndarray | None = field(default=None, repr=False)
    polarity: AspectPolarity | None = field(default=None, repr=False)
    """The learned polarity model saved in the same folder (``polarity.npz``), if any: it then decides the
    polarity of every aspect opinion (:func:`~upmarket.analyses.voice.aspects.aspect_opinions`)."""

    def _features(self, texts: list[str]) -> sp.csr_matrix:
        counts = NgramHasher((1, 3), self.bits).counts(texts)
        return SentimentModel._tfidf(counts, self.idf_)

    @classmethod
    def fit(cls, texts: list[str], targets: dict[str, np.ndarray], bits: int = 18, C: float = 4.0,
            thresholds: dict[str, float] | None = None) -> AspectDetectors:
        """Fit on normalised ``texts``; ``targets[a]`` is 1 where the text holds an opinion on ``a``."""
        from sklearn.linear_model import LogisticRegression

        det = cls(tuple(targets), bits=bits, C=C, thresholds=dict(thresholds or dict.fromkeys(targets, 0.5)))
        counts = NgramHasher((1, 3), bits).counts(texts)
        df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
        det.idf_ = (np.log((1.0 + counts.shape[0]) / (1.0 + df)) + 1.0).astype(np.float32)
        x = SentimentModel._tfidf(counts, det.idf_)
        coef, inter = [], []
        for a in det.aspects:
            y = np.asarray(targets[a])
            if y.min() == y.max():
                raise ValueError(f"aspect {a!r}: the training texts need both with and without it")
            clf = LogisticRegression(C=C, max_iter=300, solver="liblinear", class_weight="balanced").fit(x, y)
            coef.append(clf.coef_.ravel().astype(np.float32))
            inter.append(float(clf.intercept_[0]))
        det.coef_, det.intercept_ = np.vstack(coef), np.asarray(inter)
        return det

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """P(text names aspect) as (len(texts) × n_aspects)."""
        if self.coef_ is None:
            raise RuntimeError("AspectDetectors used before fit/load")
        if not texts:
            return np.zeros((0, len(self.aspects)))
        z = np.asarray(self._features(texts) @ self.coef_.T) + self.intercept_
        return 1.0 / (1.0 + np.exp(-z))

    def hits(self, texts: list[str], aspects: tuple[str, ...]) -> np.ndarray:
        """Boolean (text × ``aspects``): P ≥ threshold (False for aspects without a detector)."""
        p = self.predict_proba(texts)
        out = np.zeros((len(texts), len(aspects)), bool)
        for j, a in enumerate(aspects):
            if a in self.aspects:
                out[:, j] = p[:, self.aspects.index(a)] >= self.thresholds.get(a, 0.5)
        return out

    def save(self, folder: str | Path) -> Path:
        arrays: dict[str, np.ndarray] = {}
        for i, a in enumerate(self.aspects):
            arrays.update(_sparse_arrays(f"{a}_", self.coef_[i], self.idf_))
        meta = {"aspects": list(self.aspects), "bits": self.bits, "C": self.C, "thresholds": self.thresholds,
                "intercept": self.intercept_.tolist()}
        return _write_npz(Path(folder) / FILE, arrays, meta)

    @classmethod
    def load(cls, folder: str | Path) -> AspectDetectors:
        with _read_npz(Path(folder) / FILE, "no aspect detectors there (build them with "
                       "`python scripts/voice_aspect_eval.py --fit`)") as (z, meta):
            det = cls(tuple(meta["aspects"]), bits=int(meta["bits"]), C=float(meta["C"]),
                      thresholds={k: float(v) for k, v in meta["thresholds"].items()})
            size = 1 << det.bits
            coefs, idf = [], None
            for a in det.aspects:
                c, idf = _dense_arrays(z, f"{a}_", size)
                coefs.append(c)
        det.coef_, det.idf_, det.intercept_ = np.vstack(coefs), idf, np.asarray(meta["intercept"])
        if (Path(folder) / POLARITY_FILE).is_file():
            det.polarity = AspectPolarity.load(folder)
        return det


POLARITY_FILE = "polarity.npz"


def negation_scoped(texts: list[str]) -> list[str]:
    """Each text with every character after a negator (不, 没有, 并不 …, to the end of the clause) moved to a
    private plane, so n-grams inside a negation's scope are features of their own (没有翘屏问题: 问题 under 没有).

    Why: the lexicon flips an opinion word only right after its negator, and a char n-gram model reads 不 and
    问题 as two complaint features; marking the scope lets a model learn "问题 negated" as praise.
    """
    arr = pa.array(texts, type=pa.large_string())
    marked = pc.replace_substring_regex(arr, f"({_NEGATOR_RE})", "\x1e\\1\x1e").to_pylist()
    out = []
    for t in marked:
        if "\x1e" not in t:
            out.append(t)
            continue
        parts = t.split("\x1e")  # text, negator, scope, negator, scope …
        out.append(parts[0] + "".join(p if i % 2 == 0 else _shift(p) for i, p in enumerate(parts[1:])))
    return out


def _shift(scope: str) -> str:
    """``scope`` with its characters up to the next punctuation moved to plane 16 (the scope ends there)."""
    end = next((i for i, ch in enumerate(scope) if ch in _SCOPE_END), len(scope))
    return "".join(chr(0x100000 + ord(ch)) if ord(ch) < 0x10000 else ch for ch in scope[:end]) + scope[end:]


_SCOPE_END = frozenset("，。！？；、,.!?;~ \n")


_NEGATOR_RE = "|".join(sorted(NEGATORS, key=len, reverse=True))


@dataclass
class AspectPolarity:
    """P(positive) of one aspect opinion from its *context*: the clauses naming the aspect (or the whole text
    when only the whole text names it).

    Why: the clause score of a whole-review sentiment model plus a lexicon nudge reads short aspect clauses at
    0.86 on held-out real sentences; opinions on aspects have their own vocabulary (噪点高, 机身略长, 物流不是
    一般的快). One logistic regression over (a) the context's hashed char 1–3-grams, (b) the same n-grams inside
    negation scope (:func:`negation_scoped`) and (c) three dense columns — the context's lexicon polarity, the
    shipped sentiment model's log-odds of it (/4) and whether a lukewarm word is present. Only the context is
    read: in 拍照很顶，但是卡顿也很顶 the review's overall tone must not decide the camera (reading the sentence
    too gained nothing in cross-validation, 0.889 vs 0.888). Trained by ``scripts/voice_aspect_eval.py
    --fit-polarity`` on research-only corpora, so never shipped.
    """

    bits: int = 18
    C: float = 16.0
    coef_: np.ndarray | None = field(default=None, repr=False)  # 2·2**bits n-gram weights, then the dense ones
    intercept_: float = 0.0
    idf_: np.ndarray | None = field(default=None, repr=False)  # 2·2**bits: context block, negation-scope block

    def _blocks(self, contexts: list[str]) -> sp.csr_matrix:
        hasher = NgramHasher((1, 3), self.bits)
        return sp.hstack([hasher.counts(contexts), hasher.counts(negation_scoped(contexts))]).tocsr()

    @staticmethod
    def dense(contexts: list[str]) -> np.ndarray:
        """The dense columns (see the class docstring); the base model is always the shipped one."""
        return np.column_stack([lexicon_polarity(contexts), _shipped().decision_function(contexts, normalised=True) / 4,
                                neutral_mask(contexts)]).astype(np.float64)

    def features(self, contexts: list[str]) -> sp.csr_matrix:
        x = SentimentModel._tfidf(self._blocks(contexts), self.idf_)
        return sp.hstack([x, sp.csr_matrix(self.dense(contexts))]).tocsr()

    @classmethod
    def fit(cls, contexts: list[str], labels: np.ndarray, C: float = 16.0, bits: int = 18) -> AspectPolarity:
        """Fit on normalised contexts; ``labels`` 1 positive, 0 negative."""
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(labels).astype(int)
        if len(y) != len(contexts):
            raise ValueError(f"{len(contexts)} contexts but {len(y)} labels")
        if set(np.unique(y)) != {0, 1}:
            raise ValueError("labels must be 0/1 and contain both classes")
        pol = cls(bits=bits, C=C)
        counts = pol._blocks(contexts)
        df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
        pol.idf_ = (np.log((1.0 + counts.shape[0]) / (1.0 + df)) + 1.0).astype(np.float32)
        clf = LogisticRegression(C=C, solver="liblinear", max_iter=500).fit(pol.features(contexts), y)
        pol.coef_, pol.intercept_ = clf.coef_.ravel().astype(np.float32), float(clf.intercept_[0])
        return pol

    def predict_proba(self, contexts: list[str]) -> np.ndarray:
        """P(positive) per normalised context."""
        if self.coef_ is None:
            raise RuntimeError("AspectPolarity used before fit/load")
        if not contexts:
            return np.zeros(0)
        z = np.asarray(self.features(contexts) @ self.coef_).ravel() + self.intercept_
        return 1.0 / (1.0 + np.exp(-z))

    def save(self, folder: str | Path) -> Path:
        n = 2 << self.bits
        arrays = _sparse_arrays("", self.coef_[:n], self.idf_)
        meta = {"bits": self.bits, "C": self.C, "intercept": self.intercept_,
                "dense_coef": self.coef_[n:].astype(float).tolist()}
        return _write_npz(Path(folder) / POLARITY_FILE, arrays, meta)

    @classmethod
    def load(cls, folder: str | Path) -> AspectPolarity:
        with _read_npz(Path(folder) / POLARITY_FILE, "no aspect polarity model there (build it with "
                       "`python scripts/voice_aspect_eval.py --fit-polarity`)") as (z, meta):
            pol = cls(bits=int(meta["bits"]), C=float(meta["C"]), intercept_=float(meta["intercept"]))
            coef, pol.idf_ = _dense_arrays(z, "", 2 << pol.bits)
        pol.coef_ = np.concatenate([coef, np.asarray(meta["dense_coef"], np.float32)])
        return pol


def _write_npz(path: Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Path:
    """One compressed ``.npz`` of sparse weight arrays plus a JSON ``meta`` entry (no pickles)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        np.savez_compressed(fh, **arrays, meta=np.array(json.dumps(meta, sort_keys=True)))
    return path


@contextmanager
def _read_npz(path: Path, missing: str) -> Iterator[tuple[Any, dict[str, Any]]]:
    """The open archive and its decoded meta, written by :func:`_write_npz`; ``missing`` says how to build it."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: {missing}")
    with np.load(path, allow_pickle=False) as z:
        yield z, json.loads(str(z["meta"]))


_SHIPPED: list[SentimentModel] = []


def _shipped() -> SentimentModel:
    """The shipped sentiment model, loaded once (the polarity model's dense columns were fitted on its log-odds)."""
    if not _SHIPPED:
        _SHIPPED.append(SentimentModel.load())
    return _SHIPPED[0]
