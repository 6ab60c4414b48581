"""Plotly charts of the spread section, drawn only from the section's tables (no numbers computed here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from upmarket.analyses.base import Chart

if TYPE_CHECKING:
    from upmarket.analyses.spread.cascades import Forest

MAX_DRAWN_NODES = 3000


def cascade_trees(forest: Forest) -> go.Figure:
    """The largest cascades as sunbursts: one ring per depth, so broadcasts are one wide ring."""
    fig = go.Figure()
    is_root = forest.parent < 0
    starts = np.append(np.flatnonzero(is_root), forest.parent.size)
    k = len(starts) - 1
    for i in range(k):  # one trace per drawn cascade (at most three)
        lo, hi = starts[i], min(starts[i + 1], starts[i] + MAX_DRAWN_NODES)
        par = forest.parent[lo:hi]
        ids = np.arange(lo, hi).astype(str)
        parents = np.where(par < 0, "", par.astype(str))
        fig.add_trace(go.Sunburst(ids=ids, parents=parents, branchvalues="remainder", maxdepth=8,
                                  domain={"column": i}, name=str(forest.post_id[i]), hoverinfo="none"))
    fig.update_layout(grid={"columns": max(k, 1), "rows": 1},
                      annotations=[{"text": f"post {pid}", "x": (i + 0.5) / k, "y": -0.05, "showarrow": False}
                                   for i, pid in enumerate(forest.post_id)])
    return fig


def leaderboard_chart(board: pd.DataFrame) -> go.Figure:
    b = board.iloc[::-1]
    return go.Figure(go.Bar(
        x=b["gmv_per_cny"], y=b["creator_id"].astype(str) + " (" + b["creator_type"].astype(str) + ")",
        orientation="h",
        error_x={"type": "data", "symmetric": False, "array": b["gmv_per_cny_high"] - b["gmv_per_cny"],
                 "arrayminus": b["gmv_per_cny"] - b["gmv_per_cny_low"]},
    )).update_layout(xaxis_title="GMV per CNY of fee (90% interval)")


def seeding_chart(seed: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for outcome, g in seed.groupby("outcome"):
        fig.add_trace(go.Scatter(x=np.concatenate([g["day"], g["day"][::-1]]),
                                 y=np.concatenate([g["lift_high"], g["lift_low"][::-1]]), fill="toself",
                                 opacity=0.25, line={"width": 0}, name=f"{outcome} 90% interval", hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=g["day"], y=g["lift"], mode="lines+markers", name=str(outcome)))
    fig.add_vline(x=0, line_dash="dot")
    return fig.update_layout(xaxis_title="days relative to the post", yaxis_title="lift (× an average day)")


def modes_chart(by_type: pd.DataFrame) -> go.Figure:
    t = by_type[by_type["classified"] > 0]
    return go.Figure([
        go.Bar(x=t["creator_type"], y=1 - t["viral_share"], name="broadcast"),
        go.Bar(x=t["creator_type"], y=t["viral_share"], name="viral"),
    ]).update_layout(barmode="stack", yaxis_tickformat=".0%", yaxis_title="share of cascades with 10+ nodes")


def topics_chart(topics: pd.DataFrame) -> go.Figure:
    t = topics.head(15).iloc[::-1]
    return go.Figure(go.Bar(x=t["views"], y=t["topic"], orientation="h", customdata=t.get("engagement_rate"),
                            hovertemplate="%{y}: %{x:,} views, engagement %{customdata:.1%}")).update_layout(
        xaxis_title="views")


def charts(tables: dict[str, pd.DataFrame], drawn: Forest | None) -> list[Chart]:
    out: list[Chart] = []
    if drawn is not None and drawn.parent.size:
        out.append(Chart("spread_largest_cascades", "The largest cascades (rings = depth)", cascade_trees(drawn),
                         "规模最大的传播树（每一圈为一层转发）"))
    board = tables.get("creators")
    if board is not None and len(board):
        out.append(Chart("spread_creator_leaderboard", "Creator leaderboard: GMV per CNY of fee",
                         leaderboard_chart(board), "创作者榜单：每元费用带来的 GMV"))
    by_type = tables.get("by_creator_type")
    if by_type is not None and "viral_share" in by_type and (by_type["classified"] > 0).any():
        out.append(Chart("spread_broadcast_vs_viral", "Broadcast vs viral spread by creator type",
                         modes_chart(by_type), "按创作者类型：广播式与病毒式传播"))
    topics = tables.get("topics")
    if topics is not None and len(topics):
        out.append(Chart("spread_topics", "Topics by views", topics_chart(topics), "话题曝光排行"))
    seed = tables.get("seeding_effect")
    if seed is not None and len(seed):
        out.append(Chart("spread_seeding_effect", "Seeding effect: searches and orders around a post (observational)",
                         seeding_chart(seed), "种草效果：内容发布前后的搜索与订单（观察性）"))
    return out
