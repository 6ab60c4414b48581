"""Fixtures shared across test folders: the demo twin is simulated once per test session (per worker)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

DEMO_SEED = 7
SKIP_LOG_ENV = "UPMARKET_SKIP_LOG"
"""When set (by .ci/run), every skipped test's node id and reason is appended to this file, one per line."""


def _log_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Append "node id<TAB>reason" of a skipped test or module to $UPMARKET_SKIP_LOG (.ci/run deduplicates:
    under xdist a worker and the controller may both see the same report)."""
    path = os.environ.get(SKIP_LOG_ENV)
    if not path or not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"{report.nodeid}\t{reason.removeprefix('Skipped: ')}\n")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Record why a test was skipped, so CI can fail on a skip outside its allow-list (.ci/skip_allowlist)."""
    _log_skip(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """Record a whole module skipped at collection (``pytest.skip(..., allow_module_level=True)``)."""
    _log_skip(report)


@pytest.fixture(scope="session")
def demo_twin(tmp_path_factory) -> Path:
    """A demo-preset twin (seed 7): every contract table, upmarket.toml, truth.json and _truth/."""
    import upmarket

    out = tmp_path_factory.mktemp("demo_twin") / "twin"
    upmarket.simulate(out, preset="demo", seed=DEMO_SEED)
    return out


@pytest.fixture(scope="session")
def twin_subset(demo_twin, tmp_path_factory) -> Callable[[tuple[str, ...]], Path]:
    """A dataset folder holding only some of the demo twin's tables (and its upmarket.toml)."""

    def make(tables: tuple[str, ...]) -> Path:
        sub = tmp_path_factory.mktemp("subset")
        for t in tables:  # a table is a file, a folder (Parquet parts, platform exports) or both (split rows)
            found = False
            if (demo_twin / t).is_dir():
                shutil.copytree(demo_twin / t, sub / t)
                found = True
            if (demo_twin / f"{t}.parquet").is_file():
                shutil.copy(demo_twin / f"{t}.parquet", sub / f"{t}.parquet")
                found = True
            if not found:
                raise FileNotFoundError(f"the demo twin has no table {t!r}")
        shutil.copy(demo_twin / "upmarket.toml", sub / "upmarket.toml")
        return sub

    return make


def made_in_run(ran: Any) -> dict[str, Any]:
    """The artefacts an analysis that ran made in its run (``compute=None`` declarations), by name."""
    from upmarket.artefacts import UndeclaredArtefactError

    out = {}
    for art in type(ran).produces:
        if art.compute is None:
            with contextlib.suppress(UndeclaredArtefactError):  # not made (the fit could not be saved)
                out[art.name] = ran.artefacts[art.name]
    return out


@dataclass
class TwinRecovery:
    """One analysis run on a subset of the demo twin, with its checks against truth.json."""

    section: Any
    truth: dict
    checks: dict
    saved: dict = field(default_factory=dict)
    """The artefacts the analysis made in its run (its saved models: ``demand_fit``, ``mix_model``)."""


@pytest.fixture(scope="session")
def recover_on_twin(demo_twin, twin_subset) -> Callable[..., TwinRecovery]:
    """Ingest only ``tables`` of the demo twin (the real ingest path), run one analysis, compare with truth."""
    from upmarket.config import load_config
    from upmarket.twin.check import compare
    from upmarket.warehouse import Warehouse

    def run(analysis: type, tables: tuple[str, ...], options: dict) -> TwinRecovery:
        sub = twin_subset(tables)
        config = load_config(sub)
        # the test's options on top of the twin's own (upmarket.toml), as a user's overrides would be
        config = replace(config, analysis_options={**config.analysis_options,
                                                   analysis.name: {**config.options(analysis.name), **options}})
        with Warehouse(":memory:") as wh:
            wh.ingest(sub, config)
            ran = analysis()
            section = ran.run(wh, config)
            saved = made_in_run(ran)
        truth = json.loads((demo_twin / "truth.json").read_text(encoding="utf-8"))
        checks = {c.key: c for c in compare({analysis.results_key or analysis.name: section.figures}, truth)}
        return TwinRecovery(section, truth, checks, saved)

    return run


def _table_value(table: Any, labels: list[str], column: str) -> Any:
    """The ``column`` value of the one row of ``table`` whose cells hold every label (a results key into a table:
    ``voice_drivers.Xiaomi.battery.negative.effect``)."""
    import pandas as pd

    assert column in table.columns, f"the table has no column {column!r}"
    cells = pd.DataFrame({c: (table[c].dt.strftime("%Y-%m-%d") if pd.api.types.is_datetime64_any_dtype(table[c])
                              else table[c].astype(str)) for c in table.columns if c != column})
    mask = pd.Series(True, index=table.index)
    for label in labels:  # no labels: a one-row table (``dirichlet_model.S``)
        mask &= cells.eq(label).any(axis=1)
    assert mask.sum() == 1, f"{labels} picks {int(mask.sum())} rows of the table, not one"
    return table.loc[mask, column].iloc[0]


def check_findings_are_templates(section: Any, results_key: str) -> None:
    """Every finding of ``section`` is a template: an id (unique in the section), no literal number in either
    language's template, full-width punctuation in the Chinese one, each slot key resolving to the slot's value in
    the section's figures as results.json holds them (``<results_key>.…``) or its tables
    (``<table>.<row labels>.<column>``), and the stored text its rendering (also from the finding's dict, as the
    report reads results)."""
    import math

    from upmarket.analyses.base import Finding
    from upmarket.findings import SLOT
    from upmarket.report.findings import finding_text
    from upmarket.results import to_jsonable
    from upmarket.strategy.finding import lookup, numbers_in

    assert section.findings, section.name
    figures = json.loads(json.dumps(to_jsonable({results_key: section.figures}), default=str))  # as results.json
    ids = [f.id for f in section.findings]
    assert all(ids) and len(set(ids)) == len(ids), ids
    for f in section.findings:
        tpl = f.template
        assert tpl is not None, (section.name, f.text)
        for text in (tpl.en, tpl.zh):
            assert numbers_in(SLOT.sub("", text)) == [], (f.id, text)
        zh_words = SLOT.sub("", tpl.zh)
        assert not [c for c in ",.;:()!?" if c in zh_words], (f.id, tpl.zh)
        assert any("\u4e00" <= c <= "\u9fff" for c in zh_words), (f.id, tpl.zh)
        for name, slot in tpl.slots.items():
            if slot.key is None:
                continue
            head, *rest = slot.key.split(".")
            if head == results_key:
                value = lookup(figures, slot.key)
            else:
                assert head in section.tables and rest, (f.id, name, slot.key)
                value = _table_value(section.tables[head], rest[:-1], rest[-1])
            same = value == slot.value or (isinstance(value, float) and math.isclose(value, slot.value, rel_tol=1e-9))
            assert same, (f.id, name, slot.key, slot.value, value)
        assert (f.text, f.text_zh) == (tpl.render("en"), tpl.render("zh"))
        d = json.loads(json.dumps(f.to_dict(), ensure_ascii=False, default=str))
        assert Finding.from_dict(d).template == tpl
        assert (finding_text(d, "en"), finding_text(d, "zh")) == (f.text, f.text_zh)


@pytest.fixture(scope="session")
def findings_are_templates() -> Callable[[Any, str], None]:
    """:func:`check_findings_are_templates`, for any test folder."""
    return check_findings_are_templates
