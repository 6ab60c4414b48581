"""A sample of the fuzzer (``make fuzz`` runs 10,000 cases): mutated real-shaped datasets never crash or hang
the ingest, every row is accounted for, a failed ingest leaves nothing behind and a re-run loads nothing twice."""

from __future__ import annotations

import pytest
from fuzz_cases import SAMPLE_SCALE, make_case, report, run_cases

SAMPLE = range(1000, 1050)


def test_cases_are_reproducible_by_number() -> None:
    a, b = make_case(1234, SAMPLE_SCALE), make_case(1234, SAMPLE_SCALE)
    assert a.files == b.files and a.ops == b.ops and a.ops
    assert make_case(1235, SAMPLE_SCALE).files != a.files


@pytest.mark.slow
def test_fuzz_sample_never_crashes_hangs_or_loses_rows() -> None:
    out = run_cases(list(SAMPLE), SAMPLE_SCALE, timeout=60, workers=1)
    assert sum(out.counts.values()) == len(SAMPLE)
    assert out.counts["loaded"] > 0 and out.counts["clear_error"] > 0, report(out)  # both paths exercised
    assert out.counts["crash"] == out.counts["hang"] == out.counts["unaccounted"] == 0, report(out)
