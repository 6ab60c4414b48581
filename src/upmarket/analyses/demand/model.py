"""A thin wrapper around pyblp: a spec (``DemandModel``), a fit, and labelled results (``DemandResults``).

Kinds:

* ``logit`` — plain logit, price instrumented (2SLS through pyblp's linear IV-GMM);
* ``nested`` — nested logit, nests = ``nest`` column (price band by default), one nesting parameter ρ;
* ``rc`` — random coefficients: a lognormal coefficient on −price and a normal one on each of
  ``rc_characteristics`` (camera by default), Halton integration of ``integration_size`` nodes per market.

Identification (``fixed_effects``):

* ``product_period`` (FE-IV) — product × period fixed effects are absorbed (plus product × region effects when
  products are seen in a region over several periods: persistent regional tastes), so only the *within*
  product-period, across-region price variation identifies the price coefficient (and ρ, σ). Instruments: the
  region's log-price deviation from the product-period mean, that deviation × the log product-period price, the
  market's mean deviation and (nested) the summed deviations of the other products of the same nest in the
  market (:func:`upmarket.analyses.demand.data.add_fe_instruments`). In this mode ``rc`` is a normal random
  coefficient on price (Gauss–Hermite product rule, ``integration_size`` nodes). Brand intercepts are absorbed, so
  a **second stage** regresses the row-level mean utility at the mean price coefficient, δ + ᾱ·p, on brand
  dummies and characteristics (OLS, one observation per product-market row, as the twin's truth defines it).
* ``period`` / ``none`` — brand dummies and characteristics enter X1, price is instrumented by differentiation
  and Hausman instruments (``characteristic IV``; invalid when national price moves are correlated with ξ).
* ``auto`` (default) — ``product_period`` when at least half of the rows sit in a product-period observed in two
  or more regions, else ``period`` (or ``none`` when ``period_effects`` is false), with a weak-identification
  warning from the analysis.

The brand premium in CNY is (β_brand − β_reference) / ᾱ · 1000 with ᾱ the mean price coefficient (prices are in
1000 CNY). Intervals come from pyblp's parametric bootstrap (``ProblemResults.bootstrap``) of the parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from upmarket.analyses.demand.data import (
    DEMOGRAPHICS,
    DemandDataError,
    MicroData,
    add_fe_instruments,
    add_instruments,
)
from upmarket.analyses.demand.results import DemandResults
from upmarket.analyses.demand.spec import Spec, build_problem
from upmarket.analyses.demand.tastes import ALPHA_TOL, MAX_ITER, SurveyTastes

Kind = Literal["logit", "nested", "rc"]
FixedEffects = Literal["auto", "product_period", "period", "none"]
MIN_FE_COVERAGE = 0.5
MICRO_ALPHA_TOL = 0.10
"""Micro-BLP is reported only when its mean price coefficient is within this of the aggregate stage's."""
MICRO_GTOL = 1e-6
"""Gradient tolerance of the micro stage (1e-8 changes no reported premium by more than 0.1 %; see docs)."""
"""FE-IV is chosen automatically when at least this share of rows is in a product-period seen in ≥ 2 regions."""


def region_effects_identified(df: pd.DataFrame) -> bool:
    """Whether product × region effects can be absorbed too: at least half the rows are in a product-region seen in
    two or more periods (persistent regional tastes, e.g. richer provinces favouring dearer models, would otherwise
    load on any persistent regional price difference such as a local subsidy)."""
    n = df.groupby([df["product_key"], df["region"]])["period"].transform("nunique")
    return bool((n >= 2).mean() >= MIN_FE_COVERAGE)


def fe_coverage(df: pd.DataFrame) -> float:
    """Share of rows whose product-period (product_key × period) is observed in two or more regions."""
    if not {"product_key", "period", "region"} <= set(df.columns) or df.empty:
        return 0.0
    n = df.groupby([df["product_key"], df["period"]])["region"].transform("nunique")
    return float((n >= 2).mean())


def _steffensen(chain: list[float]) -> tuple[float, list[float]]:
    """Next point of the fixed-point iteration x → g(x) from the chain x, g(x), g(g(x)): Aitken's Δ² extrapolation
    once the chain has three values (the map contracts at a steady rate, ~0.4 on the twin: 4–5 solves instead of 8),
    else the last value. Returns the point and the chain to continue."""
    if len(chain) < 3:
        return chain[-1], chain
    x0, x1, x2 = chain[-3:]
    den = (x2 - x1) - (x1 - x0)
    star = x2 - (x2 - x1) ** 2 / den if den != 0 else np.nan
    if np.isfinite(star) and star > 0 and abs(star - x2) < 10 * abs(x2 - x1):
        return float(star), [float(star)]
    return x2, chain[-2:]


def _pyblp() -> Any:
    import pyblp

    pyblp.options.verbose = False
    return pyblp


def _drop_collinear(df: pd.DataFrame, cols: list[str], warnings: list[str]) -> list[str]:
    """Keep characteristics that vary and are not (near-)linear combinations of those before them."""
    kept: list[str] = []
    for c in cols:
        x = df[c].to_numpy(float)
        if not np.isfinite(x).all():
            warnings.append(f"characteristic {c!r} has missing values: left out of the demand model")
            continue
        if x.std() < 1e-12:
            warnings.append(f"characteristic {c!r} does not vary: left out of the demand model")
            continue
        base = np.column_stack([np.ones(len(x)), *(df[k].to_numpy(float) for k in kept)])
        resid = x - base @ np.linalg.lstsq(base, x, rcond=None)[0]
        if resid.std() < 1e-8 * max(x.std(), 1.0):
            warnings.append(f"characteristic {c!r} is collinear with {', '.join(kept) or 'the constant'}: left out")
            continue
        kept.append(c)
    return kept


@dataclass
class DemandModel:
    """The specification; ``fit`` reads data, solves with pyblp and returns :class:`DemandResults`."""

    kind: Kind = "logit"
    characteristics: tuple[str, ...] = ("camera", "performance", "storage", "foldable")
    nest: str = "band"
    rc_characteristics: tuple[str, ...] = ("camera",)
    integration_size: int = 5
    reference: str = "Redmi"
    hausman: bool = True
    period_effects: bool = True
    seed: int = 0
    fixed_effects: FixedEffects = "auto"
    micro: MicroData | None = None
    micro_brands: tuple[str, ...] | None = None
    micro_agents: int = 40
    micro_price_tier: bool = False
    tastes: SurveyTastes | None = None
    """Consumer types from a conjoint (``tastes.from_latent_class``): under FE-IV the rc model uses them instead of a
    normal σ on price (see :mod:`upmarket.analyses.demand.tastes`)."""

    def resolve_fixed_effects(self, df: pd.DataFrame) -> str:
        """The identification mode this spec uses on ``df`` (the ``auto`` rule is in the module docstring)."""
        if self.fixed_effects != "auto":
            return self.fixed_effects
        if fe_coverage(df) >= MIN_FE_COVERAGE:
            return "product_period"
        return "period" if self.period_effects else "none"

    def fit(self, products: pd.DataFrame, *, instruments: bool = True) -> DemandResults:
        """Estimate on product-market rows (``data.load_demand_data(...).products`` or any frame with
        market_ids, brand, shares, prices and the characteristics)."""
        pyblp = _pyblp()
        warnings: list[str] = []
        need = {"market_ids", "brand", "shares", "prices"}
        missing = need - set(products.columns)
        if missing:
            raise DemandDataError(f"demand data lacks column(s) {', '.join(sorted(missing))}")
        df = products.reset_index(drop=True).copy()
        bad = ~np.isfinite(df["prices"].to_numpy(float)) | ~(df["shares"].to_numpy(float) > 0)
        if bad.any():
            raise DemandDataError(f"{int(bad.sum())} product-market rows have a zero share or no price, e.g. row "
                                  f"{int(np.flatnonzero(bad)[0])}; load through load_demand_data, which drops them")
        df["firm_ids"] = df["maker"] if "maker" in df else df["brand"]
        chars = _drop_collinear(df, [c for c in self.characteristics if c in df], warnings)
        brands = sorted(df["brand"].unique())
        ref = self.reference if self.reference in brands else brands[0]
        if ref != self.reference:
            warnings.append(f"reference brand {self.reference!r} is not in the data: premia are against {ref!r}")
        dummies = []
        for b in brands:
            if b != ref:
                col = f"brand_{len(dummies)}"
                df[col] = (df["brand"] == b).astype(float)
                dummies.append((col, b))
        regressors = [*chars, *(c for c, _ in dummies)]
        fe = self.resolve_fixed_effects(df)
        if fe == "product_period":
            return self._fit_fe(pyblp, df, chars, dummies, ref, warnings, instruments)
        if instruments:
            regions = df["region"].nunique() if "region" in df else 1
            df, notes = add_instruments(df, chars, hausman=self.hausman and regions > 1)
            warnings += [n for n in notes if "not " in n]
        absorb = "C(period)" if fe == "period" and "period" in df and df["period"].nunique() > 1 else None
        const = "" if absorb else "1 + "
        rc = [c for c in self.rc_characteristics if c in chars] if self.kind == "rc" else []
        if self.kind == "rc":
            x1 = f"{'0 + ' if absorb else '1 + '}" + " + ".join(regressors)
            x2 = "0 + I(-prices)" + "".join(f" + {c}" for c in rc)
            k2 = 1 + len(rc)
            halton = pyblp.Integration("halton", size=max(self.integration_size, 30),
                                        specification_options={"seed": self.seed})
            nodes = pyblp.build_integration(halton, k2)
            mk = df["market_ids"].unique()
            agents = {"market_ids": np.repeat(mk, len(nodes.weights)), "nodes": np.tile(nodes.nodes, (len(mk), 1)),
                      "weights": np.tile(nodes.weights, (len(mk), 1)), "const": np.ones(len(mk) * len(nodes.weights))}
            problem = build_problem(df, Spec(x1, absorb=absorb, x2=x2, demographics="0 + const"), agents,
                                    check=False, rc_types=["log", *["linear"] * len(rc)])
            pi0 = np.zeros((k2, 1))
            pi0[0, 0] = -0.1
            sigma0 = np.diag([0.5, *[0.2] * len(rc)])
            lb_pi, ub_pi = np.zeros((k2, 1)), np.zeros((k2, 1))
            lb_pi[0, 0], ub_pi[0, 0] = -3.0, 2.0
            res = problem.solve(sigma=sigma0, pi=pi0, method="1s",
                                sigma_bounds=(np.zeros((k2, k2)), np.diag([1.5, *[0.5] * len(rc)])),
                                pi_bounds=(lb_pi, ub_pi),
                                optimization=pyblp.Optimization("l-bfgs-b", {"gtol": 1e-6}))
        else:
            x1 = f"{const}prices + " + " + ".join(regressors) if regressors else f"{const}prices"
            if self.kind == "nested":
                if self.nest not in df:
                    raise DemandDataError(f"nested logit needs a nest column {self.nest!r} in the demand data")
                df["nesting_ids"] = df[self.nest].fillna("?")
                problem = build_problem(df, Spec(x1, absorb=absorb), check=False)
                res = problem.solve(rho=0.5, rho_bounds=(0.0, 0.95), method="1s",
                                    optimization=pyblp.Optimization("l-bfgs-b", {"gtol": 1e-8}))
            elif self.kind == "logit":
                problem = build_problem(df, Spec(x1, absorb=absorb), check=False)
                res = problem.solve(method="1s")
            else:
                raise ValueError(f"unknown demand model kind {self.kind!r}: use logit, nested or rc")
        return DemandResults(self, df, problem, res, dummies, ref, warnings, characteristics=chars)

    def _fit_fe(self, pyblp: Any, df: pd.DataFrame, chars: list[str], dummies: list[tuple[str, str]], ref: str,
                warnings: list[str], instruments: bool) -> DemandResults:
        """FE-IV: absorb product × period (and product × region) effects; price, σ and ρ identified within them."""
        df["product_period"] = df["product_key"].astype(str) + "|" + df["period"].astype(str)
        absorb = ["C(product_period)"]
        if "region" in df and region_effects_identified(df):
            df["product_region"] = df["product_key"].astype(str) + "|" + df["region"].astype(str)
            absorb.append("C(product_region)")
        nested = self.kind != "logit" and self.nest in df
        if instruments:
            df, _ = add_fe_instruments(df, nest=self.nest if nested else None)
        elif not any(c.startswith("demand_instruments") for c in df):
            raise DemandDataError("instruments=False needs demand_instruments* columns in the data")
        x1 = Spec("0 + prices", absorb=" + ".join(absorb))  # the X1 every FE-IV problem shares
        opt = pyblp.Optimization("l-bfgs-b", {"gtol": 1e-8})
        if self.kind == "logit":
            problem = build_problem(df, x1, check=False)
            res = problem.solve(method="1s")
        elif self.kind == "nested":
            if not nested:
                raise DemandDataError(f"nested logit needs a nest column {self.nest!r} in the demand data")
            df["nesting_ids"] = df[self.nest].fillna("?")
            problem = build_problem(df, x1, check=False)
            res = problem.solve(rho=0.1, rho_bounds=(0.0, 0.95), method="1s", optimization=opt)
        elif self.kind == "rc":
            # a normal random coefficient on price, inside the nests when there are any (ρ starts small: a large
            # start lets the optimiser trade σ for ρ and stop at σ = 0)
            rho = {}
            if nested:
                df["nesting_ids"] = df[self.nest].fillna("?")
                rho = {"rho": 0.05, "rho_bounds": (0.0, 0.95)}
            else:
                warnings.append(f"no nest column {self.nest!r}: the random-coefficients model has no nests")
            if self.tastes is not None:
                problem, res, path, seconds = self._fit_survey(pyblp, df, x1, opt, rho)
                return DemandResults(self, df, problem, res, dummies, ref, warnings, characteristics=chars,
                                     fixed_effects="product_period", absorb=" + ".join(absorb), alpha_path=path,
                                     pyblp_seconds=seconds)
            problem = build_problem(df, replace(x1, x2="0 + prices",
                                                integration=("product", max(int(self.integration_size), 3))),
                                    check=False)
            res = problem.solve(sigma=[[0.2]], sigma_bounds=([[0.0]], [[3.0]]), method="1s", optimization=opt, **rho)
            if self.micro is not None:
                stage1, stage1_problem = res, problem
                try:
                    problem, res, observed = self._fit_micro(pyblp, df.copy(), x1, res, ref, opt)
                except (ValueError, np.linalg.LinAlgError, KeyError) as exc:  # keep the aggregate fit, say why
                    warnings.append(f"micro-BLP stage failed ({exc}): the aggregate-share rc model is reported")
                    return DemandResults(self, df, problem, res, dummies, ref, warnings, characteristics=chars,
                                         fixed_effects="product_period", absorb=" + ".join(absorb))
                a0, a1 = -float(np.ravel(stage1.beta)[0]), -float(np.ravel(res.beta)[0])
                if not abs(a1 / a0 - 1) <= MICRO_ALPHA_TOL:
                    warnings.append(
                        f"micro-BLP rejected: it moves the mean price coefficient from {a0:.3f} to {a1:.3f} (more than "
                        f"{MICRO_ALPHA_TOL:.0%}); buyer-demographic moments identify brand-taste heterogeneity, not "
                        "the price level, so the panel's buyers disagree with the market shares: the aggregate-share "
                        "rc model is reported")
                    return DemandResults(self, df, stage1_problem, stage1, dummies, ref, warnings,
                                         characteristics=chars, fixed_effects="product_period",
                                         absorb=" + ".join(absorb))
                return DemandResults(self, df, problem, res, dummies, ref, warnings, characteristics=chars,
                                     fixed_effects="product_period", absorb=" + ".join(absorb), aggregate=stage1,
                                     micro_observed=observed)
        else:
            raise ValueError(f"unknown demand model kind {self.kind!r}: use logit, nested or rc")
        return DemandResults(self, df, problem, res, dummies, ref, warnings, characteristics=chars,
                             fixed_effects="product_period", absorb=" + ".join(absorb))

    def _fit_survey(self, pyblp: Any, df: pd.DataFrame, x1: Any, opt: Any, rho: dict[str, Any]
                    ) -> tuple[Any, Any, list[float], float]:
        """FE-IV with the conjoint's consumer types: Π holds the survey's relative tastes scaled by the market ᾱ, and
        ᾱ is re-estimated until it is a fixed point (relative change < ``tastes.ALPHA_TOL``)."""
        t = self.tastes
        assert t is not None
        data = t.add_brand_dummies(df)
        for c in t.characteristics:
            if c not in data:
                raise DemandDataError(f"the demand data has no characteristic {c!r} for the conjoint's tastes")
        agents = t.agents(data["market_ids"].to_numpy())
        problem = build_problem(data, replace(x1, x2="0 + " + " + ".join(t.x2_columns()),
                                              demographics="0 + " + " + ".join(t.demographics)), agents, check=False)
        k2 = len(t.demographics)
        alpha, path, chain = t.survey_alpha, [], [t.survey_alpha]
        res, seconds = None, 0.0
        for _ in range(MAX_ITER):
            path.append(alpha)
            pi = t.pi(alpha)
            kw = dict(rho) if rho else {}
            if res is not None and kw:
                kw["rho"] = float(np.ravel(res.rho)[0])
            res = problem.solve(sigma=np.zeros((k2, k2)), pi=pi, pi_bounds=(pi, pi), method="1s", optimization=opt,
                                **kw)
            seconds += float(getattr(res, "total_time", 0.0))
            new = -float(np.ravel(res.beta)[0])
            if not new > 0 or abs(new / alpha - 1) < ALPHA_TOL:
                path.append(new)
                break
            chain.append(new)
            alpha, chain = _steffensen(chain)
        else:  # not settled: the last solve's output closes the path, and the choice rule sees the gap
            path.append(new)
        return problem, res, path, seconds

    def micro_brand_list(self, brands: list[str], ref: str) -> list[str]:
        """Brands whose dummies get demographic interactions: ``micro_brands``, else every brand with micro data
        (the reference included: only the utility *gaps* matter, but each brand's buyer mix is its own moment)."""
        have = set(self.micro.buyers["brand"]) if self.micro is not None else set()
        if self.micro_brands is not None:
            return [b for b in self.micro_brands if b in brands and b in have]
        return [b for b in brands if b in have]

    def _agents(self, df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
        """``micro_agents`` panel users per market, from the market's province when the panel has it (else the
        whole panel), one normal node each for the price σ; demographics centred on their market-size-weighted
        mean so that δ and the X1 price coefficient are population means. Returns agents and the centring."""
        users = self.micro.users  # type: ignore[union-attr]
        rng = np.random.default_rng(self.seed)
        r = int(self.micro_agents)
        mk = df.drop_duplicates("market_ids")[["market_ids", "region", "potential_units"]].reset_index(drop=True)
        by_region = {k: g.index.to_numpy() for k, g in users.groupby("region")} if users["region"].notna().any() \
            else {}
        every = users.index.to_numpy()
        picks = {}
        for reg in mk["region"].unique():  # one draw per province (not per row), reused across its periods
            pool = by_region.get(reg, every)
            pool = pool if len(pool) >= r else every
            picks[reg] = rng.choice(pool, size=r, replace=len(pool) < r)
        idx = np.concatenate([picks[reg] for reg in mk["region"]])
        agents = users.loc[idx, list(DEMOGRAPHICS)].reset_index(drop=True)
        agents.insert(0, "market_ids", np.repeat(mk["market_ids"].to_numpy(), r))
        w = np.repeat(mk["potential_units"].to_numpy(float), r)
        centre = {c: float(np.average(agents[c], weights=w)) for c in DEMOGRAPHICS}
        for c in DEMOGRAPHICS:
            agents[c] = agents[c] - centre[c]
        agents["weights"] = 1.0 / r
        agents["nodes0"] = rng.standard_normal(len(agents))
        return agents, centre

    def _fit_micro(self, pyblp: Any, df: pd.DataFrame, x1: Any, stage1: Any, ref: str,
                   opt: Any) -> tuple[Any, Any, dict[str, float]]:
        """Micro-BLP (Petrin 2002) with the aggregate stage's σ and ρ held: Π on brand dummies × buyer demographics
        (and price × tier) matched to the panel buyers' mean demographics by brand (and mean tier × price)."""
        micro = self.micro
        assert micro is not None
        brands = sorted(df["brand"].unique())
        mbrands = self.micro_brand_list(brands, ref)
        bcode = {b: i for i, b in enumerate(brands)}
        df["product_ids"] = df["brand"].map(bcode).astype(int)
        for i, b in enumerate(mbrands):
            df[f"micro_brand_{i}"] = (df["brand"] == b).astype(float)
        agents, centre = self._agents(df)
        problem = build_problem(df, replace(x1, x2="0 + prices" + "".join(f" + micro_brand_{i}"
                                                                          for i in range(len(mbrands))),
                                            demographics="0 + " + " + ".join(DEMOGRAPHICS)), agents, check=False)
        size = df.drop_duplicates("market_ids").set_index("market_ids")["potential_units"].astype(float)
        size = (size / size.mean()).to_dict()

        def weights(t: Any, p: Any, a: Any) -> np.ndarray:  # buyers sampled in proportion to market size
            return np.full((a.size, p.size), size[t])

        periods = set(micro.buyers["period"].dropna())  # the markets of the quarters the orders cover
        covered = df.loc[df["period"].isin(periods), "market_ids"].unique().tolist() if "period" in df else []
        data = pyblp.MicroDataset("orders × users", observations=len(micro.buyers), compute_weights=weights,
                                  market_ids=covered or None)

        def ratio(name: str, value: float, num: Any, den: Any) -> Any:
            return pyblp.MicroMoment(name, value, [num, den], compute_value=lambda v: v[0] / v[1],
                                     compute_gradient=lambda v: np.array([1 / v[1], -v[0] / v[1] ** 2]))

        means = micro.brand_means()
        moments = []
        for b in brands:
            if b not in means.index:
                continue
            code = bcode[b]
            den = pyblp.MicroPart(f"1[{b}]", data, compute_values=lambda t, p, a, k=code: np.broadcast_to(
                (p.product_ids.ravel() == k).astype(float)[None, :], (a.size, p.size)))
            for j, c in enumerate(DEMOGRAPHICS):
                num = pyblp.MicroPart(f"{c}·1[{b}]", data, compute_values=lambda t, p, a, k=code, j=j: (
                    a.demographics[:, j][:, None] * (p.product_ids.ravel() == k)[None, :]))
                moments.append(ratio(f"E[{c} | {b}]", float(means.loc[b, c]) - centre[c], num, den))
        k2, nd = 1 + len(mbrands), len(DEMOGRAPHICS)
        pi0 = np.zeros((k2, nd))
        pi0[1:, :] = 0.01
        if self.micro_price_tier:
            j = DEMOGRAPHICS.index("tier")
            allp = pyblp.MicroPart("1", data, compute_values=lambda t, p, a: np.ones((a.size, p.size)))
            num = pyblp.MicroPart("tier·p", data, compute_values=lambda t, p, a: (
                a.demographics[:, j][:, None] * p.prices.ravel()[None, :]))
            b = micro.buyers
            value = float(np.average((b["tier"] - centre["tier"]) * b["price"], weights=b["units"]))
            moments.append(ratio("E[tier · price]", value, num, allp))
            pi0[0, j] = 0.01
        sigma = np.zeros((k2, k2))
        sigma[0, 0] = float(stage1.sigma[0, 0])
        rho = {}
        if np.size(stage1.rho):
            r0 = float(np.ravel(stage1.rho)[0])
            rho = {"rho": r0, "rho_bounds": (r0, r0)}
        res = problem.solve(sigma=sigma, sigma_bounds=(sigma, sigma), pi=pi0, method="1s", micro_moments=moments,
                            optimization=pyblp.Optimization("l-bfgs-b", {"gtol": MICRO_GTOL}), **rho)
        return problem, res, {str(m.name): float(m.value) for m in moments}
