"""The shape every analysis has, and the registry that runs them.

An analysis declares the tables it needs and, given a warehouse and a config, returns a
``Section``: figures for ``results.json``, tables (written as Parquet), charts and findings.
When its tables are missing it is skipped with a one-line reason; the run goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

    from upmarket.config import Config
    from upmarket.warehouse import Warehouse


@dataclass
class Finding:
    """A sentence a person reads, plus the figures that support it (keys into results)."""

    text: str
    evidence: dict[str, Any] = field(default_factory=dict)
    text_zh: str | None = None


@dataclass
class Chart:
    """A Plotly figure with a title in both languages."""

    name: str
    title: str
    figure: go.Figure
    title_zh: str | None = None


@dataclass
class Section:
    """What one analysis hands back."""

    name: str
    title: str
    figures: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    charts: list[Chart] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    title_zh: str | None = None


class Analysis:
    """Base class: subclasses set ``name``, ``title``, ``requires`` and implement ``run``."""

    name: ClassVar[str]
    title: ClassVar[str]
    title_zh: ClassVar[str | None] = None
    requires: ClassVar[tuple[str, ...]] = ()
    optional: ClassVar[tuple[str, ...]] = ()
    results_key: ClassVar[str | None] = None
    """Where ``Section.figures`` goes in results.json; default the analysis' name."""
    order: ClassVar[int] = 100
    """Place in a run and in the report: the market first, then channels, voice, spread, pricing."""

    def missing(self, warehouse: Warehouse) -> str | None:
        """A one-line reason to skip, or None when every required table has rows."""
        absent = [t for t in self.requires if not warehouse.has_rows(t)]
        if absent:
            return f"needs table(s) {', '.join(absent)}, not in the dataset"
        return None

    def run(self, warehouse: Warehouse, config: Config) -> Section:  # pragma: no cover - abstract
        raise NotImplementedError


REGISTRY: dict[str, type[Analysis]] = {}


def register(cls: type[Analysis]) -> type[Analysis]:
    """Class decorator adding an analysis to the registry under its ``name``."""
    REGISTRY[cls.name] = cls
    return cls


def registered() -> dict[str, type[Analysis]]:
    """Every registered analysis, importing the built-in modules first."""
    import upmarket.analyses  # noqa: F401  (registers the built-ins)

    return dict(sorted(REGISTRY.items(), key=lambda item: (item[1].order, item[0])))


Runner = Callable[["Warehouse", "Config"], Section]
