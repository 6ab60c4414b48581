"""The same Ibis funnel on DuckDB and on Spark (local mode) gives equal results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from funnel_helpers import insert, small_log

from upmarket.analyses.funnel import BREAKDOWN_KEYS, FunnelOptions, SparkSource, compute, local_session, spark_available
from upmarket.warehouse import Warehouse

_reason = spark_available()
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::FutureWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.skipif(_reason is not None, reason=f"Spark parity needs pyspark and Java: {_reason}")]


@pytest.fixture(scope="module")
def spark():
    session = local_session(cores=1, shuffle_partitions=1, app="upmarket-test", small=True)
    yield session
    session.stop()


def _canon(df: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in df.columns if df[c].dtype == object or str(df[c].dtype).startswith(("string", "str"))]
    out = df.copy()
    for c in out.columns:
        if str(out[c].dtype).startswith(("date", "datetime")) or c in ("date", "week"):
            out[c] = pd.to_datetime(out[c]).astype("datetime64[us]")
        elif keys and c in keys:
            out[c] = out[c].astype(str)
    return out.sort_values(sorted(out.columns)).reset_index(drop=True)


def _leaves(tree: dict, prefix: str = "") -> dict:
    """Dotted path → value for every non-dict value of a nested dict."""
    out = {}
    for k, v in tree.items():
        out.update(_leaves(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
    return out


def test_funnel_on_duckdb_and_spark_is_equal(spark, tmp_path):
    data = small_log()
    wh = Warehouse(":memory:")
    for name, df in data.items():
        insert(wh, name, df)
    # traffic = the per-day aggregate of the same log (computed by DuckDB), so both bases are exercised
    opts = FunnelOptions(bootstrap=50, seed=3)
    duck = compute(wh, opts)
    src = SparkSource.from_warehouse(wh, spark, directory=tmp_path / "spark")
    sp = compute(src, opts)

    assert set(duck.figures) == set(sp.figures) == {"jd", "tmall", "mistore", *BREAKDOWN_KEYS}
    assert _leaves(duck.figures).keys() == _leaves(sp.figures).keys()
    for k, v in _leaves(duck.figures).items():
        assert np.allclose(v, _leaves(sp.figures)[k], rtol=1e-12, atol=1e-12), k
    assert set(duck.tables) == set(sp.tables)
    for name in duck.tables:
        a, b = _canon(duck.tables[name]), _canon(sp.tables[name])
        assert list(a.columns) == list(b.columns), name
        assert len(a) == len(b), name
        pd.testing.assert_frame_equal(a, b, check_dtype=False, check_exact=False, rtol=1e-12, obj=name)
    # the comparison is not vacuous: stages, paths and seeding tables have rows
    assert len(duck.tables["stage_transitions"]) > 5
    assert duck.tables["paths_by_tier"]["visits"].sum() > 0
    wh.close()
