"""Launch charts: launch curves with their fitted Bass curve, and the analogue forecast fan."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from upmarket.report.charts.base import Chart, interval_band, present
from upmarket.report.i18n import chart_title

if TYPE_CHECKING:
    import plotly.graph_objects as go

MAX_CURVES = 9


def curve_chart(curves: pd.DataFrame) -> go.Figure:
    """Observed adoptions per period (bars) and the fitted Bass increments (line) for the largest launches."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    top = curves.groupby("model")["units"].sum().sort_values(ascending=False).head(MAX_CURVES).index.tolist()
    cols = 3 if len(top) > 4 else max(len(top), 1)
    rows = math.ceil(len(top) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=top)
    for i, model in enumerate(top):
        g = curves[curves["model"] == model]
        r, c = i // cols + 1, i % cols + 1
        fig.add_trace(go.Bar(x=g["period_start"], y=g["units"], name="observed", marker_color="#9ecae1",
                             showlegend=i == 0, legendgroup="obs"), row=r, col=c)
        fig.add_trace(go.Scatter(x=g["period_start"], y=g["fitted"], name="Bass fit", mode="lines+markers",
                                 line={"color": "#d62728"}, showlegend=i == 0, legendgroup="fit"), row=r, col=c)
    fig.update_layout(height=260 * rows, margin={"t": 40})
    return fig


def fan_chart(fan: pd.DataFrame) -> go.Figure:
    """Forecast adoptions per period since launch from analogues: median and 90 % band, one trace group per model."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for model, g in fan.groupby("model"):
        unit = g["time_unit"].iloc[0]
        fig.add_trace(interval_band(g["period"], g["units_low"], g["units_high"], f"{model} 90 %", legendgroup=model,
                                    opacity=0.3))
        fig.add_trace(go.Scatter(x=g["period"], y=g["units_median"], name=f"{model} (median)", legendgroup=model,
                                 mode="lines"))
        fig.update_xaxes(title_text=f"{unit}s since launch")
    fig.update_yaxes(title_text="units per period")
    return fig


def charts(results: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], lang: str) -> list[Chart]:
    """The launch curves and the pre-launch fan, when the run saved their tables."""
    out = []
    curves = present(tables, "launch_curves")
    if curves is not None:
        out.append(Chart("launch_curves", chart_title("launch_curves", lang), curve_chart(curves)))
    fan = present(tables, "launch_fan")
    if fan is not None:
        out.append(Chart("launch_fan", chart_title("launch_fan", lang), fan_chart(fan)))
    return out
