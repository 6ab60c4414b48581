"""Assemble ``truth.json``: the answer key under the same keys as results.json, plus the planted parameters."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from upmarket.twin.catalog import BRANDS
from upmarket.twin.loyalty import RETENTION, switching_matrix

AWARENESS = {"Xiaomi": 0.95, "Redmi": 0.90, "Huawei": 0.97, "Apple": 0.98, "OPPO": 0.92, "vivo": 0.92, "Honor": 0.88}
"""Planted aided awareness: share of consumers who know the brand."""


def equity_truth(products: pd.DataFrame, brand_premium_all: dict[str, float]) -> dict[str, dict[str, float]]:
    """Per brand: awareness (planted), associations (brand premium over Redmi scaled to 0..1 by 5000 CNY,
    clipped), perceived_quality (mean (camera+performance)/200 of the brand's SKUs), loyalty (planted retention),
    index (mean of the four)."""
    out = {}
    for b in BRANDS:
        p = products[products["brand"] == b]
        assoc = float(np.clip(0.5 + brand_premium_all[b] / 10000.0, 0, 1))
        pq = float(((p["camera_score"] + p["performance_score"]) / 200).mean())
        vals = {"awareness": AWARENESS[b], "associations": assoc, "perceived_quality": pq, "loyalty": RETENTION[b]}
        vals["index"] = float(np.mean(list(vals.values())))
        out[b] = vals
    return out


def loyalty_truth() -> dict[str, Any]:
    m = switching_matrix()
    return {"retention": dict(RETENTION),
            "switching": {a: {b: float(m[i, j]) for j, b in enumerate(BRANDS)} for i, a in enumerate(BRANDS)}}


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
