"""A conjoint answered by the twin's own consumers, with their own tastes.

Each respondent (a panel user) sees tasks of three phones plus a no-buy option. Utility is the
demand model's, per person: brand taste of their segment, camera and chip (performance) tastes,
storage, −α_i·price, plus a purchase-context constant κ (same for every phone, so it leaves
willingness to pay unchanged). WTP for a brand over Redmi is therefore
``truth.pricing.brand_premium_cny[segment]``.

Twelve tasks per respondent (every preset), three phones each, in a **minimal-overlap** design: within a
task the three phones have different brands, prices, camera levels, chips and storage (each attribute's levels
drawn without replacement), as commercial CBC designs do. With independent draws (the first design), two of the
three phones shared a camera or chip level in most tasks, and such a pair says nothing about that taste: D-error
of the pooled MNL 6.1e-4 → 5.3e-4 with minimal overlap, and the imaging and gamer classes separate (BIC margin
of 4 classes over 3: 1.5 → 34, docs/segments.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from upmarket.twin.catalog import BRANDS
from upmarket.twin.consumers import SEGMENTS
from upmarket.twin.demand import DemandParams

PRICES = np.array([1499, 1999, 2499, 2999, 3999, 4999, 5999, 6999, 7999, 8999], dtype=float)
CAMERA = np.array([60.0, 75.0, 90.0])
CHIPS = {"entry": 50.0, "upper-mid": 75.0, "flagship": 95.0}
STORAGE = np.array([128, 256, 512])


def _levels(rng: np.random.Generator, n_levels: int, shape: tuple[int, int, int]) -> np.ndarray:
    """Level indices (respondent, task, alternative): distinct within a task when there are enough levels."""
    if n_levels < shape[2]:
        return rng.integers(n_levels, size=shape)
    return np.argsort(rng.random((*shape[:2], n_levels)), axis=2)[..., :shape[2]]


def simulate_choices(users: pd.DataFrame, params: DemandParams, tastes: dict[str, np.ndarray],
                     rng: np.random.Generator, n_tasks: int = 12, n_alts: int = 3) -> pd.DataFrame:
    """The contract ``choices`` table (plus camera, chip, storage_gb), one chosen alternative per task."""
    n = len(users)
    seg = pd.Categorical(users["_segment"], categories=SEGMENTS).codes
    shape = (n, n_tasks, n_alts)
    brand = _levels(rng, len(BRANDS), shape)
    price = PRICES[_levels(rng, len(PRICES), shape)]
    cam = CAMERA[_levels(rng, len(CAMERA), shape)]
    chip_i = _levels(rng, len(CHIPS), shape)
    perf = np.array(list(CHIPS.values()))[chip_i]
    storage = STORAGE[_levels(rng, len(STORAGE), shape)]
    beta = np.array([params.brand_intercepts[b] for b in BRANDS])
    brand_taste = (beta[None, :] + tastes["d"] - tastes["d_bar"][None, :])[seg]  # (n, B)
    kappa = 3.0 - float(beta.mean())  # purchase context: makes "none" a minority choice
    v = (np.take_along_axis(brand_taste[:, None, :], brand.reshape(n, -1)[:, None, :], axis=2).reshape(shape)
         + tastes["c"][seg][:, None, None] * cam / 10 + tastes["g"][seg][:, None, None] * perf / 10
         + params.beta_storage * np.log2(storage / 128)
         - users["_alpha"].to_numpy()[:, None, None] * price / 1000 + kappa)
    v = np.concatenate([v, np.zeros((n, n_tasks, 1))], axis=2)
    u = v + rng.gumbel(size=v.shape)
    chosen = u.argmax(axis=2)
    k = n_alts + 1
    r, t, a = np.meshgrid(np.arange(n), np.arange(n_tasks), np.arange(k), indexing="ij")
    none = a == n_alts
    pad = lambda x, fill: np.concatenate([x, np.full((n, n_tasks, 1), fill, dtype=x.dtype)], axis=2)  # noqa: E731
    chip_names = np.array(list(CHIPS), dtype=object)
    df = pd.DataFrame({
        "respondent_id": users["user_id"].to_numpy()[r.ravel()],
        "task_id": np.char.add("t", t.ravel().astype(str)).astype(object),
        "alt_id": np.where(none.ravel(), "none", np.char.add("a", a.ravel().astype(str))).astype(object),
        "chosen": (a == chosen[..., None]).ravel().astype(np.int64),
        "brand": np.where(none.ravel(), "none", np.array(BRANDS, dtype=object)[pad(brand, 0).ravel()]),
        "price": np.where(none.ravel(), 0.0, pad(price, 0.0).ravel()),
        "camera": np.where(none.ravel(), np.nan, pad(cam, 0.0).ravel()),
        "chip": np.where(none.ravel(), None, chip_names[pad(chip_i, 0).ravel()]),
        "storage_gb": np.where(none.ravel(), np.nan, pad(storage, 0).ravel()),
    })
    df["storage_gb"] = df["storage_gb"].astype("Int64")
    return df
