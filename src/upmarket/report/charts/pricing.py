"""Pricing-scenario charts: the 国补 and profit-maximising counterfactuals the demand model prices.

The price plan (``pricing_plan``) has no chart: its tables are read in the report as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from upmarket.report.charts.base import Chart, present
from upmarket.report.i18n import chart_title

if TYPE_CHECKING:
    import plotly.graph_objects as go

SCENARIO_ZH = {"observed": "实际", "profit-maximising at costs": "按成本利润最大化",
               "国补, prices held": "国补，价格不变", "国补, firms re-optimise": "国补，厂商重新定价"}


def counterfactual_chart(table: pd.DataFrame, period: str) -> go.Figure:
    """Units change and premium share per pricing scenario, bilingual scenario labels."""
    import plotly.graph_objects as go

    names = [f"{s} / {SCENARIO_ZH.get(s, s)}" for s in table["scenario"]]
    fig = go.Figure([
        go.Bar(name="units vs observed / 销量变化", x=names, y=table["units_change"], texttemplate="%{y:+.1%}"),
        go.Bar(name="premium share / 高端份额", x=names, y=table["premium_share"], texttemplate="%{y:.1%}"),
    ])
    fig.update_layout(barmode="group", yaxis_tickformat=".0%", xaxis_title=f"scenario / 情景 ({period})")
    return fig


def scenario_charts(results: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], lang: str) -> list[Chart]:
    """The counterfactual scenarios of the demand section (``pricing.counterfactual.period``)."""
    table = present(tables, "pricing_counterfactual")
    if table is None:
        return []
    period = ((results.get("pricing") or {}).get("counterfactual") or {}).get("period", "")
    return [Chart("pricing_counterfactual", chart_title("pricing_counterfactual", lang),
                  counterfactual_chart(table, period))]

