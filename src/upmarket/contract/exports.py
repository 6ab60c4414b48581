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

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExportSignature:
    """A known export: all of ``headers`` present ⇒ the file comes from ``platform``.

    ``constants`` are column values the export implies for rows of ``table`` (蒲公英 notes are
    all paid creator posts: ``creator_type = kol``); they apply only when the file loads into
    ``table`` and has no such column.
    """

    name: str
    platform: str
    table: str
    headers: frozenset[str]
    constants: dict[str, str] = field(default_factory=dict)


def _sig(name: str, platform: str, table: str, *headers: str, **constants: str) -> ExportSignature:
    return ExportSignature(name, platform, table, frozenset(h.casefold() for h in headers), constants)


EXPORT_SIGNATURES: tuple[ExportSignature, ...] = (
    _sig("生意参谋 商品", "tmall", "traffic", "商品访客数", "支付买家数", "商品收藏人数"),
    _sig("生意参谋 商品来源", "tmall", "traffic", "一级来源", "二级来源", "支付买家数"),
    _sig("京东商智 商品明细", "jd", "traffic", "SKU", "商品访客数", "成交客户数"),
    _sig("京东商智 自营商品明细", "jd", "traffic", "SKU", "成交人数", "成交商品件数"),
    _sig("抖店罗盘 商品", "douyin", "traffic", "商品曝光人数", "商品点击人数", "成交人数"),
    _sig("抖店罗盘 直播间", "douyin", "traffic", "直播间观看人数", "成交人数"),
    _sig("巨量千川 素材", "douyin", "spend", "整体消耗", "整体支付ROI"),
    _sig("拼多多 商品数据", "pdd", "traffic", "商品收藏用户数", "成交买家数"),
    _sig("蒲公英 笔记数据", "xiaohongshu", "posts", "笔记ID", "蒲公英金额", creator_type="kol"),
    _sig("蒲公英 笔记数据", "xiaohongshu", "posts", "笔记ID", "博主昵称", creator_type="kol"),
)
"""Known exports, most specific first within a platform. Matching keys are case-folded."""


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
