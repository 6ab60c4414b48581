"""Gallery fixtures: each export written under its real file name into its own dataset folder, then ingested."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from upmarket.config import load_config
from upmarket.warehouse import Warehouse
from upmarket.warehouse.ingest import FileReport

from .gallery import ExportFixture, write_fixture


@dataclass
class Loaded:
    """A gallery file after a real ingest: its file report and the warehouse holding its rows."""

    report: FileReport
    wh: Warehouse
    ignored: dict[str, str]

    def rows(self, sql: str) -> list[tuple]:
        """Rows of ``sql``; ``{file}`` stands for this file's id (``WHERE _file_id = {file}``)."""
        return self.wh.con.execute(sql.replace("{file}", f"'{self.report.file_id}'")).fetchall()


@pytest.fixture
def load_export(tmp_path: Path) -> Callable[..., Loaded]:
    """``load_export(fixture, toml=None)`` → the fixture ingested, alone in its dataset folder."""
    opened: list[Warehouse] = []

    def load(fx: ExportFixture, toml: str | None = None) -> Loaded:
        dataset = tmp_path / f"dataset_{len(opened)}"
        write_fixture(fx, dataset)
        if toml is not None:
            (dataset / "upmarket.toml").write_text(toml, encoding="utf-8")
        wh = Warehouse(":memory:")
        opened.append(wh)
        rep = wh.ingest(dataset, load_config(dataset))
        assert len(rep.files) == 1, f"expected one loaded file, got {rep.files} (ignored: {rep.ignored_reasons})"
        return Loaded(rep.files[0], wh, rep.ignored_reasons)

    yield load
    for wh in opened:
        wh.close()
