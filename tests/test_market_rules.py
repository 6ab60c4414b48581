"""One rule for which price decides a band and premium (upmarket.market_rules): the three choices on one phone
listed at 4,299 CNY and sold at 3,899 (after discounts and the 国补), the case where list and paid disagree."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from upmarket.analyses.demand.data import load_demand_data
from upmarket.analyses.funnel.rates import product_dims
from upmarket.analyses.market import prepared_rows
from upmarket.config import ConfigError, load_config
from upmarket.warehouse import Warehouse

PRODUCTS = pd.DataFrame({"sku_id": ["a", "b"], "brand": ["Xiaomi", "Redmi"], "model": ["Xiaomi 15", "Redmi K80"],
                         "list_price": ["4299", "2499"]})
SALES = pd.DataFrame({"period": ["2024", "2024"], "region": ["CN", "CN"], "brand": ["Xiaomi", "Redmi"],
                      "model": ["Xiaomi 15", "Redmi K80"], "units": ["100", "300"], "avg_price": ["3899", "2299"]})
ORDERS = pd.DataFrame({"order_id": ["o1", "o2", "o3"], "ts": ["2024-05-01 10:00:00"] * 3, "user_id": ["u1", "u2", "u3"],
                       "platform": ["jd"] * 3, "sku_id": ["a", "a", "b"], "units": ["1", "3", "1"],
                       "price_paid": ["4299", "3699", "2299"]})  # a: (4299 + 3·3699) / 4 = 3849 paid on average


@pytest.fixture(scope="module")
def wh():
    with Warehouse() as w:
        w.load_frame("products", PRODUCTS)
        w.load_frame("market_sales", SALES)
        w.load_frame("orders", ORDERS)
        w.load_frame("market_size", pd.DataFrame({"period": ["2024"], "region": ["CN"], "potential_units": ["1e6"]}))
        yield w


def _market_band(wh, rule: str) -> str:
    rows = prepared_rows(wh, premium_price=rule).to_pandas().set_index("brand")  # one model per brand here
    return rows.loc["Xiaomi", "band"]


def _sku(wh, rule: str) -> pd.Series:
    dims = product_dims(wh.table("products"), wh.table("orders"), rule).to_pandas().set_index("sku_id")
    return dims.loc["a"]


def test_the_contract_rule_bands_a_sold_row_by_paid_and_a_listed_sku_by_list_price(wh) -> None:
    assert _market_band(wh, "contract") == "2000-3999"
    assert _sku(wh, "contract")["premium"] and _sku(wh, "contract")["price_band"] == "4000-5999"


def test_paid_and_list_each_use_one_price_everywhere(wh) -> None:
    assert _market_band(wh, "paid") == "2000-3999" and not _sku(wh, "paid")["premium"]
    assert _sku(wh, "paid")["price_band"] == "2000-3999"
    assert _market_band(wh, "list") == "4000-5999" and _sku(wh, "list")["premium"]
    assert product_dims(wh.table("products"), None, "paid").to_pandas().set_index("sku_id").loc["a", "premium"], \
        "without orders a SKU keeps its list price"


def test_the_demand_products_follow_the_same_rule(wh) -> None:
    bands = {rule: dict(zip(d.products["model"], d.products["band"], strict=True))
             for rule in ("contract", "list") for d in [load_demand_data(wh, premium_price=rule)]}
    assert bands["contract"]["Xiaomi 15"] == "2000-3999" and bands["list"]["Xiaomi 15"] == "4000-5999"
    assert bands["contract"]["Redmi K80"] == bands["list"]["Redmi K80"] == "2000-3999"


def test_an_unknown_rule_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "upmarket.toml").write_text('premium_price = "listed"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"upmarket\.toml: premium_price must be one of .*\(did you mean 'list'\?\)"):
        load_config(tmp_path)
    assert load_config(None).premium_price == "contract"
