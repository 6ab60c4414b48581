"""The charts a rendered report shows, as JSON: per chart its title, axis titles and traces (type, name, points).

Used to check that moving chart building into ``upmarket.report.charts`` changed nothing a reader sees: run it on
an output folder with the code before and after, then diff the two files::

    PYTHONPATH=src python scripts/chart_inventory.py OUT > after.json

It renders the report in both languages from the folder (``render_html``), so it reads whatever the installed code
builds charts from (saved chart JSON before, results + tables after).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from upmarket.report import render_html
from upmarket.results import read_results

_FIGURE = re.compile(r'<figure class="chart"><figcaption>(.*?)</figcaption>(.*?)</figure>', re.S)
_PLOT = re.compile(r'Plotly\.newPlot\(\s*"chart-([^"]+)",\s*')


def _points(trace: dict[str, Any]) -> int | None:
    """How many points (or nodes, or links) a trace draws; typed arrays count by their shape."""
    for key in ("ids", "x", "y", "values", "z"):
        value = trace.get(key)
        if isinstance(value, list):
            return len(value)
        if isinstance(value, dict) and "shape" in value:
            return int(str(value["shape"]).split(",")[0])
        if isinstance(value, dict) and "bdata" in value:
            return -1  # a typed array without shape: counted as present
    if isinstance(trace.get("link"), dict):
        return len(trace["link"].get("value") or [])
    return None


def inventory(html: str) -> dict[str, Any]:
    """Chart name → title, axis titles and traces, from one rendered report."""
    out: dict[str, Any] = {}
    for title, body in _FIGURE.findall(html):
        m = _PLOT.search(body)
        if m is None:
            continue
        data, end = json.JSONDecoder().raw_decode(body, m.end())
        rest = body[end:].lstrip(", \n")
        layout, _ = json.JSONDecoder().raw_decode(rest)
        out[m[1]] = {
            "title": title.strip(),
            "xaxis": ((layout.get("xaxis") or {}).get("title") or {}).get("text"),
            "yaxis": ((layout.get("yaxis") or {}).get("title") or {}).get("text"),
            "traces": [[t.get("type"), t.get("name"), _points(t)] for t in data],
        }
    return dict(sorted(out.items()))


def main(out_dir: str) -> None:
    results = read_results(out_dir)
    print(json.dumps({lang: inventory(render_html(results, None, Path(out_dir), lang)) for lang in ("en", "zh")},
                     ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
