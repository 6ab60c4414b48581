"""What every chart module shares: the ``Chart`` it returns, and the pass that puts a figure's labels in a language.

Chart modules draw in English (axis titles, legend entries, category labels) and take their titles from the
catalogue (:func:`upmarket.report.i18n.chart_title`); :func:`localise_figure` then puts the labels in the report's
language, so one drawing serves both languages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from upmarket.report.i18n import AXIS_ZH, code, localise

if TYPE_CHECKING:
    import plotly.graph_objects as go


@dataclass
class Chart:
    """A Plotly figure and its title, both in one language."""

    name: str
    title: str
    figure: go.Figure


ChartBuilder = Callable[[Mapping[str, Any], Mapping[str, pd.DataFrame], str], list[Chart]]
"""``(results, tables, lang) -> charts``: results.json's figures, the section's saved tables, the language."""


def present(tables: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame | None:
    """Table ``name`` when the section saved it with rows, else None (its chart is then not drawn)."""
    df = tables.get(name)
    return df if df is not None and len(df) else None


def interval_band(x: Sequence[Any], low: Sequence[float], high: Sequence[float], name: str, **style: Any) -> go.Scatter:
    """An interval drawn as one filled, borderless polygon (along ``high``, back along ``low``): the band of a
    forecast fan or an effect's 90 % interval. ``style`` adds trace properties (opacity, fillcolor, legendgroup)."""
    import plotly.graph_objects as go

    xs = list(x)
    return go.Scatter(x=xs + xs[::-1], y=list(high) + list(low)[::-1], fill="toself", line={"width": 0}, name=name,
                      **style)


def two_sided_sankey(nodes: Sequence[str], sides: tuple[str, str], source: Sequence[int], target: Sequence[int],
                     value: Sequence[float], **link: Any) -> go.Figure:
    """Flows between two states of the same nodes (brand now → next brand, stage this week → next week).

    Each node is drawn once per side, labelled ``"node (side)"`` (:func:`chart_label` localises the side);
    ``source`` and ``target`` are positions in ``nodes``; ``link`` adds link properties (customdata, hovertemplate).
    """
    import plotly.graph_objects as go

    left, right = sides
    return go.Figure(go.Sankey(
        node={"label": [f"{v} ({left})" for v in nodes] + [f"{v} ({right})" for v in nodes], "pad": 12},
        link={"source": list(source), "target": [len(nodes) + t for t in target], "value": list(value), **link},
    ))


_CJK = re.compile(r"[\u3400-\u9fff]")


def _one_language(text: str, lang: str) -> str:
    """"price rise on / 提价品牌" → the half in ``lang`` (some labels are drawn in both)."""
    if " / " in text:
        left, _, right = text.partition(" / ")
        if _CJK.search(right) and re.search(r"[A-Za-z]{3,}", left):
            return right if lang == "zh" else left
    return text


def chart_label(text: str, lang: str) -> str:
    """An axis title, legend entry or category label in ``lang`` (codes through the catalogue under zh)."""
    text = _one_language(str(text), lang)
    if lang != "zh":
        return text
    dims = re.fullmatch(r"dimension (\d+) \((\d+)% of inertia\)", text)
    if dims:
        return f"维度{dims[1]}（解释 {dims[2]}% 的惯量）"
    band = re.fullmatch(r"(.+) \((median)\)|(.+) (\d+) ?%", text)  # a forecast fan's median and interval
    if band:
        return f"{band[1]}（中位数）" if band[1] else f"{band[3]} {band[4]}% 区间"
    side = re.fullmatch(r"(.+) \((before|after|next)\)", text)  # a switching Sankey's two sides
    if side:
        return f"{side[1]}（{'换机前' if side[2] == 'before' else '换机后'}）"
    week = re.fullmatch(r"(\w+) \(week w(\+1)?\)", text)  # a stage flow's two weeks
    if week:
        return f"{localise(code(week[1], lang), lang)}（第 w{week[2] or ''} 周）"
    return AXIS_ZH.get(text) or localise(code(text, lang), lang)


def localise_figure(fig: Any, lang: str) -> None:
    """Axis titles, legend entries and category labels of ``fig`` in ``lang``, in place."""
    layout = fig.layout
    for part in (layout.xaxis.title, layout.yaxis.title, layout.legend.title, layout.title):
        if part.text:
            part.text = chart_label(part.text, lang)
    for trace in fig.data:
        if getattr(trace, "name", None):
            trace.name = chart_label(trace.name, lang)
        node = getattr(trace, "node", None)  # a Sankey's node names (stages, brands)
        if node is not None and node.label and all(isinstance(v, str) for v in node.label):
            node.label = [chart_label(v, lang) for v in node.label]
        for axis in ("x", "y"):
            values = getattr(trace, axis, None)  # a tuple of labels; numbers may come as a typed-array dict
            if isinstance(values, tuple | list) and values and all(isinstance(v, str) for v in values):
                setattr(trace, axis, [chart_label(v, lang) for v in values])
