"""One bad file does not sink the run; the warehouse mirrors the folder (deleted, moved, edited files)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from wh_helpers import rows, write

from upmarket.config import Config, FileMapping
from upmarket.io import UnreadableFile
from upmarket.warehouse import Warehouse
from upmarket.warehouse import ingest as ingest_mod
from upmarket.warehouse.ingest import NoLoadableFileError, RejectedFileError

HEADER = "date,platform,sku_id,visitors,buyers\n"
MISSING = "date,platform,sku_id\n2024-11-11,jd,A1\n"  # visitors and buyers are required
USERS = "user_id,city\nu1,Beijing\nu2,Wuhan\nu3,Xi'an\n"
ORDERS = "order_id,ts,platform,user_id,sku_id,price_paid\no1,2024-11-11 10:00,jd,u1,A1,4999\n" \
         "o2,2024-11-11 11:00,jd,u2,A2,-5\n"


def _traffic(n: int, first: int = 0) -> str:
    return HEADER + "".join(f"2024-11-11,jd,S{i},{i + 10},1\n" for i in range(first, first + n))


def _state(wh: Warehouse) -> tuple:
    return (rows(wh, 'SELECT path, "table", rows_read, rows_loaded, rows_quarantined FROM ingest_manifest '
                     "ORDER BY path"),
            {t: wh.count(t) for t in ("users", "orders", "traffic", "quarantine")})


@pytest.fixture
def ds(dataset: Path) -> Path:
    write(dataset / "users.csv", USERS)  # sorts after traffic*.csv: loaded after the poisoned file
    write(dataset / "orders.csv", ORDERS)
    return dataset


def test_an_unreadable_file_is_rejected_and_the_others_load(wh: Warehouse, ds: Path) -> None:
    write(ds / "traffic.csv", MISSING)  # lacks required columns of traffic
    rep = wh.ingest(ds, Config())
    assert [(f.path, f.table) for f in rep.rejected] == [("traffic.csv", "traffic")]
    assert "missing required column" in rep.rejected[0].note
    assert rep.totals["files_rejected"] == 1 and rep.totals["files_loaded"] == 2
    assert wh.count("users") == 3 and wh.count("orders") == 1 and wh.count("traffic") == 0
    assert [p for p, *_ in _state(wh)[0]] == ["orders.csv", "users.csv"], "a rejected file is not in the manifest"
    assert str(rep).index("traffic.csv") < str(rep).index("users.csv"), "rejected files are listed first"
    assert rep.to_dict()["rejected"] == [{"file": "traffic.csv", "table": "traffic", "reason": rep.rejected[0].note}]
    # fixed, it loads on the next run
    write(ds / "traffic.csv", _traffic(5))
    rep = wh.ingest(ds, Config())
    assert rep.rejected == [] and rep.file("traffic.csv").status == "loaded" and wh.count("traffic") == 5


def test_a_file_failing_after_chunks_were_inserted_leaves_nothing(wh: Warehouse, ds: Path, monkeypatch) -> None:
    """A reader error midway (corrupt data after 1,500 good rows): the rows already inserted are deleted."""
    monkeypatch.setattr(ingest_mod, "CHUNK_ROWS", 500)
    monkeypatch.setattr(ingest_mod, "BATCH_ROWS", 500)
    write(ds / "traffic.csv", _traffic(5000))
    real = ingest_mod._coalesce
    inserted: list[int] = []

    def corrupt_after_three_chunks(batches, rows):
        for i, tbl in enumerate(real(batches, rows)):
            if "visitors" in tbl.column_names:
                inserted.append(wh.count("traffic"))
                if i == 3:
                    raise UnreadableFile("traffic.csv", "corrupt data after row 1,500 (simulated)")
            yield tbl

    monkeypatch.setattr(ingest_mod, "_coalesce", corrupt_after_three_chunks)
    rep = wh.ingest(ds, Config())
    assert inserted[-1] == 1500, "the failure came after three chunks were inserted"
    assert [(f.path, f.note) for f in rep.rejected] == [("traffic.csv", "corrupt data after row 1,500 (simulated)")]
    assert "traffic.csv" not in {p for p, *_ in _state(wh)[0]}
    assert wh.count("traffic") == 0
    assert rows(wh, "SELECT count(*) FROM quarantine WHERE path = 'traffic.csv'") == [(0,)]
    assert wh.count("users") == 3 and wh.count("orders") == 1


def test_a_duckdb_error_midway_replays_the_run_without_the_file(wh: Warehouse, ds: Path, monkeypatch) -> None:
    """DuckDB aborts the transaction on an error: the run is replayed without the file, nothing of it kept."""
    monkeypatch.setattr(ingest_mod, "CHUNK_ROWS", 100)
    monkeypatch.setattr(ingest_mod, "BATCH_ROWS", 100)
    write(ds / "traffic.csv", _traffic(1000))
    write(ds / "traffic_b.csv", _traffic(300, first=5000))
    cfg = Config(files=(FileMapping(glob="traffic_b.csv", table="traffic"),))
    real = ingest_mod._arrow_chunks
    calls = {"n": 0}

    def poisoned(con, batches, headers, name, rows=None):
        for i, ch in enumerate(real(con, batches, headers, name, rows)):
            yield ch
            if i == 2 and calls["n"] == 0:  # the third chunk of the first text file has been inserted
                calls["n"] += 1
                con.execute("SELECT CAST('not a number' AS INTEGER)")  # DuckDB fails: the transaction aborts

    monkeypatch.setattr(ingest_mod, "_arrow_chunks", poisoned)
    settings = "SELECT current_setting('disabled_optimizers')"
    before = rows(wh, settings)
    rep = wh.ingest(ds, cfg)
    assert rows(wh, settings) == before, "the cleaning's optimizer settings are restored after the ROLLBACK"
    assert calls["n"] == 1
    assert [f.path for f in rep.rejected] == ["traffic.csv"]
    assert rep.rejected[0].note.startswith("DuckDB could not read it: Conversion Error")
    assert wh.count("traffic") == 300 and rows(wh, "SELECT min(sku_id) FROM traffic") == [("S5000",)]
    assert wh.count("users") == 3 and wh.count("orders") == 1
    assert [p for p, *_ in _state(wh)[0]] == ["orders.csv", "traffic_b.csv", "users.csv"]
    for read, loaded, quar in rows(wh, "SELECT rows_read, rows_loaded, rows_quarantined FROM ingest_manifest"):
        assert read == loaded + quar


def test_strict_makes_a_rejection_an_error_and_commits_nothing(wh: Warehouse, ds: Path) -> None:
    write(ds / "traffic.csv", MISSING)
    with pytest.raises(RejectedFileError, match=r"traffic\.csv: .*missing required.*--strict"):
        wh.ingest(ds, Config(), strict=True)
    assert _state(wh) == ([], {"users": 0, "orders": 0, "traffic": 0, "quarantine": 0})
    with pytest.raises(RejectedFileError):
        wh.validate(ds, Config(), strict=True)


def test_a_replaced_file_that_turns_unreadable_takes_its_old_rows_with_it(wh: Warehouse, ds: Path) -> None:
    write(ds / "traffic.csv", _traffic(4))
    wh.ingest(ds, Config())
    assert wh.count("traffic") == 4
    write(ds / "traffic.csv", MISSING)
    rep = wh.ingest(ds, Config())
    assert [f.path for f in rep.rejected] == ["traffic.csv"]
    assert wh.count("traffic") == 0, "the folder no longer holds those rows"
    assert "traffic.csv" not in {p for p, *_ in _state(wh)[0]}


def test_empty_folder_and_folder_without_table_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with Warehouse() as wh, pytest.raises(NoLoadableFileError, match="no table file found"):
        wh.ingest(empty, Config())
    other = tmp_path / "other"
    write(other / "notes.pdf", "x")
    write(other / "sales.csv", "a,b\n1,2\n")
    with Warehouse() as wh, pytest.raises(NoLoadableFileError, match=r"notes\.pdf.*sales\.csv") as err:
        wh.ingest(other, Config())
    assert [i["file"] for i in err.value.report.ignored] == ["notes.pdf", "sales.csv"]


def test_every_file_rejected_is_an_error(tmp_path: Path) -> None:
    d = tmp_path / "d"
    write(d / "traffic.csv", "foo,bar\n1,2\n")
    write(d / "users.csv", "")
    with Warehouse() as wh, pytest.raises(NoLoadableFileError, match=r"traffic\.csv.*users\.csv"):
        wh.ingest(d, Config())


def test_ignored_files_are_listed_with_their_reason(wh: Warehouse, ds: Path) -> None:
    write(ds / "销售明细.csv", "a,b\n1,2\n")
    rep = wh.ingest(ds, Config())
    assert [i["file"] for i in rep.ignored] == ["销售明细.csv"]
    assert "not a contract table" in rep.ignored[0]["reason"] and "[[files]]" in rep.ignored[0]["reason"]
    assert "销售明细.csv" in str(rep) and "[[files]]" in str(rep)


# --- the warehouse mirrors the folder ---------------------------------------------------------------------------


def test_a_deleted_file_leaves_the_warehouse(wh: Warehouse, ds: Path) -> None:
    wh.ingest(ds, Config())
    assert wh.count("orders") == 1 and wh.count("quarantine") == 1
    (ds / "orders.csv").unlink()
    rep = wh.ingest(ds, Config())
    removed = [(r.path, r.table, r.rows_loaded, r.rows_quarantined) for r in rep.removed]
    assert removed == [("orders.csv", "orders", 1, 1)]
    assert wh.count("orders") == 0 and wh.count("quarantine") == 0
    assert [p for p, *_ in _state(wh)[0]] == ["users.csv"]
    assert "removed" in str(rep)
    assert wh.ingest(ds, Config()).removed == [], "removed once"


def test_a_moved_file_keeps_its_rows_under_the_new_path(wh: Warehouse, ds: Path) -> None:
    wh.ingest(ds, Config())
    before = _state(wh)
    (ds / "orders").mkdir()
    shutil.move(ds / "orders.csv", ds / "orders" / "2024-11.csv")
    rep = wh.ingest(ds, Config())
    f = rep.file("orders/2024-11.csv")
    assert (f.status, f.note) == ("moved", "moved from orders.csv")
    assert rep.removed == [] and rep.totals["rows_loaded"] == 0
    after = _state(wh)
    assert after[1] == before[1]
    assert [p for p, *_ in after[0]] == ["orders/2024-11.csv", "users.csv"]
    assert rows(wh, "SELECT DISTINCT path FROM quarantine") == [("orders/2024-11.csv",)]


def test_a_moved_and_edited_file_replaces_its_rows(wh: Warehouse, ds: Path) -> None:
    wh.ingest(ds, Config())
    (ds / "orders.csv").unlink()
    edited = ORDERS.replace("4999", "5299").replace("-5", "3999")
    write(ds / "orders" / "2024-11.csv", edited)
    rep = wh.ingest(ds, Config())
    assert [r.path for r in rep.removed] == ["orders.csv"]
    f = rep.file("orders/2024-11.csv")
    assert (f.status, f.rows_loaded, f.rows_quarantined) == ("loaded", 2, 0), "no duplicate_key against stale rows"
    assert rows(wh, "SELECT order_id, price_paid FROM orders ORDER BY order_id") == [("o1", 5299.0), ("o2", 3999.0)]
    assert wh.count("quarantine") == 0


def test_a_copy_beside_the_original_is_still_a_duplicate(wh: Warehouse, ds: Path) -> None:
    wh.ingest(ds, Config())
    write(ds / "orders" / "copy.csv", ORDERS)
    shutil.move(ds / "orders.csv", ds / "orders" / "a.csv")
    rep = wh.ingest(ds, Config())
    assert rep.file("orders/a.csv").status == "moved"
    assert rep.file("orders/copy.csv").status == "skipped"
    assert wh.count("orders") == 1


def test_validate_reports_removals_without_making_them(wh: Warehouse, ds: Path) -> None:
    wh.ingest(ds, Config())
    (ds / "orders.csv").unlink()
    rep = wh.validate(ds, Config())
    assert [r.path for r in rep.removed] == ["orders.csv"]
    assert wh.count("orders") == 1


# --- keys that do not join ---------------------------------------------------------------------------------------

PRODUCTS = "sku_id,brand,model,list_price\nX15-256,Xiaomi,Xiaomi 15,4499\nP70-512,Huawei,Pura 70,5999\n"


def test_unmatched_sku_ids_are_counted_and_named_per_table(wh: Warehouse, dataset: Path) -> None:
    write(dataset / "products.csv", PRODUCTS)
    write(dataset / "reviews.csv", "review_id,ts,platform,sku_id,rating,text\n"
          "r1,2024-11-11,jd,X15-256,5,好\nr2,2024-11-11,jd,100012345,4,还行\nr3,2024-11-11,tmall,7890001,1,差\n"
          "r4,2024-11-12,jd,100012345,5,不错\n")
    rep = wh.ingest(dataset, Config())
    u = rep.unmatched_keys["reviews"]
    assert (u["rows"], u["of_rows"], u["distinct_ids"], u["sample"]) == (3, 4, 2, ["100012345", "7890001"])
    assert "3 of 4 reviews rows" in u["message"] and "sku_map" in u["message"]
    assert any("100012345" in w for w in rep.warnings())
    assert set(rep.unmatched_keys) == {"reviews"}


def test_sku_map_rekeys_platform_ids_so_every_analysis_joins(wh: Warehouse, dataset: Path) -> None:
    write(dataset / "products.csv", PRODUCTS)
    write(dataset / "reviews.csv", "review_id,ts,platform,sku_id,rating,text\n"
          "r1,2024-11-11,jd,X15-256,5,好\nr2,2024-11-11,jd,100012345,4,还行\nr3,2024-11-11,tmall,7890001,1,差\n"
          "r4,2024-11-12,tmall,100012345,5,不错\n")
    wh.ingest(dataset, Config())
    # the map comes later, in its own run: rows already loaded are re-keyed too
    write(dataset / "sku_map.csv", "platform,platform_sku_id,sku_id\n京东,100012345,X15-256\n"
          "tmall,7890001,P70-512\n,555,P70-512\n")
    rep = wh.ingest(dataset, Config())
    assert rep.sku_ids_resolved == {"reviews": 2}
    assert rep.unmatched_keys["reviews"]["sample"] == ["100012345"], "a JD id does not map a Tmall row"
    got = rows(wh, "SELECT review_id, sku_id, json_extract_string(_extra, '$.platform_sku_id') FROM reviews "
                   "ORDER BY review_id")
    assert got == [("r1", "X15-256", None), ("r2", "X15-256", "100012345"), ("r3", "P70-512", "7890001"),
                   ("r4", "100012345", None)]
    joined = rows(wh, "SELECT p.brand, count(*) FROM reviews r JOIN products p USING (sku_id) GROUP BY 1 ORDER BY 1")
    assert joined == [("Huawei", 1), ("Xiaomi", 2)]
    again = wh.ingest(dataset, Config())
    assert again.sku_ids_resolved == {} and rows(wh, "SELECT count(*) FROM reviews WHERE sku_id = 'X15-256'") == [(2,)]


def test_a_file_that_cannot_even_be_opened_is_rejected(wh: Warehouse, ds: Path, monkeypatch) -> None:
    write(ds / "traffic.csv", _traffic(3))
    real = ingest_mod.file_hash

    def no_permission(path: Path) -> str:
        if path.name == "traffic.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(ingest_mod, "file_hash", no_permission)
    rep = wh.ingest(ds, Config())
    assert [(f.path, f.note) for f in rep.rejected] == [("traffic.csv", "cannot read the file: Permission denied")]
    assert wh.count("users") == 3
    with pytest.raises(RejectedFileError, match="Permission denied"):
        wh.ingest(ds, Config(), strict=True)


def test_sku_map_rekeys_the_skus_a_post_features(wh: Warehouse, dataset: Path) -> None:
    write(dataset / "products.csv", PRODUCTS)
    write(dataset / "sku_map.csv", "platform,platform_sku_id,sku_id\n,555,P70-512\ndouyin,777,X15-256\n")
    write(dataset / "posts.csv", "post_id,ts,platform,creator_id,creator_type,format,sku_ids\n"
          "p1,2024-11-11 10:00,douyin,c1,kol,video,777|X15-256\np2,2024-11-11 11:00,xiaohongshu,c2,kol,note,555｜999\n"
          "p3,2024-11-11 12:00,xiaohongshu,c3,kol,note,777\np4,2024-11-11 12:00,douyin,c3,kol,note,X15-256\n")
    rep = wh.ingest(dataset, Config())
    assert rep.sku_ids_resolved == {"posts": 2}
    got = rows(wh, "SELECT post_id, sku_ids, json_extract_string(_extra, '$.platform_sku_ids') FROM posts "
                   "ORDER BY post_id")
    assert got == [("p1", "X15-256|X15-256", "777|X15-256"), ("p2", "P70-512|999", "555｜999"), ("p3", "777", None),
                   ("p4", "X15-256", None)]
    u = rep.unmatched_keys["posts"]
    assert (u["column"], u["rows"], u["of_rows"], u["sample"]) == ("sku_ids", 2, 4, ["777", "999"])


def test_a_corrupt_parquet_part_aborts_duckdb_and_the_run_is_replayed_without_it(wh: Warehouse, ds: Path) -> None:
    """No monkeypatching: DuckDB itself fails midway through a Parquet part whose data pages are damaged."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 50_000
    t = pa.table({"date": ["2024-11-11"] * n, "platform": ["jd"] * n, "sku_id": [f"S{i}" for i in range(n)],
                  "visitors": np.arange(n) + 10, "buyers": np.ones(n, dtype="int64")})
    (ds / "traffic").mkdir()
    pq.write_table(t.slice(0, 100), ds / "traffic" / "part-0.parquet")
    bad = ds / "traffic" / "part-1.parquet"
    pq.write_table(t, bad, row_group_size=5_000, compression="none")
    blob = bytearray(bad.read_bytes())
    start = int(len(blob) * 0.6)
    blob[start:start + 2_000] = b"\xff" * 2_000  # damage data pages, keep the footer
    bad.write_bytes(bytes(blob))
    rep = wh.ingest(ds, Config())
    assert [f.path for f in rep.rejected] == ["traffic/part-1.parquet"]
    assert rep.rejected[0].note.startswith("DuckDB could not read it")
    assert wh.count("traffic") == 100 and wh.count("users") == 3 and wh.count("orders") == 1
    assert {p for p, *_ in _state(wh)[0]} == {"orders.csv", "traffic/part-0.parquet", "users.csv"}
