"""Each model's sales series, with period bounds in time since its launch: quarterly or monthly from market_sales,
weekly from orders.

* **market_sales** (a tracker's figures, the whole market): model rows only; national ``CN`` rows when the period
  has them, else its regions summed (other countries' rows are left out). ``2024Q3`` periods give a quarterly
  series, ``2024-11`` a monthly one (a model with both uses the unit with more periods); ``2024`` and ``2024H1``
  rows are too coarse for a launch curve and are not used.
* **orders** (the brand's own shops, a sample of the market): units per Monday week, SKUs mapped to models by
  ``products``; a week without orders is a real zero. The first and last weeks are cut to the orders' time span,
  so a partial week counts as the fraction it is.

The launch date is the earliest ``products.launch_date`` of the model's SKUs. Without one, the model is taken to
launch at the start of its first selling period, except when that period is the first the data hold: then the
launch may be earlier (the series is left-censored) and the fit describes the market remaining at the first
period (``bass.py`` says why no offset can be fitted). Periods that end before the
launch are dropped, and so are zero periods after the last sale (a model taken off the shelves, not a model whose
adopters ran out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from upmarket.analyses.launch.bass import UNIT_DAYS, BassSeries
from upmarket.warehouse.source import to_frame

if TYPE_CHECKING:
    from upmarket.warehouse import Warehouse

QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass
class ModelSeries:
    """A model's sales per period (calendar bounds and units) and what the fit needs to know about its launch."""

    model: str
    brand: str | None
    series_name: str | None
    source: str
    time_unit: str
    start: pd.Series
    """Period starts (timestamps)."""
    end: pd.Series
    """Period ends, exclusive (timestamps)."""
    units: np.ndarray
    launch: pd.Timestamp | None
    """The known launch date, or the assumed one (start of the first selling period) when ``launch_known`` is False."""
    launch_known: bool
    censored: bool
    """Launched (or possibly launched) before the data begin."""

    def bass_series(self) -> BassSeries:
        days = UNIT_DAYS[self.time_unit]
        t0 = (self.start - self.launch).dt.total_seconds().to_numpy() / 86400 / days
        t1 = (self.end - self.launch).dt.total_seconds().to_numpy() / 86400 / days
        return BassSeries(t0, t1, self.units, self.time_unit, remaining_market=self.censored and not self.launch_known)


def _period_bounds(period: str) -> tuple[pd.Timestamp, pd.Timestamp, str] | None:
    if m := QUARTER.match(period):
        start = pd.Timestamp(int(m.group(1)), 3 * int(m.group(2)) - 2, 1)
        return start, start + pd.DateOffset(months=3), "quarter"
    if m := MONTH.match(period):
        start = pd.Timestamp(int(m.group(1)), int(m.group(2)), 1)
        return start, start + pd.DateOffset(months=1), "month"
    return None


def model_info(warehouse: Warehouse) -> pd.DataFrame:
    """Per model: brand, series and the earliest launch date of its SKUs (NaT when unknown); empty without products."""
    if not warehouse.has_rows("products"):
        return pd.DataFrame(columns=["model", "brand", "series", "launch_date"])
    p = warehouse.table("products")
    return to_frame(p.filter(p.model.notnull()).group_by("model").agg(
        brand=p.brand.arbitrary(), series=p.series.arbitrary(), launch_date=p.launch_date.min()))


def _finish(model: str, info: pd.DataFrame, source: str, unit: str, frame: pd.DataFrame,
            data_start: pd.Timestamp) -> ModelSeries | None:
    """Trim a model's periods to the launch and the last sale, and decide how its launch is known."""
    row = info[info["model"] == model]
    launch = pd.to_datetime(row["launch_date"].iloc[0]) if len(row) else pd.NaT
    frame = frame.sort_values("start")
    if pd.notna(launch):
        frame = frame[frame["end"] > launch]
    selling = np.flatnonzero(frame["units"].to_numpy() > 0)
    if not len(selling):
        return None
    frame = frame.iloc[: selling[-1] + 1]
    known = bool(pd.notna(launch))
    censored = False
    if known:
        censored = bool(launch < data_start)
    else:
        frame = frame.iloc[selling[0]:]
        launch = frame["start"].iloc[0]
        censored = bool(launch <= data_start)
    brand = None if not len(row) or pd.isna(row["brand"].iloc[0]) else str(row["brand"].iloc[0])
    series_name = None if not len(row) or pd.isna(row["series"].iloc[0]) else str(row["series"].iloc[0])
    return ModelSeries(model=model, brand=brand, series_name=series_name, source=source, time_unit=unit,
                       start=frame["start"].reset_index(drop=True), end=frame["end"].reset_index(drop=True),
                       units=frame["units"].to_numpy(float), launch=pd.Timestamp(launch), launch_known=known,
                       censored=censored)


def market_series(warehouse: Warehouse, info: pd.DataFrame) -> tuple[list[ModelSeries], list[str]]:
    """Quarterly (or monthly) series per model from market_sales' model rows, and notes on what was left out."""
    notes: list[str] = []
    if not warehouse.has_rows("market_sales"):
        return [], notes
    m = warehouse.table("market_sales")
    r = (m.filter(m.model.notnull(), m.model.strip() != "").group_by("period", "region", "model")
         .agg(units=m.units.sum()))
    c = r.group_by("period").agg(has_cn=(r.region == "CN").any())
    j = r.join(c, "period")
    national = (j.has_cn & (j.region == "CN")) | (~j.has_cn & ~j.region.re_search("^[A-Z]{2}$"))
    rows = to_frame(j.filter(national).group_by("period", "model").agg(units=j.units.sum().cast("float64")))
    if rows.empty:
        notes.append("market_sales has no model rows: no quarterly launch curves")
        return [], notes
    bounds = {p: _period_bounds(str(p)) for p in rows["period"].unique()}
    coarse = sorted(p for p, b in bounds.items() if b is None)
    if coarse:
        notes.append(f"market_sales periods {', '.join(coarse[:4])} are years or halves, too coarse for a launch "
                     "curve: not used")
    rows = rows[rows["period"].map(lambda p: bounds[p] is not None)].copy()
    if rows.empty:
        return [], notes
    rows["start"] = rows["period"].map(lambda p: bounds[p][0])
    rows["end"] = rows["period"].map(lambda p: bounds[p][1])
    rows["unit"] = rows["period"].map(lambda p: bounds[p][2])
    out = []
    for unit, by_unit in rows.groupby("unit"):
        # every period the tracker covers in this unit: a model absent from a covered period sold nothing in it
        calendar = by_unit[["start", "end"]].drop_duplicates().sort_values("start")
        data_start = calendar["start"].min()
        for model, g in by_unit.groupby("model"):
            full = calendar.merge(g[["start", "units"]], on="start", how="left").fillna({"units": 0.0})
            s = _finish(str(model), info, "market_sales", str(unit), full, data_start)
            if s is not None:
                out.append(s)
    best: dict[str, ModelSeries] = {}
    for s in out:  # a model with monthly and quarterly rows: the unit with more periods
        if s.model not in best or len(s.units) > len(best[s.model].units):
            best[s.model] = s
    return list(best.values()), notes


def order_series(warehouse: Warehouse, info: pd.DataFrame) -> tuple[list[ModelSeries], list[str]]:
    """Weekly series per model from orders × products (units; missing units count 1)."""
    notes: list[str] = []
    if not (warehouse.has_rows("orders") and warehouse.has_rows("products")):
        return [], notes
    o, p = warehouse.table("orders"), warehouse.table("products")
    span = to_frame(o.aggregate(first=o.ts.min(), last=o.ts.max())).iloc[0]
    span = tuple(None if pd.isna(t) else t for t in (span["first"], span["last"]))
    models = p.group_by("sku_id").agg(model=p.model.arbitrary())
    sold = o.join(models, "sku_id").filter(models.model.notnull())
    weekly = to_frame(sold.group_by(models.model, week=o.ts.truncate("W"))
                      .agg(units=o.units.fill_null(1).sum().cast("float64")))
    if weekly.empty or span[0] is None:
        notes.append("no order matches a product with a model: no weekly launch curves")
        return [], notes
    first, last = pd.Timestamp(span[0]), pd.Timestamp(span[1])
    weeks = pd.date_range(first.normalize() - pd.Timedelta(days=first.weekday()), last, freq="7D")
    calendar = pd.DataFrame({"week": weeks, "start": weeks, "end": weeks + pd.Timedelta(days=7)})
    calendar["start"] = calendar["start"].clip(lower=first)  # the orders' span cuts the first and last weeks
    calendar["end"] = calendar["end"].clip(upper=last)
    calendar = calendar[calendar["end"] > calendar["start"]]
    weekly["week"] = pd.to_datetime(weekly["week"])
    out = []
    for model, g in weekly.groupby("model"):
        full = calendar.merge(g[["week", "units"]], on="week", how="left").fillna({"units": 0.0})
        s = _finish(str(model), info, "orders", "week", full[["start", "end", "units"]], first)
        if s is not None:
            out.append(s)
    return out, notes
