"""Funnel charts: the funnel per platform, visit-to-buy by city tier, premium acceptance, the AIPL stage flow."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from upmarket.analyses.funnel.stages import STAGES
from upmarket.report.charts.base import Chart, present, two_sided_sankey
from upmarket.report.i18n import chart_title

if TYPE_CHECKING:
    import plotly.graph_objects as go


def funnel_chart(platform: pd.DataFrame) -> go.Figure:
    """One funnel per platform: impressions → clicks → visitors → add-to-cart → buyers (the steps the data has)."""
    import plotly.graph_objects as go

    steps = [(s, c) for s, c in (("impressions", "ctr_den"), ("clicks", "ctr_num"), ("visitors", "visitors"),
                                 ("add to cart", "add_to_carts"), ("buyers", "buyers")) if c in platform]
    fig = go.Figure([
        go.Funnel(name=str(r["platform"]), y=[s for s, _ in steps], x=[float(r[c]) for _, c in steps],
                  textinfo="value+percent previous")
        for _, r in platform.iterrows()
    ])
    fig.update_layout(funnelmode="group")
    return fig


def tier_chart(by_tier: pd.DataFrame) -> go.Figure:
    """Visit-to-buy by city tier, one bar group per platform, with 90% Wilson error bars."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for p, g in by_tier.groupby("platform", sort=True):
        fig.add_bar(name=str(p), x=g["city_tier"], y=g["visit_to_buy"],
                    error_y={"type": "data", "symmetric": False,
                             "array": (g["visit_to_buy_high"] - g["visit_to_buy"]).tolist(),
                             "arrayminus": (g["visit_to_buy"] - g["visit_to_buy_low"]).tolist()})
    fig.update_layout(barmode="group", yaxis_tickformat=".1%", yaxis_title="visit-to-buy")
    return fig


def sankey_chart(transitions: pd.DataFrame, brand: str) -> go.Figure:
    """Week-to-week stage flow of one brand (this week's stage → next week's stage)."""

    t = transitions[transitions["brand"] == brand]
    if "customer" in t:
        t = t[t["customer"] == "all"]
    return two_sided_sankey(STAGES, ("week w", "week w+1"), t["from_level"].astype(int).tolist(),
                            t["to_level"].astype(int).tolist(), t["n"].astype(float).tolist())


def premium_chart(prem: pd.DataFrame) -> go.Figure:
    """The premium-acceptance table: share of buyers on ≥ 4000 CNY SKUs by city tier, per brand."""
    import plotly.graph_objects as go

    t = prem[prem["group"] == "city_tier"]
    fig = go.Figure()
    for b, g in t.groupby("brand", sort=True):
        fig.add_bar(name=str(b), x=g["value"], y=g["premium_buyer_share"])
    fig.update_layout(barmode="group", yaxis_tickformat=".0%", yaxis_title="share of buyers on premium SKUs")
    return fig


def charts(results: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], lang: str) -> list[Chart]:
    """Every funnel chart the saved tables allow."""
    out = []
    if "funnel_platform" in tables:
        out.append(Chart("funnel_platforms", chart_title("funnel_platforms", lang),
                         funnel_chart(tables["funnel_platform"])))
    if "funnel_by_city_tier" in tables:
        out.append(Chart("funnel_tiers", chart_title("funnel_tiers", lang), tier_chart(tables["funnel_by_city_tier"])))
    prem = present(tables, "premium_acceptance")
    if prem is not None:
        out.append(Chart("funnel_premium", chart_title("funnel_premium", lang), premium_chart(prem)))
    tr, focal = tables.get("stage_transitions"), str(results.get("focal_brand", ""))
    if tr is not None and (tr["brand"] == focal).any():
        out.append(Chart("funnel_stage_flow", chart_title("funnel_stage_flow", lang, brand=focal),
                         sankey_chart(tr, focal)))
    return out
