"""Real data through upmarket's one pyblp wrapper: pyblp's documented tutorial results on the Nevo (2000) fake
cereal data and the BLP (1995) automobile data shipped inside pyblp, to the precision the docs print (two
significant digits, pyblp.options.digits = 2).

Sources: pyblp docs/notebooks/tutorial/logit_nested.ipynb (logit: prices −3.0E+01 (1.0E+00); nested, one nest:
ρ +9.8E-01 (1.4E-02), prices −1.2E+00 (4.0E-01); nested by mushy: ρ +8.9E-01 (1.9E-02), prices −7.8E+00 (4.8E-01));
nevo.ipynb (RC with demographics, 1-step GMM, BFGS: prices −6.3E+01 (1.5E+01), Σ_prices +3.3E+00, Π_prices,income
+5.9E+02, Π_prices,income² −3.0E+01, objective 8.96E-7·N² = 4.56); blp.ipynb (RC + log-cost supply side, clustered:
β 1 −7.3, hpwt +3.5, air −1.0, mpd +0.42, space +4.2; γ log(hpwt) +0.90, trend +0.027).

Every pyblp Problem upmarket solves is built by ``spec.build_problem`` — the pipeline's ``DemandModel`` and
``fit_spec`` alike —, and the Nevo logit also runs through ``DemandModel.fit`` itself (the class the ``demand``
analysis fits), with product dummies as its "brands" and Nevo's own instruments.

The two RC solves take minutes on a shared 2-core machine (Nevo 44 BFGS iterations ≈ 170 s from the printed
estimates, BLP ≈ 6 min from its published start), so they run only with UPMARKET_REAL_DATA_RC=1.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd
import pyblp
import pytest

from upmarket.analyses.demand import DemandDataError, DemandModel
from upmarket.analyses.demand.spec import Spec, fit_spec

RC = pytest.mark.skipif(os.environ.get("UPMARKET_REAL_DATA_RC") != "1",
                        reason="real-data RC solves take minutes: set UPMARKET_REAL_DATA_RC=1")


def printed(x: float, digits: int = 2) -> float:
    """x as pyblp prints it with options.digits = 2 (two significant digits, E notation)."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


@pytest.fixture(scope="module")
def nevo() -> pd.DataFrame:
    return pd.read_csv(pyblp.data.NEVO_PRODUCTS_LOCATION)


def test_nevo_logit_with_product_effects(nevo):
    fit = fit_spec(nevo, Spec("prices", absorb="C(product_ids)"))
    assert printed(fit.beta["prices"]) == -30.0
    assert printed(fit.beta_se["prices"]) == 1.0
    assert (fit.own_elasticities < 0).all()


def test_nevo_logit_through_the_pipelines_demand_model(nevo):
    """The production class: product dummies in place of absorbed product effects give the same price
    coefficient, −3.0E+01 (1.0E+00), as pyblp's logit tutorial."""
    df = nevo.assign(brand=nevo["product_ids"].astype(str))
    model = DemandModel(kind="logit", fixed_effects="none", reference=str(df["brand"].iloc[0]))
    fit = model.fit(df, instruments=False)
    beta = dict(zip([str(x) for x in fit.results.beta_labels], np.ravel(fit.results.beta), strict=True))
    se = dict(zip([str(x) for x in fit.results.beta_labels], np.ravel(fit.results.beta_se), strict=True))
    assert printed(beta["prices"]) == -30.0 and printed(se["prices"]) == 1.0
    assert fit.price_coef_ == pytest.approx(-beta["prices"])
    assert (fit.elasticities_["own_elasticity"] < 0).all()


@pytest.mark.parametrize(("nests", "rho", "rho_se", "alpha", "alpha_se"), [
    ("one", 0.98, 0.014, -1.2, 0.40),
    ("mushy", 0.89, 0.019, -7.8, 0.48),
])
def test_nevo_nested_logit(nevo, nests, rho, rho_se, alpha, alpha_se):
    df = nevo.copy()
    df["nesting_ids"] = 1 if nests == "one" else df["mushy"]
    df["demand_instruments20"] = df.groupby(["market_ids", "nesting_ids"])["shares"].transform("size")
    fit = fit_spec(df, Spec("0 + prices"), rho=0.7)
    assert (printed(fit.rho), printed(fit.rho_se)) == (rho, rho_se)
    assert (printed(fit.beta["prices"]), printed(fit.beta_se["prices"])) == (alpha, alpha_se)


def test_bad_product_data_names_row_and_column(nevo):
    df = nevo.copy()
    df.loc[7, "prices"] = np.nan
    with pytest.raises(DemandDataError, match=r"no price, e\.g\. row 7 .*column 'prices'"):
        fit_spec(df, Spec("prices"))
    df = nevo.copy()
    df.loc[3, "shares"] = 0.0
    with pytest.raises(DemandDataError, match=r"row 3 .*column 'shares'"):
        fit_spec(df, Spec("prices"))
    with pytest.raises(DemandDataError, match="missing column"):
        fit_spec(nevo.drop(columns="prices"), Spec("1"))


@RC
def test_nevo_random_coefficients_with_demographics(nevo):
    agents = pd.read_csv(pyblp.data.NEVO_AGENTS_LOCATION)
    spec = Spec("0 + prices", absorb="C(product_ids)", x2="1 + prices + sugar + mushy",
                demographics="0 + income + income_squared + age + child")
    sigma = np.diag([0.56, 3.3, -0.0058, 0.093])  # the printed estimates as the start: the optimum is re-found
    pi = np.array([[2.3, 0, 1.3, 0], [590, -30, 0, 11], [-0.38, 0, 0.052, 0], [0.75, 0, -1.4, 0]])
    fit = fit_spec(nevo, spec, agents, sigma=sigma, pi=pi, optimization="bfgs", method="1s")
    assert printed(fit.beta["prices"]) == -63.0
    assert printed(fit.beta_se["prices"]) == 15.0
    assert printed(fit.sigma.loc["prices", "prices"]) == 3.3
    assert printed(fit.pi.loc["prices", "income"]) == 590.0
    assert printed(fit.pi.loc["prices", "income_squared"]) == -30.0
    assert fit.objective == pytest.approx(8.96e-7 * len(nevo) ** 2, rel=0.01)


@RC
def test_blp_automobiles_with_supply_side():
    products = pd.read_csv(pyblp.data.BLP_PRODUCTS_LOCATION)
    agents = pd.read_csv(pyblp.data.BLP_AGENTS_LOCATION)
    spec = Spec("1 + hpwt + air + mpd + space", x2="1 + prices + hpwt + air + mpd + space",
                x3="1 + log(hpwt) + air + log(mpg) + log(space) + trend", demographics="0 + I(1 / income)",
                costs_type="log")
    fit = fit_spec(products, spec, agents, sigma=np.diag([3.612, 0, 4.628, 1.818, 1.050, 2.056]),
                   pi=np.c_[[0, -43.501, 0, 0, 0, 0]], costs_bounds=(0.001, None), W_type="clustered",
                   se_type="clustered", initial_update=True)
    assert {k: printed(v) for k, v in fit.beta.items()} == {"1": -7.3, "hpwt": 3.5, "air": -1.0, "mpd": 0.42,
                                                            "space": 4.2}
    assert printed(fit.pi.loc["prices", "1/income"]) == -45.0
    assert printed(fit.gamma["log(hpwt)"]) == 0.90 and printed(fit.gamma["trend"]) == 0.027
