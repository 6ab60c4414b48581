"""Dilemma verdicts vs the twin's planted truth, over presets and seeds (issue 19: "where the twin plants heavy
Redmi cannibalisation, the verdict says so").

The same signal functions run on the estimated results.json and on the twin's truth.json (same keys, no intervals):
each signal the truth carries must point the same way, and the verdicts must agree. Usage::

    PYTHONPATH=src python benchmarks/strategy_verdicts.py --preset tiny --seeds 1 2 3
    PYTHONPATH=src python benchmarks/strategy_verdicts.py --results OUT/results.json --truth DATASET/truth.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from upmarket.strategy.context import Context
from upmarket.strategy.dilemmas import _vote, cannibalisation_signals, lock_in_signals


def compare_with_truth(results: dict[str, Any], truth: dict[str, Any]) -> dict[str, Any]:
    """Per dilemma: the estimated and true signals and verdict signs, on the signals both carry."""
    ctx = Context.of(results)
    truth = {**truth, "config": results.get("config", {}), "focal_brand": results.get("focal_brand")}
    truth_ctx = Context.of(truth, min_n=0)
    out = {}
    for name, fn in (("lock_in", lock_in_signals), ("cannibalisation", cannibalisation_signals)):
        est, tru = fn(results, ctx), fn(truth, truth_ctx)
        shared = sorted(set(est) & set(tru))
        est_s = {k: est[k] for k in shared}
        tru_s = {k: tru[k] for k in shared}
        out[name] = {"estimated": est, "truth": tru, "shared": shared,
                     "agree": all(est_s[k] == tru_s[k] for k in shared) and bool(shared),
                     "verdict_estimated": _vote(est)[0], "verdict_truth": _vote(tru)[0]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="tiny")
    ap.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    ap.add_argument("--results")
    ap.add_argument("--truth")
    a = ap.parse_args()
    if a.results:
        rows = [("given", compare_with_truth(json.loads(Path(a.results).read_text(encoding="utf-8")),
                                            json.loads(Path(a.truth).read_text(encoding="utf-8"))))]
    else:
        import upmarket
        from upmarket.pipeline import analyze

        rows = []
        for seed in a.seeds:
            with tempfile.TemporaryDirectory() as tmp:
                run = upmarket.simulate(Path(tmp) / "m", preset=a.preset, seed=seed)
                res = analyze(run.path, Path(tmp) / "out", report=False)
                rows.append((f"{a.preset}/{seed}", compare_with_truth(res.figures, run.truth)))
    for label, cmp_ in rows:
        for name, r in cmp_.items():
            print(f"{label:10s} {name:16s} agree={r['agree']!s:5s} verdict est={r['verdict_estimated']:+d} "
                  f"truth={r['verdict_truth']:+d} est={r['estimated']} truth={r['truth']}")


if __name__ == "__main__":
    main()
