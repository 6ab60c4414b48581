"""Ingest of dataset folders: idempotence, replacement, dry run, Parquet fast path, rollback."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from wh_helpers import quarantined, rows, write

from upmarket.config import Config
from upmarket.warehouse import Warehouse
from upmarket.warehouse.ingest import IngestReport, RejectedFileError
from upmarket.warehouse.pseudonym import pseudonymise

TRAFFIC = (
    "date,platform,sku_id,visitors,buyers,gmv\n"
    "2024-11-11,jd,A1,100,5,500\n"
    "2024-11-11,jd,A2,50,60,10\n"  # buyers > visitors
    "2024-11-12,tmall,A1,80,4,400\n"
)
USERS = "user_id,city,city_tier\nu1,Beijing,一线\nu2,Wuhan,新一线\nu3,Xiamen,tier2\n"


def _events_table(n: int = 6) -> pa.Table:
    ts = [dt.datetime(2024, 11, 11, 10, 0, i) for i in range(n)]
    return pa.table({
        "ts": pa.array(ts, pa.timestamp("us")),
        "platform": ["jd"] * n,
        "user_id": [f"u{i}" for i in range(n)],
        "event": ["click", "order", "teleport", "click", "cart", "impression"][:n],
        "sku_id": ["A1", "A2", None, "A1", "A3", None][:n],
        "value": [None, 4999.0, None, -1.0, None, None][:n],
        "campaign": ["x"] * n,  # an extra column
    })


@pytest.fixture
def ds(dataset: Path) -> Path:
    write(dataset / "traffic.csv", TRAFFIC)
    write(dataset / "users.csv", USERS)
    pq.write_table(_events_table(), dataset / "events.parquet")
    return dataset


def _state(wh: Warehouse) -> tuple:
    return (
        {t: wh.count(t) for t in ("traffic", "users", "events", "quarantine", "ingest_manifest")},
        rows(wh, "SELECT file_id, path, rows_read, rows_loaded, rows_quarantined FROM ingest_manifest ORDER BY path"),
    )


def test_ingest_loads_and_quarantines_with_invariant(wh: Warehouse, ds: Path) -> None:
    rep = wh.ingest(ds, Config())
    assert isinstance(rep, IngestReport)
    f = rep.file("traffic.csv")
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined, f.status) == (3, 2, 1, "loaded")
    assert f.top_reasons == [("buyers_gt_visitors", 1)]
    assert quarantined(wh, "traffic.csv") == [(3, "buyers", "buyers_gt_visitors", "60")]
    raw_row = json.loads(rows(wh, "SELECT raw_row FROM quarantine WHERE path = 'traffic.csv'")[0][0])
    assert raw_row == {"date": "2024-11-11", "platform": "jd", "sku_id": "A2", "visitors": "50", "buyers": "60",
                       "gmv": "10"}
    assert rows(wh, "SELECT sku_id, _row FROM traffic ORDER BY _row") == [("A1", 2), ("A1", 4)]
    raw = dict(zip(pseudonymise(["u1", "u2", "u3"]), ["u1", "u2", "u3"], strict=True))  # ids are pseudonymised
    assert sorted((raw[u], t) for u, t in rows(wh, "SELECT user_id, city_tier FROM users")) == [
        ("u1", "tier1"), ("u2", "new_tier1"), ("u3", "tier2")]
    for read, loaded, quar in rows(wh, "SELECT rows_read, rows_loaded, rows_quarantined FROM ingest_manifest"):
        assert read == loaded + quar
    assert rep.totals == {"files": 3, "files_loaded": 3, "files_rejected": 0, "files_skipped": 0, "files_removed": 0,
                          "rows_read": 12, "rows_loaded": 9, "rows_quarantined": 3}
    # Ibis reads the same rows
    assert wh.table("traffic").count().execute() == 2


def test_parquet_fast_path_keeps_native_types_rows_and_extras(wh: Warehouse, ds: Path) -> None:
    wh.ingest(ds, Config())
    assert quarantined(wh, "events.parquet") == [(3, "event", "invalid_code", "teleport"),
                                                 (4, "value", "below_min", "-1.0")]
    got = rows(wh, "SELECT _row, ts, event, value, _extra FROM events ORDER BY _row")
    assert [r[0] for r in got] == [1, 2, 5, 6]
    assert got[1] == (2, dt.datetime(2024, 11, 11, 10, 0, 1), "order", 4999.0, '{"campaign":"x"}')


def test_reingest_is_idempotent(wh: Warehouse, ds: Path) -> None:
    wh.ingest(ds, Config())
    before = _state(wh)
    rep = wh.ingest(ds, Config())
    assert [f.status for f in rep.files] == ["unchanged"] * 3
    assert rep.totals["rows_loaded"] == 0
    assert _state(wh) == before


def test_same_content_under_another_path_is_skipped(wh: Warehouse, dataset: Path) -> None:
    write(dataset / "traffic" / "a.csv", TRAFFIC)
    write(dataset / "traffic" / "b.csv", TRAFFIC)
    rep = wh.ingest(dataset, Config())
    b = rep.file("traffic/b.csv")
    assert (b.status, b.note) == ("skipped", "already loaded as traffic/a.csv")
    assert wh.count("traffic") == 2
    assert wh.count("quarantine") == 1


def test_changed_file_replaces_its_own_rows(wh: Warehouse, ds: Path) -> None:
    wh.ingest(ds, Config())
    old_id = rows(wh, "SELECT file_id FROM ingest_manifest WHERE path = 'traffic.csv'")[0][0]
    write(ds / "traffic.csv", "date,platform,sku_id,visitors,buyers\n2024-11-13,jd,A9,10,1\n2024-11-13,jd,A8,-1,0\n")
    rep = wh.ingest(ds, Config())
    assert rep.file("traffic.csv").status == "replaced"
    assert rep.file("users.csv").status == "unchanged"
    assert rows(wh, "SELECT sku_id FROM traffic") == [("A9",)]
    assert quarantined(wh, "traffic.csv") == [(3, "visitors", "below_min", "-1")]
    assert rows(wh, f"SELECT count(*) FROM quarantine WHERE file_id = '{old_id}'") == [(0,)]
    assert rows(wh, "SELECT count(*), min(rows_read) FROM ingest_manifest WHERE path = 'traffic.csv'") == [(1, 2)]
    assert wh.count("users") == 3


def test_validate_is_a_dry_run(wh: Warehouse, ds: Path) -> None:
    rep = wh.validate(ds, Config())
    assert rep.dry_run
    assert rep.totals["rows_loaded"] == 9 and rep.totals["rows_quarantined"] == 3
    assert _state(wh) == ({"traffic": 0, "users": 0, "events": 0, "quarantine": 0, "ingest_manifest": 0}, [])
    assert "dry run" in str(rep)
    assert rep.to_dict()["files"][0]["path"] == "events.parquet"


def test_duplicate_keys_across_files(wh: Warehouse, dataset: Path) -> None:
    write(dataset / "users" / "1.csv", "user_id,city\nu1,Beijing\nu2,Wuhan\nu1,Shanghai\n")
    write(dataset / "users" / "2.csv", "user_id,city\nu2,Chengdu\nu3,Xi'an\n")
    wh.ingest(dataset, Config())
    raw = dict(zip(pseudonymise(["u1", "u2", "u3"]), ["u1", "u2", "u3"], strict=True))  # ids are pseudonymised
    assert sorted((raw[u], c) for u, c in rows(wh, "SELECT user_id, city FROM users")) == [
        ("u1", "Beijing"), ("u2", "Wuhan"), ("u3", "Xi'an")]
    assert [(p, r, why, raw[v]) for p, r, why, v in rows(
        wh, 'SELECT path, "row", reason, raw_value FROM quarantine ORDER BY path')] == [
        ("users/1.csv", 4, "duplicate_key", "u1"), ("users/2.csv", 2, "duplicate_key", "u2")]


def test_strict_unreadable_file_rolls_back_everything(wh: Warehouse, ds: Path) -> None:
    wh.ingest(ds, Config())
    before = _state(wh)
    write(ds / "traffic.csv", TRAFFIC + "2024-11-13,jd,A7,5,1,1\n")  # a change that would load...
    write(ds / "orders.csv", "order_id,user_id\no1,u1\n")  # ...but this file misses required columns
    with pytest.raises(RejectedFileError) as err:
        wh.ingest(ds, Config(), strict=True)
    assert "orders.csv" in str(err.value) and "missing required column" in str(err.value)
    assert _state(wh) == before


def test_manifest_and_quarantine_summary(wh: Warehouse, ds: Path) -> None:
    wh.ingest(ds, Config())
    m = wh.manifest()
    assert list(m["path"]) == ["events.parquet", "traffic.csv", "users.csv"]
    assert (m["rows_read"] == m["rows_loaded"] + m["rows_quarantined"]).all()
    json.dumps(m.to_dict(orient="records"))  # JSON-ready for results.json
    s = wh.quarantine_summary()
    assert set(zip(s["path"], s["column"], s["reason"], s["rows"], strict=True)) == {
        ("traffic.csv", "buyers", "buyers_gt_visitors", 1), ("events.parquet", "event", "invalid_code", 1),
        ("events.parquet", "value", "below_min", 1)}


class _Recorder:
    def __init__(self) -> None:
        self.tasks: dict[str, float] = {}

    def task(self, description: str, total: float | None = None):
        self.tasks[description] = 0
        rec = self

        class _T:
            def advance(self, n: float = 1) -> None:
                rec.tasks[description] += n

        return _T()


def test_progress_reports_files_and_rows(wh: Warehouse, ds: Path) -> None:
    p = _Recorder()
    wh.ingest(ds, Config(), progress=p)
    assert p.tasks == {"files": 3, "events.parquet": 6, "traffic.csv": 3, "users.csv": 3}


def test_reingest_after_copying_dataset_elsewhere(tmp_path: Path, ds: Path) -> None:
    """A warehouse keyed by content, not by absolute path: a moved dataset loads nothing twice."""
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.ingest(ds, Config())
        moved = shutil.copytree(ds, tmp_path / "moved")
        rep = wh.ingest(moved, Config())
        assert {f.status for f in rep.files} == {"unchanged"}
