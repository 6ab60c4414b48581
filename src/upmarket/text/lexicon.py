"""The opinion lexicon and clause helpers shared by several analyses: aspects, their terms, clause splitting,
term matching and the keyword polarity rule (voice scores reviews with them; segments' perceptual map and message
themes count them; demand's review WTP names the aspects).

A review is cut into clauses at punctuation and before contrast words (但是, 不过, 可是, 然而, 就是, 只是), so
"拍照很好，但是发热严重" yields a positive camera opinion and a negative performance one. Terms are matched per
clause with RE2 (``pyarrow.compute``, one C pass per group over all clauses); the lexicon's negation scope
(不/没有/一点也不/并不 … before the opinion word flips it) is explicit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ASPECTS: tuple[str, ...] = ("camera", "performance", "system", "battery", "design", "screen", "price", "service")

ASPECT_TERMS: dict[str, tuple[str, ...]] = {
    "camera": ("拍照", "拍摄", "相机", "摄像", "镜头", "影像", "徕卡", "哈苏", "蔡司", "夜景", "长焦", "主摄", "像素",
               "成像", "照片", "画质", "录像", "自拍", "变焦", "人像", "拍的", "拍出", "拍视频", "xmage",
               # reviewed additions from the corpora's TRAIN side (docs/voice.md, "Aspect terms"):
               "对焦", "合焦", "焦点", "噪点", "白平衡", "微距", "照相", "防抖", "光圈", "暗光", "虚化", "取景",
               "快门", "高感", "暗部"),
    "performance": ("性能", "速度", "处理器", "芯片", "骁龙", "天玑", "麒麟",
                    "发热", "发烫", "烫手", "散热", "温度", "游戏", "帧率", "运行", "信号", "网速", "内存",
                    "王者荣耀", "原神", "多开", "掉帧", "降频", "过热", "网络", "5g", "wifi",
                    "配置", "反应", "硬盘", "存储", "通话", "cpu", "gpu", "显卡", "风扇", "卡顿"),
    "system": ("系统", "澎湃", "hyperos", "miui", "鸿蒙", "harmonyos", "ios", "coloros", "originos", "magicos",
               "广告", "软件", "更新", "升级", "bug", "界面", "应用", "app", "功能", "闪退", "推送", "预装", "动画",
               "弹窗", "菜单", "指纹", "人脸识别", "面部识别", "识别率", "解锁", "输入法", "ui", "兼容", "浏览器",
               "程序", "windows", "win10", "win11", "死机", "重启", "卡死", "自动关机"),
    "battery": ("电池", "续航", "电量", "充电", "快充", "掉电", "耗电", "待机", "mah", "毫安", "充满", "没电",
                "一天一充", "一天两充", "充一晚"),
    "design": ("外观", "颜值", "手感", "设计", "做工", "重量", "轻薄", "机身", "颜色", "配色", "后盖", "边框",
               "材质", "厚度", "握持", "按键", "造型", "外形",
               "键盘", "体积", "质感", "小巧", "尺寸", "工艺", "外型", "外壳", "时尚", "大小", "简约", "美观",
               "便携"),
    "screen": ("屏幕", "屏", "显示", "分辨率", "刷新率", "亮度", "萤幕", "护眼", "曲面", "直屏", "色彩", "高刷",
               "画面", "可视角度", "视角", "触屏", "触摸", "漏光", "绿线", "烧屏", "闪屏"),
    "price": ("价格", "价钱", "性价比", "便宜", "贵", "划算", "实惠", "优惠", "降价", "价位", "售价", "国补", "补贴",
              "物超所值", "超值", "良心价", "溢价", "多少钱", "块钱", "定价", "保价"),
    "service": ("客服", "售后", "物流", "快递", "发货", "送货", "包装", "服务", "京东", "退货", "换货", "退款", "店家",
                "卖家", "商家", "保修", "维修", "态度", "配送", "送到", "到货", "购物体验"),
}
"""Aspect terms, simplified Chinese, lower case (the normaliser's output)."""

POSITIVE = ("好", "不错", "棒", "满意", "喜欢", "流畅", "清晰", "漂亮", "好看", "很快", "超快", "挺快", "真快",
            "特别快", "非常快", "强", "稳定", "给力", "惊艳", "优秀",
            "出色", "完美", "舒服", "细腻", "耐用", "持久", "值", "划算", "实惠", "便宜", "赞", "爽", "靠谱", "省电",
            "顺滑",
            "精致", "高级", "轻", "薄", "够用", "方便", "及时", "热情", "耐心", "专业", "推荐", "很顶", "牛",
            "合理", "公道", "实在", "能接受", "顺手", "丝滑", "简洁", "耐看", "亮", "贴心", "周到", "稳", "无敌",
            "绝了",
            "真香", "yyds", "没得说", "没话说", "没的说", "护眼", "丰富", "突出", "人性化", "友好", "充足")
NEGATIVE = ("差", "烂", "卡", "慢", "发热", "发烫", "烫", "失望", "垃圾", "问题", "毛病", "坑", "贵", "广告", "耗电",
            "掉电", "模糊", "不稳", "断流", "闪退", "死机", "重", "厚", "粗糙", "难看", "糟糕", "后悔", "退货",
            "不行", "不好", "不满意", "麻烦", "敷衍", "慢", "坏", "故障", "划痕", "噪点", "偏色", "严重", "无语",
            "难用",
            "吐槽", "缺点", "生气", "骗", "弱", "丑", "硌手", "短", "虚", "臃肿", "糊", "偏色", "假", "暗",
            "刺眼", "伤眼", "离谱", "偏高", "笨重", "廉价", "拖沓", "拉胯", "翻车", "一言难尽", "难用", "烦人", "卡顿",
            "掉帧", "拖影", "漏光", "频闪", "噪点", "紫边", "瑕疵", "缝隙", "弹窗", "绿线", "烧屏", "闪屏", "没电",
            "降频", "过热", "卡死", "一天两充", "自动关机", "自动重启", "迟钝", "弱智", "黑屏", "可怕",
            "肥大")
NEUTRAL = ("一般", "还行", "中规中矩", "马马虎虎", "凑合", "普普通通", "还可以", "一般般", "还好吧", "不算差", "不算好",
           "谈不上", "说不上", "没什么特别", "不好不坏")
NOT_OPINION = ("徕卡", "双卡", "卡槽", "sim卡", "手机卡", "内存卡", "存储卡", "储存卡", "电话卡", "卡托", "插卡",
               "tf卡", "sd卡", "信用卡", "卡片机", "亮度", "勉强", "差不多", "短信", "短视频", "好像", "只好", "好几",
               "重新", "重要", "颜值", "价值", "数值", "充值")
"""Words that contain an opinion character but state no opinion (徕卡 is not 卡, 亮度太低 is not 亮, 颜值很丑 is
not 值, 短信 is not 短): masked before the lexicon counts."""
_QUOTE = "[\"“”'‘’「」『』]"
_SARCASM = f"{_QUOTE}(?:真|很|好)?(?:{'|'.join(POSITIVE)}){_QUOTE}"
"""A positive word in quotes (真是"好"手机) is sarcasm: it counts negative."""
_PRICE_WORDS = ("价格", "价钱", "定价", "售价", "价位")
_PRICE_HIGH = f"(?:{'|'.join(_PRICE_WORDS)})[^，。！？,.!?不没]{{0,4}}(?:高|贵)"
_VALUE_WORD = "性价比"
_VALUE_HIGH = f"{_VALUE_WORD}[^，。！？,.!?不]{{0,3}}高"
_VALUE_LOW = "性价比(?:[^，。！？,.!?]{0,3}不(?:是很|太|算|怎么)?高|[^，。！？,.!?不]{0,3}低)"
"""性价比不高 / 性价比太低 is a complaint (no opinion word in it; the model reads the praise word 性价比): on the
corpora's TRAIN side 115 of 149 reviews holding it are negative, against 18 of 749 holding 性价比…高."""
_DEGREE_HAO = ("(?:^|[^还不])好(?:" + "|".join(re.escape(t) for t in sorted(
    (w for w in NEGATIVE if not w.startswith("不") and w != "坏"), key=len, reverse=True)) + ")")
"""好 right before a complaint word is a degree adverb (好慢, 好卡, 好失望 = very slow …), not praise: on the corpora's
TRAIN side 200 of 240 reviews holding it are negative. 好不好, 好坏 and 还好 are left alone."""
NEGATORS = ("不", "没", "没有", "无", "并不", "一点也不", "一点都不", "毫不", "不太", "不是很", "不怎么", "谈不上",
             "没那么", "不够", "完全不", "几乎没有", "完全没有", "没什么", "基本没有", "无法")
CONTRAST = ("但是", "不过", "可是", "然而", "就是", "只是", "但", "可惜")
_NEGATED_COMPLAINT = ("(?:" + "|".join(re.escape(t) for t in sorted(NEGATORS, key=len, reverse=True))
                      + ")(?:太|很|算|怎么|是很)?(?:"
                      + "|".join(re.escape(t) for t in sorted(NEGATIVE, key=len, reverse=True)) + ")")
_CONTRAST_RE = "(" + "|".join(sorted(CONTRAST, key=len, reverse=True)) + ")"
_CLAUSE_RE = "[，。！？；、,.!?;~\n\r \x1f]+"


@dataclass
class Clauses:
    """All clauses of a batch: the text of each and the index of its review."""

    text: list[str]
    review: np.ndarray


def _split(texts: list[str]) -> tuple[pa.Array, np.ndarray]:
    """The batch's non-empty clauses (one arrow array) and the index of each clause's text."""
    arr = pa.array(texts, type=pa.large_string())
    marked = pc.replace_substring_regex(arr, _CONTRAST_RE, "\x1f\\1")
    lists = pc.split_pattern_regex(marked, _CLAUSE_RE)
    flat = pc.list_flatten(lists)
    parent = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    keep = pc.greater(pc.utf8_length(flat), 0)
    return pc.filter(flat, keep), parent[keep.to_numpy(zero_copy_only=False)].astype(np.int64)


def split_clauses(texts: list[str]) -> Clauses:
    """Cut each normalised text at punctuation and before contrast words; empty pieces dropped.

    Two RE2 passes over the whole batch (mark contrast words, split at marks and punctuation), so
    the cost is C-speed whatever the number of texts.
    """
    flat, parent = _split(texts)
    return Clauses(flat.to_pylist(), parent)


def distinct_clauses(texts: list[str]) -> tuple[Clauses, list[str], np.ndarray]:
    """:func:`split_clauses` plus its distinct clauses and, per clause, the index of its distinct clause.

    Real reviews repeat clauses (物流很快, 还不错): matching and scoring each distinct one once and broadcasting
    is cheaper, and the distinct values are found by arrow's hash table in C.
    """
    flat, parent = _split(texts)
    uniq, inv = distinct_values(flat)
    return Clauses(np.asarray(uniq, dtype=object)[inv].tolist(), parent), uniq, inv


def distinct_values(values: list[str] | pa.Array) -> tuple[list[str], np.ndarray]:
    """The distinct values (in first-seen order) and, per value, the index of its distinct value (arrow's hash
    table in C). Every per-text and per-clause step of the voice pipeline is a function of the string alone, so
    it runs once per distinct string and is broadcast back: real exports repeat texts (好评, default reviews)
    and, far more, clauses (物流很快, 还不错)."""
    arr = values if isinstance(values, pa.Array) else pa.array(values, type=pa.large_string())
    enc = pc.dictionary_encode(arr)
    return enc.dictionary.to_pylist(), enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)


def _alternation(terms: tuple[str, ...]) -> str:
    return "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))


def match_matrix(clauses: list[str], groups: dict[str, tuple[str, ...]]) -> np.ndarray:
    """Boolean (clause × group): does the clause contain any term of the group (RE2, vectorised).

    One pass for any term of any group, then one pass per group over the clauses that matched: an RE2 call
    costs about as much per clause as per character, and most clauses (about 4 in 5 of real ones) name no term.
    """
    out = np.zeros((len(clauses), len(groups)), bool)
    if not clauses or not groups:
        return out
    arr = pa.array(clauses, type=pa.large_string())
    if all(groups.values()):  # an empty group matches every clause: no filter then
        any_term = pc.match_substring_regex(arr, _alternation(tuple({t for g in groups.values() for t in g})))
        rows = np.flatnonzero(any_term.to_numpy(zero_copy_only=False))
        arr = pc.filter(arr, any_term)
    else:
        rows = np.arange(len(clauses))
    if rows.size:
        for j, terms in enumerate(groups.values()):
            out[rows, j] = pc.match_substring_regex(arr, _alternation(terms)).to_numpy(zero_copy_only=False)
    return out


def _lexicon_score(clauses: pa.Array) -> np.ndarray:
    """The keyword rule's raw score per clause (its sign is :func:`lexicon_polarity`)."""
    arr = pc.replace_substring_regex(clauses, _alternation(NOT_OPINION), "#")
    neg = _alternation(NEGATORS)
    pos_n = pc.count_substring_regex(arr, _alternation(POSITIVE)).to_numpy(zero_copy_only=False)
    neg_n = pc.count_substring_regex(arr, _alternation(NEGATIVE)).to_numpy(zero_copy_only=False)
    negated_pos = pc.count_substring_regex(arr, f"(?:{neg})(?:太|很|够|算|怎么|是很)?(?:{_alternation(POSITIVE)})")
    negated_neg = pc.count_substring_regex(arr, f"(?:{neg})(?:太|很|算|怎么|是很)?(?:{_alternation(NEGATIVE)})")
    npos = negated_pos.to_numpy(zero_copy_only=False)
    nneg = negated_neg.to_numpy(zero_copy_only=False)
    # A negated positive counts negative, a negated negative (不卡, 没有问题) counts positive.
    score = (pos_n - npos) - (neg_n - nneg) - npos + nneg
    score -= 2 * pc.count_substring_regex(arr, _PRICE_HIGH).to_numpy(zero_copy_only=False)
    score -= 2 * pc.count_substring_regex(arr, _SARCASM).to_numpy(zero_copy_only=False)
    # "卡顿也很顶": 顶 after a complaint intensifies it (拍照很顶 alone is praise)
    score -= 2 * pc.count_substring_regex(arr, f"(?:{_alternation(NEGATIVE)})[^，。！？,.!?]{{0,3}}很?顶").to_numpy(
        zero_copy_only=False)
    score += 2 * pc.count_substring_regex(arr, _VALUE_HIGH).to_numpy(zero_copy_only=False)
    score -= 2 * pc.count_substring_regex(arr, _VALUE_LOW).to_numpy(zero_copy_only=False)
    score -= pc.count_substring_regex(arr, _DEGREE_HAO).to_numpy(zero_copy_only=False)  # 好慢: only 慢 counts
    # "不好" / "不行" / "不满意" are whole negative words already: don't also count them as negated positives.
    return score


_LEXICON_ANCHORS = tuple(sorted({*POSITIVE, *NEGATIVE, *_PRICE_WORDS, _VALUE_WORD}))
"""Every rule of :func:`_lexicon_score` needs one of these words in the clause (a positive or negative word, a
price word for 价格高, 性价比 for 性价比高); masking NOT_OPINION words with "#" only removes matches."""


def lexicon_polarity(clauses: list[str]) -> np.ndarray:
    """Keyword rules: (+1 per positive word, −1 per negative word), flipped by a negator right before it.

    This is also the *keyword-rule baseline* of the evaluation. The nine rule passes run only on the clauses
    holding a word of :data:`_LEXICON_ANCHORS` (about 3 in 10 real clauses); the others score 0.
    """
    return np.sign(lexicon_score(clauses)).astype(np.int8)


def lexicon_score(clauses: list[str]) -> np.ndarray:
    """The keyword rules' score per clause before its sign: a word counts ±1, an explicit rule (价格高, 卡顿也很顶,
    性价比低, a quoted "好") ±2, so a caller can weigh a rule above a single word."""
    out = np.zeros(len(clauses), np.int64)
    if not clauses:
        return out
    arr = pa.array(clauses, type=pa.large_string())
    anchored = pc.match_substring_regex(arr, _alternation(_LEXICON_ANCHORS))
    rows = np.flatnonzero(anchored.to_numpy(zero_copy_only=False))
    if rows.size:
        out[rows] = _lexicon_score(pc.filter(arr, anchored))
    return out


def negated_complaints_as_praise(texts: list[str]) -> list[str]:
    """The texts with every negated complaint (一点都不烫, 没有拖影, 并不慢) written as 好, for the whole-text model.

    A char n-gram model learns 不/没有 and 烫/拖影 as complaint features, so it reads 一点都不烫 as negative
    (P 0.07 with the shipped model); the lexicon already reads it as praise. On the corpora's TRAIN side
    (1,500 reviews per corpus) the rewrite moved mean label accuracy 0.8393 → 0.8402 (6 of 10 corpora up,
    2 down by ≤ 0.001), so it is kept for real text too. Negated praise (不太流畅) is left as it is.
    """
    if not texts:
        return texts
    arr = pc.replace_substring_regex(pa.array(texts, type=pa.large_string()), _NEGATED_COMPLAINT, "好")
    return arr.to_pylist()


def neutral_mask(clauses: list[str]) -> np.ndarray:
    """Clauses whose opinion word is a lukewarm one (一般, 还行, 凑合 …)."""
    arr = pa.array(clauses, type=pa.large_string())
    return pc.match_substring_regex(arr, _alternation(NEUTRAL)).to_numpy(zero_copy_only=False)
