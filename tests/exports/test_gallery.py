"""The export gallery through the real ingest: every family and variant of PLATFORM_EXPORTS.md loads under
its real file name, recognised by its header, with exactly the rows and quarantine reasons it should have."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from upmarket import pipeline

from .gallery import GALLERY, ExportFixture, write_gallery

BY_ID = {fx.id: fx for fx in GALLERY}


def _fx(family: str, variant_start: str) -> ExportFixture:
    return next(fx for fx in GALLERY if fx.family == family and fx.variant.startswith(variant_start))


def test_gallery_covers_every_family_of_platform_exports() -> None:
    families = {fx.family for fx in GALLERY}
    assert families == {"生意参谋 商品", "生意参谋 来源", "京东商智 商品明细", "京东商智 自营", "抖店罗盘 商品",
                        "抖店罗盘 直播间", "阿里妈妈 万相台", "拼多多 商品数据", "巨量千川 素材", "小红书聚光 分日",
                        "蒲公英 笔记数据"}
    assert len(BY_ID) == len(GALLERY), "fixture ids must be unique"
    assert len({fx.file_name for fx in GALLERY}) == len(GALLERY), "file names must be unique (one gallery folder)"


@pytest.mark.parametrize("fx", GALLERY, ids=[fx.id for fx in GALLERY])
def test_export_loads_as_expected(fx: ExportFixture, load_export) -> None:
    got = load_export(fx)
    rep = got.report
    assert (rep.path, rep.table, rep.export) == (fx.file_name, fx.table, fx.export)
    assert rep.rows_read == fx.rows_read, "a data row was lost or invented"
    assert rep.rows_loaded == fx.rows_loaded
    assert dict(rep.top_reasons) == fx.quarantined
    assert rep.rows_read == rep.rows_loaded + rep.rows_quarantined
    by_header = {header: name for name, header in rep.columns.items()}
    for header, column in fx.columns.items():
        assert by_header.get(header) == column, f"{header!r} should map to {column}, got {by_header.get(header)}"
    if fx.platform is not None:
        assert got.rows(f"SELECT DISTINCT platform FROM {fx.table} WHERE _file_id = {{file}}") == [(fx.platform,)]
    if fx.channel is not None:
        assert got.rows("SELECT DISTINCT channel FROM spend WHERE _file_id = {file}") == [(fx.channel,)]
    assert got.rows("SELECT count(*) FROM quarantine WHERE file_id = {file}") == [(rep.rows_quarantined,)]


def test_sycm_items_numbers_as_text_and_numeric_ids(load_export) -> None:
    got = load_export(_fx("生意参谋 商品", "BIFF .xls"))
    rows = dict(got.rows("SELECT sku_id, visitors FROM traffic WHERE _file_id = {file}"))
    assert rows["612345678902"] == 12_000  # 1.2万, and a numeric 商品ID without '.0'
    assert rows["612345678901"] == 5_652  # thousands separator
    gmv = dict(got.rows("SELECT sku_id, gmv FROM traffic WHERE _file_id = {file}"))
    assert gmv["612345678902"] == pytest.approx(1.05e8)  # 亿
    assert gmv["612345678906"] == pytest.approx(19_990.0)  # ￥
    assert got.rows("SELECT count(*) FROM traffic WHERE favorites IS NULL AND _file_id = {file}") == [(1,)]  # '-'
    assert got.rows("SELECT DISTINCT date FROM traffic WHERE _file_id = {file}") == [(dt.date(2024, 11, 1),)]


def test_sycm_items_csv_window_totals(load_export) -> None:
    got = load_export(_fx("生意参谋 商品", "CSV (GBK)"))
    assert got.report.encoding in ("gbk", "gb18030")
    assert got.rows("SELECT DISTINCT date, date_end FROM traffic WHERE _file_id = {file}") == [
        (dt.date(2024, 11, 8), dt.date(2024, 11, 14))]


def test_sycm_source_takes_item_and_dates_from_the_file_name(load_export) -> None:
    got = load_export(_fx("生意参谋 来源", ""))
    assert got.rows("SELECT DISTINCT sku_id, date, date_end FROM traffic WHERE _file_id = {file}") == [
        ("612345678901", dt.date(2024, 11, 1), dt.date(2024, 11, 7))]
    assert sorted(got.rows("SELECT source, sum(visitors) FROM traffic WHERE _file_id = {file} GROUP BY 1")) == [
        ("ad", 800), ("other", 3_420)]


def test_jd_summary_row_reconciles_with_the_details(load_export) -> None:
    got = load_export(_fx("京东商智 商品明细", ""))
    assert got.report.reconcile == []  # the 合计 row agrees with the four loaded SKUs
    assert got.rows("SELECT sum(visitors), sum(buyers) FROM traffic WHERE _file_id = {file}") == [(5_100, 40)]


def test_jd_self_operated_ranges(load_export) -> None:
    got = load_export(_fx("京东商智 自营", ""))
    assert got.rows("SELECT DISTINCT date, date_end FROM traffic WHERE _file_id = {file}") == [
        (dt.date(2024, 11, 1), dt.date(2024, 11, 7))]


@pytest.mark.parametrize("variant", [".xlsx, full-width", "商品分析 CSV"])
def test_douyin_items_dates_from_the_file_name_not_the_update_date(variant: str, load_export) -> None:
    fx = _fx("抖店罗盘 商品", variant)
    got = load_export(fx)
    expected = (dt.date(2024, 11, 1), dt.date(2024, 11, 7)) if "xlsx" in variant else (
        dt.date(2024, 11, 8), dt.date(2024, 11, 14))
    assert got.rows("SELECT DISTINCT date, date_end FROM traffic WHERE _file_id = {file}") == [expected]
    assert got.rows("SELECT sku_id, visitors, impressions FROM traffic WHERE visitors > 10000 AND _file_id = {file}"
                    ) == [("3600000000000000002", 13_000, 352_000)]


def test_ad_reports_fall_into_their_week(load_export) -> None:
    got = load_export(_fx("小红书聚光 分日", ""))
    assert got.rows("SELECT week, sum(spend), count(*) FROM spend WHERE _file_id = {file} GROUP BY week") == [
        (dt.date(2024, 11, 4), 21_100.0, 4)]
    got = load_export(_fx("巨量千川 素材", ".xlsx with inlineStr cells and !ref=A1, 净成交金额"))
    assert got.rows("SELECT week, sum(spend) FROM spend WHERE _file_id = {file} GROUP BY week") == [
        (dt.date(2024, 11, 4), 19_350.5)]
    # the 总计 row also counted the material whose spend cell holds a rate: the mismatch is reported
    assert got.report.reconcile == ["spend: summary row says 20,351.0, loaded rows sum to 19,350.5"]


@pytest.mark.slow
def test_whole_gallery_in_one_folder(tmp_path: Path) -> None:
    write_gallery(tmp_path)
    rep = pipeline.validate(tmp_path)
    assert rep.ignored == []
    assert sorted(f.path for f in rep.files) == sorted(fx.file_name for fx in GALLERY)
    assert rep.totals["rows_loaded"] == sum(fx.rows_loaded for fx in GALLERY)
    assert rep.totals["rows_read"] == sum(fx.rows_read for fx in GALLERY)


@pytest.mark.slow
def test_whole_gallery_analyses_without_failure(tmp_path: Path) -> None:
    """The gallery alone (no products, no events: exports as a brand downloads them) runs every analysis
    its tables allow, with nothing failed and every platform's funnel computed from the columns it has."""
    data = tmp_path / "exports"
    write_gallery(data)
    res = pipeline.analyze(data, tmp_path / "out", report=False)
    assert res.failed == {}
    assert res.figures["data_quality"]["rejected_files"] == []
    funnel = res.figures["funnel"]
    for platform in ("tmall", "jd", "douyin", "pdd"):
        assert 0 < funnel[platform]["visit_to_buy"] < 1, platform
        lo, hi = funnel[platform]["visit_to_buy_ci"]
        assert lo < funnel[platform]["visit_to_buy"] < hi, (platform, lo, hi)  # never a zero-width interval
    assert "ctr" not in funnel["tmall"] and "tmall.ctr" in res.not_computed["funnel"]  # 生意参谋 has no impressions
    assert "impressions" not in funnel["tmall"]
    assert funnel["douyin"]["ctr"] > 0
