"""Market rules several analyses apply: the price bands and the premium aggregate, a brand's typical street price.

The 国补 rule is :class:`upmarket.contract.NationalSubsidy` and the premium threshold
:data:`upmarket.contract.PREMIUM_THRESHOLD_CNY` (the contract defines both); the bands built on them are here.

One module so that the rules (and the numbers they give) are the same wherever an analysis uses them; no
analysis imports another to reach them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from upmarket.contract import PREMIUM_THRESHOLD_CNY, PRICE_BAND_EDGES

if TYPE_CHECKING:
    from upmarket.warehouse import Warehouse


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
