"""Dataset discovery: naming rule, part folders, [[files]] mappings, platform folders, ignored files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from upmarket.config import Config, FileMapping
from upmarket.io import discover, file_dates


def _touch(root: Path, *names: str) -> None:
    for name in names:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")


def test_naming_rule_parts_and_bookkeeping(tmp_path: Path) -> None:
    _touch(tmp_path, "orders.csv", "Products.XLSX", "reviews.jsonl.zst", "users.csv.gz", "upmarket.toml", "truth.json",
           "README.md", ".upmarket.duckdb", ".upmarket.duckdb.wal", ".hidden/orders.csv",
           "events/part-2.parquet", "events/part-10.parquet", "events/part-1.parquet", "events/_SUCCESS",
           "traffic/platform=jd/2024-11.csv", "traffic/platform=TMALL/2024-11.csv",
           "notes.txt.bak", "sales.csv", "misc/orders.csv")
    found = discover(tmp_path, Config())
    assert [(f.rel_path, f.table, f.platform) for f in found] == [
        ("Products.XLSX", "products", None),
        ("events/part-1.parquet", "events", None),
        ("events/part-2.parquet", "events", None),
        ("events/part-10.parquet", "events", None),
        ("orders.csv", "orders", None),
        ("reviews.jsonl.zst", "reviews", None),
        ("traffic/platform=TMALL/2024-11.csv", "traffic", "tmall"),
        ("traffic/platform=jd/2024-11.csv", "traffic", "jd"),
        ("users.csv.gz", "users", None),
    ]
    assert found.files[0].path == tmp_path / "Products.XLSX"
    ignored = {i.rel_path: i.reason for i in found.ignored}
    assert set(ignored) == {"misc/orders.csv", "notes.txt.bak", "sales.csv"}
    assert "folder name 'misc' is not a contract table" in ignored["misc/orders.csv"]
    assert "[[files]]" in ignored["sales.csv"]
    assert "not a data file extension" in ignored["notes.txt.bak"]
    assert list(found.tables()) == ["products", "events", "orders", "reviews", "traffic", "users"]


def test_file_mappings_win(tmp_path: Path) -> None:
    _touch(tmp_path, "exports/生意参谋/商品_全部_2024-11-01_2024-11-07.xls", "exports/千川/a.xlsx",
           "exports/千川/sub/b.xlsx", "orders.csv", "exports/other.pdf")
    cfg = Config(files=(
        FileMapping("exports/生意参谋/*.xls", "traffic", platform="tmall"),
        FileMapping("exports/千川/**/*.xlsx", "spend", channel="douyin_ads", sheet="数据", encoding="gbk"),
        FileMapping("orders.csv", "listings", platform="jd"),
    ))
    found = discover(tmp_path, cfg)
    got = {f.rel_path: (f.table, f.platform, f.channel, f.sheet) for f in found}
    assert got == {
        "exports/生意参谋/商品_全部_2024-11-01_2024-11-07.xls": ("traffic", "tmall", None, None),
        "exports/千川/a.xlsx": ("spend", None, "douyin_ads", "数据"),
        "exports/千川/sub/b.xlsx": ("spend", None, "douyin_ads", "数据"),
        "orders.csv": ("listings", "jd", None, None),
    }
    assert [i.rel_path for i in found.ignored] == ["exports/other.pdf"]


def test_mapping_to_unknown_table_fails(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown table 'trafic'"):
        discover(tmp_path, Config(files=(FileMapping("*.csv", "trafic"),)))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("【生意参谋平台】商品_全部_2024-11-01_2024-11-07.xls", ((2024, 11, 1), (2024, 11, 7))),
        ("抖音电商罗盘-成交分析-20241101-20241107.xlsx", ((2024, 11, 1), (2024, 11, 7))),
        ("经营版_商品_商品列表__20241101-20241107_数据更新时间20241108.xlsx", ((2024, 11, 1), (2024, 11, 7))),
        ("商品报表_20241111_153012.csv", ((2024, 11, 11), (2024, 11, 11))),
        ("流量来源_2024年11月1日.xls", ((2024, 11, 1), (2024, 11, 1))),
        ("traffic_2024.11.05至2024.11.06.csv", ((2024, 11, 5), (2024, 11, 6))),
        ("orders.csv", None),
        ("sku_20241399.csv", None),
    ],
)
def test_file_dates(name: str, expected) -> None:
    got = file_dates(name)
    assert got == (None if expected is None else tuple(dt.date(*d) for d in expected))
