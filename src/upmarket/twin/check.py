"""Compare any results.json with any truth.json, key by key, using the one tolerance table.

``compare`` walks both nested dicts, keeps keys present in both with numeric leaves (``*_ci``
keys ignored), and applies the first matching tolerance from ``tolerances.toml``.
"""

from __future__ import annotations

import fnmatch
import math
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

TOLERANCES = Path(__file__).with_name("tolerances.toml")


@dataclass(frozen=True)
class Tolerance:
    key: str
    abs: float | None = None
    rel: float | None = None

    def allows(self, estimate: float, truth: float) -> bool:
        err = abs(estimate - truth)
        ok_abs = self.abs is not None and err <= self.abs
        ok_rel = self.rel is not None and err <= self.rel * abs(truth)
        return ok_abs or ok_rel

    def describe(self) -> str:
        parts = ([f"abs {self.abs:g}"] if self.abs is not None else []) + (
            [f"rel {self.rel:g}"] if self.rel is not None else [])
        return " or ".join(parts)


@dataclass(frozen=True)
class Check:
    key: str
    estimate: float
    truth: float
    tolerance: str
    passed: bool


def load_tolerances(path: str | Path = TOLERANCES) -> list[Tolerance]:
    """The tolerance table, in file order."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    out = []
    for i, row in enumerate(raw.get("tolerance", []), 1):
        if "key" not in row or ("abs" not in row and "rel" not in row):
            raise ValueError(f"{path}: tolerance #{i} needs a key and abs or rel")
        out.append(Tolerance(row["key"], row.get("abs"), row.get("rel")))
    return out


def _leaves(d: Any, prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    if isinstance(d, dict):
        for k, v in d.items():
            if str(k).endswith("_ci"):
                continue
            out.update(_leaves(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(d, bool):
        pass
    elif isinstance(d, int | float) and math.isfinite(d):
        out[prefix] = float(d)
    return out


SEGMENT_KEYS = ("brand_premium_cny", "brand_premium_cny_ci", "price_elasticity", "price_elasticity_ci",
                "segment_share", "segment_share_ci")


def match_segments(results: dict, truth: dict) -> dict[str, str]:
    """Estimated class name -> planted segment name, by a one-to-one assignment on brand premia.

    The estimator names classes by what sets them apart in the data (``price-sensitive``, ``brand-driven: Apple``);
    the twin knows its own segment names. Each class is matched to the planted segment whose premia it is closest
    to (sum over brands of |Δ| / (|truth| + 300 CNY)); only the twin's check does this, production never sees the
    planted names."""
    from scipy.optimize import linear_sum_assignment

    est = (results.get("pricing") or {}).get("brand_premium_cny") or {}
    tru = (truth.get("pricing") or {}).get("brand_premium_cny") or {}
    planted = [s for s in (truth.get("pricing") or {}).get("segment_share", {}) if s in tru]
    found = [s for s in (results.get("pricing") or {}).get("segment_share", {}) if s in est]
    if not planted or not found:
        return {}
    cost = np.zeros((len(found), len(planted)))
    for i, f in enumerate(found):
        for j, t in enumerate(planted):
            brands = est[f].keys() & tru[t].keys()
            cost[i, j] = sum(abs(est[f][b] - tru[t][b]) / (abs(tru[t][b]) + 300) for b in brands) / max(len(brands), 1)
    rows, cols = linear_sum_assignment(cost)
    return {found[r]: planted[c] for r, c in zip(rows, cols, strict=True)}


def relabel_segments(results: dict, truth: dict) -> dict:
    """``results`` with its class names under ``pricing`` replaced by the planted segments they match."""
    mapping = match_segments(results, truth)
    if not mapping:
        return results
    pricing = dict(results["pricing"])
    for key in SEGMENT_KEYS:
        if isinstance(pricing.get(key), dict):
            pricing[key] = {mapping.get(k, k): v for k, v in pricing[key].items()}
    return {**results, "pricing": pricing}


LAUNCH_UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "quarter": 365.25 / 4, "year": 365.25}


def launch_per_week(results: dict) -> dict:
    """``results`` with each ``launch.<model>`` p and q expressed per week (the twin plants weekly p, q; results state
    their own ``time_unit``, and a Bass p or q scales with the unit's length)."""
    launch = results.get("launch")
    if not isinstance(launch, dict):
        return results
    out = {}
    for model, entry in launch.items():
        unit = entry.get("time_unit") if isinstance(entry, dict) else None
        if unit in LAUNCH_UNIT_DAYS:
            f = 7.0 / LAUNCH_UNIT_DAYS[unit]
            entry = {**entry, **{k: entry[k] * f for k in ("p", "q") if isinstance(entry.get(k), int | float)},
                     **{f"{k}_ci": [None if b is None else b * f for b in entry[f"{k}_ci"]] for k in ("p", "q")
                        if isinstance(entry.get(f"{k}_ci"), list)}}
        out[model] = entry
    return {**results, "launch": out}


def compare(results: dict, truth: dict, tolerances: list[Tolerance] | str | Path | None = None) -> list[Check]:
    """One Check per numeric key present in both results and truth and covered by a tolerance."""
    if tolerances is None:
        tols = load_tolerances()
    elif isinstance(tolerances, list):
        tols = tolerances
    else:
        tols = load_tolerances(tolerances)
    scaled = launch_per_week(relabel_segments(results, truth))
    est, tru = _leaves(scaled), _leaves(truth)
    forecasts = {model: entry for model, entry in (scaled.get("launch") or {}).items()
                 if isinstance(entry, dict) and entry.get("basis", "fit") != "fit"}
    checks = []
    covered: dict[str, list[bool]] = {}
    for key in sorted(est.keys() & tru.keys()):
        tol = next((t for t in tols if fnmatch.fnmatchcase(key, t.key)), None)
        if tol is None:
            continue
        parts = key.split(".")
        if parts[0] == "launch" and len(parts) == 3 and parts[1] in forecasts:
            # a pre-launch forecast from analogues claims its interval, not a fit's precision
            lo, hi = (forecasts[parts[1]].get(f"{parts[2]}_ci") or [None, None])
            covered.setdefault(parts[2], []).append((lo is None or lo <= tru[key]) and (hi is None or tru[key] <= hi))
            continue
        checks.append(Check(key, est[key], tru[key], tol.describe(), tol.allows(est[key], tru[key])))
    return checks + [coverage_check(f"launch.forecast_coverage.{name}", inside)
                     for name, inside in sorted(covered.items())]


FORECAST_LEVEL = 0.90
"""The level of the analogue forecasts' intervals (the launch analysis's fan)."""


def coverage_check(key: str, inside: list[bool], level: float = FORECAST_LEVEL, alpha: float = 0.05) -> Check:
    """One row for a set of interval claims: the share whose interval holds the truth, passing unless it is
    significantly below ``level`` (one-sided binomial test at ``alpha``). A 90 % interval misses one time in ten by
    design, so judging each forecast alone would fail about a tenth of correct forecasts."""
    from scipy.stats import binom

    n, k = len(inside), int(sum(inside))
    return Check(key, k / n, level, f"{k} of {n} analogue forecasts' {level:.0%} intervals hold the truth: not "
                 f"below {level:.0%} at one-sided {alpha:.0%}", bool(binom.cdf(k, n, level) >= alpha))


def twin_check_rows(results: dict, dataset: str | Path, tolerances: str | Path | None = None) -> list[dict] | None:
    """Rows for ``results["twin_check"]`` when ``dataset`` holds a twin truth.json, else None."""
    import json

    path = Path(dataset) / "truth.json"
    if not path.is_file():
        return None
    truth = json.loads(path.read_text(encoding="utf-8"))
    return [asdict(c) for c in compare(results, truth, tolerances)]


def check_lines(checks: dict[str, Check], prefix: str = "") -> str:
    """The checks under ``prefix`` as ``ok/FAIL key: estimate vs truth`` lines, for a person to read."""
    return "\n".join(f"{'ok  ' if c.passed else 'FAIL'} {k}: {c.estimate:.4g} vs {c.truth:.4g}"
                     for k, c in sorted(checks.items()) if k.startswith(prefix))
