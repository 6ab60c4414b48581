"""Chinese phrase banks for the twin's review and post text (data only, no logic).

``voice.py`` and ``spread.py`` draw indices into these tuples with NumPy and join the picked
pieces with Arrow, so every bank is a plain tuple of strings. A clause is built as
``term + middle + word + tail``; which banks fill ``middle`` and ``word`` depends on the
clause's template (see ``voice.TEMPLATES``), and the template fixes the clause's polarity:

- ``+1``: term + intensifier + positive word (拍照非常清晰); term + negator + negatable negative
  word (性能一点也不卡); term + 没有 + problem noun (系统没有广告); term + colloquial praise (拍照绝了).
- ``-1``: term + intensifier + negative word (续航太差了); term + 不太/不够 + positive word
  (续航不太给力); term + problem noun + heaviness (发热严重); term + colloquial complaint (拉胯).
- ``0``: term + neutral word (屏幕中规中矩).

Words were chosen so that every intensifier reads naturally before every word of its bank, and
every negator before every word of the negatable bank; value-for-money words (性价比, 划算,
便宜, 物超所值, 良心价) appear only in ``VALUE_*`` phrases and premium words (旗舰, 高端, 档次,
高级感) only in ``PREMIUM_*`` phrases, so framing labels are unambiguous in the text.
"""

from __future__ import annotations

ASPECTS: tuple[str, ...] = ("camera", "performance", "system", "battery", "design", "screen", "price", "service")

BRANDS: tuple[str, ...] = ("Xiaomi", "Redmi", "Huawei", "Apple", "OPPO", "vivo", "Honor")

BRAND_ZH: dict[str, str] = {
    "Xiaomi": "小米", "Redmi": "红米", "Huawei": "华为", "Apple": "苹果", "OPPO": "OPPO", "vivo": "vivo",
    "Honor": "荣耀",
}

# ---------------------------------------------------------------- aspect terms
ASPECT_TERMS: dict[str, tuple[str, ...]] = {
    "camera": ("拍照", "相机", "影像", "镜头", "夜景", "拍照效果", "人像", "长焦", "拍视频", "成像"),
    "performance": ("性能", "运行", "打游戏", "玩游戏", "处理器", "芯片", "王者荣耀", "原神", "运行速度", "多开"),
    "system": ("系统", "软件", "界面", "系统体验", "系统更新", "动画"),
    "battery": ("电池", "续航", "充电", "快充", "电量", "待机"),
    "design": ("外观", "颜值", "手感", "做工", "设计", "配色", "机身", "外形"),
    "screen": ("屏幕", "显示", "显示效果", "屏幕素质", "直屏", "曲面屏", "高刷"),
    "price": ("价格", "定价", "售价", "价钱"),
    "service": ("客服", "物流", "快递", "售后", "发货", "包装"),
}

# brand-specific terms that join the generic ones (associations a text model can discover)
BRAND_TERMS: dict[str, dict[str, tuple[str, ...]]] = {
    "camera": {"Xiaomi": ("徕卡影像", "徕卡"), "Huawei": ("XMAGE影像",), "OPPO": ("哈苏影像",), "vivo": ("蔡司镜头",)},
    "system": {
        "Xiaomi": ("澎湃OS", "HyperOS", "澎湃OS"), "Redmi": ("澎湃OS", "HyperOS"),
        "Huawei": ("鸿蒙", "鸿蒙系统", "纯血鸿蒙"),
        "Apple": ("iOS", "iOS18"), "OPPO": ("ColorOS",), "vivo": ("OriginOS",), "Honor": ("MagicOS",),
    },
    "performance": {"Xiaomi": ("骁龙8至尊版",), "Huawei": ("麒麟芯片",), "Apple": ("A18",)},
}

# ---------------------------------------------------------------- opinion words
POS_WORDS: dict[str, tuple[str, ...]] = {
    "camera": ("清晰", "好", "出色", "惊艳", "给力", "细腻", "强"),
    "performance": ("流畅", "强", "顺滑", "给力", "稳", "快"),
    "system": ("流畅", "好用", "简洁", "稳定", "丝滑", "顺手"),
    "battery": ("给力", "持久", "耐用", "够用", "强"),
    "design": ("好看", "漂亮", "精致", "舒服", "轻薄", "耐看"),
    "screen": ("清晰", "细腻", "好", "亮", "舒服", "护眼"),
    "price": ("合理", "公道", "能接受", "实在"),
    "service": ("好", "快", "及时", "专业", "耐心", "贴心", "周到"),
}

NEG_WORDS: dict[str, tuple[str, ...]] = {
    "camera": ("差", "糊", "偏色", "假"),
    "performance": ("卡", "差", "弱", "烫", "慢"),
    "system": ("卡", "难用", "臃肿", "烦人", "差"),
    "battery": ("差", "短", "慢", "虚"),
    "design": ("丑", "廉价", "笨重", "厚重", "硌手"),
    "screen": ("差", "暗", "刺眼", "伤眼"),
    "price": ("贵", "高", "离谱", "偏高"),
    "service": ("差", "慢", "敷衍", "拖沓"),
}

# negative words that read naturally after 不 / 一点也不 / 完全不 / 并不 / 一点都不 (→ positive)
NEGATABLE_WORDS: dict[str, tuple[str, ...]] = {
    "camera": ("糊", "偏色", "差"),
    "performance": ("卡", "烫", "卡顿", "发热"),
    "system": ("卡", "臃肿", "卡顿"),
    "battery": ("差", "短", "慢"),
    "design": ("丑", "笨重", "廉价", "厚"),
    "screen": ("刺眼", "伤眼", "暗", "差"),
    "price": ("贵",),
    "service": ("慢", "敷衍", "差"),
}

# problem nouns: "term + 没有 + noun" is positive, "term + noun + 严重" is negative
PROBLEM_NOUNS: dict[str, tuple[str, ...]] = {
    "camera": ("噪点", "紫边", "拖影"),
    "performance": ("卡顿", "发热", "掉帧"),
    "system": ("广告", "bug", "卡顿", "弹窗"),
    "battery": (),
    "design": ("瑕疵", "缝隙"),
    "screen": ("漏光", "频闪", "拖影"),
    "price": (),
    "service": ("问题",),
}

INTENSIFIERS_POS: tuple[str, ...] = ("很", "非常", "特别", "超级", "真的", "挺", "相当", "超", "十分", "")
INTENSIFIERS_NEG: tuple[str, ...] = ("很", "太", "有点", "特别", "非常", "真的", "超级", "")
INTENSIFIER_TAIL_LE = "太"  # 太 takes a trailing 了: 续航太差了

NEGATORS_OF_NEG: tuple[str, ...] = ("不", "一点也不", "完全不", "并不", "一点都不")  # + negative word → positive
NEGATORS_OF_POS: tuple[str, ...] = ("不太", "不够", "不是很", "没那么", "不怎么")  # + positive word → negative
NOUN_ABSENT: tuple[str, ...] = ("没有", "几乎没有", "完全没有", "没什么", "基本没有")  # + problem noun → positive
NOUN_HEAVY: tuple[str, ...] = ("严重", "太多", "明显", "有点多", "很多", "比较明显")  # problem noun + → negative

COLLOQ_POS: tuple[str, ...] = ("yyds", "绝了", "真香", "无敌", "没得说", "牛")
COLLOQ_NEG: tuple[str, ...] = ("拉胯", "一言难尽", "无语", "翻车了")

NEUTRAL_WORDS: tuple[str, ...] = ("一般", "还行", "中规中矩", "马马虎虎", "凑合", "普普通通", "还可以吧")

CLAUSE_PREFIX: tuple[str, ...] = ("", "", "", "", "", "感觉", "个人觉得", "说实话", "这个手机", "整体来说")

# ---------------------------------------------------------------- framing (price aspect / whole review)
VALUE_POS: tuple[str, ...] = (
    *(f"性价比{i}高" for i in ("很", "非常", "超", "真的", "特别", "")),
    *(f"{i}划算" for i in ("很", "非常", "超级", "真的", "挺")),
    "物超所值", "这个价位真的值", "便宜又好用", "价格便宜量又足", "良心价", "同价位无敌", "买得很值",
)
VALUE_NEG: tuple[str, ...] = (
    "性价比不高", "性价比太低了", "不太划算", "不值这个价", "一点也不划算", "这个价买不值", "性价比很差",
    "不便宜还不好用",
)
PREMIUM_POS: tuple[str, ...] = (
    "旗舰体验拉满", "高端大气上档次", "很有档次", "高级感拉满", "拿在手里很有面子", "不愧是旗舰", "对得起旗舰的定位",
    "高端机的感觉", "很有旗舰范儿", "品牌有面子",
)
PREMIUM_NEG: tuple[str, ...] = (
    "没有一点旗舰的样子", "配不上高端的定位", "档次感不够", "高端体验谈不上", "不像旗舰机", "撑不起这个高端定位",
)

# ---------------------------------------------------------------- whole-review pieces
OVERALL_POS: tuple[str, ...] = (
    "总体很满意", "推荐购买", "真香", "yyds", "绝了", "五星好评", "很满意", "会回购", "好评",
)
OVERALL_NEG: tuple[str, ...] = ("后悔买了", "很失望", "拉胯", "无语", "差评", "不推荐", "踩雷了", "很后悔")
OVERALL_NEU: tuple[str, ...] = ("总体还行吧", "中规中矩吧", "凑合用", "一般般吧")

SHORT_POS: tuple[str, ...] = ("好评", "不错", "满意", "很好", "好用", "五星", "赞👍", "挺好的", "非常好", "很满意！")
SHORT_NEU: tuple[str, ...] = ("还行", "一般般", "凑合", "还可以", "一般", "中规中矩")
SHORT_NEG: tuple[str, ...] = ("差评", "不好用", "垃圾", "很失望", "后悔", "差")

OPENERS: tuple[str, ...] = (
    "", "", "", "", "收到了，", "用了几天，", "到手一周，", "换机了，", "帮家里人买的，",
    "活动入手的，", "第二次买了，",
    "开箱了，", "等了几天终于到了，", "用了三天，",
)
FOLLOWUP_OPENERS: tuple[str, ...] = (
    "追评：", "追加评价：", "用了一个月了，", "用了两个月，", "半个月后追评，", "用了一段时间，",
)

SEPARATORS: tuple[str, ...] = ("，", "，", "，", "，", "。", "！", "；", " ", "，", "、")
ENDINGS: tuple[str, ...] = ("", "", "。", "！", "～", "!!", "。。。")

CONTRAST_POS_TO_NEG: tuple[str, ...] = ("但是", "不过", "就是", "可惜", "只是")
CONTRAST_NEG_TO_POS: tuple[str, ...] = ("但是", "不过", "好在", "还好")

EMOJI_POS: tuple[str, ...] = ("👍", "😍", "🔥", "🥰", "💯", "👍👍")
EMOJI_NEG: tuple[str, ...] = ("😡", "👎", "😤", "💢", "😅")
EMOJI_NEU: tuple[str, ...] = ("🤔", "😐")

# ---------------------------------------------------------------- post captions
POST_TITLES: dict[str, tuple[str, ...]] = {
    "short_video": ("{m}上手体验：", "{m}深度测评｜", "一分钟看懂{m}：", "{m}开箱！", "{m}用了一个月，"),
    "note": ("{m}真实使用感受｜", "入手{m}一周，", "{m}到底怎么样？", "姐妹们！{m}", "{m}种草笔记："),
    "livestream": ("{m}直播间限时福利！", "今晚直播：{m}", "{m}专场直播，", "直播间秒杀{m}，"),
    "article": ("{m}评测：", "{m}全面解析，", "{m}长期使用报告：", "关于{m}，"),
}
POST_ENDINGS: tuple[str, ...] = ("", "！", "。", "～", "🔥", "👇", "❤️")

TOPICS_BRAND: dict[str, tuple[str, ...]] = {
    "Xiaomi": ("小米徕卡影像", "澎湃OS", "小米手机", "雷军"),
    "Redmi": ("红米", "RedmiK80", "Redmi性价比"),
    "Huawei": ("华为Mate70", "鸿蒙", "纯血鸿蒙", "华为手机"),
    "Apple": ("iPhone16", "iOS18", "苹果手机"),
    "OPPO": ("OPPO影像", "ColorOS", "FindX8"),
    "vivo": ("vivo影像", "X200", "OriginOS"),
    "Honor": ("荣耀Magic7", "MagicOS", "荣耀手机"),
}
TOPICS_VALUE: tuple[str, ...] = ("性价比", "真香", "学生党手机", "千元机推荐")
TOPICS_PREMIUM: tuple[str, ...] = ("高端旗舰", "旗舰体验", "影像旗舰", "商务手机")
TOPICS_GENERAL: tuple[str, ...] = ("手机测评", "数码", "开箱", "好物分享", "618", "双11")
