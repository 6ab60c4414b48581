"""The decision layer: findings cite every number they show, suppress with a reason, obey the belief rules, and
the dilemma verdicts follow the evidence (synthetic contract-shaped figures; no twin import)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from upmarket.report.i18n import code
from upmarket.strategy import build_strategy
from upmarket.strategy.belief import compare, rivals, tiers, trend_periods
from upmarket.strategy.finding import lookup, uncited_numbers

ASPECTS = ("camera", "performance", "system", "battery")


def _voice(pos: dict[str, float], framing: float, n: int = 200, width: float = 0.04) -> dict[str, Any]:
    return {"aspects": dict(pos), "aspects_ci": {a: [v - width, v + width] for a, v in pos.items()},
            "aspect_opinions": dict.fromkeys(pos, n), "value_framing": framing,
            "value_framing_ci": [framing - width, framing + width], "n_reviews": 4 * n}


def figures() -> dict[str, Any]:
    """A results.json in the contract's shape with every block the strategy reads."""
    tiers_ = ("tier1", "tier2", "tier5")
    return {
        "contract": 1, "focal_brand": "Xiaomi",
        "config": {"focal_brand": "Xiaomi", "sub_brands": ["Redmi"],
                   "competitors": ["Huawei", "Apple", "OPPO", "vivo", "Redmi"]},  # a sub-brand listed by mistake
        "skipped": {}, "failed": {},
        "market": {"premium_share": {"2023": 0.24, "2024": 0.28, "2024Q4": 0.3}},
        "funnel": {"jd": {"visit_to_buy": 0.09, "visit_to_buy_ci": [0.085, 0.095], "visitors": 5000},
                   "tmall": {"visit_to_buy": 0.088, "visit_to_buy_ci": [0.083, 0.093], "visitors": 5000},
                   "douyin": {"visit_to_buy": 0.04, "visit_to_buy_ci": [0.037, 0.043], "visitors": 9000},
                   "pdd": {"visit_to_buy": 0.2, "visit_to_buy_ci": [0.0, 0.6], "visitors": 5},  # below min n
                   "premium_conversion_by_city_tier": {
                       t: {"premium": 0.05 + 0.005 * i, "premium_ci": [0.045 + 0.005 * i, 0.055 + 0.005 * i],
                           "premium_visitors": 3000, "mass": 0.09, "mass_ci": [0.085, 0.095], "mass_visitors": 3000}
                       for i, t in enumerate(tiers_)}},
        "voice": {"Xiaomi": _voice({"camera": 0.9, "performance": 0.6, "system": 0.5, "battery": 0.7}, 0.55),
                  "Apple": _voice({"camera": 0.7, "performance": 0.8, "system": 0.52, "battery": 0.6}, 0.05),
                  "Huawei": _voice({"camera": 0.72, "performance": 0.82, "system": 0.49, "battery": 0.8}, 0.15),
                  "Redmi": _voice({"camera": 0.99, "performance": 0.99, "system": 0.99, "battery": 0.99}, 0.9)},
        "pricing": {
            "price_elasticity": {"all": {"Xiaomi": -2.8, "Apple": -3.8, "Huawei": -2.4, "Redmi": -1.5},
                                 "seg-a": {"Xiaomi": -3.7}, "seg-b": {"Xiaomi": -2.0}},
            "price_elasticity_ci": {"all": {"Xiaomi": [-2.9, -2.7], "Apple": [-3.9, -3.7], "Huawei": [-2.5, -2.3]}},
            "brand_premium_cny": {"all": {"Xiaomi": 850.0, "Apple": 3300.0, "Huawei": 1900.0, "Redmi": 0.0}},
            "brand_premium_cny_ci": {"all": {"Xiaomi": [800.0, 900.0], "Apple": [3200.0, 3400.0],
                                             "Huawei": [1800.0, 2000.0], "Redmi": [0.0, 0.0]}},
            "diversion": {"Xiaomi": {"Redmi": 0.011, "Apple": 0.016, "Huawei": 0.02, "OPPO": 0.021, "vivo": 0.024,
                                     "outside": 0.88}},
            "diversion_ci": {"Xiaomi": {"Redmi": [0.0105, 0.0115], "Apple": [0.015, 0.017], "Huawei": [0.019, 0.021],
                                        "OPPO": [0.02, 0.022], "vivo": [0.023, 0.025], "outside": [0.87, 0.89]}},
            "review_wtp_cny": {"camera": 850.0, "battery": 120.0},
            "review_wtp_cny_ci": {"camera": [400.0, 1300.0], "battery": [-100.0, 340.0]},
            "counterfactual": {"subsidy": {"rate": 0.15, "cap_cny": 500.0, "limit_cny": 6000.0},
                               "scenarios": {"国补, prices held": {"units_change": 0.2,
                                                                  "premium_share_change_pp": -2.9}}},
            "stp": {"formula": "A = 0.30·size + 0.70·wtp", "targets": ["seg-b"],
                    "attractiveness": {"seg-a": 0.2, "seg-b": 0.7}},
            "positioning": {"source": "reviews", "gap_to": {"Apple": 0.58, "Huawei": 0.49, "Redmi": 0.01}},
        },
        "segments": {"reference_brand": "Redmi",
                     "wtp_cny": {"brand=Xiaomi": 829.0, "brand=Apple": 3191.0, "brand=Huawei": 2019.0},
                     "wtp_cny_ci": {"brand=Xiaomi": [742.0, 921.0], "brand=Apple": [3085.0, 3326.0],
                                    "brand=Huawei": [1914.0, 2143.0]},
                     "classes": {"seg-a": {"share": 0.6, "wtp_cny": {"brand=Xiaomi": -74.0}},
                                 "seg-b": {"share": 0.4, "wtp_cny": {"brand=Xiaomi": 2202.0}}}},
        "spread": {"P1": {"size": 2695, "depth": 9, "max_breadth": 1452, "structural_virality": 3.7},
                   "P2": {"size": 4, "depth": 1, "max_breadth": 3, "structural_virality": 1.0}},
        "mix": {"roi": {"douyin_ads": 3.1, "search": 1.2, "tv": 0.4},
                "roi_ci": {"douyin_ads": [2.6, 3.6], "search": [0.9, 1.5], "tv": [0.1, 0.7]}},
        "equity": {b: {"awareness": a, "associations": s, "perceived_quality": q, "loyalty": lo, "index": 0.5}
                   for b, a, s, q, lo in [("Xiaomi", 0.95, 0.58, 0.7, 0.52), ("Apple", 0.98, 0.8, 0.85, 0.78),
                                          ("Huawei", 0.97, 0.69, 0.8, 0.72), ("Redmi", 0.9, 0.5, 0.6, 0.48)]},
        "pricing_plan": {"cells": 84, "binding_share": {"floor": 0.7, "interior": 0.3}, "uniform_price": 3999.0,
                         "list_price": {"seg-a": {"all": 3999.0, "tier1": 4100.0}, "seg-b": {"all": 4416.0}},
                         "worth_vs_uniform_per_1000": {"seg-a": {"all": 0.0}, "seg-b": {"all": 5210.0}},
                         "constraints": {"floor": 3999.0}, "differentiation_worth_per_1000": 1234.0,
                         "cannibalisation_all": 0.12},
    }


def test_every_number_in_every_sentence_is_a_cited_value_found_in_results() -> None:
    figs = figures()
    out = build_strategy(figs)
    assert len(out["findings"]) >= 12
    for f in out["findings"]:
        assert f["evidence"], f["id"]
        for text in (f["text"], f["text_zh"]):
            assert uncited_numbers(text, f["evidence"]) == [], (f["id"], text)
        for path, value in f["evidence"].items():
            assert lookup(figs, path) == value, (f["id"], path)
    json.dumps(out, ensure_ascii=False)  # serialisable into results.json


def test_number_check_catches_an_uncited_number() -> None:
    assert uncited_numbers("premium 855 CNY, rivals 3,336", {"a.b": 855.0}) == ["3336"]
    assert uncited_numbers("56% of opinions, tier1 and 4P", {"v": 0.564706}) == []


def test_frameworks_and_sections_cover_4p_stp_equity_and_dilemmas() -> None:
    out = build_strategy(figures())
    sections = {f["section"] for f in out["findings"]}
    assert {"product", "price", "place", "promotion", "segments", "targets", "position", "equity",
            "dilemmas"} <= sections
    assert {f["framework"] for f in out["findings"]} == {"4P", "STP", "equity", "dilemma"}
    assert out["findings"][0]["framework"] == "dilemma"  # the verdicts come first
    ids = {f["id"] for f in out["findings"]}
    assert "product.review_value.camera" in ids and "product.review_value.battery" not in ids  # CI spans zero
    assert out["verdicts"] == ["dilemma.lock_in", "dilemma.cannibalisation"]
    assert out["decisions"][:2] == ["price.plan_differences", "price.plan"] and len(out["decisions"]) == 5
    assert all(next(f for f in out["findings"] if f["id"] == d)["decision"] for d in out["decisions"])
    diff = next(f for f in out["findings"] if f["id"] == "price.plan_differences")
    assert diff["text"].index("seg-b") < diff["text"].index("seg-a") and "5,210" in diff["text"]
    assert all(f["text_zh"] and not any(w in f["text_zh"] for w in ("CNY", "visit-to-buy")) for f in out["findings"])


def test_missing_analyses_suppress_their_findings_with_the_reason() -> None:
    figs = figures()
    for k in ("equity", "mix", "pricing_plan"):
        figs.pop(k)
    figs["skipped"] = {"mix": "no spend table"}
    out = build_strategy(figs)
    ids = {f["id"] for f in out["findings"]}
    assert not any(i.startswith(("equity.", "promotion.roi", "price.plan")) for i in ids)
    assert out["suppressed"]["promotion.roi"] == "mix was skipped: no spend table"
    assert "equity" in out["suppressed"]["equity.dimensions"]
    assert set(out["lacking"]) >= {"equity", "mix", "pricing_plan"}
    figs["pricing"].pop("stp")
    figs["skipped"]["segments"] = "no choices"
    assert build_strategy(figs)["suppressed"]["stp.targets"] == "segments was skipped: no choices"  # not demand
    empty = build_strategy({"focal_brand": "Xiaomi", "config": {}, "skipped": {}, "failed": {}})
    assert empty["findings"] == [] and "dilemma.lock_in" in empty["suppressed"]


def test_min_n_hides_small_samples_and_shows_n() -> None:
    figs = figures()
    out = build_strategy(figs)
    plat = next(f for f in out["findings"] if f["id"] == "place.platforms")
    assert "Pinduoduo" not in plat["text"] and plat["n"] >= 30  # 5 visitors: never ranked first
    assert "n=" in plat["text"]
    tiny = copy.deepcopy(figs)
    for b in tiny["voice"].values():
        b["aspect_opinions"] = dict.fromkeys(b["aspect_opinions"], 12)
    assert build_strategy(tiny)["suppressed"]["product.aspects"].startswith("no aspect has at least 30")
    assert "product.aspects" not in build_strategy(tiny, min_n=10)["suppressed"]


def test_overlapping_intervals_are_level_not_ranked() -> None:
    assert compare(0.5, [0.4, 0.6], 0.55, [0.45, 0.65]) == 0
    assert compare(0.9, [0.85, 0.95], 0.5, [0.45, 0.55]) == 1
    assert tiers({"a": 0.09, "b": 0.088, "c": 0.04}, {"a": [0.085, 0.095], "b": [0.083, 0.093],
                                                      "c": [0.037, 0.043]}) == [["a", "b"], ["c"]]
    out = build_strategy(figures())
    product = {f["id"]: f for f in out["findings"] if f["section"] == "product"}
    assert "product.strength.camera" in product  # 0.9 ± 0.04 vs 0.70 and 0.72: clearly ahead
    assert "product.gap.performance" in product and "product.gap.battery" in product
    assert product["product.level"]["aspects"] == ["system"]  # 0.50 vs 0.52 and 0.49: level, not ranked
    plat = next(f for f in out["findings"] if f["id"] == "place.platforms")
    assert "JD" in plat["text"] and "Tmall" in plat["text"]  # level with each other: both named best
    assert "京东" in plat["text_zh"] and "天猫" in plat["text_zh"]


def test_zero_width_interval_is_not_certainty() -> None:
    # points 3 % apart with zero-width "intervals": level, not a ranking
    assert compare(100.0, [100.0, 100.0], 103.0, [103.0, 103.0]) == 0
    assert compare(100.0, [100.0, 100.0], 150.0, [150.0, 150.0]) == -1


def test_sub_brand_is_never_a_rival() -> None:
    figs = figures()
    assert "Redmi" not in rivals(figs)
    out = build_strategy(figs)
    for f in out["findings"]:
        if f["framework"] in ("4P", "STP", "equity") and f["id"] != "stp.segments" and f["id"] != "price.premium":
            assert "Redmi" not in f["text"], f["id"]  # Redmi 0.99 everywhere would otherwise dominate


def test_trends_need_a_span() -> None:
    assert trend_periods(["2024Q4"]) is None
    assert trend_periods(["2024-01", "2024-02"]) is None  # two months are not a trend
    assert trend_periods(["2023", "2024", "2024Q4"]) == ["2023", "2024"]
    figs = figures()
    figs["market"]["premium_share"] = {"2024Q4": 0.3}
    assert "too short" in build_strategy(figs)["suppressed"]["price.premium_market"]


@pytest.mark.parametrize(("redmi", "verdict"), [(0.011, "light"), (0.03, "heavy"), (0.02, "comparable to rivals")])
def test_cannibalisation_verdict_follows_diversion(redmi: float, verdict: str) -> None:
    figs = figures()
    figs["pricing"]["diversion"]["Xiaomi"]["Redmi"] = redmi
    figs["pricing"]["diversion_ci"]["Xiaomi"]["Redmi"] = [redmi - 0.0005, redmi + 0.0005]
    d = build_strategy(figs)["dilemmas"]["cannibalisation"]
    assert d["verdict"] == verdict
    assert d["what_would_change_it"]


def test_lock_in_verdict_follows_framing_wtp_and_premium_acceptance() -> None:
    out = build_strategy(figures())
    d = out["dilemmas"]["lock_in"]
    assert d["verdict"] == "locked in" and d["confidence"] == "high"
    assert "value_framing_trend" in d["lacking"]
    free = figures()
    free["voice"]["Xiaomi"]["value_framing"], free["voice"]["Xiaomi"]["value_framing_ci"] = 0.05, [0.01, 0.09]
    free["segments"]["wtp_cny"]["brand=Xiaomi"] = 2600.0
    free["segments"]["wtp_cny_ci"]["brand=Xiaomi"] = [2500.0, 2700.0]
    for d_ in free["funnel"]["premium_conversion_by_city_tier"].values():
        d_["premium"], d_["premium_ci"] = 0.1, [0.096, 0.104]
    d2 = build_strategy(free)["dilemmas"]["lock_in"]
    assert d2["verdict"] == "not locked in", d2


class _Warehouse:
    """The two things the quote search uses from a Warehouse: has_rows and a DuckDB connection."""

    def __init__(self) -> None:
        import duckdb
        import pandas as pd

        self.con = duckdb.connect()
        products = pd.DataFrame({"sku_id": ["s1", "s2"], "brand": ["Xiaomi", "Apple"]})
        reviews = pd.DataFrame({
            "review_id": ["r1", "r2", "r3", "r4"], "sku_id": ["s1", "s1", "s1", "s2"], "rating": [5, 1, 5, 5],
            "text": ["晚上拍照效果很清楚，很满意", "续航太差了一天要充三次电", "外观漂亮手感也很好",
                     "拍照非常好用很喜欢"]})
        self.con.register("products", products)
        self.con.register("reviews", reviews)

    def has_rows(self, table: str) -> bool:
        return table in ("products", "reviews")


def _with_segments(figs: dict[str, Any]) -> dict[str, Any]:
    figs["segments"]["classes"] = {
        "seg-a": {"share": 0.6, "wtp_cny": {"brand=Xiaomi": -74.0, "camera=90": 12.0, "chip=flagship": 10.0},
                  "wtp_cny_ci": {"brand=Xiaomi": [-150.0, 2.0], "camera=90": [-40.0, 60.0],
                                 "chip=flagship": [-30.0, 50.0]}},
        "seg-b": {"share": 0.4, "wtp_cny": {"brand=Xiaomi": 2202.0, "camera=90": 1018.0, "chip=flagship": 500.0,
                                            "battery=5000": 300.0},
                  "wtp_cny_ci": {"brand=Xiaomi": [2000.0, 2400.0], "camera=90": [900.0, 1100.0],
                                 "chip=flagship": [400.0, 600.0], "battery=5000": [200.0, 400.0]}}}
    return figs


def test_promotion_language_leads_with_valued_strengths_and_avoids_gaps_and_value_framing() -> None:
    figs = _with_segments(figures())
    figs["pricing_plan"]["price"] = {"seg-a": {"all": {"jd": 3999.0}},
                                     "seg-b": {"all": {"jd": 4400.0, "douyin": 4380.0}, "tier5": {"douyin": 4100.0}}}
    t5 = figs["funnel"]["premium_conversion_by_city_tier"]["tier5"]
    t5["premium"], t5["premium_ci"] = 0.03, [0.028, 0.032]  # premium converts worst in tier5
    out = build_strategy(figs, warehouse=_Warehouse())
    lang = {f["segment"]: f for f in out["findings"] if f["id"].startswith("promotion.language.")}
    # seg-b values camera (Xiaomi ahead), performance (behind Apple/Huawei), battery (behind Huawei)
    assert lang["seg-b"]["lead"] == ["camera"]
    assert set(lang["seg-b"]["avoid"]) == {"performance", "battery", "price"}  # locked in + pays a premium
    # seg-a values no aspect clearly (intervals reach zero) and pays nothing for the brand: price
    assert lang["seg-a"]["lead"] == ["price"]
    cells = {(c["segment"], c["city_tier"], c["channel"]): c for c in out["promotion"]["cells"]}
    assert len(cells) == 4
    cam = cells[("seg-b", "all", "douyin")]
    assert cam["lead"][0]["quote"] == "晚上拍照效果很清楚，很满意"  # a real praising review of the brand
    assert next(a for a in cam["avoid"] if a["theme"] == "battery")["quote"] == "续航太差了一天要充三次电"
    assert all("Xiaomi" in line and line.startswith("【") for c in cells.values() for line in c["copy_zh"])
    assert cells[("seg-b", "tier5", "douyin")]["wording"] == "flagship + subsidy"
    assert cells[("seg-b", "all", "douyin")]["wording"] == "flagship"
    # labels come from the report's one catalogue (report.i18n), in both languages
    assert cam["lead"][0]["theme_zh"] == code("camera", "zh") == "拍照"
    assert cam["label_zh"] == "seg-b × 全部城市 × 抖音"
    assert cells[("seg-b", "tier5", "douyin")]["label"] == "seg-b × tier-five and smaller cities × Douyin"
    for f in lang.values():
        assert uncited_numbers(f["text"], f["evidence"]) == [] and uncited_numbers(f["text_zh"], f["evidence"]) == []


def test_copy_templates_use_no_phrase_the_twin_plants() -> None:
    """The example copy is written for upmarket: no planted review phrase (three characters or more) appears in it."""
    from upmarket.strategy.promotion import COPY_ZH
    from upmarket.twin import lexicon

    planted = {p for name in dir(lexicon) if name.isupper()
               for p in (getattr(lexicon, name) if isinstance(getattr(lexicon, name), tuple) else ())
               if isinstance(p, str) and len(p) >= 3}
    assert len(planted) > 20
    for theme, line in COPY_ZH.items():
        assert not [p for p in planted if p in line], theme


def test_findings_are_templates_whose_numbers_are_all_slots() -> None:
    """By construction: a template's own text holds no number, every number comes from a slot that cites results."""
    from upmarket.findings import SLOT, Template
    from upmarket.report.findings import finding_text
    from upmarket.strategy.finding import numbers_in

    figs = copy.deepcopy(figures())
    figs["segments"]["classes"]["camera-driven"] = figs["segments"]["classes"].pop("seg-a")
    out = build_strategy(figs)
    for f in out["findings"]:
        tpl = Template.from_dict(f)
        assert tpl is not None, f["id"]
        for text in (tpl.en, tpl.zh):
            assert numbers_in(SLOT.sub("", text)) == [], (f["id"], text)
        for slot in tpl.slots.values():
            if slot.key is not None:
                assert lookup(figs, slot.key) == slot.value and f["evidence"][slot.key] == slot.value
        assert finding_text(f, "en") == f["text"] and finding_text(f, "zh") == f["text_zh"]
    roi = next(f for f in out["findings"] if f["id"] == "promotion.roi")
    assert "douyin_ads" not in roi["text"] and "Douyin ads" in roi["text"] and "抖音广告" in roi["text_zh"]
    segs = next(f for f in out["findings"] if f["id"] == "stp.segments")
    assert "camera-driven" in segs["text"] and "driven" not in segs["text_zh"] and "拍照驱动型" in segs["text_zh"]


def test_codes_that_are_not_identifiers_still_make_findings() -> None:
    """Slot names are indices, not the data's codes: a channel named in Chinese or with a hyphen still reads."""
    figs = copy.deepcopy(figures())
    figs["mix"]["roi"] = {"抖音 直播": 3.1, "search-ads": 1.2, "tv": 0.4}
    figs["mix"]["roi_ci"] = {"抖音 直播": [2.9, 3.3], "search-ads": [1.1, 1.3], "tv": [0.3, 0.5]}
    roi = next(f for f in build_strategy(figs)["findings"] if f["id"] == "promotion.roi")
    assert "抖音 直播" in roi["text"] and "TV" in roi["text"] and "电视" in roi["text_zh"]


def test_a_channel_whose_return_the_data_do_not_pin_is_left_out_of_the_roi_ranking() -> None:
    figs = figures()
    figs["mix"]["roi"]["ooh"], figs["mix"]["roi_ci"]["ooh"] = 9.0, [1.0, 40.0]
    ranked = next(f for f in build_strategy(figs)["findings"] if f["id"] == "promotion.roi")
    assert "ooh" in str(ranked["evidence"])  # without the flag, its wide but high estimate leads the ranking
    figs["mix"]["unidentified"] = ["ooh"]
    roi = next(f for f in build_strategy(figs)["findings"] if f["id"] == "promotion.roi")
    assert "ooh" not in str(roi["evidence"]) and "mix.roi.douyin_ads" in roi["evidence"]


def test_cannibalisation_says_the_share_among_sales_that_stay_in_the_category() -> None:
    """The outside good's share depends on how market_size is defined; the share among inside brands does not."""
    import pandas as pd

    from upmarket.analyses.demand.results import inside_diversion

    div = pd.DataFrame({"Xiaomi": [float("nan"), 0.02], "Redmi": [0.011, float("nan")], "outside": [0.889, 0.9]},
                       index=["Xiaomi", "Redmi"])
    inside = inside_diversion(div)
    assert list(inside.columns) == ["Xiaomi", "Redmi"]
    assert inside.loc["Xiaomi", "Redmi"] == pytest.approx(0.011 / 0.111)
    figs = figures()
    figs["pricing"]["diversion_inside"] = {"Xiaomi": {"Redmi": 0.0991, "Apple": 0.14}}
    finding = next(f for f in build_strategy(figs)["findings"] if f["id"] == "dilemma.cannibalisation")
    assert "9.9% of those that stay with a phone brand" in finding["text"]
    assert finding["evidence"]["pricing.diversion_inside.Xiaomi.Redmi"] == 0.0991
    assert "留在品类内" in finding["text_zh"]


def test_the_attractiveness_formula_reads_in_chinese_with_full_width_brackets() -> None:
    from upmarket.strategy.stp import formula_zh

    got = formula_zh("A = 0.30·size + 0.70·wtp_focal (each min–max scaled over segments)")
    assert got == "A = 0.30·规模 + 0.70·品牌支付意愿（各项在人群间做最小–最大归一化）"
