"""Multinomial (conditional) logit by Newton's method with analytic gradient and Hessian, task weights allowed.

Written out rather than borrowed because the latent-class EM calls it hundreds of times with posterior
weights; it agrees with statsmodels' ConditionalLogit to 1e-6 (tests/analyses/segments). Tasks are padded
to the largest choice set so everything is a dense (tasks × alternatives × attributes) array operation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from upmarket.choice.design import ChoiceData
from upmarket.estimation import CI_LEVEL, Results, coefficient_frame


@dataclass
class MNLFit(Results):
    params: np.ndarray
    cov: np.ndarray
    loglik: float
    names: list[str]
    converged: bool
    iterations: int

    summary_title = "Multinomial logit"

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.cov), 0, None))

    def _coefficients(self) -> pd.DataFrame:
        return coefficient_frame(list(self.names), self.params, self.se)

    def _warning_texts(self) -> list[str]:
        return [] if self.converged else [f"the MNL did not converge in {self.iterations} iterations"]


def task_probs(data: ChoiceData, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Choice probabilities (T, J) and the log-likelihood of each task (T,)."""
    X3, avail, cpos = data.padded
    v = np.where(avail, X3 @ beta, -np.inf)
    vmax = v.max(axis=1)
    e = np.exp(v - vmax[:, None])
    denom = e.sum(axis=1)
    p = e / denom[:, None]
    ll_t = v[np.arange(len(cpos)), cpos] - vmax - np.log(denom)
    return p, ll_t


def task_scores(data: ChoiceData, p: np.ndarray) -> np.ndarray:
    """Per-task score x_chosen − Σ p·x, shape (T, k)."""
    X3, _, cpos = data.padded
    return X3[np.arange(len(cpos)), cpos] - (p[:, None, :] @ X3)[:, 0, :]


def _hessian(data: ChoiceData, p: np.ndarray, w: np.ndarray) -> np.ndarray:
    X3 = data.padded[0]
    k = X3.shape[2]
    xbar = (p[:, None, :] @ X3)[:, 0, :]
    X2 = X3.reshape(-1, k)
    return -(X2 * (p * w[:, None]).reshape(-1, 1)).T @ X2 + (xbar * w[:, None]).T @ xbar


def fit_mnl(data: ChoiceData, weights: np.ndarray | None = None, start: np.ndarray | None = None,
            tol: float = 1e-10, max_iter: int = 100) -> MNLFit:
    """Maximum likelihood with optional per-task weights (used by the latent-class M-step)."""
    k = data.X.shape[1]
    w = np.ones(data.n_tasks) if weights is None else np.asarray(weights, float)
    beta = np.zeros(k) if start is None else np.array(start, float)
    p, ll_t = task_probs(data, beta)
    ll = float(w @ ll_t)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        g = task_scores(data, p).T @ w
        H = _hessian(data, p, w)
        try:
            step = np.linalg.solve(H - 1e-9 * np.eye(k), -g)
        except np.linalg.LinAlgError:
            step = g * 1e-3
        t = 1.0
        while True:
            nb = beta + t * step
            np_, nll_t = task_probs(data, nb)
            nll = float(w @ nll_t)
            if nll >= ll - 1e-12 or t < 1e-8:
                break
            t /= 2
        beta, p = nb, np_
        done = abs(nll - ll) < tol * (1 + abs(ll)) and np.max(np.abs(t * step)) < 1e-7
        ll = nll
        if done:
            converged = True
            break
    cov = np.linalg.pinv(-_hessian(data, p, w))
    return MNLFit(beta, cov, ll, list(data.names), converged, it)


def wtp(params: np.ndarray, cov: np.ndarray, names: list[str], level: float = CI_LEVEL
        ) -> dict[str, tuple[float, float, float]]:
    """Willingness to pay in CNY, −β_k/β_price·1000, with delta-method intervals: name -> (wtp, low, high)."""
    ip = names.index("price")
    bp = params[ip]
    z = norm.ppf(0.5 + level / 2)
    out = {}
    for j, n in enumerate(names):
        if j == ip:
            continue
        w = -params[j] / bp * 1000
        grad = np.zeros(len(params))
        grad[j] = -1000 / bp
        grad[ip] = params[j] * 1000 / bp**2
        se = float(np.sqrt(max(grad @ cov @ grad, 0.0)))
        out[n] = (float(w), float(w - z * se), float(w + z * se))
    return out
