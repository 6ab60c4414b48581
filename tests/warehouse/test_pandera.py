"""pandera schemas generated from the contract: the same rules as the ingest SQL, for in-memory frames."""

from __future__ import annotations

import pandas as pd
import pandera.errors as pe
import pytest

from upmarket.contract import TABLES
from upmarket.contract.pandera import pandera_schema


def _traffic(**overrides) -> pd.DataFrame:
    df = pd.DataFrame({
        "date": pd.to_datetime(["2024-11-11", "2024-11-12", "2024-11-13"]),
        "platform": ["jd", "tmall", "newshop"],
        "sku_id": ["A1", "A2", "A3"],
        "city_tier": ["tier1", None, "tier5"],
        "visitors": [100, 50, 7],
        "buyers": [5, 50, 0],
        "gmv": [500.0, None, 0.0],
        "extra_col": [1, 2, 3],
    })
    for k, v in overrides.items():
        df[k] = v
    return df


def test_every_table_has_a_schema_with_its_columns() -> None:
    for name, t in TABLES.items():
        schema = pandera_schema(name)
        assert set(schema.columns) == set(t.names)
        assert {c for c, col in schema.columns.items() if col.required} == set(t.required)


def test_valid_frame_passes_and_is_coerced() -> None:
    out = pandera_schema("traffic").validate(_traffic(), lazy=True)
    assert str(out["visitors"].dtype) == "Int64"
    assert out["extra_col"].tolist() == [1, 2, 3]  # extra columns are allowed


def test_lazy_validation_reports_every_failure() -> None:
    df = _traffic(visitors=[100, -1, 7], city_tier=["tier1", "tier9", None], buyers=[5, 0, 8])
    with pytest.raises(pe.SchemaErrors) as err:
        pandera_schema("traffic").validate(df, lazy=True)
    fc = err.value.failure_cases
    assert {(c, i) for c, i in zip(fc["column"], fc["index"], strict=True) if c in ("visitors", "city_tier")} >= {
        ("visitors", 1), ("city_tier", 1)}
    assert "buyers must not exceed visitors" in set(fc["check"])  # the row rule, evaluated by DuckDB
    rule_rows = set(fc.loc[fc["check"] == "buyers must not exceed visitors", "index"])
    assert rule_rows == {1, 2}  # row 1: buyers 0 > visitors -1


def test_missing_required_column_and_duplicate_key() -> None:
    with pytest.raises(pe.SchemaErrors, match="buyers"):
        pandera_schema("traffic").validate(_traffic().drop(columns=["buyers"]), lazy=True)
    users = pd.DataFrame({"user_id": ["u1", "u1"], "gender": ["f", "x"]})
    with pytest.raises(pe.SchemaErrors) as err:
        pandera_schema("users").validate(users, lazy=True)
    checks = set(err.value.failure_cases["check"].astype(str))
    assert {"isin(['f', 'm'])", "multiple_fields_uniqueness"} <= checks
