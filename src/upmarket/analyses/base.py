"""The shape every analysis has, and the registry that runs them.

An analysis declares the tables it needs and, given a warehouse and a config, returns a
``Section``: figures for ``results.json``, tables (written as Parquet) and findings. It draws nothing: the
report draws the charts from the saved figures and tables (:mod:`upmarket.report.charts`).
When its tables are missing it is skipped with a one-line reason; the run goes on.

It also declares, per figure, the columns that figure needs (``figure_needs``, built with
:func:`needs`): real exports often lack optional columns (a JD traffic export has no
impressions), so the analysis computes what the columns allow and the run lists the rest under
``not_computed`` with the reason. The warehouse creates every contract column, so an optional
column a file did not have is all NULL: a column counts as *present* when at least one row of
its table has a value in it (not NULL, and not blank for text). Finer scopes (a platform whose
rows lack the column while another's have it) are the analysis' own business: it adds those
entries to ``Section.not_computed``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from upmarket.artefacts import Artefact
from upmarket.findings import Template
from upmarket.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

    from upmarket.config import Config
    from upmarket.warehouse import Warehouse


@dataclass
class Finding:
    """A sentence a person reads, plus the figures that support it (keys into results).

    Made with :meth:`of` it is data: an id and a :class:`~upmarket.findings.Template` with named slots, which the
    report renders (``text``/``text_zh`` hold that rendering for readers of the output files)."""

    text: str
    evidence: dict[str, Any] = field(default_factory=dict)
    text_zh: str | None = None
    id: str | None = None
    template: Template | None = None

    @classmethod
    def of(cls, finding_id: str, template: Template, evidence: Mapping[str, Any] | None = None) -> Finding:
        """A finding from its template: the text rendered by the report, the evidence the slots' results keys
        plus ``evidence`` (figures the sentence rests on but prints no number of, or prints derived)."""
        return cls(template.render("en"), {**(evidence or {}), **template.evidence}, template.render("zh"),
                   finding_id, template)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text, "text_zh": self.text_zh, "evidence": dict(self.evidence)}
        if self.id is not None:
            out["id"] = self.id
        if self.template is not None:
            out.update(self.template.to_dict())
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(data["text"], dict(data.get("evidence") or {}), data.get("text_zh"), data.get("id"),
                   Template.from_dict(data))


@dataclass
class Section:
    """What one analysis hands back."""

    name: str
    title: str
    figures: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    title_zh: str | None = None
    not_computed: dict[str, str] = field(default_factory=dict)
    """Figure (a key path under the analysis' results key) → why it could not be computed."""


@dataclass(frozen=True)
class Columns:
    """Some columns of one table, all needed (no columns: the table needs rows, nothing more)."""

    table: str
    columns: tuple[str, ...] = ()


Need = tuple[tuple[Columns, ...], ...]
"""Alternatives (any one suffices), each a conjunction of :class:`Columns`."""


def needs(*alternatives: str) -> Need:
    """A figure's requirement from short specs: ``needs("traffic:impressions", "events & users:city_tier")``.

    Each argument is one way to compute the figure; within it, ``&`` joins the tables it needs
    together and ``table:col1,col2`` names columns that must be present.
    """
    out = []
    for alt in alternatives:
        parts = []
        for part in alt.split("&"):
            table, _, cols = part.strip().partition(":")
            parts.append(Columns(table.strip(), tuple(c.strip() for c in cols.split(",") if c.strip())))
        out.append(tuple(parts))
    return tuple(out)


def column_present(warehouse: Warehouse, table: str, column: str) -> bool:
    """True when some row of ``table`` has a value in ``column`` (see :meth:`Warehouse.column_present`)."""
    return warehouse.column_present(table, column)


def _unmet(warehouse: Warehouse, part: Columns) -> str | None:
    if not warehouse.has_rows(part.table):
        return f"table {part.table} is not in the dataset"
    absent = [c for c in part.columns if not column_present(warehouse, part.table, c)]
    if absent:
        return f"{part.table} has no {absent[0]} column" if len(absent) == 1 else (
            f"{part.table} has none of the columns {', '.join(absent)}" if len(absent) == len(part.columns) else
            f"{part.table} lacks the columns {', '.join(absent)}")
    return None


def unmet_needs(warehouse: Warehouse, figure_needs: Mapping[str, Need]) -> dict[str, str]:
    """Figure → one-line reason, for every figure none of whose alternatives the data satisfies."""
    out: dict[str, str] = {}
    for figure, alternatives in figure_needs.items():
        reasons: list[str] = []
        for alt in alternatives:
            unmet = [r for r in (_unmet(warehouse, part) for part in alt) if r is not None]
            if not unmet:
                break
            reasons.append(" and ".join(unmet))
        else:
            out[figure] = "; ".join(dict.fromkeys(reasons)) if reasons else "no way to compute it is declared"
    return out


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
    figure_needs: ClassVar[Mapping[str, Need]] = {}
    """Figure (key path under the results key, or a result table) → the columns it needs (see :func:`needs`)."""
    upstream: Mapping[str, Any] = {}
    """The results figures of the analyses run before this one (set by the runner before ``run``): how an
    analysis reads another's headline figures without importing it. Read-only."""
    produces: ClassVar[tuple[Artefact, ...]] = ()
    """The artefacts (declarations, see :mod:`upmarket.artefacts`) this analysis makes for itself and others."""
    consumes: ClassVar[tuple[str, ...]] = ()
    """Names of artefacts other analyses produce that this one reads (through ``self.artefacts``)."""
    settings_type: ClassVar[type[Settings] | None] = None
    """The typed options of the ``[<name>]`` table (:mod:`upmarket.settings`); ``config.settings(name)`` builds it."""
    artefacts: Mapping[str, Any] | None = None
    """The declared artefacts (consumes ∪ produces), computed once per run (set by the runner before ``run``;
    an analysis run on its own, ``Segments().run(wh, config)``, gets a store of its own)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "run" in cls.__dict__:
            cls.run = _with_artefacts(cls.__dict__["run"])  # type: ignore[method-assign]

    def missing(self, warehouse: Warehouse) -> str | None:
        """A one-line reason to skip, or None when every required table has rows."""
        absent = [t for t in self.requires if not warehouse.has_rows(t)]
        if absent:
            return f"needs table(s) {', '.join(absent)}, not in the dataset"
        return None

    def uncomputable(self, warehouse: Warehouse) -> dict[str, str]:
        """The declared figures the columns present do not allow, each with its reason.

        The runner lists these under ``not_computed``; ``run`` calls it too, to leave them out
        (the probes are memoised, so asking twice costs nothing).
        """
        return unmet_needs(warehouse, self.figure_needs)

    def run(self, warehouse: Warehouse, config: Config) -> Section:  # pragma: no cover - abstract
        raise NotImplementedError


def _with_artefacts(run: Callable[..., Section]) -> Callable[..., Section]:
    """``run`` that first gives the analysis a store of its own when no runner gave it one (a test, a notebook)."""
    @functools.wraps(run)
    def wrapped(self: Analysis, warehouse: Warehouse, config: Config, *args: Any, **kwargs: Any) -> Section:
        own = self.artefacts is None or getattr(self, "_own_artefacts", False)
        if own and not getattr(self, "_running", False):  # a fresh store per call (not per super().run)
            from upmarket.artefacts import store_for

            self.artefacts = store_for(warehouse, config).view(
                [*self.consumes, *(a.name for a in self.produces)], self.name)
            self._own_artefacts = True
        outer, self._running = getattr(self, "_running", False), True
        try:
            return run(self, warehouse, config, *args, **kwargs)
        finally:
            self._running = outer

    return wrapped


def drop_uncomputable(tables: dict[str, pd.DataFrame], unmet: Mapping[str, str]) -> dict[str, pd.DataFrame]:
    """``tables`` without what ``unmet`` names: a table (``"topics"``), a table's column (``"creators.gmv_per_cny"``),
    or a column of every table (``"reach_per_follower"``), so nothing uncomputable is shown as NaN or zero."""
    out = {name: df for name, df in tables.items() if name not in unmet}
    for key in unmet:
        table, _, column = key.rpartition(".")
        for name, df in out.items():
            if (table in ("", name)) and column in df.columns:
                out[name] = df.drop(columns=[c for c in df.columns if c == column or c.startswith(f"{column}_")])
    return out


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
