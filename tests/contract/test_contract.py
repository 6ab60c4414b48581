"""The contract as code: one source, docs generated from it, codes and bands consistent."""

from pathlib import Path

import pytest

from upmarket.contract import CODE_LISTS, TABLES, price_band, table
from upmarket.contract.docs import render_contract_markdown
from upmarket.contract.tables import EXTENSION_TABLES

ROOT = Path(__file__).resolve().parents[2]


def test_docs_contract_md_is_generated_from_code() -> None:
    committed = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    assert committed == render_contract_markdown(), "docs/contract.md is stale: run `upmarket docs`"


def test_every_contract_v1_table_is_defined() -> None:
    expected = {
        "products", "market_sales", "market_size", "listings", "traffic", "events", "users", "orders",
        "device_history", "reviews", "posts", "shares", "spend", "kpi_weekly", "choices",
    }
    assert set(TABLES) - set(EXTENSION_TABLES) == expected
    assert set(EXTENSION_TABLES) == {"sku_map"}


def test_aliases_are_unambiguous_within_each_table() -> None:
    for t in TABLES.values():
        spellings: dict[str, str] = {}
        for c in t.columns:
            for s in (c.name, *c.aliases):
                key = s.lower()
                assert spellings.setdefault(key, c.name) == c.name, f"{t.name}: {s!r} names two columns"


def test_code_columns_name_a_code_list() -> None:
    """Code columns name their list; text columns may name one only to canonicalise names (brands)."""
    for t in TABLES.values():
        for c in t.columns:
            if c.dtype == "code":
                assert c.codes in CODE_LISTS, f"{t.name}.{c.name}"
            elif c.codes is not None:
                assert c.dtype == "str" and c.codes == "brand", f"{t.name}.{c.name}"
    brand_columns = {f"{t.name}.{c.name}" for t in TABLES.values() for c in t.columns if c.codes == "brand"}
    assert {"products.brand", "market_sales.brand", "choices.brand", "device_history.to_brand"} <= brand_columns


def test_code_aliases_point_at_codes() -> None:
    for cl in CODE_LISTS.values():
        assert set(cl.aliases.values()) <= set(cl.codes), cl.name


@pytest.mark.parametrize(("price", "band"), [(0, "<2000"), (1999.99, "<2000"), (2000, "2000-3999"),
                                            (3999, "2000-3999"), (4000, "4000-5999"), (6000, "6000+")])
def test_price_band_edges(price: float, band: str) -> None:
    assert price_band(price) == band


def test_unknown_table_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="products"):
        table("orderz")


def test_contract_defaults_fill_missing_values() -> None:
    """orders.units defaults to 1, products.maker to the brand, an empty review text is kept as ''."""
    import pandas as pd

    from upmarket.warehouse import Warehouse

    with Warehouse() as wh:
        wh.load_frame("reviews", pd.DataFrame({
            "review_id": ["r1", "r2"], "ts": ["2024-11-11 10:00", "2024-11-12"], "platform": ["jd", "jd"],
            "sku_id": ["s1", "s1"], "rating": ["5", "1"], "text": ["很好", ""],
        }))
        wh.load_frame("products", pd.DataFrame({"sku_id": ["s1"], "brand": ["Redmi"], "model": ["K80"],
                                                "list_price": ["2499"]}))
        assert wh.con.execute("SELECT text FROM reviews ORDER BY review_id").fetchall() == [("很好",), ("",)]
        assert wh.con.execute("SELECT maker FROM products").fetchall() == [("Redmi",)]
        assert wh.count("quarantine") == 0


def test_daily_ad_report_rows_fall_into_their_week() -> None:
    """A 千川-style daily report: 日期 → week, stored as that week's Monday so spend sums by week."""
    import pandas as pd

    from upmarket.warehouse import Warehouse

    with Warehouse() as wh:
        wh.load_frame("spend", pd.DataFrame({
            "日期": ["2024-11-11", "2024-11-13", "2024-11-17", "2024-11-18"], "channel": ["douyin_ads"] * 4,
            "消耗": ["1,000", "2000", "¥500", "10"],
        }))
        got = wh.con.execute("SELECT week::VARCHAR, sum(spend) FROM spend GROUP BY 1 ORDER BY 1").fetchall()
    assert got == [("2024-11-11", 3500.0), ("2024-11-18", 10.0)]
