"""Market rules several analyses apply: the price bands and the premium aggregate, which price decides them, a
brand's typical street price.

The 国补 rule is :class:`upmarket.contract.NationalSubsidy` and the premium threshold
:data:`upmarket.contract.PREMIUM_THRESHOLD_CNY` (the contract defines both); the bands built on them are here.

**Which price decides a band (and so premium): one rule, here.** Two prices are defensible and the contract uses
both: a *sold* row (``market_sales``: units at a price) is banded by what was paid — the trackers' rule, and the
contract's "premium means a selling price of 4000 CNY or more" behind ``market.premium_share`` — and a *listed*
SKU (the funnel: visits and buyers of a product page) by its list price — the contract's ``funnel.premium_*``
figures are "SKUs listed at ≥ 4000 CNY", since a shopper decides on the price shown. Paid and list price differ by
discounts and the 国补 (a 4,299 CNY phone sold at 3,899 is premium by list, not by paid price), so the two can
disagree on the same phone. The top-level ``premium_price`` setting chooses (:data:`PREMIUM_PRICES`):

* ``"contract"`` (default): as above — sold rows by paid price, listed SKUs by list price.
* ``"paid"``: both by paid price — a SKU by the units-weighted mean ``price_paid`` of its orders (its list price
  when it has none).
* ``"list"``: both by list price — a sold row of a model by the mean list price of the model's SKUs in
  ``products`` (its own band or price when products do not list it).

Every band decision goes through :func:`band_of`, :func:`sold_row_band` and :func:`sku_band_prices`.

One module so that the rules (and the numbers they give) are the same wherever an analysis uses them; no
analysis imports another to reach them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import pandas as pd

from upmarket.contract import PREMIUM_THRESHOLD_CNY, PRICE_BAND_EDGES

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from upmarket.warehouse import Warehouse

PREMIUM_PRICES: tuple[str, ...] = ("contract", "paid", "list")
"""The values of the top-level ``premium_price`` setting (the module docstring says what each means)."""


def brand_street_price(warehouse: Warehouse) -> pd.Series | None:
    """Units-weighted mean street price (1000 CNY) per brand from market_sales, or None when absent.

    An own-price elasticity of a logit is −α·p·(1 − s) ≈ −α·p for small shares, so a segment's brand
    elasticity is its price coefficient times the brand's typical price (docs/segments.md)."""
    if not warehouse.has_rows("market_sales"):
        return None
    df = warehouse.con.execute("SELECT brand, sum(units * avg_price) / sum(units) / 1000 AS p FROM market_sales "
                               "WHERE units > 0 AND avg_price > 0 GROUP BY brand").df()
    return df.set_index("brand")["p"]


# ----------------------------------------------------------------------------- price bands
BANDS: tuple[str, ...] = tuple(b for b, _, _ in PRICE_BAND_EDGES)
"""The contract's four price bands, cheapest first: ``<2000``, ``2000-3999``, ``4000-5999``, ``6000+``."""
PREMIUM_BANDS: tuple[str, ...] = tuple(b for b, lo, _ in PRICE_BAND_EDGES if lo >= PREMIUM_THRESHOLD_CNY)
"""The bands at or above the premium threshold (a selling price of 4,000 CNY)."""
PREMIUM_GROUP = f"{PREMIUM_THRESHOLD_CNY:.0f}+"
"""The key of the premium bands together (``4000+``), the aggregate the trackers and the paper report."""
MASS_BANDS: tuple[str, ...] = tuple(b for b in BANDS if b not in PREMIUM_BANDS)
BAND_KEYS: tuple[str, ...] = (*BANDS, PREMIUM_GROUP)
"""Every band figure is given for each of these: the four bands, then the premium aggregate."""
HEADLINE_BANDS: tuple[str, ...] = (*MASS_BANDS, PREMIUM_GROUP)
"""The bands a headline sentence compares: the mass bands and the premium aggregate (``<2000``, ``2000-3999``,
``4000+``)."""


def band_groups(band: pd.Series) -> pd.Series:
    """Each row's band with the premium bands pooled into :data:`PREMIUM_GROUP`."""
    return band.where(~band.isin(PREMIUM_BANDS), PREMIUM_GROUP)


def by_band_key(units: pd.DataFrame, by: list[str]) -> pd.Series:
    """Units summed per ``by`` + band key: each of the four bands and the premium aggregate (a premium row counts
    in its own band and in ``4000+``). ``units`` has the ``by`` columns, ``band`` and ``units``."""
    own = units.groupby([*by, "band"])["units"].sum()
    pooled = units[units["band"].isin(PREMIUM_BANDS)].assign(band=PREMIUM_GROUP).groupby([*by, "band"])["units"].sum()
    return pd.concat([own, pooled])


# ----------------------------------------------------------------------------- which price decides the band
def band_of(price: ir.NumericValue) -> ir.StringValue:
    """The contract price band of a price expression (NULL stays NULL): the one banding of a price."""
    branches = [((price >= lo) & (price < hi), band) for band, lo, hi in PRICE_BAND_EDGES]
    return ibis.cases(*branches, else_=ibis.null("string"))


def sold_row_band(own_band: ir.StringValue, paid: list[tuple[str, ir.NumericValue]], listed: ir.NumericValue,
                  premium_price: str = "contract") -> tuple[ir.StringValue, ir.StringValue]:
    """(band, basis) of a sold row: its own band and its paid prices (``paid``: name, price, in order of
    preference) first, the list price last — or, with ``premium_price = "list"``, the list price first."""
    check_premium_price(premium_price)
    sources: list[tuple[str, ir.Value]] = [("price_band", own_band), *paid]
    sources = [("list_price", listed), *sources] if premium_price == "list" else [*sources, ("list_price", listed)]
    band = ibis.coalesce(*(v if name == "price_band" else band_of(v) for name, v in sources))
    basis = ibis.cases(*((v.notnull(), name) for name, v in sources), else_=ibis.null("string"))
    return band, basis


def sku_band_prices(products: ir.Table, orders: ir.Table | None, premium_price: str = "contract") -> ir.Table:
    """sku_id → brand, list_price and ``band_price``, the price that bands a listed SKU: its list price, or with
    ``premium_price = "paid"`` the units-weighted mean price paid in ``orders`` (list price without orders)."""
    check_premium_price(premium_price)
    p = products.group_by("sku_id").aggregate(brand=products.brand.arbitrary(), list_price=products.list_price.max())
    if premium_price != "paid" or orders is None:
        return p.mutate(band_price=p.list_price)
    o = orders.filter((orders.units > 0) & (orders.price_paid > 0))
    paid = o.group_by("sku_id").aggregate(paid=(o.price_paid * o.units).sum() / o.units.sum())
    p = p.left_join(paid, "sku_id").drop("sku_id_right")
    return p.mutate(band_price=ibis.coalesce(p.paid, p.list_price)).drop("paid")


def is_premium(price: ir.NumericValue) -> ir.BooleanValue:
    """A price at or above the premium threshold."""
    return price >= PREMIUM_THRESHOLD_CNY


def check_premium_price(value: str) -> None:
    if value not in PREMIUM_PRICES:
        raise ValueError(f"premium_price must be one of {', '.join(map(repr, PREMIUM_PRICES))}, not {value!r}")
