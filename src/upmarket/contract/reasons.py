"""Why a row was quarantined, in words a person fixing the file can act on (English and Chinese).

The cleaning SQL (``upmarket.contract.sql``) and the readers emit short reason codes; this is
their catalogue. Row rules of the contract tables explain themselves with their own ``doc``.
A test checks that every reason code the cleaning SQL can emit is here.
"""

from __future__ import annotations

from upmarket.contract.tables import TABLES

REASONS: dict[str, tuple[str, str]] = {
    # per cell
    "missing_required": ("A required column is empty in this row.", "必填列在这一行为空。"),
    "invalid_date": ("Not a date upmarket can read; write it as 2024-11-11 (2024/11/11 and 2024年11月11日 also work).",
                     "无法识别的日期；请写成 2024-11-11（也可用 2024/11/11 或 2024年11月11日）。"),
    "implausible_date": ("A year outside 1970–2100 (e.g. 24-1-1 read as the year 24); write the year in full.",
                         "年份不在 1970–2100 之间（例如 24-1-1 被读成公元 24 年）；请写完整的年份。"),
    "date_range_reversed": ("A date range that ends before it starts.", "日期范围的结束早于开始。"),
    "date_range_not_allowed": ("A date range where this column holds a single date.",
                               "此列只能是单个日期，不能是日期范围。"),
    "invalid_timestamp": ("Not a time upmarket can read; write it as 2024-11-11 20:00:00 (Beijing time unless a zone "
                          "is given).",
                          "无法识别的时间；请写成 2024-11-11 20:00:00（未注明时区即按北京时间）。"),
    "not_a_number": ("Not a number (a stray word or symbol in a numeric column).",
                     "不是数字（数值列中混入了文字或符号）。"),
    "not_an_integer": ("A fraction in a column of counts.", "计数列中出现了小数。"),
    "percent_in_count_column": ("A percentage in a column of counts.", "计数列中出现了百分比。"),
    "percent_in_number_column": ("A percentage in a column of amounts.", "金额/数值列中出现了百分比。"),
    "below_min": ("Below the smallest value allowed (e.g. a negative count or price).",
                  "低于允许的最小值（例如负数的数量或价格）。"),
    "above_max": ("Above the largest value allowed (e.g. a rating above 5).",
                  "超过允许的最大值（例如评分高于 5）。"),
    "invalid_code": ("Not one of the values this column allows (see the code lists in docs/contract.md).",
                     "不是此列允许的取值（见 docs/contract.md 的代码表）。"),
    "not_a_boolean": ("Not a yes/no value (use 1/0, true/false, 是/否).",
                      "不是是/否值（请用 1/0、true/false、是/否）。"),
    "id_scientific_notation": ("A spreadsheet turned this id into scientific notation (1.23E+11) and lost digits; "
                               "re-export the column as text.",
                               "表格软件把这个编号变成了科学计数法（如 1.23E+11），位数已丢失；"
                               "请把该列作为文本重新导出。"),
    # per row
    "duplicate_key": ("Another row (in this file or one loaded before) has the same key; the first one was kept.",
                      "另一行（本文件或之前载入的文件中）键值相同；保留了最先出现的那一行。"),
    "empty_row": ("An empty row.", "空行。"),
    "summary_row": ("A total or subtotal row (合计/总计/汇总), not a fact of its own.",
                    "合计/总计/汇总行，不是单独的一条数据。"),
    "ragged_row": ("The row has more or fewer cells than the header (a stray delimiter or quote).",
                   "这一行的单元格数与表头不一致（多余的分隔符或引号）。"),
    "bad_encoding": ("Bytes that are not valid text in the file's encoding.", "这一行含有不符合文件编码的字节。"),
    "bad_json": ("Not a valid JSON record.", "不是有效的 JSON 记录。"),
}

RULE_REASONS_ZH: dict[str, str] = {
    "band_or_model": "型号为空时必须填写价位段。",
    "bad_period": "期间应写成 2024、2024H1、2024Q4 或 2024-11。",
    "buyers_gt_visitors": "成交人数不能多于访客数。",
    "favorites_gt_visitors": "收藏人数不能多于访客数。",
}
"""Chinese for the contract's row rules (their English is the rule's own ``doc``)."""

UNKNOWN = ("See docs/contract.md for this check.", "详见 docs/contract.md 中的该项检查。")


def catalogue() -> dict[str, tuple[str, str]]:
    """Every reason code → (English, Chinese), row rules included."""
    out = dict(REASONS)
    for t in TABLES.values():
        for r in t.rules:
            doc = r.doc[:1].upper() + r.doc[1:]
            out.setdefault(r.name, (doc.rstrip(".") + ".", RULE_REASONS_ZH.get(r.name, UNKNOWN[1])))
    return out


def explain(reason: str) -> tuple[str, str]:
    """(English, Chinese) for a reason code; a pointer to the docs for a code this catalogue lacks."""
    return catalogue().get(reason, UNKNOWN)
