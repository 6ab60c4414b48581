"""`make bench`: every benchmark, each printing a ratio against a baseline measured in the same run.

Scale runs live here, never in `make test`. `BENCH_SCALE=0.25 make bench` runs a quarter size.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from pathlib import Path

BENCHMARKS = ["ingest", "reingest", "hostile", "twin", "spread", "voice", "funnel", "demand", "segments", "equity",
              "launch", "mix_vs_pymc", "ibis_access",
              "mix_inference", "mix_recovery"]


def main() -> int:
    sys.path.insert(0, str(Path(__file__).parent))
    scale = float(os.environ.get("BENCH_SCALE", "1.0"))
    summary = {}
    for name in BENCHMARKS:
        module = importlib.import_module(name)
        print(f"\n=== benchmark {name} (scale {scale}) ===", flush=True)
        t0 = time.perf_counter()
        summary[name] = module.main(scale=scale)
        print(f"=== {name} done in {time.perf_counter() - t0:.1f} s ===", flush=True)
    out = Path("bench_out")
    out.mkdir(exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    print(f"\nsummary: {out / 'summary.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
