"""Run every funnel query on a table source (DuckDB warehouse or Spark) and shape figures and tables.

The Ibis expressions are built in ``rates``, ``stages`` and ``paths``; this module decides which
inputs are present, materialises each expression once (``to_pandas`` at the edge) and turns
the counts into rates, intervals, results figures and warnings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from upmarket.analyses.funnel import paths as fp
from upmarket.analyses.funnel import rates as fr
from upmarket.analyses.funnel import stages as fs

if TYPE_CHECKING:
    from upmarket.analyses.funnel.spark import TableSource

TRAFFIC_DIMS: tuple[str, ...] = ("city_tier", "segment", "source", "brand", "price_band")
EVENT_DIMS: tuple[str, ...] = ("city_tier", "age_band", "gender", "source", "brand", "price_band")


@dataclass(frozen=True)
class FunnelOptions:
    """Settings of one funnel run (``[funnel]`` in upmarket.toml)."""

    window_days: int = 7
    bootstrap: int = 400
    seed: int = 0
    focal_brand: str = "Xiaomi"
    sub_brands: tuple[str, ...] = ("Redmi",)
    competitors: tuple[str, ...] = ("Huawei", "Apple", "OPPO", "vivo", "Honor")
    stages: bool = True
    paths: bool = True
    premium_price: str = "contract"
    """Which price bands a SKU (top-level ``premium_price``, :mod:`upmarket.market_rules`)."""
    shops: tuple[str, ...] = fp.SHOPS
    content: tuple[str, ...] = fp.CONTENT


@dataclass
class FunnelOutput:
    """Figures for ``results["funnel"]``, result tables, and warnings about the input."""

    figures: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    basis: str = "traffic"
    not_computed: dict[str, str] = field(default_factory=dict)
    """Figure path under ``funnel`` (``jd.ctr``, ``by_city_tier``) → why the input's columns did not allow it."""


RATE_INPUT: dict[str, dict[str, str]] = {
    "traffic": {"ctr": "impressions", "favorite_rate": "favorites", "cart_rate": "add_to_carts",
                "visit_to_buy": "visitors", "units_per_buyer": "units"},
    "events": {"ctr": "impression events", "favorite_rate": "click events", "cart_rate": "click events",
               "visit_to_buy": "click events", "units_per_buyer": "units (events carry none)"},
}
"""What a headline rate's denominator (or numerator) needs, per basis: the reason it is missing on a platform."""


def _missing_rates(figures: dict[str, dict[str, Any]], basis: str) -> dict[str, str]:
    """``<platform>.<rate>`` → reason, for each headline rate a platform's rows could not give."""
    rows = "traffic rows" if basis == "traffic" else "events"
    return {f"{p}.{name}": f"{rows} of {p} have no {what}"
            for p, d in figures.items() for name, what in RATE_INPUT[basis].items() if name not in d}


def _opt(src: TableSource, name: str) -> Any:
    return src.table(name) if src.has_rows(name) else None


def _sorted(df: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    return df.sort_values(list(keys)).reset_index(drop=True)


def compute(src: TableSource, opts: FunnelOptions | None = None) -> FunnelOutput:
    """The whole funnel on ``src``: rates, premium acceptance, stages, transitions, paths, checks."""
    opts = opts or FunnelOptions()
    products = _opt(src, "products")
    users = _opt(src, "users")
    events = _opt(src, "events")
    traffic = _opt(src, "traffic")
    if traffic is None and events is None:
        raise ValueError("the funnel needs table traffic or events; neither has rows")
    tables: dict[str, pd.DataFrame] = {}
    warnings: list[str] = []
    if products is None:
        warnings.append("products table absent: no brand or price band in the funnel breakdowns")
    rivals = tuple(opts.competitors)
    paid_orders = _opt(src, "orders") if opts.premium_price == "paid" else None  # SKUs banded by price paid

    tier_counts: pd.DataFrame | None = None
    ecube: pd.DataFrame | None = None
    if traffic is not None:
        rows = fr.traffic_counts(traffic, products, paid_orders, opts.premium_price)
        by_platform = _sorted(fr.cube(rows, ["platform"]).to_pandas(), ["platform"])
        daily = _sorted(fr.cube(rows, ["platform", "date"]).to_pandas(), ["platform", "date"])
        tcube = fr.cube(rows, ["platform", *TRAFFIC_DIMS, "premium"]).to_pandas()
        for d, t in fr.marginals(tcube, TRAFFIC_DIMS).items():
            tables[f"funnel_by_{d}"] = t
        prem_groups = ["city_tier"] + (["segment"] if (tcube["segment"] != "unknown").any() else [])
        tables["premium_acceptance"] = fr.premium_acceptance(tcube, prem_groups, opts.focal_brand, rivals,
                                                            opts.sub_brands)
        tables["funnel_tier_brand"] = fr.with_rates(
            tcube.groupby(["platform", "city_tier", "brand"], as_index=False)[list(fr.COUNTS)].sum())
        if (tcube["city_tier"] != "unknown").any():
            tier_counts = tcube
        basis = "traffic"
    else:
        by_platform = daily = None
        basis = "events"
    stage_figures: dict[str, Any] = {}
    stage_missing: dict[str, str] = {"stages": "table events is not in the dataset"} if events is None else {}

    if events is not None:
        erows = fr.event_counts(events, users, products, paid_orders, opts.premium_price)
        ecube = fr.cube(erows, ["platform", *EVENT_DIMS, "premium"]).to_pandas()
        if tier_counts is None and (ecube["city_tier"] != "unknown").any():
            tier_counts = ecube  # traffic without tiers: the tiers of the users behind the events
        for d, t in fr.marginals(ecube, EVENT_DIMS).items():
            key = f"funnel_by_{d}" if f"funnel_by_{d}" not in tables else f"funnel_events_by_{d}"
            tables[key] = t
        prem = fr.premium_acceptance(ecube, ["city_tier", "age_band", "gender"], opts.focal_brand, rivals,
                                    opts.sub_brands)
        tables["premium_acceptance_events" if "premium_acceptance" in tables else "premium_acceptance"] = prem
        if by_platform is None:
            by_platform = _sorted(ecube.groupby("platform", as_index=False)[list(fr.COUNTS)].sum(), ["platform"])
            daily = _sorted(fr.cube(erows, ["platform", "date"]).to_pandas(), ["platform", "date"])
            tables["funnel_tier_brand"] = fr.with_rates(
                ecube.groupby(["platform", "city_tier", "brand"], as_index=False)[list(fr.COUNTS)].sum())
        stage_figures, stage_missing = fr.stage_rates(fr.step_counts(events).to_pandas())
        checks = fp.event_checks(events, users).to_pandas().iloc[0]
        if checks["unknown_event"]:
            warnings.append(f"{int(checks['unknown_event'])} events have an event code outside the contract list "
                            "and are left out of funnels and stages")
        if users is not None and checks.get("unknown_user_events", 0):
            warnings.append(f"{int(checks['unknown_user_events'])} events from {int(checks['unknown_users'])} users "
                            "missing from the users table: counted with tier/age/gender 'unknown'")
        if opts.stages:
            # one scan of the events for both tables: the cells are a few thousand rows, summed in memory
            cells = ibis.memtable(fs.stage_cells(fs.weekly_stages(events, products)).to_pandas())
            tables["stage_sizes"] = fs.sizes_table(fs.stage_sizes(cells).to_pandas())
            tables["stage_transitions"] = fs.transition_table(fs.transitions(cells).to_pandas())
            tables["stage_highest"] = _sorted(fs.highest_stage(events, products).to_pandas(), ["brand", "level"])
            tables["stage_map"] = fs.stage_map()
        if opts.paths:
            flags = fp.path_flags(events, opts.window_days, opts.shops, opts.content)
            pc = fp.path_counts(flags, users).to_pandas()
            if len(pc):
                tables["paths_by_tier"] = fp.path_table(_sorted(pc, ["city_tier"]))
            oc = fp.order_checks(flags).to_pandas().iloc[0]
            if oc["order_without_visit"]:
                warnings.append(f"{int(oc['order_without_visit'])} of {int(oc['sessions_with_order'])} shop sessions "
                                "with an order have no click before the order (orders without a preceding visit)")
            if oc["click_after_order_1_24h"]:
                warnings.append(f"{int(oc['click_after_order_1_24h'])} sessions' first click comes 1–24 h after the "
                                "order: timestamps in different time zones? (all must be Beijing time or carry "
                                "a zone)")
            sc = fp.seeding_counts(events, products, opts.window_days, opts.content).to_pandas()
            if len(sc):
                tables["seeding"] = fp.seeding_table(sc)

    cis = fr.day_bootstrap(daily, reps=opts.bootstrap, seed=opts.seed) if opts.bootstrap > 0 else {}
    figures: dict[str, Any] = fr.headline(by_platform, cis)
    if basis == "traffic" and events is not None:
        fr.fill_from_events(figures, ecube)
    not_computed = _missing_rates(figures, basis)
    tables["funnel_platform"] = fr.with_rates(by_platform).assign(basis=basis)
    no_tier = "no row has a city tier (traffic city_tier is empty and no events from users with a city_tier)"
    tiers = fr.by_city_tier(tier_counts) if tier_counts is not None else {}
    if tiers:
        figures["by_city_tier"] = tiers
    else:
        not_computed["by_city_tier"] = no_tier
    premium = fr.premium_conversion_by_city_tier(tier_counts) if tier_counts is not None else {}
    if premium:
        figures["premium_conversion_by_city_tier"] = premium
    else:
        not_computed["premium_conversion_by_city_tier"] = (
            no_tier if not tiers else "no SKU of the funnel rows is in products (no list price, no premium flag)")
    if stage_figures:
        figures["stages"] = stage_figures
    not_computed.update(stage_missing)
    return FunnelOutput(figures=figures, tables=tables, warnings=warnings, basis=basis, not_computed=not_computed)
