"""Consumer types from a conjoint's latent classes (``analyses.demand.tastes``), on a hand-built two-class fit whose
tastes are known exactly. The recovery of brand premia with them is in test_demand_twin_recovery.py."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.demand.tastes import SurveyTastes, TasteError, from_latent_class
from upmarket.choice.latent import LatentClassFit

NAMES = ["brand=Apple", "brand=Xiaomi", "none", "price", "camera=75", "camera=90", "chip=flagship", "chip=upper-mid"]
LEVELS = {"brand": ["Redmi", "Apple", "Xiaomi"], "camera": ["60", "75", "90"],
          "chip": ["entry", "flagship", "upper-mid"]}
CHIP = {"characteristic": "performance", "levels": {"entry": 50, "upper-mid": 75, "flagship": 95}}
SHARES = np.array([0.6, 0.4])
ALPHA = np.array([1.2, 0.5])  # value buyers mind price more
REDMI = np.array([0.8, -0.4])  # utility of Redmi over no purchase (the survey's context constant is 2.0)
APPLE, XIAOMI = np.array([-0.5, 1.5]), np.array([0.2, 0.6])  # over Redmi
CAM = np.array([0.05, 0.30])  # per 10 camera points
PERF = np.array([0.25, 0.02])  # per 10 performance points


def _fit(**change) -> LatentClassFit:
    b = np.zeros((2, len(NAMES)))
    kappa = 2.0
    b[:, 0], b[:, 1] = APPLE, XIAOMI
    b[:, 3] = -ALPHA
    b[:, 4], b[:, 5] = CAM * 1.5, CAM * 3.0  # base 60 points
    b[:, 6], b[:, 7] = PERF * 4.5, PERF * 2.5  # base entry = 50 points
    # "none" against the base phone: minus (context + Redmi taste + base camera and chip utility)
    b[:, 2] = -(kappa + REDMI + CAM * 6.0 + PERF * 5.0)
    fit = LatentClassFit(betas=b, shares=SHARES, loglik=-1.0, posterior=np.tile(SHARES, (3, 1)),
                         cov=np.eye(b.size + 1), names=list(NAMES), n_respondents=3)
    for k, v in change.items():
        setattr(fit, k, v)
    return fit


def _data(**levels) -> SimpleNamespace:
    return SimpleNamespace(levels={**LEVELS, **levels}, reference="Redmi")


def _tastes(fit: LatentClassFit | None = None, brands=("Apple", "Redmi", "Xiaomi"), attributes=None,
            data=None) -> SurveyTastes:
    return from_latent_class(fit or _fit(), data or _data(), list(brands), ["camera", "performance", "storage"],
                             attributes if attributes is not None else {"camera": "camera", "chip": CHIP},
                             ["value", "status"])


def test_tastes_are_the_classes_deviations_from_the_population_in_survey_cny():
    t = _tastes()
    abar = SHARES @ ALPHA
    assert t.survey_alpha == pytest.approx(abar)
    assert t.weights == pytest.approx(SHARES) and t.labels == ["value", "status"]
    assert t.price == pytest.approx(ALPHA / abar - 1)
    assert t.weights @ t.price == pytest.approx(0.0, abs=1e-12)
    # absolute brand utility of each class = Redmi's level + the brand's gap over Redmi; the context constant drops
    for brand, gap in (("Apple", APPLE), ("Redmi", 0.0), ("Xiaomi", XIAOMI)):
        u = REDMI + gap
        assert t.brand[brand].to_numpy() == pytest.approx((u - SHARES @ u) / abar)
        assert t.weights @ t.brand[brand].to_numpy() == pytest.approx(0.0, abs=1e-12)
    # attribute slopes per 10 points, from level dummies (including the chip's named levels)
    assert t.characteristics["camera"] == pytest.approx((CAM - SHARES @ CAM) / abar)
    assert t.characteristics["performance"] == pytest.approx((PERF - SHARES @ PERF) / abar)
    assert not t.warnings


def test_pi_scales_every_deviation_by_the_market_price_coefficient():
    t = _tastes()
    pi = t.pi(0.8)
    assert pi.shape == (len(t.demographics),) * 2 == (1 + 3 + 2,) * 2
    assert pi[0, 0] == -0.8 and np.allclose(np.diag(pi)[1:], 0.8) and np.count_nonzero(pi) == pi.shape[0]
    assert t.x2_columns() == ["prices", "is_brand_0", "is_brand_1", "is_brand_2", "camera", "performance"]


def test_agents_repeat_the_types_in_every_market_with_zero_nodes():
    t = _tastes()
    a = t.agents(np.array(["m1", "m1", "m2", "m3"]))
    assert len(a) == 3 * 2 and list(pd.unique(a["market_ids"])) == ["m1", "m2", "m3"]
    assert a.groupby("market_ids")["weights"].sum().to_numpy() == pytest.approx(np.ones(3))
    assert (a.filter(like="nodes") == 0).all().all()
    df = t.add_brand_dummies(pd.DataFrame({"brand": ["Apple", "Redmi", "Honor"]}))
    assert df[["is_brand_0", "is_brand_1", "is_brand_2"]].to_numpy().sum(axis=1).tolist() == [1, 1, 0]


def test_price_nodes_split_each_class_and_keep_the_mean():
    fit = _fit(price_nodes=3, price_log_sd=0.2)
    t = _tastes(fit)
    assert len(t.weights) == 6 and t.weights.sum() == pytest.approx(1.0)
    mult, wq = fit.price_multipliers()
    assert t.survey_alpha == pytest.approx(SHARES @ ALPHA * (wq @ mult))
    assert t.weights @ t.price == pytest.approx(0.0, abs=1e-12)
    # the brand deviations do not depend on the price node
    assert t.brand["Apple"].to_numpy()[:3] == pytest.approx(np.repeat(t.brand["Apple"].iloc[0], 3))


def test_unmapped_chip_levels_brand_outside_the_survey_and_no_none_are_warned():
    t = _tastes(attributes={"camera": "camera", "chip": "performance"}, brands=("Apple", "Honor", "Redmi", "Xiaomi"))
    assert "performance" not in t.characteristics and "camera" in t.characteristics
    assert any("levels entry, flagship, upper-mid have no numeric value" in w for w in t.warnings)
    assert any("Honor" in w and "not in the conjoint" in w for w in t.warnings)
    assert (t.brand["Honor"] == 0).all()
    names = [n for n in NAMES if n != "none"]
    fit = _fit(betas=_fit().betas[:, [NAMES.index(n) for n in names]], names=names)
    t = _tastes(fit)
    assert any("no 'none' alternative" in w for w in t.warnings)
    assert (t.brand["Redmi"] == 0).all()  # then only tastes relative to the reference are heterogeneous


def test_a_class_that_likes_higher_prices_cannot_be_scaled():
    b = _fit().betas.copy()
    b[1, NAMES.index("price")] = 0.1
    with pytest.raises(TasteError, match="non-negative price coefficient"):
        _tastes(_fit(betas=b))


def test_only_relative_tastes_come_from_the_survey_so_its_scale_does_not_matter():
    """Stated-preference utilities often have another scale than the market's (less noise, hypothetical bias): the
    types are the same when every conjoint coefficient is doubled; the market's ᾱ sets the scale in Π."""
    t1, fit = _tastes(), _fit()
    t2 = _tastes(_fit(betas=fit.betas * 2.0))
    assert t2.survey_alpha == pytest.approx(2 * t1.survey_alpha)
    assert t2.price == pytest.approx(t1.price)
    assert t2.brand.to_numpy() == pytest.approx(t1.brand.to_numpy())
    for c in t1.characteristics:
        assert t2.characteristics[c] == pytest.approx(t1.characteristics[c])


def test_a_conjoint_that_cannot_give_types_is_a_warning_not_a_crash(demo_twin):
    """The demand analysis's entry point. A conjoint without the sub-brand still gives types (brand levels are
    whatever the survey has; the sub-brand just gets no taste heterogeneity, with a warning); a design error leaves
    the rc model on aggregate shares, with a warning that names the problem."""
    from upmarket.analyses.demand import survey_tastes
    from upmarket.artefacts import store_for
    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

    choices = pd.read_parquet(demo_twin / "choices.parquet")
    choices["brand"] = choices["brand"].replace({"Redmi": "RM Note"})  # the survey named the sub-brand by a model
    products = pd.DataFrame({"brand": ["Apple", "Redmi", "Xiaomi"], "camera": [9.0, 7.0, 8.0]})
    config = replace(Config(), analysis_options={"segments": {"max_classes": 2, "n_starts": 1, "price_nodes": 0}})
    with Warehouse(":memory:") as wh:
        wh.load_frame("choices", choices, "choices.frame")
        warnings: list[str] = []
        tastes = survey_tastes(_artefacts(store_for(wh, config)), products, "Redmi", ("camera",), {}, warnings)
    assert tastes is not None and any("Redmi are not in the conjoint" in w for w in warnings), warnings
    first = choices.groupby(["respondent_id", "task_id"]).head(1).index
    broken = choices.assign(chosen=choices["chosen"].where(~choices.index.isin(first), 1))  # two chosen per task
    with Warehouse(":memory:") as wh:
        wh.load_frame("choices", broken, "choices.frame")
        warnings = []
        assert survey_tastes(_artefacts(store_for(wh, config)), products, "Redmi", ("camera",), {}, warnings) is None
    assert any("not used in the demand model" in w and "exactly one alternative" in w for w in warnings), warnings


def _artefacts(store):
    """What the demand analysis sees as ``self.artefacts``: the conjoint's design and latent classes."""
    return store.view(("choice_design", "latent_classes"), "demand")
