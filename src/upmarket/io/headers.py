"""Header rows: normalise header cells, find the header row, and name the output columns.

Exports put title rows above the header (生意参谋: 4) and write headers in many ways
(``商品访客数``, ``消耗（元）``, ``SKU``, `` 点击率(%)``). The flow:

1. :func:`normalise_header` folds each cell (NFKC: ``（）％`` → ``()%``; BOM, spaces, tabs and
   line breaks removed) and splits off a unit in brackets (``消耗(元)`` → ``消耗`` + ``元``).
2. :func:`match_key` makes the case-insensitive key used for matching (``SKU`` = ``sku``,
   ``Order ID`` = ``order_id``).
3. :func:`find_header_row` picks, among the first rows, the one naming the most columns of the
   target table (canonical names and ``Column.aliases`` from ``upmarket.contract``).
4. :func:`name_columns` maps each header cell to its output name: the canonical contract name when
   it matches, else the normalised header (an "extra" column); repeated names are prefixed by their
   section (a merged cell above them) or numbered ``name_2``; blank names become ``col_<k>``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from upmarket.contract import Table

HEADER_SEARCH_ROWS = 30
"""How many rows from the top may hold title rows before the header."""
SUGGEST_CUTOFF = 0.75
"""Least ``difflib`` ratio for a header to be reported as probably meaning a column
(商品访客人数 ~ 商品访客数: 0.91)."""

UNIT_WORDS = frozenset(
    u.casefold()
    for u in ("元", "万元", "亿元", "千元", "%", "‰", "个", "次", "人", "人次", "件", "单", "笔", "条", "篇", "台",
              "部", "位", "家", "张", "秒", "分钟", "小时", "天", "s", "sec", "min", "h", "hr", "cny", "rmb", "yuan",
              "¥", "万", "亿", "千", "千次", "万次", "pv", "uv")
)
"""Words that, alone in brackets after a header, are its unit, not part of its name.

``商品访客数（人）``, ``消耗(元)``, ``点击率[%]``, ``客单价(元/人)`` and ``消耗（单位：万元）`` all lose their
unit; ``商品点击率(人数)``, ``发货前退款金额(订单）`` and ``(30日归因)`` are qualifiers and keep their
brackets. A unit that scales values (``万元``) is handed on, see ``upmarket.contract.sql.UNIT_SCALES``;
units the loader cannot scale (``分`` as cents, ``百万``, ``万人``, ``$``) are deliberately absent, so such a
header keeps its brackets, matches no alias and stays an extra column instead of loading wrong numbers.
"""
_SPACE = re.compile(r"[\s\ufeff\u200b\u200c\u200d\u2060]+")
_UNIT = re.compile(r"(.+?)[(\[【〔<]([^()\[\]【】〔〕<>]+)[)\]】〕>]")
_UNIT_PREFIX = re.compile(r"^(?:单位|unit)[:：]?", re.IGNORECASE)


@dataclass(frozen=True)
class HeaderCell:
    """One normalised header cell: ``name`` without its unit, the ``unit`` if one was bracketed."""

    name: str
    unit: str | None = None


def normalise_header(cell: object) -> HeaderCell:
    """Fold a raw header cell: NFKC, no whitespace or BOM, a bracketed unit split off."""
    text = "" if cell is None else str(cell)
    text = _SPACE.sub("", unicodedata.normalize("NFKC", text))
    m = _UNIT.fullmatch(text)
    if m:
        unit = _UNIT_PREFIX.sub("", m.group(2))
        if is_unit(unit):
            return HeaderCell(m.group(1), unit)
    return HeaderCell(text)


_SCALING = frozenset({"万", "亿", "千", "万元", "亿元", "千元", "万次", "千次"})


def is_unit(text: str) -> bool:
    """Whether bracket content is a unit: a unit word, or plain unit words joined by ``/`` (``元/人``;
    not ``万元/人``, whose scale the loader would not apply)."""
    parts = text.casefold().split("/")
    if len(parts) > 1 and any(p in _SCALING for p in parts):
        return False
    return bool(text) and all(p in UNIT_WORDS for p in parts)


def match_key(name: str) -> str:
    """The matching key of a normalised name: case-folded, without ``_`` and ``-``."""
    return name.casefold().replace("_", "").replace("-", "")


class AliasIndex:
    """Matching key → canonical column of one contract table, with a priority per spelling.

    The canonical name itself has priority 0, ``aliases[i]`` priority ``i + 1``: when two header
    cells map to the same column the better spelling wins and the other stays an extra column.
    ``overrides`` (header → column, from a ``[[files]] columns`` entry of upmarket.toml) come first
    of all, with priority -1; a header they name no longer maps anywhere else.
    """

    def __init__(self, table: Table, overrides: Mapping[str, str] | None = None) -> None:
        self.table = table
        self._index: dict[str, tuple[str, int]] = {}
        for header, column in (overrides or {}).items():
            if column not in table.names:
                raise ValueError(f"[[files]] columns maps {header!r} to {column!r}, which is not a column of table "
                                 f"'{table.name}' ({', '.join(table.names)})")
            self._index[match_key(normalise_header(header).name)] = (column, -1)
        for col in table.columns:
            for prio, spelling in enumerate((col.name, *col.aliases)):
                self._index.setdefault(match_key(normalise_header(spelling).name), (col.name, prio))

    def lookup(self, cell: object) -> tuple[str, int] | None:
        """``(canonical name, priority)`` for a raw header cell, or None for an extra column."""
        return self._index.get(match_key(normalise_header(cell).name))

    def suggest(self, cell: object, exclude: Iterable[str] = ()) -> str | None:
        """The column a header that matches nothing is probably meant for (``商品访客人数`` → visitors),
        or None: the closest spelling by ``difflib`` similarity, at least :data:`SUGGEST_CUTOFF`,
        among the columns not in ``exclude`` (those the file already has)."""
        key = match_key(normalise_header(cell).name)
        if not key or key in self._index:
            return None
        skip = set(exclude)
        spellings = [k for k, (col, _) in self._index.items() if col not in skip]
        close = difflib.get_close_matches(key, spellings, n=1, cutoff=SUGGEST_CUTOFF)
        return self._index[close[0]][0] if close else None

    def hits(self, row: Sequence[object]) -> int:
        """How many distinct contract columns a row of cells names."""
        return len({m[0] for cell in row if (m := self.lookup(cell)) is not None})


def find_header_row(rows: Sequence[Sequence[object]], index: AliasIndex) -> tuple[int, int] | None:
    """``(0-based row index, hits)`` of the row naming most columns among ``rows``; None if no row names any.

    Ties go to the upper row: title rows name nothing, so the first full header wins.
    """
    best: tuple[int, int] | None = None
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        h = index.hits(row)
        if h > 0 and (best is None or h > best[1]):
            best = (i, h)
    return best


@dataclass(frozen=True)
class ColumnNames:
    """Result of :func:`name_columns`: output name → original header text, and units found."""

    columns: dict[str, str]
    units: dict[str, str]


def name_columns(cells: Sequence[object], index: AliasIndex, sections: Sequence[str] | None = None) -> ColumnNames:
    """Output names for a header row, in file order.

    A cell matching a contract column gets its canonical name (if several cells match one column,
    the canonical spelling, then the earliest alias, then the leftmost cell wins). Other cells keep
    their normalised text. Repeated names are prefixed with their ``sections`` entry (the merged
    title above them) when those differ, else numbered ``name_2``, ``name_3``; blank names are
    ``col_<k>`` (k = 1-based column position).
    """
    norm = [normalise_header(c) for c in cells]
    originals = ["" if c is None else str(c) for c in cells]
    winner: dict[str, tuple[int, int]] = {}  # canonical -> (priority, position)
    for k, cell in enumerate(cells):
        m = index.lookup(cell)
        if m is not None and (m[0] not in winner or (m[1], k) < winner[m[0]]):
            winner[m[0]] = (m[1], k)
    canonical_at = {pos: name for name, (_, pos) in winner.items()}

    names: list[str] = []
    for k, h in enumerate(norm):
        names.append(canonical_at.get(k) or h.name or f"col_{k + 1}")

    if sections is not None:
        groups: dict[str, list[int]] = {}
        for k, name in enumerate(names):
            groups.setdefault(name, []).append(k)
        for name, ks in groups.items():
            extras = [k for k in ks if k not in canonical_at]
            secs = [_section(sections, k) for k in extras]
            if len(ks) > 1 and all(secs) and len(set(secs)) == len(secs):
                for k, sec in zip(extras, secs, strict=True):
                    names[k] = f"{sec}_{name}"
    seen: set[str] = set()
    taken = Counter(names)
    for k, name in enumerate(names):
        if name in seen:
            n = 2
            while f"{name}_{n}" in taken or f"{name}_{n}" in seen:
                n += 1
            names[k] = f"{name}_{n}"
        seen.add(names[k])

    columns = dict(zip(names, originals, strict=True))
    units = {names[k]: h.unit for k, h in enumerate(norm) if h.unit}
    return ColumnNames(columns, units)


def _section(sections: Sequence[str], k: int) -> str:
    return normalise_header(sections[k]).name if k < len(sections) else ""
