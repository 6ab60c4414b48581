"""The input tables of the data contract, version 1: the one place column names are defined.

Everything else — the loaders' cleaning SQL, the warehouse DDL, validation messages, the
pandera schemas, ``docs/contract.md`` and the twin's writer — is derived from ``TABLES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

CONTRACT_VERSION = 1

DType = Literal["str", "id", "int", "float", "rate", "date", "timestamp", "bool", "code"]
"""Logical column types.

``id`` is text that spreadsheets like to turn into numbers (``123.0`` is repaired to ``123``,
``1.23E+11`` has lost digits and is rejected); ``rate`` is a float that also accepts ``3.2%``;
``code`` takes its values from the code list named in ``Column.codes``.
"""


@dataclass(frozen=True)
class Column:
    """One column of a contract table."""

    name: str
    dtype: DType
    required: bool
    doc: str = ""
    aliases: tuple[str, ...] = ()
    codes: str | None = None
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    default: str | None = None
    """SQL over the row's typed columns that fills a missing value (e.g. ``1``, ``"brand"``)."""
    week_start: bool = False
    """A date stored as the Monday of its week: daily rows (ad-platform reports) fall into their week."""
    pseudonymise: bool = False
    """A person's id: replaced on ingest by a salted pseudonym (``upmarket.warehouse.pseudonym``)."""


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row; ``violation`` is SQL that is TRUE for a bad row."""

    name: str
    violation: str
    columns: tuple[str, ...]
    doc: str


@dataclass(frozen=True)
class Table:
    """One contract table: its columns, key and cross-column rules."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    rules: tuple[RowRule, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")


def R(name: str, dtype: DType, doc: str = "", **kw) -> Column:  # noqa: N802 - reads like the contract's R/O
    return Column(name, dtype, True, doc, **kw)


def O(name: str, dtype: DType, doc: str = "", **kw) -> Column:  # noqa: N802, E743
    return Column(name, dtype, False, doc, **kw)


COUNT = {"min": 0}

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "products",
            "one row per SKU (a model in one memory configuration)",
            (
                R("sku_id", "id", "unique key"),
                R("brand", "str", "consumer-facing brand: Xiaomi, Redmi, Huawei, Apple, OPPO, vivo, Honor, ...",
                  codes="brand"),
                O(
                    "maker",
                    "str",
                    "the group that owns the brand (Xiaomi for both Xiaomi and Redmi); defaults to brand",
                    default='"brand"',
                    codes="brand",
                ),
                O("series", "str", "product line, e.g. Xiaomi 15, Redmi K80, Mate 70"),
                R("model", "str", "model name, e.g. Xiaomi 15 Ultra"),
                O("launch_date", "date", "first sale date"),
                R("list_price", "float", "official launch price, CNY, > 0", min=0, min_exclusive=True),
                O("storage_gb", "int", "storage, GB", **COUNT),
                O("ram_gb", "int", "memory, GB", **COUNT),
                O("chipset", "str", "e.g. Snapdragon 8 Elite, XRING O1, Kirin 9020"),
                O("foldable", "bool"),
                O("camera_score", "float", "characteristic for demand models"),
                O("performance_score", "float", "characteristic for demand models"),
                O("battery_mah", "float", "battery capacity", **COUNT),
                O("screen_inches", "float", "screen diagonal", **COUNT),
                O("weight_g", "float", "weight", **COUNT),
            ),
            key=("sku_id",),
        ),
        Table(
            "market_sales",
            "a market tracker's figures: one row per (period, region, brand, price band) "
            "or per (period, region, model)",
            (
                R("period", "str", "2024, 2024H1, 2024Q4 or 2024-11"),
                R("region", "str", "CN, a province, or an ISO country code"),
                R("brand", "str", "as in products", codes="brand"),
                O("price_band", "code", "required when model is empty", codes="price_band"),
                O("model", "str", "when given, the row is one model"),
                R("units", "int", "units shipped or sold, >= 0", **COUNT),
                O("avg_price", "float", "average selling price of the row's units, CNY", **COUNT),
                O("revenue", "float", "CNY", **COUNT),
                O("source", "str", "IDC, Canalys, Counterpoint, ..."),
            ),
            rules=(
                RowRule(
                    "band_or_model",
                    "price_band IS NULL AND model IS NULL",
                    ("price_band", "model"),
                    "price_band is required when model is empty",
                ),
                RowRule(
                    "bad_period",
                    "NOT regexp_full_match(period, '\\d{4}(H[12]|Q[1-4]|-(0[1-9]|1[0-2]))?')",
                    ("period",),
                    "period must look like 2024, 2024H1, 2024Q4 or 2024-11",
                ),
            ),
        ),
        Table(
            "market_size",
            "the potential market, for demand models",
            (
                R("period", "str", "as in market_sales"),
                R("region", "str", "as in market_sales"),
                R("potential_units", "int", "e.g. smartphone users who could buy in the period", **COUNT),
            ),
            key=("period", "region"),
        ),
        Table(
            "listings",
            "daily price and promotion snapshots",
            (
                R("date", "date"),
                R("platform", "code", codes="platform"),
                R("sku_id", "id"),
                O("list_price", "float", "the shelf price", **COUNT),
                R("price", "float", "effective selling price after coupons and subsidies", **COUNT),
                O("promo", "str", "618, 双11, 百亿补贴, 国补 (government subsidy), free text allowed"),
            ),
        ),
        Table(
            "traffic",
            "daily funnel aggregates, as the platforms export them",
            (
                R(
                    "date",
                    "date",
                    "a range such as 2024-11-01至2024-11-07 is a window total: date = its start",
                    aliases=("日期", "统计日期", "时间"),
                ),
                O("date_end", "date", "last day of a window-total row; empty for daily rows"),
                R("platform", "code", aliases=("平台",), codes="platform"),
                R("sku_id", "id", aliases=("商品ID", "SKU", "商品编号")),
                O("city_tier", "code", aliases=("城市等级",), codes="city_tier"),
                O("segment", "str", "a user segment label, if the platform gives one", aliases=("人群",)),
                O("source", "code", aliases=("流量来源", "一级来源"), codes="source"),
                O(
                    "impressions",
                    "int",
                    "exposures; an export that counts exposed people only (抖店 商品曝光人数) gives those, as its "
                    "clicks are 商品点击人数",
                    aliases=("曝光量", "曝光次数", "商品曝光次数", "展现量", "商品曝光人数"),
                    **COUNT,
                ),
                O("clicks", "int", aliases=("点击量", "商品点击人数"), **COUNT),
                R("visitors", "int", "unique visitors", aliases=("访客数", "UV", "商品访客数"), **COUNT),
                O("page_views", "int", aliases=("浏览量", "PV", "商品浏览量"), **COUNT),
                O("favorites", "int", aliases=("收藏人数", "商品收藏人数", "商品收藏用户数"), **COUNT),
                O(
                    "add_to_carts",
                    "int",
                    "people who added to cart (加购件数 counts items: kept as an extra column)",
                    aliases=("加购人数", "商品加购人数", "加购客户数"),
                    **COUNT,
                ),
                R("buyers", "int", aliases=("支付买家数", "成交人数", "成交客户数", "成交买家数"), **COUNT),
                O("orders", "int", aliases=("成交单量", "成交订单数"), **COUNT),
                O("units", "int", aliases=("支付件数", "成交件数", "成交商品件数"), **COUNT),
                O("gmv", "float", aliases=("支付金额", "成交金额", "GMV"), **COUNT),
            ),
            rules=(
                RowRule("buyers_gt_visitors", "buyers > visitors", ("buyers",), "buyers must not exceed visitors"),
                RowRule(
                    "favorites_gt_visitors",
                    "favorites > visitors",
                    ("favorites",),
                    "favorites must not exceed visitors",
                ),
            ),
        ),
        Table(
            "events",
            "one row per user action (the large table; may be hundreds of millions of rows)",
            (
                R("ts", "timestamp"),
                R("platform", "code", codes="platform"),
                R("user_id", "id", pseudonymise=True),
                R("event", "code", codes="event"),
                O("sku_id", "id", "empty for brand-level content views and searches"),
                O("brand", "str", "the brand concerned when there is no sku_id", codes="brand"),
                O("source", "code", codes="source"),
                O("session_id", "id"),
                O("value", "float", "CNY, for order", **COUNT),
            ),
        ),
        Table(
            "users",
            "one row per user",
            (
                R("user_id", "id", pseudonymise=True),
                O("city", "str"),
                O("city_tier", "code", codes="city_tier"),
                O("age_band", "code", codes="age_band"),
                O("gender", "code", "f, m, or empty", codes="gender"),
                O("prior_brand", "str", "brand of the phone used before the observation window", codes="brand"),
            ),
            key=("user_id",),
        ),
        Table(
            "orders",
            "one row per order line",
            (
                R("order_id", "id"),
                R("ts", "timestamp"),
                R("user_id", "id", pseudonymise=True),
                R("platform", "code", codes="platform"),
                R("sku_id", "id"),
                O("units", "int", "default 1", min=1, default="1"),
                R("price_paid", "float", "unit price actually paid, after discounts", **COUNT),
                O("source", "code", codes="source"),
            ),
            key=("order_id", "sku_id"),
        ),
        Table(
            "device_history",
            "phone changes of panel users, for loyalty and switching",
            (R("user_id", "id", pseudonymise=True), R("date", "date"), R("from_brand", "str", codes="brand"),
             R("to_brand", "str", codes="brand")),
        ),
        Table(
            "reviews",
            "product reviews",
            (
                R("review_id", "id"),
                R("ts", "timestamp"),
                R("platform", "code", codes="platform"),
                R("sku_id", "id"),
                O("user_id", "id", pseudonymise=True),
                O("rating", "int", "1..5", min=1, max=5),
                R("text", "str", "usually Chinese; may be empty (then only the rating counts)", default="''"),
                O("is_followup", "bool", "追评, a later addition to an earlier review"),
            ),
            key=("review_id",),
        ),
        Table(
            "posts",
            "social content: short videos, notes, livestreams, articles",
            (
                R("post_id", "id", aliases=("笔记ID", "作品ID", "视频ID")),
                R("ts", "timestamp", aliases=("笔记发布日期", "发布时间")),
                R("platform", "code", codes="platform"),
                R("creator_id", "id", "pseudonymised on ingest", aliases=("博主昵称", "达人", "发布账号", "达人昵称"),
                  pseudonymise=True),
                R("creator_type", "code", codes="creator_type"),
                R("format", "code", aliases=("笔记类型", "内容类型"), codes="format"),
                O("text", "str", "title and caption", aliases=("笔记标题", "标题", "作品标题")),
                O("topics", "str", "hashtags separated by |"),
                O("brands", "str", "brands featured, separated by |"),
                O("sku_ids", "str", "SKUs featured, separated by |"),
                O("followers", "int", "creator's followers when posted", **COUNT),
                O("views", "int", aliases=("阅读量", "播放量", "观看量"), **COUNT),
                O("likes", "int", aliases=("点赞量", "点赞数"), **COUNT),
                O("comments", "int", aliases=("评论量", "评论数"), **COUNT),
                O("shares", "int", **COUNT),
                O("saves", "int", aliases=("收藏量", "收藏数"), **COUNT),
                O("gmv", "float", "sales attributed to a livestream or linked post, CNY", **COUNT),
                O(
                    "cost",
                    "float",
                    "fee paid to the creator, CNY; empty for organic posts",
                    aliases=("蒲公英金额",),
                    **COUNT,
                ),
            ),
            key=("post_id",),
        ),
        Table(
            "shares",
            "how content spread (propagation paths); each post's shares form a tree rooted at its creator",
            (
                R("post_id", "id"),
                R("user_id", "id", "the user who shared or reposted", pseudonymise=True),
                O("parent_user_id", "id", "whose share they saw; empty means the post's creator",
                  pseudonymise=True),
                R("ts", "timestamp"),
            ),
            notes=(
                "A share whose parent is unknown or appears later than the share itself is attached to the root.",
                "A user's second share of the same post is a duplicate: kept in the raw table, not a new node.",
            ),
        ),
        Table(
            "spend",
            "marketing spend by channel and week",
            (
                R(
                    "week",
                    "date",
                    "the Monday of the week; a daily report's days fall into their week (sum them by week)",
                    week_start=True,
                    aliases=("日期", "时间"),
                ),
                R("channel", "str", "douyin_ads, douyin_live, xiaohongshu_kol, jd_ads, tmall_ads, search_ads, ooh"),
                O("brand", "str", "default: the focal brand", codes="brand"),
                R("spend", "float", "CNY", aliases=("花费", "消耗", "整体消耗", "消费", "投放消耗"), **COUNT),
                O("impressions", "int", aliases=("展现量",), **COUNT),
                O("clicks", "int", aliases=("点击量",), **COUNT),
            ),
        ),
        Table(
            "kpi_weekly",
            "the outcome for a marketing-mix model, when orders are not available",
            (
                R("week", "date", "the Monday of the week", week_start=True),
                O("brand", "str", codes="brand"),
                O("units", "int", **COUNT),
                R("gmv", "float", **COUNT),
                O("avg_price", "float", "control", **COUNT),
                O("promo_days", "int", "control", min=0, max=7),
                O("competitor_launch", "int", "control", **COUNT),
                O("subsidy", "float", "control"),
            ),
        ),
        Table(
            "choices",
            "choice experiments (conjoint) or observed choice sets; exactly one chosen alternative per task",
            (
                R("respondent_id", "id", "joins users.user_id when the respondent is a user", pseudonymise=True),
                R("task_id", "id", "one choice situation"),
                R("alt_id", "id", "one alternative; none for the no-buy option"),
                R("chosen", "int", "0/1", min=0, max=1),
                R("brand", "str", codes="brand"),
                R("price", "float", **COUNT),
            ),
            key=("respondent_id", "task_id", "alt_id"),
            notes=("Further attribute columns (camera, chip, foldable, storage_gb, ...) are kept as extra columns.",),
        ),
    )
}


SKU_MAP = Table(
    "sku_map",
    "optional: a platform's own item id (a JD SKU, a Tmall 商品ID, a 抖店 商品ID) → the products.sku_id it sells",
    (
        O("platform", "code", "the platform the id belongs to; empty when the id is the same on every platform",
          aliases=("平台",), codes="platform"),
        R("platform_sku_id", "id", "the id as the platform's exports show it",
          aliases=("平台商品ID", "商品ID", "SKU编号", "SKU ID")),
        R("sku_id", "id", "the products.sku_id it stands for", aliases=("产品ID",)),
    ),
    key=("platform", "platform_sku_id"),
    notes=("Rows of traffic, listings, orders, reviews and events whose sku_id is not in products but is a "
           "platform_sku_id here (and the ids listed in posts.sku_ids) are re-keyed to the products.sku_id on "
           "ingest (the id they came with is kept in _extra as platform_sku_id), so every analysis joins them to "
           "their product.",),
)
"""Kept apart from the contract's own tables (an extension); registered in ``TABLES`` below."""
TABLES[SKU_MAP.name] = SKU_MAP
EXTENSION_TABLES: tuple[str, ...] = (SKU_MAP.name,)
"""Tables beyond contract version 1 (optional helpers a dataset may bring; the twin does not write them)."""


def table(name: str) -> Table:
    """The contract table called ``name``; a clear error naming the known tables otherwise."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; the contract has: {', '.join(TABLES)}") from None
