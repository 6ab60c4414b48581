"""Voice charts: the aspect profile, value-for-money framing by month, brand associations and key drivers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from upmarket.report.charts.base import Chart, present
from upmarket.report.i18n import chart_title

if TYPE_CHECKING:
    import plotly.graph_objects as go


def aspect_profile(figures: Mapping[str, Any], focal: str | None) -> go.Figure:
    """Share positive per aspect, one bar group per brand, 90 % bootstrap intervals; the focal brand first."""
    import plotly.graph_objects as go

    brands = sorted(figures, key=lambda b: (b != focal, b))
    fig = go.Figure()
    for b in brands:
        f = figures[b]
        xs = [a for a in f["aspects"] if f["aspects"].get(a) is not None]
        ys = [f["aspects"][a] for a in xs]
        ci = [f["aspects_ci"].get(a, [None, None]) for a in xs]
        up = [(c[1] or y) - y for c, y in zip(ci, ys, strict=True)]
        down = [y - (c[0] or y) for c, y in zip(ci, ys, strict=True)]
        fig.add_trace(go.Bar(x=xs, y=ys, name=b, marker_line_width=2 if b == focal else 0,
                             error_y={"type": "data", "symmetric": False, "array": up, "arrayminus": down}))
    return fig.update_layout(barmode="group", yaxis_title="share positive among opinions (90% interval)",
                             yaxis_tickformat=".0%")


def framing_trend(trend: pd.DataFrame, focal: str | None) -> go.Figure:
    """Value-framed share of framed reviews by month, one line per brand (the focal brand thicker)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for b, g in trend.dropna(subset=["value_framing"]).groupby("brand"):
        fig.add_trace(go.Scatter(x=g["month"], y=g["value_framing"], mode="lines+markers", name=str(b),
                                 line={"width": 4 if b == focal else 1.5}))
    return fig.update_layout(yaxis_title="value-framed share of framed reviews", yaxis_tickformat=".0%",
                             xaxis_title="month")


def associations(assoc: pd.DataFrame, top: int = 8) -> go.Figure:
    """The ``top`` most distinctive terms per brand (z of the weighted log-odds), one horizontal bar each."""
    import plotly.graph_objects as go

    a = assoc[assoc["rank"] <= top].sort_values(["brand", "z"], ascending=[False, True])
    return go.Figure(go.Bar(x=a["z"], y=a["brand"].astype(str) + " · " + a["term"].astype(str), orientation="h",
                            text=a["n"], hovertemplate="%{y}: z=%{x:.1f}, %{text} reviews<extra></extra>")
                     ).update_layout(xaxis_title="z-score of weighted log-odds vs rivals", height=max(400, 18 * len(a)))


def key_drivers(drivers: pd.DataFrame, focal: str | None) -> go.Figure:
    """Effect on the star rating of a positive / negative opinion per aspect, with 90 % intervals (focal brand,
    else every brand)."""
    import plotly.graph_objects as go

    d = drivers[drivers["brand"] == focal] if focal in set(drivers["brand"]) else drivers
    fig = go.Figure()
    for (b, op), g in d.groupby(["brand", "opinion"]):
        fig.add_trace(go.Scatter(
            x=g["effect"], y=g["aspect"], mode="markers", name=f"{b} {op}",
            error_x={"type": "data", "symmetric": False, "array": g["ci_high"] - g["effect"],
                     "arrayminus": g["effect"] - g["ci_low"]}))
    fig.add_vline(x=0, line_dash="dot")
    return fig.update_layout(xaxis_title="stars vs no opinion (OLS, HC1 90% interval)")


def brand_figures(results: Mapping[str, Any]) -> dict[str, Any]:
    """results.json's ``voice`` block, only its per-brand entries (those with an aspect profile)."""
    voice = results.get("voice") or {}
    return {b: f for b, f in voice.items() if isinstance(f, Mapping) and isinstance(f.get("aspects"), Mapping)}


def charts(results: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], lang: str) -> list[Chart]:
    """Every chart the figures and tables allow (a missing or empty table just drops its chart)."""
    focal = results.get("focal_brand")
    figures = brand_figures(results)
    out = []
    if figures:
        out.append(Chart("voice_aspect_profile", chart_title("voice_aspect_profile", lang),
                         aspect_profile(figures, focal)))
    t = tables.get("voice_framing_trend")
    if t is not None and t["value_framing"].notna().any():
        out.append(Chart("voice_framing_trend", chart_title("voice_framing_trend", lang), framing_trend(t, focal)))
    t = present(tables, "voice_associations")
    if t is not None:
        out.append(Chart("voice_associations", chart_title("voice_associations", lang), associations(t)))
    t = present(tables, "voice_drivers")
    if t is not None:
        out.append(Chart("voice_drivers", chart_title("voice_drivers", lang), key_drivers(t, focal)))
    return out
