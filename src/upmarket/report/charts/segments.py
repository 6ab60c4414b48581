"""Segment charts: willingness to pay for each brand by taste segment, and the perceptual map."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from upmarket.report.charts.base import Chart, present
from upmarket.report.i18n import chart_title

if TYPE_CHECKING:
    import plotly.graph_objects as go


def premium_chart(prem: Mapping[str, Mapping[str, float]], ci: Mapping[str, Mapping[str, list[float]]],
                  ref: str) -> go.Figure:
    """Each segment's premium (CNY) for each brand over the reference brand, with 90 % intervals."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for seg, row in prem.items():
        brands = [b for b in row if b != ref]
        fig.add_bar(name=seg, x=brands, y=[row[b] for b in brands],
                    error_y={"type": "data", "symmetric": False,
                             "array": [ci[seg][b][1] - row[b] for b in brands],
                             "arrayminus": [row[b] - ci[seg][b][0] for b in brands]})
    fig.update_layout(barmode="group", yaxis_title=f"CNY over {ref}")
    return fig


def map_chart(rows: pd.DataFrame, cols: pd.DataFrame, inertia: list[float], focal: str) -> go.Figure:
    """Brands and aspects on the first two correspondence-analysis dimensions (the focal brand larger)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.add_scatter(x=cols["dim1"], y=cols["dim2"], mode="markers+text", text=list(cols.index), name="aspects",
                    marker={"symbol": "diamond", "color": "grey"}, textposition="top center")
    fig.add_scatter(x=rows["dim1"], y=rows["dim2"], mode="markers+text", text=list(rows.index), name="brands",
                    marker={"size": [16 if b == focal else 10 for b in rows.index]}, textposition="bottom center")
    fig.update_layout(xaxis_title=f"dimension 1 ({inertia[0]:.0%} of inertia)",
                      yaxis_title=f"dimension 2 ({inertia[1]:.0%} of inertia)")
    return fig


def charts(results: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], lang: str) -> list[Chart]:
    """The segments' brand premia (``pricing.brand_premium_cny`` of each segment) and the perceptual map."""
    pricing = results.get("pricing") or {}
    segments = list(pricing.get("segment_share") or {})  # the demand model's "all" shares the block: left out
    ref = str((pricing.get("latent_class") or {}).get("reference", ""))
    prem, ci = pricing.get("brand_premium_cny") or {}, pricing.get("brand_premium_cny_ci") or {}
    out = []
    if segments and all(s in prem and s in ci for s in segments):
        out.append(Chart("brand_premium_by_segment", chart_title("brand_premium_by_segment", lang, reference=ref),
                         premium_chart({s: prem[s] for s in segments}, ci, ref)))
    positioning = pricing.get("positioning") or {}
    brands, aspects = present(tables, "positioning_brands"), present(tables, "positioning_aspects")
    if brands is not None and aspects is not None and len(positioning.get("inertia") or []) >= 2:
        out.append(Chart("positioning_map", chart_title("positioning_map", lang, source=positioning.get("source")),
                         map_chart(brands.set_index("brand"), aspects.set_index("aspect"), positioning["inertia"],
                                   str(results.get("focal_brand", "")))))
    return out
