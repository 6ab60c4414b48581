"""The charts a rendered report shows, as JSON: per chart its title, axis titles and traces (type, name, points).

Used to check that moving chart building into ``upmarket.report.charts`` changed nothing a reader sees: run it on
an output folder with the code before and after, then diff the two files::

    PYTHONPATH=src python scripts/chart_inventory.py OUT > after.json
    python scripts/chart_inventory.py --compare before.json after.json

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


def compare(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """One line per difference: a chart only on one side, or a title, axis title or trace that changed."""
    out = []
    for lang in sorted(set(before) | set(after)):
        b, a = before.get(lang, {}), after.get(lang, {})
        out += [f"{lang} {name}: only before" for name in sorted(set(b) - set(a))]
        out += [f"{lang} {name}: only after" for name in sorted(set(a) - set(b))]
        for name in sorted(set(a) & set(b)):
            for key in ("title", "xaxis", "yaxis"):
                if a[name][key] != b[name][key]:
                    out.append(f"{lang} {name} {key}: {b[name][key]!r} → {a[name][key]!r}")
            if len(a[name]["traces"]) != len(b[name]["traces"]):
                out.append(f"{lang} {name}: {len(b[name]['traces'])} traces → {len(a[name]['traces'])}")
            for i, (tb, ta) in enumerate(zip(b[name]["traces"], a[name]["traces"], strict=False)):
                if tb != ta:
                    out.append(f"{lang} {name} trace {i}: {tb} → {ta}")
    return out


def main(argv: list[str]) -> None:
    if argv[0] == "--compare":
        before, after = (json.loads(Path(p).read_text(encoding="utf-8")) for p in argv[1:3])
        diff = compare(before, after)
        charts = sum(len(v) for v in after.values())
        print("\n".join(diff) or f"identical: {charts} charts (both languages), titles, axes and traces")
        return
    results = read_results(argv[0])
    print(json.dumps({lang: inventory(render_html(results, None, Path(argv[0]), lang)) for lang in ("en", "zh")},
                     ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
