"""Workbooks: XLSX (openpyxl-written and hand-made quirky ones), BIFF .xls behind a .csv name, merged headers."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from upmarket.io import UnreadableFile, open_table


def test_pugongying_notes_with_title_row(xlsx, read) -> None:
    rows = [
        ["导出数据"],
        ["笔记ID", "笔记标题", "博主昵称", "笔记发布日期", "笔记类型", "蒲公英金额", "阅读量", "互动量"],
        ["64f0a1", "小米15 Ultra 影像实测", "数码小王", dt.date(2024, 11, 2), "视频", 12000, 153000, None],
        ["64f0a2", "Redmi K80 续航", "科技猫", dt.datetime(2024, 11, 3, 20, 15), "图文", 0.5, "1.2万", "3,400"],
    ]
    raw, data = read(xlsx("notes.xlsx", rows, merges=["A1:H1"]), "posts")
    assert raw.format == "xlsx" and raw.encoding is None and raw.sheet == "Sheet1"
    assert raw.header_row == 2
    assert list(raw.columns) == ["post_id", "text", "creator_id", "ts", "format", "cost", "views", "互动量"]
    assert raw.platform == "xiaohongshu" and raw.export == "蒲公英 笔记数据"
    assert raw.defaults == {"creator_type": "kol"}
    assert data["_row"] == [3, 4]
    assert data["ts"] == ["2024-11-02", "2024-11-03 20:15:00"]
    assert data["cost"] == ["12000", "0.5"]
    assert data["views"] == ["153000", "1.2万"]
    assert data["互动量"] == ["", "3,400"]
    assert raw.rows_hint == 2


def test_merged_section_headers_prefix_repeated_names(xlsx, read) -> None:
    rows = [
        ["内容效率"],
        ["user_id", "曝光", None, "阅读", None, "城市"],
        [None, "发现页", "搜索页", "发现页", "搜索页", None],
        ["u1", 10, 20, 3, 4, "武汉"],
        ["u2", 11, 21, 5, 6, "成都"],
    ]
    raw, data = read(xlsx("users.xlsx", rows, merges=["A1:F1", "A2:A3", "B2:C2", "D2:E2", "F2:F3"]), "users")
    assert raw.header_row == 3
    assert list(raw.columns) == ["user_id", "曝光_发现页", "曝光_搜索页", "阅读_发现页", "阅读_搜索页", "城市"]
    assert raw.columns["阅读_搜索页"] == "搜索页"
    assert data["_row"] == [4, 5]
    assert data["阅读_发现页"] == ["3", "5"]
    assert data["城市"] == ["武汉", "成都"]


def test_section_row_without_vertical_merges(xlsx, read) -> None:
    rows = [
        [None, "曝光", None, "阅读", None],
        ["user_id", "发现页", "搜索页", "发现页", "搜索页"],
        ["u1", 1, 2, 3, 4],
    ]
    raw, data = read(xlsx("users.xlsx", rows, merges=["B1:C1", "D1:E1"]), "users")
    assert raw.header_row == 2
    assert list(raw.columns) == ["user_id", "曝光_发现页", "曝光_搜索页", "阅读_发现页", "阅读_搜索页"]
    assert data["_row"] == [3]


def test_repeated_names_without_sections_are_numbered(xlsx, read) -> None:
    raw, _ = read(xlsx("users.xlsx", [["user_id", "阅读uv", "阅读uv", None], ["u1", 1, 2, 3]]), "users")
    assert list(raw.columns) == ["user_id", "阅读uv", "阅读uv_2", "col_4"]


def test_blank_headed_empty_columns_are_dropped(xlsx, read) -> None:
    raw, data = read(xlsx("users.xlsx", [["user_id", None, "city", None], ["u1", None, "x", None]]), "users")
    assert list(raw.columns) == ["user_id", "city"]
    assert data == {"_row": [2], "user_id": ["u1"], "city": ["x"]}


def test_sheet_chosen_by_name(xlsx, read) -> None:
    path = xlsx("users.xlsx", [["说明"]], title="说明", extra_sheets={"用户": [["user_id"], ["u7"]]})
    raw, data = read(path, "users", sheet="用户")
    assert raw.sheet == "用户" and data["user_id"] == ["u7"]
    with pytest.raises(UnreadableFile, match=r"no sheet '人群'; the workbook has \['说明', '用户'\]"):
        read(path, "users", sheet="人群")
    with pytest.raises(UnreadableFile, match=r"no header row found .* of sheet '说明'"):
        read(path, "users")


def test_biff_xls_behind_a_csv_name(tmp_path: Path, read) -> None:
    import xlwt  # a dev dependency: writes the BIFF fixture

    wb = xlwt.Workbook()
    ws = wb.add_sheet("商品")
    titles = ["【生意参谋平台】商品_全部", "统计时间：2024-11-01~2024-11-07", "", "注：前四行是说明信息"]
    for r, text in enumerate(titles):
        ws.write(r, 0, text)
    header = ["统计日期", "商品ID", "商品访客数", "商品收藏人数", "支付买家数", "支付金额"]
    for c, text in enumerate(header):
        ws.write(4, c, text)
    for c, value in enumerate(["2024-11-01~2024-11-07", 712345678901.0, "5,652", 300, 120, "719,880.00"]):
        ws.write(5, c, value)
    path = tmp_path / "【生意参谋平台】商品_全部_2024-11-01_2024-11-07.csv"
    wb.save(str(path))
    assert path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    raw, data = read(path, "traffic")
    assert raw.format == "xls" and raw.header_row == 5
    assert list(raw.columns) == ["date", "sku_id", "visitors", "favorites", "buyers", "gmv"]
    assert raw.platform == "tmall"
    assert raw.file_dates == (dt.date(2024, 11, 1), dt.date(2024, 11, 7))
    assert data["_row"] == [6]
    assert data["sku_id"] == ["712345678901"]
    assert data["date"] == ["2024-11-01~2024-11-07"]
    assert data["favorites"] == ["300"]


def test_inline_strings_and_wrong_used_range(tmp_path: Path, read) -> None:
    """ByteDance-style XLSX: inlineStr cells and ``<dimension ref="A1"/>`` although the data is wider."""
    path = tmp_path / "users.xlsx"
    cells = [[("t", "user_id"), ("t", "城市")], [("t", "u1"), ("n", "42")], [("t", "u2"), ("t", "深圳")]]

    def cell(ref: str, kind: str, v: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>' if kind == "t" else f'<c r="{ref}"><v>{v}</v></c>'

    rows_xml = "".join(
        f'<row r="{r}">' + "".join(cell(f"{'AB'[c]}{r}", kind, v) for c, (kind, v) in enumerate(row)) + "</row>"
        for r, row in enumerate(cells, start=1))
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        z.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
                   f'Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook {ns} xmlns:r="{rel}"><sheets>'
                   f'<sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                   f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
                   f'Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0"?><worksheet {ns}><dimension ref="A1"/>'
                   f"<sheetData>{rows_xml}</sheetData></worksheet>")
    raw, data = read(path, "users")
    assert list(raw.columns) == ["user_id", "城市"]
    assert data == {"_row": [2, 3], "user_id": ["u1", "u2"], "城市": ["42", "深圳"]}


def test_gzipped_xlsx(xlsx, tmp_path: Path, read) -> None:
    import gzip

    src = xlsx("plain.xlsx", [["user_id"], ["u1"]])
    path = tmp_path / "users.xlsx.gz"
    path.write_bytes(gzip.compress(src.read_bytes()))
    raw, data = read(path, "users")
    assert raw.format == "xlsx" and raw.compression == "gzip" and data["user_id"] == ["u1"]


def test_xlsx_missing_required_column(xlsx) -> None:
    from upmarket.io import SourceFile

    path = xlsx("orders.xlsx", [["订单"], ["order_id", "ts", "platform"], ["1", "2024-11-01", "jd"]])
    with pytest.raises(UnreadableFile) as exc:
        open_table(SourceFile(path, "orders.xlsx", "orders"))
    msg = str(exc.value)
    assert "missing required column(s) user_id, sku_id, price_paid of table 'orders'" in msg
    assert "headers seen at row 2: 'order_id', 'ts', 'platform'" in msg
