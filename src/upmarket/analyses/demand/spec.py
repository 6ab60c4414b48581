"""A general pyblp entry point: any product-data frame + a specification written as formula strings.

:class:`DemandModel` is upmarket's phone-market specification (identification rule, brand premia, second stage).
:func:`fit_spec` is the layer under it for everything else — published benchmark data (BLP 1995 automobiles, Nevo
2000 cereal, used to check the wrapper against pyblp's documented results), or a user's own formulation. It checks
the input the same way (zero shares, missing prices, missing columns name the row and column), builds the pyblp
``Problem`` from the :class:`Spec`, solves it and returns labelled estimates.

    spec = Spec(x1="0 + prices", absorb="C(product_ids)")
    fit = fit_spec(pd.read_csv(pyblp.data.NEVO_PRODUCTS_LOCATION), spec)
    fit.beta["prices"], fit.beta_se["prices"]          # -30.0, 1.0 as in pyblp's logit tutorial
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from upmarket.analyses.demand.data import DemandDataError


@dataclass(frozen=True)
class Spec:
    """A demand (and optional supply) specification: pyblp formulas as strings.

    ``x1`` linear demand characteristics, ``absorb`` fixed effects to absorb from X1, ``x2`` characteristics with
    random coefficients (None: logit / nested logit, nested when the data has ``nesting_ids``), ``x3`` marginal-cost
    characteristics (supply side), ``demographics`` the agent formulation, ``integration`` (kind, size) when no
    agent data are given, ``costs_type`` "linear" or "log".
    """

    x1: str
    absorb: str | None = None
    x2: str | None = None
    x3: str | None = None
    demographics: str | None = None
    integration: tuple[str, int] | None = None
    costs_type: str = "linear"
    seed: int = 0


@dataclass
class SpecFit:
    """Labelled estimates of a :class:`Spec` (and the pyblp objects underneath)."""

    spec: Spec
    data: pd.DataFrame
    problem: Any
    results: Any
    seconds: float
    warnings: list[str] = field(default_factory=list)

    def _labelled(self, values: str, labels: str) -> pd.Series:
        """One of pyblp's parameter vectors as a Series named by its labels."""
        r = self.results
        return pd.Series(np.ravel(getattr(r, values)), index=[str(x) for x in getattr(r, labels)], dtype=float)

    @property
    def beta(self) -> pd.Series:
        return self._labelled("beta", "beta_labels")

    @property
    def beta_se(self) -> pd.Series:
        return self._labelled("beta_se", "beta_labels")

    @property
    def gamma(self) -> pd.Series:
        return self._labelled("gamma", "gamma_labels")

    @property
    def sigma(self) -> pd.DataFrame:
        """Cholesky root of the random-coefficient covariance (rows/columns = X2 labels)."""
        labels = [str(x) for x in self.results.sigma_labels]
        return pd.DataFrame(np.asarray(self.results.sigma), index=labels, columns=labels)

    @property
    def pi(self) -> pd.DataFrame:
        """Demographic interactions (rows = X2 labels, columns = demographics)."""
        r = self.results
        return pd.DataFrame(np.asarray(r.pi), index=[str(x) for x in r.sigma_labels],
                            columns=[str(x) for x in r.pi_labels])

    @property
    def rho(self) -> float:
        return float(np.ravel(self.results.rho)[0]) if np.size(self.results.rho) else float("nan")

    @property
    def rho_se(self) -> float:
        return float(np.ravel(self.results.rho_se)[0]) if np.size(self.results.rho_se) else float("nan")

    @property
    def objective(self) -> float:
        return float(np.ravel(self.results.objective)[0])

    @property
    def own_elasticities(self) -> np.ndarray:
        """Own-price elasticity of every product-market row."""
        r = self.results
        return np.asarray(r.extract_diagonals(r.compute_elasticities())).ravel()


def check_product_data(df: pd.DataFrame, name: str = "product data") -> None:
    """Refuse what pyblp would crash on or silently mis-handle, naming the row and column."""
    missing = {"market_ids", "shares", "prices"} - set(df.columns)
    if missing:
        raise DemandDataError(f"{name}: missing column(s) {', '.join(sorted(missing))}")
    for col, bad in (("prices", ~np.isfinite(df["prices"].to_numpy(float))),
                     ("shares", ~(df["shares"].to_numpy(float) > 0))):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            what = "no price" if col == "prices" else f"share {df[col].iloc[i]!r} (logit needs > 0)"
            raise DemandDataError(f"{name}: {int(bad.sum())} row(s) with {what}, e.g. row {i} "
                                  f"(market_ids={df['market_ids'].iloc[i]!r}), column {col!r}")
    inside = df.groupby("market_ids")["shares"].sum()
    if (inside >= 1).any():
        m = inside[inside >= 1].index[0]
        raise DemandDataError(f"{name}: inside shares sum to {inside[m]:.3f} >= 1 in market {m!r} (column 'shares'):"
                              " no room for the outside good")


def build_problem(products: pd.DataFrame, spec: Spec, agents: Any = None, *, check: bool = True,
                  **options: Any) -> Any:
    """The pyblp ``Problem`` of ``spec`` on ``products`` (+ ``agents``: a frame or mapping of agent data, whose
    ``demographics`` formulation is ``spec.demographics``; without agents, ``spec.integration`` builds the nodes).
    Every Problem upmarket solves is built here — :class:`DemandModel`'s and :func:`fit_spec`'s — so the published
    benchmarks that go through :func:`fit_spec` exercise the code the pipeline runs. ``options`` go to
    ``pyblp.Problem`` (``rc_types``, ``costs_type`` ...)."""
    import pyblp

    pyblp.options.verbose = False
    if check:
        check_product_data(products)
    forms = [pyblp.Formulation(spec.x1, absorb=spec.absorb)]
    if spec.x2 is not None or spec.x3 is not None:
        forms.append(pyblp.Formulation(spec.x2) if spec.x2 is not None else None)
    if spec.x3 is not None:
        forms.append(pyblp.Formulation(spec.x3))
    kwargs: dict[str, Any] = dict(options)
    if spec.x3 is not None:
        kwargs["costs_type"] = spec.costs_type
    if spec.x2 is not None:
        if agents is not None:
            kwargs["agent_data"] = agents
            if spec.demographics:
                kwargs["agent_formulation"] = pyblp.Formulation(spec.demographics)
        else:
            kind, size = spec.integration or ("product", 5)
            opts = {"seed": spec.seed} if kind in ("monte_carlo", "halton", "mlhs") else {}
            kwargs["integration"] = pyblp.Integration(kind, size=size, specification_options=opts)
    return pyblp.Problem(tuple(forms) if len(forms) > 1 else forms[0], products, **kwargs)


def fit_spec(products: pd.DataFrame, spec: Spec, agents: pd.DataFrame | None = None, *,
             sigma: Any = None, pi: Any = None, rho: Any = None, beta: Any = None,
             optimization: Any = None, **solve: Any) -> SpecFit:
    """Build the pyblp Problem of ``spec`` on ``products`` (+ ``agents``) and solve it.

    ``sigma``/``pi``/``rho``/``beta`` are starting values (pyblp's meaning: zeros fix a parameter at zero);
    ``optimization`` a pyblp Optimization or a method name ("bfgs", "l-bfgs-b", "return" to evaluate at the start);
    other keyword arguments go to ``Problem.solve`` (``method``, ``W_type``, ``se_type``, ``costs_bounds`` ...).
    """
    import time

    import pyblp

    problem = build_problem(products, spec, agents)
    if isinstance(optimization, str):
        optimization = pyblp.Optimization(optimization, {"gtol": 1e-10} if optimization != "return" else {})
    args = {k: v for k, v in (("sigma", sigma), ("pi", pi), ("rho", rho), ("beta", beta),
                              ("optimization", optimization)) if v is not None}
    t0 = time.perf_counter()
    results = problem.solve(**args, **solve)
    warnings = [] if getattr(results, "converged", True) else ["the optimiser did not converge"]
    return SpecFit(spec, products, problem, results, time.perf_counter() - t0, warnings)
