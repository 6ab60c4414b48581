"""Recovery on the demo twin (seed 7, 2,000 respondents × 12 tasks): classes, WTP, shares and purity vs truth.

One demo twin per session; only choices, users and market_sales are ingested (the real ingest path); the mixed
logit is switched off here (it has its own test). Measured: 4 classes (BIC margin 35 over 3, 90 over 5), shares
4/4 within 0.05, elasticities 28/28 within 15 %, premia 27/28 within tolerance — the known miss, asserted as such
so a change shows up, is status × Xiaomi (−25 %; even the MNL on the *planted* status respondents is −14 %, so
it is mostly sampling error of a 430-respondent segment), see docs/segments.md. Since the twin plants review
quality per model (session 3) the conjoint's draws differ and status × Xiaomi is −17 % (passes); either is accepted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.segments import Segments
from upmarket.analyses.segments.naming import adjusted_rand, purity
from upmarket.twin.check import check_lines, match_segments
from upmarket.warehouse.pseudonym import pseudonymise

TABLES = ("choices", "users", "market_sales")


@pytest.fixture(scope="session")
def demo_segments(recover_on_twin, demo_twin):
    r = recover_on_twin(Segments, TABLES, {"mixed_draws": 0})
    planted = pd.read_parquet(demo_twin / "_truth" / "respondent_segments.parquet")
    planted["respondent_id"] = pseudonymise(planted["respondent_id"])  # as the ingest stores them
    return r.section, r.truth, planted, r.checks


def test_bic_finds_the_four_planted_segments_by_a_clear_margin(demo_segments):
    section, truth, _, _ = demo_segments
    lc = section.figures["latent_class"]
    assert lc["n_classes"] == len(truth["pricing"]["segment_share"]) == 4, lc["bic"]
    bic = lc["bic"]
    assert bic[3] - bic[4] > 20 and bic[5] - bic[4] > 20, bic  # 35 and 90 measured (was 1.5 without σ)
    assert 0.15 < lc["price_log_sd"] < 0.3  # planted: σ 0.2 times a city-tier multiplier 0.88–1.15
    # classes are named from the data, not after the twin's segments; the twin's check matches them by premia
    assert len(section.figures["segment_share"]) == len(truth["pricing"]["segment_share"])
    assert sorted(match_segments({"pricing": section.figures}, truth).values()) == sorted(
        truth["pricing"]["segment_share"])
    assert not {"value", "imaging", "gamer", "status"} & set(section.figures["segment_share"])


def test_every_segment_premium_within_tolerance(demo_segments):
    section, _, _, checks = demo_segments
    prem = {k: c for k, c in checks.items() if k.startswith("pricing.brand_premium_cny.")
            and k.split(".")[2] in ("value", "imaging", "gamer", "status")}
    assert len(prem) == 28
    failed = sorted(k for k, c in prem.items() if not c.passed)
    assert failed in ([], ["pricing.brand_premium_cny.status.Xiaomi"]), check_lines(checks, "pricing.brand_premium_cny")
    assert section.figures["latent_class"]["membership_covariates"][1].startswith("city_tier=")


def test_shares_and_elasticities_recover(demo_segments):
    _, _, _, checks = demo_segments
    for s in ("value", "imaging", "gamer", "status"):
        assert checks[f"pricing.segment_share.{s}"].passed, check_lines(checks, "pricing.segment_share")
    el = [c for k, c in checks.items() if k.startswith("pricing.price_elasticity.")]
    assert len(el) == 28 and all(c.estimate < 0 for c in el)
    assert all(c.passed for c in el), check_lines(checks, "pricing.price_elasticity")  # worst 12 % today


def test_classes_match_planted_respondents(demo_segments):
    section, truth, planted, _ = demo_segments
    planted_name = match_segments({"pricing": section.figures}, truth)
    mem = section.tables["segment_membership"].merge(planted, on="respondent_id", suffixes=("", "_true"))
    mem["segment"] = mem["segment"].map(planted_name)
    assert len(mem) == 2000
    pur = purity(mem["segment"].to_numpy(), mem["segment_true"].to_numpy())
    ari = adjusted_rand(mem["segment"].to_numpy(), mem["segment_true"].to_numpy())
    assert pur > 0.72 and ari > 0.43, (pur, ari)  # 0.75 and 0.47 measured
    for seg in ("value", "status"):  # the two well-separated classes are mostly their planted segment
        rows = mem[mem["segment"] == seg]
        assert (rows["segment_true"] == seg).mean() > 0.6, seg
    assert np.isfinite(section.tables["wtp"]["wtp_cny"]).all()


def test_twin_conjoint_is_minimal_overlap(demo_twin):
    """Every task's three phones differ in every attribute (twin/choices.py): the design that separates classes."""
    ch = pd.read_parquet(demo_twin / "choices.parquet")
    phones = ch[ch["alt_id"] != "none"]
    attrs = ["brand", "price", "camera", "chip", "storage_gb"]
    distinct = phones.groupby(["respondent_id", "task_id"])[attrs].nunique()
    assert (distinct == 3).all().all()
    assert ch.groupby("respondent_id")["task_id"].nunique().eq(12).all()
