"""Mixed logit with random price and brand coefficients (xlogit), and the population distribution of WTP.

xlogit 0.2.7 (numpy + scipy only) rather than biogeme: biogeme pins pandas < 3 and, installed into the
project venv, downgraded pandas 3.1.1 to 2.3.3 (docs/segments.md), which the rest of the package cannot take.
The price coefficient is lognormal (every respondent dislikes price: xlogit's ``ln`` on −price), brand
coefficients normal, other attributes fixed; the panel structure (tasks of one respondent share draws) is used.

WTP for brand b of respondent i is β_b,i / α_i · 1000 CNY; its population distribution is summarised by
median, 5th and 95th percentiles and the share of people who would pay anything, each with a 90 % interval
from ``n_param_draws`` draws of the estimates from their covariance (a parametric bootstrap).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from upmarket.choice.design import ChoiceData
from upmarket.estimation import CI_LEVEL

NEG_PRICE = "neg_price"


@dataclass
class MixedFit:
    names: list[str]  # design names (as in ChoiceData)
    mean: np.ndarray  # coefficient means; for price: mean of log(α) (α = −price coefficient)
    sd: dict[str, float]  # name -> sd of the coefficient (for price: of log α)
    cov: np.ndarray  # over xlogit's [means..., sds...]
    coef_names: list[str]  # xlogit's coefficient names, matching cov
    loglik: float
    n_draws: int
    seconds: float
    converged: bool

    def draws(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Population draws: α (n,) and each random brand coefficient (n,)."""
        ip = self.names.index("price")
        alpha = np.exp(self.mean[ip] + abs(self.sd["price"]) * rng.standard_normal(n))
        brands = {m: self.mean[j] + abs(self.sd.get(m, 0.0)) * rng.standard_normal(n)
                  for j, m in enumerate(self.names) if m.startswith("brand=")}
        return alpha, brands


def _xl_name(n: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in n)


def xlogit_inputs(data: ChoiceData) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray, np.ndarray,
                                            np.ndarray, np.ndarray]:
    """X, y, varnames, alts, ids, avail, panels in xlogit's long layout (tasks padded; −price)."""
    X3, avail, cpos = data.padded
    T, J, k = X3.shape
    X = X3.reshape(T * J, k).copy()
    ip = data.price_index
    X[:, ip] *= -1.0
    names = [_xl_name(n) for n in data.names]
    names[ip] = NEG_PRICE
    y = np.zeros((T, J), dtype=int)
    y[np.arange(T), cpos] = 1
    return (X, y.ravel(), names, np.tile(np.arange(J), T), np.repeat(np.arange(T), J), avail.ravel().astype(int),
            np.repeat(data.resp_of_task, J))


def fit_mixed(data: ChoiceData, *, n_draws: int = 50, seed: int = 0, maxiter: int = 300) -> MixedFit:
    """Panel mixed logit: lognormal α, normal brand coefficients, the rest fixed (Halton draws)."""
    from xlogit import MixedLogit

    X, y, xn, alts, ids, avail, panels = xlogit_inputs(data)
    randvars = {NEG_PRICE: "ln", **{x: "n" for x, n in zip(xn, data.names, strict=True) if n.startswith("brand=")}}
    t0 = time.perf_counter()
    m = MixedLogit()
    m.fit(X, y, xn, alts, ids, randvars, avail=avail, panels=panels, n_draws=n_draws, random_state=seed,
          verbose=0, maxiter=maxiter)
    secs = time.perf_counter() - t0
    back = dict(zip(xn, data.names, strict=True))
    coef = dict(zip(m.coeff_names, m.coeff_, strict=True))
    mean = np.array([coef[x] for x in xn])
    sd = {back[c[3:]]: float(v) for c, v in coef.items() if c.startswith("sd.")}
    return MixedFit(list(data.names), mean, sd, np.asarray(m.covariance), list(m.coeff_names),
                    float(m.loglikelihood), n_draws, secs, bool(m.convergence))


def _summ(w: np.ndarray) -> np.ndarray:
    """Median, 5th and 95th percentile and share > 0 of each row of draws (rows = brands)."""
    return np.column_stack([np.median(w, axis=1), np.percentile(w, 5, axis=1), np.percentile(w, 95, axis=1),
                            (w > 0).mean(axis=1)])


def wtp_distribution(fit: MixedFit, *, n_people: int = 5000, n_param_draws: int = 100, level: float = CI_LEVEL,
                     seed: int = 0) -> pd.DataFrame:
    """Per brand: the WTP distribution's median, p5, p95 and share willing to pay more, each with an interval."""
    rng = np.random.default_rng(seed)
    xn = [_xl_name(n) if n != "price" else NEG_PRICE for n in fit.names]
    pos = {c: i for i, c in enumerate(fit.coef_names)}
    theta = np.array([fit.mean[j] for j in range(len(xn))]
                     + [fit.sd[n] for n in fit.names if n in fit.sd])
    sd_names = [n for n in fit.names if n in fit.sd]
    order = [pos[x] for x in xn] + [pos["sd." + (NEG_PRICE if n == "price" else _xl_name(n))] for n in sd_names]
    V = fit.cov[np.ix_(order, order)]
    brands = [n for n in fit.names if n.startswith("brand=")]
    z = rng.standard_normal((n_people, 1 + len(brands)))  # common random numbers across parameter draws

    def summaries(th: np.ndarray) -> np.ndarray:
        mean, sds = th[:len(xn)], dict(zip(sd_names, th[len(xn):], strict=True))
        alpha = np.exp(mean[fit.names.index("price")] + abs(sds["price"]) * z[:, 0])
        w = np.stack([(mean[fit.names.index(b)] + abs(sds.get(b, 0.0)) * z[:, 1 + i]) / alpha * 1000
                      for i, b in enumerate(brands)])
        return _summ(w)

    point = summaries(theta)
    sims = np.stack([summaries(t) for t in rng.multivariate_normal(theta, V, size=n_param_draws, method="eigh")])
    lo, hi = np.percentile(sims, [50 * (1 - level), 50 * (1 + level)], axis=0)
    rows = []
    for i, b in enumerate(brands):
        row = {"brand": b.split("=", 1)[1]}
        for j, s in enumerate(("median", "p5", "p95", "share_positive")):
            row[s], row[f"{s}_low"], row[f"{s}_high"] = point[i, j], lo[i, j], hi[i, j]
        rows.append(row)
    return pd.DataFrame(rows)
