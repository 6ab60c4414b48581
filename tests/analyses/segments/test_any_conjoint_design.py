"""Segments on conjoint designs the twin never writes (issue 14, item 4).

Two designs from an independent simulator (``conjoint_sim.py``), three seeds each, recovered through the production
code (design coding, latent class with K by BIC and the default within-class price spread, class names, the
contract's ``segments`` block):

* A: brand levels Xiaomi (the base), Apple, Huawei — no sub-brand —, a no-buy option, camera as named levels,
  storage with three numeric levels; two classes (price-sensitive 60 %, Apple lovers 40 %).
* B: OPPO, vivo, Honor, Xiaomi with ``reference_brand = "vivo"``, **no** no-buy option, battery with 8 numeric
  levels (linear), chip as named levels; three classes (price-sensitive, chip-driven, OPPO lovers).

Measured (seeds 1–3): K right on every seed; class shares within 0.02; population WTP within 17 % or 120 CNY;
class WTP within 25 % or 300 CNY (the tolerances below); see docs/segments.md.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.segments import class_names, segments_block
from upmarket.choice.design import ChoiceDataError, brand_levels, build_design, choose_reference
from upmarket.choice.latent import select_classes

sys.path.insert(0, str(Path(__file__).parent))
from conjoint_sim import Design, TasteClass, class_wtp, population_wtp, simulate

DESIGN_A = Design(["Xiaomi", "Apple", "Huawei"], [2999, 3999, 4999, 5999, 6999],
                  {"camera": ["standard", "pro", "ultra"], "storage_gb": [128, 256, 512]})
CLASSES_A = [
    TasteClass(0.6, -1.2, {"Apple": 0.3, "Huawei": 0.2},
               {"camera": {"pro": 0.4, "ultra": 0.6}, "storage_gb": {256: 0.3, 512: 0.5}}, none=-2.5),
    TasteClass(0.4, -0.4, {"Apple": 2.0, "Huawei": 0.8},
               {"camera": {"pro": 0.5, "ultra": 0.9}, "storage_gb": {256: 0.2, 512: 0.3}}, none=-1.5),
]
NAMES_A = ["price-sensitive", "brand-driven: Apple"]

DESIGN_B = Design(["Xiaomi", "OPPO", "vivo", "Honor"], [1499, 1999, 2499, 2999, 3499],
                  {"battery_mah": [4500, 4700, 4900, 5100, 5300, 5500, 5700, 6000],
                   "chip": ["entry", "mid", "flagship"]}, none=False, n_alts=3)
CLASSES_B = [
    TasteClass(0.45, -2.0, {"OPPO": 0.2, "vivo": 0.1, "Honor": 0.1},
               {"chip": {"mid": 0.3, "flagship": 0.5}}, {"battery_mah": 0.001}),
    TasteClass(0.30, -0.7, {"OPPO": 0.1, "vivo": 0.3, "Honor": 0.0},
               {"chip": {"mid": 1.2, "flagship": 2.4}}, {"battery_mah": 0.0008}),
    TasteClass(0.25, -0.8, {"OPPO": 2.2, "vivo": 0.4, "Honor": 0.2},
               {"chip": {"mid": 0.4, "flagship": 0.7}}, {"battery_mah": 0.0005}),
]
NAMES_B = ["price-sensitive", "chip-driven", "brand-driven: OPPO"]
SEEDS = (1, 2, 3)


def _close(est: float, true: float, rel: float, abs_: float) -> bool:
    return abs(est - true) <= max(rel * abs(true), abs_)


def _fit(design: Design, classes: list[TasteClass], seed: int, reference: str | None, n_resp: int):
    choices = simulate(design, classes, n_resp, 10, seed)
    ref, _ = choose_reference(brand_levels(choices), reference, ["Redmi"], "Xiaomi")
    data = build_design(choices, ref)
    best, _ = select_classes(data, 5, n_starts=3, seed=0, price_nodes=3)
    names = class_names(best, data)
    return data, best, names, segments_block(best, data, names)


CASES = {"A": (DESIGN_A, CLASSES_A, NAMES_A, None, "Xiaomi", 800),
         "B": (DESIGN_B, CLASSES_B, NAMES_B, "vivo", "vivo", 1200)}


@functools.cache
def _case(case: str, seed: int):
    design, classes, _, configured, _, n_resp = CASES[case]
    return _fit(design, classes, seed, configured, n_resp)


@pytest.fixture(params=[(c, s) for c in CASES for s in SEEDS], ids=lambda p: f"{p[0]}-seed{p[1]}")
def recovered(request):
    case, seed = request.param
    return (case, seed, *_case(case, seed))


def test_classes_named_and_sized_from_the_data(recovered):
    case, seed, data, best, names, block = recovered
    _, classes, names_true, _, ref, _ = CASES[case]
    assert best.n_classes == len(classes), (case, seed, names)
    assert sorted(names) == sorted(names_true), names
    assert block["reference_brand"] == ref == data.reference
    for c, n in zip(classes, names_true, strict=True):
        got = block["classes"][n]
        assert abs(got["share"] - c.share) < 0.05, (n, got["share"], c.share)
        lo, hi = got["share_ci"]
        assert lo <= got["share"] <= hi


def test_population_and_class_wtp_recover(recovered):
    case, seed, data, _, _, block = recovered
    design, classes, names_true, _, ref, _ = CASES[case]
    levels = {a: lv for a, lv in data.levels.items() if a != "brand"}
    true_pop = population_wtp(classes, ref, design.brands[0], levels)
    assert set(block["wtp_cny"]) == set(true_pop), (sorted(block["wtp_cny"]), sorted(true_pop))
    bad = {k: (block["wtp_cny"][k], round(v)) for k, v in true_pop.items()
           if not _close(block["wtp_cny"][k], v, 0.20, 150)}
    assert not bad, (case, seed, bad)
    for c, n in zip(classes, names_true, strict=True):
        truth = class_wtp(c, ref, design.brands[0], levels)
        got = block["classes"][n]["wtp_cny"]
        bad = {k: (got[k], round(v)) for k, v in truth.items() if not _close(got[k], v, 0.25, 300)}
        assert not bad, (case, seed, n, bad)


def test_interval_coverage_over_seeds_and_designs():
    """90 % intervals of the population WTP cover the truth at about their rate (pooled over the six fits; 63 of
    72 over seeds 101–106, 0.875)."""
    hits, total = 0, 0
    for case in CASES:
        design, classes, _, _, ref, _ = CASES[case]
        for seed in SEEDS:
            data, _, _, block = _case(case, seed)
            levels = {a: lv for a, lv in data.levels.items() if a != "brand"}
            for k, v in population_wtp(classes, ref, design.brands[0], levels).items():
                lo, hi = block["wtp_cny_ci"][k]
                hits += lo <= v <= hi
                total += 1
    assert total == 3 * (6 + 6) and hits / total >= 0.75, (hits, total)


def test_reference_rule():
    levels = ["Apple", "Huawei", "Xiaomi"]
    assert choose_reference(levels, None, ["Redmi"], "Xiaomi")[0] == "Xiaomi"
    assert choose_reference([*levels, "Redmi"], None, ["Redmi"], "Xiaomi")[0] == "Redmi"
    assert choose_reference(levels, "Apple", ["Redmi"], "Xiaomi")[0] == "Apple"
    assert choose_reference(["OPPO", "vivo"], None, ["Redmi"], "Xiaomi")[0] == "OPPO"
    with pytest.raises(ChoiceDataError, match="reference_brand 'Redmi' is not a level"):
        choose_reference(levels, "Redmi", ["Redmi"], "Xiaomi")


def test_rebasing_changes_the_base_not_the_model():
    """WTP re-based on another brand is the same model: Apple over Huawei = (Apple over Xiaomi) − (Huawei over
    Xiaomi), class by class."""
    choices = simulate(DESIGN_A, CLASSES_A, 400, 8, 5)
    a = build_design(choices, "Xiaomi")
    b = build_design(choices, "Huawei")
    fa, _ = select_classes(a, 2, n_starts=2, seed=0, price_nodes=0)
    fb, _ = select_classes(b, 2, n_starts=2, seed=0, price_nodes=0)
    assert fa.n_classes == fb.n_classes
    assert fa.loglik == pytest.approx(fb.loglik, abs=1e-3)
    wa = segments_block(fa, a, class_names(fa, a))["wtp_cny"]
    wb = segments_block(fb, b, class_names(fb, b))["wtp_cny"]
    assert wb["brand=Apple"] == pytest.approx(wa["brand=Apple"] - wa["brand=Huawei"], abs=2)
    assert wb["brand=Xiaomi"] == pytest.approx(-wa["brand=Huawei"], abs=2)


def test_segments_and_price_plan_run_without_the_sub_brand(tmp_path):
    """The crash of issue 14: brand levels Apple, Huawei, Xiaomi and a config whose sub-brand is Redmi."""
    from upmarket.config import load_config
    from upmarket.pipeline import run_analyses
    from upmarket.results import to_jsonable, validate_results
    from upmarket.warehouse import Warehouse

    choices = simulate(DESIGN_A, CLASSES_A, 300, 8, 11)
    choices.to_csv(tmp_path / "choices.csv", index=False)
    (tmp_path / "upmarket.toml").write_text('focal_brand = "Xiaomi"\nsub_brands = ["Redmi"]\n'
                                             '[segments]\nmixed_draws = 0\nmax_classes = 3\nn_starts = 1\n'
                                             '[pricing_plan]\ndraws = 3\n', encoding="utf-8")
    config = load_config(tmp_path)
    with Warehouse(":memory:") as wh:
        wh.ingest(tmp_path, config)
        res = run_analyses(wh, config, only=["segments", "pricing_plan"], debug=True)
    figures = to_jsonable(res.figures)
    validate_results(figures)
    assert not figures["skipped"], figures["skipped"]
    seg = figures["segments"]
    assert seg["reference_brand"] == "Xiaomi" and "not a level" not in str(figures["warnings"])
    assert set(seg["wtp_cny"]) >= {"brand=Apple", "brand=Huawei"}
    assert sum(c["share"] for c in seg["classes"].values()) == pytest.approx(1, abs=1e-3)
    plan = pd.DataFrame(res.sections[1].tables["price_plan"])
    assert len(plan) and np.isfinite(plan["price"]).all() and (plan["cannibalisation"] == 0).all()
    assert any("no sub-brand" in w for w in figures["warnings"]["pricing_plan"])
