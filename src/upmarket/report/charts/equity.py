"""Brand-equity charts: the switching Sankey, the Dirichlet benchmark, Aaker's four dimensions, the revenue premium."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from upmarket.report.charts.base import Chart, present, two_sided_sankey
from upmarket.report.i18n import chart_title

if TYPE_CHECKING:
    import plotly.graph_objects as go

BENCHMARK_BRANDS = ("Apple", "Huawei")
"""The brands the focal brand's four dimensions are drawn against, those the run has figures for."""


def switching_sankey(matrix: pd.DataFrame) -> go.Figure:
    """Owners' current brand (left) → brand of their next phone (right), widths = phone changes."""

    names = sorted(set(matrix["from_brand"]) | set(matrix["to_brand"]))
    pos = {b: i for i, b in enumerate(names)}
    m = matrix[matrix["n"] > 0]
    return two_sided_sankey(
        names, ("before", "next"), [pos[b] for b in m["from_brand"]], [pos[b] for b in m["to_brand"]],
        m["n"].tolist(), customdata=m["share"].tolist(),
        hovertemplate="%{source.label} → %{target.label}: %{value} changes (%{customdata:.0%})<extra></extra>")


def dirichlet_table(table: pd.DataFrame) -> go.Figure:
    """Observed beside Dirichlet-predicted penetration, buying rate, SCR and 100 %-loyal share; excess loyalty."""
    import plotly.graph_objects as go

    cols = [("brand", "brand", None), ("share", "share", ".1%"), ("penetration_obs", "penetration obs", ".1%"),
            ("penetration", "penetration D", ".1%"), ("buy_rate_obs", "buy rate obs", ".2f"),
            ("buy_rate", "buy rate D", ".2f"), ("scr_obs", "SCR obs", ".0%"), ("scr", "SCR D", ".0%"),
            ("sole_loyal_obs", "100%-loyal obs", ".0%"), ("sole_loyal", "100%-loyal D", ".0%"),
            ("excess_sole_loyal", "excess loyalty", "+.1%")]
    cols = [c for c in cols if c[0] in table]
    return go.Figure(go.Table(header={"values": [c[1] for c in cols]},
                              cells={"values": [table[c[0]] for c in cols], "format": [c[2] for c in cols]}))


def four_dimensions(dims: pd.DataFrame, brands: list[str]) -> go.Figure:
    """The four scaled dimensions (1 = best brand) for the focal brand and its benchmarks."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for b in [b for b in brands if b in dims.index]:
        row = dims.loc[b]
        fig.add_trace(go.Bar(x=list(row.index), y=row.tolist(), name=b))
    return fig.update_layout(barmode="group", yaxis_title="scaled to the best brand (1 = best)", yaxis_range=[0, 1.05])


def premium_trend(rp: pd.DataFrame, focal: str) -> go.Figure:
    """Revenue premium over the benchmark brand's price, per period, one line per brand (the focal brand thicker)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for b, g in rp.groupby("brand"):
        g = g.sort_values("period")
        fig.add_trace(go.Scatter(x=g["period"], y=g["revenue_premium"] / 1e9, mode="lines+markers", name=str(b),
                                 line={"width": 4 if b == focal else 1.5}))
    return fig.update_layout(yaxis_title="revenue premium, bn CNY", xaxis_title="period")


def charts(results: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], lang: str) -> list[Chart]:
    """Every equity chart the saved tables allow."""
    focal = str(results.get("focal_brand", ""))
    benchmarks = [b for b in BENCHMARK_BRANDS if b in (results.get("equity") or {})]
    out = []
    if "switching_matrix" in tables:
        out.append(Chart("switching_sankey", chart_title("switching_sankey", lang),
                         switching_sankey(tables["switching_matrix"])))
    if "dirichlet" in tables:
        out.append(Chart("dirichlet", chart_title("dirichlet", lang), dirichlet_table(tables["dirichlet"])))
    if "dimensions_scaled" in tables:
        out.append(Chart("four_dimensions", chart_title("four_dimensions", lang, brand=focal, benchmarks=benchmarks),
                         four_dimensions(tables["dimensions_scaled"].set_index("brand"), [focal, *benchmarks])))
    rp = present(tables, "revenue_premium")
    if rp is not None:
        out.append(Chart("revenue_premium", chart_title("revenue_premium", lang), premium_trend(rp, focal)))
    return out
