"""Chinese labels for the codes promotion language names (aspects, tiers, platforms), so its copy is Chinese.

Channel codes in findings are labelled by the report (``report.i18n``), not here."""

from __future__ import annotations

ASPECT_ZH = {"camera": "影像", "performance": "性能", "system": "系统", "battery": "续航", "design": "外观设计",
             "screen": "屏幕", "price": "价格", "service": "售后服务"}
TIER_ZH = {"tier1": "一线城市", "new_tier1": "新一线城市", "tier2": "二线城市", "tier3": "三线城市",
           "tier4": "四线城市", "tier5": "五线及以下城市", "all": "全部城市"}
TIER_EN = {"tier1": "tier-one cities", "new_tier1": "new tier-one cities", "tier2": "tier-two cities",
           "tier3": "tier-three cities", "tier4": "tier-four cities", "tier5": "tier-five and smaller cities",
           "all": "all cities"}
PLATFORM_ZH = {"jd": "京东", "tmall": "天猫", "mistore": "官方商城", "douyin": "抖音", "xiaohongshu": "小红书",
               "pdd": "拼多多", "kuaishou": "快手", "weibo": "微博", "bilibili": "哔哩哔哩", "offline": "线下门店",
               "all": "全渠道"}
EQUITY_ZH = {"awareness": "知名度", "associations": "品牌联想", "perceived_quality": "感知质量", "loyalty": "忠诚度"}


def zh(mapping: dict[str, str], code: str) -> str:
    """The Chinese label of a code, the code itself when unknown (brand names stay as they are)."""
    return mapping.get(code, code)


def tier_en(code: str) -> str:
    return TIER_EN.get(code, code)
