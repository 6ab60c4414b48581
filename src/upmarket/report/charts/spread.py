"""Spread charts: the largest cascades, the creator leaderboard, broadcast vs viral, topics, the seeding effect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from upmarket.report.charts.base import Chart, interval_band, present
from upmarket.report.i18n import chart_title

if TYPE_CHECKING:
    import plotly.graph_objects as go

MAX_DRAWN_NODES = 3000
"""Nodes drawn per cascade (the earliest; parents come before their children, so the drawn part is a tree)."""


def cascade_trees(nodes: pd.DataFrame) -> go.Figure:
    """The largest cascades as sunbursts, one per post: one ring per depth, so a broadcast is one wide ring.

    ``nodes`` has one row per node: ``post_id``, ``node`` (0 = the root) and ``parent`` (-1 at the root), in the
    cascade's topological order.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    posts = list(dict.fromkeys(nodes["post_id"]))
    for i, (post, g) in enumerate(nodes.groupby("post_id", sort=False)):
        g = g.head(MAX_DRAWN_NODES)
        ids = g["node"].astype(int).astype(str).tolist()
        parents = ["" if p < 0 else str(p) for p in g["parent"].astype(int)]
        # plotly.js draws no sector without ``labels`` (ids alone leave the chart blank): the nodes go unnamed
        fig.add_trace(go.Sunburst(ids=ids, parents=parents, labels=[""] * len(ids), branchvalues="remainder",
                                  maxdepth=8, domain={"column": i}, name=str(post), hoverinfo="none"))
    k = len(posts)
    fig.update_layout(grid={"columns": max(k, 1), "rows": 1},
                      annotations=[{"text": f"post {pid}", "x": (i + 0.5) / k, "y": -0.05, "showarrow": False}
                                   for i, pid in enumerate(posts)])
    return fig


def leaderboard_chart(board: pd.DataFrame) -> go.Figure:
    """Creators ranked by GMV per CNY of fee, with 90 % intervals."""
    import plotly.graph_objects as go

    b = board.iloc[::-1]
    return go.Figure(go.Bar(
        x=b["gmv_per_cny"], y=b["creator_id"].astype(str) + " (" + b["creator_type"].astype(str) + ")",
        orientation="h",
        error_x={"type": "data", "symmetric": False, "array": b["gmv_per_cny_high"] - b["gmv_per_cny"],
                 "arrayminus": b["gmv_per_cny"] - b["gmv_per_cny_low"]},
    )).update_layout(xaxis_title="GMV per CNY of fee (90% interval)")


def seeding_chart(seed: pd.DataFrame) -> go.Figure:
    """Searches and orders around a post (× an average day), each with its 90 % band."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for outcome, g in seed.groupby("outcome"):
        fig.add_trace(interval_band(g["day"], g["lift_low"], g["lift_high"], f"{outcome} 90% interval", opacity=0.25,
                                    hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=g["day"], y=g["lift"], mode="lines+markers", name=str(outcome)))
    fig.add_vline(x=0, line_dash="dot")
    return fig.update_layout(xaxis_title="days relative to the post", yaxis_title="lift (× an average day)")


def modes_chart(by_type: pd.DataFrame) -> go.Figure:
    """Per creator type, the share of its classified cascades that spread by broadcast and virally."""
    import plotly.graph_objects as go

    t = by_type[by_type["classified"] > 0]
    return go.Figure([
        go.Bar(x=t["creator_type"], y=1 - t["viral_share"], name="broadcast"),
        go.Bar(x=t["creator_type"], y=t["viral_share"], name="viral"),
    ]).update_layout(barmode="stack", yaxis_tickformat=".0%", yaxis_title="share of cascades with 10+ nodes")


def topics_chart(topics: pd.DataFrame) -> go.Figure:
    """The 15 topics with the most views."""
    import plotly.graph_objects as go

    t = topics.head(15).iloc[::-1]
    return go.Figure(go.Bar(x=t["views"], y=t["topic"], orientation="h", customdata=t.get("engagement_rate"),
                            hovertemplate="%{y}: %{x:,} views, engagement %{customdata:.1%}")).update_layout(
        xaxis_title="views")


def charts(results: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], lang: str) -> list[Chart]:
    """Every spread chart the saved tables allow."""
    out: list[Chart] = []
    nodes = present(tables, "largest_cascades")
    if nodes is not None:
        out.append(Chart("spread_largest_cascades", chart_title("spread_largest_cascades", lang),
                         cascade_trees(nodes)))
    board = present(tables, "creators")
    if board is not None:
        out.append(Chart("spread_creator_leaderboard", chart_title("spread_creator_leaderboard", lang),
                         leaderboard_chart(board)))
    by_type = tables.get("by_creator_type")
    if by_type is not None and "viral_share" in by_type and (by_type["classified"] > 0).any():
        out.append(Chart("spread_broadcast_vs_viral", chart_title("spread_broadcast_vs_viral", lang),
                         modes_chart(by_type)))
    topics = present(tables, "topics")
    if topics is not None:
        out.append(Chart("spread_topics", chart_title("spread_topics", lang), topics_chart(topics)))
    seed = present(tables, "seeding_effect")
    if seed is not None:
        out.append(Chart("spread_seeding_effect", chart_title("spread_seeding_effect", lang), seeding_chart(seed)))
    return out
