"""Symlinks out of the dataset are refused unread; link loops end; a locked warehouse is reported plainly."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from upmarket.io import discover
from upmarket.io.discover import SYMLINK_LOOP, SYMLINK_OUTSIDE

ROWS = "period,region,brand,price_band,units,source\n2024,CN,Xiaomi,2000-3999,10,IDC\n"


def test_symlink_out_of_the_dataset_is_refused_unread(tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    dataset = tmp_path / "d"
    dataset.mkdir()
    (dataset / "market_sales.csv").write_text(ROWS, encoding="utf-8")
    (dataset / "orders.csv").symlink_to(secret)
    (dataset / "users").symlink_to(tmp_path, target_is_directory=True)
    found = discover(dataset)
    assert [f.rel_path for f in found.files] == ["market_sales.csv"]
    reasons = {i.rel_path: i.reason for i in found.ignored}
    assert reasons == {"orders.csv": SYMLINK_OUTSIDE, "users": SYMLINK_OUTSIDE}
    assert "root" not in " ".join(reasons.values()) and str(tmp_path) not in " ".join(reasons.values())

    from upmarket.warehouse import Warehouse

    with Warehouse() as wh:
        rep = wh.ingest(dataset)
        assert rep.totals["rows_loaded"] == 1
        assert wh.count("orders") == 0


def test_symlink_inside_the_dataset_is_followed(tmp_path: Path) -> None:
    dataset = tmp_path / "d"
    (dataset / "raw").mkdir(parents=True)
    (dataset / "raw" / "sales.csv").write_text(ROWS, encoding="utf-8")
    (dataset / "market_sales.csv").symlink_to(dataset / "raw" / "sales.csv")
    assert "market_sales.csv" in [f.rel_path for f in discover(dataset).files]


def test_symlink_loop_is_walked_once(tmp_path: Path) -> None:
    dataset = tmp_path / "d"
    parts = dataset / "market_sales"
    parts.mkdir(parents=True)
    (parts / "part-1.csv").write_text(ROWS, encoding="utf-8")
    (parts / "again").symlink_to(parts, target_is_directory=True)
    (parts / "up").symlink_to(dataset, target_is_directory=True)
    (dataset / "a.csv").symlink_to(dataset / "b.csv")
    (dataset / "b.csv").symlink_to(dataset / "a.csv")
    found = discover(dataset)
    assert [f.rel_path for f in found.files] == ["market_sales/part-1.csv"]
    reasons = {i.rel_path: i.reason for i in found.ignored}
    assert reasons["market_sales/again"] == reasons["market_sales/up"] == SYMLINK_LOOP
    assert "loop" in reasons["a.csv"] and "loop" in reasons["b.csv"]


def test_bad_glob_is_a_clear_error(tmp_path: Path) -> None:
    from upmarket.config import load_config

    dataset = tmp_path / "d"
    dataset.mkdir()
    (dataset / "upmarket.toml").write_text('[[files]]\nglob = "x[z-a].csv"\ntable = "orders"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"x\[z-a\]\.csv"):
        discover(dataset, load_config(dataset))


def _hold(db: Path, seconds: float) -> subprocess.Popen:
    """Another process holding ``db``'s lock for ``seconds``; returns once it holds it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('held', flush=True); "
                               f"time.sleep({seconds})"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_locked_warehouse_says_another_run_holds_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from upmarket.warehouse import Warehouse
    from upmarket.warehouse.core import WarehouseLockedError

    db = tmp_path / "wh.duckdb"
    holder = _hold(db, 60)
    try:
        monkeypatch.setenv("UPMARKET_LOCK_WAIT", "0.3")
        t0 = time.monotonic()
        with pytest.raises(WarehouseLockedError, match=f"in use by another run \\(process {holder.pid}\\)"):
            Warehouse(db)
        assert 0.3 <= time.monotonic() - t0 < 5
    finally:
        holder.kill()
        holder.wait()
    with Warehouse(db) as wh:  # the lock is gone with its holder
        assert wh.count("orders") == 0


def test_locked_warehouse_waits_for_a_short_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from upmarket.warehouse import Warehouse

    db = tmp_path / "wh.duckdb"
    holder = _hold(db, 1.0)
    try:
        monkeypatch.setenv("UPMARKET_LOCK_WAIT", "20")
        with Warehouse(db) as wh:
            assert wh.count("orders") == 0
    finally:
        holder.kill()
        holder.wait()


def test_locked_warehouse_cli_is_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from upmarket.cli import app

    dataset = tmp_path / "d"
    dataset.mkdir()
    (dataset / "market_sales.csv").write_text(ROWS, encoding="utf-8")
    db = dataset / ".upmarket.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('held', flush=True); "
                               "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        res = CliRunner(env={"COLUMNS": "200", "UPMARKET_LOCK_WAIT": "0.2"}).invoke(app, ["ingest", str(dataset)])
    finally:
        holder.kill()
        holder.wait()
    assert res.exit_code == 2, res.output
    assert "another run" in res.output and "Traceback" not in res.output and "IOException" not in res.output


if os.name == "nt":  # pragma: no cover
    pytestmark = pytest.mark.skip(reason="symlinks need privileges on Windows")
