"""Code lists of the data contract, version 1, with the spellings real exports use.

Each code list maps an accepted spelling (already lower-cased and trimmed) to its canonical
code. ``open`` lists keep unknown lower-case codes; closed lists quarantine them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np


@dataclass(frozen=True)
class CodeList:
    """A set of canonical codes with the aliases that map onto them."""

    name: str
    codes: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)
    open: bool = False
    doc: str = ""

    def spellings(self) -> dict[str, str]:
        """Every accepted spelling (lower-case) → canonical code."""
        out = {c.lower(): c for c in self.codes}
        out.update({k.lower(): v for k, v in self.aliases.items()})
        return out


PLATFORM = CodeList(
    "platform",
    ("jd", "tmall", "mistore", "douyin", "xiaohongshu", "pdd", "kuaishou", "weibo", "bilibili", "offline"),
    aliases={
        "京东": "jd",
        "京东商城": "jd",
        "天猫": "tmall",
        "淘宝": "tmall",
        "taobao": "tmall",
        "小米商城": "mistore",
        "官网": "mistore",
        "own_store": "mistore",
        "抖音": "douyin",
        "抖店": "douyin",
        "小红书": "xiaohongshu",
        "xhs": "xiaohongshu",
        "red": "xiaohongshu",
        "拼多多": "pdd",
        "快手": "kuaishou",
        "微博": "weibo",
        "b站": "bilibili",
        "哔哩哔哩": "bilibili",
        "线下": "offline",
    },
    open=True,
    doc="other lower-case codes are accepted and kept",
)

CITY_TIER = CodeList(
    "city_tier",
    ("tier1", "new_tier1", "tier2", "tier3", "tier4", "tier5"),
    aliases={
        "一线": "tier1",
        "一线城市": "tier1",
        "新一线": "new_tier1",
        "新一线城市": "new_tier1",
        "二线": "tier2",
        "二线城市": "tier2",
        "三线": "tier3",
        "三线城市": "tier3",
        "四线": "tier4",
        "四线城市": "tier4",
        "五线": "tier5",
        "五线及以下": "tier5",
        "五线城市": "tier5",
        "五线及以下城市": "tier5",
    },
)

AGE_BAND = CodeList(
    "age_band",
    ("<18", "18-24", "25-34", "35-44", "45-54", "55+"),
    aliases={
        "18~24": "18-24",
        "25~34": "25-34",
        "35~44": "35-44",
        "45~54": "45-54",
        ">54": "55+",
        "55岁以上": "55+",
        "18岁以下": "<18",
    },
)

GENDER = CodeList("gender", ("f", "m"), aliases={"女": "f", "男": "m", "female": "f", "male": "m"})

PRICE_BAND = CodeList(
    "price_band",
    ("<2000", "2000-3999", "4000-5999", "6000+"),
    aliases={
        "0-1999": "<2000",
        "2000以下": "<2000",
        "2000元以下": "<2000",
        "2000~3999": "2000-3999",
        "4000~5999": "4000-5999",
        "6000以上": "6000+",
        "6000元以上": "6000+",
        ">=6000": "6000+",
    },
    doc="CNY; premium means 4000 or more",
)

SOURCE = CodeList(
    "source",
    ("search", "recommend", "live", "kol", "ad", "other"),
    aliases={
        "搜索": "search",
        "手淘搜索": "search",
        "京东搜索": "search",
        "推荐": "recommend",
        "手淘推荐": "recommend",
        "直播": "live",
        "直播间": "live",
        "达人": "kol",
        "达人带货": "kol",
        "广告": "ad",
        "付费流量": "ad",
        "付费": "ad",
        "其他": "other",
        "其它": "other",
        # 生意参谋's first-level sources (一级来源): free in-site traffic mixes search and recommendation
        "淘内免费": "other",
        "自主访问": "other",
        "淘外流量": "other",
        "淘外网站": "other",
        "其它来源": "other",
        "其他来源": "other",
        "大促会场": "other",
    },
    open=True,
)

EVENT = CodeList(
    "event",
    (
        "impression",
        "content_view",
        "live_view",
        "search",
        "click",
        "favorite",
        "cart",
        "order",
        "review",
        "share",
        "follow",
    ),
    aliases={"favourite": "favorite", "add_to_cart": "cart", "purchase": "order"},
)

CREATOR_TYPE = CodeList(
    "creator_type",
    ("brand", "executive", "kol", "koc", "media", "user"),
    aliases={"达人": "kol", "博主": "kol", "品牌": "brand", "高管": "executive", "媒体": "media", "用户": "user"},
)

POST_FORMAT = CodeList(
    "format",
    ("short_video", "note", "livestream", "article"),
    aliases={
        "视频": "short_video",
        "短视频": "short_video",
        "图文": "note",
        "笔记": "note",
        "直播": "livestream",
        "文章": "article",
        "video": "short_video",
        "live": "livestream",
    },
)

BRAND = CodeList(
    "brand",
    ("Xiaomi", "Redmi", "Huawei", "Apple", "OPPO", "vivo", "Honor", "iQOO", "OnePlus", "realme", "Samsung", "Meizu",
     "nubia", "Google"),
    aliases={
        "小米": "Xiaomi", "mi": "Xiaomi", "xiaomi 小米": "Xiaomi", "红米": "Redmi", "华为": "Huawei", "苹果": "Apple",
        "iphone": "Apple", "荣耀": "Honor", "一加": "OnePlus", "真我": "realme", "三星": "Samsung", "魅族": "Meizu",
        "努比亚": "nubia", "谷歌": "Google",
    },
    open=True,
    doc="brand names as the platforms write them are read as one brand: 小米（MI） and xiaomi are Xiaomi, "
        "华为（HUAWEI） "
        "is Huawei (the name, else the part in brackets, is looked up); other brands are kept as written, trimmed",
)

TRIM_CHARS = " \t\r\n\u3000\u00a0\ufeff"
"""What a cell's value is trimmed of on ingest: spaces, tabs, line breaks, the ideographic and no-break spaces, BOM."""
BRACKETED = r"[（(]([^)）]*)[)）]"
"""A bracketed part of a name (小米（MI）): the brand lookup tries the name without it, then the part alone."""
_BRACKETS = re.compile(BRACKETED)


def canonical_brand(name: str) -> str:
    """A brand name as the warehouse stores it (the Python twin of the ingest SQL): 小米（MI） → Xiaomi; unknown
    names trimmed and otherwise kept."""
    s = str(name).strip(TRIM_CHARS)
    spell = BRAND.spellings()
    inner = _BRACKETS.search(s)
    return (spell.get(_BRACKETS.sub("", s).strip().lower())
            or (spell.get(inner.group(1).strip().lower()) if inner else None) or s)


CODE_LISTS: dict[str, CodeList] = {
    c.name: c
    for c in (PLATFORM, CITY_TIER, AGE_BAND, GENDER, PRICE_BAND, SOURCE, EVENT, CREATOR_TYPE, POST_FORMAT, BRAND)
}

PREMIUM_THRESHOLD_CNY = 4000.0
"""A selling price at or above this is premium (about 600 USD), as in the industry trackers."""

@dataclass(frozen=True)
class NationalSubsidy:
    """China's 2025 national trade-in subsidy (国补) for phones: ``rate`` of the selling price, at most ``cap_cny``,
    for phones whose selling price does not exceed ``limit_cny`` (单件销售价格不超过6000元), from ``start``.

    The one definition the twin, the demand counterfactuals and the price plan share.
    """

    rate: float = 0.15
    cap_cny: float = 500.0
    limit_cny: float = 6000.0
    start: date = date(2025, 1, 20)

    def eligible(self, price: np.ndarray | float) -> np.ndarray:
        """Whether a selling price qualifies (at or below the limit)."""
        return np.asarray(price, dtype=float) <= self.limit_cny

    def amount(self, price: np.ndarray | float) -> np.ndarray:
        """Subsidy in CNY at a selling price (0 where not eligible)."""
        p = np.asarray(price, dtype=float)
        return np.where(self.eligible(p), np.minimum(self.rate * p, self.cap_cny), 0.0)


NATIONAL_SUBSIDY = NationalSubsidy()
"""The 2025 rule: 15 % off, at most 500 CNY, phones selling at or below 6000 CNY, from 2025-01-20."""


PRICE_BAND_EDGES: tuple[tuple[str, float, float], ...] = (
    ("<2000", 0.0, 2000.0),
    ("2000-3999", 2000.0, 4000.0),
    ("4000-5999", 4000.0, 6000.0),
    ("6000+", 6000.0, float("inf")),
)


def price_band(price: float) -> str:
    """The contract's price band for one selling price in CNY."""
    for band, lo, hi in PRICE_BAND_EDGES:
        if lo <= price < hi:
            return band
    raise ValueError(f"price must be >= 0, got {price}")
