"""One shape for fitted models: the interval level, the not-fitted error, typed warnings and a ``Results`` base.

Every estimator's results (the MNL, the latent-class logit, the demand model) answer the same questions the same
way — labelled parameters with standard errors (``coefficients()``), intervals at any level (``conf_int``), a
summary that prints as text and renders as HTML in a notebook, a JSON-able ``to_dict()`` and the warnings of the
fit as typed objects — the way statsmodels' results do, so a reader (the report, the dashboard, a notebook) needs
to know one protocol, not three.

The level of every interval upmarket reports is :data:`CI_LEVEL` (90 %): set here and nowhere else.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from upmarket.errors import NotFittedError

__all__ = ["CI_ALPHA", "CI_LEVEL", "ConvergenceWarning", "EstimationWarning", "IdentificationWarning",
           "NotFittedError", "Results", "Summary", "z_value"]

CI_LEVEL = 0.90
"""The level of every interval in results.json, tables and the report."""
CI_ALPHA = round(1 - CI_LEVEL, 12)
"""``1 − CI_LEVEL`` (0.1 exactly, not 0.09999…): the two tails an interval leaves out together."""


def z_value(level: float = CI_LEVEL) -> float:
    """The normal quantile of a two-sided interval at ``level`` (1.645 at 90 %)."""
    return float(norm.ppf(0.5 + level / 2))


class EstimationWarning(UserWarning):
    """Something about a fit a reader should know; carried by the results, not only logged."""


class ConvergenceWarning(EstimationWarning):
    """The optimiser stopped before its convergence criterion was met."""


class IdentificationWarning(EstimationWarning):
    """The data identify a parameter weakly (few products, no price variation within a product …)."""


def typed_warning(text: str) -> EstimationWarning:
    """A fit's warning sentence as a typed warning, by what it says."""
    low = text.lower()
    if "converge" in low:
        return ConvergenceWarning(text)
    if "identif" in low or "instrument" in low:
        return IdentificationWarning(text)
    return EstimationWarning(text)


@dataclass
class Summary:
    """A results summary: a table of coefficients (``table``) plus notes, as text (``str``) and HTML."""

    title: str
    table: pd.DataFrame
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        body = self.table.to_string(float_format=lambda v: f"{v:.4g}")
        notes = "".join(f"\n* {n}" for n in self.notes)
        return f"{self.title}\n{'=' * len(self.title)}\n{body}{notes}"

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (f"<h4>{html.escape(self.title)}</h4>" + self.table.to_html(float_format=lambda v: f"{v:.4g}")
                + (f"<ul>{notes}</ul>" if notes else ""))


class Results:
    """Base of every fitted model's results. A subclass implements :meth:`_coefficients` (and may override
    :meth:`_warning_texts` and :attr:`summary_title`); everything else follows from them."""

    summary_title = "Estimates"

    def _coefficients(self) -> pd.DataFrame:  # pragma: no cover - abstract
        """One row per parameter: index the parameter's label, columns ``estimate`` and ``std_error``."""
        raise NotImplementedError

    def _warning_texts(self) -> list[str]:
        return []

    def coefficients(self) -> pd.DataFrame:
        """Labelled parameters with standard errors (index: label; columns estimate, std_error)."""
        table = self._coefficients()
        if list(table.columns[:2]) != ["estimate", "std_error"]:
            raise TypeError(f"{type(self).__name__}._coefficients must give columns estimate, std_error first")
        return table

    def conf_int(self, alpha: float = CI_ALPHA) -> pd.DataFrame:
        """Normal intervals leaving ``alpha`` out in the two tails (default: the 90 % of :data:`CI_LEVEL`)."""
        c = self.coefficients()
        z = z_value(1 - alpha)
        return pd.DataFrame({"lower": c["estimate"] - z * c["std_error"], "upper": c["estimate"] + z * c["std_error"]},
                            index=c.index)

    def estimation_warnings(self) -> list[EstimationWarning]:
        """The fit's warnings, typed (:class:`ConvergenceWarning`, :class:`IdentificationWarning` …)."""
        return [typed_warning(t) for t in self._warning_texts()]

    def summary(self) -> Summary:
        """Coefficients, standard errors and the :data:`CI_LEVEL` interval; the warnings as notes."""
        table = self.coefficients().join(self.conf_int())
        return Summary(self.summary_title, table, tuple(str(w) for w in self.estimation_warnings()))

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: parameters, standard errors and intervals by label, the level, the warnings by type."""
        def num(v: float) -> float | None:
            return float(v) if math.isfinite(float(v)) else None

        c, ci = self.coefficients(), self.conf_int()
        return {"level": CI_LEVEL,
                "params": {str(k): num(v) for k, v in c["estimate"].items()},
                "std_errors": {str(k): num(v) for k, v in c["std_error"].items()},
                "conf_int": {str(k): [num(lo), num(hi)] for k, lo, hi in zip(ci.index, ci["lower"], ci["upper"],
                                                                              strict=True)},
                "warnings": [{"type": type(w).__name__, "message": str(w)} for w in self.estimation_warnings()]}


def coefficient_frame(labels: list[str], estimate: np.ndarray, std_error: np.ndarray) -> pd.DataFrame:
    """The ``_coefficients`` table from parallel arrays (labels made unique by numbering repeats)."""
    seen: dict[str, int] = {}
    unique = []
    for lab in labels:
        seen[lab] = seen.get(lab, 0) + 1
        unique.append(lab if seen[lab] == 1 else f"{lab} ({seen[lab]})")
    return pd.DataFrame({"estimate": np.asarray(estimate, float), "std_error": np.asarray(std_error, float)},
                        index=pd.Index(unique, name="parameter"))
