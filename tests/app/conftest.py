"""An output folder for the dashboard tests: a nested-logit fit on a small planted market (independent of the
twin: Chinese model names, regional prices around national ones), results.json with two strategy findings, and,
optionally, a mix model."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.demand import DemandModel
from upmarket.analyses.demand.export import demand_fit_artefact
from upmarket.artefacts import SavedModel, save_artefact

BRANDS = {"Xiaomi": (0.4, 4.2), "Redmi": (0.0, 1.8), "Apple": (1.5, 6.5), "华为": (1.1, 5.5)}
"""Brand → (utility, list price in 1000 CNY)."""
ALPHA = 0.9


def planted_output_market(seed: int = 0, periods: int = 3, regions: int = 5, per_brand: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    models = pd.DataFrame([{"brand": b, "model": f"{b} 手机 {k + 1}", "camera": rng.normal(8, 1),
                            "base": p + 0.4 * k, "u": u} for b, (u, p) in BRANDS.items() for k in range(per_brand)])
    rows = []
    for t in range(periods):
        xi = rng.normal(0, 0.3, len(models))
        national = models["base"].to_numpy() * np.exp(0.2 * xi)
        for r in range(regions):
            rows.append(models.assign(period=f"2024Q{t + 1}", region=f"tier{r + 1}", xi=xi,
                                      prices=national * np.exp(rng.normal(0, 0.06, len(models)))))
    df = pd.concat(rows, ignore_index=True)
    df["market_ids"] = df["period"] + "|" + df["region"]
    df["product_key"] = df["model"]
    df["maker"] = df["brand"].replace({"Redmi": "Xiaomi"})
    df["band"] = np.where(df["base"] >= 4.0, "4000+", "<4000")
    df["nest"] = df["band"]
    delta = -3.0 + df["u"] + 0.2 * df["camera"] - ALPHA * df["prices"] + df["xi"]
    e = np.exp(delta)
    df["shares"] = e / (1 + e.groupby(df["market_ids"]).transform("sum"))
    df["potential_units"] = 2e6
    df["units"] = df["shares"] * 2e6
    df["prices_cny"] = df["prices"] * 1000
    return df


FINDINGS = [
    {"id": "price.premium", "framework": "4P", "text": "Xiaomi's premium over Redmi is 1,100 CNY.",
     "text_zh": "小米相对红米的品牌溢价为 1,100 元。", "evidence": {"pricing.brand_premium_cny.all.Xiaomi": 1100}},
    {"id": "stp.target", "framework": "STP", "text": "Target tier-2 professionals.",
     "text_zh": "目标：二线城市职场人群。", "evidence": {"segments.classes": 3}},
]

MIX = {"format": "upmarket.mix_model", "version": 1, "period": "week", "baseline_gmv_cny": 5.0e7,
       "channels": [{"name": "千川", "mean_spend_cny": 1.0e6, "current_spend_cny": 1.0e6, "beta_gmv_cny": 8.0e6,
                     "k": 1.2, "s": 1.5},
                    {"name": "聚光", "mean_spend_cny": 4.0e5, "current_spend_cny": 3.0e5, "beta_gmv_cny": 2.0e6,
                     "k": 0.8, "s": 1.0}]}

MIX_DRAWS = 200


def mix_v2(out: Path) -> None:
    """MIX in format version 2 with hand-made posterior draws of the baseline, β and K spread around the point."""
    meta = {**MIX, "version": 2, "saturation": "hill", "draws": True, "n_draws": MIX_DRAWS}
    rng = np.random.default_rng(0)
    channels = MIX["channels"]
    spread = rng.lognormal(0.0, 0.1, (MIX_DRAWS, len(channels)))
    arrays = {"baseline_gmv_cny": MIX["baseline_gmv_cny"] * rng.lognormal(0.0, 0.02, MIX_DRAWS),
              **{key: np.array([[c[key] for c in channels]]) * spread for key in ("beta_gmv_cny", "k")},
              "s": np.tile([c["s"] for c in channels], (MIX_DRAWS, 1))}
    save_artefact(out, "mix_model", SavedModel(meta, arrays))


@pytest.fixture(scope="session")
def fitted_output(tmp_path_factory) -> Callable[..., Path]:
    """``make(mix=True, findings=True)``: an output folder like `upmarket analyze` writes, for the dashboard
    (``mix="v2"``: the mix model in format version 2 with posterior draws)."""
    fit = DemandModel(kind="nested", nest="nest", characteristics=("camera",)).fit(planted_output_market())
    artefact = demand_fit_artefact(fit, focal_brand="Xiaomi", sub_brands=("Redmi",), cost_ratio=0.6)

    def make(mix: bool | str = True, findings: bool = True) -> Path:
        out = tmp_path_factory.mktemp("out")
        save_artefact(out, "demand_fit", artefact)
        results = {"contract": 1, "focal_brand": "Xiaomi", **({"strategy": {"findings": FINDINGS}} if findings else {})}
        (out / "results.json").write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
        if mix == "v2":
            mix_v2(out)
        elif mix:
            save_artefact(out, "mix_model", SavedModel(dict(MIX), {}))
        return out

    return make
