"""Value-for-money versus premium framing: what a review argues *from*, not whether it is positive.

"性价比很高" and "性价比不高" both argue from value; "做工有质感" and "旗舰体验一般" both argue from
premium quality. A review is *framed* when it uses either vocabulary; it is value-framed when
its value terms outnumber its premium terms (ties count as premium: a review weighing both is
not "just cheap"). ``value_framing`` of a brand = value-framed reviews / framed reviews — the
measurable form of the 性价比 label lock-in. Terms are RE2 patterns (most are plain phrases), counted in one pass.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

VALUE_TERMS: tuple[str, ...] = ("性价比", "便宜", "划算", "实惠", "超值", "物超所值", "良心价", "值得买", "值这个价",
                                "价格亲民", "低价", "千元机", "值了", "很值", "不值", "真的值", "不贵", "省钱",
                                "同价位无敌", "量又足",
                                # real-review phrasings (hand-labelled sample, docs/voice.md "Value framing"):
                                "价廉物美", "物美价廉", "对[得的]起(?:这个?|这样的)?价", "这个价格", "这个价钱",
                                "这样的价格",
                                "这个价位", "同价位", "同价格", "同等价位", "有点贵", "太贵",
                                # second hand-labelled sample (docs/voice.md "Value framing"): price against what
                                # you get. A bare price verdict (价格还行, 定价太贵) is the price aspect, not a frame.
                                "一分钱一分货", "一分价钱一分货", "一文价钱一文货", "买亏", "买的亏",
                                # third sample: 毕竟价格在那 / 价钱在这了 / 价格在那里摆着 (given the price), not
                                # 价格在这个区间
                                r"(?:价格|价钱|价位)摆?在(?:这|那|哪)(?:[里儿呢的了啊嘛摆]|[^\p{Han}]|$)",
                                # the same phrasings spelt shorter, found in the unlabelled pool (对得起价钱, 这价钱
                                # 买到这种配置, 可满足在此价位购机者的需求), and 物有所值
                                "这价[格钱位]", "此价位", "该价位", "物有所值")
PREMIUM_TERMS: tuple[str, ...] = ("高端", "旗舰", "质感", "高级感", "奢华", "档次", "顶级", "有面子", "大师级",
                                  "影像旗舰", "做工精湛", "旗舰体验",
                                  # second hand-labelled sample: the brand's standing as the argument
                                  "大品牌", "大牌", "名牌", "国际品牌", "品牌的保证", "品牌保证", "大气",
                                  # third sample: upscale looks, and the brand's name trusted or damaged
                                  "高大上", "高档", "老牌子", "老品牌", "(?:品牌|牌子)(?:值得|可以)?信赖",
                                  "信赖的(?:品牌|牌子)", "信得过的(?:品牌|牌子)", "(?:品牌|牌子)信得过",
                                  "自毁(?:品牌|招牌)", "砸(?:了)?(?:自己的)?(?:牌子|招牌)",
                                  # the brand's pull (unlabelled pool): 品牌效应, 牌子货, 对得起联想这个牌子. Not
                                  # 冲着/奔着…品牌 (bought for the brand): it tipped 奔着华为的品牌，还是华为性价比高
                                  # (second sample, value) to premium and found nothing the lists miss
                                  "品牌效应", "品牌价值", "牌子货",
                                  "对[得的]起[^，。！,.!价]{0,6}(?:品牌|牌子)")
"""Premium claims, not aspect nouns: bare 影像/做工/体验 name an aspect (camera, design, system) and
are counted there; only phrases that claim premium standing (旗舰, 高端, 质感, 档次 …) frame a review."""


NOT_FRAMING = ("保值",)
"""Masked before counting: 不保值 (a price drop after purchase) is no 值了."""


def _count(arr: pa.Array, terms: tuple[str, ...]) -> np.ndarray:
    pattern = "|".join(sorted(terms, key=len, reverse=True))
    return pc.count_substring_regex(arr, pattern).to_numpy(zero_copy_only=False).astype(np.int64)


def framing(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per normalised text: value-term count, premium-term count, frame (1 value, 0 premium, NaN none)."""
    arr = pc.replace_substring_regex(pa.array(texts, type=pa.large_string()), "|".join(NOT_FRAMING), "#")
    v = _count(arr, VALUE_TERMS)
    p = _count(arr, PREMIUM_TERMS)
    frame = np.where(v + p == 0, np.nan, (v > p).astype(float))
    return v, p, frame
