"""Media-mix charts: response curves with the current and optimal spend, ROI bars, the forecast and hold-out fans."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from upmarket.report.charts.base import Chart, interval_band, present
from upmarket.report.i18n import chart_title

if TYPE_CHECKING:
    import plotly.graph_objects as go


def response_curves(curves: pd.DataFrame, allocation: pd.DataFrame) -> go.Figure:
    """Each channel's GMV against its spend over the plan window, with the current and the optimal point."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for ch, g in curves.groupby("channel", sort=False):
        fig.add_trace(go.Scatter(x=g["spend"], y=g["gmv"], mode="lines", name=str(ch), legendgroup=str(ch)))
    for col, label, symbol in (("current", "current", "circle"), ("optimal", "optimal", "star")):
        fig.add_trace(go.Scatter(x=allocation[f"{col}_spend"], y=allocation[f"{col}_gmv"], mode="markers",
                                 marker={"symbol": symbol, "size": 11, "color": "black" if col == "current" else "red"},
                                 name=label, text=allocation["channel"]))
    fig.update_layout(xaxis_title="spend over the plan window (CNY)", yaxis_title="GMV the channel adds (CNY)")
    return fig


def roi_bars(roi: pd.DataFrame) -> go.Figure:
    """ROI and marginal ROI per channel with 90 % intervals."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for col, name in (("roi", "ROI"), ("mroi", "marginal ROI")):
        fig.add_trace(go.Bar(x=roi["channel"], y=roi[col], name=name, error_y={
            "type": "data", "symmetric": False, "array": roi[f"{col}_high"] - roi[col],
            "arrayminus": roi[col] - roi[f"{col}_low"]}))
    fig.update_layout(barmode="group", yaxis_title="GMV per CNY of spend")
    return fig


def forecast_fan(history: pd.DataFrame, fc: pd.DataFrame) -> go.Figure:
    """Recent GMV, then the forecast's median with its 50 % and 90 % bands."""
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.add_trace(go.Scatter(x=history["week"], y=history["gmv"], mode="lines", name="GMV", line={"color": "black"}))
    for lo, hi, alpha, name in (("gmv_p05", "gmv_p95", 0.15, "90%"), ("gmv_p25", "gmv_p75", 0.3, "50%")):
        fig.add_trace(interval_band(fc["week"], fc[lo], fc[hi], f"{name} interval",
                                    fillcolor=f"rgba(31,119,180,{alpha})"))
    fig.add_trace(go.Scatter(x=fc["week"], y=fc["gmv_p50"], mode="lines", name="forecast", line={"dash": "dash"}))
    if "actual" in fc:
        fig.add_trace(go.Scatter(x=fc["week"], y=fc["actual"], mode="markers", name="actual (hold-out)"))
    fig.update_layout(yaxis_title="GMV (CNY)")
    return fig


def charts(results: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], lang: str) -> list[Chart]:
    """ROI, response curves and the forecast; the hold-out fan when the run held weeks out."""
    roi, curves, alloc = present(tables, "roi"), present(tables, "response_curves"), present(tables, "allocation")
    out = []
    if roi is not None:
        out.append(Chart("mix_roi", chart_title("mix_roi", lang), roi_bars(roi)))
    if curves is not None and alloc is not None:
        out.append(Chart("mix_response_curves", chart_title("mix_response_curves", lang),
                         response_curves(curves, alloc)))
    history, fc, hold = present(tables, "gmv_history"), present(tables, "forecast"), present(tables, "holdout")
    if history is not None and fc is not None:
        out.append(Chart("mix_forecast", chart_title("mix_forecast", lang), forecast_fan(history, fc)))
    if history is not None and hold is not None:  # the weeks before the hold-out began
        before = history[pd.to_datetime(history["week"]) < pd.to_datetime(hold["week"]).min()]
        out.append(Chart("mix_holdout", chart_title("mix_holdout", lang), forecast_fan(before, hold)))
    return out
