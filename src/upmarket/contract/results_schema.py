"""results.schema.json, generated from one block per results key (the analyses' result models) and the run's keys.

The blocks are JSON Schema files in ``contract/results/`` (``market.json``, ``pricing_plan.json`` …; equity, mix
and launch are reserved for the analyses being written), ``_run.json`` holds the header, the shared ``$defs``, the
keys the runner writes (contract, skipped, failed, data quality …) and the order of the top-level keys.
``upmarket docs`` writes ``contract/results.schema.json`` from them; a test keeps the committed file current and
checks that every registered analysis' results key has a block.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

RUN_FILE = "_run.json"


def _folder():
    return resources.files("upmarket.contract").joinpath("results")


def result_blocks() -> dict[str, dict[str, Any]]:
    """Results key → the JSON Schema of its block."""
    return {f.name.removesuffix(".json"): json.loads(f.read_text(encoding="utf-8"))
            for f in sorted(_folder().iterdir(), key=lambda f: f.name)
            if f.name.endswith(".json") and f.name != RUN_FILE}


def render_results_schema() -> dict[str, Any]:
    """The whole schema: the header, every block and run key in the declared order (new blocks after the blocks
    listed), the ``$defs``."""
    run = json.loads(_folder().joinpath(RUN_FILE).read_text(encoding="utf-8"))
    blocks = result_blocks()
    order = [k for k in run["order"] if k in blocks or k in run["run_keys"]]
    first_run_key = next(i for i, k in enumerate(order) if k in run["run_keys"] and i > 1)
    new = [k for k in blocks if k not in order]
    order = order[:first_run_key] + new + order[first_run_key:]
    props = {k: blocks[k] if k in blocks else run["run_keys"][k] for k in order}
    return {**run["header"], "properties": props, "$defs": run["$defs"]}


def render_results_schema_text() -> str:
    """The file ``contract/results.schema.json`` holds."""
    return json.dumps(render_results_schema(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":  # python -m upmarket.contract.results_schema: rewrite the committed file
    from pathlib import Path

    target = Path(str(resources.files("upmarket.contract").joinpath("results.schema.json")))
    target.write_text(render_results_schema_text(), encoding="utf-8")
    print(f"wrote {target}")
