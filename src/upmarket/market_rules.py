"""Market rules several analyses apply: what a brand's typical street price is.

One module so that the rules (and the numbers they give) are the same wherever an analysis uses them; no
analysis imports another to reach them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

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
