"""Values that parse but cannot be true are quarantined with a reason, never loaded (issue 20 item 7)."""

from __future__ import annotations

from pathlib import Path

from upmarket.config import load_config
from upmarket.warehouse import Warehouse


def _reasons(tmp_path: Path, name: str, body: str) -> dict[int, str]:
    ds = tmp_path / "d"
    ds.mkdir(parents=True)
    (ds / name).write_text(body, encoding="utf-8")
    with Warehouse(":memory:") as wh:
        rep = wh.ingest(ds, load_config(ds))
        f = rep.files[0]
        assert f.rows_read == f.rows_loaded + f.rows_quarantined
        return dict(wh.con.execute("SELECT row, reason FROM quarantine ORDER BY row").fetchall())


def test_short_years_reversed_ranges_and_impossible_offsets(tmp_path: Path) -> None:
    traffic = ("date,platform,sku_id,visitors,buyers\n"
               "2024-11-01,jd,S1,100,3\n"          # row 2: fine
               "24-1-1,jd,S1,100,3\n"              # row 3: the year 24
               "2024-11-07至2024-11-01,jd,S1,100,3\n"  # row 4: ends before it starts
               "2024-11-01至2024-11-07,jd,S1,100,3\n"  # row 5: fine (a window total)
               "9999-12-31,jd,S1,100,3\n")         # row 6: a placeholder date
    assert _reasons(tmp_path / "t", "traffic.csv", traffic) == {3: "implausible_date", 4: "date_range_reversed",
                                                                6: "implausible_date"}
    orders = ("order_id,ts,user_id,platform,sku_id,price_paid\n"
              "o1,2024-11-11 10:00:00+08:00,u1,jd,S1,4999\n"   # row 2: fine
              "o2,2024-11-11 10:00:00+25:00,u1,jd,S1,4999\n"   # row 3: no such zone
              "o3,0024-11-11 10:00:00,u1,jd,S1,4999\n"         # row 4: the year 24
              "o4,2024-11-11T10:00:00-05:00,u1,jd,S1,4999\n")  # row 5: fine
    assert _reasons(tmp_path / "o", "orders.csv", orders) == {3: "invalid_timestamp", 4: "implausible_date"}
