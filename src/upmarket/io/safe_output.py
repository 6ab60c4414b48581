"""Spreadsheets and CSV files written for people: cells that a spreadsheet would run as formulas are defused.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula (or a
DDE payload such as ``=cmd|' /C calc'!A0``) once Excel or WPS opens the file. Following the OWASP
rule, such a cell is written with a leading ``'``, which spreadsheets show as text. Numbers stay
numbers: numeric columns are never touched, and a text cell that is just a negative number
(``-12.5``) is a number, not a formula. Parquet is for programs and is written unchanged.

Every CSV/XLSX writer of upmarket goes through :func:`write_for_people` (or :func:`defuse_frame`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""Leading characters that make a spreadsheet cell a formula (OWASP, CSV injection)."""

_PLAIN_NEGATIVE = re.compile(r"-\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?%?")


def defuse_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would evaluate; anything else unchanged."""
    if not isinstance(value, str) or not value.startswith(FORMULA_TRIGGERS):
        return value
    if _PLAIN_NEGATIVE.fullmatch(value):
        return value
    return "'" + value


def defuse_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names are defused (numeric columns untouched)."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype):
            out[col] = s.map(defuse_cell)
    out.columns = [defuse_cell(str(c)) for c in out.columns]
    return out


def write_for_people(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` by the suffix of ``path``: ``.xlsx`` and ``.csv``/``.tsv`` (UTF-8 with BOM, for Excel)
    defused, ``.parquet`` as is."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif suffix in (".xlsx", ".xlsm"):
        defuse_frame(df).to_excel(path, index=False, engine="openpyxl")  # one engine whatever else is installed
    else:
        defuse_frame(df).to_csv(path, index=False, encoding="utf-8-sig", sep="\t" if suffix == ".tsv" else ",")
