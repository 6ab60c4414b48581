"""Builders for the reader tests: every fixture file is written into tmp_path at test time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest

from upmarket.io import RawTable, SourceFile, open_table


def _source(path: Path, table: str, **kw) -> SourceFile:
    """A SourceFile for a file written by a test."""
    return SourceFile(path=path, rel_path=path.name, table=table, **kw)


def _read(path: Path, table: str, **kw) -> tuple[RawTable, dict[str, list]]:
    """Open ``path`` as ``table`` and read every row into a dict of columns."""
    raw = open_table(_source(path, table, **kw))
    return raw, raw.read_all().to_pydict()


def _write_xlsx(path: Path, rows: Sequence[Sequence[object]], merges: Sequence[str] = (), title: str = "Sheet1",
               extra_sheets: dict[str, Sequence[Sequence[object]]] | None = None) -> Path:
    """An XLSX written with openpyxl; ``merges`` are Excel ranges such as ``'B2:D2'``."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    for rng in merges:
        ws.merge_cells(rng)
    for name, sheet_rows in (extra_sheets or {}).items():
        other = wb.create_sheet(name)
        for row in sheet_rows:
            other.append(list(row))
    wb.save(path)
    return path


@pytest.fixture
def write(tmp_path: Path):
    """``write(name, bytes_or_text, encoding='utf-8')`` → the path of a new file in tmp_path."""

    def _write(name: str, content: bytes | str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
        return path

    return _write


@pytest.fixture
def source():
    """``source(path, table, **kw)`` → a SourceFile."""
    return _source


@pytest.fixture
def read():
    """``read(path, table, **kw)`` → ``(RawTable, {column: values})``."""
    return _read


@pytest.fixture
def xlsx(tmp_path: Path):
    """``xlsx(name, rows, merges=(), ...)`` → path of a new workbook in tmp_path."""

    def _xlsx(name: str, rows: Sequence[Sequence[object]], merges: Sequence[str] = (), **kw) -> Path:
        return _write_xlsx(tmp_path / name, rows, merges, **kw)

    return _xlsx
