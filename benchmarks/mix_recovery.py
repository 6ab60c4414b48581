"""Recovery of the twin's planted mix ROI over more seeds than the test fits, and on the demo twin's own series.

``python benchmarks/mix_recovery.py [seeds]`` (default 0–5) fits each seed's twin series with its planted lift
tests (test settings: 400 draws, 2 starts) and the demo twin's series (seed 7, as ``upmarket simulate`` spawns
it, default settings), and prints per channel the relative error of the ROI median, whether the 90 % interval
covers the truth, its width (high / low) and whether the analysis flags the channel as unidentified.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from upmarket.analyses.mix.model import LiftTest, MixData, fit
from upmarket.analyses.mix.plan import roi_table, unidentified
from upmarket.twin.mix import mix_data
from upmarket.twin.run import OBS_END, OBS_START

DEMO_SEED = 7


def report(label: str, data: MixData, truth: dict, tests: list[LiftTest], **options) -> list[float]:
    t0 = time.perf_counter()
    f = fit(data, lift_tests=tests, **options)
    roi = roi_table(f)
    flagged = set(unidentified(roi))
    errors, cells = [], []
    for r in roi.itertuples():
        true = truth["roi"][r.channel]
        err = r.roi / true - 1
        errors.append(err)
        cover = "c" if r.roi_low <= true <= r.roi_high else "MISS"
        flag = " FLAG" if r.channel in flagged else ""
        cells.append(f"{r.channel} {err:+.0%} {cover} ×{r.roi_high / r.roi_low:.1f}{flag}")
    print(f"{label} ({time.perf_counter() - t0:.0f} s): " + " | ".join(cells), flush=True)
    return errors


def main(scale: float = 1.0, seeds: list[int] | None = None) -> dict[str, float]:
    """Seeds 0..6·scale (at least one) and the demo twin; returns the shares ``make bench`` summarises."""
    seeds = seeds if seeds is not None else list(range(max(1, round(6 * scale))))
    errors: list[float] = []
    for seed in seeds:
        errors += report(f"seed {seed}", *mix_data(np.random.default_rng(seed)), n_draws=400, starts=2, seed=seed)
    demo_rng = np.random.default_rng(np.random.SeedSequence(DEMO_SEED).spawn(9)[4])
    errors += report("demo twin", *mix_data(demo_rng, start=OBS_START, end=OBS_END))
    e = np.abs(errors)
    print(f"within 30 %: {np.sum(e <= 0.3)} of {len(e)}; median |error| {np.median(e):.1%}; max {e.max():.1%}")
    return {"roi_within_30pct": float(np.mean(e <= 0.3)), "median_abs_error": float(np.median(e)),
            "max_abs_error": float(e.max())}


if __name__ == "__main__":
    main(seeds=[int(s) for s in sys.argv[1].split(",")] if len(sys.argv) > 1 else None)
