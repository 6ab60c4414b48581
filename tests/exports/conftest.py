"""Gallery fixtures: each export written under its real file name into its own dataset folder, then ingested."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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


@pytest.fixture(scope="module")
def load_export(tmp_path_factory) -> Callable[..., Loaded]:
    """``load_export(fixture)`` → the fixture ingested, alone in its dataset folder (once per test module:
    the warehouse is only read afterwards)."""
    cache: dict[str, Loaded] = {}

    def load(fx: ExportFixture) -> Loaded:
        if fx.id in cache:
            return cache[fx.id]
        dataset = tmp_path_factory.mktemp("export")
        write_fixture(fx, dataset)
        wh = Warehouse(":memory:")
        rep = wh.ingest(dataset, load_config(dataset))
        assert len(rep.files) == 1, f"expected one loaded file, got {rep.files} (ignored: {rep.ignored})"
        cache[fx.id] = Loaded(rep.files[0], wh, {i["file"]: i["reason"] for i in rep.ignored})
        return cache[fx.id]

    yield load
    for got in cache.values():
        got.wh.close()
