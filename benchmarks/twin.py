"""Twin generation speed and peak memory: ``python benchmarks/twin.py [--scale 0.1]``.

Runs the large preset (``scale`` × 100M events) in a subprocess and reports events per second and
the child's peak RSS (ru_maxrss).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time

CHILD = """
import sys
from upmarket.twin import presets
from upmarket.twin.simulate import simulate
scale = float(sys.argv[2])
presets.PRESETS["bench"] = dict(presets.PRESETS["large"])
presets.PRESETS["bench"]["n_events"] = int(presets.PRESETS["large"]["n_events"] * scale)
presets.PRESETS["bench"]["n_users"] = max(int(presets.PRESETS["large"]["n_users"] * scale), 10_000)
simulate(sys.argv[1], preset="bench", seed=0)
"""


def main(scale: float = 1.0) -> dict:
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", CHILD, out, str(scale)], check=True)
        seconds = time.perf_counter() - t0
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    events = int(100_000_000 * scale)
    return {"scale": scale, "events": events, "seconds": round(seconds, 1),
            "events_per_second": round(events / seconds), "peak_rss_mib": round(peak_kib / 1024, 1)}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=1.0)
    print(json.dumps(main(ap.parse_args().scale), indent=1))
