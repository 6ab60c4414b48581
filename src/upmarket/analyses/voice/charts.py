"""Plotly charts of the voice section, drawn only from the section's figures and tables (no numbers computed here)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from upmarket.analyses.base import Chart
from upmarket.analyses.voice.aspects import ASPECTS


def aspect_profile(figures: dict[str, Any], focal: str | None) -> go.Figure:
    """Share positive per aspect, one bar group per brand, 90 % bootstrap intervals; the focal brand first."""
    brands = sorted(figures, key=lambda b: (b != focal, b))
    fig = go.Figure()
    for b in brands:
        f = figures[b]
        xs = [a for a in ASPECTS if f["aspects"].get(a) is not None]
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
    fig = go.Figure()
    for b, g in trend.dropna(subset=["value_framing"]).groupby("brand"):
        fig.add_trace(go.Scatter(x=g["month"], y=g["value_framing"], mode="lines+markers", name=str(b),
                                 line={"width": 4 if b == focal else 1.5}))
    return fig.update_layout(yaxis_title="value-framed share of framed reviews", yaxis_tickformat=".0%",
                             xaxis_title="month")


def associations(assoc: pd.DataFrame, top: int = 8) -> go.Figure:
    """The ``top`` most distinctive terms per brand (z of the weighted log-odds), one horizontal bar each."""
    a = assoc[assoc["rank"] <= top].sort_values(["brand", "z"], ascending=[False, True])
    return go.Figure(go.Bar(x=a["z"], y=a["brand"].astype(str) + " · " + a["term"].astype(str), orientation="h",
                            text=a["n"], hovertemplate="%{y}: z=%{x:.1f}, %{text} reviews<extra></extra>")
                     ).update_layout(xaxis_title="z-score of weighted log-odds vs rivals", height=max(400, 18 * len(a)))


def key_drivers(drivers: pd.DataFrame, focal: str | None) -> go.Figure:
    """Effect on the star rating of a positive / negative opinion per aspect, with 90 % intervals (focal brand,
    else every brand)."""
    d = drivers[drivers["brand"] == focal] if focal in set(drivers["brand"]) else drivers
    fig = go.Figure()
    for (b, op), g in d.groupby(["brand", "opinion"]):
        fig.add_trace(go.Scatter(
            x=g["effect"], y=g["aspect"], mode="markers", name=f"{b} {op}",
            error_x={"type": "data", "symmetric": False, "array": g["ci_high"] - g["effect"],
                     "arrayminus": g["effect"] - g["ci_low"]}))
    fig.add_vline(x=0, line_dash="dot")
    return fig.update_layout(xaxis_title="stars vs no opinion (OLS, HC1 90% interval)")


def charts(figures: dict[str, Any], tables: dict[str, pd.DataFrame], focal: str | None) -> list[Chart]:
    """Every chart the tables allow (a missing or empty table just drops its chart)."""
    out = []
    if figures:
        out.append(Chart("voice_aspect_profile", "Aspect profile: share positive per aspect, brand vs rivals",
                         aspect_profile(figures, focal), "各方面口碑：品牌与竞品的正面评价占比"))
    t = tables.get("voice_framing_trend")
    if t is not None and t["value_framing"].notna().any():
        out.append(Chart("voice_framing_trend", "Value-for-money framing by month", framing_trend(t, focal),
                         "性价比框架占比的月度趋势"))
    t = tables.get("voice_associations")
    if t is not None and len(t):
        out.append(Chart("voice_associations", "Terms most distinctively tied to each brand", associations(t),
                         "各品牌最具区分度的联想词"))
    t = tables.get("voice_drivers")
    if t is not None and len(t):
        out.append(Chart("voice_drivers", "Key drivers of the star rating", key_drivers(t, focal),
                         "影响星级评分的关键因素"))
    return out
