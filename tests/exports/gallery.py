"""The export gallery: one file per platform export family and variant of ``PLATFORM_EXPORTS.md``.

Every file is built here from the published header lists, with the quirks the document lists
(title rows, 合计/总计/汇总 rows, 万/亿, %, ￥, thousands separators, ``-`` as missing, dates only
in the file name, GBK, BIFF behind a ``.csv`` name, units in brackets of every style, a ``%`` in a
count column, ``inlineStr`` cells and a wrongly declared ``!ref``) and a known set of bad rows.
Each :class:`ExportFixture` carries the outcome a correct loader must produce.

The files are written at test time (``write_gallery``) rather than committed: the builders are
the reviewable source of truth, and binary workbooks in git would hide what a fixture contains.
``python tests/exports/gallery.py OUT`` writes the whole gallery into OUT (one dataset folder) to
try the CLI on it (``upmarket validate OUT``).

This module must not import ``upmarket.twin``: real exports follow the platforms, not the twin.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import xlwt

Cell = str | int | float | None
Rows = list[list[Cell]]


# --------------------------------------------------------------------------------------------- writers


def write_xls(path: Path, rows: Sequence[Sequence[Cell]], sheet: str = "Sheet1") -> None:
    """A BIFF8 workbook (what 生意参谋 exports, also behind a ``.csv`` name)."""
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())


def write_csv(path: Path, rows: Sequence[Sequence[Cell]], encoding: str) -> None:
    """CSV in ``encoding`` (``gbk``, ``utf-8-sig``, ``utf-8``), CRLF line ends as Windows tools write them."""
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows([["" if v is None else v for v in row] for row in rows])
    path.write_bytes(buf.getvalue().encode(encoding))


def write_xlsx(path: Path, rows: Sequence[Sequence[Cell]], sheet: str = "Sheet1") -> None:
    """An ordinary XLSX (openpyxl: shared strings, a correct used range)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(list(row))
    wb.save(path)


def write_xlsx_inline(path: Path, rows: Sequence[Sequence[Cell]], declared_ref: str = "A1") -> None:
    """An XLSX written part by part as ByteDance tools do: every string an ``inlineStr`` cell, no
    shared strings, no styles, and a used range declared as ``declared_ref`` whatever the data."""

    def col(k: int) -> str:
        name = ""
        k += 1
        while k:
            k, rem = divmod(k - 1, 26)
            name = chr(65 + rem) + name
        return name

    xml_rows = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for k, v in enumerate(row):
            ref = f"{col(k)}{r}"
            if v is None:
                continue
            if isinstance(v, int | float):
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(v)}</t></is></c>')
        xml_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{main}" xmlns:r="{rel}">'
            '<sheets><sheet name="素材" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{main}">'
            f'<dimension ref="{declared_ref}"/><sheetData>{"".join(xml_rows)}</sheetData></worksheet>'
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)


# ------------------------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class ExportFixture:
    """One gallery file and the outcome a correct loader produces for it.

    ``quarantined`` maps each quarantine reason to its row count; ``rows_loaded`` +
    ``sum(quarantined)`` is every data row of the file.
    """

    family: str
    variant: str
    file_name: str
    table: str
    export: str
    rows_loaded: int
    quarantined: dict[str, int]
    build: Callable[[Path], None] = field(repr=False)
    platform: str | None = None
    channel: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    """Some header → column mappings the file must get (original header → contract name)."""

    @property
    def id(self) -> str:
        return f"{self.family} / {self.variant}"

    @property
    def rows_read(self) -> int:
        return self.rows_loaded + sum(self.quarantined.values())


def _row(headers: Sequence[str], values: dict[str, Cell], default: Cell = "-") -> list[Cell]:
    """A data row in header order; headers not in ``values`` get ``default`` (``-`` = missing)."""
    unknown = set(values) - set(headers)
    if unknown:
        raise KeyError(f"not in the header list: {sorted(unknown)}")
    return [values.get(h, default) for h in headers]


# 生意参谋 商品 / 商品排行: the published header list (PLATFORM_EXPORTS.md 1a)
SYCM_ITEM_HEADERS = [
    "统计日期", "商品ID", "商品名称", "货号", "商品状态", "商品标签", "商品访客数", "商品浏览量", "平均停留时长",
    "商品详情页跳出率", "商品收藏人数", "商品加购件数", "商品加购人数", "下单买家数", "下单件数", "下单金额",
    "下单转化率", "支付买家数", "支付件数", "支付金额", "商品支付转化率", "支付新买家数", "支付老买家数",
    "老买家支付金额", "聚划算支付金额", "访客平均价值", "成功退款金额", "竞争力评分", "年累计支付金额",
    "月累计支付金额", "月累计支付件数", "搜索引导支付转化率", "搜索引导访客数", "搜索引导支付买家数",
    "结构化详情引导转化率", "结构化详情引导成交占比",
]
SYCM_TITLE_ROWS: Rows = [
    ["【生意参谋平台】商品_全部"],
    ["统计时间：2024-11-01 ~ 2024-11-07"],
    ["终端：所有终端"],
    ["说明：以下数据仅供参考"],
]


def _sycm_item_rows(date: str, numeric_ids: bool) -> Rows:
    """Six good rows, one summary row (商品ID ``-``), one shifted row, one with buyers > visitors."""

    def item(k: int, visitors: str, buyers: str, **more: Cell) -> list[Cell]:
        sku: Cell = 612345678900 + k if numeric_ids else str(612345678900 + k)
        base: dict[str, Cell] = {
            "统计日期": date, "商品ID": sku, "商品名称": f"Xiaomi 15 Ultra 16+{k}TB", "货号": f"XM15U-{k}",
            "商品状态": "当前在线", "商品访客数": visitors, "商品浏览量": "8,950", "平均停留时长": "35.20",
            "商品详情页跳出率": "61.25%", "商品收藏人数": "45", "商品加购件数": "96", "商品加购人数": "80",
            "下单买家数": "130", "下单件数": "140", "下单金额": "￥872,100.00", "支付买家数": buyers,
            "支付件数": "130", "支付金额": "5,652.00", "商品支付转化率": "2.18%",
        }
        base.update(more)
        return _row(SYCM_ITEM_HEADERS, base)

    return [
        item(1, "5,652", "123"),
        item(2, "1.2万", "300", 支付金额="1.05亿"),
        item(3, "980", "21", 平均停留时长="92.96%"),  # a % in an extra column: kept as text, the row loads
        item(4, "2,310", "-"),  # buyers '-': missing, never 0
        item(5, "4,400", "88", 商品收藏人数="-"),
        item(6, "760", "12", 支付金额="￥19,990.00"),
        _row(SYCM_ITEM_HEADERS, {"统计日期": date, "商品ID": "-", "商品名称": "汇总", "商品访客数": "15,302",
                                 "支付买家数": "544"}),
        item(7, "12.50%", "35"),  # shifted columns: a % in the visitors count
        item(8, "40", "52"),  # more buyers than visitors
    ]


def _sycm_item_table(date: str, numeric_ids: bool) -> Rows:
    return [*SYCM_TITLE_ROWS, SYCM_ITEM_HEADERS, *_sycm_item_rows(date, numeric_ids)]


SYCM_ITEM_OUTCOME = {"summary_row": 1, "missing_required": 1, "percent_in_count_column": 1, "buyers_gt_visitors": 1}
SYCM_ITEM_COLUMNS = {"商品ID": "sku_id", "商品访客数": "visitors", "支付买家数": "buyers", "商品收藏人数": "favorites",
                     "商品加购人数": "add_to_carts", "支付金额": "gmv", "统计日期": "date"}

# 生意参谋 单品来源 (PLATFORM_EXPORTS.md 1b): 5 title rows, no date column, no item id column
SYCM_SOURCE_HEADERS = [
    "一级来源", "二级来源", "三级来源", "访客数", "浏览量", "支付金额", "浏览量占比", "店内跳转人数", "跳出本店人数",
    "收藏人数", "加购人数", "下单买家数", "下单转化率", "支付件数", "支付买家数", "支付转化率", "直接支付买家数",
    "收藏商品-支付买家数", "粉丝支付买家数", "加购商品-支付买家数",
]


def _sycm_source_table() -> Rows:
    def src(level1: str, level2: str, visitors: str, buyers: str, **more: Cell) -> list[Cell]:
        return _row(SYCM_SOURCE_HEADERS, {"一级来源": level1, "二级来源": level2, "三级来源": "-",
                                          "访客数": visitors, "浏览量": "1,024", "支付金额": "3,299.00",
                                          "浏览量占比": "12.34%", "收藏人数": "3", "加购人数": "9",
                                          "支付件数": "2", "支付买家数": buyers, **more})

    return [
        ["【生意参谋平台】无线商品二级流量来源详情"],
        ["商品ID：612345678901"],
        ["统计时间：2024-11-01 ~ 2024-11-07"],
        ["终端：无线端"],
        [],
        SYCM_SOURCE_HEADERS,
        src("淘内免费", "汇总", "3,120", "40"),
        src("淘内免费", "手淘搜索", "2,000", "30"),
        src("淘内免费", "手淘推荐", "1,120", "10"),
        src("付费流量", "汇总", "800", "12"),
        src("付费流量", "直通车", "800", "12"),
        src("自主访问", "汇总", "420", "9"),
        src("自主访问", "购物车", "300", "7"),
        src("自主访问", "我的淘宝", "120", "2", 收藏人数="150"),  # more favourites than visitors
    ]


# 京东商智 商品明细 (PLATFORM_EXPORTS.md 2): header on row 1, the 合计 row first
JD_DETAIL_HEADERS = [
    "时间", "SKU", "SKU名称", "一级类目", "二级类目", "三级类目", "成交金额", "成交商品件数", "成交单量", "成交客户数",
    "商品访客数", "商品浏览量", "搜索曝光次数", "搜索点击次数", "商品曝光次数", "商品曝光人数", "加购客户数",
    "下单金额", "下单单量", "下单客户数", "取消及售后退款金额",
]


def _jd_detail_table() -> Rows:
    def sku(d: str, k: int, visitors: Cell, buyers: Cell, sku_id: Cell = None, gmv: Cell = 49990.0) -> list[Cell]:
        return _row(JD_DETAIL_HEADERS, {
            "时间": d, "SKU": sku_id if sku_id is not None else 100012345670 + k, "SKU名称": f"小米15 12+{k}GB",
            "一级类目": "手机通讯", "二级类目": "手机", "三级类目": "手机", "成交金额": gmv, "成交商品件数": 10,
            "成交单量": 10, "成交客户数": buyers, "商品访客数": visitors, "商品浏览量": 3000, "搜索曝光次数": 9000,
            "搜索点击次数": 700, "商品曝光次数": 25000, "商品曝光人数": 12000, "加购客户数": 60, "下单金额": 52000,
            "下单单量": 11, "下单客户数": 11, "取消及售后退款金额": 0,
        })

    return [
        JD_DETAIL_HEADERS,
        _row(JD_DETAIL_HEADERS, {"时间": "2024-11-01", "SKU": "合计", "SKU名称": "-", "成交金额": 199960.0,
                                 "成交客户数": 40, "商品访客数": 5100}),
        sku("2024-11-01", 1, 1200, 10),
        sku("2024-11-01", 2, 1300, 10),
        sku("2024-11-01", 3, 1250, 10),
        sku("2024-11-01", 4, 1350, 10),
        sku("2024-11-01", 5, "--", 10),  # no visitors: a required count missing
        sku("2024-11-01", 6, 1000, 10, sku_id="1.00012E+11"),  # an id Excel turned into scientific notation
    ]


# 京东商智 自营 经营状况商品明细: 至 ranges in 时间
JD_SELF_HEADERS = ["时间", "SKU", "商品名称", "店铺名称", "一级类目", "二级类目", "三级类目", "浏览量", "访客数",
                   "成交人数", "成交单量", "成交商品件数", "成交金额", "加购人数"]


def _jd_self_table() -> Rows:
    def sku(k: int, visitors: Cell, buyers: Cell, when: str = "2024-11-01至2024-11-07") -> list[Cell]:
        return _row(JD_SELF_HEADERS, {
            "时间": when, "SKU": str(100098765430 + k), "商品名称": f"Redmi K80 Pro 16+{k}TB",
            "店铺名称": "小米京东自营旗舰店", "一级类目": "手机通讯", "二级类目": "手机", "三级类目": "手机",
            "浏览量": "20,480", "访客数": visitors, "成交人数": buyers, "成交单量": "130", "成交商品件数": "131",
            "成交金额": "¥471,669.00", "加购人数": "410",
        })

    return [
        JD_SELF_HEADERS,
        sku(1, "8,200", "128"),
        sku(2, "6,100", "90"),
        sku(3, "1.1万", "200"),
        [None] * len(JD_SELF_HEADERS),  # a blank row in the middle of the sheet
        sku(4, "3,000", "3,500"),  # more buyers than visitors
        sku(5, "5,000", "60", when="2024-11-01至"),  # a range without its end
    ]


# 抖店 / 罗盘 商品: units in brackets of every style
DOUYIN_ITEM_HEADERS_FULL = ["商品ID", "商品名称", "商品曝光人数（人）", "商品点击人数（人）",
                            "商品点击率（％）", "商品访客数（人）", "成交人数（人）", "成交订单数（单）",
                            "成交件数（件）", "成交金额（元）", "发货前退款金额(订单）"]
DOUYIN_ITEM_HEADERS_HALF = [h.replace("（", "(").replace("）", ")").replace("％", "%")
                            for h in DOUYIN_ITEM_HEADERS_FULL]


def _douyin_item_table(headers: list[str]) -> Rows:
    def item(k: int, visitors: str, buyers: str, impressions: str = "52,000", gmv: str = "￥89,990.00"
             ) -> list[Cell]:
        values = [str(3600000000000000000 + k), f"小米15 Pro 16+{k}TB 官方旗舰", impressions, "6,100", "11.73%",
                  visitors, buyers, "20", "21", gmv, "0.00"]
        return list(values)

    return [
        headers,
        item(1, "5,800", "19"),
        item(2, "1.3万", "150", impressions="35.2万"),
        item(3, "2,000", "25", gmv="1.2万"),
        item(4, "-", "3"),  # visitors missing
        item(5, "4,100", "16.67%"),  # shifted: a rate in the buyers count
    ]


# 抖店 直播间 每日概览 (CSV UTF-8): mixed brackets, no SKU: the live room's ad spend
DOUYIN_LIVE_HEADERS = ["直播间名称", "日期", "直播时长(小时)", "成交金额(元)", "成交人数(人)", "直播间观看人数(人)",
                       "商品曝光人数(人)", "商品点击人数(人)", "商品点击率(人数)", "投放消耗(元)",
                       "发货前退款金额(订单）"]


def _douyin_live_table() -> Rows:
    def day(d: str, spend: str, name: str = "小米官方旗舰店直播间") -> list[Cell]:
        return [name, d, "6.5", "1,208,800.00", "410", "125,000", "98,000", "12,000", "12.24%", spend, "3,299.00"]

    return [
        DOUYIN_LIVE_HEADERS,
        day("2024-11-04", "35,000.00"),
        day("2024-11-05", "41,200.50"),
        day("2024-11-06", "3.9万"),
        day("2024-11-07", "-"),  # no spend recorded
        day("2024-11-08", "28,000"),
        ["合计", "-", "32.5", "6,044,000.00", "2,050", "625,000", "490,000", "60,000", "12.24%", "143,200.50", "-"],
    ]


# 阿里妈妈 / 万相台 商品报表 (PLATFORM_EXPORTS.md 1d): GBK CSV, a 合计 row
WANXIANGTAI_HEADERS = ["日期", "计划ID", "主体ID", "花费", "展现量", "点击量", "总成交金额", "直接成交金额",
                       "间接成交金额", "总收藏加购数", "引导访问人数", "引导访问潜客数", "成交新客数", "入会量"]


def _wanxiangtai_table() -> Rows:
    def day(d: str, plan: str, spend: str) -> list[Cell]:
        return [d, plan, "612345678901", spend, "80,000", "1,600", "36,000.00", "30,000.00", "6,000.00", "210",
                "1,300", "900", "12", "30"]

    return [
        WANXIANGTAI_HEADERS,
        day("2024-11-11", "3088001", "2,000.00"),
        day("2024-11-11", "3088002", "1,500.00"),
        day("2024-11-12", "3088001", "2,400.00"),
        day("2024-11-12", "3088002", "-1,200.00"),  # a negative spend
        ["合计", "-", "-", "4,700.00", "240,000", "4,800", "-", "-", "-", "-", "-", "-", "-", "-"],
    ]


# 拼多多 商品数据 (utf-8-sig, header on row 1)
PDD_HEADERS = ["商品ID", "商品名称", "一级类目", "二级类目", "三级类目", "成交金额", "成交件数", "成交订单数",
               "成交买家数", "商品访客数", "商品浏览量", "商品收藏用户数", "确认订单数", "下单用户数", "成交转化率",
               "下单率"]


def _pdd_table() -> Rows:
    def item(sku: str, visitors: str, buyers: str, favorites: str = "35") -> list[Cell]:
        return [sku, "Redmi Note 14 Pro 12+256GB 百亿补贴", "手机", "手机", "手机", "1,599.00", "1", "1", buyers,
                visitors, "2,400", favorites, "1", "2", "0.25%", "0.50%"]

    return [
        PDD_HEADERS,
        item("612300000001", "1,800", "15"),
        item("612300000002", "2,200", "21"),
        item("612300000003", "900", "7"),
        item("612300000004.0", "1,100", "9"),  # an id saved as a float: repaired
        item("6.123E+11", "700", "5"),  # scientific notation: digits lost
        item("612300000006", "50", "2", favorites="80"),  # more favourites than visitors
    ]


# 巨量千川 素材 (15 columns; PLATFORM_EXPORTS.md 4), inlineStr cells, !ref=A1
QIANCHUAN_HEADERS = ["素材名称", "素材ID", "素材评估", "素材时长", "素材创建时间", "素材来源", "标签", "整体消耗",
                     "净成交ROI", "净成交金额", "1小时内退款率", "整体支付ROI", "整体成交金额", "净成交金额结算率",
                     "净成交订单数"]
QIANCHUAN_ALT_HEADERS = ["素材ID", "素材名称", "整体消耗", "基础消耗", "追投调控消耗", "追投调控支付ROI",
                         "整体支付ROI", "用户实际支付金额"]


def _qianchuan_table() -> Rows:
    def mat(k: int, spend: Cell, name: str | None = None) -> list[Cell]:
        return [name or f"小米15开箱_{k}", f"7430000000000{k}", "优质", "00:00:32", "2024-10-28 10:00:00", "本地上传",
                "开箱", spend, 2.35, "12,099.00", "1.20%", 2.8, 14399.0, "95.00%", 12]

    return [
        QIANCHUAN_HEADERS,
        mat(1, 5150.5),
        mat(2, "3,200.00"),
        mat(3, "1.1万"),
        mat(4, "12.5%"),  # shifted: a rate in the spend column
        mat(5, 0),
        ["总计", "-", "-", "-", "-", "-", "-", "20,351.00", 2.3, "-", "-", 2.8, "-", "-", "-"],
    ]


def _qianchuan_alt_table() -> Rows:
    return [
        QIANCHUAN_ALT_HEADERS,
        ["7430000000000011", "Redmi K80 续航", "1,200.00", "1,000.00", "200.00", "2.10", "2.40", "2,880.00"],
        ["7430000000000012", "Redmi K80 影像", "800.00", "800.00", "0.00", "-", "1.90", "1,520.00"],
        ["7430000000000013", "Redmi K80 游戏", "--", "-", "-", "-", "-", "-"],
    ]


# 小红书聚光 分日 (labels of the report API; PLATFORM_EXPORTS.md 5)
JUGUANG_HEADERS = ["时间", "消费", "展现量", "点击量", "点击率", "平均点击成本", "平均千次展示费用", "点赞", "评论",
                   "收藏", "关注", "分享", "互动量", "平均互动成本", "行动按钮点击量", "小红星站外活跃UV(30日归因)",
                   "去重后小红星站外活跃率（30日归因）", "搜索组件点击量", "搜后阅读量", "新增种草人群",
                   "新增种草人群成本"]


def _juguang_table() -> Rows:
    def day(d: str, spend: str, impressions: str = "120,000") -> list[Cell]:
        return [d, spend, impressions, "3,600", "3.00%", "1.39", "41.67", "420", "88", "130", "25", "19", "682",
                "7.33", "210", "95", "0.12%", "310", "1,450", "2,100", "2.38"]

    return [
        JUGUANG_HEADERS,
        day("2024-11-04", "5,000.00"),
        day("2024-11-05", "5,200.00"),
        day("2024/11/06", "4,800.00", impressions="11.5万"),
        day("2024年11月7日", "6,100.00"),
        day("2024-11-08", "--"),  # no spend
        ["合计", "21,100.00", "475,000", "14,400", "3.03%", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-",
         "-", "-", "-", "-", "-"],
    ]


# 蒲公英 笔记数据 (PLATFORM_EXPORTS.md 5): 1–2 title rows, two header versions
PGY_HEADERS = ["笔记ID", "笔记标题", "笔记链接", "博主昵称", "笔记发布日期", "下单账号", "SPU名称", "数据更新日期",
               "笔记类型", "内容标签", "蒲公英金额", "站外活跃成本（15天设备归因）", "曝光量", "阅读量", "互动量",
               "阅读单价", "互动单价", "点赞量"]
PGY_RENAMED = {"博主昵称": "达人", "笔记发布日期": "发布时间", "SPU名称": "spu名称"}
PGY_ALT_HEADERS = [PGY_RENAMED.get(h, h) for h in PGY_HEADERS]


def _pgy_table(headers: list[str], title_rows: Rows, prefix: str) -> Rows:
    def note(note_id: str, kind: str, cost: Cell = "￥3,000.00", views: Cell = "1.5万", when: Cell = "2024-11-02"
             ) -> list[Cell]:
        return [note_id, "小米15 Ultra 影像实测｜徕卡味拉满", f"https://www.xiaohongshu.com/explore/{note_id}",
                "数码小王", when, "小米官方旗舰店", "Xiaomi 15 Ultra", "2024-11-10", kind, "数码", cost, "12.50",
                "52,000", views, "2,310", "0.20", "1.30", "1,980"]

    return [
        *title_rows,
        headers,
        note(f"{prefix}c9d0", "图文"),
        note(f"{prefix}c9d1", "视频", views="88,000", when="2024-11-03 20:15:00"),
        note(f"{prefix}c9d2", "视频", cost="-"),
        note(f"{prefix}c9d1", "视频"),  # the same note twice
        note(f"{prefix}c9d3", "合集"),  # a note type the contract does not know
        note(f"{prefix}c9d4", "图文", when="2024-13-45"),
    ]


def _xls(rows: Callable[[], Rows]) -> Callable[[Path], None]:
    return lambda p: write_xls(p, rows())


def _csv(rows: Callable[[], Rows], encoding: str) -> Callable[[Path], None]:
    return lambda p: write_csv(p, rows(), encoding)


def _xlsx(rows: Callable[[], Rows]) -> Callable[[Path], None]:
    return lambda p: write_xlsx(p, rows())


GALLERY: tuple[ExportFixture, ...] = (
    ExportFixture(
        "生意参谋 商品", "BIFF .xls, 4 title rows, numeric 商品ID",
        "【生意参谋平台】商品_全部_2024-11-01_2024-11-07.xls", "traffic", "生意参谋 商品",
        5, SYCM_ITEM_OUTCOME, _xls(lambda: _sycm_item_table("2024-11-01", True)), platform="tmall",
        columns=SYCM_ITEM_COLUMNS,
    ),
    ExportFixture(
        "生意参谋 商品", "CSV (GBK), 4 title rows, a ~ window in 统计日期",
        "【生意参谋平台】商品_全部_2024-11-08_2024-11-14.csv", "traffic", "生意参谋 商品",
        5, SYCM_ITEM_OUTCOME, _csv(lambda: _sycm_item_table("2024-11-08~2024-11-14", False), "gbk"),
        platform="tmall", columns=SYCM_ITEM_COLUMNS,
    ),
    ExportFixture(
        "生意参谋 商品", "BIFF behind a .csv name",
        "【生意参谋平台】商品_全部_2024-11-15_2024-11-21.csv", "traffic", "生意参谋 商品",
        5, SYCM_ITEM_OUTCOME, _xls(lambda: _sycm_item_table("2024-11-15", True)), platform="tmall",
    ),
    ExportFixture(
        "生意参谋 来源", "5 title rows, 汇总 subtotals, no date or item column (both in the file name)",
        "【生意参谋平台】无线商品二级流量来源详情_612345678901_2024-11-01_2024-11-07.xls", "traffic",
        "生意参谋 商品来源", 4, {"summary_row": 3, "favorites_gt_visitors": 1}, _xls(_sycm_source_table),
        platform="tmall", columns={"一级来源": "source", "访客数": "visitors", "支付买家数": "buyers"},
    ),
    ExportFixture(
        "京东商智 商品明细", ".xlsx, 合计 row at the top",
        "京东商智_商品明细_2024-11-01.xlsx", "traffic", "京东商智 商品明细",
        4, {"summary_row": 1, "missing_required": 1, "id_scientific_notation": 1}, _xlsx(_jd_detail_table),
        platform="jd", columns={"SKU": "sku_id", "成交客户数": "buyers", "商品曝光次数": "impressions",
                                "商品访客数": "visitors", "加购客户数": "add_to_carts"},
    ),
    ExportFixture(
        "京东商智 自营", ".xlsx, 至 ranges in 时间",
        "京东商智_自营_经营状况商品明细_2024-11-01_2024-11-07.xlsx", "traffic", "京东商智 自营商品明细",
        3, {"empty_row": 1, "buyers_gt_visitors": 1, "invalid_date": 1}, _xlsx(_jd_self_table), platform="jd",
        columns={"访客数": "visitors", "成交人数": "buyers", "时间": "date"},
    ),
    ExportFixture(
        "抖店罗盘 商品", ".xlsx, full-width units （人）（％）, mixed (订单）, dates only in the file name",
        "经营版_商品_商品列表__20241101-20241107_数据更新时间20241108.xlsx", "traffic", "抖店罗盘 商品",
        3, {"missing_required": 1, "percent_in_count_column": 1}, _xlsx(lambda: _douyin_item_table(
            DOUYIN_ITEM_HEADERS_FULL)), platform="douyin",
        columns={"商品访客数（人）": "visitors", "成交人数（人）": "buyers", "商品曝光人数（人）": "impressions",
                 "商品点击人数（人）": "clicks", "成交金额（元）": "gmv"},
    ),
    ExportFixture(
        "抖店罗盘 商品", "商品分析 CSV (UTF-8), half-width units (人)(%)",
        "抖店_商品分析_2024-11-08_2024-11-14.csv", "traffic", "抖店罗盘 商品",
        3, {"missing_required": 1, "percent_in_count_column": 1},
        _csv(lambda: _douyin_item_table(DOUYIN_ITEM_HEADERS_HALF), "utf-8"), platform="douyin",
        columns={"商品访客数(人)": "visitors", "成交人数(人)": "buyers", "成交订单数(单)": "orders"},
    ),
    ExportFixture(
        "抖店罗盘 直播间", "每日概览 CSV (UTF-8), (小时)(人)(元) and (人数)/(订单） qualifiers, 合计 row",
        "抖音直播间_每日概览_2024-11-04_2024-11-08.csv", "spend", "抖店罗盘 直播间",
        4, {"missing_required": 1, "summary_row": 1}, _csv(_douyin_live_table, "utf-8"), channel="douyin_live",
        columns={"投放消耗(元)": "spend", "日期": "week"},
    ),
    ExportFixture(
        "阿里妈妈 万相台", "商品报表 CSV (GBK) named by its download time, 合计 row",
        "商品报表_20241113_153000.csv", "spend", "阿里妈妈 万相台",
        3, {"below_min": 1, "summary_row": 1}, _csv(_wanxiangtai_table, "gbk"), channel="tmall_ads",
        columns={"花费": "spend", "日期": "week", "展现量": "impressions"},
    ),
    ExportFixture(
        "拼多多 商品数据", "CSV (utf-8-sig), dates only in the file name",
        "拼多多_商品数据_2024-11-01_2024-11-07.csv", "traffic", "拼多多 商品数据",
        4, {"id_scientific_notation": 1, "favorites_gt_visitors": 1}, _csv(_pdd_table, "utf-8-sig"),
        platform="pdd", columns={"成交买家数": "buyers", "商品收藏用户数": "favorites", "成交订单数": "orders"},
    ),
    ExportFixture(
        "巨量千川 素材", ".xlsx with inlineStr cells and !ref=A1, 净成交金额, 总计 row",
        "巨量千川_素材_2024-11-04.xlsx", "spend", "巨量千川 素材",
        4, {"percent_in_number_column": 1, "summary_row": 1},
        lambda p: write_xlsx_inline(p, _qianchuan_table()), channel="douyin_ads", columns={"整体消耗": "spend"},
    ),
    ExportFixture(
        "巨量千川 素材", ".xlsx with inlineStr cells and !ref=A1, 用户实际支付金额 version",
        "巨量千川_素材报表_2024-11-11.xlsx", "spend", "巨量千川 素材",
        2, {"missing_required": 1}, lambda p: write_xlsx_inline(p, _qianchuan_alt_table()), channel="douyin_ads",
    ),
    ExportFixture(
        "小红书聚光 分日", "CSV (GBK), 消费, (30日归因) qualifiers, three date spellings, 合计 row",
        "聚光_分日数据_2024-11-04_2024-11-08.csv", "spend", "小红书聚光 分日",
        4, {"missing_required": 1, "summary_row": 1}, _csv(_juguang_table, "gbk"), channel="xiaohongshu_ads",
        columns={"消费": "spend", "展现量": "impressions", "点击量": "clicks", "时间": "week"},
    ),
    ExportFixture(
        "蒲公英 笔记数据", ".xlsx, 1 title row (导出数据), 博主昵称/笔记发布日期",
        "蒲公英_笔记数据_20241110.xlsx", "posts", "蒲公英 笔记数据",
        3, {"duplicate_key": 1, "invalid_code": 1, "invalid_timestamp": 1},
        _xlsx(lambda: _pgy_table(PGY_HEADERS, [["导出数据"]], "6720a1b2c3d4e5f6a7b8")), platform="xiaohongshu",
        columns={"笔记ID": "post_id", "博主昵称": "creator_id", "笔记发布日期": "ts", "蒲公英金额": "cost"},
    ),
    ExportFixture(
        "蒲公英 笔记数据", ".xlsx, 2 title rows, 达人/发布时间/spu名称 version",
        "蒲公英_笔记列表_2024-11-10.xlsx", "posts", "蒲公英 笔记数据",
        3, {"duplicate_key": 1, "invalid_code": 1, "invalid_timestamp": 1},
        _xlsx(lambda: _pgy_table(PGY_ALT_HEADERS, [["蒲公英 · 笔记数据"], ["数据更新时间：2024-11-10"]],
                                   "6720ffeeddccbbaa99887766")),
        platform="xiaohongshu", columns={"达人": "creator_id", "发布时间": "ts"},
    ),
)
"""Every gallery fixture; ``rows_loaded`` and ``quarantined`` are what a correct load gives."""


def write_fixture(fx: ExportFixture, folder: Path) -> Path:
    """Write ``fx`` into ``folder`` under its real export file name; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / fx.file_name
    fx.build(path)
    return path


def write_gallery(folder: Path) -> list[Path]:
    """Every gallery file in one dataset folder (file names are distinct)."""
    return [write_fixture(fx, folder) for fx in GALLERY]


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "export_gallery")
    for p in write_gallery(out):
        print(p)
