"""Header mapping that generalises (units in any bracket, suggestions, [[files]] columns) and exports
recognised by their header whatever their file name."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from upmarket import pipeline
from upmarket.cli import app
from upmarket.config import load_config
from upmarket.contract import table
from upmarket.contract.exports import id_in_name, match_export, near_export
from upmarket.io import discover
from upmarket.io.headers import AliasIndex, match_key, normalise_header
from upmarket.io.recognise import recognise
from upmarket.warehouse.ingest import NoLoadableFileError

from .gallery import GALLERY, write_csv, write_fixture, write_xls


@pytest.mark.parametrize(
    ("cell", "name", "unit"),
    [
        ("商品访客数（人）", "商品访客数", "人"),
        ("商品访客数(人)", "商品访客数", "人"),
        ("成交人数(人）", "成交人数", "人"),  # mixed brackets
        ("成交订单数【单】", "成交订单数", "单"),
        ("成交件数[件]", "成交件数", "件"),
        ("曝光次数（次）", "曝光次数", "次"),
        ("交易笔数(笔)", "交易笔数", "笔"),
        ("商品点击率（％）", "商品点击率", "%"),
        ("客单价(元/人)", "客单价", "元/人"),
        ("消耗（单位：万元）", "消耗", "万元"),
        ("直播时长(小时)", "直播时长", "小时"),
        ("访客数(UV)", "访客数", "UV"),
        # qualifiers keep their brackets
        ("商品点击率(人数)", "商品点击率(人数)", None),
        ("发货前退款金额(订单）", "发货前退款金额(订单)", None),
        ("小红星站外活跃UV(30日归因)", "小红星站外活跃UV(30日归因)", None),
        # units the loader cannot scale are not units: the header stays extra rather than load wrong numbers
        ("成交金额(分)", "成交金额(分)", None),
        ("访客数(万人)", "访客数(万人)", None),
        ("客单价(万元/人)", "客单价(万元/人)", None),
    ],
)
def test_units_in_any_bracket_are_split_off(cell: str, name: str, unit: str | None) -> None:
    assert normalise_header(cell) == type(normalise_header(""))(name, unit)


@pytest.mark.parametrize(
    ("header", "column"),
    [("商品访客数（人）", "visitors"), ("成交人数(人)", "buyers"), ("商品点击人数（人）", "clicks"),
     ("商品曝光人数(人)", "impressions"), ("成交金额（元）", "gmv"), ("成交订单数（单）", "orders"),
     ("成交件数(件)", "units"), ("商品点击率(人数)", None), ("下单买家数", None), ("商品加购件数（件）", None)],
)
def test_traffic_headers_map_per_the_contract(header: str, column: str | None) -> None:
    found = AliasIndex(table("traffic")).lookup(header)
    assert (found[0] if found else None) == column


def test_exposure_count_beats_exposed_people() -> None:
    from upmarket.io.headers import name_columns

    names = name_columns(["SKU", "商品曝光人数", "商品曝光次数"], AliasIndex(table("traffic")))
    assert names.columns["impressions"] == "商品曝光次数"
    assert "商品曝光人数" in names.columns  # kept as an extra column


def test_close_header_is_suggested_and_named_in_the_error(tmp_path: Path) -> None:
    idx = AliasIndex(table("traffic"))
    assert idx.suggest("商品访客人数") == "visitors"
    assert idx.suggest("支付买家") == "buyers"
    assert idx.suggest("商品访客人数", exclude=["visitors"]) is None  # the file already has visitors
    assert idx.suggest("商品名称") is None
    assert idx.suggest("商品访客数") is None  # an exact alias is a match, not a suggestion
    path = tmp_path / "traffic.csv"
    write_csv(path, [["日期", "平台", "商品ID", "商品访客人数", "支付买家数"], ["2024-11-01", "jd", "1", "10", "1"]],
              "utf-8")
    expected = "visitors is probably '商品访客人数'.*columns = "
    with pytest.raises(NoLoadableFileError, match=expected):  # the only file: rejected, with the suggestion
        pipeline.validate(tmp_path)


def test_files_columns_override_maps_a_header(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    rows = [["日期", "SKU", "进店人数", "成交客户数"], ["2024-11-01", "1001", "120", "3"],
            ["2024-11-02", "1001", "90", "2"]]
    write_csv(tmp_path / "exports" / "jd_week.csv", rows, "utf-8")
    (tmp_path / "upmarket.toml").write_text(
        '[[files]]\nglob = "exports/*.csv"\ntable = "traffic"\nplatform = "jd"\ncolumns = {"进店人数" = "visitors"}\n',
        encoding="utf-8")
    rep = pipeline.validate(tmp_path)
    f = rep.file("exports/jd_week.csv")
    assert (f.rows_loaded, f.rows_quarantined) == (2, 0)
    assert f.columns["visitors"] == "进店人数"
    cfg = load_config(tmp_path)
    assert cfg.files[0].columns == (("进店人数", "visitors"),)


def test_files_columns_override_errors(tmp_path: Path) -> None:
    write_csv(tmp_path / "week.csv", [["日期", "SKU", "访客数", "成交客户数"], ["2024-11-01", "1", "5", "1"]], "utf-8")
    toml = '[[files]]\nglob = "week.csv"\ntable = "traffic"\nplatform = "jd"\ncolumns = {{"{h}" = "{c}"}}\n'
    (tmp_path / "upmarket.toml").write_text(toml.format(h="访客数", c="visitorz"), encoding="utf-8")
    with pytest.raises(ValueError, match="'访客数' to 'visitorz', not a column of table 'traffic'"):
        discover(tmp_path, load_config(tmp_path))
    (tmp_path / "upmarket.toml").write_text(toml.format(h="进店人数", c="visitors"), encoding="utf-8")
    with pytest.raises(NoLoadableFileError, match="names header\\(s\\) '进店人数' that this file does not have"):
        pipeline.validate(tmp_path)


def test_signatures_accept_the_published_variants() -> None:
    def keys(*headers: str) -> set[str]:
        return {match_key(normalise_header(h).name) for h in headers}

    item = match_export(keys("商品ID", "商品曝光人数（人）", "商品点击人数(人)", "成交人数（人）"))
    assert item.name == "抖店罗盘 商品"
    live = match_export(keys("直播间名称", "直播间观看人数(人)", "商品曝光人数(人)", "商品点击人数(人)",
                             "成交人数(人)"))
    assert (live.name, live.table, live.constants) == ("抖店罗盘 直播间", "spend", {"channel": "douyin_live"})
    assert match_export(keys("时间", "SKU", "商品名称", "访客数", "成交人数")).name == "京东商智 自营商品明细"
    assert match_export(keys("时间", "SKU", "商品访客数", "成交客户数")).name == "京东商智 商品明细"
    assert match_export(keys("素材ID", "整体消耗", "用户实际支付金额")).name == "巨量千川 素材"
    assert match_export(keys("时间", "消费", "展现量", "点击量")).name == "小红书聚光 分日"
    assert match_export(keys("笔记ID", "达人", "发布时间")).name == "蒲公英 笔记数据"
    assert match_export(keys("一级来源", "二级来源", "访客数", "支付买家数")).id_in_name == "sku_id"
    assert match_export(keys("日期", "商品ID", "访客数", "支付买家数")) is None


def test_near_export_names_what_is_missing() -> None:
    near = near_export({"sku", "商品访客数", "成交客户人数"})
    assert near is not None and near.signature.name == "京东商智 商品明细"
    assert "'成交客户人数' instead of '成交客户数'" in near.describe()
    assert near_export({"order_id", "ts"}) is None


@pytest.mark.parametrize(
    ("name", "found"),
    [("【生意参谋平台】无线商品二级流量来源详情_612345678901_2024-11-01_2024-11-07.xls", "612345678901"),
     ("商品来源_20241101-20241107_612345678901.xls", "612345678901"),
     ("商品报表_20241108_153000.csv", None), ("来源_20241108153000.xls", None), ("来源_1_2.xls", None),
     ("来源_612345678901_612345678902.xls", None)],
)
def test_item_id_in_file_name(name: str, found: str | None) -> None:
    assert id_in_name(name) == found


def test_unknown_names_are_recognised_or_ignored_with_a_reason(tmp_path: Path) -> None:
    jd = next(fx for fx in GALLERY if fx.family == "京东商智 商品明细")
    write_fixture(jd, tmp_path)
    write_csv(tmp_path / "my_notes.csv", [["a", "b"], ["1", "2"]], "utf-8")
    near_jd = [["时间", "SKU", "商品访客数", "成交客户人数"], ["2024-11-01", "1", "9", "1"]]
    write_csv(tmp_path / "jd_export_v2.csv", near_jd, "gbk")
    write_xls(tmp_path / "sycm.csv", [["标题"], ["统计日期", "商品ID", "商品访客数", "支付买家数", "商品加购人数"],
                                      ["2024-11-01", "1", "9", "1", "2"]])  # BIFF behind a .csv name
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4")
    found = discover(tmp_path, load_config(tmp_path))
    assert {(f.rel_path, f.table, f.platform, f.export) for f in found} == {
        (jd.file_name, "traffic", "jd", "京东商智 商品明细"), ("sycm.csv", "traffic", "tmall", "生意参谋 商品")}
    ignored = {i.rel_path: i.reason for i in found.ignored}
    assert set(ignored) == {"my_notes.csv", "jd_export_v2.csv", "broken.xlsx", "report.pdf"}
    assert ignored["my_notes.csv"].endswith("its header matches no known export")
    assert "looks like a 京东商智 商品明细 export" in ignored["jd_export_v2.csv"]
    assert "unreadable" in ignored["broken.xlsx"]
    assert "not a data file extension" in ignored["report.pdf"]
    assert recognise(tmp_path / "sycm.csv").signature.platform == "tmall"


def test_folder_platform_wins_over_the_signature(tmp_path: Path) -> None:
    pdd = next(fx for fx in GALLERY if fx.family == "拼多多 商品数据")
    write_fixture(pdd, tmp_path / "platform=pdd_global")
    (f,) = discover(tmp_path, load_config(tmp_path)).files
    assert (f.table, f.platform) == ("traffic", "pdd_global")


def test_validate_prints_the_mapping_and_ignored_files(tmp_path: Path) -> None:
    fx = next(fx for fx in GALLERY if fx.family == "抖店罗盘 商品" and "xlsx" in fx.variant)
    write_fixture(fx, tmp_path)
    write_csv(tmp_path / "[bold red]odd.csv", [["x"], ["1"]], "utf-8")
    result = CliRunner().invoke(app, ["validate", str(tmp_path)], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"{fx.file_name} → traffic (recognised as 抖店罗盘 商品)" in out
    assert "商品访客数（人） → visitors" in out and "成交人数（人） → buyers" in out
    assert "kept as extra: 商品名称, 商品点击率（％）, 发货前退款金额(订单）" in out
    assert "ignored [bold red]odd.csv: " in out  # markup in a file name is printed, not interpreted


def test_source_export_without_an_item_id_in_its_name_says_where_to_put_it(tmp_path: Path) -> None:
    src = next(fx for fx in GALLERY if fx.family == "生意参谋 来源")
    src.build(tmp_path / "【生意参谋平台】无线商品二级流量来源详情_2024-11-01_2024-11-07.xls")
    expected = r"missing required column\(s\) sku_id .*put the item id in the file name"
    with pytest.raises(NoLoadableFileError, match=expected):
        pipeline.validate(tmp_path)
