"""Demand and substitution: price elasticities, diversion, brand premium and cannibalisation (pyblp).

Identification rule: **FE-IV** (product × period effects absorbed, plus product × region effects when products
recur in a region; the price coefficient comes from within product-period price differences across regions) when at
least half the rows are in a product-period sold in two or more regions; otherwise **characteristic IV**
(differentiation + Hausman instruments, brand dummies in the utility) with a weak-identification warning, since
national price moves (markdowns, festivals, national subsidies) are then confounded with demand shocks.

Model choice rule (stated in the report, ``RULE``): fit the plain logit, the nested logit (nests from ``[demand]
nests``) and, when ``[demand] rc`` is true (default: true under FE-IV), the random-coefficients logit. A fit is
*admissible* when it converged and its mean price coefficient is positive (demand falls with price); the nested logit
also needs ρ significantly above 0 and ≥ 0.05 and below 0.95; the RC model needs its price σ significant and ≥ 5 % of
ᾱ (z-tests at 1 % with standard errors corrected for the absorbed effects), or, with the conjoint's types, a settled ᾱ
and a GMM objective no worse than without the types, and, with nests, ρ < 0.95.
The most flexible admissible fit is reported (rc > nested > logit); when none is admissible the plain logit is
reported with a warning that its figures are not credible.

Options (``[demand]``): ``rc`` (bool, default true under FE-IV), ``fixed_effects`` ("auto"), ``integration_size``
(5 Gauss–Hermite nodes), ``min_units`` (1), ``draws`` (bootstrap draws for intervals, 30), ``step_cny`` (500),
``reference`` (default: the first sub-brand), ``nest`` ("band"), ``counterfactual`` (true: equilibrium pricing and
the 国补 scenario, :mod:`upmarket.analyses.demand.pricing`), ``cost_ratio`` (marginal cost / price, one number or
``{brand = ratio}``; default: costs recovered from the Bertrand–Nash first-order conditions),
``counterfactual_period`` (default: the latest period before 2025, when prices did not yet include the 国补),
``tastes`` ("auto": under FE-IV the rc model takes its consumer types from the conjoint's latent classes when
``choices`` is in the dataset, see ``TASTES_RULE`` and :mod:`upmarket.analyses.demand.tastes`; "none": off),
``conjoint_attributes`` (conjoint attribute → demand characteristic, default ``{camera = "camera"}``),
``cross_top`` (30: the latest period's top products by units in the own/cross elasticity table),
``review_aspects`` (default empty = off: review aspect scores as characteristics, WTP in CNY per unit of net
sentiment, :mod:`upmarket.analyses.demand.reviews`; off until it recovers the twin's planted value within tolerance),
``micro`` (default false, experimental: micro-BLP when ``users`` × ``orders`` give buyer demographics and the
conjoint's types are not used, see ``MICRO_RULE``; off by default because its price coefficient is not yet stable in
the number of agents), ``micro_agents`` (40 panel users per market).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from upmarket.analyses.base import Analysis, Finding, Need, Section, needs, register
from upmarket.analyses.demand.counterfactual import cannibalisation_table, top_models
from upmarket.analyses.demand.data import DemandData, DemandDataError, MicroData, load_demand_data, load_micro_data
from upmarket.analyses.demand.export import DEMAND_FIT, saved_fit
from upmarket.analyses.demand.model import DemandModel, DemandResults, fe_coverage
from upmarket.analyses.demand.pricing import Subsidy, pricing_counterfactuals
from upmarket.analyses.demand.reviews import run_review_wtp
from upmarket.analyses.demand.settings import DemandSettings
from upmarket.analyses.demand.spec import Spec, SpecFit, fit_spec
from upmarket.analyses.demand.tastes import ALPHA_TOL, SurveyTastes, TasteError, from_latent_class
from upmarket.contract import PREMIUM_THRESHOLD_CNY
from upmarket.estimation import CI_ALPHA, NotFittedError
from upmarket.findings import Slots
from upmarket.warehouse.source import to_frame

if TYPE_CHECKING:
    from collections.abc import Mapping

    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

__all__ = ["Demand", "DemandData", "DemandDataError", "DemandModel", "DemandResults", "MicroData", "NotFittedError",
           "Spec", "SpecFit", "Subsidy", "admissible", "choose", "fe_coverage", "fit_spec", "load_demand_data",
           "load_micro_data", "pricing_counterfactuals", "survey_tastes"]

WEAK_F = 10.0
SIGMA_Z = 2.576
"""A random coefficient is kept when |σ / se| reaches this (1 % two-sided; se corrected for the absorbed effects'
degrees of freedom, ``DemandResults.dof_scale_``). 1.645 kept a σ the data did not have on 1 of 3 plain-logit and 1 of
3 nested test markets with regional demand shocks (issue 14): a more flexible model is the costly mistake."""
SIGMA_MIN_RATIO = 0.05
"""… and when it is material: σ / ᾱ of at least this (a spread of price sensitivity under 5 % of the mean changes no
elasticity or diversion visibly; on a nested-logit market with 400 rows a σ of 0.017 / ᾱ 1.0 was 'significant')."""
RHO_Z = 2.576
"""Nests are kept when ρ / se reaches this (1 %, se corrected as σ's): ρ = 0 is the plain logit, so a ρ
indistinguishable from 0 means no nests."""
RHO_MIN = 0.05
"""… and when ρ is material: under 0.05 the nests change within-nest substitution by under 5 % (on a plain-logit
market of 240 rows a ρ of 0.0006 was 'significant')."""
RULE = ("rc if it converged, price sigma is significant (|z| >= 2.576, se corrected for the absorbed effects) and "
        "material (sigma >= 5% of the mean price "
        "coefficient) — or, with the conjoint's consumer types, the mean price coefficient settled and the types fit "
        "the market's moments no worse (GMM objective, same instruments) than the model without them — and "
        "rho < 0.95; else nested if rho is significantly above 0 (z >= 2.576), at least 0.05 and below 0.95; else "
        "logit; all need a positive mean price coefficient")
PREMIUM_CNY = 4000.0
"""Nests ``premium``: a product is premium when its price band starts at 4000 CNY or more (the contract's premium)."""


def nest_column(products: pd.DataFrame, nests: str, warehouse: Warehouse | None = None) -> pd.DataFrame:
    """``products`` with a ``nest`` column from ``[demand] nests``: ``band`` (price band), ``premium`` (premium vs
    mass, by price band), a column of the demand data (``foldable``, ``maker``) or of the products table (any
    column, e.g. ``series``, matched by model). ``none`` leaves the data without nests."""
    df = products.copy()
    if nests == "none":
        return df
    if nests == "premium":
        lo = df["band"].str.extract(r"^(\d+)", expand=False).astype(float)
        df["nest"] = np.where(lo >= PREMIUM_CNY, "premium", "mass")
        return df
    if nests in df.columns:
        df["nest"] = df[nests].astype(str)
        return df
    if warehouse is not None:
        products_table = warehouse.table("products")
        if nests in products_table.columns:
            m = to_frame(products_table.group_by(model_key=products_table.model.strip().lower())
                         .agg(v=products_table[nests].arbitrary()))
            key = df["model"].str.strip().str.lower()
            df["nest"] = key.map(m.set_index("model_key")["v"]).astype(str).fillna("?")
            return df
    raise DemandDataError(f"[demand] nests = {nests!r}: not 'band', 'premium', 'none' or a column of the products "
                          "table")


BUILT_IN = {"camera_score": "camera", "camera": "camera", "performance_score": "performance",
            "performance": "performance", "storage_gb": "storage", "storage": "storage", "foldable": "foldable"}
"""Products columns the demand data builds its own way (scores per 10 points, storage as log2(GB / 128))."""


def demand_characteristics(configured: Any) -> tuple[str, ...]:
    """``[demand] characteristics`` as demand-data columns: the built-in four by default; any other numeric
    products column (``battery_mah``, ``weight_g``, an export's extra column) is carried as it comes."""
    if configured is None:
        return tuple(DemandModel.characteristics)
    if isinstance(configured, str):
        configured = [configured]
    return tuple(dict.fromkeys(BUILT_IN.get(str(c), str(c)) for c in configured))


def choose_reference(brands: list[str], configured: str | None, sub_brands: tuple[str, ...] | list[str],
                     focal: str) -> str:
    """The brand premia are measured against: ``[demand] reference_brand``, else the first sub-brand in the data,
    else the focal brand, else the first brand (the same order as the conjoint's, ``upmarket.choice.design``)."""
    if configured:
        if configured not in brands:
            raise DemandDataError(f"[demand] reference_brand {configured!r} is not a brand of market_sales "
                                  f"({', '.join(brands)})")
        return configured
    return next((b for b in (*sub_brands, focal) if b in brands), brands[0])


def admissible(fit: DemandResults) -> tuple[bool, str]:
    """Whether a fit may be reported, and why not."""
    if not fit.converged:
        return False, "the optimiser did not converge"
    if not fit.price_coef_ > 0:
        return False, ("the mean price coefficient has the wrong sign "
                       f"(demand rises with price: {-fit.price_coef_:+.3f})")
    params = fit.params_
    if fit.model.kind == "nested":
        rho = params["rho"]
        if not rho < 0.95 - 1e-6:
            return False, f"the nesting parameter is at its upper bound (rho = {rho:.3f})"
        if not (fit.rho_z_ >= RHO_Z and rho >= RHO_MIN):
            return False, (f"the nesting parameter is not significantly above 0 (rho = {rho:.3f}, "
                           f"rho/se = {fit.rho_z_:.2f}; needs z >= {RHO_Z} and rho >= {RHO_MIN}): the nests add "
                           "nothing to the plain logit")
    if fit.model.kind == "rc":
        if "rho" in params and not params["rho"] < 0.95 - 1e-6:
            return False, f"the nesting parameter is at its upper bound (rho = {params['rho']:.3f})"
        if fit.alpha_path:  # conjoint tastes: no σ to test, but ᾱ must have settled
            a = fit.alpha_path
            if not abs(a[-1] / a[-2] - 1) < 10 * ALPHA_TOL:
                return False, (f"the mean price coefficient did not settle with the conjoint's tastes "
                               f"({' → '.join(f'{x:.3f}' for x in a[-3:])})")
        elif not fit.sigma_z_ >= SIGMA_Z:
            return False, (f"the price random coefficient is not significant "
                           f"(|sigma/se| = {fit.sigma_z_:.2f} < {SIGMA_Z})")
        elif not fit.sigma_ratio_ >= SIGMA_MIN_RATIO:
            return False, (f"the price random coefficient is negligible (sigma / mean price coefficient = "
                           f"{fit.sigma_ratio_:.3f} < {SIGMA_MIN_RATIO})")
    return True, ""


def evidence(fits: dict[str, DemandResults]) -> dict[str, dict[str, Any]]:
    """Per fitted specification: admissible or not and why, the statistics the rule tests (ρ/se, σ/se), ᾱ and the
    GMM objective — what ``pricing.demand_model.evidence`` shows so the choice can be checked."""
    out: dict[str, dict[str, Any]] = {}
    worse = types_fit_worse(fits)
    for kind, fit in fits.items():
        ok, why = admissible(fit)
        if ok and kind == "rc" and worse:
            ok, why = False, worse
        row: dict[str, Any] = {"admissible": ok, "price_coef_per_1000cny": _r(fit.price_coef_),
                               "objective": _r(float(np.ravel(fit.results.objective)[0]), 6)}
        if why:
            row["rejected_because"] = why
        if np.isfinite(fit.rho_z_):
            row["rho"], row["rho_z"] = _r(fit.params_["rho"]), _r(fit.rho_z_, 2)
        if np.isfinite(fit.sigma_z_):
            row["sigma_z"], row["sigma_over_price_coef"] = _r(fit.sigma_z_, 2), _r(fit.sigma_ratio_)
        out[kind] = row
    return out


def _objective(fit: DemandResults) -> float:
    return float(np.ravel(fit.results.objective)[0])


def types_fit_worse(fits: dict[str, DemandResults]) -> str | None:
    """Why the conjoint's consumer types are refused by the market data, or None.

    With the types, Π is fixed by the survey and only ᾱ (and ρ) are estimated: as many free parameters as the
    model without types, on the same instruments (the nested fit when there are nests, else the logit). If the types
    make the GMM objective larger, the market does not show the heterogeneity the survey claims (e.g. a market
    with one price sensitivity and a survey with several classes)."""
    rc = fits.get("rc")
    if rc is None or not rc.alpha_path:
        return None
    base = fits.get("nested") if np.size(rc.results.rho) else fits.get("logit")
    if base is None:
        return None
    q_rc, q_base = _objective(rc), _objective(base)
    if q_rc <= q_base * (1 + 1e-6) + 1e-12:
        return None
    return (f"the conjoint's consumer types fit the market's moments worse than no types (GMM objective "
            f"{q_rc:.4g} vs {q_base:.4g} for the {base.model.kind} model on the same instruments)")


def choose(fits: dict[str, DemandResults]) -> tuple[str, list[str]]:
    """The reported kind under the stated rule, and one note per rejected fit."""
    notes, ok = [], []
    worse = types_fit_worse(fits)
    for kind, fit in fits.items():
        good, why = admissible(fit)
        if good and kind == "rc" and worse:
            good, why = False, worse
        (ok.append(kind) if good else notes.append(f"{kind} model rejected: {why}"))
    for kind in ("rc", "nested", "logit"):
        if kind in ok:
            return kind, notes
    notes.append("no specification is admissible: the plain logit is reported, but its elasticities and premia "
                 "are not credible (check instruments and prices)")
    return "logit", notes


def _r(x: float, d: int = 4) -> float:
    return round(float(x), d)


MICRO_RULE = ("micro-BLP (Petrin 2002): users × orders give buyer demographics (city-tier index, under-25 share) by "
              "brand; the rc model adds interactions of every brand dummy with buyers with those demographics, "
              "matched to the buyers' mean demographics by brand as micro moments, holding the aggregate stage's "
              "sigma and rho; used when [demand] micro = true, users and orders with tier and age band exist and rc "
              "is fitted under FE-IV, and reported when its mean price coefficient stays within 10% of the aggregate "
              "stage's (else the aggregate rc, with a warning)")
MICRO_OFF = "not used: [demand] micro = false (the default), or the rc model is not fitted (FE-IV only)"
TASTES_RULE = ("conjoint consumer types: the latent classes of the choices table (the segments analysis's fit) enter "
               "the rc model as agent types with their relative brand, price and attribute tastes, scaled by the "
               "market's mean price coefficient (a fixed point); used under FE-IV when [demand] tastes = 'auto' (the "
               "default) and a conjoint is in the dataset")
TASTES_OFF = ("not used: no conjoint (choices) in the dataset, [demand] tastes = 'none', or the rc model is not "
              "fitted under FE-IV; the rc model has a normal random coefficient on price only, and brand premia are "
              "then biased upward where brand tastes and price sensitivity go together (docs/demand.md)")


def survey_tastes(artefacts: Mapping[str, Any], products: pd.DataFrame, reference: str,
                  characteristics: tuple[str, ...], opts: DemandSettings | Mapping[str, Any],
                  warnings: list[str]
                  ) -> SurveyTastes | None:
    """Consumer types from the conjoint's latent classes (the ``latent_classes`` artefact the segments analysis
    produces, fitted once per run), or None with a warning when the conjoint cannot give them."""
    from upmarket.choice.design import ChoiceDataError

    try:
        data = artefacts["choice_design"]
        latent = artefacts["latent_classes"]
        fit = latent.best
        warnings.extend(latent.warnings)
        chars = [c for c in characteristics if c in products]
        tastes = from_latent_class(fit, data, sorted(products["brand"].unique()), chars,
                                   opts.get("conjoint_attributes"), list(latent.names))
    except (ChoiceDataError, TasteError, ValueError, np.linalg.LinAlgError) as exc:  # the market model stands alone
        warnings.append(f"the conjoint's tastes are not used in the demand model: {exc}")
        return None
    warnings += tastes.warnings
    return tastes


MIN_PRODUCTS_PER_BRAND = 5
"""A brand premium from fewer distinct products than this (per brand) rests on a handful of demand shocks."""


def _few_products_per_brand(products: pd.DataFrame, reference: str) -> str | None:
    """A warning when some brand's premium rests on fewer than ``MIN_PRODUCTS_PER_BRAND`` products."""
    key = products["model"] if "model" in products else products["product_key"]
    n = key.groupby(products["brand"]).nunique()
    few = n[n < MIN_PRODUCTS_PER_BRAND]
    if few.empty:
        return None
    return (f"brand premia rest on few products for {', '.join(f'{b} ({k})' for b, k in few.items())}: each "
            f"premium (over {reference}) averages those products' demand shocks, so read it as those models' "
            "premium, not the brand's")


def _micro_figures(fit: DemandResults, micro: MicroData) -> dict[str, Any]:
    """What the micro stage matched: buyer counts and observed vs fitted mean demographics by brand."""
    means = micro.brand_means()
    mf = fit.micro_fit_
    return {"order_lines": len(micro.buyers), "orders_by_brand": {b: int(n) for b, n in means["orders"].items()},
            "buyer_means": {b: {c: _r(means.loc[b, c]) for c in means.columns if c != "orders"} for b in means.index},
            "moments_centred": {r.moment: {"observed": _r(r.observed), "fitted": _r(r.fitted)}
                                for r in mf.itertuples()},
            "pi": {f"{lab} x {d}": _r(v) for lab, v, d in fit._micro_pi()}}


def fit_kinds(base: DemandModel, products: pd.DataFrame, kinds: list[str], warnings: list[str]
              ) -> tuple[dict[str, DemandResults], dict[str, float], dict[str, float]]:
    """Each model kind fitted (one that cannot be fitted is a warning), with the wall-clock and pyblp solve times."""
    fits: dict[str, DemandResults] = {}
    solve_s: dict[str, float] = {}
    pyblp_s: dict[str, float] = {}
    for kind in kinds:
        t = time.perf_counter()
        spec = replace(base, kind=kind)
        try:
            fits[kind] = spec.fit(products)
        except (ValueError, np.linalg.LinAlgError) as exc:
            warnings.append(f"{kind} model could not be fitted: {exc}")
        solve_s[kind] = time.perf_counter() - t
        if kind in fits:  # pyblp's own Problem.solve time (ProblemResults.total_time), inside the fit above
            f = fits[kind]
            pyblp_s[kind] = (f.pyblp_seconds if f.pyblp_seconds is not None
                             else float(getattr(f.results, "total_time", np.nan)))
    return fits, solve_s, pyblp_s


FIGURES_OF_DEMAND = ("price_elasticity", "brand_premium_cny", "diversion", "diversion_inside")
"""The figures a doubtful demand model weakens together."""


def add_flag(flagged: dict[str, list[str]], warnings: list[str], text: str, *keys: str) -> None:
    """``text`` next to each figure it weakens (``flagged``) and, once, among the section's warnings."""
    for k in keys:
        flagged.setdefault(k, []).append(text)
    if text not in warnings:
        warnings.append(text)


def credibility_warnings(fit: DemandResults, kind: str, fs: dict[str, float], warnings: list[str]
                         ) -> dict[str, list[str]]:
    """Warnings next to the figures they weaken (``pricing.warnings.<figure>``), also added to ``warnings``:
    a wrong-signed price coefficient, a model failing its own test, weak or too-good instruments."""
    flagged: dict[str, list[str]] = {}

    def flag(text: str, *keys: str) -> None:
        add_flag(flagged, warnings, text, *keys)

    figures_of_demand = FIGURES_OF_DEMAND
    if not fit.price_coef_ > 0:
        flag(f"the reported price coefficient has the wrong sign (demand rises with price: "
             f"{-fit.price_coef_:+.3f} per 1000 CNY): elasticities, premia and diversion are not meaningful",
             *figures_of_demand, "counterfactual")
    good, why = admissible(fit)
    if not good:
        flag(f"the reported {kind} model failed its own test ({why}): its elasticities, premia and diversion "
             "are shown for completeness, not as estimates to act on", *figures_of_demand, "counterfactual")
    if fs["n_instruments"] == 0 or not fs["F"] >= WEAK_F:
        flag(f"weak identification: first-stage F = {fs['F']:.1f} (< {WEAK_F:.0f}) for price",
             *figures_of_demand)
    if fs.get("partial_r2", 0) > 0.999:
        warnings.append("the instruments reproduce price almost exactly (partial R² > 0.999): price is in effect "
                        "treated as exogenous, so the price coefficient is only as good as that assumption")
    return flagged


@register
class Demand(Analysis):
    """Structural demand on market_sales shares with pyblp."""

    name = "demand"
    settings_type = DemandSettings
    order = 50
    title = "Demand and substitution"
    title_zh = "需求与替代"
    requires = ("market_sales", "market_size", "products")
    optional = ("listings", "users", "orders", "choices", "reviews")
    results_key: ClassVar[str] = "pricing"
    consumes = ("choice_design", "latent_classes", "scored_reviews")
    produces = (DEMAND_FIT,)
    _priced = needs("market_sales:model,avg_price", "market_sales:model,revenue")  # regional prices identify α
    figure_needs: ClassVar[dict[str, Need]] = dict.fromkeys(
        ("price_elasticity", "brand_premium_cny", "diversion", "counterfactual", "demand_model"), _priced)

    def run(self, warehouse: Warehouse, config: Config) -> Section:
        opts: DemandSettings = config.settings("demand")
        t0 = time.perf_counter()
        chars = demand_characteristics(opts.characteristics)
        data = load_demand_data(warehouse, min_units=opts.min_units, premium_price=config.premium_price,
                                extra=tuple(c for c in chars if c not in BUILT_IN.values()))
        warnings = list(data.warnings)
        configured = opts.reference_brand
        ref = choose_reference(sorted(data.products["brand"].unique()), configured or None,
                               config.sub_brands, config.focal_brand)
        nests = opts.nests
        data = replace(data, products=nest_column(data.products, nests, warehouse))
        base = DemandModel(reference=ref, nest="nest", characteristics=chars,
                           integration_size=opts.integration_size,
                           fixed_effects=opts.fixed_effects)  # type: ignore[arg-type]
        fe = base.resolve_fixed_effects(data.products)
        if fe == "product_period":
            ident = ("FE-IV: product × period effects absorbed; the price coefficient is identified by regional price "
                     "differences of the same product in the same period")
        else:
            ident = "characteristic IV: differentiation and Hausman instruments with brand dummies"
            why = (f"[demand] fixed_effects = {base.fixed_effects!r}" if base.fixed_effects != "auto" else
                   f"only {fe_coverage(data.products):.0%} of the rows are in a product-period sold in two or more "
                   "regions (FE-IV needs half)")
            warnings.append(
                f"weak identification: {why}, so product × period effects are not absorbed and price is "
                "instrumented by characteristics; national price moves (markdowns, festivals, subsidies) that are "
                "correlated with demand shocks bias the price coefficient toward zero")
        kinds = ["logit"] + (["nested"] if nests != "none" else []) + (
            ["rc"] if (opts.rc if opts.rc is not None else fe == "product_period") else [])
        tastes = None
        not_computed: dict[str, str] = {}
        if ("rc" in kinds and fe == "product_period" and opts.tastes != "none"
                and warehouse.has_rows("choices")):
            tastes = survey_tastes(self.artefacts, data.products, ref, base.characteristics, opts, warnings)
            absent = [c for c in tastes.characteristics
                      if c not in data.products or not data.products[c].notna().all()] if tastes else []
            if absent:  # products without the characteristics the conjoint's attributes map to
                not_computed["demand_model.tastes.class_shares"] = (
                    f"products give no {' or '.join(absent)} characteristic for every model: the conjoint's consumer "
                    "types cannot enter the demand model (fitted on market shares alone)")
                tastes = None
            else:
                base = replace(base, tastes=tastes)
        micro, micro_note = None, MICRO_OFF
        if "rc" in kinds and fe == "product_period" and opts.micro and tastes is None:
            micro = load_micro_data(warehouse)
            if micro is None:
                micro_note = ("not used: no users × orders with buyer city tier and age band (aggregate-share "
                              "random coefficients only; brand premia are then biased when brand tastes differ by "
                              "demographic group)")
            else:
                warnings += micro.warnings
                base = replace(base, micro=micro, micro_agents=opts.micro_agents)
                micro_note = MICRO_RULE
        fits, solve_s, pyblp_s = fit_kinds(base, data.products, kinds, warnings)
        if not fits:
            raise DemandDataError("no demand model could be fitted; see the warnings")
        kind, notes = choose(fits)
        warnings += notes
        fit = fits[kind]
        warnings += [w for w in fit.warnings if w not in warnings]
        if fit.absorbed and not fit.alpha_path:
            warnings.append(
                "brand premia come from market shares alone: when a brand's buyers are also the less price-sensitive "
                "consumers (Apple, Huawei, a focal flagship), its premium is overstated (by a third on the twin) — "
                "add a conjoint (choices) so the demand model takes its consumer types from it (docs/demand.md)")
        fs = fit.first_stage()
        flagged = credibility_warnings(fit, kind, fs, warnings)

        def flag(text: str, *keys: str) -> None:
            add_flag(flagged, warnings, text, *keys)

        figures_of_demand = FIGURES_OF_DEMAND
        draws = opts.draws
        ci = fit.figure_intervals(alpha=CI_ALPHA, draws=draws)
        el, prem, div = fit.brand_elasticity_, fit.brand_premium_, fit.diversion_
        figures: dict[str, Any] = {
            "price_elasticity": {"all": {b: _r(v) for b, v in el.items()}},
            "price_elasticity_ci": {"all": {b: [_r(r.low), _r(r.high)] for b, r in ci["price_elasticity"].iterrows()}},
            "brand_premium_cny": {"all": {b: _r(v, 1) for b, v in prem.items()}},
            "brand_premium_cny_ci": {"all": {b: [_r(r.low, 1), _r(r.high, 1)]
                                             for b, r in ci["brand_premium_cny"].iterrows()}},
            "diversion": {b: {c: _r(v) for c, v in row.items() if pd.notna(v)} for b, row in div.iterrows()},
            "diversion_ci": {b: {c: [_r(ci["diversion_low"].loc[b, c]), _r(ci["diversion_high"].loc[b, c])]
                                 for c in div.columns if pd.notna(div.loc[b, c])} for b in div.index},
            "diversion_inside": {b: {c: _r(v) for c, v in row.items() if pd.notna(v)}
                                 for b, row in fit.diversion_inside_.iterrows()},
            "diversion_inside_ci": {b: {c: [_r(ci["diversion_inside_low"].loc[b, c]),
                                            _r(ci["diversion_inside_high"].loc[b, c])]
                                        for c in ci["diversion_inside_low"].columns if c != b} for b in div.index},
            "demand_model": {"kind": kind, "reference": fit.reference, "identification": ident,
                             "absorbed": fit.absorb, "first_stage_F": _r(fs["F"], 2),
                             "first_stage_partial_r2": _r(fs["partial_r2"]),
                             "price_coef_per_1000cny": _r(fit.price_coef_),
                             "parameters": {k: _r(v) for k, v in fit.params_.items()},
                             "rule": RULE, "nests": nests, "evidence": evidence(fits),
                             "characteristics": list(fit.characteristics),
                             "tastes": {"rule": TASTES_RULE if tastes is not None else TASTES_OFF,
                                        "used": bool(fit.alpha_path),
                                        **({"class_shares": {k: _r(v) for k, v in tastes.class_shares.items()},
                                            "survey_price_coef_per_1000cny": _r(tastes.survey_alpha),
                                            "price_coef_path": [_r(a) for a in fit.alpha_path]}
                                           if tastes is not None and fit.alpha_path else {})},
                             "micro": {"rule": micro_note, "used": fit.aggregate is not None,
                                       **(_micro_figures(fit, micro) if micro is not None
                                          and fit.aggregate is not None else {})},
                             "solve_seconds": {k: _r(v, 2) for k, v in solve_s.items()},
                             "pyblp_solve_seconds": {k: _r(v, 2) for k, v in pyblp_s.items()}},
        }
        tables: dict[str, pd.DataFrame] = {
            "demand_coefficients": fit.coefficient_table(),
            "sku_elasticities": fit.elasticities_,
            "sku_cross_elasticities": fit.cross_elasticities(top=opts.cross_top),
            "diversion_matrix": div.reset_index(names="from_brand"),
        }
        if tastes is not None and fit.alpha_path:
            tables["consumer_types"] = tastes.table()
        if opts.review_aspects:  # what reviews are worth (off by default: docs/demand.md)
            rev = run_review_wtp(warehouse, fit, opts, lambda: self.artefacts["scored_reviews"])
            figures.update(rev["figures"])
            tables.update(rev["tables"])
            warnings += rev["warnings"]
        findings: list[Finding] = []
        step = opts.step_cny
        models = top_models(fit, config.focal_brand, 3, 4000.0) + top_models(fit, ref, 2)
        if models:
            cann = cannibalisation_table(fit, models, step)
            tables["cannibalisation"] = cann
            for row in cann[(cann["brand"] == config.focal_brand) & (cann["units_lost"] > 0)].to_dict("records"):
                findings.append(_cannibalisation_finding(row, ref))
        if opts.counterfactual:
            self._counterfactual(fit, config.focal_brand, opts.cost_ratio, opts.counterfactual_period,
                                 figures, tables, findings, warnings)
            negative = (figures.get("counterfactual") or {}).get("negative_costs", 0)
            if negative:
                flag(next(w for w in warnings if "marginal cost ≤ 0" in w), "counterfactual")
                flag(f"{negative} implied marginal costs are ≤ 0: demand this inelastic at these prices is a sign "
                     "the demand side is wrong (or prices are not set by Bertrand competition)", *figures_of_demand)
        premia_note = _few_products_per_brand(data.products, fit.reference)
        if premia_note:
            flag(premia_note, "brand_premium_cny")
        if flagged:
            figures["warnings"] = flagged
        figures["demand_model"]["seconds"] = _r(time.perf_counter() - t0, 2)
        self.artefacts.produce("demand_fit", lambda: saved_fit(  # type: ignore[union-attr]
            fit, warnings, focal_brand=config.focal_brand, sub_brands=config.sub_brands, cost_ratio=opts.cost_ratio))
        return Section(name=self.name, title=self.title, title_zh=self.title_zh, figures=figures, tables=tables,
                       findings=findings, warnings=warnings, not_computed=not_computed)

    @staticmethod
    def _counterfactual(fit: DemandResults, focal: str, cost_ratio: Any, period: str | None, figures: dict[str, Any],
                        tables: dict[str, pd.DataFrame], findings: list[Finding],
                        warnings: list[str]) -> None:
        """Equilibrium prices at the costs and the 国补 scenarios (one period) into figures, tables, a finding."""
        try:
            table, sku, summ = pricing_counterfactuals(fit, focal=focal, cost_ratio=cost_ratio, period=period)
        except (ValueError, np.linalg.LinAlgError) as exc:
            warnings.append(f"counterfactual pricing could not be computed: {exc}")
            return
        if summ["negative_costs"]:
            warnings.append(
                f"{summ['negative_costs']} of the {len(sku)} product-market rows of {summ['period']} have a marginal "
                "cost ≤ 0 when recovered from the Bertrand–Nash first-order conditions: the estimated demand is too "
                "inelastic for these prices to be profit-maximising (prices set by schedule or list, not by "
                "Bertrand); set [demand] cost_ratio to price from known costs" if cost_ratio is None else
                f"{summ['negative_costs']} product-market rows have a marginal cost ≤ 0")
        if summ["period"][:4].isdigit() and int(summ["period"][:4]) >= 2025:
            warnings.append(f"the 国补 scenario runs on {summ['period']}, whose prices may already include the subsidy "
                            "(from 2025-01-20): its effect is then counted twice")
        tables["pricing_counterfactual"] = table
        tables["pricing_counterfactual_sku"] = sku.reset_index(drop=True)
        figures["counterfactual"] = {
            **{k: v for k, v in summ.items() if k != "subsidy"}, "subsidy": summ["subsidy"],
            "scenarios": {row.scenario: {"inside_share": _r(row.inside_share, 5),
                                         "premium_share": _r(row.premium_share), "units_change": _r(row.units_change),
                                         "premium_share_change_pp": _r(row.premium_share_change_pp, 2),
                                         f"{focal}_share": _r(getattr(row, f"{focal}_share"))}
                          for row in table.itertuples()},
        }
        findings.append(_subsidy_finding(figures["counterfactual"]))


def _cannibalisation_finding(row: dict[str, Any], ref: str) -> Finding:
    """One focal model's price rise: units lost and where they go, each number a cell of ``cannibalisation``."""
    model = row["model"]
    s = Slots()

    def cell(name: str, column: str, unit: str) -> str:
        return s(name, row.get(column, np.nan), unit, f"cannibalisation.{model}.{column}" if column in row else None)

    m, rb = s("model", model, "text"), s("reference", ref, "brand")
    step, lost = cell("step", "step_cny", "cny"), cell("units_lost", "units_lost", "count")
    to_ref, out = cell("to_reference", f"share_to_{ref}", "pct"), cell("to_outside", "share_to_outside", "pct")
    return Finding.of(f"demand.cannibalisation.{model}", s.template(
        f"A {step} rise on {m} loses {lost} units a quarter, {to_ref} of which go to {rb} and {out} to no purchase.",
        f"{m} 提价 {step}，每季度少卖 {lost}台，其中 {to_ref} 转向{rb}，{out} 放弃购买。"))


def _subsidy_finding(cf: dict[str, Any]) -> Finding:
    """The 国补 scenarios against the observed prices, every number a figure of ``pricing.counterfactual``."""
    s = Slots()
    key = "pricing.counterfactual"
    rule = {k: s(k, cf["subsidy"][k], "pct" if k == "rate" else "cny", f"{key}.subsidy.{k}")
            for k in ("rate", "cap_cny", "limit_cny")}
    period = s("period", cf["period"], "period")
    scen = {}
    for tag, name in (("held", "国补, prices held"), ("moved", "国补, firms re-optimise")):
        fig = cf["scenarios"][name]
        scen[tag] = (s(f"units_{tag}", fig["units_change"], "pct", f"{key}.scenarios.{name}.units_change"),
                     s(f"premium_{tag}", fig["premium_share_change_pp"], "number+",
                       f"{key}.scenarios.{name}.premium_share_change_pp"))
    floor = s("premium_floor", PREMIUM_THRESHOLD_CNY, "cny")
    (uh, ph), (um, pm) = scen["held"], scen["moved"]
    rate, cap, limit = rule["rate"], rule["cap_cny"], rule["limit_cny"]
    return Finding.of("demand.subsidy", s.template(
        f"The 国补 ({rate} off, at most {cap}, at or below {limit}) adds {uh} to phone sales in {period} if prices "
        f"hold ({um} if firms re-price) and moves the premium (≥{floor} paid) share by {ph} pp ({pm} pp): the subsidy "
        f"makes mid-range phones cheaper relative to {limit}+ flagships.",
        f"国补（立减 {rate}，最高 {cap}，限 {limit} 以下）在价格不变时使{period}手机销量增加 {uh}"
        f"（厂商重新定价时 {um}），高端（实付 ≥{floor}）份额变化 {ph} 个百分点（{pm}）。"))
