"""The twin check judges a launch fit by the tolerance table and an analogue forecast by its own interval."""

from upmarket.twin.check import compare


def _results(basis: str, p: float, p_ci: list[float]) -> dict:
    return {"launch": {"X 1": {"p": p, "q": 0.3, "m": 1e6, "time_unit": "week", "basis": basis, "p_ci": p_ci}}}


TRUTH = {"launch": {"X 1": {"p": 0.010, "q": 0.3, "m": 1e6}}}


def _p_check(results: dict):
    return next(c for c in compare(results, TRUTH) if c.key == "launch.X 1.p")


def test_a_fit_is_held_to_the_tolerance_table():
    assert _p_check(_results("fit", 0.011, [0.009, 0.013])).passed
    assert not _p_check(_results("fit", 0.020, [0.005, 0.030])).passed  # inside its interval, outside 25 %


def test_an_analogue_forecast_is_held_to_its_interval():
    inside = _p_check(_results("analogues", 0.020, [0.005, 0.030]))
    assert inside.passed and "interval" in inside.tolerance
    assert not _p_check(_results("analogues", 0.011, [0.012, 0.030])).passed  # close, but outside its own claim


def test_quarterly_intervals_are_scaled_to_weeks_like_the_estimate():
    quarter = 365.25 / 4 / 7  # weeks per quarter
    res = {"launch": {"X 1": {"p": 0.02 * quarter, "q": 0.3, "m": 1e6, "time_unit": "quarter", "basis": "analogues",
                              "p_ci": [0.005 * quarter, 0.012 * quarter]}}}
    assert _p_check(res).passed
