"""A small choice-experiment simulator written for the tests, independent of the twin.

Known latent classes (shares, price coefficient, brand utilities, attribute part-worths) choose among random
alternatives with Gumbel errors; the truth (class WTP and population WTP as a ratio of mean coefficients) is
computed from the same numbers, so an estimator can be checked on designs the twin never writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Design:
    brands: list[str]  # the first is the base level (utility 0 in every class)
    prices: list[float]  # CNY
    attributes: dict[str, list]  # name -> levels (numbers or strings); the first level is the base
    none: bool = True
    n_alts: int = 3


@dataclass
class TasteClass:
    share: float
    price: float  # utility per 1000 CNY (negative)
    brand: dict[str, float] = field(default_factory=dict)  # brand -> utility over the base brand
    parts: dict[str, dict] = field(default_factory=dict)  # attribute -> {level: utility over its base level}
    slopes: dict[str, float] = field(default_factory=dict)  # attribute -> utility per unit (linear attributes)
    none: float = 0.0


def simulate(design: Design, classes: list[TasteClass], n_resp: int, n_tasks: int, seed: int) -> pd.DataFrame:
    """Long choices table in the contract's shape (respondent_id, task_id, alt_id, chosen, brand, price, ...)."""
    rng = np.random.default_rng(seed)
    shares = np.array([c.share for c in classes])
    member = rng.choice(len(classes), size=n_resp, p=shares / shares.sum())
    rows = []
    for r in range(n_resp):
        c = classes[member[r]]
        for t in range(n_tasks):
            brands = rng.choice(design.brands, size=design.n_alts, replace=len(design.brands) < design.n_alts)
            alts = []
            for j, b in enumerate(brands):
                alt = {"alt_id": f"a{j}", "brand": str(b), "price": float(rng.choice(design.prices))}
                u = c.brand.get(str(b), 0.0) + c.price * alt["price"] / 1000
                for a, levels in design.attributes.items():
                    v = levels[rng.integers(len(levels))]
                    alt[a] = v
                    u += c.parts.get(a, {}).get(v, 0.0) + c.slopes.get(a, 0.0) * (v if a in c.slopes else 0.0)
                alts.append((alt, u))
            if design.none:
                alts.append(({"alt_id": "none", "brand": "none", "price": 0.0,
                              **dict.fromkeys(design.attributes)}, c.none))
            util = np.array([u for _, u in alts]) + rng.gumbel(size=len(alts))
            pick = int(util.argmax())
            for j, (alt, _) in enumerate(alts):
                rows.append({"respondent_id": f"r{r:04d}", "task_id": f"t{t:02d}", **alt, "chosen": int(j == pick)})
    return pd.DataFrame(rows)


def class_wtp(c: TasteClass, reference: str, base: str, levels: dict[str, list] | None = None) -> dict[str, float]:
    """A class's WTP in CNY per ``attribute=level`` against ``reference`` (brands) and each attribute's base level
    (``levels[a][0]``, as the estimator coded it; the simulator's own base when not given)."""
    out: dict[str, float] = {}
    ref_u = c.brand.get(reference, 0.0)
    for b, u in {base: 0.0, **c.brand}.items():
        if b != reference:
            out[f"brand={b}"] = -(u - ref_u) / c.price * 1000
    for a, parts in c.parts.items():
        lv = (levels or {}).get(a) or list(parts)
        base_u = parts.get(lv[0], 0.0)
        for v in {*parts, *lv} - {lv[0]}:
            out[f"{a}={v}"] = -(parts.get(v, 0.0) - base_u) / c.price * 1000
    for a, s in c.slopes.items():
        out[f"{a}=+1"] = -s / c.price * 1000
    return out


def population_wtp(classes: list[TasteClass], reference: str, base: str, levels: dict[str, list] | None = None
                   ) -> dict[str, float]:
    """−Σπβ / Σπα × 1000: the ratio of share-weighted mean coefficients (the contract's population WTP)."""
    pi = np.array([c.share for c in classes])
    pi = pi / pi.sum()
    mean_price = float(pi @ [c.price for c in classes])
    per_class = [class_wtp(c, reference, base, levels) for c in classes]
    return {k: float(sum(p * w[k] * c.price for p, w, c in zip(pi, per_class, classes, strict=True))) / mean_price
            for k in per_class[0]}
