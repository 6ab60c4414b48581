"""The results of one run: the ``results.json`` figures, the tables, the sections behind them.

``results.json`` follows the contract's results shape; ``RESULTS_SCHEMA`` (shipped in the
package) is its JSON Schema and every written file is validated against it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pandas as pd

from upmarket.analyses.base import Finding, Section

RESULTS_FILE = "results.json"
TABLES_DIR = "tables"


@cache
def results_schema() -> dict[str, Any]:
    """The JSON Schema of results.json (contract version 1)."""
    text = resources.files("upmarket.contract").joinpath("results.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def validate_results(figures: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` naming the offending key when ``figures`` is off-contract."""
    jsonschema.Draft202012Validator(results_schema()).validate(figures)


def to_jsonable(value: Any) -> Any:
    """Plain JSON types: NumPy scalars unwrapped, NaN/inf as null, tuples as lists."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _leaves(value: Any, path: str):
    """The key paths of every figure under ``value`` (a non-dict, or an empty dict, is one figure)."""
    if isinstance(value, dict) and value:
        for k, v in value.items():
            yield from _leaves(v, f"{path}.{k}")
    else:
        yield path


class ResultsCollisionError(ValueError):
    """Two analyses wrote the same figure: each path in results.json has one owner."""


def deep_merge(into: dict[str, Any], new: dict[str, Any], *, owners: dict[str, str] | None = None,
               writer: str | None = None, _path: str = "") -> dict[str, Any]:
    """Merge ``new`` into ``into`` recursively; two writers of the same figure raise.

    Analyses may share a results block (``pricing``: demand writes the market-wide ``all`` entries, segments
    the latent classes'), but never a figure: ``owners`` records who wrote each path (``writer``), and a path
    another writer already holds, or a block replacing another's figure, raises :class:`ResultsCollisionError`.
    """
    for key, value in new.items():
        path = f"{_path}.{key}" if _path else str(key)
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            deep_merge(into[key], value, owners=owners, writer=writer, _path=path)
            continue
        if owners is not None:
            for leaf in _leaves(into[key], path) if key in into else ():  # what this value would replace
                if owners.get(leaf, writer) != writer:
                    raise ResultsCollisionError(f"{writer} and {owners[leaf]} both write results figure {leaf!r}; "
                                                "each figure has one owner")
            owners.update(dict.fromkeys(_leaves(value, path), writer or ""))
        into[key] = value
    return into


@dataclass
class Results:
    """What ``upmarket.analyze`` returns: figures (results.json), tables, sections and findings."""

    figures: dict[str, Any]
    sections: list[Section] = field(default_factory=list)
    path: Path | None = None
    report_files: Any = None
    """The files the report step wrote (``upmarket.report.ReportFiles``), when it ran."""
    artefacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Artefact name → its key, what it was computed from and where it is saved (``manifest.json``)."""

    def __getitem__(self, key: str) -> Any:
        return self.figures[key]

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: df for s in self.sections for name, df in s.tables.items()}

    @property
    def findings(self) -> list[Finding]:
        return [f for s in self.sections for f in s.findings]

    @property
    def skipped(self) -> dict[str, str]:
        return dict(self.figures.get("skipped", {}))

    @property
    def failed(self) -> dict[str, dict[str, str]]:
        """Analyses that raised: name → ``{"error", "type", "where"}``; a run with any is not a success."""
        return dict(self.figures.get("failed", {}))

    @property
    def not_computed(self) -> dict[str, dict[str, str]]:
        """Per analysis, the figures the dataset's columns did not allow, with the reason."""
        return dict(self.figures.get("not_computed", {}))

    def summary(self) -> str:
        """A plain-text digest: failures first, each section's findings, then what was skipped or not computed."""
        lines = [f"upmarket results — focal brand {self.figures.get('focal_brand')}"]
        for name, err in self.failed.items():
            lines.append(f"FAILED {name}: {err.get('type')}: {err.get('error')}")
        for s in self.sections:
            lines.append(f"\n## {s.title}")
            lines += [f"- {f.text}" for f in s.findings] or ["- (no findings)"]
        for name, reason in self.skipped.items():
            lines.append(f"\nskipped {name}: {reason}")
        for name, figs in self.not_computed.items():
            lines += [f"not computed {name}.{fig}: {why}" for fig, why in figs.items()]
        return "\n".join(lines)

    def write(self, out_dir: str | Path) -> Path:
        """Write results.json (validated) and one Parquet file per table into ``out_dir``."""
        out = Path(out_dir)
        (out / TABLES_DIR).mkdir(parents=True, exist_ok=True)
        figures = to_jsonable(self.figures)
        validate_results(figures)
        (out / RESULTS_FILE).write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
        seen: dict[str, str] = {}
        for s in self.sections:
            for name, df in s.tables.items():
                if name in seen:
                    raise ValueError(f"result table {name!r} is produced by both {seen[name]} and {s.name}")
                seen[name] = s.name
                df.to_parquet(out / TABLES_DIR / f"{name}.parquet", index=False)
        self.path = out
        return out


def read_results(out_dir: str | Path) -> dict[str, Any]:
    """The figures of a finished run, validated."""
    path = Path(out_dir) / RESULTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no results.json here — run `upmarket analyze` first")
    figures = json.loads(path.read_text(encoding="utf-8"))
    validate_results(figures)
    return figures
