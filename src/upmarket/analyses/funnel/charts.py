"""Plotly charts of the funnel, drawn from the computed tables only (no numbers of their own)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from upmarket.analyses.base import Chart
from upmarket.analyses.funnel.stages import STAGES

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
    import plotly.graph_objects as go

    t = transitions[transitions["brand"] == brand]
    if "customer" in t:
        t = t[t["customer"] == "all"]
    n = len(STAGES)
    labels = [f"{s} (week w)" for s in STAGES] + [f"{s} (week w+1)" for s in STAGES]
    fig = go.Figure(go.Sankey(
        node={"label": labels, "pad": 12},
        link={"source": t["from_level"].astype(int).tolist(), "target": (t["to_level"].astype(int) + n).tolist(),
              "value": t["n"].astype(float).tolist()},
    ))
    return fig


def premium_chart(prem: pd.DataFrame) -> go.Figure:
    """The premium-acceptance table: share of buyers on ≥ 4000 CNY SKUs by city tier, per brand."""
    import plotly.graph_objects as go

    t = prem[prem["group"] == "city_tier"]
    fig = go.Figure()
    for b, g in t.groupby("brand", sort=True):
        fig.add_bar(name=str(b), x=g["value"], y=g["premium_buyer_share"])
    fig.update_layout(barmode="group", yaxis_tickformat=".0%", yaxis_title="share of buyers on premium SKUs")
    return fig


def charts(tables: dict[str, pd.DataFrame], focal_brand: str) -> list[Chart]:
    out = [Chart("funnel_platforms", "Funnel by platform", funnel_chart(tables["funnel_platform"]), "各平台转化漏斗")]
    if "funnel_by_city_tier" in tables:
        out.append(Chart("funnel_tiers", "Visit-to-buy by city tier", tier_chart(tables["funnel_by_city_tier"]),
                         "各城市等级的访问-购买转化率"))
    if "premium_acceptance" in tables and len(tables["premium_acceptance"]):
        out.append(Chart("funnel_premium", "Premium acceptance by city tier",
                         premium_chart(tables["premium_acceptance"]), "各城市等级的高端机型接受度"))
    tr = tables.get("stage_transitions")
    if tr is not None and (tr["brand"] == focal_brand).any():
        out.append(Chart("funnel_stage_flow", f"{focal_brand}: week-to-week stage flow (AIPL)",
                         sankey_chart(tr, focal_brand), f"{focal_brand}：消费者资产逐周流转（AIPL）"))
    return out
