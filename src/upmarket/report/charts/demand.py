"""Demand-model charts: where lost sales go (the diversion matrix) and each brand's own-price elasticity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from upmarket.report.charts.base import Chart, present
from upmarket.report.i18n import chart_title

if TYPE_CHECKING:
    import plotly.graph_objects as go


def diversion_heatmap(div: pd.DataFrame) -> go.Figure:
    """The diversion matrix (rows: the brand whose price rises; columns: where its lost units go, then outside)."""
    import plotly.graph_objects as go

    z = div.to_numpy(float)
    heat = go.Figure(go.Heatmap(
        z=z, x=[*div.columns[:-1], "outside / 不购买"], y=list(div.index), colorscale="Blues", zmin=0,
        text=[[("" if np.isnan(v) else f"{v:.0%}") for v in row] for row in z], texttemplate="%{text}",
        hovertemplate="%{y} → %{x}: %{z:.1%}<extra></extra>"))
    heat.update_layout(xaxis_title="to brand / 流向品牌", yaxis_title="price rise on / 提价品牌",
                       yaxis_autorange="reversed")
    return heat


def elasticity_chart(el: pd.Series, el_ci: pd.DataFrame) -> go.Figure:
    """Each brand's mean own-price elasticity with its 90 % interval, most elastic first."""
    import plotly.graph_objects as go

    order = el.sort_values().index
    lo, hi = el_ci["low"].reindex(order), el_ci["high"].reindex(order)
    bars = go.Figure(go.Scatter(
        x=el[order], y=list(order), mode="markers",
        error_x={"type": "data", "symmetric": False, "array": (hi - el[order]).abs(),
                 "arrayminus": (el[order] - lo).abs()},
        hovertemplate="%{y}: %{x:.2f}<extra></extra>"))
    bars.update_layout(xaxis_title="mean own-price elasticity / 平均自价格弹性", yaxis_title="")
    return bars


def charts(results: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], lang: str) -> list[Chart]:
    """The diversion heatmap and the brand elasticities (``pricing.price_elasticity.all`` and its interval)."""
    pricing = results.get("pricing") or {}
    div = present(tables, "diversion_matrix")
    el = (pricing.get("price_elasticity") or {}).get("all")
    ci = (pricing.get("price_elasticity_ci") or {}).get("all") or {}
    out = []
    if div is not None:
        out.append(Chart("diversion_heatmap", chart_title("diversion_heatmap", lang),
                         diversion_heatmap(div.set_index("from_brand"))))
    if el:
        el_ci = pd.DataFrame.from_dict({b: ci.get(b, [np.nan, np.nan]) for b in el}, orient="index",
                                       columns=["low", "high"])
        out.append(Chart("price_elasticity", chart_title("price_elasticity", lang),
                         elasticity_chart(pd.Series(el, dtype=float), el_ci)))
    return out
