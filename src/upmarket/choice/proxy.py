"""The observed-group proxy: a user's segment probabilities from the respondents who share their city tier and age band.

Segments are known for conjoint respondents only; the STP table (segments) and the channel mix (pricing_plan)
both spread every buyer's orders over segments with these probabilities.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from upmarket.warehouse.source import to_frame

if TYPE_CHECKING:
    from upmarket.warehouse import Warehouse


def group_proxy(warehouse: Warehouse, posterior: pd.DataFrame, min_cell: int = 20) -> pd.DataFrame | None:
    """P(segment | city_tier, age_band) for every user: columns user_id + one per segment (rows sum to 1).

    ``posterior``: respondent_id plus one probability column per segment."""
    if not warehouse.has_rows("users"):
        return None
    u = warehouse.table("users")
    users = to_frame(u.select("user_id", city_tier=u.city_tier.fill_null("?"), age_band=u.age_band.fill_null("?")))
    segs = [c for c in posterior.columns if c != "respondent_id"]
    resp = users.merge(posterior, left_on="user_id", right_on="respondent_id")
    if resp.empty:
        return None
    overall = resp[segs].mean()
    cell = resp.groupby(["city_tier", "age_band"])[segs].agg(["mean", "size"])
    tier = resp.groupby("city_tier")[segs].agg(["mean", "size"])
    out = users[["user_id", "city_tier", "age_band"]].copy()
    probs = np.tile(overall.to_numpy(), (len(out), 1))
    for level, keys, table in ((1, ["city_tier"], tier), (2, ["city_tier", "age_band"], cell)):
        n = table[(segs[0], "size")]
        m = table.xs("mean", axis=1, level=1)[n >= min_cell]
        if m.empty:
            continue
        idx = pd.MultiIndex.from_frame(out[keys]) if level == 2 else pd.Index(out["city_tier"])
        hit = m.reindex(idx)
        ok = hit.notna().all(axis=1).to_numpy()
        probs[ok] = hit.to_numpy()[ok]
    out[segs] = probs
    return out[["user_id", *segs]]
