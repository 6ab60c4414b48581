"""One estimator protocol: one NotFittedError, one 90 % level, labelled results with intervals, text and HTML."""

from __future__ import annotations

import json

import numpy as np
import pytest

from upmarket.choice.latent import LatentClassFit
from upmarket.choice.mnl import MNLFit
from upmarket.errors import UpmarketError
from upmarket.estimation import CI_ALPHA, CI_LEVEL, ConvergenceWarning, NotFittedError, Results, z_value


def test_one_not_fitted_error_and_one_level() -> None:
    from upmarket.analyses.demand import NotFittedError as DemandNotFitted
    from upmarket.analyses.voice.sentiment import NotFittedError as VoiceNotFitted
    from upmarket.analyses.voice.sentiment import SentimentModel

    assert DemandNotFitted is NotFittedError and VoiceNotFitted is NotFittedError
    assert issubclass(NotFittedError, UpmarketError) and issubclass(NotFittedError, RuntimeError)
    with pytest.raises(NotFittedError):
        SentimentModel().predict_proba(["很好"])
    assert CI_LEVEL == 0.90 and CI_ALPHA == 0.1, "0.1 exactly: quantiles at alpha/2 must not drift"
    assert z_value() == pytest.approx(1.6448536, abs=1e-6)


def _mnl(converged: bool = True) -> MNLFit:
    cov = np.diag([0.04, 0.25, 0.01])
    return MNLFit(np.array([-1.5, 0.8, 0.3]), cov, -812.5, ["price", "brand=Apple", "camera"], converged, 7)


def test_mnl_results_are_labelled_with_normal_intervals_at_the_level() -> None:
    fit = _mnl()
    coef = fit.coefficients()
    assert list(coef.index) == ["price", "brand=Apple", "camera"]
    np.testing.assert_allclose(coef["std_error"], [0.2, 0.5, 0.1])
    ci = fit.conf_int()
    np.testing.assert_allclose(ci.loc["price"], [-1.5 - 1.6448536 * 0.2, -1.5 + 1.6448536 * 0.2], atol=1e-6)
    wide = fit.conf_int(alpha=0.05)
    assert (wide["upper"] - wide["lower"] > ci["upper"] - ci["lower"]).all()
    text = str(fit.summary())
    assert "Multinomial logit" in text and "brand=Apple" in text and "lower" in text
    assert "<table" in fit._repr_html_()
    out = json.loads(json.dumps(fit.to_dict()))
    assert out["level"] == 0.9 and out["params"]["camera"] == 0.3 and out["warnings"] == []


def test_warnings_are_typed() -> None:
    ws = _mnl(converged=False).estimation_warnings()
    assert len(ws) == 1 and isinstance(ws[0], ConvergenceWarning) and "did not converge" in str(ws[0])
    assert _mnl(converged=False).to_dict()["warnings"][0]["type"] == "ConvergenceWarning"


def test_latent_class_results_label_each_class() -> None:
    K, d = 2, 2
    fit = LatentClassFit(betas=np.array([[-1.0, 0.5], [-3.0, 0.1]]), shares=np.array([0.4, 0.6]), loglik=-10.0,
                         posterior=np.full((3, K), 0.5), cov=np.diag(np.r_[np.full(K * d, 0.09), 1.0]),
                         names=["price", "camera"], n_respondents=3)
    coef = fit.coefficients()
    assert list(coef.index) == ["class 1: price", "class 1: camera", "class 2: price", "class 2: camera"]
    np.testing.assert_allclose(coef["std_error"], 0.3)
    assert isinstance(fit, Results) and "Latent-class logit" in str(fit.summary())
