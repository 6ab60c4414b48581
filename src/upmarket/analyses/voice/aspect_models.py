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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from upmarket.analyses.voice.sentiment import NgramHasher, SentimentModel, _dense_arrays, _sparse_arrays

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
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        for i, a in enumerate(self.aspects):
            arrays.update(_sparse_arrays(f"{a}_", self.coef_[i], self.idf_))
        meta = {"aspects": list(self.aspects), "bits": self.bits, "C": self.C, "thresholds": self.thresholds,
                "intercept": self.intercept_.tolist()}
        with (folder / FILE).open("wb") as fh:
            np.savez_compressed(fh, **arrays, meta=np.array(json.dumps(meta, sort_keys=True)))
        return folder / FILE

    @classmethod
    def load(cls, folder: str | Path) -> AspectDetectors:
        path = Path(folder) / FILE
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no aspect detectors there (build them with "
                                    "`python scripts/voice_aspect_eval.py --fit`)")
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            det = cls(tuple(meta["aspects"]), bits=int(meta["bits"]), C=float(meta["C"]),
                      thresholds={k: float(v) for k, v in meta["thresholds"].items()})
            size = 1 << det.bits
            coefs, idf = [], None
            for a in det.aspects:
                c, idf = _dense_arrays(z, f"{a}_", size)
                coefs.append(c)
        det.coef_, det.idf_, det.intercept_ = np.vstack(coefs), idf, np.asarray(meta["intercept"])
        return det
