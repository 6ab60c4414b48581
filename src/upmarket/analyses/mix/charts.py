"""Plotly charts of the mix section, drawn only from the section's tables."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from upmarket.analyses.base import Chart


def response_curves(curves: pd.DataFrame, allocation: pd.DataFrame) -> Chart:
    """Each channel's GMV against its spend over the plan window, with the current and the optimal point."""
    fig = go.Figure()
    for ch, g in curves.groupby("channel", sort=False):
        fig.add_trace(go.Scatter(x=g["spend"], y=g["gmv"], mode="lines", name=str(ch), legendgroup=str(ch)))
    for col, label, symbol in (("current", "current", "circle"), ("optimal", "optimal", "star")):
        fig.add_trace(go.Scatter(x=allocation[f"{col}_spend"], y=allocation[f"{col}_gmv"], mode="markers",
                                 marker={"symbol": symbol, "size": 11, "color": "black" if col == "current" else "red"},
                                 name=label, text=allocation["channel"]))
    fig.update_layout(xaxis_title="spend over the plan window (CNY)", yaxis_title="GMV the channel adds (CNY)")
    return Chart("mix_response_curves", "Response curves: current and optimal spend", fig, "响应曲线：当前与最优投放")


def roi_bars(roi: pd.DataFrame) -> Chart:
    """ROI and marginal ROI per channel with 90 % intervals."""
    fig = go.Figure()
    for col, name in (("roi", "ROI"), ("mroi", "marginal ROI")):
        fig.add_trace(go.Bar(x=roi["channel"], y=roi[col], name=name, error_y={
            "type": "data", "symmetric": False, "array": roi[f"{col}_high"] - roi[col],
            "arrayminus": roi[col] - roi[f"{col}_low"]}))
    fig.update_layout(barmode="group", yaxis_title="GMV per CNY of spend")
    return Chart("mix_roi", "ROI and marginal ROI by channel (90% intervals)", fig, "各渠道 ROI 与边际 ROI（90% 区间）")


def forecast_fan(history: pd.DataFrame, fc: pd.DataFrame) -> Chart:
    """Recent GMV, then the forecast's median with its 50 % and 90 % bands."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=history["week"], y=history["gmv"], mode="lines", name="GMV", line={"color": "black"}))
    for lo, hi, alpha, name in (("gmv_p05", "gmv_p95", 0.15, "90%"), ("gmv_p25", "gmv_p75", 0.3, "50%")):
        fig.add_trace(go.Scatter(x=list(fc["week"]) + list(fc["week"])[::-1], y=list(fc[hi]) + list(fc[lo])[::-1],
                                 fill="toself", fillcolor=f"rgba(31,119,180,{alpha})", line={"width": 0},
                                 name=f"{name} interval"))
    fig.add_trace(go.Scatter(x=fc["week"], y=fc["gmv_p50"], mode="lines", name="forecast", line={"dash": "dash"}))
    if "actual" in fc:
        fig.add_trace(go.Scatter(x=fc["week"], y=fc["actual"], mode="markers", name="actual (hold-out)"))
    fig.update_layout(yaxis_title="GMV (CNY)")
    return Chart("mix_forecast", "GMV forecast under the planned spend", fig, "计划投放下的 GMV 预测")
