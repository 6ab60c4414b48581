"""Charts: launch curves with their fitted Bass, and the analogue forecast fan (drawn from result tables only)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from upmarket.analyses.base import Chart

MAX_CURVES = 9


def curve_chart(curves: pd.DataFrame) -> Chart | None:
    """Observed adoptions per period (bars) and the fitted Bass increments (line) for the largest launches."""
    if curves is None or curves.empty:
        return None
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
    return Chart("launch_curves", "Launch curves: units per period and the fitted Bass curve", fig,
                 title_zh="新品上市曲线：各期销量与拟合的 Bass 曲线")


def fan_chart(fan: pd.DataFrame | None) -> Chart | None:
    """Forecast adoptions per period since launch from analogues: median and 90 % band, one trace group per model."""
    if fan is None or fan.empty:
        return None
    fig = go.Figure()
    for model, g in fan.groupby("model"):
        unit = g["time_unit"].iloc[0]
        fig.add_trace(go.Scatter(x=g["period"], y=g["units_high"], line={"width": 0}, showlegend=False,
                                 legendgroup=model, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=g["period"], y=g["units_low"], fill="tonexty", line={"width": 0},
                                 name=f"{model} 90 %", legendgroup=model, opacity=0.3))
        fig.add_trace(go.Scatter(x=g["period"], y=g["units_median"], name=f"{model} (median)", legendgroup=model,
                                 mode="lines"))
        fig.update_xaxes(title_text=f"{unit}s since launch")
    fig.update_yaxes(title_text="units per period")
    return Chart("launch_fan", "Pre-launch forecast from analogues (90 % band)", fig,
                 title_zh="基于同系列前代产品的上市前预测（90% 区间）")
