"""pandera schemas generated from the contract, for checking in-memory frames (the twin's output).

The ingest path validates in DuckDB SQL (``upmarket.contract.sql``): it is out of core and, as
``benchmarks/ingest.py`` measures, much faster on millions of rows. pandera is for frames that
are already in memory and small enough — the twin's generated tables, test fixtures — where a
lazy ``SchemaErrors`` report listing every failure is what a developer wants.

Types, nullability (= not required), ``min``/``max``, closed code lists, keys (``unique``) and
the table's row rules (evaluated by DuckDB over the frame, so the rule SQL is the same one the
ingest uses) all come from ``upmarket.contract.TABLES``.
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pandera.pandas as pa

from upmarket.contract import CODE_LISTS, Column, Table, table

_DTYPES = {
    "str": str,
    "id": str,
    "code": str,
    "int": "Int64",
    "float": "float64",
    "rate": "float64",
    "date": "datetime64[ns]",
    "timestamp": "datetime64[ns]",
    "bool": "boolean",
}


def _checks(col: Column) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if col.min is not None:
        checks.append(pa.Check.gt(col.min) if col.min_exclusive else pa.Check.ge(col.min))
    if col.max is not None:
        checks.append(pa.Check.le(col.max))
    if col.dtype == "code":
        codes = CODE_LISTS[col.codes or col.name]
        if codes.open:
            checks.append(pa.Check.str_matches(r"^[a-z0-9_]+$", name=f"{codes.name}_code"))
        else:
            checks.append(pa.Check.isin(list(codes.codes), name=f"{codes.name}_code"))
    return checks


def _rule_check(t: Table, rule) -> pa.Check:
    """A row rule as a vectorised pandera check, evaluated by DuckDB over the frame."""

    def ok(df: pd.DataFrame) -> pd.Series:
        import duckdb

        cols = [c for c in t.names if c in df.columns]
        frame = df[cols].reset_index(drop=True)
        con = duckdb.connect()
        con.register("frame", frame)
        missing = [c for c in rule.columns if c not in frame.columns]
        if missing:
            return pd.Series(True, index=df.index)
        res = con.execute(
            f"SELECT NOT COALESCE(({rule.violation}), false) AS ok FROM (SELECT *, row_number() OVER () AS _i "
            f"FROM frame) ORDER BY _i"
        ).df()["ok"]
        con.close()
        return pd.Series(res.to_numpy(), index=df.index)

    return pa.Check(ok, name=rule.name, error=rule.doc)


@cache
def pandera_schema(table_name: str) -> pa.DataFrameSchema:
    """The pandera schema of contract table ``table_name``.

    Columns are coerced to their contract dtype (nullable ``Int64`` for ints, ``datetime64`` for
    dates and timestamps), optional columns may be absent or null, extra columns are allowed,
    and the key is unique. Use ``schema.validate(df, lazy=True)`` to get every failure at once.
    """
    t = table(table_name)
    columns = {
        c.name: pa.Column(_DTYPES[c.dtype], checks=_checks(c), nullable=not c.required, required=c.required,
                          coerce=True, description=c.doc or None)
        for c in t.columns
    }
    return pa.DataFrameSchema(
        columns,
        checks=[_rule_check(t, r) for r in t.rules],
        unique=list(t.key) if t.key else None,
        strict=False,
        coerce=True,
        name=t.name,
        description=t.doc,
    )
