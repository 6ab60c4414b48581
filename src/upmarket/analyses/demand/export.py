"""Save a demand fit so shares can be recomputed under new prices without pyblp or the warehouse.

Every model kind pyblp fits here (logit, nested logit, random coefficients with nodes, consumer types or buyer
demographics) has the same share equation once the fit is known: agent *i* in market *t* gets utility
``V_ij = δ_j + Σ_k X2_jk · c_ik`` from product *j* (0 from the outside good), where the per-agent coefficients
``c_ik`` (σ·ν_i + Π·d_i, exponentiated for ``log`` coefficients) do not depend on prices, and a price change moves δ
by ``dδ/dp · Δp`` and X2 by ``dX2/dp · Δp`` (the formulations are linear in price: checked). With nests the logit
is the nested one with a single ρ. The file format is documented in docs/artefacts-demand.md; the reader is
:func:`upmarket.app.demand_fit.load_demand_fit`.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from upmarket.analyses.demand.data import PRICE_UNIT
from upmarket.analyses.demand.model import DemandResults
from upmarket.analyses.demand.pricing import config_costs
from upmarket.artefacts import Artefact, SavedModel

FORMAT = "upmarket.demand_fit"
VERSION = 1
PRODUCT_COLUMNS = ("market_ids", "period", "region", "brand", "maker", "model", "band", "nest", "prices_cny",
                   "units", "potential_units", "shares")


def _price_derivative(formulations: list[Any], products: Any, n: int) -> np.ndarray:
    """d column / d price for each formulation (N × K); raises when a column is not linear in price."""
    out = np.zeros((n, len(formulations)))
    for k, f in enumerate(formulations):
        if "prices" not in f.names:
            continue
        if np.any(np.asarray(f.evaluate_derivative("prices", products, order=2), float) != 0):
            raise ValueError(f"the demand formulation {f} is not linear in price: the saved fit cannot re-price it")
        out[:, k] = np.broadcast_to(np.asarray(f.evaluate_derivative("prices", products), float).ravel(), n)
    return out


def agent_coefficients(problem: Any, results: Any) -> np.ndarray:
    """Each agent's coefficient on each X2 column (A × K2): σ·ν + Π·d, transformed by the column's rc type."""
    agents = problem.agents
    sigma = np.asarray(results.sigma, float)
    coef = np.asarray(agents.nodes, float) @ sigma.T if sigma.size else np.zeros((len(agents.weights), 0))
    pi = np.asarray(results.pi, float)
    if pi.size and np.size(agents.demographics):
        coef = coef + np.asarray(agents.demographics, float) @ pi.T
    for k, kind in enumerate(getattr(problem, "rc_types", ["linear"] * coef.shape[1])):
        if kind == "log":
            coef[:, k] = np.exp(coef[:, k])
        elif kind == "logit":
            coef[:, k] = 1.0 / (1.0 + np.exp(-coef[:, k]))
    return coef


def consumer_types(fit: DemandResults, agent_market: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """With the conjoint's consumer types: each agent's type (its rank within its market: the types are the same,
    in the same order, in every market) and each type's segment name; else every agent is type -1, no names."""
    tastes = fit.model.tastes
    if tastes is None or not fit.alpha_path:
        return np.full(len(agent_market), -1, int), []
    rank = pd.Series(agent_market).groupby(agent_market).cumcount().to_numpy()
    if rank.max() + 1 != len(tastes.labels):
        raise ValueError(f"{rank.max() + 1} agents per market for {len(tastes.labels)} consumer types")
    return rank.astype(int), [str(label).split(" · price node")[0] for label in tastes.labels]


def marginal_costs(fit: DemandResults, cost_ratio: float | dict[str, float] | None) -> tuple[np.ndarray, str]:
    """Marginal costs per row in CNY and where they come from (config ratio, or the Bertrand FOCs)."""
    if cost_ratio is not None:
        return config_costs(fit.data, cost_ratio) * PRICE_UNIT, "config [demand] cost_ratio"
    try:
        costs = np.asarray(fit.results.compute_costs(), float).ravel() * PRICE_UNIT
    except (ValueError, np.linalg.LinAlgError) as exc:  # a margin needs costs; without them it is not shown
        return np.full(len(fit.data), np.nan), f"not computed ({exc})"
    return costs, "recovered from the Bertrand-Nash first-order conditions (firm = maker)"


def demand_fit_artefact(fit: DemandResults, *, focal_brand: str, sub_brands: list[str] | tuple[str, ...] = (),
                        cost_ratio: float | dict[str, float] | None = None) -> SavedModel:
    """Everything needed to recompute the fit's shares, units and margins under new prices (module docstring)."""
    problem, res, d = fit.problem, fit.results, fit.data
    n = len(d)
    products = problem.products
    x1_formulations, x2_formulations = list(problem._X1_formulations), list(problem._X2_formulations)
    beta = np.nan_to_num(np.asarray(res.beta, float).ravel())
    ddelta = _price_derivative(x1_formulations, products, n) @ beta
    k2 = len(x2_formulations)
    x2 = np.asarray(products.X2, float).reshape(n, k2) if k2 else np.zeros((n, 0))
    dx2 = _price_derivative(x2_formulations, products, n) if k2 else np.zeros((n, 0))
    market_labels = pd.unique(d["market_ids"].to_numpy())
    market_code = {m: i for i, m in enumerate(market_labels)}
    if k2:
        agent_market = np.array([market_code[m] for m in np.asarray(problem.agents.market_ids).ravel()], int)
        agent_weights = np.asarray(problem.agents.weights, float).ravel()
        coef = agent_coefficients(problem, res)
    else:  # plain or nested logit: one representative agent per market
        agent_market = np.arange(len(market_labels))
        agent_weights = np.ones(len(market_labels))
        coef = np.zeros((len(market_labels), 0))
    agent_type, segments = consumer_types(fit, agent_market)
    rho = float(np.ravel(res.rho)[0]) if np.size(res.rho) else None
    nest_codes = np.full(n, -1, int)
    nest_labels: list[str] = []
    if rho is not None:
        nest_codes, uniques = pd.factorize(pd.Series(np.asarray(products.nesting_ids).ravel()).astype(str))
        nest_labels = [str(u) for u in uniques]
    costs, cost_source = marginal_costs(fit, cost_ratio)
    table = d.reindex(columns=[c for c in PRODUCT_COLUMNS if c in d]).copy()
    if "prices_cny" not in table:
        table["prices_cny"] = d["prices"].to_numpy(float) * PRICE_UNIT
    if "potential_units" not in table:
        table["potential_units"] = 1.0
    if "maker" not in table:
        table["maker"] = table["brand"]
    meta = {
        "format": FORMAT, "version": VERSION,
        "kind": fit.model.kind, "fixed_effects": fit.fixed_effects, "reference": fit.reference,
        "focal_brand": focal_brand, "sub_brands": [b for b in sub_brands if b != focal_brand],
        "price_unit_cny": PRICE_UNIT, "price_coef_per_1000cny": float(fit.price_coef_),
        "parameters": {str(k): float(v) for k, v in fit.params_.items()},
        "x2_labels": [str(f) for f in x2_formulations], "rho": rho, "nests": nest_labels,
        "markets": [str(m) for m in market_labels], "cost_source": cost_source,
        "characteristics": list(fit.characteristics), "agent_segments": segments,
        "products": json.loads(table.to_json(orient="records", force_ascii=False)),
    }
    arrays = {
        "delta": np.asarray(res.delta, float).ravel(), "prices": d["prices"].to_numpy(float),
        "ddelta_dprice": ddelta, "x2": x2, "dx2_dprice": dx2, "market": np.array([market_code[m] for m in
                                                                                   d["market_ids"]], int),
        "nest": np.asarray(nest_codes, int), "agent_market": agent_market, "agent_weights": agent_weights,
        "agent_coef": coef, "agent_type": agent_type, "costs_cny": costs,
        "shares_fit": np.asarray(res.compute_shares(), float).ravel(),
    }
    return SavedModel(meta, arrays)


def saved_fit(fit: DemandResults, warnings: list[str], **kw: Any) -> SavedModel | None:
    """The ``demand_fit`` artefact's value, or None with a warning when the fit cannot be saved (the figures stand
    without it; only `upmarket serve` needs it)."""
    try:
        return demand_fit_artefact(fit, **kw)
    except (ValueError, KeyError, np.linalg.LinAlgError) as exc:
        warnings.append(f"the demand fit could not be saved for `upmarket serve` ({exc})")
        return None


DEMAND_FIT = Artefact(
    "demand_fit", None, reads=("market_sales", "market_size", "products", "users", "orders", "choices"),
    settings=("demand", "focal_brand", "sub_brands", "premium_price"),
    inputs=("choice_design", "latent_classes", "scored_reviews"),
    doc="the fitted demand model in a form that re-prices without pyblp (`upmarket serve`; docs/artefacts-demand.md)")
