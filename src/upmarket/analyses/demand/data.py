"""Market shares, prices and characteristics for a demand model, read from the warehouse with Ibis.

A *product* is one ``market_sales`` model row: (model, price band) in one market, where a market is
(period, region). Its share is ``units / market_size.potential_units``; the outside good is the rest.
Its price is, in order: ``avg_price``, ``revenue / units``, the period's mean effective price of the
model's SKUs in ``listings``, the mean ``list_price`` of the model's SKUs. Its characteristics are the
mean over the model's SKUs whose list price falls in the row's band (all the model's SKUs when none do).

Prices are in 1000 CNY and camera/performance scores per 10 points, so coefficients are of order one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd

from upmarket.market_rules import band_of, sold_row_band
from upmarket.warehouse.source import extra_text, to_frame

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from upmarket.warehouse import Warehouse

PRICE_UNIT = 1000.0
"""Prices enter the model in 1000 CNY."""
CHARACTERISTICS: tuple[str, ...] = ("camera_score", "performance_score", "storage", "foldable")
"""Characteristics built from ``products`` (``storage`` = log2(storage_gb / 128))."""


class DemandDataError(ValueError):
    """The demand data cannot support the model; the message says which table, row and column."""


@dataclass
class DemandData:
    """Product-market rows ready for pyblp, plus what was dropped or filled and why."""

    products: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    market_size: pd.DataFrame | None = None

    @property
    def n_markets(self) -> int:
        return int(self.products["market_ids"].nunique())

    @property
    def n_regions(self) -> int:
        return int(self.products["region"].nunique())


def _sku_characteristics(warehouse: Warehouse, extra: tuple[str, ...] = ()) -> tuple[ir.Table, ir.Table]:
    """Mean characteristics per (model, list-price band) and per model (band NULL rows); ``extra`` numeric columns
    of products (``battery_mah``, a column the export carries beyond the contract's) are averaged the same way."""
    p = warehouse.table("products")
    p = p.mutate(
        model_key=p.model.strip().lower(),
        band=band_of(p.list_price),  # which SKUs a row's band holds: matched by their list price
        storage=(p.storage_gb.cast("float64") / 128.0).log2(),
        foldable_f=p.foldable.cast("float64"),
    )
    aggs = {
        "camera_score": lambda t: t.camera_score.mean(),
        "performance_score": lambda t: t.performance_score.mean(),
        "storage": lambda t: t.storage.mean(),
        "foldable": lambda t: t.foldable_f.mean(),
        "list_price": lambda t: t.list_price.mean(),
        "maker": lambda t: t.maker.arbitrary(),
        "skus": lambda t: t.count(),
        **{c: (lambda t, c=c: t[c].cast("float64").mean()) for c in extra},
    }
    by_band = p.group_by(["model_key", "band"]).aggregate(**aggs)
    by_model = p.group_by("model_key").aggregate(**aggs)
    return by_band, by_model


def product_columns(warehouse: Warehouse) -> list[str]:
    """Numeric columns of the products table (the candidates for ``[demand] characteristics``)."""
    schema = warehouse.table("products").schema()
    return [c for c, kind in schema.items() if not c.startswith("_") and (kind.is_numeric() or kind.is_boolean())
            and c not in ("list_price",)]


def load_demand_data(warehouse: Warehouse, *, min_units: int = 1, extra: tuple[str, ...] = (),
                     premium_price: str = "contract") -> DemandData:
    """Build product-market rows from ``market_sales`` + ``market_size`` (+ ``products``).

    ``extra``: further numeric products columns to carry as characteristics (``[demand] characteristics``).
    Raises :class:`DemandDataError` when no model-level row can be matched to a market size.
    """
    warnings: list[str] = []
    s = warehouse.table("market_sales")
    s = s.mutate(
        period=s.period.strip(), region=s.region.strip(), brand=s.brand.strip(),
        model=s.model.strip().nullif(""), model_key=s.model.strip().lower().nullif(""),
    )
    n_band_rows = s.filter(s.model.isnull()).count().to_pyarrow().as_py()
    if n_band_rows:
        warnings.append(f"{n_band_rows} market_sales rows have no model (band-level): not used by the demand model")
    s = s.filter(s.model.notnull())
    price = ibis.coalesce(
        s.avg_price, ibis.ifelse(s.units > 0, s.revenue / s.units, ibis.null("float64"))
    )
    s = s.mutate(price_row=price)
    # one product per (market, model, band): a tracker may split a model's units by band; a row's band by the one
    # rule of market_rules (its own band and price paid, then its SKUs' list price; list first under "list")
    p = warehouse.table("products")
    listed = p.mutate(model_key=p.model.strip().lower()).group_by("model_key").aggregate(
        model_list_price=lambda t: t.list_price.mean())
    s = s.left_join(listed, "model_key").drop("model_key_right")
    band, _ = sold_row_band(s.price_band.strip().nullif(""), [("price", s.price_row)], s.model_list_price,
                            premium_price)
    s = s.mutate(band=band).drop("model_list_price")
    g = s.group_by(["period", "region", "brand", "model", "model_key", "band"]).aggregate(
        units=s.units.sum(),
        revenue_known=(s.price_row * s.units).sum(),
        units_priced=ibis.ifelse(s.price_row.notnull(), s.units, 0).sum(),
        rows=s.count(),
    )
    size = warehouse.table("market_size")
    size = size.mutate(period=size.period.strip(), region=size.region.strip())
    size = size.group_by(["period", "region"]).aggregate(potential_units=size.potential_units.sum())
    g = g.left_join(size, ["period", "region"]).drop("period_right", "region_right")
    have = set(product_columns(warehouse))
    unknown = [c for c in extra if c not in have]
    if unknown:
        raise DemandDataError(f"[demand] characteristics: {', '.join(unknown)} is not a numeric column of products "
                              f"(numeric columns: {', '.join(sorted(have))})")
    extra = tuple(c for c in extra if c not in CHARACTERISTICS)
    by_band, by_model = _sku_characteristics(warehouse, extra)
    g = g.left_join(by_band, [g.model_key == by_band.model_key, g.band == by_band.band]).drop(
        "model_key_right", "band_right"
    )
    rename = {c: f"{c}_m" for c in (*CHARACTERISTICS, *extra, "list_price", "maker", "skus")}
    bm = by_model.rename({v: k for k, v in rename.items()})
    g = g.left_join(bm, g.model_key == bm.model_key).drop("model_key_right")
    df = g.to_pandas()
    if df.empty:
        raise DemandDataError("market_sales: no model-level rows (column model is empty on every row)")

    # --- fill from the model when the band has no SKU, then report what is still missing
    for c in (*CHARACTERISTICS, *extra, "list_price", "maker", "skus"):
        df[c] = df[c].where(df[c].notna(), df[f"{c}_m"])
    df = df.drop(columns=list(rename.values()))
    no_size = df["potential_units"].isna()
    if no_size.all():
        raise DemandDataError(
            "market_size: no (period, region) matches market_sales; e.g. market_sales has "
            f"period={df['period'].iloc[0]!r}, region={df['region'].iloc[0]!r}"
        )
    if no_size.any():
        miss = df.loc[no_size, ["period", "region"]].drop_duplicates()
        warnings.append(f"{len(miss)} market(s) have no market_size row and are left out, e.g. "
                        f"period={miss['period'].iloc[0]!r}, region={miss['region'].iloc[0]!r}")
        df = df[~no_size]
    df["prices_cny"] = df["revenue_known"] / df["units_priced"].where(df["units_priced"] > 0)
    from_list = df["prices_cny"].isna() & df["list_price"].notna()
    if from_list.any():
        warnings.append(f"{int(from_list.sum())} product-market rows have no avg_price or revenue: priced at the "
                        "model's mean list_price from products")
        df.loc[from_list, "prices_cny"] = df.loc[from_list, "list_price"]
    no_price = df["prices_cny"].isna() | (df["prices_cny"] <= 0)
    if no_price.any():
        ex = df[no_price].iloc[0]
        warnings.append(f"{int(no_price.sum())} product-market rows have no usable price (no avg_price, revenue or "
                        f"products.list_price) and are left out, e.g. market_sales model={ex['model']!r}, "
                        f"period={ex['period']!r}, region={ex['region']!r}")
        df = df[~no_price]
    low = df["units"] < min_units
    if low.any():
        warnings.append(f"{int(low.sum())} product-market rows with fewer than {min_units} unit(s) are left out "
                        "(a zero share has no logit utility)")
        df = df[~low]
    df = df.copy()
    df["shares"] = df["units"] / df["potential_units"]
    inside = df.groupby(["period", "region"])["shares"].transform("sum")
    bad = inside >= 1.0
    if bad.any():
        ex = df[bad].iloc[0]
        warnings.append(f"{df.loc[bad, ['period', 'region']].drop_duplicates().shape[0]} market(s) sell at least "
                        f"their potential (market_size.potential_units) and are left out, e.g. period={ex['period']!r},"
                        f" region={ex['region']!r}")
        df = df[~bad]
    if df.empty:
        raise DemandDataError("market_sales: no product-market row has units > 0, a price and a market size")
    df["market_ids"] = df["period"] + "|" + df["region"]
    df["product_key"] = df["model"] + "|" + df["band"].fillna("?")
    df["prices"] = df["prices_cny"] / PRICE_UNIT
    df["camera"] = df["camera_score"] / 10.0
    df["performance"] = df["performance_score"] / 10.0
    df["maker"] = df["maker"].fillna(df["brand"])
    df = df.sort_values(["market_ids", "brand", "product_key"]).reset_index(drop=True)
    keep = ["market_ids", "period", "region", "brand", "maker", "model", "band", "product_key", "units",
            "potential_units", "shares", "prices_cny", "prices", "camera", "performance", "storage", "foldable",
            "list_price", "skus", "rows", *extra]
    out = df[keep].copy()
    out["units"] = out["units"].astype("int64")
    for c in ("storage", "foldable", "camera", "performance"):
        out[c] = out[c].astype("float64")
    return DemandData(out, warnings, size.to_pandas())


def add_instruments(
    df: pd.DataFrame, characteristics: list[str], *, hausman: bool = True
) -> tuple[pd.DataFrame, list[str]]:
    """Excluded price instruments: differentiation instruments (quadratic, Gandhi–Houde) and Hausman prices.

    Hausman price = the mean price of the same product in the *other* regions of the period; it needs at least
    two regions. Returns the frame with ``demand_instruments*`` columns and notes on what was built.
    """
    import pyblp

    notes: list[str] = []
    usable = [c for c in characteristics if df[c].notna().all() and df[c].std() > 0]
    blocks: list[np.ndarray] = []
    if usable:
        form = pyblp.Formulation("0 + " + " + ".join(usable))
        firms = df["maker"] if "maker" in df else df["brand"]
        data = {"market_ids": df["market_ids"].to_numpy(), "firm_ids": firms.to_numpy(),
                **{c: df[c].to_numpy(float) for c in usable}}
        diff = pyblp.build_differentiation_instruments(form, data)
        blocks.append(diff)
        notes.append(f"differentiation instruments on {', '.join(usable)} ({diff.shape[1]} columns)")
    if hausman:
        g = df.groupby(["period", "product_key"])["prices"]
        n = g.transform("count")
        other = (g.transform("sum") - df["prices"]) / (n - 1).where(n > 1)
        ok = other.notna()
        same = ok.sum() > 2 and np.corrcoef(other[ok], df.loc[ok, "prices"])[0, 1] > 0.999
        if other.notna().mean() >= 0.5 and same:
            notes.append("Hausman prices not used: each product's price is the same in every region, so the "
                         "instrument would equal the price itself (price treated as exogenous)")
        elif other.notna().mean() >= 0.5:
            blocks.append(other.fillna(df["prices"]).to_numpy()[:, None])
            notes.append("Hausman prices (the product's mean price in the other regions of the period)")
        else:
            notes.append("Hausman prices not built: fewer than half the products are sold in two or more regions")
    if not blocks:
        raise DemandDataError("no price instruments can be built: products lack varying characteristics "
                              "(camera_score, performance_score, storage_gb) and there is only one region")
    z = np.hstack(blocks)
    # drop columns that are constant or (numerically) duplicates so the first stage stays full rank
    z = z[:, z.std(axis=0) > 1e-12]
    out = df.drop(columns=[c for c in df.columns if c.startswith("demand_instruments")])
    inst = pd.DataFrame(z, index=df.index, columns=[f"demand_instruments{i}" for i in range(z.shape[1])])
    return pd.concat([out, inst], axis=1), notes


def add_fe_instruments(df: pd.DataFrame, nest: str | None = "band") -> tuple[pd.DataFrame, list[str]]:
    """Instruments for FE-IV: functions of within product-period price deviations only.

    With product × period effects absorbed, what identifies demand is how a product's price in one region departs
    from its price elsewhere in the same period (local promotions and subsidies): d = log p − mean over regions of
    log p. Columns: d; d × log of the product-period mean price (lets the price response vary with price level,
    which pins down a price random coefficient); the sum of d over the other products of the same nest in the
    market and the market mean of d (shift within-nest and inside shares: ρ). Needs ``product_period``.
    """
    lp = np.log(df["prices"].to_numpy(float))
    grp = df["product_period"].to_numpy()
    mean_lp = pd.Series(lp).groupby(grp).transform("mean").to_numpy()
    dev = lp - mean_lp
    cols = {"dev": dev, "dev_x_level": dev * mean_lp}
    mk = df["market_ids"].to_numpy()
    cols["market_mean_dev"] = pd.Series(dev).groupby(mk).transform("mean").to_numpy()
    notes = ["FE-IV instruments: within product-period log-price deviation, × log price level, market mean"]
    if nest is not None and nest in df:
        keys = [mk, df[nest].fillna("?").to_numpy()]
        cols["nest_rival_dev"] = pd.Series(dev).groupby(keys).transform("sum").to_numpy() - dev
        notes.append(f"sum of the other {nest}-nest products' deviations")
    z = np.column_stack(list(cols.values()))
    z = z[:, z.std(axis=0) > 1e-12]
    if z.shape[1] == 0:
        raise DemandDataError("market_sales: no product's price varies across regions within a period, so FE-IV "
                              "has no identifying variation; use fixed_effects='period' (characteristic IV)")
    out = df.drop(columns=[c for c in df.columns if c.startswith("demand_instruments")])
    inst = pd.DataFrame(z, index=df.index, columns=[f"demand_instruments{i}" for i in range(z.shape[1])])
    return pd.concat([out, inst], axis=1), notes


TIER_INDEX: dict[str, float] = {"tier1": 0.0, "new_tier1": 1.0, "tier2": 2.0, "tier3": 3.0, "tier4": 4.0, "tier5": 5.0}
"""City tier as a number (0 = tier1 … 5 = tier5): the demographic the micro moments use."""
YOUNG_BANDS: tuple[str, ...] = ("<18", "18-24")
DEMOGRAPHICS: tuple[str, ...] = ("tier", "young")
"""Buyer demographics of the micro moments: city-tier index and under-25 indicator."""
MIN_MICRO_ORDERS = 200
"""Fewer order lines than this for a brand (or 5 × as many overall) is 'thin' micro data: warned."""


@dataclass
class MicroData:
    """Who buys what: the channel panel's demographics (``users``) and its purchases (``orders`` × products brand).

    ``users``: one row per panel user with a usable tier and age band — ``region`` (province from the export's
    extra columns, else NULL) and :data:`DEMOGRAPHICS`. ``buyers``: one row per order line — brand, units, price
    paid (1000 CNY), quarter (``YYYYQn``, to match the markets' periods) and the buyer's demographics.
    """

    users: pd.DataFrame
    buyers: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    def brand_means(self) -> pd.DataFrame:
        """Unit-weighted mean demographics of each brand's buyers (rows brands, columns demographics + orders)."""
        b = self.buyers
        w = b["units"].to_numpy(float)
        out = pd.DataFrame({c: pd.Series(b[c].to_numpy(float) * w).groupby(b["brand"].to_numpy()).sum()
                            for c in DEMOGRAPHICS})
        tot = pd.Series(w).groupby(b["brand"].to_numpy()).sum()
        out = out.div(tot, axis=0)
        out["orders"] = b.groupby("brand").size()
        return out


def load_micro_data(warehouse: Warehouse) -> MicroData | None:
    """Buyer demographics by brand from ``users`` × ``orders`` × ``products`` (None when they are not there).

    Vectorised in DuckDB: the user's city tier and age band, the order line's SKU brand. A user's province is read
    from the export's extra columns (``_extra.province``) when the panel export carries it.
    """
    if not all(warehouse.has_rows(t) for t in ("users", "orders", "products")):  # contract tables always exist
        return None
    ucols = set(warehouse.table("users").columns)
    if not {"city_tier", "age_band"} <= ucols:
        return None
    u = warehouse.table("users")
    tier = u.city_tier.strip().substitute(TIER_INDEX, else_=ibis.null("float64")).cast("float64")
    region = extra_text(u, "province").strip().nullif("") if "_extra" in ucols else ibis.null("string")
    young = u.age_band.strip().isin(list(YOUNG_BANDS)).cast("float64")
    users = to_frame(u.filter(u.age_band.notnull(), u.age_band.strip() != "")
                     .select("user_id", region=region, tier=tier, young=young)
                     .filter(ibis._.tier.notnull())
                     .order_by("user_id"))  # ordered: the agents are a seeded draw from these rows
    if users.empty:
        return None
    p = warehouse.table("products")
    brands = p.group_by("sku_id").agg(brand=p.brand.strip().arbitrary())
    o = warehouse.table("orders")
    period = o.ts.year().cast("string") + "Q" + o.ts.quarter().cast("string")
    buyers = to_frame(o.join(brands, "sku_id")
                      .order_by(["order_id", "sku_id"])
                      .select("brand", units=o.units.fill_null(1).cast("float64"), price=o.price_paid / 1000.0,
                              user_id=o.user_id, period=period))
    buyers = buyers.merge(users, on="user_id", how="inner")
    warnings: list[str] = []
    if buyers.empty:
        return None
    n = buyers.groupby("brand").size()
    thin = n[n < MIN_MICRO_ORDERS]
    if len(buyers) < 5 * MIN_MICRO_ORDERS or len(thin):
        warnings.append(f"thin micro data: {len(buyers):,} order lines with buyer demographics"
                        + (f"; fewer than {MIN_MICRO_ORDERS} for " + ", ".join(f"{b} ({k})" for b, k in thin.items())
                           if len(thin) else "")
                        + ": the brand × demographic interactions are imprecise")
    return MicroData(users.drop(columns="user_id"), buyers.drop(columns="user_id"), warnings)
