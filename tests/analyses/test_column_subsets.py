"""Analyses need columns, not tables: on a dataset whose optional columns are removed, table by table, nothing fails,
and every figure those columns carried is listed under ``not_computed`` with its reason — never shown as zero or NaN.

The datasets are the tiny twin with columns dropped from its Parquet files (the real ingest path then sees them as
absent, as it would a JD or 生意参谋 export without impressions). The case with every removal at once runs every
analysis; the per-table cases run the analyses that read the table, to keep the file within its time budget.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import upmarket
from upmarket.analyses.base import registered
from upmarket.contract.results_schema import render_results_schema
from upmarket.results import Results, validate_results

TINY_SEED = 3

TRAFFIC_JD_LIKE = ("impressions", "clicks", "favorites", "add_to_carts", "page_views", "source", "city_tier", "segment")
ORDERS_MINIMAL = ("units", "source", "session_id")
REVIEWS_MINIMAL = ("rating", "user_id", "is_followup")
POSTS_MINIMAL = ("followers", "views", "likes", "comments", "shares", "saves", "gmv", "cost", "text", "topics",
                 "brands", "sku_ids")
PRODUCTS_MINIMAL = ("maker", "series", "launch_date", "storage_gb", "ram_gb", "chipset", "foldable", "camera_score",
                    "performance_score", "battery_mah", "screen_inches", "weight_g")
USERS_MINIMAL = ("city", "city_tier", "age_band", "gender", "prior_brand")


@dataclass(frozen=True)
class Case:
    """Columns to drop per table, tables to remove, the analyses to run (None: all) and what must follow."""

    drop: dict[str, tuple[str, ...]] = field(default_factory=dict)
    remove: tuple[str, ...] = ()
    only: tuple[str, ...] | None = None
    not_computed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """analysis → figures that must be listed as not computed (and be absent from results and tables)."""
    present: tuple[str, ...] = ()
    """results.json paths (``*`` matches any key) that must still hold a finite number."""
    absent: tuple[str, ...] = ()
    """results.json paths that must hold nothing."""
    skipped: tuple[str, ...] = ()
    """Analyses that must be skipped: none of their figures is computable from the columns left."""


FUNNEL_JD_LIKE = ("ctr", "favorite_rate", "cart_rate", "by_city_tier", "premium_conversion_by_city_tier",
                  "funnel_by_source", "funnel_by_segment", "stages", "stage_transitions", "paths_by_tier")
SPREAD_POSTS = ("by_tier", "reach_per_follower", "engagement_rate", "save_rate", "roi_by_creator_type", "roi_by_tier",
                "creators", "topics", "seeding_effect")

CASES: dict[str, Case] = {
    # a JD 商智 / 生意参谋 export: no impressions, clicks, favourites, carts, source or tier; no event log
    "traffic_jd_like": Case(
        drop={"traffic": TRAFFIC_JD_LIKE}, remove=("events",), only=("funnel",),
        not_computed={"funnel": FUNNEL_JD_LIKE},
        present=("funnel.*.visit_to_buy", "funnel.*.units_per_buyer"),
        absent=("funnel.*.ctr", "funnel.*.favorite_rate", "funnel.*.cart_rate", "funnel.by_city_tier",
                "funnel.stages")),
    # traffic without impressions or tiers, but an event log and users: CTR, tiers and stages come from them
    "traffic_no_impressions_with_events": Case(
        drop={"traffic": ("impressions", "clicks", "city_tier")}, only=("funnel",),
        present=("funnel.jd.ctr", "funnel.tmall.ctr", "funnel.*.visit_to_buy", "funnel.*.favorite_rate",
                 "funnel.by_city_tier.*.visit_to_buy", "funnel.premium_conversion_by_city_tier.*.premium",
                 "funnel.stages.*.click_given_impression", "funnel.stages.*.order_given_cart")),
    # orders as a shop backend exports them: no units (default 1), no source
    "orders_minimal": Case(
        drop={"orders": ORDERS_MINIMAL}, only=("funnel", "spread", "segments", "pricing_plan"),
        present=("pricing_plan.price.*.all.jd",)),  # the channel split still uses the orders (ingest fills units 1)
    "reviews_no_rating": Case(
        drop={"reviews": REVIEWS_MINIMAL}, only=("voice", "segments"),
        not_computed={"voice": ("voice_drivers",)}, present=("voice.Xiaomi.sentiment",)),
    "posts_minimal": Case(
        drop={"posts": POSTS_MINIMAL}, only=("voice", "spread", "segments"),
        not_computed={"spread": SPREAD_POSTS, "voice": ("posts_value_framing",)},
        present=("spread.*.size",), absent=("voice.*.posts_value_framing",)),
    "users_minimal": Case(
        drop={"users": USERS_MINIMAL}, only=("funnel", "segments", "pricing_plan"),
        not_computed={"pricing_plan": ("by_city_tier",),
                      "segments": ("segment_wtp_by_city_tier", "segment_wtp_by_age_band")},
        present=("pricing_plan.price.*.all.*",), absent=("pricing_plan.list_price.*.tier1",)),
    # a tracker's units without prices, and listings without shelf price or promotion: the market is still counted
    # (model rows banded by their SKUs' list price); the demand model has no regional price to identify α and says so
    "market_without_prices": Case(
        drop={"market_sales": ("avg_price", "revenue", "source"), "listings": ("list_price", "promo")},
        only=("market", "demand", "pricing_plan"), skipped=("demand",),
        not_computed={"demand": ("price_elasticity", "brand_premium_cny", "diversion", "counterfactual")},
        present=("market.premium_share.*", "market.premium_brand_share.*.Apple", "pricing_plan.price.*.all.jd"),
        absent=("pricing.price_elasticity",)),
    # every removal at once, and every analysis (demand too: products without characteristics)
    "exports_like": Case(
        drop={"traffic": TRAFFIC_JD_LIKE, "orders": ORDERS_MINIMAL, "reviews": REVIEWS_MINIMAL,
              "posts": POSTS_MINIMAL, "products": PRODUCTS_MINIMAL},
        remove=("events",),
        not_computed={"funnel": FUNNEL_JD_LIKE, "spread": SPREAD_POSTS,
                      "voice": ("voice_drivers", "posts_value_framing"),
                      "demand": ("demand_model.tastes.class_shares",)},
        present=("funnel.*.visit_to_buy", "market.premium_share.*", "pricing.price_elasticity.all.Xiaomi",
                 "pricing.brand_premium_cny.all.Xiaomi", "pricing_plan.price.*.all.*")),
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny") / "twin"
    upmarket.simulate(out, preset="tiny", seed=TINY_SEED)
    return out


def make_subset(base: Path, dest: Path, case: Case) -> Path:
    """A copy of ``base`` without its answer key, with ``case``'s tables removed and columns dropped."""
    shutil.copytree(base, dest, ignore=shutil.ignore_patterns("_truth", "truth.json", ".upmarket*"))
    for table in case.remove:
        shutil.rmtree(dest / table) if (dest / table).is_dir() else (dest / f"{table}.parquet").unlink()
    for table, columns in case.drop.items():
        path = dest / f"{table}.parquet"
        data = pq.read_table(path)
        missing = set(columns) - set(data.column_names)
        assert not missing, f"the twin's {table} no longer has {missing}: update the case"
        pq.write_table(data.drop_columns(list(columns)), path)
    return dest


def values_at(tree: Any, path: str) -> list[Any]:
    """Every value at a dotted ``path`` of ``tree``; a ``*`` part matches any key."""
    found = [tree]
    for part in path.split("."):
        nxt = []
        for node in found:
            if isinstance(node, dict):
                nxt += list(node.values()) if part == "*" else ([node[part]] if part in node else [])
        found = nxt
    return found


def results_key(analysis: str) -> str:
    cls = registered()[analysis]
    return cls.results_key or analysis


def assert_not_shown(res: Results, analysis: str, figure: str) -> None:
    """A figure listed as not computed is nowhere: no results key, no table, no table column of that name."""
    assert figure not in res.tables, f"{analysis}: table {figure} is listed as not computed but written"
    for name, df in res.tables.items():
        assert figure not in df.columns, f"{analysis}: {name}.{figure} is listed as not computed but written"
    section = res.figures.get(results_key(analysis), {})
    head, _, last = figure.rpartition(".")
    for node in values_at(section, head) if head else [section]:
        assert not (isinstance(node, dict) and last in node), f"{analysis}: {figure} in results though not computed"
    if not head:  # a figure name such as ``ctr`` may sit under each platform
        for node in values_at(section, "*"):
            assert not (isinstance(node, dict) and last in node and analysis == "funnel"), (
                f"funnel: {figure} under a platform though not computed")


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_column_subset(name: str, tiny: Path, tmp_path: Path) -> None:
    case = CASES[name]
    dataset = make_subset(tiny, tmp_path / name, case)
    res = upmarket.analyze(dataset, tmp_path / "out", only=list(case.only) if case.only else None)
    assert res.failed == {}, f"{name}: analyses failed: {res.failed}"
    ran = set(case.only or registered())
    assert ran & set(res.skipped) == set(case.skipped), f"{name}: skipped {res.skipped}"
    for analysis, figures in case.not_computed.items():
        listed = res.not_computed.get(analysis, {})
        for figure in figures:
            assert listed.get(figure), f"{name}: {analysis}.{figure} not listed as not computed (got {sorted(listed)})"
            assert_not_shown(res, analysis, figure)
    for path in case.present:
        values = values_at(res.figures, path)
        assert values, f"{name}: nothing at {path}"
        assert all(isinstance(v, int | float) and math.isfinite(v) for v in values), f"{name}: {path} = {values}"
    for path in case.absent:
        assert values_at(res.figures, path) == [], f"{name}: {path} should not be in the results"
    if name == "traffic_no_impressions_with_events":  # the traffic rows had no impressions: CTR is the events'
        assert {d.get("ctr_basis") for p, d in res["funnel"].items() if "visit_to_buy" in d} == {"events"}
        assert "funnel" not in res.not_computed or not any("ctr" in k for k in res.not_computed["funnel"])
        realised = json.loads((tiny / "truth.json").read_text(encoding="utf-8"))["funnel"]  # CTR on full traffic
        for p, rates in realised.items():
            assert res["funnel"][p]["ctr"] == pytest.approx(rates["ctr"], abs=1e-9), p
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    for analysis, figures in case.not_computed.items():
        for figure in figures:
            assert f"<code>{figure}</code>" in report, f"{name}: the report does not name {analysis}.{figure}"
    for analysis in case.skipped:
        assert "not_computed" in res.skipped[analysis] and res.not_computed[analysis], analysis


@pytest.mark.slow
def test_the_whole_tiny_twin_runs_with_no_failed_analysis(tiny: Path, tmp_path: Path) -> None:
    """Every analysis on every table of the twin: nothing fails or is skipped; the contract's funnel keys are filled.

    (The demo preset takes about 100 s of CPU to analyse, beyond this suite's budget; ``make demo`` runs it and
    exits non-zero when an analysis fails.)
    """
    dataset = tmp_path / "twin"
    shutil.copytree(tiny, dataset)
    res = upmarket.analyze(dataset, tmp_path / "out")
    assert res.failed == {}
    assert res.skipped == {}
    written = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    validate_results(written)  # the whole twin's results.json against the generated schema, pricing_plan included
    assert "pricing_plan" in written and "pricing_plan" in render_results_schema()["properties"]
    # the twin's traffic carries no platform segment (人群): the only thing its columns do not allow
    launch = res.not_computed.get("launch", {})
    assert {k: v for k, v in res.not_computed.items() if k != "launch"} == {
        "funnel": {"funnel_by_segment": "traffic has no segment column"}}
    # launch: only models whose tracker series is too short for a Bass fit (and no earlier generation to forecast
    # from), fits declined as not identified or degenerate (with the reason), or too few cascades of launch posts
    # for the virality test
    assert all(("period(s)" in why or "not identified" in why or "degenerate" in why)
               for model, why in launch.items() if model != "q_drivers"), launch
    for path in ("funnel.by_city_tier.tier1.visit_to_buy", "funnel.premium_conversion_by_city_tier.tier1.premium",
                 "funnel.premium_conversion_by_city_tier.tier1.mass", "funnel.stages.jd.click_given_impression",
                 "funnel.stages.tmall.order_given_cart"):
        assert [v for v in values_at(res.figures, path) if 0 <= v <= 1], path
    assert all(c["passed"] for c in res.figures["twin_check"] if c["key"].startswith("funnel."))
