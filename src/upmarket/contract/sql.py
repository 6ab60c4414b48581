"""DuckDB SQL that cleans raw cells into contract types, generated from ``upmarket.contract``.

Why SQL: the ingest path must clean hundreds of millions of rows without per-row Python, and
DuckDB evaluates these expressions vectorised, in parallel and out of core. Every column gets
two expressions over its (trimmed, missing-as-NULL) raw value ``v``: the typed value, and the
reason the value is rejected (NULL when fine). ``cleaning_query`` assembles them, with the
table's row rules, summary-row and empty-row checks and the duplicate-key check, into one query
whose ``_fail`` column is ``'<column>\\x1f<reason>'`` for a rejected row and NULL otherwise.

Each expression has a cheap fast path for the common, already-clean spelling (``TRY_CAST``)
and only falls back to regular expressions for the rest; DuckDB evaluates ``CASE`` branches and
``AND`` lazily, so clean data never pays for the slow path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from upmarket.contract.codes import BRACKETED, CODE_LISTS, TRIM_CHARS
from upmarket.contract.tables import TABLES, Column, Table

SEP = "\x1f"
"""Separates the failing column from the reason inside ``_fail``."""

MISSING = ("", "-", "--")
SUMMARY_WORDS = ("合计", "总计", "汇总")
EIGHT_HOURS_US = 8 * 3600 * 1_000_000

DEFAULTS: dict[tuple[str, str], str] = {
    (t.name, c.name): c.default for t in TABLES.values() for c in t.columns if c.default is not None
}
"""Contract defaults applied after typing: SQL over the typed columns of the row."""

_TRUE = ("true", "t", "1", "1.0", "yes", "y", "是", "真", "√")
_FALSE = ("false", "f", "0", "0.0", "no", "n", "否", "假", "×")

_SCI = "\x00scientific"  # marks an id in scientific notation inside the helper column

_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _is_text(src_type: str) -> bool:
    return src_type.upper() in ("VARCHAR", "STRING", "TEXT", "JSON") or src_type.upper().startswith("VARCHAR")


def _is_decimal(src_type: str) -> bool:
    return src_type.upper().startswith("DECIMAL")


def normalise(ref: str, src_type: str, *, trim: bool = True) -> str:
    """Trimmed text with ``''``, ``-`` and ``--`` as NULL; native values pass through.

    ``trim=False`` (used for Parquet's typed strings, written by programs, not spreadsheets)
    only maps the missing markers, which is nearly free; trimming costs about as much as
    reading the column. Codes are still matched trimmed (in their slow path).
    """
    if not _is_text(src_type):
        return ref
    if not trim:  # '', '-' and '--' all sort below '.': one cheap prefix comparison first
        return f"CASE WHEN {ref} < '.' AND {ref} IN ({', '.join(lit(m) for m in MISSING)}) THEN NULL ELSE {ref} END"
    t = f"trim({ref}, {lit(TRIM_CHARS)})"
    missing = ", ".join(lit(m) for m in MISSING)
    # fast path: only strings starting or ending in whitespace pay for the (slow) multi-character trim
    ws = ", ".join(str(ord(ch)) for ch in TRIM_CHARS)
    return (
        f"CASE WHEN ord({ref}) IN ({ws}) OR ord(right({ref}, 1)) IN ({ws}) "
        f"THEN (CASE WHEN {t} IN ({missing}) THEN NULL ELSE {t} END) "
        f"WHEN {ref} IN ({missing}) THEN NULL ELSE {ref} END"
    )


def _number(v: str, *, percent: bool) -> str:
    """DOUBLE from number text: thousands separators, ¥, 万, 亿 and (when ``percent``) %."""
    u = f"regexp_replace({v}, '[,，¥￥元\\s]', '', 'g')"
    body = f"TRY_CAST(substr({u}, 1, length({u}) - 1) AS DOUBLE)"
    pct = f"WHEN right({u}, 1) = '%' THEN {body} / 100 " if percent else ""
    slow = (
        f"CASE WHEN right({u}, 1) = '万' THEN {body} * 1e4 WHEN right({u}, 1) = '亿' THEN {body} * 1e8 "
        f"{pct}ELSE TRY_CAST({u} AS DOUBLE) END"
    )
    return f"COALESCE(TRY_CAST({v} AS DOUBLE), {slow})"


def _range_checks(col: Column, x: str) -> list[str]:
    out = []
    if col.min is not None:
        op = "<=" if col.min_exclusive else "<"
        out.append(f"WHEN {x} {op} {col.min!r} THEN 'below_min'")
    if col.max is not None:
        out.append(f"WHEN {x} > {col.max!r} THEN 'above_max'")
    return out


def _case(whens: list[str]) -> str:
    return f"CASE {' '.join(whens)} END" if whens else "NULL"


_IMPLAUSIBLE = "year({x}) NOT BETWEEN 1970 AND 2100"
"""A date text can parse to year 24 (``24-1-1``) or 9999: no row of this market's data is dated there."""


def _date_text(v: str) -> str:
    """DATE from one date spelling: ISO, ``/``, ``.``, 年月日, ``YYYYMMDD``, Excel serial, a time part."""
    iso = (
        f"TRY_CAST(regexp_replace(translate(replace({v}, '日', ''), '/.年月', '----'), '[\\sT].*$', '') AS DATE)"
    )
    serial = f"(DATE '1899-12-30' + CAST(floor(CAST({v} AS DOUBLE)) AS INTEGER))"
    slow = (
        f"CASE WHEN regexp_full_match({v}, '\\d{{5}}(\\.\\d+)?') THEN {serial} "
        f"WHEN regexp_full_match({v}, '\\d{{8}}') THEN CAST(TRY_STRPTIME({v}, '%Y%m%d') AS DATE) ELSE {iso} END"
    )
    return f"COALESCE(TRY_CAST({v} AS DATE), {slow})"


def _range_parts(v: str) -> tuple[str, str, str]:
    """(is a range, start text, end text) for ``2024-11-01至2024-11-07`` and ``~`` ranges."""
    is_range = f"(contains({v}, '至') OR contains({v}, '~') OR contains({v}, '～'))"
    parts = f"regexp_split_to_array({v}, '\\s*(至|~|～)\\s*')"
    return is_range, f"{parts}[1]", f"CASE WHEN len({parts}) = 2 THEN {parts}[2] END"


def _timestamp_text(v: str) -> str:
    """Naive Beijing TIMESTAMP from text, with or without a zone (no zone = Asia/Shanghai)."""
    n = (f"replace(translate(replace(replace(replace({v}, '日', ' '), '时', ':'), '分', ''), '/年月T', '--- '), "
         "'秒', '')")
    zone_re = "(\\d{1,2}:\\d{2}(:\\d{2}(\\.\\d+)?)?)\\s*(Z|z|[+-]\\d{2}(:?\\d{2})?)$"
    zone = f"regexp_extract({n}, {lit(zone_re)}, 4)"
    base = f"regexp_replace({n}, '\\s*(Z|z|[+-]\\d{{2}}(:?\\d{{2}})?)$', '')"
    off_min = (
        f"(CASE WHEN upper({zone}) = 'Z' THEN 0 ELSE (CASE WHEN left({zone}, 1) = '-' THEN -1 ELSE 1 END) * "
        f"(CAST(substr({zone}, 2, 2) AS INTEGER) * 60 + "
        f"COALESCE(TRY_CAST(right(replace({zone}, ':', ''), 2) AS INTEGER) "
        f"* (length(replace({zone}, ':', '')) = 5)::INT, 0)) END)"
    )
    # offsets beyond ±14:00 (+25:00) exist nowhere: NULL, so the row is quarantined as invalid_timestamp
    zoned = f"CASE WHEN abs({off_min}) <= 840 THEN TRY_CAST({base} AS TIMESTAMP) + to_minutes(480 - {off_min}) END"
    epoch = f"make_timestamp(CAST({v} AS BIGINT) * 1000000 + {EIGHT_HOURS_US})"
    epoch_ms = f"make_timestamp(CAST({v} AS BIGINT) * 1000 + {EIGHT_HOURS_US})"
    serial = f"(TIMESTAMP '1899-12-30' + to_microseconds(CAST(round(CAST({v} AS DOUBLE) * 86400e6) AS BIGINT)))"
    slow = (
        f"CASE WHEN regexp_full_match({v}, '\\d{{10}}') THEN {epoch} "
        f"WHEN regexp_full_match({v}, '\\d{{13}}') THEN {epoch_ms} "
        f"WHEN regexp_full_match({v}, '\\d{{5}}(\\.\\d+)?') THEN {serial} "
        f"WHEN {zone} <> '' THEN {zoned} "
        f"ELSE TRY_CAST(trim({n}) AS TIMESTAMP) END"
    )
    # fast path: 'YYYY-MM-DD HH:MM:SS' with optional fraction and no zone
    fast_ok = (
        f"(substr({v}, 17, 1) = ':' AND (length({v}) = 19 OR (length({v}) <= 26 AND substr({v}, 20, 1) = '.' "
        f"AND TRY_CAST(substr({v}, 21) AS UINTEGER) IS NOT NULL)))"
    )
    return f"CASE WHEN {fast_ok} THEN COALESCE(TRY_CAST({v} AS TIMESTAMP), {slow}) ELSE {slow} END"


UNIT_SCALES = {"万": 1e4, "万元": 1e4, "亿": 1e8, "亿元": 1e8, "千": 1e3, "千元": 1e3, "万次": 1e4, "千次": 1e3}
"""A unit in a header's brackets (``消耗(万元)``) that scales the column's numbers."""


def unit_scales(table: Table, units: dict[str, str]) -> dict[str, float]:
    """Column → factor for numeric contract columns whose header carried a scaling unit."""
    out = {}
    for name, unit in units.items():
        if name in table.names and table.column(name).dtype in ("int", "float", "rate"):
            u = unit.strip().lower()
            if u in UNIT_SCALES:
                out[name] = UNIT_SCALES[u]
            elif u in ("%", "％") and table.column(name).dtype == "rate":
                out[name] = 0.01
    return out


@dataclass(frozen=True)
class ColumnSQL:
    """How one column is typed: ``helper`` (the one expensive parse, computed once per row, over
    the normalised raw value ``v``), then ``value`` and ``reason`` (NULL when fine), which are
    cheap expressions over ``h`` (the helper's column) and ``v``. ``render`` inlines them."""

    helper: str
    value: str
    reason: str

    def render(self, h: str | None = None) -> tuple[str, str]:
        """(value, reason) with the helper inlined, or referenced as column ``h``."""
        ref = h if h is not None else f"({self.helper})"
        return self.value.replace("{h}", ref), self.reason.replace("{h}", ref)


def clean_column(col: Column, v: str | None, src_type: str = "VARCHAR", *, range_end_of: str | None = None,
                 end_part: bool = False) -> ColumnSQL:
    """How to type ``col`` from the normalised raw value ``v`` (see ``ColumnSQL``).

    ``v`` is SQL for the value after ``normalise`` (or None when the file lacks the column);
    ``src_type`` is its DuckDB type: text gets the full cleaning, native Parquet types are used
    as they are when they already fit. ``range_end_of`` says the column may hold a date range
    (its end goes to ``<name>_end``); ``end_part`` types that end instead.
    """
    if v is None:
        return ColumnSQL("NULL", f"CAST(NULL AS {_sql_type(col.dtype)})", "NULL")
    st = src_type.upper()
    text = _is_text(st)
    if not text and not _native_fits(col.dtype, st):
        v, st, text = f"CAST({v} AS VARCHAR)", "VARCHAR", True
    d = col.dtype
    if d == "str" and col.codes:  # names (brands): known spellings → one name, others kept as written, trimmed
        codes = CODE_LISTS[col.codes]
        spell = sorted(codes.spellings().items())
        keys = "[" + ", ".join(lit(k) for k, _ in spell) + "]"
        vals = "[" + ", ".join(lit(c) for _, c in spell) + "]"
        base = f"trim({v}, {lit(TRIM_CHARS)})"
        bracket = f"(contains({v}, '(') OR contains({v}, '（'))"
        # each spelling is looked up once per row (a list lookup, not a CASE that re-evaluates the regex per WHEN)
        outer = (f"lower(trim(CASE WHEN {bracket} THEN regexp_replace({base}, {lit(BRACKETED)}, '', 'g') "
                 f"ELSE {base} END, {lit(TRIM_CHARS)}))")
        inner = f"CASE WHEN {bracket} THEN lower(trim(regexp_extract({base}, {lit(BRACKETED)}, 1))) END"
        canonical = ", ".join(lit(c) for c in codes.codes)
        helper = (f"CASE WHEN {v} IS NULL OR {v} IN ({canonical}) THEN {v} ELSE coalesce("
                  f"{vals}[list_position({keys}, {outer})], {vals}[list_position({keys}, {inner})], "
                  f"nullif({base}, '')) END")
        return ColumnSQL(helper, "{h}", "NULL")
    if d == "str":
        return ColumnSQL(v, "{h}", "NULL")
    if d == "id":
        # one cheap guard: only ids with '.' or '+' can be 123.0 or 1.23E+11
        helper = (
            f"CASE WHEN NOT (contains({v}, '.') OR contains({v}, '+')) THEN {v} "
            f"WHEN regexp_full_match({v}, '\\d+\\.0+') THEN split_part({v}, '.', 1) "
            f"WHEN regexp_full_match({v}, '[+-]?\\d+(\\.\\d+)?[eE][+-]?\\d+') THEN {lit(_SCI)} ELSE {v} END"
        )
        value = "_upm_pseudo({h})" if col.pseudonymise else "{h}"  # a person's id: the warehouse's salted macro
        return ColumnSQL(helper, value, f"CASE WHEN {{h}} = {lit(_SCI)} THEN 'id_scientific_notation' END")
    if d == "code":
        codes = CODE_LISTS[col.codes or col.name]
        s = f"lower(trim({v}, {lit(TRIM_CHARS)}))"  # only reached by non-canonical spellings
        whens = " ".join(f"WHEN {lit(k)} THEN {lit(c)}" for k, c in sorted(codes.spellings().items()))
        other = f"CASE WHEN regexp_full_match({s}, '[a-z0-9_]+') THEN {s} END" if codes.open else "NULL"
        canonical = ", ".join(lit(c) for c in codes.codes)
        helper = f"CASE WHEN {v} IN ({canonical}) THEN {v} ELSE (CASE {s} {whens} ELSE {other} END) END"
        return ColumnSQL(helper, "{h}", f"CASE WHEN {v} IS NOT NULL AND {{h}} IS NULL THEN 'invalid_code' END")
    if d == "bool":
        if st == "BOOLEAN":
            return ColumnSQL(v, "{h}", "NULL")
        if st in _INT_TYPES:
            return ColumnSQL(v, "({h} <> 0)", "CASE WHEN {h} NOT IN (0, 1) THEN 'not_a_boolean' END")
        s = f"lower({v})"
        helper = (
            f"CASE WHEN {s} IN ({', '.join(map(lit, _TRUE))}) THEN true "
            f"WHEN {s} IN ({', '.join(map(lit, _FALSE))}) THEN false END"
        )
        return ColumnSQL(helper, "{h}", f"CASE WHEN {v} IS NOT NULL AND {{h}} IS NULL THEN 'not_a_boolean' END")
    if d in ("int", "float", "rate"):
        if st in _INT_TYPES:
            value = "CAST({h} AS BIGINT)" if d == "int" else "CAST({h} AS DOUBLE)"
            return ColumnSQL(v, value, _case(_range_checks(col, "{h}")))
        if text:
            num = _number(v, percent=d == "rate")
            kind = "percent_in_count_column" if d == "int" else "percent_in_number_column"
            pct_whens = [] if d == "rate" else [f"WHEN contains({v}, '%') THEN '{kind}'"]
        else:
            num, pct_whens = f"CAST({v} AS DOUBLE)", []
        whens = [*pct_whens, "WHEN {h} IS NULL OR NOT isfinite({h}) THEN 'not_a_number'"]
        if d == "int":
            whens.append("WHEN {h} <> trunc({h}) THEN 'not_an_integer'")
        whens += _range_checks(col, "{h}")
        reason = f"CASE WHEN {v} IS NULL THEN NULL {' '.join(whens)} END"
        return ColumnSQL(num, "TRY_CAST({h} AS BIGINT)" if d == "int" else "{h}", reason)
    if d == "date":
        if not text:
            return ColumnSQL(f"CAST({v} AS DATE)", "{h}", "NULL")
        is_range, start, end = _range_parts(v)
        if end_part:  # the start column reports a bad range
            return ColumnSQL(f"CASE WHEN {is_range} THEN {_date_text(end)} END", "{h}", "NULL")
        if range_end_of is not None:
            helper = f"CASE WHEN {is_range} THEN {_date_text(start)} ELSE {_date_text(v)} END"
            whens = [f"WHEN {is_range} AND ({_date_text(end)}) IS NULL THEN 'invalid_date'",
                     f"WHEN {is_range} AND ({_date_text(end)}) < {{h}} THEN 'date_range_reversed'"]
        else:
            helper = _date_text(v)
            whens = [f"WHEN {is_range} THEN 'date_range_not_allowed'"]
        whens.append("WHEN {h} IS NULL THEN 'invalid_date'")
        whens.append(f"WHEN {_IMPLAUSIBLE.format(x='{h}')} THEN 'implausible_date'")
        return ColumnSQL(helper, "{h}", f"CASE WHEN {v} IS NULL THEN NULL {' '.join(whens)} END")
    if d == "timestamp":
        if st == "TIMESTAMP":
            return ColumnSQL(v, "{h}", "NULL")
        if st in ("TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "DATE"):
            return ColumnSQL(f"CAST({v} AS TIMESTAMP)", "{h}", "NULL")
        if st in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
            return ColumnSQL(f"make_timestamp(epoch_us({v}) + {EIGHT_HOURS_US})", "{h}", "NULL")
        implausible = _IMPLAUSIBLE.format(x="{h}")
        return ColumnSQL(_timestamp_text(v), "{h}",
                         f"CASE WHEN {v} IS NOT NULL AND {{h}} IS NULL THEN 'invalid_timestamp' "
                         f"WHEN {implausible} THEN 'implausible_date' END")
    raise ValueError(f"column {col.name!r}: unknown dtype {d!r}")


def _native_fits(dtype: str, st: str) -> bool:
    """Whether a native (non-text) source type can be typed without going through text."""
    if dtype in ("int", "float", "rate"):
        return st in _INT_TYPES or st in _FLOAT_TYPES or _is_decimal(st)
    if dtype == "bool":
        return st == "BOOLEAN" or st in _INT_TYPES
    if dtype == "date":
        return st in ("DATE", "TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S")
    if dtype == "timestamp":
        return st in ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "DATE", "TIMESTAMP WITH TIME ZONE",
                      "TIMESTAMPTZ")
    return False  # str, id, code: cast to text and clean as text


def _sql_type(dtype: str) -> str:
    from upmarket.warehouse.core import sql_type

    return sql_type(dtype)


@dataclass(frozen=True)
class SourceColumns:
    """What the source relation offers: its columns (output name → DuckDB type) and their headers."""

    types: dict[str, str]
    headers: dict[str, str]
    order: tuple[str, ...]


def cleaning_query(
    table: Table,
    src: str,
    source: SourceColumns,
    *,
    fills: dict[str, str] | None = None,
    target: str | None = None,
    exclude_own: str | None = None,
    scales: dict[str, float] | None = None,
    bad_rows: Iterable[int] | Mapping[int, str] = (),
    trim_strings: bool = True,
) -> str:
    """One SELECT over relation ``src`` (which has ``_row`` and the raw columns) that types every
    contract column and computes ``_fail``, ``_extra`` and ``_raw_value``/``_raw_row``.

    ``fills`` gives SQL literals for contract columns the file lacks (platform from the folder,
    dates from the file name). ``target`` (the warehouse table) turns on the duplicate-key check
    against rows already loaded, except rows matching ``exclude_own`` (this chunk's own rows).
    ``scales`` multiplies numeric columns whose header carried a unit (``万元``); ``bad_rows`` are
    rows the reader flagged (row numbers: ``ragged_row``; or row → reason, e.g. ``bad_encoding``);
    ``trim_strings=False`` skips trimming (see ``normalise``).
    """
    fills = fills or {}
    scales = scales or {}
    contract = set(table.names)
    extras = [n for n in source.order if n not in contract and n != "_row"]
    raw_cols = [n for n in source.order if n != "_row"]
    idx = {n: i for i, n in enumerate(raw_cols)}

    def raw(n: str) -> str:
        return f"_r{idx[n]}"

    def norm(n: str) -> str:
        return f"_n{idx[n]}"

    # layer 1: normalised values of contract columns and raw passthrough of all. Columns the contract
    # does not name are only kept (in _extra) and tested for emptiness, in ONE list expression: a
    # normalising CASE per extra column made planning superlinear in the width (1,000 empty columns
    # ran DuckDB out of memory)
    named = [n for n in raw_cols if n in contract]
    l1 = ["_row"]
    for n in raw_cols:
        l1.append(f"{q(n)} AS {raw(n)}")
        if n in contract:
            l1.append(f"{normalise(q(n), source.types[n], trim=trim_strings)} AS {norm(n)}")
    if extras:
        l1.append(f"{_all_missing([q(n) for n in extras], [source.types[n] for n in extras], trim_strings)} "
                  "AS _extras_empty")

    # layer 2: the one expensive parse per column (helper _h<k>); normalised values pass through
    # layer 3: typed values and per-column reasons, cheap expressions over the helpers
    has_end = {c.name for c in table.columns if c.dtype == "date" and f"{c.name}_end" in contract}
    l2 = ["_row", *(raw(n) for n in raw_cols), *(norm(n) for n in named), *(["_extras_empty"] if extras else [])]
    l3 = ["_row", *(raw(n) for n in raw_cols)]
    col_fail = []
    for k, c in enumerate(table.columns):
        n = c.name
        start_of = n[:-4] if n.endswith("_end") and n[:-4] in has_end and n[:-4] in source.types else None
        extra_value = None
        if n in source.types:
            cs = clean_column(c, norm(n), source.types[n], range_end_of=n if n in has_end else None)
            if start_of is not None:
                ecs = clean_column(table.column(start_of), norm(start_of), source.types[start_of], end_part=True)
                l2.append(f"{ecs.helper} AS _e{k}")
                extra_value = ecs.render(f"_e{k}")[0]
        elif start_of is not None:
            cs = clean_column(table.column(start_of), norm(start_of), source.types[start_of], end_part=True)
        elif n in fills:
            cs = ColumnSQL("NULL", f"CAST({fills[n]} AS {_sql_type(c.dtype)})", "NULL")
        else:
            cs = clean_column(c, None)
        if cs.helper != "NULL":
            l2.append(f"{cs.helper} AS _h{k}")
        value, reason = cs.render(f"_h{k}")
        if extra_value is not None:
            value = f"COALESCE({value}, {extra_value})"
        if c.week_start:
            value = f"CAST(date_trunc('week', {value}) AS DATE)"
        if n in scales and c.dtype in ("int", "float", "rate") and scales[n] != 1:
            value = f"({value}) * {scales[n]!r}"
            value = f"CAST(round({value}) AS BIGINT)" if c.dtype == "int" else value
        l3.append(f"{value} AS {q(n)}")
        checks = []
        if reason != "NULL":
            checks.append(reason)
        if c.required and (table.name, n) not in DEFAULTS:
            checks.append(f"CASE WHEN ({value}) IS NULL THEN 'missing_required' END")
        if checks:
            why = checks[0] if len(checks) == 1 else f"COALESCE({', '.join(checks)})"
            col_fail.append((f"({lit(n + SEP)} || {why})", why))

    # whole-row checks come first: an empty row or a summary row is not a fact at all
    if raw_cols:
        empty = " AND ".join([f"{norm(n)} IS NULL" for n in named] + (["_extras_empty"] if extras else []))
        row_checks = [f"CASE WHEN {empty} THEN {lit(SEP + 'empty_row')} END"]
    else:
        row_checks = []
    by_reason: dict[str, list[int]] = {}
    for row, why in (bad_rows.items() if isinstance(bad_rows, Mapping) else ((r, "ragged_row") for r in bad_rows)):
        by_reason.setdefault(why, []).append(row)
    if by_reason:
        whens = " ".join(f"WHEN _row IN ({', '.join(map(str, sorted(set(rows))))}) THEN {lit(SEP + why)}"
                         for why, rows in sorted(by_reason.items()))
        row_checks.insert(0, f"CASE {whens} END")
    summary_cols = _summary_candidates(table, source)
    for n in summary_cols:
        r = raw(n)
        # cheap prefilter on the characters 计/汇 before the exact words
        words = " OR ".join(f"contains({r}, {lit(w)})" for w in SUMMARY_WORDS)
        cond = f"(({r} LIKE '%计%' OR {r} LIKE '%汇%') AND ({words}))"
        if n in contract and table.column(n).dtype == "id":  # an id of '-' (normalised to NULL)
            cond += f" OR ({norm(n)} IS NULL AND trim({r}, {lit(TRIM_CHARS)}) = '-')"
        row_checks.append(f"CASE WHEN {cond} THEN {lit(n + SEP + 'summary_row')} END")
    # the failure text is only built for rows where some check fired
    fails = row_checks + [f for f, _ in col_fail]
    if fails:
        fired = " AND ".join(f"({w}) IS NULL" for w in row_checks + [w for _, w in col_fail])
        fail0 = f"CASE WHEN {fired} THEN NULL ELSE COALESCE({', '.join(fails)}) END"
    else:
        fail0 = "NULL"
    l3.append(f"{fail0} AS _fail0")
    if extras:
        pairs = ", ".join(f"{lit(n)}, {raw(n)}" for n in extras)
        l3.append(f"CAST(json_object({pairs}) AS VARCHAR) AS _extra")
    else:
        l3.append("CAST(NULL AS VARCHAR) AS _extra")

    # layer 4: defaults and row rules over typed values
    l4 = ["* EXCLUDE (_fail0)"]
    for (tname, cname), expr in DEFAULTS.items():
        if tname == table.name:
            l4[0] = l4[0][:-1] + f", {q(cname)})"
            l4.append(f"COALESCE({q(cname)}, {expr}) AS {q(cname)}")
    rule_fail = [f"CASE WHEN ({r.violation}) THEN {lit(r.columns[0] + SEP + r.name)} END" for r in table.rules]
    l4.append(f"COALESCE(_fail0{''.join(', ' + r for r in rule_fail)}) AS _fail1")
    # required columns with defaults: checked after the default
    req_default = [(n, e) for (tname, n), e in DEFAULTS.items() if tname == table.name and table.column(n).required]
    if req_default:
        miss = ", ".join(
            f"CASE WHEN COALESCE({q(n)}, {e}) IS NULL THEN {lit(n + SEP + 'missing_required')} END"
            for n, e in req_default
        )
        l4[-1] = f"COALESCE(_fail0, {miss}{''.join(', ' + r for r in rule_fail)}) AS _fail1"

    sql = f"SELECT {', '.join(l1)} FROM {src}"
    for layer in (l2, l3, l4):
        sql = f"SELECT {', '.join(layer)} FROM ({sql})"

    # layer 5: duplicate keys, against earlier rows of this chunk and rows already loaded
    if table.key:
        keys = ", ".join(q(k) for k in table.key)
        dup_reason = lit(",".join(table.key) + SEP + "duplicate_key")
        earlier = f"row_number() OVER (PARTITION BY _fail1 IS NULL, {keys} ORDER BY _row) > 1"
        if target is not None:
            own = f" WHERE NOT ({exclude_own})" if exclude_own else ""
            seen = f"SELECT DISTINCT {keys}, true AS _seen FROM {target}{own}"
            join_on = " AND ".join(f"_c.{q(k)} = _s.{q(k)}" for k in table.key)
            sql = f"SELECT _c.*, _s._seen FROM ({sql}) _c LEFT JOIN ({seen}) _s ON {join_on}"
            dup = f"({earlier} OR _seen IS NOT NULL)"
            sql = (f"SELECT * EXCLUDE (_fail1, _seen), CASE WHEN _fail1 IS NULL AND {dup} THEN {dup_reason} "
                   f"ELSE _fail1 END AS _fail FROM ({sql})")
        else:
            sql = (f"SELECT * EXCLUDE (_fail1), CASE WHEN _fail1 IS NULL AND {earlier} THEN {dup_reason} "
                   f"ELSE _fail1 END AS _fail FROM ({sql})")
    else:
        sql = f"SELECT * EXCLUDE (_fail1), _fail1 AS _fail FROM ({sql})"
    return sql


def _all_missing(refs: list[str], types: list[str], trim: bool) -> str:
    """Whether every one of ``refs`` is missing as :func:`normalise` sees it (NULL, or ``''``/``-``/``--``
    once trimmed): one lambda over a list, so the plan does not grow with the number of columns."""
    items = ", ".join(f"CAST({r} AS VARCHAR)" if not _is_text(t) else r for r, t in zip(refs, types, strict=True))
    missing = ", ".join(lit(m) for m in MISSING)
    value = f"trim(v, {lit(TRIM_CHARS)})" if trim else "v"
    return f"list_bool_and(list_transform([{items}], lambda v: v IS NULL OR {value} IN ({missing})))"


def _summary_candidates(table: Table, source: SourceColumns) -> list[str]:
    """Text columns where ``合计``/``总计``/``汇总`` marks a summary row: the first column, the key,
    required ids, and source-level breakdowns (``二级来源``) of traffic-source exports."""
    out = []
    contract = set(table.names)
    for i, n in enumerate(c for c in source.order if c != "_row"):
        is_text = _is_text(source.types[n])
        if not is_text:
            continue
        if n in contract:
            c = table.column(n)
            if i == 0 or n in table.key or (c.dtype == "id" and c.required):
                out.append(n)
        elif i == 0 or source.headers.get(n, n).endswith("来源"):
            out.append(n)
    return out


def quarantine_select(table: Table, source: SourceColumns, cleaned: str, file_id: str, path: str) -> str:
    """Quarantine rows (file, table, row, column, reason, raw value, raw row as JSON) from a cleaned query."""
    raw_cols = [n for n in source.order if n != "_row"]
    idx = {n: i for i, n in enumerate(raw_cols)}
    col = f"split_part(_fail, {lit(SEP)}, 1)"
    reason = f"split_part(_fail, {lit(SEP)}, 2)"
    # the failing column's raw value: a list lookup, not a CASE per column (linear in a file's width)
    whens = ""
    if table.key:
        keyvals = ", ".join(f"CAST({q(k)} AS VARCHAR)" for k in table.key)
        whens = f"WHEN {col} = {lit(','.join(table.key))} THEN concat_ws(',', {keyvals}) "
    lookup = "NULL"
    if raw_cols:
        values = ", ".join(f"CAST(_r{idx[n]} AS VARCHAR)" for n in raw_cols)
        names = ", ".join(lit(n) for n in raw_cols)
        lookup = f"list_extract([{values}], list_position([{names}], {col}))"
    raw_value = f"CASE {whens}ELSE {lookup} END" if whens else lookup
    headers = [source.headers.get(n, n) for n in raw_cols]
    keys = headers if len(set(headers)) == len(headers) else raw_cols
    pairs = ", ".join(f"{lit(k)}, CAST(_r{idx[n]} AS VARCHAR)" for k, n in zip(keys, raw_cols, strict=True))
    raw_row = f"CAST(json_object({pairs}) AS VARCHAR)" if pairs else "NULL"
    return (
        f"SELECT {lit(file_id)}, {lit(path)}, {lit(table.name)}, _row, NULLIF({col}, ''), {reason}, "
        f"{raw_value}, {raw_row} FROM ({cleaned}) WHERE _fail IS NOT NULL"
    )


def load_select(table: Table, cleaned: str, file_id: str) -> str:
    """The contract columns plus bookkeeping of the rows that passed, from a cleaned query."""
    cols = ", ".join(q(n) for n in table.names)
    return f"SELECT {cols}, {lit(file_id)}, _row, _extra FROM ({cleaned}) WHERE _fail IS NULL"
