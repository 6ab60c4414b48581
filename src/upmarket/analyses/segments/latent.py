"""Latent-class logit: K classes of taste, each an MNL, with class shares; K chosen by BIC over several starts.

Hand-written because no library kept in the project fits it: xlogit has MNL and mixed logit only, biogeme
needs the likelihood spelt out class by class and pins pandas < 3 (see docs/segments.md). Estimation is
EM (one Newton step per class per iteration) followed by BFGS on the full
mixture likelihood with its analytic gradient; intervals come from the outer product of each respondent's
exact score (BHHH), which is the observed information of the mixture, not of the classes taken as known.

Every step is computed for all K classes at once: utilities are one (rows × attributes) @ (attributes × K)
product, gradients one product back, respondent sums one ``np.add.reduceat`` (tasks are sorted by respondent).
On 2,000 respondents × 12 tasks one likelihood-and-gradient evaluation takes a few milliseconds.

Class membership may depend on respondent covariates Z (concomitant variables): π_rk = softmax(Z_r Γ)_k; with Z
only a constant this is the usual model with one share per class.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax

from upmarket.analyses.segments.design import ChoiceData
from upmarket.analyses.segments.mnl import _hessian, fit_mnl, task_probs, wtp

HESSIAN_EVERY = 3  # EM iterations between Hessian refreshes (the Hessian is most of an EM step's cost)


@dataclass
class LatentClassFit:
    betas: np.ndarray  # (K, k)
    shares: np.ndarray  # (K,) mean over respondents of their prior class probabilities
    loglik: float
    posterior: np.ndarray  # (R, K)
    cov: np.ndarray  # over θ = [β_1..β_K, Γ (q × K−1, row-major)]
    names: list[str]
    n_respondents: int
    starts_loglik: list[float] = field(default_factory=list)
    Z: np.ndarray | None = None  # (R, q) membership covariates, first column the constant; None = constant only
    gamma: np.ndarray | None = None  # (q, K) membership coefficients, column 0 = 0 (the base class)
    covariates: list[str] = field(default_factory=list)

    @property
    def n_classes(self) -> int:
        return len(self.shares)

    @property
    def n_params(self) -> int:
        q = 1 if self.Z is None else self.Z.shape[1]
        return self.betas.size + q * (self.n_classes - 1)

    @property
    def bic(self) -> float:
        return -2 * self.loglik + self.n_params * np.log(self.n_respondents)

    @property
    def aic(self) -> float:
        return -2 * self.loglik + 2 * self.n_params

    @property
    def priors(self) -> np.ndarray:
        """(R, K) class probabilities before seeing the choices (from the membership covariates)."""
        if self.gamma is None or self.Z is None:
            return np.tile(self.shares, (self.n_respondents, 1))
        return softmax(self.Z @ self.gamma, axis=1)

    def beta_cov(self, k: int) -> np.ndarray:
        d = self.betas.shape[1]
        return self.cov[k * d:(k + 1) * d, k * d:(k + 1) * d]

    def wtp(self, k: int, level: float = 0.90) -> dict[str, tuple[float, float, float]]:
        return wtp(self.betas[k], self.beta_cov(k), self.names, level)

    def share_ci(self, level: float = 0.90) -> np.ndarray:
        """(K, 2) delta-method intervals for the class shares (mean prior probabilities)."""
        from scipy.stats import norm

        K, d = self.betas.shape
        z = norm.ppf(0.5 + level / 2)
        if K == 1:
            return np.array([[1.0, 1.0]])
        V = self.cov[K * d:, K * d:]
        Z = np.ones((self.n_respondents, 1)) if self.Z is None else self.Z
        P = self.priors
        # ∂ mean_r π_rk / ∂Γ_jl = mean_r π_rk (1[k=l] − π_rl) Z_rj, l = 2..K, laid out (j, l) row-major
        J = np.einsum("rk,kl,rj->kjl", P, np.eye(K), Z)[..., 1:] - np.einsum("rk,rl,rj->kjl", P, P, Z)[..., 1:]
        J = J.reshape(K, -1) / self.n_respondents
        se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, V, J), 0, None))
        return np.column_stack([self.shares - z * se, self.shares + z * se])

    def assignments(self) -> np.ndarray:
        return self.posterior.argmax(axis=1)


@dataclass
class _Arrays:
    """The design laid out slot-major for class-vectorised work: row j·T + t is slot j of task t (padded).

    Slot-major keeps every reduction over a task's alternatives a sum over the first axis of contiguous
    (T, K) blocks, which NumPy does several times faster than a reduction over a short middle axis."""

    X2: np.ndarray  # (J*T, d)
    avail: np.ndarray  # (J, T)
    onehot: np.ndarray  # (J, T) 1 at the chosen slot
    xc: np.ndarray  # (T, d) attributes of the chosen alternative
    rstarts: np.ndarray  # (R,) first task of each respondent
    chosen_row: np.ndarray  # (T,) row of X2 that was chosen
    pad: np.ndarray | None  # (J, T, 1) −inf at padding slots, None when every task is full

    @classmethod
    def of(cls, data: ChoiceData) -> _Arrays:
        X3, avail, cpos = data.padded
        T, J, d = X3.shape
        if np.any(np.diff(data.resp_of_task) < 0):
            raise ValueError("latent class: tasks must be sorted by respondent (build_design does this)")
        onehot = np.zeros((J, T))
        onehot[cpos, np.arange(T)] = 1.0
        rstarts = np.flatnonzero(np.r_[True, np.diff(data.resp_of_task) != 0])
        Xs = np.ascontiguousarray(X3.transpose(1, 0, 2))
        pad = None if avail.all() else np.where(avail.T, 0.0, -np.inf)[..., None]
        return cls(Xs.reshape(J * T, d), np.ascontiguousarray(avail.T), onehot, X3[np.arange(T), cpos], rstarts,
                   cpos * T + np.arange(T), pad)

    @property
    def shape(self) -> tuple[int, int, int]:
        J, T = self.avail.shape
        return J, T, self.X2.shape[1]

    def probs(self, betas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Choice probabilities (J, T, K) and each task's log-likelihood per class (T, K)."""
        J, T, _ = self.shape
        V = (self.X2 @ np.ascontiguousarray(betas.T)).reshape(J, T, -1)
        if self.pad is not None:
            V += self.pad
        vmax = V.max(axis=0)
        E = np.exp(V - vmax)
        S = E.sum(axis=0)
        P = E / S
        ll_t = V.reshape(J * T, -1)[self.chosen_row] - vmax - np.log(S)
        return P, ll_t

    def per_respondent(self, x: np.ndarray) -> np.ndarray:
        return np.add.reduceat(x, self.rstarts, axis=0)

    def class_ll(self, betas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Respondent log-likelihood per class (R, K) and the probabilities (J, T, K)."""
        P, ll_t = self.probs(betas)
        return self.per_respondent(ll_t), P

    def beta_grad(self, P: np.ndarray, w_t: np.ndarray) -> np.ndarray:
        """Σ_t w_tk (x_chosen − Σ_j p_tjk x_tj) for every class, shape (K, d)."""
        J, T, _ = self.shape
        resid = (self.onehot[..., None] - P) * w_t[None]
        return (self.X2.T @ resid.reshape(J * T, -1)).T

    def xbar(self, P: np.ndarray) -> np.ndarray:
        """Expected attributes per task and class, (T, K, d)."""
        J, T, d = self.shape
        X3 = self.X2.reshape(J, T, d)
        return sum(P[j][:, :, None] * X3[j][:, None, :] for j in range(J))

    def hessian(self, P_k: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Hessian of the w-weighted log-likelihood of one class (d, d); ``P_k`` is (J, T)."""
        xbar = self.xbar(P_k[..., None])[:, 0, :]
        return -(self.X2 * (P_k * w[None]).reshape(-1, 1)).T @ self.X2 + (xbar * w[:, None]).T @ xbar

    def task_scores(self, P: np.ndarray) -> np.ndarray:
        """x_chosen − x̄ per task and class, (T, K, d)."""
        return self.xc[:, None, :] - self.xbar(P)


def _unpack(theta: np.ndarray, K: int, d: int, q: int) -> tuple[np.ndarray, np.ndarray]:
    """β (K, d) and Γ (q, K) with a zero column for the base class."""
    return theta[:K * d].reshape(K, d), np.c_[np.zeros((q, 1)), theta[K * d:].reshape(q, K - 1)]


def _posterior(lr: np.ndarray, logpi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    joint = lr + logpi
    ll_r = logsumexp(joint, axis=1)
    return np.exp(joint - ll_r[:, None]), ll_r


def _negll_grad(theta: np.ndarray, A: _Arrays, K: int, d: int, Z: np.ndarray) -> tuple[float, np.ndarray]:
    betas, G = _unpack(theta, K, d, Z.shape[1])
    eta = Z @ G
    logpi = eta - logsumexp(eta, axis=1, keepdims=True)
    lr, P = A.class_ll(betas)
    h, ll_r = _posterior(lr, logpi)
    g = np.empty_like(theta)
    g[:K * d] = A.beta_grad(P, np.repeat(h, np.diff(np.r_[A.rstarts, A.avail.shape[1]]), axis=0)).ravel()
    g[K * d:] = (Z.T @ (h - np.exp(logpi)))[:, 1:].ravel()
    return -float(ll_r.sum()), -g


def _respondent_scores(A: _Arrays, betas: np.ndarray, h: np.ndarray, pi: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """Each respondent's score of the mixture log-likelihood, (R, K·d + q·(K − 1)); ``pi`` is (R, K)."""
    R = h.shape[0]
    P, _ = A.probs(betas)
    per_r = A.per_respondent(A.task_scores(P))  # (R, K, d)
    g_gamma = np.einsum("rj,rl->rjl", Z, (h - pi)[:, 1:]).reshape(R, -1)
    return np.column_stack([(per_r * h[..., None]).reshape(R, -1), g_gamma])


def _em(A: _Arrays, K: int, rng: np.random.Generator, em_iter: int, init: np.ndarray) -> tuple[float, np.ndarray]:
    """One random start: ``em_iter`` EM steps (one Newton step per class in the M-step, which is concave)."""
    R = len(A.rstarts)
    d = A.X2.shape[1]
    reps = np.diff(np.r_[A.rstarts, A.avail.shape[1]])
    h = rng.dirichlet(np.ones(K) * 0.5, size=R)
    betas = np.tile(init, (K, 1))
    _, P = A.class_ll(betas)
    ll = -np.inf
    H = np.empty((K, d, d))
    for it in range(em_iter):
        w_t = np.repeat(h, reps, axis=0)
        G = A.beta_grad(P, w_t)
        for k in range(K):
            if it % HESSIAN_EVERY == 0:  # the Hessian moves slowly; a stale one still gives an ascent direction
                H[k] = A.hessian(P[..., k], w_t[:, k]) - 1e-6 * np.eye(d)
            with contextlib.suppress(np.linalg.LinAlgError):
                betas[k] = betas[k] + np.linalg.solve(H[k], -G[k])
        pi = h.mean(axis=0)
        lr, P = A.class_ll(betas)
        h, ll_r = _posterior(lr, np.log(np.clip(pi, 1e-300, None)))
        ll = float(ll_r.sum())
    pi = h.mean(axis=0)
    return ll, np.r_[betas.ravel(), np.log(np.clip(pi[1:], 1e-12, None) / max(pi[0], 1e-12))]


def _polish(A: _Arrays, K: int, theta0: np.ndarray, Z: np.ndarray) -> tuple[float, np.ndarray]:
    """BFGS on the full mixture likelihood from an EM solution (EM is slow near the optimum, BFGS is not)."""
    res = minimize(_negll_grad, theta0, args=(A, K, A.X2.shape[1], Z), jac=True, method="BFGS",
                   options={"maxiter": 3000, "gtol": 1e-4})
    return float(-res.fun), res.x


def fit_latent_class(data: ChoiceData, K: int, *, n_starts: int = 4, seed: int = 0, em_iter: int = 12,
                     Z: np.ndarray | None = None, covariates: list[str] | None = None) -> LatentClassFit:
    """The best of ``n_starts`` random starts; classes ordered by share, largest first.

    ``Z`` (R × q, rows in ``data.respondents`` order, first column the constant) lets class membership depend on
    observed respondent traits (a concomitant-variable model: π_rk = softmax(Z_r Γ)_k); without it the shares
    are the same for everyone. Every start runs ``em_iter`` EM steps (constant shares); only the start with the
    highest likelihood after EM is polished by BFGS over β and Γ (on the twin, starts that reach the same EM
    likelihood end at the same optimum). ``starts_loglik`` holds the EM likelihoods of all starts."""
    from threadpoolctl import threadpool_limits

    d = data.X.shape[1]
    A = _Arrays.of(data)
    Zm = np.ones((data.n_respondents, 1)) if Z is None else np.asarray(Z, float)
    if Zm.shape[0] != data.n_respondents or not np.allclose(Zm[:, 0], 1.0):
        raise ValueError("latent class: Z needs one row per respondent and a constant first column")
    q = Zm.shape[1]
    base = fit_mnl(data).params
    rng = np.random.default_rng(seed)
    with threadpool_limits(1):  # products with a dozen columns: BLAS threads only add overhead
        runs = [_em(A, K, rng, em_iter, base) for _ in range(n_starts if K > 1 else 1)]
        lls = [r[0] for r in runs]
        th = runs[int(np.argmax(lls))][1]
        theta0 = np.r_[th[:K * d], np.zeros(q * (K - 1))]
        theta0[K * d:K * d + K - 1] = th[K * d:]  # the constant's row of Γ
        ll, theta = _polish(A, K, theta0, Zm) if K > 1 else (runs[0][0], theta0)
    betas, G = _unpack(theta, K, d, q)
    pi_r = softmax(Zm @ G, axis=1)
    order = np.argsort(-pi_r.mean(axis=0), kind="stable")
    betas, G = betas[order], G[:, order] - G[:, [order[0]]]
    pi_r = softmax(Zm @ G, axis=1)
    lr, _ = A.class_ll(betas)
    h, ll_r = _posterior(lr, np.log(pi_r))
    if K == 1:
        ll = float(ll_r.sum())
        cov = np.linalg.pinv(-_hessian(data, task_probs(data, betas[0])[0], np.ones(data.n_tasks)))
    else:
        S = _respondent_scores(A, betas, h, pi_r, Zm)
        cov = np.linalg.pinv(S.T @ S)
    return LatentClassFit(betas, pi_r.mean(axis=0), ll, h, cov, list(data.names), data.n_respondents,
                          sorted(lls, reverse=True), None if Z is None else Zm, None if Z is None else G,
                          list(covariates or []))


def select_classes(data: ChoiceData, max_classes: int = 6, *, n_starts: int = 4, seed: int = 0,
                   Z: np.ndarray | None = None, covariates: list[str] | None = None
                   ) -> tuple[LatentClassFit, list[LatentClassFit]]:
    """Fits for K = 1..max_classes; the one with the lowest BIC, and all of them.

    Stops once BIC has risen twice in a row (more classes only fit noise from there on). K = 1 needs one start;
    a K two or more above the best so far (only there to confirm that BIC keeps rising) gets one."""
    fits: list[LatentClassFit] = []
    for K in range(1, max_classes + 1):
        best_k = min(fits, key=lambda f: f.bic).n_classes if fits else 1
        starts = n_starts if best_k + 1 >= K else 1
        fits.append(fit_latent_class(data, K, n_starts=starts, seed=seed + K, Z=Z, covariates=covariates))
        bics = [f.bic for f in fits]
        if len(bics) >= 3 and bics[-1] > bics[-2] > bics[-3]:
            break
    best = min(fits, key=lambda f: f.bic)
    return best, fits


def membership_covariates(traits: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Z for the membership model from categorical respondent traits (one row per respondent, in order):
    a constant plus dummies against each trait's most common level; a missing value is its own level."""
    t = traits.astype(object).where(traits.notna(), "?").astype(str)
    cols: list[np.ndarray] = [np.ones(len(t))]
    names = ["const"]
    for c in t.columns:
        levels = t[c].value_counts().index
        for lv in levels[1:]:
            x = (t[c] == lv).to_numpy(float)
            if x.sum() >= 5:  # a level held by a handful only adds an unidentified coefficient
                cols.append(x)
                names.append(f"{c}={lv}")
    return np.column_stack(cols), names
