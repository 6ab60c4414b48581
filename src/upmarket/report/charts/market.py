"""Market structure charts: units by price band, the premium share, and brand shares within the premium band."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from upmarket.analyses.market import parse_period, period_sort_key
from upmarket.contract import PREMIUM_THRESHOLD_CNY
from upmarket.market_rules import BANDS, PREMIUM_GROUP
from upmarket.report.charts.base import Chart
from upmarket.report.i18n import chart_title


def chart_periods(periods: Iterable[str]) -> list[str]:
    """One granularity for a time axis: the one with the most periods (ties: the finer), in order.

    Mixing 2024, 2024H1 and 2024Q1 on one axis would stack overlapping totals.
    """
    by_length: dict[int, list[str]] = {}
    for p in periods:
        by_length.setdefault(parse_period(p).months, []).append(p)
    if not by_length:
        return []
    months = max(by_length, key=lambda m: (len(by_length[m]), -m))
    return sorted(by_length[months], key=period_sort_key)


def charts(results: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], lang: str) -> list[Chart]:
    """Units by band per period, premium share over periods, and brand shares within premium."""
    import plotly.graph_objects as go

    figures = results.get("market") or {}
    ub, pb = tables.get("units_by_band"), tables.get("premium_by_brand")
    if ub is None or pb is None:
        return []
    order = chart_periods(figures.get("units", {}))
    fig_band = go.Figure([
        go.Bar(name=b, x=order, y=ub[ub["price_band"] == b].set_index("period")["units"].reindex(order).tolist())
        for b in BANDS
    ])
    fig_band.update_layout(barmode="stack", yaxis_title="units", legend_title="price band (CNY)")

    ps = figures.get("premium_share", {})
    sorder = [p for p in order if p in ps]
    fig_share = go.Figure(go.Scatter(x=sorder, y=[ps[p] for p in sorder], mode="lines+markers"))
    fig_share.update_layout(yaxis_tickformat=".0%", yaxis_title="share of units")

    porder = [p for p in order if p in set(pb["period"])]
    brands = pb.groupby("brand")["units"].sum().sort_values(ascending=False).index
    fig_brand = go.Figure([
        go.Bar(name=b, x=porder, y=pb[pb["brand"] == b].set_index("period")["share"].reindex(porder).tolist())
        for b in brands
    ])
    fig_brand.update_layout(barmode="stack", yaxis_tickformat=".0%", yaxis_title="share of premium units")
    band_zh = f"{PREMIUM_THRESHOLD_CNY:.0f}元及以上"
    return [
        Chart("market_units_by_band", chart_title("market_units_by_band", lang), fig_band),
        Chart("market_premium_share", chart_title("market_premium_share", lang, band=PREMIUM_GROUP, band_zh=band_zh),
              fig_share),
        Chart("market_premium_brands", chart_title("market_premium_brands", lang), fig_brand),
    ]
