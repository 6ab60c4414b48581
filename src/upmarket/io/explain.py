"""Say, per file, which header became which column, which were kept as extra, and which files were ignored.

``upmarket validate`` prints this under its per-file table, so that a person can check a mapping
before trusting the numbers, and see why a file did not load at all. Every cell is a Rich
``Text``: headers and file names are data, never markup (``[/b]`` in a header prints as is).
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text

from upmarket.contract import TABLES


def mapping_lines(report: Any) -> list[str]:
    """Plain-text lines: for each loaded file its export, mapped headers, extras and suggestions.
    ``report`` is an ``IngestReport`` (whose own table lists ignored files with their reasons)."""
    lines: list[str] = []
    for f in report.files:
        columns: dict[str, str] = getattr(f, "columns", None) or {}
        if not columns:
            continue
        names = set(TABLES[f.table].names) if f.table in TABLES else set()
        export = getattr(f, "export", None)
        head = f"{f.path} → {f.table}" + (f" (recognised as {export})" if export else "")
        mapped = [f"{header} → {name}" if header != name else name
                  for name, header in columns.items() if name in names]
        extra = [header for name, header in columns.items() if name not in names]
        if not extra and all(header == name for name, header in columns.items()):
            lines.append(f"{head}: {len(columns)} columns, all by their contract names")
            continue
        lines.append(head)
        if mapped:
            lines.append("  mapped: " + ", ".join(mapped))
        if extra:
            lines.append("  kept as extra: " + ", ".join(extra))
        for header, column in (getattr(f, "suggestions", None) or {}).items():
            lines.append(f"  {header!r} is close to column {column!r}: map it with [[files]] columns if it is that")
    return lines


def mapping_rich(report: Any) -> Group:
    """The same lines as Rich renderables (no markup is interpreted)."""
    out = []
    for line in mapping_lines(report):
        style = "yellow" if line.startswith("ignored") or "is close to" in line else ("bold" if line[:1] != " "
                                                                                       else "")
        out.append(Text(line, style=style))
    return Group(*out)
