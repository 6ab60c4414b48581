"""Who the consumers are: the conjoint's latent classes as the demand model's consumer types.

Why: aggregate shares tell how each product's *buyers* respond to price, not who they are. When brand tastes and
price sensitivity go together (status buyers like Apple and Huawei and mind price less; value buyers like Redmi),
a random coefficient on price alone puts the Apple lovers' taste into Apple's mean utility and the mean price
coefficient comes out low: brand premia were +33–37 % on the twin. A conjoint's latent classes measure how tastes
differ between people; the market data still decide how much each product sells at what price. Combining the two
is the usual remedy (stated-preference data as micro information for BLP; Train, *Discrete Choice Methods*, ch. 7).

Each class k, and each node q of its within-class lognormal price coefficient, becomes one agent type with weight
π_k·w_q and utility deviations from the population mean, in 1000 CNY of the conjoint's mean price coefficient ᾱ_cj:

* price: α_k·m_q / ᾱ_cj − 1 (a multiplier of the market's ᾱ);
* brand b: (β_kb + L_k − mean) / ᾱ_cj, where L_k is the class's utility of the *reference* brand relative to no
  purchase: −β_k,none minus the mapped attributes' base levels. The conjoint codes brands against the reference,
  so without L_k the reference brand would have the same utility for every class (value buyers do like Redmi more);
  this assumes the purchase context (what "none" means in the survey) is the same for every class;
* each mapped attribute (``[demand] conjoint_attributes``): its slope per unit of the demand characteristic.

The market model multiplies these by the market's own ᾱ (a fixed point: ᾱ is re-estimated with the deviations held
until it moves less than ``ALPHA_TOL``), so only the *relative* tastes come from the survey, not its scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from upmarket.choice.design import ChoiceData
    from upmarket.choice.latent import LatentClassFit

NONE = "none"
DEFAULT_ATTRIBUTES: dict[str, Any] = {"camera": "camera"}
"""Conjoint attribute → demand characteristic; numeric levels are score points (the demand data uses points / 10)."""
SCORE_UNIT = 10.0
"""Demand characteristics camera / performance are per 10 score points (``data.py``)."""
ALPHA_TOL = 1e-4
"""Relative change of the market ᾱ at which the fixed point stops."""
MAX_ITER = 25


class TasteError(ValueError):
    """The conjoint cannot give consumer types for the demand model; the message says why."""


@dataclass
class SurveyTastes:
    """Consumer types for pyblp: weights and utility deviations (1000 CNY of mean price coefficient)."""

    labels: list[str]  # one per type: "class k" or the segment name, with the price node
    weights: np.ndarray  # (T,), sums to 1
    price: np.ndarray  # (T,) α_t / ᾱ − 1 (weighted mean 0)
    brand: pd.DataFrame  # (T, brands) taste deviations (weighted column means 0)
    characteristics: dict[str, np.ndarray]  # demand characteristic -> (T,) slope deviation (weighted mean 0)
    class_shares: dict[str, float]
    survey_alpha: float  # ᾱ_cj, the conjoint's population-mean price coefficient per 1000 CNY
    warnings: list[str] = field(default_factory=list)

    @property
    def demographics(self) -> list[str]:
        """Agent columns in the order of :meth:`x2_columns`."""
        return ["price_dev", *(f"taste_{i}" for i in range(self.brand.shape[1])),
                *(f"slope_{c}" for c in self.characteristics)]

    def x2_columns(self) -> list[str]:
        """The product columns each demographic multiplies: prices, one dummy per brand, the characteristics."""
        return ["prices", *(f"is_brand_{i}" for i in range(self.brand.shape[1])), *self.characteristics]

    def add_brand_dummies(self, df: pd.DataFrame) -> pd.DataFrame:
        """``is_brand_i`` columns on the product rows (brands outside the survey get no dummy column: zero taste)."""
        out = df.copy()
        for i, b in enumerate(self.brand.columns):
            out[f"is_brand_{i}"] = (out["brand"] == b).astype(float)
        return out

    def agents(self, market_ids: np.ndarray) -> pd.DataFrame:
        """The same types in every market (pyblp agent data; nodes are zero: no unobserved σ on top)."""
        n_t = len(self.weights)
        cols = {"price_dev": self.price, **{f"taste_{i}": self.brand.iloc[:, i].to_numpy()
                                               for i in range(self.brand.shape[1])},
                **{f"slope_{c}": v for c, v in self.characteristics.items()}}
        types = pd.DataFrame({"weights": self.weights, **cols})
        for k in range(len(cols)):
            types[f"nodes{k}"] = 0.0
        mk = pd.unique(np.asarray(market_ids))
        out = types.iloc[np.tile(np.arange(n_t), len(mk))].reset_index(drop=True)
        out.insert(0, "market_ids", np.repeat(mk, n_t))
        return out

    def pi(self, alpha: float) -> np.ndarray:
        """Π with every deviation scaled by the market's ᾱ (−ᾱ on price: a higher multiplier hurts more)."""
        k = len(self.demographics)
        out = np.eye(k) * alpha
        out[0, 0] = -alpha
        return out

    def table(self) -> pd.DataFrame:
        """One row per type: weight, price multiplier, brand and attribute deviations (for the report)."""
        out = pd.DataFrame({"type": self.labels, "weight": self.weights, "price_multiplier": 1 + self.price})
        out = pd.concat([out, self.brand.add_prefix("taste_cny1000_").reset_index(drop=True)], axis=1)
        for c, v in self.characteristics.items():
            out[f"slope_{c}_cny1000"] = v
        return out


def _level_value(level: Any, spec: Any) -> float | None:
    """Numeric value of a conjoint level in the demand characteristic's units (or None if unmapped)."""
    if isinstance(spec, dict):
        levels = spec.get("levels", {})
        v = levels.get(str(level))
        return None if v is None else float(v) / SCORE_UNIT
    try:
        return float(level) / SCORE_UNIT
    except (TypeError, ValueError):
        return None


def _attribute_slopes(fit: LatentClassFit, data: ChoiceData, attributes: dict[str, Any], chars: list[str],
                      warnings: list[str]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per class: the slope of each mapped attribute per unit of its demand characteristic, and the utility of
    the attributes' base levels (which the 'none' coefficient absorbs)."""
    K = fit.n_classes
    slopes: dict[str, np.ndarray] = {}
    base = np.zeros(K)
    for attr, spec in attributes.items():
        target = spec.get("characteristic") if isinstance(spec, dict) else str(spec)
        if attr not in data.levels:
            warnings.append(f"conjoint attribute {attr!r} is not in the choices table: no taste heterogeneity for "
                            f"{target}")
            continue
        if target not in chars:
            warnings.append(f"demand characteristic {target!r} (for conjoint attribute {attr!r}) is not in the "
                            "demand model: left out")
            continue
        levels = data.levels[attr]
        if levels == ["linear"]:  # one numeric column, utility = β·x
            slopes[target] = fit.betas[:, fit.names.index(attr)] * SCORE_UNIT
            continue
        x = [_level_value(v, spec) for v in levels]
        if any(v is None for v in x):
            bad = [str(v) for v, xv in zip(levels, x, strict=True) if xv is None]
            warnings.append(f"conjoint attribute {attr!r}: levels {', '.join(bad)} have no numeric value (give "
                            f"[demand.conjoint_attributes.{attr}] levels = {{...}}): left out")
            continue
        xs = np.array(x, float)
        y = np.column_stack([np.zeros(K)] + [fit.betas[:, fit.names.index(f"{attr}={v}")] for v in levels[1:]])
        xc = xs - xs.mean()
        slope = (y - y.mean(axis=1, keepdims=True)) @ xc / (xc @ xc)
        slopes[target] = slope
        base += slope * xs[0]
    return slopes, base


def from_latent_class(fit: LatentClassFit, data: ChoiceData, brands: list[str], chars: list[str],
                      attributes: dict[str, Any] | None = None, labels: list[str] | None = None) -> SurveyTastes:
    """Consumer types from a latent-class fit of the conjoint (``analyses.segments``), for the demand brands."""
    warnings: list[str] = []
    names = fit.names
    if "price" not in names:
        raise TasteError("the conjoint has no price attribute: its tastes cannot be put in CNY")
    K = fit.n_classes
    labels = labels or [f"class {k + 1}" for k in range(K)]
    alpha_k = -fit.betas[:, names.index("price")]
    if not (alpha_k > 0).all():
        coefs = ", ".join(f"{a:.3f}" for a in -alpha_k)
        raise TasteError(f"a conjoint class has a non-negative price coefficient ({coefs}): its tastes cannot be "
                         "scaled")
    mult, wq = fit.price_multipliers()
    pi_k = np.asarray(fit.shares, float)
    pi_k = pi_k / pi_k.sum()
    slopes, base = _attribute_slopes(fit, data, dict(attributes or DEFAULT_ATTRIBUTES), chars, warnings)
    if NONE in names:
        level = -fit.betas[:, names.index(NONE)] - base
    else:
        level = np.zeros(K)
        warnings.append("the conjoint has no 'none' alternative: every class is given the same utility for the "
                        f"reference brand {data.reference!r}, so tastes are heterogeneous only relative to it")
    surveyed = set(data.levels.get("brand", []))
    missing = [b for b in brands if b not in surveyed]
    if missing:
        warnings.append(f"brand(s) {', '.join(missing)} are not in the conjoint: no taste heterogeneity for them")
    taste = np.column_stack([(fit.betas[:, names.index(f"brand={b}")] if f"brand={b}" in names else np.zeros(K))
                             + level if b in surveyed else np.zeros(K) for b in brands])
    # types: class × price node
    w = (pi_k[:, None] * wq[None, :]).ravel()
    a = (alpha_k[:, None] * mult[None, :]).ravel()
    abar = float(w @ a)
    rep = np.repeat(np.arange(K), len(wq))
    centre = lambda v: (v - pi_k @ v) / abar  # noqa: E731 — class means are the same for every price node
    brand = pd.DataFrame(np.column_stack([centre(taste[:, j]) for j in range(len(brands))])[rep], columns=brands)
    chars_dev = {c: centre(s)[rep] for c, s in slopes.items()}
    type_labels = [f"{labels[k]}" + (f" · price node {q + 1}" if len(wq) > 1 else "")
                   for k in range(K) for q in range(len(wq))]
    return SurveyTastes(type_labels, w, a / abar - 1, brand, chars_dev,
                        {labels[k]: float(pi_k[k]) for k in range(K)}, abar, warnings)
