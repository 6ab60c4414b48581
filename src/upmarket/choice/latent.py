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

Within a class, the price coefficient may vary across respondents (``price_nodes`` > 0, the default): α_i =
α_k·exp(σ·x), x ~ N(0, 1), σ shared by the classes and estimated, the integral done by Gauss–Hermite quadrature
(each class becomes ``price_nodes`` sub-classes with fixed weights and scaled price coefficients). Without it,
people who differ only in price sensitivity inside a segment (income, city tier) can only be fitted as extra or
wrongly-sized classes: on the twin the plain model gave the gamer class 8 points too many and, with more data,
split the value segment in two (docs/segments.md).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax

from upmarket.choice.design import ChoiceData
from upmarket.choice.mnl import _hessian, fit_mnl, task_probs, wtp
from upmarket.estimation import CI_LEVEL, Results, coefficient_frame

HESSIAN_EVERY = 3  # EM iterations between Hessian refreshes (the Hessian is most of an EM step's cost)
PRICE_NODES = 3  # Gauss–Hermite nodes for the within-class lognormal price coefficient (0 = none)
SIGMA_START = 0.15  # starting σ of log α within a class
SD_MAX = 3.0  # σ = SD_MAX·expit(t), t unbounded: a line search can try any t without overflow
BIC_DECISIVE = 10.0  # a BIC rise this large stops the class enumeration


@dataclass
class LatentClassFit(Results):
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
    price_log_sd: float = 0.0  # σ of log α within a class (0 = one price coefficient per class)
    price_nodes: int = 0  # quadrature nodes used for σ (0 = no within-class heterogeneity)

    @property
    def n_classes(self) -> int:
        return len(self.shares)

    @property
    def n_params(self) -> int:
        q = 1 if self.Z is None else self.Z.shape[1]
        return self.betas.size + q * (self.n_classes - 1) + (1 if self.price_nodes else 0)

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

    summary_title = "Latent-class logit"

    def _coefficients(self) -> pd.DataFrame:
        """Each class's coefficients (``class 1: price`` …) with standard errors from the joint covariance."""
        K, d = self.betas.shape
        se = np.sqrt(np.clip(np.diag(self.cov)[:K * d], 0, None))
        labels = [f"class {k + 1}: {n}" for k in range(K) for n in self.names]
        return coefficient_frame(labels, self.betas.ravel(), se)

    def mean_beta(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Class k's coefficients with the price coefficient at its class mean α_k·exp(σ²/2), and their covariance.

        Willingness to pay of a segment is its brand utility over its *mean* price coefficient (the twin's truth
        and the usual segment-level reading); with σ = 0 this is just β_k."""
        d = self.betas.shape[1]
        b, V = self.betas[k].copy(), self.beta_cov(k)
        if not self.price_nodes:
            return b, V
        ip, s = self.names.index("price"), self.price_log_sd
        f = np.exp(s * s / 2)
        J = np.eye(d, d + 1)
        J[ip, ip] = f
        J[ip, d] = b[ip] * f * s * s * (1 - s / SD_MAX)  # ∂/∂t, σ = SD_MAX·expit(t)
        idx = np.r_[np.arange(k * d, (k + 1) * d), len(self.cov) - 1]
        b[ip] *= f
        return b, J @ self.cov[np.ix_(idx, idx)] @ J.T

    def wtp(self, k: int, level: float = CI_LEVEL) -> dict[str, tuple[float, float, float]]:
        return wtp(*self.mean_beta(k), self.names, level)

    def population_wtp(self, level: float = CI_LEVEL, n_draws: int = 400, seed: int = 0
                       ) -> dict[str, tuple[float, float, float]]:
        """Population WTP in CNY, the ratio of share-weighted mean coefficients −Σπ_kβ_kj / Σπ_kᾱ_k·1000 (price at
        each class's mean), with a 90 % interval from draws of the class coefficients β and the membership Γ from
        their joint covariance, σ held: name -> (wtp, low, high). The no-buy constant is left out."""
        K, d = self.betas.shape
        q = 1 if self.Z is None else self.Z.shape[1]
        Z = np.ones((self.n_respondents, 1)) if self.Z is None else self.Z
        ip = self.names.index("price")
        gamma = self.gamma if self.gamma is not None else np.c_[np.zeros((1, 1)), np.log(self.shares[1:] /
                                                                                     self.shares[0])[None, :]]
        theta = np.r_[self.betas.ravel(), gamma[:, 1:].ravel()]
        # σ is held at its estimate: at its boundary (σ̂ → 0) its unbounded parameter has no usable variance,
        # and draws of it would put the interval anywhere; its effect on a mean (exp(σ²/2)) is second order
        rng = np.random.default_rng(seed)
        cov = self.cov[:len(theta), :len(theta)]
        draws = np.vstack([theta, rng.multivariate_normal(theta, cov, size=n_draws, method="eigh")])
        f = np.exp(self.price_log_sd ** 2 / 2) if self.price_nodes else 1.0

        def ratio(th: np.ndarray) -> np.ndarray:
            b, G = _unpack(th, K, d, q)
            pi = softmax(Z @ G, axis=1).mean(axis=0)
            b = b.copy()
            b[:, ip] *= f
            mean = pi @ b
            return -mean / mean[ip] * 1000

        w = np.array([ratio(th) for th in draws])
        lo, hi = np.quantile(w[1:], [0.5 - level / 2, 0.5 + level / 2], axis=0)
        return {n: (float(w[0, j]), float(lo[j]), float(hi[j])) for j, n in enumerate(self.names)
                if n not in ("price", "none")}

    def price_multipliers(self) -> tuple[np.ndarray, np.ndarray]:
        """Multipliers exp(σ x_q) of α_k and their weights (one node of weight 1 when σ is not estimated)."""
        if not self.price_nodes:
            return np.ones(1), np.ones(1)
        x, w = _nodes(self.price_nodes)
        return np.exp(self.price_log_sd * x), w

    def share_ci(self, level: float = CI_LEVEL) -> np.ndarray:
        """(K, 2) delta-method intervals for the class shares (mean prior probabilities)."""
        from scipy.stats import norm

        K, d = self.betas.shape
        z = norm.ppf(0.5 + level / 2)
        if K == 1:
            return np.array([[1.0, 1.0]])
        q = 1 if self.Z is None else self.Z.shape[1]
        V = self.cov[K * d:K * d + q * (K - 1), K * d:K * d + q * (K - 1)]
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

    @property
    def reps(self) -> np.ndarray:
        """Tasks per respondent (R,)."""
        return np.diff(np.r_[self.rstarts, self.avail.shape[1]])

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



@dataclass
class LatentSegments:
    """The ``latent_classes`` artefact: the chosen fit, every K tried, the classes' names and the fit's warnings.

    One fit per run shared by segments, demand (consumer types) and pricing_plan (segment prices).
    """

    best: LatentClassFit
    fits: list[LatentClassFit]
    names: list[str]
    warnings: list[str] = field(default_factory=list)

def _unpack(theta: np.ndarray, K: int, d: int, q: int) -> tuple[np.ndarray, np.ndarray]:
    """β (K, d) and Γ (q, K) with a zero column for the base class (θ = [β, Γ, t if σ is estimated])."""
    return theta[:K * d].reshape(K, d), np.c_[np.zeros((q, 1)), theta[K * d:K * d + q * (K - 1)].reshape(q, K - 1)]


def _sd(t: float) -> float:
    """σ from its unbounded parameter t (the last entry of θ)."""
    from scipy.special import expit

    return float(SD_MAX * expit(t))


def _nodes(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Hermite nodes for N(0, 1) and their weights (summing to 1)."""
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return x, w / w.sum()


@dataclass
class _Het:
    """Within-class lognormal price coefficient: quadrature nodes and the price column."""

    x: np.ndarray
    logw: np.ndarray
    ip: int

    @classmethod
    def of(cls, n_nodes: int, ip: int) -> _Het | None:
        if n_nodes <= 0:
            return None
        x, w = _nodes(n_nodes)
        return cls(x, np.log(w), ip)

    def expand(self, betas: np.ndarray, sd: float) -> tuple[np.ndarray, np.ndarray]:
        """β per (class, node), (K·Q, d), price coefficient × exp(σ x_q); and the multipliers tiled (K·Q,)."""
        K, Q = len(betas), len(self.x)
        m = np.tile(np.exp(sd * self.x), K)
        b = np.repeat(betas, Q, axis=0)
        b[:, self.ip] *= m
        return b, m


def _posterior(lr: np.ndarray, logpi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    joint = lr + logpi
    ll_r = logsumexp(joint, axis=1)
    return np.exp(joint - ll_r[:, None]), ll_r


def _mixture(theta: np.ndarray, A: _Arrays, K: int, d: int, Z: np.ndarray, het: _Het | None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Respondent log-likelihoods (R,), posteriors over (class, node) (R, K·Q), probabilities (J, T, K·Q),
    the expanded β (K·Q, d), price multipliers (K·Q,) and log prior class probabilities (R, K)."""
    betas, G = _unpack(theta, K, d, Z.shape[1])
    eta = Z @ G
    logpi = eta - logsumexp(eta, axis=1, keepdims=True)
    if het is None:
        bkq, m, lw = betas, np.ones(K), logpi
    else:
        bkq, m = het.expand(betas, _sd(theta[-1]))
        lw = np.repeat(logpi, len(het.x), axis=1) + np.tile(het.logw, K)[None]
    lr, P = A.class_ll(bkq)
    h, ll_r = _posterior(lr, lw)
    return ll_r, h, P, bkq, m, logpi


def _negll_grad(theta: np.ndarray, A: _Arrays, K: int, d: int, Z: np.ndarray, het: _Het | None = None
                ) -> tuple[float, np.ndarray]:
    ll_r, h, P, bkq, m, logpi = _mixture(theta, A, K, d, Z, het)
    Gkq = A.beta_grad(P, np.repeat(h, A.reps, axis=0))  # (K·Q, d)
    g = np.empty_like(theta)
    q = Z.shape[1]
    if het is not None:
        Q = len(het.x)
        s = _sd(theta[-1])
        g[-1] = float((Gkq[:, het.ip] * bkq[:, het.ip] * np.tile(het.x, K)).sum() * s * (1 - s / SD_MAX))  # ∂/∂t
        Gkq[:, het.ip] *= m
        Gkq = Gkq.reshape(K, Q, d).sum(axis=1)
        h = h.reshape(len(h), K, Q).sum(axis=2)
    g[:K * d] = Gkq.ravel()
    g[K * d:K * d + q * (K - 1)] = (Z.T @ (h - np.exp(logpi)))[:, 1:].ravel()
    return -float(ll_r.sum()), -g


def _respondent_scores(theta: np.ndarray, A: _Arrays, K: int, d: int, Z: np.ndarray, het: _Het | None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Each respondent's score of the mixture log-likelihood, (R, len(θ)), and the class posteriors (R, K)."""
    _, h, P, bkq, m, logpi = _mixture(theta, A, K, d, Z, het)
    R = h.shape[0]
    per_r = A.per_respondent(A.task_scores(P)) * h[..., None]  # (R, K·Q, d)
    extra = []
    if het is not None:
        Q = len(het.x)
        s = _sd(theta[-1])
        extra = [(per_r[..., het.ip] * bkq[:, het.ip] * np.tile(het.x, K)).sum(axis=1) * s * (1 - s / SD_MAX)]
        per_r[..., het.ip] *= m
        per_r = per_r.reshape(R, K, Q, d).sum(axis=2)
        h = h.reshape(R, K, Q).sum(axis=2)
    g_gamma = np.einsum("rj,rl->rjl", Z, (h - np.exp(logpi))[:, 1:]).reshape(R, -1)
    return np.column_stack([per_r.reshape(R, -1), g_gamma, *extra]), h


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


def _polish(A: _Arrays, K: int, theta0: np.ndarray, Z: np.ndarray, het: _Het | None = None
            ) -> tuple[float, np.ndarray]:
    """BFGS on the full mixture likelihood from an EM solution (EM is slow near the optimum, BFGS is not)."""
    res = minimize(_negll_grad, theta0, args=(A, K, A.X2.shape[1], Z, het), jac=True, method="BFGS",
                   options={"maxiter": 3000, "gtol": 1e-4})
    return float(-res.fun), res.x


def fit_latent_class(data: ChoiceData, K: int, *, n_starts: int = 4, seed: int = 0, em_iter: int = 12,
                     Z: np.ndarray | None = None, covariates: list[str] | None = None,
                     price_nodes: int = PRICE_NODES) -> LatentClassFit:
    """The best of ``n_starts`` random starts; classes ordered by share, largest first.

    ``Z`` (R × q, rows in ``data.respondents`` order, first column the constant) lets class membership depend on
    observed respondent traits (a concomitant-variable model: π_rk = softmax(Z_r Γ)_k); without it the shares
    are the same for everyone. Every start runs ``em_iter`` EM steps (constant shares, no σ); only the start with
    the highest likelihood after EM is polished by BFGS over β, Γ and σ (on the twin without σ, 12 starts × 40 EM
    steps end at the same optimum as 3 × 12). ``starts_loglik`` holds the EM likelihoods of all starts.
    ``price_nodes`` > 0 adds the within-class lognormal price coefficient (module docstring)."""
    from threadpoolctl import threadpool_limits

    d = data.X.shape[1]
    A = _Arrays.of(data)
    Zm = np.ones((data.n_respondents, 1)) if Z is None else np.asarray(Z, float)
    if Zm.shape[0] != data.n_respondents or not np.allclose(Zm[:, 0], 1.0):
        raise ValueError("latent class: Z needs one row per respondent and a constant first column")
    q = Zm.shape[1]
    het = _Het.of(price_nodes, data.price_index)
    base = fit_mnl(data).params
    rng = np.random.default_rng(seed)
    with threadpool_limits(1):  # products with a dozen columns: BLAS threads only add overhead
        runs = [_em(A, K, rng, em_iter, base) for _ in range(n_starts if K > 1 else 1)]
        lls = [r[0] for r in runs]
        th = runs[int(np.argmax(lls))][1]
        theta0 = np.r_[th[:K * d], np.zeros(q * (K - 1)), [np.log(SIGMA_START / (SD_MAX - SIGMA_START))] if het else []]
        theta0[K * d:K * d + K - 1] = th[K * d:]  # the constant's row of Γ
        ll, theta = _polish(A, K, theta0, Zm, het) if K > 1 or het else (runs[0][0], theta0)
        betas, G = _unpack(theta, K, d, q)
        pi_r = softmax(Zm @ G, axis=1)
        order = np.argsort(-pi_r.mean(axis=0), kind="stable")
        betas, G = betas[order], G[:, order] - G[:, [order[0]]]
        theta = np.r_[betas.ravel(), G[:, 1:].ravel(), theta[K * d + q * (K - 1):]]
        pi_r = softmax(Zm @ G, axis=1)
        if K == 1 and het is None:
            lr, _ = A.class_ll(betas)
            h, ll_r = _posterior(lr, np.log(pi_r))
            ll = float(ll_r.sum())
            cov = np.linalg.pinv(-_hessian(data, task_probs(data, betas[0])[0], np.ones(data.n_tasks)))
        else:
            S, h = _respondent_scores(theta, A, K, d, Zm, het)
            cov = np.linalg.pinv(S.T @ S)
    return LatentClassFit(betas, pi_r.mean(axis=0), ll, h, cov, list(data.names), data.n_respondents,
                          sorted(lls, reverse=True), None if Z is None else Zm, None if Z is None else G,
                          list(covariates or []), _sd(theta[-1]) if het else 0.0,
                          price_nodes if het else 0)


def select_classes(data: ChoiceData, max_classes: int = 6, *, n_starts: int = 4, seed: int = 0,
                   Z: np.ndarray | None = None, covariates: list[str] | None = None, price_nodes: int = PRICE_NODES
                   ) -> tuple[LatentClassFit, list[LatentClassFit]]:
    """Fits for K = 1..max_classes; the one with the lowest BIC, and all of them.

    Stops once BIC has risen twice in a row, or once by more than ``BIC_DECISIVE`` (10: "very strong" evidence
    against the extra class, Kass & Raftery 1995); more classes only fit noise from there on. K = 1 needs one
    start; a K two or more above the best so far (only there to confirm that BIC keeps rising) gets one."""
    fits: list[LatentClassFit] = []
    for K in range(1, max_classes + 1):
        best_k = min(fits, key=lambda f: f.bic).n_classes if fits else 1
        starts = n_starts if best_k + 1 >= K else 1
        fits.append(fit_latent_class(data, K, n_starts=starts, seed=seed + K, Z=Z, covariates=covariates,
                                     price_nodes=price_nodes))
        bics = [f.bic for f in fits]
        if len(bics) >= 3 and bics[-1] > bics[-2] > bics[-3]:
            break
        if len(bics) >= 2 and bics[-1] > min(bics[:-1]) + BIC_DECISIVE:
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
