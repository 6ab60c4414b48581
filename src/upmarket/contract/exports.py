"""Header signatures of known platform exports: which platform (and constant columns) a file implies.

A file with no ``platform`` column gets its platform from, in order, a ``[[files]]`` entry in
``upmarket.toml``, a ``platform=`` folder in its path, or the signature of the export it came from.
This module is that last step. It is a *heuristic*: a signature matches when every one of its
headers is present (after header normalisation, see ``upmarket.io.headers``). Headers come from
public parser code written against real exports (``PLATFORM_EXPORTS.md``); versions drift, so keep
each signature to a few headers that only that platform uses (生意参谋 says 支付买家数 where
京东 says 成交客户数 and 拼多多 says 成交买家数).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExportSignature:
    """A known export: all of ``headers`` present ⇒ the file comes from ``platform``.

    ``constants`` are column values the export implies for rows of ``table`` (蒲公英 notes are
    all paid creator posts: ``creator_type = kol``; 千川 spend is channel ``douyin_ads``); they
    apply only when the file loads into ``table`` and has no such column. ``id_in_name`` names a
    column whose value only the file name carries (生意参谋's single-item source export names its
    商品ID in the request, not in a column).
    """

    name: str
    platform: str | None
    table: str
    headers: frozenset[str]
    constants: dict[str, str] = field(default_factory=dict)
    id_in_name: str | None = None


def header_key(header: str) -> str:
    """A signature header as a matching key (what ``upmarket.io.headers.match_key`` makes of a cell)."""
    return header.casefold().replace("_", "").replace("-", "")


def _sig(name: str, platform: str | None, table: str, *headers: str, id_in_name: str | None = None,
         **constants: str) -> ExportSignature:
    return ExportSignature(name, platform, table, frozenset(header_key(h) for h in headers), constants, id_in_name)


EXPORT_SIGNATURES: tuple[ExportSignature, ...] = (
    _sig("生意参谋 商品", "tmall", "traffic", "商品访客数", "支付买家数", "商品收藏人数"),
    _sig("生意参谋 商品", "tmall", "traffic", "商品访客数", "支付买家数", "商品加购人数"),
    _sig("生意参谋 商品来源", "tmall", "traffic", "一级来源", "二级来源", "支付买家数", id_in_name="sku_id"),
    _sig("生意参谋 商品来源", "tmall", "traffic", "一级来源", "二级来源", "访客数", id_in_name="sku_id"),
    _sig("京东商智 商品明细", "jd", "traffic", "SKU", "商品访客数", "成交客户数"),
    _sig("京东商智 自营商品明细", "jd", "traffic", "SKU", "成交人数", "成交商品件数"),
    _sig("京东商智 自营商品明细", "jd", "traffic", "SKU", "访客数", "成交人数"),
    _sig("抖店罗盘 商品", "douyin", "traffic", "商品曝光人数", "商品点击人数", "成交人数"),
    _sig("抖店罗盘 直播间", "douyin", "spend", "直播间观看人数", "商品曝光人数", "商品点击人数", "成交人数",
         channel="douyin_live"),
    _sig("抖店罗盘 直播间", "douyin", "spend", "直播间观看人数", "成交人数", channel="douyin_live"),
    _sig("巨量千川 素材", "douyin", "spend", "整体消耗", "整体支付ROI", channel="douyin_ads"),
    _sig("巨量千川 素材", "douyin", "spend", "素材ID", "整体消耗", channel="douyin_ads"),
    _sig("小红书聚光 分日", "xiaohongshu", "spend", "消费", "展现量", "点击量", channel="xiaohongshu_ads"),
    _sig("阿里妈妈 万相台", "tmall", "spend", "花费", "展现量", "总成交金额", channel="tmall_ads"),
    _sig("阿里妈妈 万相台", "tmall", "spend", "计划ID", "花费", channel="tmall_ads"),
    _sig("拼多多 商品数据", "pdd", "traffic", "商品收藏用户数", "成交买家数"),
    _sig("拼多多 商品数据", "pdd", "traffic", "商品访客数", "成交买家数", "成交订单数"),
    _sig("蒲公英 笔记数据", "xiaohongshu", "posts", "笔记ID", "蒲公英金额", creator_type="kol"),
    _sig("蒲公英 笔记数据", "xiaohongshu", "posts", "笔记ID", "博主昵称", creator_type="kol"),
    _sig("蒲公英 笔记数据", "xiaohongshu", "posts", "笔记ID", "达人", creator_type="kol"),
)
"""Known exports, most specific first within a platform; one export may have several spellings.

Matching keys are case-folded. The 直播间 daily overview has no SKU column, so it loads into
``spend`` (投放消耗 → spend, channel ``douyin_live``); its sales figures stay extra columns.
"""

LOOKS_LIKE_CUTOFF = 0.8
"""Least ``difflib`` ratio for a header to count as a near-spelling of a signature header."""


def match_export(header_keys: Iterable[str]) -> ExportSignature | None:
    """The signature whose headers are all in ``header_keys`` (normalised, case-folded), or None.

    When several match, the one with the most headers wins (ties: the first listed).
    """
    keys = set(header_keys)
    best: ExportSignature | None = None
    for sig in EXPORT_SIGNATURES:
        if sig.headers <= keys and (best is None or len(sig.headers) > len(best.headers)):
            best = sig
    return best


@dataclass(frozen=True)
class NearExport:
    """A signature a header almost matches: its headers found, found under a near spelling, and absent."""

    signature: ExportSignature
    present: tuple[str, ...]
    near: dict[str, str]
    missing: tuple[str, ...]

    def describe(self) -> str:
        parts = [f"has {', '.join(self.present)}"] if self.present else []
        parts += [f"{got!r} instead of {want!r}" for want, got in self.near.items()]
        if self.missing:
            parts.append(f"lacks {', '.join(self.missing)}")
        return f"looks like a {self.signature.name} export ({'; '.join(parts)})"


def near_export(header_keys: Iterable[str]) -> NearExport | None:
    """The signature with the largest share of its headers present, exactly or under a near spelling
    (``difflib`` ratio ≥ LOOKS_LIKE_CUTOFF), when that share is at least half but the signature does
    not match. For messages only, never for loading."""
    keys = sorted({k for k in header_keys if k})
    best: tuple[float, NearExport] | None = None
    for sig in EXPORT_SIGNATURES:
        if sig.headers <= set(keys):
            continue
        present, near, missing = [], {}, []
        for h in sorted(sig.headers):
            close = difflib.get_close_matches(h, keys, n=1, cutoff=LOOKS_LIKE_CUTOFF)
            if h in keys:
                present.append(h)
            elif close:
                near[h] = close[0]
            else:
                missing.append(h)
        share = (len(present) + len(near)) / len(sig.headers)
        if share >= 0.5 and (best is None or share > best[0]):
            best = (share, NearExport(sig, tuple(present), near, tuple(missing)))
    return best[1] if best else None


_DIGITS = re.compile(r"(?<!\d)\d{9,20}(?!\d)")


def id_in_name(name: str) -> str | None:
    """The item id in an export's file name: the one run of 9–20 digits that is not a date or a
    timestamp (``…来源详情_612345678901_2024-11-01_2024-11-07.xls`` → ``612345678901``); None when
    there is none or more than one."""
    found = []
    for m in _DIGITS.finditer(name):
        run = m.group()
        try:
            dt.datetime.strptime(run[:8], "%Y%m%d")
            if run.startswith(("19", "20")):
                continue  # 20241108153000: a timestamp
        except ValueError:
            pass
        found.append(run)
    return found[0] if len(found) == 1 else None
