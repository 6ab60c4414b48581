"""Charts are the report's: drawn from results.json's figures and the saved tables, never by an analysis."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.spread.cascades import Forest, forest_nodes
from upmarket.report.charts import BUILDERS, ChartError, section_charts
from upmarket.report.charts.spread import cascade_trees
from upmarket.report.i18n import CHART_TITLES, chart_title

ANALYSES = Path(importlib.util.find_spec("upmarket.analyses").origin).parent  # found, not imported


def plotly_imports(root: Path = ANALYSES) -> list[str]:
    """``path:line`` of every import of plotly under ``root`` (TYPE_CHECKING blocks and function bodies too)."""
    bad = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n == "plotly" or n.startswith("plotly.") for n in names):
                bad.append(f"{path.relative_to(root)}:{node.lineno}")
    return bad


def test_no_analysis_imports_plotly() -> None:
    assert plotly_imports() == []


def test_the_scan_finds_a_plotly_import(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text("def f():\n    import plotly.graph_objects as go\n", encoding="utf-8")
    (tmp_path / "y.py").write_text("from plotly.subplots import make_subplots\nimport plotnine\n", encoding="utf-8")
    assert plotly_imports(tmp_path) == ["x.py:2", "y.py:1"]


def test_every_title_in_both_languages_with_its_slots_filled() -> None:
    for name, (en, zh) in CHART_TITLES.items():
        assert en and zh and en != zh, name
    assert chart_title("four_dimensions", "en", brand="Xiaomi", benchmarks=["Apple", "Huawei"]) == (
        "Aaker's four dimensions: Xiaomi vs Apple, Huawei")
    assert chart_title("four_dimensions", "zh", brand="Xiaomi", benchmarks=["Apple", "Huawei"]) == (
        "Aaker 品牌资产四维度：Xiaomi 对比 Apple、Huawei")


def test_forest_nodes_index_each_cascade_from_its_root() -> None:
    forest = Forest(post_id=np.array(["P1", "P2"], dtype=object), parent=np.array([-1, 0, 0, 1, -1, 4]),
                    user_id=None, reason=np.zeros(6, int), duplicates=0, orphan_posts=0, dropped_rows=0)
    nodes = forest_nodes(forest)
    assert nodes["post_id"].tolist() == ["P1"] * 4 + ["P2"] * 2
    assert nodes["node"].tolist() == [0, 1, 2, 3, 0, 1]
    assert nodes["parent"].tolist() == [-1, 0, 0, 1, -1, 0]


def test_cascade_sunburst_has_a_label_per_node() -> None:
    """plotly.js draws no sector of a sunburst without labels: the chart was blank with ids and parents alone."""
    nodes = pd.DataFrame({"post_id": ["P1"] * 4 + ["P2"] * 2, "node": [0, 1, 2, 3, 0, 1],
                          "parent": [-1, 0, 0, 1, -1, 0]})
    fig = cascade_trees(nodes)
    assert [t.name for t in fig.data] == ["P1", "P2"]
    for trace in fig.data:
        assert trace.labels is not None and len(trace.labels) == len(trace.ids) == len(trace.parents)
        assert sum(p == "" for p in trace.parents) == 1  # one root per cascade
        assert set(trace.parents) - {""} <= set(trace.ids)  # every parent is a node of the same trace
    assert [a.text for a in fig.layout.annotations] == ["post P1", "post P2"]


def test_a_chart_that_cannot_be_drawn_names_its_section_and_function() -> None:
    bad = {"creators": pd.DataFrame({"creator_id": ["c1"]})}  # no GMV-per-CNY columns
    with pytest.raises(ChartError, match=r"spread: upmarket\.report\.charts\.spread\.charts .*KeyError"):
        section_charts("spread", {}, bad)


def test_sections_without_tables_draw_nothing() -> None:
    """A section whose tables were not saved (figures only) draws nothing rather than failing."""
    for section in BUILDERS:
        assert section_charts(section, {"focal_brand": "Xiaomi"}, {}, "zh") == [], section


def test_shared_builders_draw_a_closed_band_and_both_sides_of_a_flow() -> None:
    """base.interval_band (launch fan, spread seeding, mix forecast) and base.two_sided_sankey (switching, stage
    flow): the band runs out along the high bound and back along the low one; targets sit on the right side."""
    from upmarket.report.charts.base import chart_label, interval_band, two_sided_sankey

    band = interval_band([1, 2, 3], [0.0, 1.0, 2.0], [5.0, 6.0, 7.0], "a 90 %", opacity=0.3)
    assert list(band.x) == [1, 2, 3, 3, 2, 1] and list(band.y) == [5.0, 6.0, 7.0, 2.0, 1.0, 0.0]
    assert band.fill == "toself" and band.line.width == 0 and band.opacity == 0.3
    fig = two_sided_sankey(["Xiaomi", "Apple"], ("before", "after"), [0, 1], [1, 1], [3.0, 4.0], customdata=[0.4, 0.6])
    sankey = fig.data[0]
    assert list(sankey.node.label) == ["Xiaomi (before)", "Apple (before)", "Xiaomi (after)", "Apple (after)"]
    assert list(sankey.link.target) == [3, 3] and list(sankey.link.customdata) == [0.4, 0.6]
    assert chart_label("Xiaomi (after)", "zh") == chart_label("Xiaomi (next)", "zh") == "Xiaomi（换机后）"
