"""Each analysis's data access gives the same frames on DuckDB (the warehouse) and on a second Ibis backend.

The second backend is Ibis' in-process Polars backend, holding copies of the warehouse's tables:
it starts in milliseconds, where a local Spark session takes ~10 s before its first query (the
funnel's own Spark parity test covers Spark). A data-access function written as Ibis expressions
runs on both unchanged; one that reaches for DuckDB SQL cannot run on Polars at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import upmarket
from upmarket.analyses.demand import nest_column
from upmarket.analyses.demand.data import load_micro_data, product_columns
from upmarket.analyses.demand.reviews import _sku_models
from upmarket.analyses.equity import dimensions
from upmarket.analyses.equity.panel import purchase_panel
from upmarket.analyses.equity.switching import transition_counts
from upmarket.analyses.launch.analogues import post_models
from upmarket.analyses.launch.series import market_series, model_info, order_series
from upmarket.analyses.mix.data import load as load_mix
from upmarket.analyses.pricing_plan import channel_mix, recent_listing_prices
from upmarket.analyses.segments.conjoint import choice_design, membership_traits
from upmarket.analyses.segments.positioning import post_brand_topics, reviews_with_brand
from upmarket.analyses.segments.stp import order_measures, review_framing, who
from upmarket.analyses.segments.wtp import brand_price_units
from upmarket.analyses.spread.creators import post_rows
from upmarket.analyses.spread.seeding import daily_counts
from upmarket.analyses.voice.analysis import load_reviews, post_brand_texts
from upmarket.warehouse import Warehouse
from upmarket.warehouse.source import IbisSource, extra_text

TINY_SEED = 3
BRANDS = ["Xiaomi", "Redmi", "Apple", "Huawei", "OPPO", "vivo", "Honor"]


@pytest.fixture(scope="module")
def engines(tmp_path_factory) -> tuple[Warehouse, IbisSource]:
    """The tiny twin ingested into DuckDB, and the same tables copied into Ibis' Polars backend."""
    twin = tmp_path_factory.mktemp("parity") / "twin"
    upmarket.simulate(twin, preset="tiny", seed=TINY_SEED)
    wh = Warehouse(":memory:")
    wh.ingest(twin)
    yield wh, IbisSource.polars_copy(wh)
    wh.close()


def _canon(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in a fixed order, text as str and times as microseconds, so engines' row order and dtypes do not count."""
    out = df.reset_index(drop=True).copy()
    for c in out.columns:
        kind = str(out[c].dtype)
        if kind.startswith(("date", "datetime")):
            out[c] = pd.to_datetime(out[c]).astype("datetime64[us]")
        elif kind in ("object", "str", "string") or kind.startswith("string"):
            out[c] = out[c].astype(object).where(out[c].notna(), None).astype(str)
        elif kind in ("Int64", "Int32", "boolean") or kind.startswith(("int", "uint")):
            out[c] = out[c].astype("float64")
    return out.sort_values(list(out.columns)).reset_index(drop=True)


def assert_same(a: Any, b: Any, where: str = "result") -> None:
    """Frames equal after canonical ordering; tuples, lists and dicts compared element by element."""
    if isinstance(a, pd.DataFrame):
        assert isinstance(b, pd.DataFrame), where
        assert list(a.columns) == list(b.columns), where
        assert len(a) == len(b), where
        pd.testing.assert_frame_equal(_canon(a), _canon(b), check_dtype=False, rtol=1e-9, obj=where)
    elif isinstance(a, pd.Series):
        assert_same(a.reset_index().rename(columns=str), b.reset_index().rename(columns=str), where)
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (float, np.floating)):
        assert np.isclose(a, b, rtol=1e-9, equal_nan=True), where
    else:
        assert a == b, where


def _rows(x: Any) -> int:
    """Rows read, summed over the frames of a result (so a vacuous comparison of empty frames fails)."""
    if isinstance(x, (pd.DataFrame, pd.Series)):
        return len(x)
    if isinstance(x, (tuple, list)):
        return sum(_rows(v) for v in x)
    if isinstance(x, dict):
        return sum(_rows(v) for v in x.values())
    return 0


class WithoutExtra:
    """A source whose tables lack ``_extra``: the JSON of export extras, which Ibis' Polars backend cannot unwrap."""

    def __init__(self, src: Any) -> None:
        self.src = src

    def table(self, name: str) -> Any:
        t = self.src.table(name)
        return t.drop("_extra") if "_extra" in t.columns else t

    def has_rows(self, name: str) -> bool:
        return self.src.has_rows(name)

    def column_present(self, table: str, column: str) -> bool:
        return column != "_extra" and self.src.column_present(table, column)


def _micro(src: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    micro = load_micro_data(WithoutExtra(src))
    return micro.users, micro.buyers


def _nests(src: Any) -> pd.DataFrame:
    models = _sku_models(src)["model"].dropna().drop_duplicates().sort_values()
    return nest_column(pd.DataFrame({"model": models}), "series", src)


def _proxy(src: Any, key: str = "user_id") -> pd.DataFrame:
    """Two made-up segments' membership probabilities for every user (the STP functions weight by them)."""
    users = src.table("users").select("user_id").order_by("user_id").to_pandas()["user_id"]
    p = np.random.default_rng(0).random(len(users))
    return pd.DataFrame({key: users, "s0": p, "s1": 1 - p})


def _traits(src: Any, wh: Warehouse) -> Any:
    """Membership covariates of the conjoint's respondents (the design itself is read from DuckDB: JSON extras)."""
    from upmarket.analyses.segments.settings import SegmentsSettings
    from upmarket.config import Config

    data = choice_design(wh, Config())
    return membership_traits(src, data, SegmentsSettings(), [])


def _mix(src: Any) -> tuple[pd.DataFrame, pd.Series, str]:
    from upmarket.config import Config

    data, source, _ = load_mix(src, Config(focal_brand="Xiaomi"))
    return pd.DataFrame(data.spend, index=data.weeks, columns=list(data.channels)), pd.Series(data.gmv), source


def _launch_series(read: Callable) -> Callable[[Any], pd.DataFrame]:
    """One long frame of a launch reader's model series (model, launch, start, end, units), and its notes."""

    def run(src: Any) -> tuple[pd.DataFrame, list[str]]:
        series, notes = read(src, model_info(src))
        rows = [pd.DataFrame({"model": s.model, "launch": s.launch, "known": s.launch_known, "start": s.start,
                              "end": s.end, "units": s.units}) for s in series]
        return pd.concat(rows, ignore_index=True), notes

    return run


# (name, data-access call): each runs once on DuckDB and once on Polars
ACCESS: list[tuple[str, Callable[[Any], Any]]] = [
    ("voice.load_reviews", lambda src: load_reviews(src)),
    ("voice.post_brand_texts", post_brand_texts),
    ("spread.post_rows", post_rows),
    ("demand.micro_data", _micro),
    ("demand.product_columns", lambda src: pd.DataFrame({"column": product_columns(src)})),
    ("demand.sku_models", _sku_models),
    ("demand.nest_column", _nests),
    ("segments.order_measures", lambda src: order_measures(src, _proxy(src))),
    ("segments.review_framing", lambda src: review_framing(src, _proxy(src))[0]),
    ("segments.who", lambda src: who(src, _proxy(src, "respondent_id"))),
    ("segments.brand_price_units", brand_price_units),
    ("pricing_plan.channel_mix", lambda src: channel_mix(src, _proxy(src, "respondent_id"))),
    ("pricing_plan.recent_listing_prices", recent_listing_prices),
    ("equity.transition_counts", lambda src: (transition_counts(src), transition_counts(src, by="city_tier"))),
    ("equity.purchase_panel", purchase_panel),
    ("mix.load", _mix),
    ("launch.model_info", model_info),
    ("launch.market_series", _launch_series(market_series)),
    ("launch.order_series", _launch_series(order_series)),
    ("launch.post_models", post_models),
    ("equity.ratings", lambda src: dimensions.ratings(src, BRANDS)),
    ("equity.revenue_premium", lambda src: dimensions.revenue_premium(src, "Redmi")),
    ("equity.quarterly_dimensions", lambda src: dimensions.quarterly_dimensions(
        src, {"device_history": True, "posts": True, "reviews": True})),
    ("segments.reviews_with_brand", lambda src: reviews_with_brand(src).select("review_id", "brand").to_pandas()),
    ("spread.daily_counts", lambda src: (daily_counts(src, "units"), daily_counts(src, "searches"))),
    ("segments.post_brand_topics", post_brand_topics),
]


@pytest.mark.parametrize("name,access", ACCESS, ids=[a[0] for a in ACCESS])
def test_data_access_is_equal_on_duckdb_and_polars(engines, name, access):
    wh, polars = engines
    duck = access(wh)
    other = access(polars)
    assert _rows(duck) > 0, f"{name} read no rows from the tiny twin: the comparison would be vacuous"
    assert_same(duck, other, name)


# Data access that Ibis' Polars backend cannot compile (window functions): it must refuse with an error, never return
# other numbers. Spark runs these (the funnel's Spark test).
POLARS_REFUSES: list[tuple[str, Callable[[Any], Any]]] = [
    ("equity.reach", lambda src: dimensions.reach(src, BRANDS, True, True, True)),
    ("equity.repeat_purchases", lambda src: transition_counts(src, source="orders")),
]


@pytest.mark.parametrize("name,access", POLARS_REFUSES, ids=[a[0] for a in POLARS_REFUSES])
def test_polars_refuses_what_it_cannot_run(engines, name, access):
    from ibis.common.exceptions import OperationNotDefinedError
    from polars.exceptions import ShapeError

    wh, polars = engines
    assert _rows(access(wh)) > 0, name
    with pytest.raises((OperationNotDefinedError, ShapeError)):
        access(polars)


def test_membership_traits_are_equal_on_duckdb_and_polars(engines):
    wh, polars = engines
    duck, other = _traits(wh, wh), _traits(polars, wh)
    assert duck[0] is not None and duck[0].shape[0] > 0
    assert np.array_equal(duck[0], other[0]) and duck[1] == other[1]


def test_export_extras_need_a_backend_that_reads_json(engines):
    """DuckDB reads ``_extra`` fields; Polars refuses with an error naming the missing operation (not wrong values)."""
    from ibis.common.exceptions import OperationNotDefinedError

    wh, polars = engines
    users = wh.table("users")
    provinces = users.select(p=extra_text(users, "province")).to_pandas()["p"]
    assert provinces.notna().mean() > 0.9
    pu = polars.table("users")
    with pytest.raises(OperationNotDefinedError, match="UnwrapJSONString"):
        pu.select(p=extra_text(pu, "province")).to_pandas()
