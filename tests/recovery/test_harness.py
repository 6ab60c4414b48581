"""The recovery harness: one tolerance table, compare() over nested dicts."""

from __future__ import annotations

from upmarket.twin.check import TOLERANCES, Tolerance, compare, load_tolerances, twin_check_rows


def test_the_one_tolerance_file_loads():
    tols = load_tolerances(TOLERANCES)
    assert any(t.key == "market.*" and t.abs is not None for t in tols)


def test_compare_walks_nested_keys_and_ignores_ci():
    tols = [Tolerance("pricing.price_elasticity.*", rel=0.15), Tolerance("market.*", abs=0.0)]
    results = {"pricing": {"price_elasticity": {"all": {"Xiaomi": -2.2, "Apple": -1.0}},
                           "price_elasticity_ci": {"all": {"Xiaomi": [-3, -1]}}},
               "market": {"premium_share": {"2024": 0.28}}, "only_in_results": 1.0}
    truth = {"pricing": {"price_elasticity": {"all": {"Xiaomi": -2.0, "Apple": -2.0}}},
             "market": {"premium_share": {"2024": 0.2801}}}
    checks = {c.key: c for c in compare(results, truth, tols)}
    assert set(checks) == {"pricing.price_elasticity.all.Xiaomi", "pricing.price_elasticity.all.Apple",
                           "market.premium_share.2024"}
    assert checks["pricing.price_elasticity.all.Xiaomi"].passed
    assert not checks["pricing.price_elasticity.all.Apple"].passed
    assert not checks["market.premium_share.2024"].passed


def test_twin_check_rows_against_truth_itself(tmp_path):
    import json
    truth = {"market": {"premium_share": {"2024": 0.3}}}
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    rows = twin_check_rows(truth, tmp_path)
    assert rows == [{"key": "market.premium_share.2024", "estimate": 0.3, "truth": 0.3, "tolerance": "abs 1e-06",
                     "passed": True}]
    assert twin_check_rows(truth, tmp_path / "nothing") is None


def test_classes_named_from_the_data_are_matched_to_planted_segments_by_premia():
    """The analysis names classes from the data; the twin's check scores them against the segment whose premia they
    are closest to (one-to-one), so a swap of names cannot pass and the twin's names stay out of production."""
    from upmarket.twin.check import compare, match_segments

    results = {"pricing": {"segment_share": {"price-sensitive": 0.6, "brand-driven: Apple": 0.4},
                           "brand_premium_cny": {"all": {"Apple": 2000.0},
                                                 "price-sensitive": {"Apple": 300.0, "Huawei": 150.0},
                                                 "brand-driven: Apple": {"Apple": 5100.0, "Huawei": 1900.0}}}}
    truth = {"pricing": {"segment_share": {"value": 0.62, "status": 0.38},
                         "brand_premium_cny": {"value": {"Apple": 250.0, "Huawei": 170.0},
                                               "status": {"Apple": 5000.0, "Huawei": 2000.0}}}}
    assert match_segments(results, truth) == {"price-sensitive": "value", "brand-driven: Apple": "status"}
    tols = [Tolerance("pricing.segment_share.*", abs=0.05), Tolerance("pricing.brand_premium_cny.*", rel=0.25)]
    checks = {c.key: c for c in compare(results, truth, tols)}
    assert checks["pricing.segment_share.value"].estimate == 0.6 and checks["pricing.segment_share.status"].passed
    assert checks["pricing.brand_premium_cny.status.Apple"].estimate == 5100.0
