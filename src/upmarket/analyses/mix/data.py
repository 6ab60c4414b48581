"""The weekly series the mix model reads from the warehouse, and the optional lift-test table.

Lift tests (``[mix] lift_tests`` in upmarket.toml, a list of tables, or a file ``lift_tests.csv`` in the
dataset folder, option ``lift_tests_file``) have the columns ``channel, start, end, lift`` and optionally
``lift_se``: the GMV (CNY) the channel's spend between ``start`` and ``end`` (dates, inclusive, by week)
added, as a geo or holdout experiment measured it, and its standard error (default 10 % of the lift).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from upmarket.analyses.mix.model import LiftTest, MixData
from upmarket.errors import UpmarketError
from upmarket.warehouse.source import to_frame

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

OUTCOME_COLUMNS = ("week", "brand", "gmv", "units")
"""kpi_weekly columns that are not controls."""


class MixInputError(UpmarketError, ValueError):
    """The mix inputs cannot be modelled (too few weeks, a bad lift test); the message names the place."""


def _numeric_columns(warehouse: Warehouse, table: str) -> list[str]:
    schema = warehouse.table(table).schema()
    return [name for name, kind in schema.items() if kind.is_numeric() and name not in OUTCOME_COLUMNS
            and not name.startswith("_")]  # _row, _file_id: the warehouse's bookkeeping, not data


def _brand_filter(config: Config) -> Callable[[ir.Table], ir.BooleanValue]:
    """Rows of the focal brand, or of no brand (spend and KPIs not split by brand)."""
    return lambda t: t.brand.isnull() | (t.brand == config.focal_brand)


def _week(ts: ir.Value) -> ir.DateValue:
    """The Monday starting the week of a date or timestamp."""
    return ts.truncate("W").cast("date")


def load(warehouse: Warehouse, config: Config) -> tuple[MixData, str, list[str]]:
    """Weekly spend per channel and the outcome (kpi_weekly.gmv, else GMV summed from orders), with controls.

    Returns the data, where the outcome came from, and warnings.
    """
    warnings: list[str] = []
    focal = _brand_filter(config)
    sp = warehouse.table("spend")
    sp = sp.filter(focal(sp), sp.spend.notnull())
    spend = to_frame(sp.group_by(week=_week(sp.week), channel=sp.channel).agg(spend=sp.spend.sum()))
    wide = spend.pivot_table(index="week", columns="channel", values="spend", aggfunc="sum").sort_index()
    if warehouse.has_rows("kpi_weekly"):
        k = warehouse.table("kpi_weekly")
        numeric = _numeric_columns(warehouse, "kpi_weekly")
        filled = to_frame(k.aggregate(**{c: k[c].count() for c in numeric})).iloc[0] if numeric else {}
        controls = [c for c in numeric if filled[c] > 0]
        k = k.filter(focal(k))
        kpi = to_frame(k.group_by(week=_week(k.week)).agg(gmv=k.gmv.sum(), **{c: k[c].mean() for c in controls})
                       .order_by("week")).set_index("week")
        source = "kpi_weekly.gmv"
    else:
        brands = [config.focal_brand]
        o, p = warehouse.table("orders"), warehouse.table("products")
        sold = o.join(p, "sku_id").filter(p.brand.isin(brands))
        kpi = to_frame(sold.group_by(week=_week(o.ts)).agg(gmv=(o.units.fill_null(1) * o.price_paid).sum())
                       .order_by("week")).set_index("week")
        source = "orders (GMV of the focal brand's SKUs)"
    weeks = wide.index.intersection(kpi.index)
    dropped = len(wide.index.union(kpi.index)) - len(weeks)
    if dropped:
        warnings.append(f"{dropped} weeks have spend or GMV but not both; the model uses the {len(weeks)} "
                        "weeks that have both")
    wide = wide.loc[weeks].fillna(0.0)
    kpi = kpi.loc[weeks]
    controls_df = kpi.drop(columns=["gmv"])
    if controls_df.isna().any().any():
        gaps = controls_df.isna().sum()
        gaps = gaps[gaps > 0]
        warnings.append("controls with missing weeks filled with the column mean: "
                        + ", ".join(f"{c} ({n})" for c, n in gaps.items()))
        controls_df = controls_df.fillna(controls_df.mean()).dropna(axis=1)
    keep = [c for c in wide.columns if wide[c].sum() > 0]
    if len(keep) < len(wide.columns):
        warnings.append(f"channels without spend left out: {', '.join(sorted(set(wide.columns) - set(keep)))}")
    data = MixData(pd.DatetimeIndex(pd.to_datetime(weeks)), tuple(str(c) for c in keep),
                   wide[keep].to_numpy(float), kpi["gmv"].to_numpy(float), controls_df.reset_index(drop=True))
    return data, source, warnings


def lift_tests_path(warehouse: Warehouse, opts: Any) -> Path | None:
    """Where the lift-test file would be (``lift_tests_file`` in the dataset folder); None for an in-memory
    warehouse, which has no folder."""
    if warehouse.path in ("", ":memory:"):
        return None
    return Path(warehouse.path).parent / opts.get("lift_tests_file", "lift_tests.csv")


def lift_tests(warehouse: Warehouse, opts: dict[str, Any], channels: tuple[str, ...]) -> list[LiftTest]:
    """The lift tests of the config (``[mix] lift_tests``) and of ``lift_tests.csv`` in the dataset folder."""
    rows: list[tuple[str, dict[str, Any]]] = []
    for i, entry in enumerate(opts.get("lift_tests", []) or []):
        rows.append((f"upmarket.toml [mix] lift_tests #{i + 1}", dict(entry)))
    path = lift_tests_path(warehouse, opts)
    if path is not None and path.is_file():
        table = pd.read_csv(path, encoding="utf-8-sig")
        for i, rec in enumerate(table.to_dict("records")):
            rows.append((f"{path}: row {i + 2}", rec))
    out = []
    for where, rec in rows:
        missing = [c for c in ("channel", "start", "end", "lift") if c not in rec or pd.isna(rec[c])]
        if missing:
            raise MixInputError(f"{where}: lift test lacks column {missing[0]} (needs channel, start, end, lift)")
        if rec["channel"] not in channels:
            raise MixInputError(f"{where}: column channel: {rec['channel']!r} has no spend "
                                f"(channels: {', '.join(channels)})")
        try:
            start, end = pd.Timestamp(rec["start"]), pd.Timestamp(rec["end"])
            lift = float(rec["lift"])
            se = rec.get("lift_se")
            se = None if se is None or pd.isna(se) else float(se)
        except (ValueError, TypeError) as exc:
            raise MixInputError(f"{where}: {exc}") from None
        if end < start:
            raise MixInputError(f"{where}: column end: {end.date()} is before start {start.date()}")
        # weeks start on Monday: a window covers the weeks whose Monday falls in it, and the week holding start
        out.append(LiftTest(str(rec["channel"]), start - pd.Timedelta(days=start.weekday()), end, lift, se))
    return out


def planned_spend(opts: dict[str, Any], data: MixData, weeks: int) -> np.ndarray:
    """(weeks, channels) spend for the forecast: ``[mix] planned_spend`` (CNY per week per channel) where given,
    else each channel's mean weekly spend over the last 13 weeks."""
    plan = dict(opts.get("planned_spend", {}) or {})
    unknown = sorted(set(plan) - set(data.channels))
    if unknown:
        raise MixInputError(f"upmarket.toml [mix] planned_spend: {unknown[0]!r} is not a channel with spend "
                            f"(channels: {', '.join(data.channels)})")
    recent = data.spend[-13:].mean(axis=0)
    weekly = np.array([float(plan.get(c, recent[j])) for j, c in enumerate(data.channels)])
    return np.tile(weekly, (weeks, 1))
