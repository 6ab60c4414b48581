"""MNL against statsmodels, latent-class recovery on planted classes, and clear errors on bad choice data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.segments import ChoiceDataError, build_design, fit_latent_class, fit_mnl, wtp
from upmarket.analyses.segments.naming import adjusted_rand
from upmarket.warehouse.pseudonym import pseudonymise

BRANDS = np.array(["Redmi", "Xiaomi", "Apple"])


def conjoint(n_resp: int, classes: list[dict], shares: list[float], seed: int = 0, n_tasks: int = 10):
    """A small conjoint with planted classes: brand, price (CNY), camera (3 levels), plus none."""
    rng = np.random.default_rng(seed)
    cls = rng.choice(len(classes), size=n_resp, p=shares)
    rows = []
    r, t, _ = np.meshgrid(np.arange(n_resp), np.arange(n_tasks), np.arange(3), indexing="ij")
    brand = rng.integers(3, size=r.shape)
    price = rng.choice([1999.0, 2999.0, 3999.0, 4999.0], size=r.shape)
    cam = rng.choice([60.0, 75.0, 90.0], size=r.shape)
    b = np.array([[c["brand"][x] for x in BRANDS] for c in classes])[cls]  # (R, 3)
    v = (np.take_along_axis(b[:, None, :].repeat(n_tasks, 1), brand, axis=2)
         - np.array([c["alpha"] for c in classes])[cls][:, None, None] * price / 1000
         + np.array([c["cam"] for c in classes])[cls][:, None, None] * (cam - 60) / 10 + 2.0)
    v = np.concatenate([v, np.zeros((n_resp, n_tasks, 1))], axis=2)
    ch = (v + rng.gumbel(size=v.shape)).argmax(axis=2)
    for k in range(4):
        none = k == 3
        rows.append(pd.DataFrame({
            "respondent_id": np.char.add("r", r[..., 0].ravel().astype(str)),
            "task_id": np.char.add("t", t[..., 0].ravel().astype(str)),
            "alt_id": "none" if none else f"a{k}",
            "chosen": (ch == k).ravel().astype(int),
            "brand": "none" if none else BRANDS[brand[..., k].ravel()],
            "price": 0.0 if none else price[..., k].ravel(),
            "camera": np.nan if none else cam[..., k].ravel()}))
    df = pd.concat(rows, ignore_index=True)
    return df, pd.Series(cls, index=[f"r{i}" for i in range(n_resp)])


ONE = {"brand": {"Redmi": 0.0, "Xiaomi": 0.5, "Apple": 1.5}, "alpha": 0.8, "cam": 0.3}


def test_mnl_matches_statsmodels_and_recovers_wtp():
    from statsmodels.discrete.conditional_models import ConditionalLogit

    df, _ = conjoint(300, [ONE], [1.0], seed=1)
    d = build_design(df, "Redmi")
    f = fit_mnl(d)
    sm = ConditionalLogit(d.chosen.astype(float), d.X, groups=d.task).fit(method="newton", maxiter=100, disp=0)
    assert np.max(np.abs(sm.params - f.params)) < 1e-4
    assert np.max(np.abs(sm.bse - f.se)) < 1e-4
    w = wtp(f.params, f.cov, f.names)
    apple, lo, hi = w["brand=Apple"]
    assert lo < apple < hi
    assert abs(apple - 1500 / 0.8) < 0.2 * 1500 / 0.8  # planted 1875 CNY


def test_latent_class_recovers_two_planted_classes():
    value = {"brand": {"Redmi": 0.5, "Xiaomi": 0.0, "Apple": -0.5}, "alpha": 1.4, "cam": 0.0}
    status = {"brand": {"Redmi": 0.0, "Xiaomi": 0.8, "Apple": 2.5}, "alpha": 0.4, "cam": 0.4}
    df, truth = conjoint(400, [value, status], [0.6, 0.4], seed=2)
    d = build_design(df, "Redmi")
    one, two, three = (fit_latent_class(d, k, n_starts=2, seed=k) for k in (1, 2, 3))
    assert two.bic < one.bic and two.bic < three.bic  # BIC picks the planted number
    assert abs(two.shares[0] - 0.6) < 0.05
    pred = pd.Series(two.assignments(), index=d.respondents).loc[truth.index]
    assert adjusted_rand(pred.to_numpy(), truth.to_numpy()) > 0.7
    big = int(np.argmax(two.shares))
    assert abs(two.wtp(big)["brand=Apple"][0] - (-0.5 - 0.5) / 1.4 * 1000) < 300


def test_bad_choice_data_is_named():
    df, _ = conjoint(20, [ONE], [1.0], n_tasks=3)
    two = df.copy()
    two.loc[(two["respondent_id"] == "r3") & (two["task_id"] == "t1"), "chosen"] = 1
    with pytest.raises(ChoiceDataError, match=r"exactly one .*respondent r3 task t1: 4 chosen"):
        build_design(two, "Redmi")
    pair = df.copy()  # exactly two chosen
    pair.loc[(pair["respondent_id"] == "r4") & (pair["task_id"] == "t2") & pair["alt_id"].isin(["a0", "a1"]),
             "chosen"] = 1
    pair.loc[(pair["respondent_id"] == "r4") & (pair["task_id"] == "t2") & ~pair["alt_id"].isin(["a0", "a1"]),
             "chosen"] = 0
    with pytest.raises(ChoiceDataError, match=r"1 task\(s\) do not \(respondent r4 task t2: 2 chosen\)"):
        build_design(pair, "Redmi")
    zero = df.copy()
    zero.loc[(zero["respondent_id"] == "r5") & (zero["task_id"] == "t0"), "chosen"] = 0
    with pytest.raises(ChoiceDataError, match="respondent r5 task t0: 0 chosen"):
        build_design(zero, "Redmi")
    const = df.assign(camera=np.where(df["brand"] == "none", np.nan, 75.0))
    assert any("camera is constant" in w for w in build_design(const, "Redmi").warnings)
    with pytest.raises(ChoiceDataError, match="price is constant"):
        build_design(df.assign(price=np.where(df["brand"] == "none", 0.0, 2999.0)), "Redmi")
    dom = df[df["alt_id"] != "none"].copy()  # the cheapest is always chosen
    cheapest = dom.groupby(["respondent_id", "task_id"])["price"].transform(
        lambda s: (s == s.min()) & (s.rank(method="first") == 1))
    dom["chosen"] = cheapest.astype(int)
    with pytest.raises(ChoiceDataError, match=r"dominated design .*lowest price"):
        build_design(dom, "Redmi")
    with pytest.raises(ChoiceDataError, match="reference brand 'Honor'"):
        build_design(df, "Honor")


def test_membership_covariates_sharpen_classes():
    from upmarket.choice.latent import membership_covariates

    value = {"brand": {"Redmi": 0.5, "Xiaomi": 0.0, "Apple": -0.5}, "alpha": 1.2, "cam": 0.0}
    status = {"brand": {"Redmi": 0.0, "Xiaomi": 0.6, "Apple": 1.5}, "alpha": 0.6, "cam": 0.3}
    df, truth = conjoint(400, [value, status], [0.6, 0.4], seed=4, n_tasks=4)
    d = build_design(df, "Redmi")
    cls = truth.loc[d.respondents].to_numpy()
    rng = np.random.default_rng(0)
    tier = np.where(rng.random(len(cls)) < 0.85, cls, 1 - cls)  # a trait that mostly reveals the class
    Z, names = membership_covariates(pd.DataFrame({"tier": np.where(tier == 1, "tier1", "tier4")}))
    assert names[0] == "const" and Z.shape == (400, 2)
    plain = fit_latent_class(d, 2, n_starts=2, seed=1)
    cov = fit_latent_class(d, 2, n_starts=2, seed=1, Z=Z, covariates=names)
    assert cov.loglik > plain.loglik + 10 and cov.n_params == plain.n_params + 1
    ari = [adjusted_rand(f.assignments(), cls) for f in (plain, cov)]
    assert ari[1] > ari[0] + 0.05, ari
    lo, hi = cov.share_ci()[0]
    assert lo < cov.shares[0] < hi and abs(cov.shares[0] - (cls == 0).mean()) < 0.06
    assert np.allclose(cov.priors.mean(axis=0), cov.shares)
    with pytest.raises(ValueError, match="constant first column"):
        fit_latent_class(d, 2, Z=Z[:, 1:])


def test_bad_choices_file_is_named_by_the_analysis(tmp_path):
    from upmarket.analyses.segments import Segments
    from upmarket.config import load_config
    from upmarket.warehouse import Warehouse

    df, _ = conjoint(30, [ONE], [1.0], n_tasks=3)
    df.loc[(df["respondent_id"] == "r7") & (df["task_id"] == "t0"), "chosen"] = 0
    df.to_parquet(tmp_path / "choices.parquet", index=False)
    (tmp_path / "upmarket.toml").write_text('focal_brand = "Xiaomi"\nsub_brands = ["Redmi"]\n', encoding="utf-8")
    config = load_config(tmp_path)
    with Warehouse(":memory:") as wh:
        wh.ingest(tmp_path, config)
        r7 = pseudonymise(["r7"])[0]  # the respondent as stored: a salted pseudonym
        expected = rf"choices\.parquet: choices: column chosen .*respondent {r7} task t0"
        with pytest.raises(ChoiceDataError, match=expected):
            Segments().run(wh, config)
