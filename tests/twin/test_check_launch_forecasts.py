"""The twin check judges a launch fit by the tolerance table and analogue forecasts by how often their own
intervals hold the truth."""

from upmarket.twin.check import compare, coverage_check


def _results(basis: str, p: float, p_ci: list[float]) -> dict:
    return {"launch": {"X 1": {"p": p, "q": 0.3, "m": 1e6, "time_unit": "week", "basis": basis, "p_ci": p_ci}}}


TRUTH = {"launch": {"X 1": {"p": 0.010, "q": 0.3, "m": 1e6}}}


def _p_check(results: dict):
    return next(c for c in compare(results, TRUTH) if c.key == "launch.X 1.p")


def test_a_fit_is_held_to_the_tolerance_table():
    assert _p_check(_results("fit", 0.011, [0.009, 0.013])).passed
    assert not _p_check(_results("fit", 0.020, [0.005, 0.030])).passed  # inside its interval, outside 25 %


def _coverage(results: dict):
    return next(c for c in compare(results, TRUTH) if c.key == "launch.forecast_coverage.p")


def test_analogue_forecasts_are_held_to_the_coverage_of_their_intervals():
    inside = _coverage(_results("analogues", 0.020, [0.005, 0.030]))
    assert inside.passed and inside.estimate == 1.0 and "interval" in inside.tolerance
    assert not any(c.key == "launch.X 1.p" for c in compare(_results("analogues", 0.02, [0.005, 0.03]), TRUTH))
    outside = _coverage(_results("analogues", 0.011, [0.012, 0.030]))  # close, but outside its own claim
    assert outside.estimate == 0.0 and outside.passed  # one miss of one is what a 90 % interval allows


def test_coverage_fails_only_when_significantly_below_the_claimed_level():
    assert coverage_check("k", [True] * 71 + [False] * 7).passed  # 91 %: as claimed
    assert coverage_check("k", [True] * 66 + [False] * 12).passed  # 85 %: P(≤ 66 | 90 %) ≈ 0.09
    assert not coverage_check("k", [True] * 60 + [False] * 18).passed  # 77 %: the intervals are too narrow
    assert not coverage_check("k", [False] * 3).passed  # 0 of 3: P = 0.001


def test_quarterly_intervals_are_scaled_to_weeks_like_the_estimate():
    quarter = 365.25 / 4 / 7  # weeks per quarter
    res = {"launch": {"X 1": {"p": 0.02 * quarter, "q": 0.3, "m": 1e6, "time_unit": "quarter", "basis": "analogues",
                              "p_ci": [0.005 * quarter, 0.012 * quarter]}}}
    assert _coverage(res).estimate == 1.0
