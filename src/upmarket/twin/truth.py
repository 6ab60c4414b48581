"""Assemble ``truth.json``: the answer key under the same keys as results.json, plus the planted parameters."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from upmarket.twin.catalog import BRANDS
from upmarket.twin.loyalty import RETENTION

AWARENESS = {"Xiaomi": 0.95, "Redmi": 0.90, "Huawei": 0.97, "Apple": 0.98, "OPPO": 0.92, "vivo": 0.92, "Honor": 0.88}
"""Planted aided awareness: share of consumers who know the brand."""


def equity_params(products: pd.DataFrame, brand_premium_all: dict[str, float]) -> dict[str, dict[str, float]]:
    """Planted brand-level quantities that no analysis estimates on the same scale (kept under ``params.equity``,
    not compared): aided awareness, associations (brand premium over Redmi scaled to 0..1 by 5000 CNY, clipped),
    perceived_quality (mean (camera+performance)/200 of the brand's SKUs) and loyalty in the reference cell."""
    out = {}
    for b in BRANDS:
        p = products[products["brand"] == b]
        assoc = float(np.clip(0.5 + brand_premium_all[b] / 10000.0, 0, 1))
        pq = float(((p["camera_score"] + p["performance_score"]) / 200).mean())
        out[b] = {"awareness": AWARENESS[b], "associations": assoc, "perceived_quality": pq,
                  "loyalty_reference_cell": RETENTION[b]}
    return out


def equity_truth(loyalty: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Truth under ``equity.<brand>``: loyalty (mean planted P(stay) over the panel's changes from the brand),
    loyalty by city tier and by age band, and the row of the switching matrix (``switching_to``)."""
    out: dict[str, dict[str, Any]] = {}
    for b, v in loyalty["loyalty"].items():
        out[b] = {"loyalty": v, "switching_to": loyalty["switching"].get(b, {}),
                  "loyalty_by_city_tier": {t: d[b] for t, d in loyalty["by_city_tier"].items() if b in d},
                  "loyalty_by_age_band": {a: d[b] for a, d in loyalty["by_age_band"].items() if b in d}}
    return out


def _clean(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float):
        return None if not math.isfinite(x) else round(x, 10)
    return x


def write_truth(truth: dict, path: Path) -> Path:
    """Deterministic JSON (sorted keys, rounded floats, no NaN)."""
    path.write_text(json.dumps(_clean(truth), sort_keys=True, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
