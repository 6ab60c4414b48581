"""Latent-class logit: K classes of taste, each an MNL, with class shares; K chosen by BIC over several starts.

Hand-written because no library kept in the project fits it: xlogit has MNL and mixed logit only, biogeme
needs the likelihood spelt out class by class and pins pandas < 3 (see docs/segments.md). Estimation is
EM (one Newton step per class per iteration, so the likelihood never falls) followed by L-BFGS on the full
mixture likelihood with its analytic gradient; intervals come from the outer product of each respondent's
exact score (BHHH), which is the observed information of the mixture, not of the classes taken as known.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax

from upmarket.analyses.segments.design import ChoiceData
from upmarket.analyses.segments.mnl import _hessian, fit_mnl, task_probs, task_scores, wtp


@dataclass
class LatentClassFit:
    betas: np.ndarray  # (K, k)
    shares: np.ndarray  # (K,)
    loglik: float
    posterior: np.ndarray  # (R, K)
    cov: np.ndarray  # over θ = [β_1..β_K, γ_2..γ_K]
    names: list[str]
    n_respondents: int
    starts_loglik: list[float] = field(default_factory=list)

    @property
    def n_classes(self) -> int:
        return len(self.shares)

    @property
    def n_params(self) -> int:
        return self.betas.size + self.n_classes - 1

    @property
    def bic(self) -> float:
        return -2 * self.loglik + self.n_params * np.log(self.n_respondents)

    @property
    def aic(self) -> float:
        return -2 * self.loglik + 2 * self.n_params

    def beta_cov(self, k: int) -> np.ndarray:
        d = self.betas.shape[1]
        return self.cov[k * d:(k + 1) * d, k * d:(k + 1) * d]

    def wtp(self, k: int, level: float = 0.90) -> dict[str, tuple[float, float, float]]:
        return wtp(self.betas[k], self.beta_cov(k), self.names, level)

    def share_ci(self, level: float = 0.90) -> np.ndarray:
        """(K, 2) delta-method intervals for the class shares."""
        from scipy.stats import norm

        K, d = self.betas.shape
        z = norm.ppf(0.5 + level / 2)
        if K == 1:
            return np.array([[1.0, 1.0]])
        V = self.cov[K * d:, K * d:]
        J = (np.diag(self.shares) - np.outer(self.shares, self.shares))[:, 1:]  # ∂π/∂γ_2..K
        se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, V, J), 0, None))
        return np.column_stack([self.shares - z * se, self.shares + z * se])

    def assignments(self) -> np.ndarray:
        return self.posterior.argmax(axis=1)


def _class_ll(data: ChoiceData, betas: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Respondent log-likelihood per class (R, K) and each class's task probabilities."""
    R = data.n_respondents
    out = np.empty((R, len(betas)))
    probs = []
    for k, b in enumerate(betas):
        p, ll_t = task_probs(data, b)
        out[:, k] = np.bincount(data.resp_of_task, weights=ll_t, minlength=R)
        probs.append(p)
    return out, probs


def _unpack(theta: np.ndarray, K: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    return theta[:K * d].reshape(K, d), np.r_[0.0, theta[K * d:]]


def _negll_grad(theta: np.ndarray, data: ChoiceData, K: int, d: int) -> tuple[float, np.ndarray]:
    betas, gamma = _unpack(theta, K, d)
    logpi = gamma - logsumexp(gamma)
    lr, probs = _class_ll(data, betas)
    joint = lr + logpi
    ll_r = logsumexp(joint, axis=1)
    h = np.exp(joint - ll_r[:, None])
    g = np.empty_like(theta)
    for k in range(K):
        g[k * d:(k + 1) * d] = task_scores(data, probs[k]).T @ h[data.resp_of_task, k]
    g[K * d:] = (h - np.exp(logpi)).sum(axis=0)[1:]
    return -float(ll_r.sum()), -g


def _respondent_scores(data: ChoiceData, betas: np.ndarray, h: np.ndarray, pi: np.ndarray) -> np.ndarray:
    R, K = h.shape
    d = betas.shape[1]
    S = np.empty((R, K * d + K - 1))
    for k in range(K):
        p, _ = task_probs(data, betas[k])
        st = task_scores(data, p)
        per_r = np.column_stack([np.bincount(data.resp_of_task, weights=st[:, j], minlength=R) for j in range(d)])
        S[:, k * d:(k + 1) * d] = per_r * h[:, [k]]
    S[:, K * d:] = (h - pi)[:, 1:]
    return S


def _one_start(data: ChoiceData, K: int, rng: np.random.Generator, em_iter: int, init: np.ndarray | None
               ) -> tuple[float, np.ndarray]:
    R, d = data.n_respondents, data.X.shape[1]
    h = rng.dirichlet(np.ones(K) * 0.5, size=R)
    betas = np.tile(init if init is not None else np.zeros(d), (K, 1))
    pi = h.mean(axis=0)
    lr, probs = _class_ll(data, betas)
    for _ in range(em_iter):  # EM with one Newton step per class (the M-step is concave, so a step helps)
        w_t = h[data.resp_of_task]
        for k in range(K):
            g = task_scores(data, probs[k]).T @ w_t[:, k]
            H = _hessian(data, probs[k], w_t[:, k])
            with contextlib.suppress(np.linalg.LinAlgError):
                betas[k] = betas[k] + np.linalg.solve(H - 1e-6 * np.eye(d), -g)
        pi = h.mean(axis=0)
        lr, probs = _class_ll(data, betas)
        joint = lr + np.log(np.clip(pi, 1e-300, None))
        h = np.exp(joint - logsumexp(joint, axis=1)[:, None])
    theta0 = np.r_[betas.ravel(), np.log(np.clip(pi[1:], 1e-12, None) / max(pi[0], 1e-12))]
    res = minimize(_negll_grad, theta0, args=(data, K, d), jac=True, method="BFGS",
                   options={"maxiter": 2000, "gtol": 1e-4})
    return float(-res.fun), res.x


def fit_latent_class(data: ChoiceData, K: int, *, n_starts: int = 4, seed: int = 0, em_iter: int = 25
                     ) -> LatentClassFit:
    """The best of ``n_starts`` random starts; classes ordered by share, largest first."""
    d = data.X.shape[1]
    base = fit_mnl(data).params
    rng = np.random.default_rng(seed)
    runs = [_one_start(data, K, rng, em_iter, base) for _ in range(n_starts if K > 1 else 1)]
    lls = [r[0] for r in runs]
    ll, theta = runs[int(np.argmax(lls))]
    betas, gamma = _unpack(theta, K, d)
    pi = softmax(gamma)
    order = np.argsort(-pi, kind="stable")
    betas, pi = betas[order], pi[order]
    lr, _ = _class_ll(data, betas)
    joint = lr + np.log(pi)
    h = np.exp(joint - logsumexp(joint, axis=1)[:, None])
    S = _respondent_scores(data, betas, h, pi)
    cov = np.linalg.pinv(S.T @ S)
    if K == 1:
        cov = np.linalg.pinv(-_hessian(data, task_probs(data, betas[0])[0], np.ones(data.n_tasks)))
    return LatentClassFit(betas, pi, ll, h, cov, list(data.names), data.n_respondents, sorted(lls, reverse=True))


def select_classes(data: ChoiceData, max_classes: int = 6, *, n_starts: int = 4, seed: int = 0
                   ) -> tuple[LatentClassFit, list[LatentClassFit]]:
    """Fits for K = 1..max_classes; the one with the lowest BIC, and all of them.

    Stops early once BIC has risen twice in a row (more classes only fit noise from there on)."""
    fits: list[LatentClassFit] = []
    for K in range(1, max_classes + 1):
        fits.append(fit_latent_class(data, K, n_starts=n_starts, seed=seed + K))
        bics = [f.bic for f in fits]
        if len(bics) >= 3 and bics[-1] > bics[-2] > bics[-3]:
            break
    best = min(fits, key=lambda f: f.bic)
    return best, fits
