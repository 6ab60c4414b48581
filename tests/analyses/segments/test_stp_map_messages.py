"""Mixed logit, STP score, perceptual map, behavioural clusters and message themes on small planted data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_choice_models import conjoint

from upmarket.analyses.segments import build_design, fit_mnl
from upmarket.analyses.segments.behaviour import cluster_users, profiles
from upmarket.analyses.segments.messages import importances, review_evidence, themes
from upmarket.analyses.segments.mixed import fit_mixed, wtp_distribution
from upmarket.analyses.segments.positioning import correspondence_map, gaps, post_brand_topics, review_aspect_counts
from upmarket.analyses.segments.stp import attractiveness


def test_mixed_logit_finds_brand_heterogeneity():
    lo = {"brand": {"Redmi": 0.0, "Xiaomi": 0.5, "Apple": 0.0}, "alpha": 0.8, "cam": 0.3}
    hi = {"brand": {"Redmi": 0.0, "Xiaomi": 0.5, "Apple": 3.0}, "alpha": 0.8, "cam": 0.3}
    df, _ = conjoint(300, [lo, hi], [0.5, 0.5], seed=3, n_tasks=8)
    d = build_design(df, "Redmi")
    mx = fit_mixed(d, n_draws=40)
    assert mx.loglik > fit_mnl(d).loglik + 20  # the random Apple coefficient is worth having
    assert abs(mx.sd["brand=Apple"]) > 0.8  # planted spread: sd 1.5 (two points ±1.5)
    dist = wtp_distribution(mx, n_param_draws=40).set_index("brand")
    apple = dist.loc["Apple"]
    assert apple["median_low"] <= apple["median"] <= apple["median_high"]
    assert apple["p95"] - apple["p5"] > 2000  # planted WTP: 0 and 3750 CNY
    assert 1000 < apple["median"] < 3000


def test_attractiveness_formula_and_missing_columns():
    t = pd.DataFrame({"segment": ["a", "b", "c"], "share": [0.5, 0.3, 0.2], "growth": [0.0, 0.1, 0.2],
                      "premium_acceptance": [0.1, 0.5, 0.3], "wtp_focal_cny": [100.0, 2000.0, 1000.0],
                      "value_framing": [0.8, 0.4, 0.6]})
    score, formula = attractiveness(t)
    # a: 0.3·1 + 0 + 0 + 0 + 0 ; b: 0.3·(1/3) + 0.15·0.5 + 0.25·1 + 0.2·1 + 0.1·1
    want = [0.3, 0.1 + 0.075 + 0.25 + 0.2 + 0.1, 0.15 + 0.125 + 0.2 * 900 / 1900 + 0.05]
    assert score.tolist() == pytest.approx(want)
    assert formula.startswith("A = 0.30·size + 0.15·growth")
    s2, f2 = attractiveness(t.drop(columns=["growth", "value_framing"]))
    assert "growth" not in f2 and "0.40·size" in f2  # 0.30 / 0.75
    assert s2.iloc[1] == pytest.approx((0.3 / 3 + 0.25 + 0.2) / 0.75)


def test_perceptual_map_puts_alike_brands_together():
    counts = pd.DataFrame({"camera": [90, 80, 10, 12], "performance": [10, 15, 90, 85], "price": [5, 8, 60, 70],
                           "design": [60, 55, 10, 8]}, index=["Apple", "Huawei", "Redmi", "Xiaomi"])
    rows, cols, inertia = correspondence_map(counts)
    g = gaps(rows, "Xiaomi")
    assert g["Apple"] > 3 * np.linalg.norm(rows.loc["Redmi"] - rows.loc["Xiaomi"])
    assert sum(inertia) > 0.9
    assert np.sign(cols.loc["camera", "dim1"]) == np.sign(rows.loc["Apple", "dim1"])
    with pytest.raises(ValueError, match="need ≥ 3 brands"):
        correspondence_map(counts.iloc[:2])


def test_review_counts_and_evidence_from_text():
    texts = ["拍照很好，但是发热严重", "拍照真不错", "性价比很高", "电池不错"]
    c = review_aspect_counts(texts, np.array(["A", "A", "B", "B"]))
    assert c.loc["A", "camera"] == 2 and c.loc["B", "price"] == 1 and c.loc["B", "battery"] == 1
    assert c.loc["A"].get("performance", 0) == 0  # 发热严重 is criticism, not praise
    ev = review_evidence(texts).set_index("aspect")
    assert ev.loc["performance", "criticism_share"] == 1.0 and ev.loc["camera", "praise_share"] == 1.0


def test_importances_and_themes():
    names = ["brand=Apple", "none", "price", "camera=75", "camera=90", "chip=flagship"]
    beta = np.array([2.0, -3.0, -0.5, 0.3, 0.9, 0.2])
    imp = importances(beta, names, price_range=2.0)  # price 1.0, camera 0.9, chip 0.2
    assert imp.sum() == pytest.approx(1.0) and imp["price"] == pytest.approx(1.0 / 2.1)
    ev = pd.DataFrame({"aspect": ["camera", "performance"], "mentions": [10, 10], "praise_share": [0.8, 0.2],
                       "criticism_share": [0.1, 0.6], "phrases": ["拍照好", ""]})
    th = themes("imaging", imp, ev)
    assert th[0]["aspect"] == "camera" and th[0]["theme"] == "lead" and th[0]["praise_share"] == 0.8
    assert any(t["theme"] == "avoid" and t["aspect"] == "performance" for t in th)
    cheap = themes("status", importances(np.array([2.0, -3.0, -0.05, 0.3, 0.9, 0.2]), names, 2.0), ev)
    assert any(t["theme"] == "avoid" and t["aspect"] == "price" for t in cheap)  # price matters least


def test_behavioural_clusters_are_found_and_stable():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 1, 8.0, 0.1], [4, 3, 7.0, 0.6], [2, 5, 8.8, 0.3]])
    lab = rng.integers(3, size=900)
    X = pd.DataFrame(centres[lab] + rng.normal(scale=0.3, size=(900, 4)) * [1, 1, 0.1, 0.05],
                     columns=["tier", "age", "log_price", "content_share"])
    got, rep = cluster_users(X, max_k=5, n_boot=5)
    assert rep["k"] == 3 and rep["bootstrap_ari_mean"] > 0.95
    prof = profiles(X, got)
    assert prof["share"].sum() == pytest.approx(1.0)
    assert prof["profile"].str.contains("CNY|cities|older|younger|content").all()


def test_segments_without_choices_segments_behaviour(findings_are_templates):
    from upmarket.analyses.segments import Segments
    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

    rng = np.random.default_rng(1)
    n = 600
    grp = rng.integers(2, size=n)
    users = pd.DataFrame({"user_id": [f"u{i}" for i in range(n)],
                          "city_tier": np.where(grp == 0, "tier1", "tier4"),
                          "age_band": np.where(grp == 0, "25-34", "45-54"),
                          "prior_brand": np.where(grp == 0, "Apple", "Redmi")})
    orders = pd.DataFrame({"order_id": [f"o{i}" for i in range(n)], "ts": pd.Timestamp("2025-01-01"),
                           "user_id": users["user_id"], "platform": "jd", "sku_id": "s1",
                           "price_paid": np.where(grp == 0, 6999.0, 1299.0) * rng.uniform(0.9, 1.1, n)})
    with Warehouse(":memory:") as wh:
        wh.load_frame("users", users)
        wh.load_frame("orders", orders)
        assert Segments().missing(wh) is None
        sec = Segments().run(wh, Config(focal_brand="Xiaomi"))
    rep = sec.figures["behavioural_segments"]
    assert rep["k"] == 2 and rep["bootstrap_ari_mean"] > 0.95
    assert any("no willingness to pay" in w for w in sec.warnings)
    prof = sec.tables["behavioural_segments"]
    assert sorted(prof["share"].round(1)) == [0.5, 0.5]
    assert prof["profile"].str.contains("Apple|Redmi").all()
    findings_are_templates(sec, "pricing")
    (f,) = sec.findings
    assert f.text.startswith("Without a conjoint, users fall into 2 behavioural segments") and "第1类" in f.text_zh


def test_review_evidence_picks_the_same_phrases_whatever_the_row_order() -> None:
    """Phrases tied in frequency are chosen by text, so a re-ingest (rows in another order) quotes the same ones."""
    texts = ["拍照很清晰", "拍照很好看", "拍照很出色", "拍照很清晰", "屏幕很细腻", "屏幕很亮眼"] * 2
    first = review_evidence(texts, top_phrases=2)
    again = review_evidence(list(reversed(texts)), top_phrases=2)
    assert first.set_index("aspect")["phrases"].to_dict() == again.set_index("aspect")["phrases"].to_dict()
    assert first.set_index("aspect").loc["camera", "phrases"].startswith("拍照很清晰")  # the most frequent first


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_post_brand_topics_pairs_every_brand_with_every_topic_of_its_post(engine: str) -> None:
    """A post featuring 2 brands with 3 hashtags gives all 6 pairs (two unnests in one select zipped them into 2
    pairs plus a NULL brand); a second post adds to the pairs it shares; a brand listed twice counts one post."""
    import duckdb
    import ibis

    from upmarket.warehouse.source import IbisSource

    posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"],
                          "brands": ["Xiaomi|Apple", "Xiaomi|Xiaomi", ""],
                          "topics": ["影像|续航|性价比", "影像", "影像"]})
    if engine == "duckdb":  # as the warehouse holds it (Ibis' create_table breaks on some sqlglot releases)
        con = duckdb.connect()
        con.register("posts_df", posts)
        con.execute("CREATE TABLE posts AS SELECT * FROM posts_df")
        backend = ibis.duckdb.from_connection(con)
    else:
        backend = ibis.polars.connect()
        backend.create_table("posts", posts)
    got = post_brand_topics(IbisSource(backend))
    counts = {(r.brand, r.topic): int(r.n) for r in got.itertuples()}
    assert counts == {("Xiaomi", "影像"): 2, ("Xiaomi", "续航"): 1, ("Xiaomi", "性价比"): 1,
                      ("Apple", "影像"): 1, ("Apple", "续航"): 1, ("Apple", "性价比"): 1}
