"""Paired comparison (McNemar + intervals) on constructed data whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from upmarket.analyses.voice.compare import newcombe_paired_interval, paired_comparison, paired_table


def _preds(both: int, b: int, c: int, neither: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels and two prediction vectors with the given agreement cells (all labels 1)."""
    y = np.ones(both + b + c + neither, dtype=int)
    a = np.r_[np.ones(both), np.ones(b), np.zeros(c), np.zeros(neither)].astype(int)
    bb = np.r_[np.ones(both), np.zeros(b), np.ones(c), np.zeros(neither)].astype(int)
    return y, a, bb


def test_b0_c10_exact_mcnemar() -> None:
    y, a, b = _preds(80, 0, 10, 10)
    r = paired_comparison(y, a, b)
    assert (r["b"], r["c"], r["n"]) == (0, 10, 100)
    assert r["p_mcnemar"] == pytest.approx(2 * 0.5**10)  # 0.00195
    assert r["diff"] == pytest.approx(-0.10)
    assert r["acc_a"] == pytest.approx(0.80) and r["acc_b"] == pytest.approx(0.90)
    assert r["ci_high"] < 0 and r["newcombe_high"] < 0  # B is better, clearly


def test_swapping_models_mirrors_the_result() -> None:
    y, a, b = _preds(50, 7, 3, 5)
    r, s = paired_comparison(y, a, b, seed=3), paired_comparison(y, b, a, seed=3)
    assert (r["b"], r["c"]) == (s["c"], s["b"])
    assert r["p_mcnemar"] == pytest.approx(s["p_mcnemar"])
    assert r["diff"] == pytest.approx(-s["diff"])
    assert r["newcombe_low"] == pytest.approx(-s["newcombe_high"])


def test_identical_predictions() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 500)
    p = np.where(rng.random(500) < 0.9, y, 1 - y)
    r = paired_comparison(y, p, p.copy())
    assert (r["b"], r["c"], r["p_mcnemar"], r["diff"]) == (0, 0, 1.0, 0.0)
    assert r["ci_low"] == 0.0 and r["ci_high"] == 0.0
    assert r["newcombe_low"] <= 0.0 <= r["newcombe_high"]


def test_known_binomial_p_and_balanced_case() -> None:
    # b = 4, c = 1: two-sided exact p = 2 * P(X <= 1 | 5, 1/2) = 2 * 6/32 = 0.375
    y, a, b = _preds(100, 4, 1, 10)
    assert paired_comparison(y, a, b)["p_mcnemar"] == pytest.approx(0.375)
    # b = c: difference 0, p = 1, interval symmetric around 0
    y, a, b = _preds(100, 6, 6, 10)
    r = paired_comparison(y, a, b, n_boot=20_000)
    assert r["diff"] == 0.0 and r["p_mcnemar"] == pytest.approx(1.0)
    assert r["ci_low"] == pytest.approx(-r["ci_high"], abs=1 / 122)


def test_bootstrap_and_newcombe_agree_with_normal_approximation_on_large_n() -> None:
    # n = 10,000, b = 300, c = 200: Var(diff) = ((b + c)/n - diff^2) / n; 90 % half width = 1.645 * sd
    y, a, b = _preds(8_000, 300, 200, 1_500)
    r = paired_comparison(y, a, b, n_boot=20_000, seed=5)
    sd = np.sqrt((0.05 - 0.01**2) / 10_000)
    for lo, hi in ((r["ci_low"], r["ci_high"]), (r["newcombe_low"], r["newcombe_high"])):
        assert lo == pytest.approx(0.01 - 1.645 * sd, abs=4e-4)
        assert hi == pytest.approx(0.01 + 1.645 * sd, abs=4e-4)
    assert r["p_mcnemar"] < 1e-4


def test_nan_predictions_are_left_out_and_table_per_group() -> None:
    y, a, b = _preds(20, 0, 10, 0)
    b = b.astype(float)
    b[:5] = np.nan  # five "both right" texts lose one prediction
    r = paired_comparison(y, a, b)
    assert r["n"] == 25 and (r["b"], r["c"]) == (0, 10)
    groups = np.r_[np.full(20, "x"), np.full(10, "y")]
    t = paired_table(y, a, b, groups)
    assert t["group"].tolist() == ["x", "y"]
    assert t["n"].tolist() == [15, 10] and t["c"].tolist() == [0, 10]
    assert t.loc[0, "p_mcnemar"] == 1.0 and t.loc[1, "p_mcnemar"] == pytest.approx(2 * 0.5**10)


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="lengths differ"):
        paired_comparison(np.ones(3), np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="no text"):
        paired_comparison(np.full(2, np.nan), np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="n = 0"):
        newcombe_paired_interval(0, 0, 0, 0)


def test_make_model_paired_table_and_markdown() -> None:
    """``scripts/train_voice_model.py`` puts the comparison per corpus, plus a pooled row, in its table."""
    import importlib.util
    from pathlib import Path

    import pandas as pd

    path = Path(__file__).resolve().parents[3] / "scripts" / "train_voice_model.py"
    spec = importlib.util.spec_from_file_location("train_voice_model_under_test", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    y, a, b = _preds(80, 0, 10, 10)
    test = pd.DataFrame({"label": y, "corpus": np.r_[np.full(50, "p"), np.full(50, "q")]})
    snow = np.full(100, np.nan)  # SnowNLP skipped: no table for it
    t = mod.paired_comparisons(test, {"upmarket": a.astype(float), "tfidf_lr": b.astype(float), "snownlp": snow})
    assert t["baseline"].unique().tolist() == ["tfidf_lr"]
    assert t["corpus"].tolist() == ["p", "q", mod.POOLED]
    assert t[["b", "c"]].to_numpy().tolist() == [[0, 0], [0, 10], [0, 10]]
    assert t["p_mcnemar"].iloc[-1] == pytest.approx(2 * 0.5**10)
    md = mod.paired_markdown(t)
    assert "| q | 50 | 0.600 | 0.800 | -20.00 |" in md and "| 0 / 10 | 0.00195 |" in md
