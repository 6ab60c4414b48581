"""SentimentModel on the estimator protocol: one NotFittedError, summary() and to_dict() like every Results."""

from __future__ import annotations

import numpy as np
import pytest

from upmarket.analyses.voice.sentiment import SentimentModel
from upmarket.estimation import CI_LEVEL, NotFittedError, Results

TEXTS = ["很好用，拍照清晰", "电池耐用，非常满意", "屏幕漂亮，速度快", "质量很好，推荐购买",
         "太差了，发热严重", "电池不耐用，很失望", "卡顿，后悔买了", "质量差，退货了"]
LABELS = np.array([1, 1, 1, 1, 0, 0, 0, 0])


def test_an_unfitted_model_raises_the_one_not_fitted_error() -> None:
    model = SentimentModel(bits=12)
    assert isinstance(model, Results)
    for call in (model.summary, model.to_dict, lambda: model.predict_proba(["好"])):
        with pytest.raises(NotFittedError, match="not fitted"):
            call()


def test_a_fitted_model_summarises_its_learned_state() -> None:
    model = SentimentModel(bits=12, ngram_range=(1, 2)).fit(TEXTS, LABELS)
    out = model.to_dict()
    assert out["level"] == CI_LEVEL
    assert out["params"]["intercept"] == pytest.approx(model.intercept_)
    assert out["params"]["nonzero_weights"] == np.count_nonzero(model.coef_) > 0
    assert all(v is None for v in out["std_errors"].values()), "a penalised fit reports no standard errors"
    assert out["domains"] == list(model.domains_)
    text = str(model.summary())
    assert "Review sentiment model" in text and "intercept" in text
    assert "<table" in model.summary()._repr_html_()
