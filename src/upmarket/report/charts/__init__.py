"""The report's charts, built from a run's saved results: results.json's figures and the section's Parquet tables.

Analyses compute; they return figures and tables and draw nothing. Each module here is one domain's charts, a
set of pure functions ``(results, tables, lang) -> list[Chart]`` (:data:`ChartBuilder`), so ``analyze``,
``upmarket report OUT`` (on a folder ``analyze --no-report`` wrote) and the dashboard draw the same charts from
the same saved data, without re-running anything. A chart that needs data the section does not save asks the
analysis for one more table.

:func:`section_charts` runs the builders of one section and puts each figure's labels in the report's language;
titles come from the catalogue (:data:`upmarket.report.i18n.CHART_TITLES`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from upmarket.report.charts import demand, equity, funnel, launch, market, mix, pricing, segments, spread, voice
from upmarket.report.charts.base import Chart, ChartBuilder, chart_label, localise_figure
from upmarket.report.i18n import check_lang

if TYPE_CHECKING:
    from upmarket.analyses.base import Section

BUILDERS: dict[str, tuple[ChartBuilder, ...]] = {
    "market": (market.charts,),
    "funnel": (funnel.charts,),
    "voice": (voice.charts,),
    "spread": (spread.charts,),
    "demand": (demand.charts, pricing.scenario_charts),
    "segments": (segments.charts,),
    "mix": (mix.charts,),
    "equity": (equity.charts,),
    "launch": (launch.charts,),
}
"""Per section (analysis name), the functions that draw its charts, in the order the section lists them."""


class ChartError(RuntimeError):
    """A chart could not be drawn from the saved results: names the section and the function."""


def section_charts(section: str, results: Mapping[str, Any], tables: Mapping[str, pd.DataFrame],
                   lang: str = "en") -> list[Chart]:
    """The charts of ``section`` in ``lang``, from results.json's figures and the section's saved tables."""
    check_lang(lang)
    out: list[Chart] = []
    for build in BUILDERS.get(section, ()):
        try:
            charts = build(results, tables, lang)
        except Exception as exc:  # a chart that cannot be drawn says which and why, never silently
            raise ChartError(f"{section}: {build.__module__}.{build.__name__} could not draw its charts from the "
                             f"saved results: {type(exc).__name__}: {exc}") from exc
        for chart in charts:
            localise_figure(chart.figure, lang)
        out += charts
    names = [c.name for c in out]
    if len(set(names)) != len(names):
        raise ChartError(f"{section}: two charts share a name in {names}")
    return out


def charts_of(section: Section, focal_brand: str, lang: str = "en") -> list[Chart]:
    """The charts of one section run on its own (a notebook, a test): its figures under its analysis' results key."""
    from upmarket.analyses.base import registered

    analysis = registered().get(section.name)
    key = (analysis.results_key if analysis is not None else None) or section.name
    return section_charts(section.name, {"focal_brand": focal_brand, key: section.figures}, section.tables, lang)


__all__ = ["BUILDERS", "Chart", "ChartBuilder", "ChartError", "chart_label", "charts_of", "localise_figure",
           "section_charts"]
