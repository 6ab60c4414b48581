"""The NBD-Dirichlet module against the toothpaste example of R's NBDdirichlet package.

Data: UK toothpaste, AGB panel, 1st quarter 1973 (Goodhardt, Ehrenberg & Chatfield 1984, section 3), as in the
package's examples (``?dirichlet``, ``?print.dirichlet``).

Published outputs reproduced here, to two decimals:
* ``?print.dirichlet`` (CRAN NBDdirichlet, https://search.r-project.org/CRAN/refmans/NBDdirichlet/html/
  print.dirichlet.html) prints ``NBD: M = 1.46 ,  K = 0.78 ;  Dirichlet: S = 1.55``: S averaged over every brand;
* the current R source (v1.4, R/dirichlet.R, https://rdrr.io/cran/NBDdirichlet/src/R/dirichlet.R) drops outlying
  per-brand S before averaging; its ``summary(dobj)`` buy table, M = 1.46, K = 0.78, S = 1.30 and the
  duplication row of Colgate are printed in the "R" column of github.com/NumiNate/NBDdirichlet
  comparison_report.md.
"""

from __future__ import annotations

import numpy as np
import pytest

from upmarket.analyses.equity.dirichlet import dirichlet

CAT_PEN, CAT_BUYRATE = 0.56, 2.6
SHARE = [0.25, 0.19, 0.1, 0.1, 0.09, 0.08, 0.03, 0.02]
PEN_OBS = [0.2, 0.17, 0.09, 0.08, 0.08, 0.07, 0.03, 0.02]
NAMES = ["Colgate DC", "Macleans", "Close Up", "Signal", "ultrabrite", "Gibbs SR", "Boots Priv. Label",
         "Sainsbury Priv. Lab."]

R_PEN = [0.20, 0.16, 0.09, 0.09, 0.08, 0.07, 0.03, 0.02]
R_BUY_RATE = [1.82, 1.76, 1.68, 1.68, 1.67, 1.66, 1.62, 1.61]
R_CAT_RATE = [3.16, 3.22, 3.30, 3.30, 3.31, 3.32, 3.37, 3.38]
R_DUP_COLGATE = [1.00, 0.19, 0.10, 0.10, 0.09, 0.08, 0.03, 0.02]


def _two_decimals(values) -> list[float]:
    return [round(float(v) + 1e-12, 2) for v in values]


def test_toothpaste_parameters_as_printed_by_the_package():
    d = dirichlet(CAT_PEN, CAT_BUYRATE, SHARE, PEN_OBS, NAMES, drop_outlier_s=False)
    assert (round(d.M, 2), round(d.K, 2), round(d.S, 2)) == (1.46, 0.78, 1.55)


def test_toothpaste_current_r_source_parameters_and_buy_table():
    d = dirichlet(CAT_PEN, CAT_BUYRATE, SHARE, PEN_OBS, NAMES)
    assert (round(d.M, 2), round(d.K, 2), round(d.S, 2)) == (1.46, 0.78, 1.30)
    t = d.table()
    assert list(t["brand"]) == NAMES
    assert _two_decimals(t["penetration"]) == R_PEN
    assert _two_decimals(t["buy_rate"]) == R_BUY_RATE
    assert _two_decimals(t["category_rate"]) == R_CAT_RATE
    assert _two_decimals(d.duplication_table().loc["Colgate DC"]) == R_DUP_COLGATE


def test_double_jeopardy_and_identities():
    """Smaller brands: fewer buyers who buy them less often and are less often 100 %-loyal; SCR = w / wp."""
    d = dirichlet(CAT_PEN, CAT_BUYRATE, SHARE, PEN_OBS, NAMES)
    t = d.table()
    assert np.all(np.diff(t["penetration"]) <= 1e-12)
    assert np.all(np.diff(t["buy_rate"]) <= 1e-12)
    assert np.all(np.diff(t["sole_loyal"]) <= 1e-12)
    np.testing.assert_allclose(t["scr"], t["buy_rate"] / t["category_rate"])
    # penetration × buying rate = M × share: every purchase is someone's
    np.testing.assert_allclose(t["penetration"] * t["buy_rate"], d.M * np.asarray(SHARE), rtol=1e-6)


def test_longer_period_raises_penetration():
    short = dirichlet(CAT_PEN, CAT_BUYRATE, SHARE, PEN_OBS, NAMES)
    long = dirichlet(CAT_PEN, CAT_BUYRATE, SHARE, PEN_OBS, NAMES, period=4)
    assert long.penetration(0) > short.penetration(0)
    assert pytest.approx(short.S) == long.S


@pytest.mark.parametrize("kwargs, match", [
    ({"cat_pen": 1.2}, "cat_pen"),
    ({"cat_buyrate": 0.5}, "cat_buyrate"),
    ({"brand_share": [0.5]}, "one value per brand"),
    ({"cat_pur_var": 1.0}, "cat_pur_var"),
])
def test_bad_inputs_are_named(kwargs, match):
    args = {"cat_pen": CAT_PEN, "cat_buyrate": CAT_BUYRATE, "brand_share": SHARE, "brand_pen_obs": PEN_OBS, **kwargs}
    with pytest.raises(ValueError, match=match):
        dirichlet(**args)
