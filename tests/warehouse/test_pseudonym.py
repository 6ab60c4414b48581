"""People's ids are pseudonymised on ingest with a secret salt: joins hold, no raw id is stored, salts never mix."""

from __future__ import annotations

from pathlib import Path

import pytest

from upmarket.config import load_config
from upmarket.warehouse import Warehouse
from upmarket.warehouse.core import WarehouseSaltError
from upmarket.warehouse.pseudonym import SALT_ENV, pseudonymise, salt


def _dataset(d: Path) -> Path:
    d.mkdir()
    (d / "users.csv").write_text("user_id,city_tier\nalice,tier1\nbob,tier2\n", encoding="utf-8")
    (d / "orders.csv").write_text("order_id,ts,user_id,platform,sku_id,price_paid\n"
                                  "o1,2024-11-11 10:00,alice,jd,S1,4999\no2,2024-11-11 11:00,bob,jd,S1,4999\n",
                                  encoding="utf-8")
    (d / "posts.csv").write_text("post_id,ts,platform,creator_id,creator_type,format\n"
                                 "n1,2024-11-10,xiaohongshu,数码博主小王,kol,note\n", encoding="utf-8")
    return d


def test_ids_are_salted_pseudonyms_that_still_join(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(SALT_ENV, "secret-one")
    ds = _dataset(tmp_path / "d")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.ingest(ds, load_config(ds))
        users = [r[0] for r in wh.con.execute("SELECT user_id FROM users ORDER BY user_id").fetchall()]
        joined = wh.con.execute("SELECT count(*) FROM orders JOIN users USING (user_id)").fetchone()[0]
        creator = wh.con.execute("SELECT creator_id FROM posts").fetchone()[0]
        raw = wh.con.execute("SELECT string_agg(CAST(COLUMNS(*) AS VARCHAR), ',') FROM orders").fetchall()
    assert sorted(users) == sorted(pseudonymise(["alice", "bob"], "secret-one"))
    assert joined == 2
    assert creator == pseudonymise(["数码博主小王"], "secret-one")[0] and "小王" not in creator
    assert "alice" not in str(raw) and "bob" not in str(raw)
    assert pseudonymise(["alice"], "secret-two") != pseudonymise(["alice"], "secret-one")


def test_another_salt_is_refused_on_the_same_warehouse(tmp_path: Path, monkeypatch) -> None:
    ds = _dataset(tmp_path / "d")
    monkeypatch.setenv(SALT_ENV, "secret-one")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.ingest(ds, load_config(ds))
    monkeypatch.setenv(SALT_ENV, "secret-two")
    with pytest.raises(WarehouseSaltError, match="another salt"):
        Warehouse(tmp_path / "w.duckdb")


def test_the_salt_file_is_made_once_and_kept_private(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(SALT_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    first = salt()
    path = tmp_path / "cfg" / "upmarket" / "salt"
    assert len(first) == 64 and path.read_text() == first
    assert path.stat().st_mode & 0o077 == 0
    assert salt() == first


def test_a_warehouse_loaded_without_pseudonyms_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(SALT_ENV, "secret-one")
    ds = _dataset(tmp_path / "d")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.ingest(ds, load_config(ds))
        wh.con.execute("DROP TABLE warehouse_meta")  # as an earlier upmarket left it
    with pytest.raises(WarehouseSaltError, match="earlier upmarket"):
        Warehouse(tmp_path / "w.duckdb")
