"""``simulate(out, preset, seed)``: one structural market written as a contract dataset plus truth.json.

Every part draws from its own child of ``np.random.SeedSequence(seed)``, so parts are reproducible
independently and the same seed gives byte-identical files.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from upmarket.contract import CONTRACT_VERSION
from upmarket.progress import Progress, ensure, fraction_callback
from upmarket.twin import catalog, consumers
from upmarket.twin.choices import CHIPS, simulate_choices
from upmarket.twin.demand import brand_premium, taste_tables
from upmarket.twin.launch import launch_truth
from upmarket.twin.loyalty import loyalty_truth, simulate_device_panel
from upmarket.twin.market import (
    PLANTED_PREMIUM_CNY,
    QUARTERS,
    REVIEW_DEMAND,
    VALID_INSTRUMENTS,
    market_truth,
    review_wtp_truth,
    simulate_market,
)
from upmarket.twin.mix import lift_tests_toml, simulate_mix
from upmarket.twin.presets import preset as preset_sizes
from upmarket.twin.truth import equity_params, equity_truth, write_truth
from upmarket.twin.writer import write_table

OBS_START, OBS_END = date(2024, 1, 1), date(2025, 6, 30)

CONFIG_TOML = """# written by upmarket simulate: the twin's market
focal_brand = "Xiaomi"
sub_brands = ["Redmi"]
competitors = ["Huawei", "Apple", "OPPO", "vivo", "Honor"]
currency = "CNY"

[market]
yoy_period = "2024H1"

# how the conjoint's attributes map to the demand model's characteristics (scores in points)
[demand.conjoint_attributes]
camera = "camera"
chip = {characteristic = "performance", levels = {""" + ", ".join(f'"{k}" = {v:g}' for k, v in CHIPS.items()) + """}}
"""


@dataclass
class TwinRun:
    path: Path
    truth: dict[str, Any]


def _public(df: pd.DataFrame) -> pd.DataFrame:
    """Drop truth-only columns (prefixed ``_``)."""
    return df[[c for c in df.columns if not c.startswith("_")]]


def simulate(out: str | Path, preset: str = "demo", seed: int = 0, progress: Progress | None = None) -> TwinRun:
    """Simulate the twin market into ``out`` (created); returns the folder and the truth dict."""
    sizes = preset_sizes(preset)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "_truth").mkdir(exist_ok=True)
    prog = ensure(progress)
    ss = np.random.SeedSequence(seed).spawn(9)
    rngs = [np.random.default_rng(s) for s in ss]
    task = prog.task(f"twin ({preset}): market", total=len(QUARTERS))

    products = catalog.products()
    users = consumers.users(sizes["n_users"], rngs[0])
    mk = simulate_market(products, rngs[1], n_agents=sizes["n_agents"], progress=task.advance)
    sizes_out: dict[str, int] = {}

    def put(df: pd.DataFrame, table: str) -> None:
        write_table(_public(df), table, out)
        sizes_out[table] = len(df)

    put(products, "products")
    put(users, "users")
    put(mk.market_sales, "market_sales")
    put(mk.market_size, "market_size")
    put(mk.listings, "listings")

    tastes = taste_tables(mk.agents)
    premia = brand_premium(mk.params, mk.agents)
    resp = users.iloc[: sizes["n_respondents"]]
    # the conjoint's respondents value brands by what demand identifies (planted intercept + brand mean of ξ)
    conjoint_params = replace(mk.params, brand_intercepts=mk.params.effective_intercepts(), xi_brand_mean={})
    put(simulate_choices(resp, conjoint_params, tastes, rngs[2]), "choices")
    panel = users.iloc[: sizes["n_panel"]]
    devices = simulate_device_panel(panel, rngs[3], OBS_START, OBS_END)
    put(devices.table, "device_history")
    spend, kpi, mix_truth = simulate_mix(rngs[4], start=OBS_START, end=OBS_END)
    put(spend, "spend")
    put(kpi, "kpi_weekly")

    truth: dict[str, Any] = {"contract": CONTRACT_VERSION, "preset": preset, "seed": seed, "focal_brand": "Xiaomi"}
    labels: dict[str, str] = {}
    # the conjoint respondents' latent segments, so latent-class recovery can be scored (docs/segments.md)
    resp_seg = pd.DataFrame({"respondent_id": resp["user_id"].to_numpy(), "segment": resp["_segment"].to_numpy()})
    resp_seg.to_parquet(out / "_truth" / "respondent_segments.parquet", index=False)
    labels["choices"] = "_truth/respondent_segments.parquet"
    try:
        from upmarket.twin.channels import simulate_channels
    except ImportError as exc:  # pragma: no cover - only while the channel module is being written
        raise RuntimeError(f"upmarket.twin.channels is missing ({exc}); the twin needs it for events/orders") from None
    ch = simulate_channels(products, users, rng=rngs[5], n_events=sizes["n_events"], out_dir=out,
                           start=OBS_START, end=OBS_END, progress=progress, prices=mk.listings)
    sizes_out["orders"] = len(ch.orders)
    truth.update(ch.truth)
    from upmarket.twin.spread import simulate_posts
    from upmarket.twin.voice import simulate_reviews

    vo = simulate_reviews(ch.orders, products, users, rng=rngs[6], progress=fraction_callback(progress, "reviews"))
    put(vo.reviews, "reviews")
    vo.labels.to_parquet(out / "_truth" / "review_labels.parquet", index=False)
    labels["reviews"] = "_truth/review_labels.parquet"
    truth.update(vo.truth)
    sp = simulate_posts(products, users, rng=rngs[7], start=OBS_START, end=OBS_END, n_posts=sizes["n_posts"],
                        progress=fraction_callback(progress, "posts"))
    put(sp.posts, "posts")
    put(sp.shares, "shares")
    sp.labels.to_parquet(out / "_truth" / "post_labels.parquet", index=False)
    labels["posts"] = "_truth/post_labels.parquet"
    for k, v in sp.truth.items():
        truth[k] = {**truth.get(k, {}), **v} if isinstance(v, dict) and isinstance(truth.get(k), dict) else v

    truth["market"] = market_truth(mk.market_sales, "2024H1")
    pricing = dict(mk.pricing)
    pricing["brand_premium_cny"] = premia
    pricing["review_wtp_cny"] = review_wtp_truth(mk.rows, products, mk.params.alpha_mean)  # issue 4: reviews in yuan
    pricing["segment_share"] = {g: float(v) for g, v in resp_seg["segment"].value_counts(normalize=True).items()}
    truth["pricing"] = pricing
    truth["loyalty"] = loyalty_truth(devices.planted)
    truth["equity"] = equity_truth(truth["loyalty"])
    truth["mix"] = {"roi": mix_truth["roi"]}
    truth["launch"] = launch_truth(catalog.models(), mk.targets.bass, mk.targets.m, OBS_START)
    demand_params = {**mk.params.to_dict(), "planted_premium_cny": dict(PLANTED_PREMIUM_CNY),
                     "valid_instruments": VALID_INSTRUMENTS,
                     "review_demand": {  # issue 4: β (log-units per unit of net sentiment) and β / ᾱ × 1000
                         "beta_log_units_per_score": dict(REVIEW_DEMAND),
                         "beta_over_alpha_cny": {a: b / mk.params.alpha_mean * 1000 for a, b in REVIEW_DEMAND.items()},
                         "note": "identified WTP is pricing.review_wtp_cny (δ moves ~0.7 util per log-unit)"}}
    truth["params"] = {**truth.get("params", {}), "demand": demand_params,
                       "equity": equity_params(products, premia["all"]),
                       "mix": mix_truth["params"], "season": mk.targets.season.to_dict(),
                       "bass_m": mk.targets.m.to_dict(), "bass_pq": mk.targets.bass.set_index("model").to_dict("index"),
                       "plan_units_m": {f"{r.quarter}|{r.maker}|{r.group}": float(r.units_m)
                                        for r in mk.targets.plan.itertuples()}}
    truth["labels"] = labels
    if sizes.get("platform_exports"):
        from upmarket.twin.exports import write_platform_exports

        truth.update(write_platform_exports(out, rngs[8]))
    truth["twin"] = {"preset": preset, "seed": seed, "sizes": dict(sorted(sizes_out.items()))}
    (out / "upmarket.toml").write_text(CONFIG_TOML + lift_tests_toml(mix_truth["lift_tests"]), encoding="utf-8")
    write_truth(truth, out / "truth.json")
    return TwinRun(out, truth)
