"""Labelled results of a demand fit (``DemandResults``): coefficients, SKU and brand elasticities, diversion, brand
premia, the bootstrap intervals of the figures, the FE-IV second stage. Split from ``model.py`` (the spec and the
fit); on the :class:`~upmarket.estimation.Results` protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from warnings import catch_warnings, simplefilter

import numpy as np
import pandas as pd

from upmarket.analyses.demand.data import PRICE_UNIT
from upmarket.estimation import CI_ALPHA, Results, coefficient_frame

if TYPE_CHECKING:
    from upmarket.analyses.demand.model import DemandModel

OUTSIDE = "outside"


@dataclass
class DemandResults(Results):
    """Estimates with labels: coefficients, SKU/brand elasticities, diversion, premia, intervals.

    On the :class:`~upmarket.estimation.Results` protocol: ``coefficients()`` / ``conf_int(alpha)`` / ``summary()``
    are the model's parameters (pyblp's standard errors, and the second stage's under FE-IV);
    :meth:`figure_intervals` are the bootstrap intervals of the figures (elasticities, premia, diversion).
    """

    summary_title = "Demand model (pyblp)"

    model: DemandModel
    data: pd.DataFrame
    problem: Any
    results: Any
    brand_dummies: list[tuple[str, str]]
    reference: str
    warnings: list[str] = field(default_factory=list)
    characteristics: list[str] = field(default_factory=list)
    fixed_effects: str = "none"
    absorb: str | None = None
    aggregate: Any = None
    """Micro-BLP: the aggregate-data stage whose σ and ρ the micro stage holds (None otherwise)."""
    micro_observed: dict[str, float] = field(default_factory=dict)
    """Micro-BLP: each micro moment's observed value (demographics centred as the agents are)."""
    alpha_path: list[float] = field(default_factory=list)
    """Conjoint tastes: the market ᾱ at each step of the fixed point (first: the survey's own ᾱ)."""
    pyblp_seconds: float | None = None
    """pyblp's own ``Problem.solve`` time summed over every solve of the fit (None: the one solve's total_time)."""
    _boot: Any = None
    _stacked: np.ndarray | None = None

    @property
    def absorbed(self) -> bool:
        """True for FE-IV (product × period effects absorbed; brand intercepts from the second stage)."""
        return self.fixed_effects == "product_period"

    # ---------------------------------------------------------------- parameters
    @property
    def params_(self) -> pd.Series:
        r = self.results
        out = {str(k): float(v) for k, v in zip(r.beta_labels, r.beta.ravel(), strict=True)}
        if np.size(r.rho):
            out["rho"] = float(np.ravel(r.rho)[0])
        if self.model.kind == "rc":
            if np.size(r.pi) and not self.absorbed:
                out["pi_log_price"] = float(r.pi[0, 0])
            for i, lab in enumerate(r.sigma_labels):
                if r.sigma[i, i] != 0:
                    out[f"sigma_{lab}"] = float(r.sigma[i, i])
            out.update({f"pi_{lab}_x_{d}": float(v) for lab, v, d in self._micro_pi()})
        return pd.Series(out)

    @property
    def micro_fit_(self) -> pd.DataFrame:
        """Micro moments: observed (panel buyers) against fitted (model), demographics centred; empty without."""
        if not self.micro_observed:
            return pd.DataFrame(columns=["moment", "observed", "fitted"])
        fitted = np.ravel(self.results.micro_values)
        return pd.DataFrame({"moment": list(self.micro_observed), "observed": list(self.micro_observed.values()),
                             "fitted": fitted[: len(self.micro_observed)]})

    def _micro_pi(self) -> list[tuple[str, float, str]]:
        """Micro-BLP demographic interactions as (X2 label with brand names, value, demographic), non-zero only."""
        if self.aggregate is None:
            return []
        r = self.results
        mb = self.model.micro_brand_list(sorted(self.data["brand"].unique()), self.reference)
        names = {f"micro_brand_{i}": b for i, b in enumerate(mb)}
        return [(names.get(str(x2), str(x2)), float(r.pi[i, k]), str(d)) for i, x2 in enumerate(r.sigma_labels)
                for k, d in enumerate(r.pi_labels) if r.pi[i, k] != 0]

    def _alpha_bar(self, beta: np.ndarray, sigma: np.ndarray | None, pi: np.ndarray | None) -> float:
        if self.model.kind == "rc" and not self.absorbed:
            return float(np.exp(pi[0, 0] + sigma[0, 0] ** 2 / 2))
        labels = [str(x) for x in self.results.beta_labels]
        return float(-beta.ravel()[labels.index("prices")])

    @property
    def price_coef_(self) -> float:
        """Mean disutility of 1000 CNY (ᾱ > 0)."""
        r = self.results
        return self._alpha_bar(r.beta, r.sigma, r.pi)

    def second_stage(self, delta: np.ndarray | None = None, alpha: float | None = None, *,
                     with_cov: bool = False) -> pd.DataFrame | tuple[pd.DataFrame, np.ndarray]:
        """FE-IV second stage: OLS of δ + ᾱ·p on a constant, brand dummies and characteristics, one observation per
        product-market row (unweighted, as the truth defines ξ̄_b). Standard errors are clustered by product: its
        demand shocks persist across regions and periods, so rows are not independent draws."""
        d = self.data
        delta = np.asarray(self.results.delta if delta is None else delta, float).ravel()
        alpha = self.price_coef_ if alpha is None else alpha
        y = delta + alpha * d["prices"].to_numpy(float)
        names = ["const", *(c for c, _ in self.brand_dummies), *self.characteristics]
        x = np.column_stack([np.ones(len(d)), *(d[c].to_numpy(float) for c in names[1:])])
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        labels = dict(self.brand_dummies)
        out = pd.DataFrame({"parameter": [f"brand[{labels[n]}]" if n in labels else n for n in names],
                            "estimate": coef})
        resid = y - x @ coef
        bread = np.linalg.pinv(x.T @ x)
        key = d["model"] if "model" in d else d["product_key"] if "product_key" in d else pd.Series(np.arange(len(d)))
        codes = pd.factorize(key.to_numpy())[0]
        n_g = int(codes.max()) + 1
        scores = np.zeros((n_g, x.shape[1]))
        np.add.at(scores, codes, x * resid[:, None])
        cov = bread @ (scores.T @ scores) @ bread * (n_g / max(n_g - 1, 1))
        out["se"] = np.sqrt(np.clip(np.diag(cov), 0, None))
        return (out, cov) if with_cov else out

    def _brand_coefs(self, beta: np.ndarray, alpha: float, delta: np.ndarray | None = None,
                     noise: np.ndarray | None = None) -> dict[str, float]:
        if self.absorbed:
            est = self.second_stage(delta, alpha)["estimate"].to_numpy()[1: 1 + len(self.brand_dummies)]
            est = est + (0.0 if noise is None else noise)
            return {col: float(est[i]) for i, (col, _) in enumerate(self.brand_dummies)}
        labels = [str(x) for x in self.results.beta_labels]
        b = beta.ravel()
        return {col: float(b[labels.index(col)]) for col, _ in self.brand_dummies}

    def _premium(self, beta: np.ndarray, alpha: float, delta: np.ndarray | None = None,
                 noise: np.ndarray | None = None) -> pd.Series:
        coefs = self._brand_coefs(beta, alpha, delta, noise)
        out = {brand: coefs[col] / alpha * PRICE_UNIT for col, brand in self.brand_dummies}
        out[self.reference] = 0.0
        return pd.Series(out).sort_index()

    @property
    def brand_premium_(self) -> pd.Series:
        """Willingness to pay over the reference brand, CNY."""
        return self._premium(self.results.beta, self.price_coef_)

    # ---------------------------------------------------------------- elasticities and diversion
    def _market_blocks(self) -> list[np.ndarray]:
        codes = pd.factorize(self.data["market_ids"])[0]
        order = np.argsort(codes, kind="stable")
        return np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)

    def _stacked_elasticities(self) -> np.ndarray:
        """pyblp's stacked elasticity matrices of the fit (rows products, columns the market's products), cached."""
        if self._stacked is None:
            self._stacked = np.asarray(self.results.compute_elasticities())
        return self._stacked

    @property
    def elasticities_(self) -> pd.DataFrame:
        """Own-price elasticity of each product in each market."""
        own = self._own_from_stacked(self._stacked_elasticities())
        cols = [c for c in ("market_ids", "brand", "model", "band", "units", "prices_cny") if c in self.data]
        return self.data[cols].assign(own_elasticity=own)

    def cross_elasticities(self, period: str | None = None, top: int = 30) -> pd.DataFrame:
        """Own and cross price elasticities between the ``top`` products (model × price band) of one period (default
        the latest) by units: ε_jk = ∂s_j/∂p_k · p_k/s_j, the mean over the period's regional markets weighted by j's
        units there. Long format: ``price_of`` (k, whose price moves), ``share_of`` (j), ``elasticity``."""
        d = self.data
        per = period if period is not None else (sorted(d["period"].unique())[-1] if "period" in d else None)
        in_period = np.ones(len(d), bool) if per is None else (d["period"] == per).to_numpy()
        key = (d["product_key"] if "product_key" in d else d["model"]).astype(str).to_numpy()
        units = (d["units"] if "units" in d else d["shares"]).to_numpy(float)
        tops = set(pd.Series(units[in_period]).groupby(key[in_period]).sum().nlargest(top).index)
        stacked = self._stacked_elasticities()
        parts = []
        for rows in self._market_blocks():
            if not in_period[rows[0]]:
                continue
            keep = np.flatnonzero(np.isin(key[rows], list(tops)))
            e = stacked[rows][:, : len(rows)][np.ix_(keep, keep)]  # [share of j, price of k]
            j, k = np.meshgrid(keep, keep, indexing="ij")
            parts.append(pd.DataFrame({"share_of": key[rows][j.ravel()], "price_of": key[rows][k.ravel()],
                                       "e": e.ravel(), "w": units[rows][j.ravel()]}))
        if not parts:
            return pd.DataFrame(columns=["period", "price_of", "share_of", "elasticity"])
        df = pd.concat(parts, ignore_index=True).assign(ew=lambda x: x["e"] * x["w"])
        g = df.groupby(["price_of", "share_of"], sort=True)[["ew", "w"]].sum()
        out = (g["ew"] / g["w"]).rename("elasticity").reset_index()
        out.insert(0, "period", per)
        return out

    def _brand_elasticity(self, own: np.ndarray) -> pd.Series:
        w = self.data["units"] if "units" in self.data else self.data["shares"]
        return (pd.Series(own * w.to_numpy()).groupby(self.data["brand"].to_numpy()).sum()
                / w.groupby(self.data["brand"]).sum()).sort_index()

    @property
    def brand_elasticity_(self) -> pd.Series:
        """Unit-weighted mean own-price elasticity of each brand's products over all markets."""
        return self._brand_elasticity(self.elasticities_["own_elasticity"].to_numpy())

    def _diversion(self, jac: np.ndarray) -> pd.DataFrame:
        """Brand-level diversion from a stacked Jacobian (rows products, columns products of the market)."""
        brands = sorted(self.data["brand"].unique())
        bidx = pd.Categorical(self.data["brand"], categories=brands).codes
        size = self.data["potential_units"] if "potential_units" in self.data else pd.Series(1.0, index=self.data.index)
        nb = len(brands)
        dS = np.zeros((nb, nb + 1))
        for rows in self._market_blocks():
            j = jac[rows][:, : len(rows)]  # ∂s_row/∂p_col within the market
            onehot = np.eye(nb)[bidx[rows]]  # (J, B)
            m = float(size.iloc[rows[0]])
            block = onehot.T @ j.T @ onehot * m  # [raised b, receiving c]
            dS[:, :nb] += block
            dS[:, nb] -= block.sum(axis=1)
        own = -np.diag(dS[:, :nb]).copy()
        div = dS / own[:, None]
        out = pd.DataFrame(div, index=brands, columns=[*brands, OUTSIDE])
        for b in brands:
            out.loc[b, b] = np.nan
        return out

    @property
    def diversion_(self) -> pd.DataFrame:
        """Share of a brand's lost units that go to each other brand (and outside) when all its prices rise."""
        return self._diversion(np.asarray(self.results.compute_demand_jacobians()))

    @property
    def diversion_inside_(self) -> pd.DataFrame:
        """The same among the lost units that stay in the category: each brand's diversion over 1 − the outside
        good's. The outside share depends on how ``market_size`` defines the potential market; this does not."""
        return inside_diversion(self.diversion_)

    # ---------------------------------------------------------------- intervals
    def bootstrap(self, draws: int = 50, seed: int = 0) -> Any:
        """pyblp's parametric bootstrap of the estimates (cached)."""
        if self._boot is None or self._boot.draws != draws:
            self._boot = self.results.bootstrap(draws=draws, seed=seed)
        return self._boot

    def figure_intervals(self, alpha: float = CI_ALPHA, draws: int = 50, seed: int = 0) -> dict[str, pd.DataFrame]:
        """Percentile intervals from the parametric bootstrap: brand elasticity, premium, diversion."""
        boot = self.bootstrap(draws, seed)
        lo, hi = 100 * alpha / 2, 100 * (1 - alpha / 2)
        el = np.asarray(boot.compute_elasticities())
        jac = np.asarray(boot.compute_demand_jacobians())
        e_draws, p_draws, d_draws = [], [], []
        noise = np.zeros((boot.draws, len(self.brand_dummies)))
        if self.absorbed:  # the second stage's own sampling error (clustered), on top of the first stage's draws
            _, cov = self.second_stage(with_cov=True)
            k = slice(1, 1 + len(self.brand_dummies))
            noise = np.random.default_rng(seed).multivariate_normal(np.zeros(len(self.brand_dummies)), cov[k, k],
                                                                    size=boot.draws)
        for d in range(boot.draws):
            own = self._own_from_stacked(el[d])
            e_draws.append(self._brand_elasticity(own))
            sig = boot.bootstrapped_sigma[d] if self.model.kind == "rc" else None
            pi = boot.bootstrapped_pi[d] if self.model.kind == "rc" else None
            beta = boot.bootstrapped_beta[d]
            delta = boot.bootstrapped_delta[d] if self.absorbed else None
            p_draws.append(self._premium(beta, self._alpha_bar(beta, sig, pi), delta, noise[d]))
            d_draws.append(self._diversion(jac[d]).to_numpy())
        E, P, D = pd.DataFrame(e_draws), pd.DataFrame(p_draws), np.stack(d_draws)
        div = self.diversion_
        with catch_warnings():  # the own-brand cells are NaN in every draw by construction
            simplefilter("ignore", RuntimeWarning)
            dlo, dhi = np.nanpercentile(D, lo, axis=0), np.nanpercentile(D, hi, axis=0)
            inside = D[:, :, :-1] / (1 - D[:, :, -1:])  # the outside good is the last column
            ilo, ihi = np.nanpercentile(inside, lo, axis=0), np.nanpercentile(inside, hi, axis=0)
        brands = div.columns[:-1]
        return {
            "price_elasticity": pd.DataFrame({"low": E.quantile(alpha / 2), "high": E.quantile(1 - alpha / 2)}),
            "brand_premium_cny": pd.DataFrame({"low": P.quantile(alpha / 2), "high": P.quantile(1 - alpha / 2)}),
            "diversion_low": pd.DataFrame(dlo, index=div.index, columns=div.columns),
            "diversion_high": pd.DataFrame(dhi, index=div.index, columns=div.columns),
            "diversion_inside_low": pd.DataFrame(ilo, index=div.index, columns=brands),
            "diversion_inside_high": pd.DataFrame(ihi, index=div.index, columns=brands),
        }

    def _own_from_stacked(self, stacked: np.ndarray) -> np.ndarray:
        own = np.empty(len(self.data))
        for rows in self._market_blocks():
            own[rows] = np.diagonal(stacked[rows][:, : len(rows)])
        return own

    # ---------------------------------------------------------------- first stage and summary
    def first_stage(self) -> dict[str, float]:
        """First-stage F of the excluded instruments for price (after the exogenous regressors)."""
        zcols = [c for c in self.data if c.startswith("demand_instruments")]
        if not zcols:
            return {"F": float("nan"), "partial_r2": float("nan"), "n_instruments": 0}
        z = self.data[zcols].to_numpy(float)
        p = self.data["prices"].to_numpy(float)
        if self.absorbed:  # the exogenous regressors are the product × period effects: demean within them
            groups = self.data["product_period"].to_numpy()
            n_fe = int(pd.unique(groups).size)
            w = np.empty((len(p), n_fe))  # only its width enters the degrees of freedom below

            def resid(y: np.ndarray) -> np.ndarray:
                return y - pd.Series(y).groupby(groups).transform("mean").to_numpy()
        else:
            exog = [c for c in self.data if c.startswith("brand_") or c in self.characteristics]
            w = np.column_stack([np.ones(len(self.data)), self.data[exog].to_numpy(float)])
            if "period" in self.data:
                w = np.column_stack([w, pd.get_dummies(self.data["period"], drop_first=True).to_numpy(float)])

            def resid(y: np.ndarray) -> np.ndarray:
                return y - w @ np.linalg.lstsq(w, y, rcond=None)[0]

        pr, zr = resid(p), np.column_stack([resid(z[:, k]) for k in range(z.shape[1])])
        fit = zr @ np.linalg.lstsq(zr, pr, rcond=None)[0]
        r2 = float(fit @ fit / (pr @ pr)) if pr @ pr > 0 else 0.0
        k, n = z.shape[1], len(p)
        dof = max(n - w.shape[1] - k, 1)
        f = (r2 / k) / max((1 - r2) / dof, 1e-300)
        return {"F": float(f), "partial_r2": r2, "n_instruments": k}

    def _coefficients(self) -> pd.DataFrame:
        t = self.coefficient_table()
        labels = [p if s == "pyblp" else f"second stage: {p}" for s, p in zip(t["stage"], t["parameter"], strict=True)]
        return coefficient_frame(labels, t["estimate"].to_numpy(float), t["se"].to_numpy(float))

    def _warning_texts(self) -> list[str]:
        return list(self.warnings)

    def coefficient_table(self) -> pd.DataFrame:
        """Coefficients with standard errors (pyblp's), one row per parameter: stage, parameter, estimate, se."""
        r = self.results
        rows = [(str(k), float(v), float(s)) for k, v, s in zip(r.beta_labels, r.beta.ravel(), r.beta_se.ravel(),
                                                                  strict=True)]
        if np.size(r.rho):
            rows.append(("rho", float(np.ravel(r.rho)[0]), float(np.ravel(r.rho_se)[0])))
        if self.model.kind == "rc" and np.size(r.pi) and not self.absorbed:
            rows.append(("pi[log -price]", float(r.pi[0, 0]), float(r.pi_se[0, 0])))
        if self.model.kind == "rc":
            agg = self.aggregate if self.aggregate is not None else r
            rows += [(f"sigma[{lab}]", float(agg.sigma[i, i]), float(agg.sigma_se[i, i]))
                     for i, lab in enumerate(agg.sigma_labels) if agg.sigma[i, i] != 0]
            mb = self.model.micro_brand_list(sorted(self.data["brand"].unique()), self.reference)
            names = {f"micro_brand_{i}": b for i, b in enumerate(mb)}
            rows += [(f"pi[{names.get(str(x2), str(x2))} × {d}]", float(r.pi[i, k]), float(r.pi_se[i, k]))
                     for i, x2 in enumerate(r.sigma_labels) for k, d in enumerate(r.pi_labels) if r.pi[i, k] != 0]
        names = dict(self.brand_dummies)
        out = pd.DataFrame([(f"brand[{names[n]}]" if n in names else n, v, s) for n, v, s in rows],
                           columns=["parameter", "estimate", "se"])
        out.insert(0, "stage", "pyblp")
        if self.absorbed:
            second = self.second_stage().assign(stage="second stage (δ + ᾱp on brands, characteristics)")
            out = pd.concat([out, second[out.columns]], ignore_index=True)
        return out

    @property
    def sigma_z_(self) -> float:
        """|σ| / se of the price random coefficient, se corrected for absorbed effects (NaN when there is no σ)."""
        r = self.results if self.aggregate is None else self.aggregate  # micro-BLP holds the aggregate stage's σ
        if self.model.kind != "rc" or not np.size(r.sigma):
            return float("nan")
        sigma, se = abs(float(r.sigma[0, 0])), float(r.sigma_se[0, 0])
        if sigma < 1e-8:  # at its bound: no random coefficient, whatever the standard error
            return 0.0
        return sigma / (se * self.dof_scale_) if se > 0 else float("inf")

    @property
    def dof_scale_(self) -> float:
        """√(N / (N − absorbed effects − parameters)): pyblp's standard errors do not count the degrees of freedom
        the absorbed fixed effects use; under FE-IV with product × period and product × region effects that is most
        of the sample (on a 600-row test market, ~350 effects), so its z-statistics are too large by this factor.
        The choice rule's z-tests divide by it."""
        if not self.absorbed or not self.absorb:
            return 1.0
        d = self.data
        terms = [t.strip()[2:-1] for t in self.absorb.split("+")]  # "C(product_period)" -> product_period
        k = sum(int(d[t].nunique()) for t in terms if t in d)
        if len(terms) > 1 and "product_key" in d:
            k -= int(d["product_key"].nunique())  # a product's period and region effects share one level
        r = self.results
        p = int(np.size(r.beta)) + int(np.size(r.rho)) + int(np.count_nonzero(np.asarray(r.sigma)))
        return float(np.sqrt(len(d) / max(len(d) - k - p, 1)))

    @property
    def sigma_ratio_(self) -> float:
        """σ of the price coefficient over the mean price coefficient (NaN when the model has no σ)."""
        r = self.results if self.aggregate is None else self.aggregate
        if self.model.kind != "rc" or not np.size(r.sigma):
            return float("nan")
        return abs(float(r.sigma[0, 0])) / self.price_coef_ if self.price_coef_ > 0 else float("nan")

    @property
    def rho_z_(self) -> float:
        """ρ / se of the nesting parameter (NaN without nests); at 0 the nests do nothing (the plain logit)."""
        r = self.results
        if not np.size(r.rho):
            return float("nan")
        rho, se = float(np.ravel(r.rho)[0]), float(np.ravel(r.rho_se)[0]) * self.dof_scale_
        return rho / se if se > 0 else (float("inf") if rho > 0 else 0.0)

    @property
    def converged(self) -> bool:
        return bool(getattr(self.results, "converged", True))


def inside_diversion(diversion: pd.DataFrame) -> pd.DataFrame:
    """Diversion (brands × brands + outside, the outside good last) renormalised over the brands: where the lost
    units that stay in the category go."""
    return diversion.iloc[:, :-1].div(1 - diversion.iloc[:, -1], axis=0)
