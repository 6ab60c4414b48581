"""Export realism: rewrite some canonical twin tables the way the platforms' seller tools export them.

Why: ingest must be checked end to end on the files brands really bring — GBK CSV with Chinese
headers, title rows, summary rows, XLSX, gzip parts — with a *known* number of bad rows per file,
so ``rows read = rows loaded + rows quarantined`` can be asserted against ``truth["ingest"]``.

Each exported slice **replaces** its canonical rows (nothing is written twice):

==========================================================  =============================================
file (relative to the dataset folder)                        replaces
==========================================================  =============================================
``traffic/platform=jd/京东商智_商品明细_<start>_<end>.csv``     ``traffic`` rows of platform ``jd``
``traffic/platform=tmall/【生意参谋平台】商品_全部_<s>_<e>.csv``  ``traffic`` rows of platform ``tmall``
``spend/channel=douyin_ads/巨量千川_账户报表_<s>_<e>.xlsx``       ``spend`` rows of channel ``douyin_ads``
``orders/part-NNNNN.csv.gz``                                  ``orders.parquet`` (all of it)
==========================================================  =============================================

``traffic.parquet`` keeps the other platforms, ``spend.parquet`` the other channels. Bad rows are
*extra* corrupted copies of real rows, so once ingest quarantines them the loaded tables equal the
canonical ones and every other truth (funnel, GMV) still holds. ``truth["ingest"][rel_path]`` =
``{"rows": data rows below the header (summary and bad rows included), "bad_rows": k,
"summary_rows": s, "good_rows": rows - k - s, "reasons": {reason: count}, "encoding": ...,
"title_rows": ..., "replaces": ...}``.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from upmarket.contract import TABLES
from upmarket.contract.codes import CITY_TIER, SOURCE
from upmarket.twin.writer import TableWriter

BAD_REASONS: tuple[str, ...] = ("negative_count", "percent_in_count", "buyers_gt_visitors", "bad_date",
                                "scientific_id")
"""Kinds of bad rows injected into traffic exports (keys of ``truth["ingest"][file]["reasons"]``); spend
exports use ``negative_spend``, ``percent_in_count``, ``bad_date``; orders parts ``negative_price``,
``bad_date``, ``scientific_id``."""

_FIXED_ZIP_TIME = (2025, 7, 1, 0, 0, 0)
_BATCH = 500_000


def _zh(table: str, column: str, *prefer: str) -> str:
    """The Chinese header of a contract column: the first of ``prefer`` the contract lists, else its first alias.

    The contract is the only source: a preferred spelling the contract does not know is never used.
    """
    aliases = TABLES[table].column(column).aliases
    if not aliases:
        raise KeyError(f"contract table {table!r} column {column!r} has no Chinese alias")
    return next((a for a in prefer if a in aliases), aliases[0])


def _zh_codes(code_list: Any) -> dict[str, str]:
    """Canonical code → the first Chinese spelling the code list accepts (as platform exports show them)."""
    out: dict[str, str] = {}
    for alias, code in code_list.aliases.items():
        if code not in out and not alias.isascii():
            out[code] = alias
    return out


_TIER_ZH = _zh_codes(CITY_TIER)
_SOURCE_ZH = _zh_codes(SOURCE)

# traffic columns each export carries: (contract column, preferred Chinese headers in that tool)
_JD_COLS = (("date", ("时间",)), ("sku_id", ("SKU",)), ("city_tier", ()), ("source", ()),
            ("impressions", ("商品曝光次数",)), ("clicks", ("商品点击人数",)), ("visitors", ("商品访客数",)),
            ("page_views", ("商品浏览量",)), ("favorites", ("商品收藏人数",)), ("add_to_carts", ("加购客户数",)),
            ("buyers", ("成交客户数",)), ("orders", ("成交单量",)), ("units", ("成交商品件数",)),
            ("gmv", ("成交金额",)))
_TMALL_COLS = (("date", ("统计日期",)), ("sku_id", ("商品ID",)), ("city_tier", ()), ("source", ("一级来源",)),
               ("impressions", ("曝光量",)), ("clicks", ("点击量",)), ("visitors", ("商品访客数",)),
               ("page_views", ("商品浏览量",)), ("favorites", ("商品收藏人数",)), ("add_to_carts", ("商品加购人数",)),
               ("buyers", ("支付买家数",)), ("orders", ("成交订单数",)), ("units", ("支付件数",)),
               ("gmv", ("支付金额",)))


def write_platform_exports(dataset_dir: Path, rng: np.random.Generator, *, bad_per_file: int = 5,
                           orders_part_rows: int = 50_000, focal_brand: str = "Xiaomi") -> dict[str, Any]:
    """Rewrite traffic (jd, tmall), spend (douyin_ads) and orders of ``dataset_dir`` as platform exports.

    Returns ``{"ingest": {rel_path: {...}}}`` (see the module docstring). Tables that are absent
    are skipped. ``bad_per_file`` corrupted copies are added to each file (at least one per reason
    that applies to the file when ``bad_per_file`` allows).
    """
    root = Path(dataset_dir)
    ingest: dict[str, Any] = {}
    traffic = root / "traffic.parquet"
    if traffic.is_file():
        start, end = _date_range(traffic, "date")
        jd = f"traffic/platform=jd/京东商智_商品明细_{start:%Y%m%d}-{end:%Y%m%d}.csv"
        tm = f"traffic/platform=tmall/【生意参谋平台】商品_全部_{start:%Y-%m-%d}_{end:%Y-%m-%d}.csv"
        ingest[jd] = _traffic_csv(root, traffic, "jd", jd, _JD_COLS, rng, bad_per_file, title_rows=(),
                                  summary=True)
        ingest[tm] = _traffic_csv(root, traffic, "tmall", tm, _TMALL_COLS, rng, bad_per_file,
                                  title_rows=_tmall_titles(start, end), summary=False, extra_cart_items=True)
        _drop_rows(traffic, "traffic", pc.field("platform").isin(["jd", "tmall"]))
    spend = root / "spend.parquet"
    if spend.is_file():
        start, end = _date_range(spend, "week")
        rel = f"spend/channel=douyin_ads/巨量千川_账户报表_{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
        got = _spend_xlsx(root, spend, rel, rng, bad_per_file, focal_brand)
        if got is not None:
            ingest[rel] = got
            _drop_rows(spend, "spend", _qianchuan_rows(focal_brand))
    orders = root / "orders.parquet"
    if orders.is_file():
        ingest.update(_orders_gz(root, orders, rng, bad_per_file, orders_part_rows))
        orders.unlink()
    return {"ingest": dict(sorted(ingest.items()))}


# ----------------------------------------------------------------------------------------------
# helpers


def _date_range(path: Path, column: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    col = pq.read_table(path, columns=[column]).column(column)
    mm = pc.min_max(col)
    lo, hi = mm["min"].as_py(), mm["max"].as_py()
    if lo is None:
        raise ValueError(f"{path}: column {column!r} is empty; nothing to export")
    return pd.Timestamp(lo), pd.Timestamp(hi)


def _batches(path: Path, flt: pc.Expression) -> Iterator[pa.Table]:
    """Row batches of a Parquet file matching ``flt``, in file order (constant memory)."""
    pf = pq.ParquetFile(path)
    for b in pf.iter_batches(batch_size=_BATCH):
        t = pa.Table.from_batches([b]).filter(flt)
        if t.num_rows:
            yield t


def _drop_rows(path: Path, table: str, exported: pc.Expression) -> None:
    """Rewrite a canonical table without the rows an export now carries (atomic replace)."""
    tmp_dir = path.parent / f".{table}.rewrite"
    tmp_dir.mkdir(exist_ok=True)
    w = TableWriter(tmp_dir, table)
    for t in _batches(path, ~exported):
        w.write(t)
    w.close()
    os.replace(w.path, path)
    shutil.rmtree(tmp_dir)


def _pick_bad(rng: np.random.Generator, n_rows: int, k: int, reasons: tuple[str, ...]) -> list[tuple[int, str]]:
    """``k`` (row to copy, reason) pairs: every reason at least once when k allows, rows without repeats."""
    if n_rows == 0 or k <= 0:
        return []
    kinds = [reasons[i % len(reasons)] for i in range(k)]
    rows = rng.choice(n_rows, size=min(k, n_rows), replace=False)
    rows = np.resize(rows, k)
    return sorted(zip(rows.tolist(), kinds, strict=True))


def _fmt_money(x: np.ndarray) -> list[str]:
    """``5,652.00``: money as the seller tools print it (thousands separators)."""
    return [f"{v:,.2f}" for v in x]


def _corrupt_traffic(row: dict[str, Any], reason: str, names: dict[str, str]) -> dict[str, Any]:
    r = dict(row)
    if reason == "negative_count":
        r[names["visitors"]] = -abs(int(r[names["visitors"]]) or 1)
    elif reason == "percent_in_count":
        r[names["buyers"]] = "3.52%"
    elif reason == "buyers_gt_visitors":
        r[names["buyers"]] = int(r[names["visitors"]]) + 3
    elif reason == "bad_date":
        r[names["date"]] = "2024-13-45"
    elif reason == "scientific_id":
        r[names["sku_id"]] = "1.00023E+11"
    return r


def _tmall_titles(start: pd.Timestamp, end: pd.Timestamp) -> tuple[tuple[str, ...], ...]:
    """The four 说明 rows 生意参谋 puts above the header (fixed text: no export time of "now")."""
    return (
        ("【生意参谋平台】商品_全部",),
        (f"统计时间：{start:%Y-%m-%d}~{end:%Y-%m-%d}",),
        ("数据说明：以下数据均为支付口径",),
        ("终端：所有终端",),
    )


def _traffic_csv(root: Path, traffic: Path, platform: str, rel: str, cols: tuple[tuple[str, tuple[str, ...]], ...],
                 rng: np.random.Generator, bad_per_file: int, *, title_rows: tuple[tuple[str, ...], ...],
                 summary: bool, extra_cart_items: bool = False) -> dict[str, Any]:
    """One platform's traffic rows as a GBK CSV export with Chinese headers; bad rows injected."""
    flt = pc.field("platform") == platform
    names = {c: _zh("traffic", c, *prefer) for c, prefer in cols}
    header = [names[c] for c, _ in cols]
    if extra_cart_items:
        header.append("商品加购件数")  # items, not people: an extra column the loader keeps (not add_to_carts)
    counts = [c for c, _ in cols if c not in ("date", "sku_id", "city_tier", "source")]
    # pass 1: row count and totals (for the summary row), without holding the slice in memory
    n_rows = 0
    totals = dict.fromkeys(counts, 0.0)
    for t in _batches(traffic, flt):
        n_rows += t.num_rows
        for c in counts:
            totals[c] += pc.sum(t.column(c)).as_py() or 0
    bad = _pick_bad(rng, n_rows, bad_per_file, BAD_REASONS)
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(path, "w", encoding="gbk", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        for tr in title_rows:
            w.writerow(tr)
        w.writerow(header)
        if summary:
            first = {names["date"]: "", names["sku_id"]: "合计", names["city_tier"]: "", names["source"]: ""}
            first.update({names[c]: (f"{totals[c]:,.2f}" if c == "gmv" else int(totals[c])) for c in counts})
            if extra_cart_items:
                first["商品加购件数"] = int(totals["add_to_carts"])
            w.writerow([first.get(h, "") for h in header])
            written += 1
        offset = 0
        bi = 0
        for t in _batches(traffic, flt):
            df = pd.DataFrame({
                names["date"]: pd.to_datetime(t.column("date").to_numpy(zero_copy_only=False)).strftime("%Y-%m-%d"),
                names["sku_id"]: t.column("sku_id").to_pandas(),
                names["city_tier"]: t.column("city_tier").to_pandas().map(_TIER_ZH),
                names["source"]: t.column("source").to_pandas().map(_SOURCE_ZH),
            })
            for c in counts:
                v = t.column(c).to_numpy(zero_copy_only=False)
                df[names[c]] = _fmt_money(v) if c == "gmv" else v.astype(np.int64)
            if extra_cart_items:
                df["商品加购件数"] = t.column("add_to_carts").to_numpy(zero_copy_only=False).astype(np.int64)
            df = df[header]
            df.to_csv(f, header=False, index=False, lineterminator="\r\n")
            written += len(df)
            # bad rows that copy a row of this batch go right after it
            while bi < len(bad) and bad[bi][0] < offset + len(df):
                row = df.iloc[bad[bi][0] - offset].to_dict()
                w.writerow([_corrupt_traffic(row, bad[bi][1], names)[h] for h in header])
                written += 1
                bi += 1
            offset += len(df)
    reasons = _count(bad)
    return {"rows": written, "bad_rows": len(bad), "summary_rows": int(summary),
            "good_rows": written - len(bad) - int(summary), "reasons": reasons, "encoding": "gbk",
            "title_rows": len(title_rows), "table": "traffic", "platform": platform,
            "replaces": f"traffic rows with platform = {platform!r}"}


def _count(bad: list[tuple[int, str]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for _, r in bad:
        out[r] = out.get(r, 0) + 1
    return dict(sorted(out.items()))


def _qianchuan_rows(focal_brand: str) -> pc.Expression:
    """The spend rows a 千川 account report of the focal brand holds (the report has no brand column)."""
    return (pc.field("channel") == "douyin_ads") & (pc.field("brand").is_null() | (pc.field("brand") == focal_brand))


def _spend_xlsx(root: Path, spend: Path, rel: str, rng: np.random.Generator, bad_per_file: int,
                focal_brand: str) -> dict[str, Any] | None:
    """The focal brand's douyin_ads spend as a 巨量千川 account report (XLSX, one title row)."""
    from openpyxl import Workbook

    t = pq.read_table(spend).filter(_qianchuan_rows(focal_brand))
    if t.num_rows == 0:
        return None
    df = t.to_pandas()
    names = {"week": _zh("spend", "week", "日期"), "spend": _zh("spend", "spend", "整体消耗"),
             "impressions": _zh("spend", "impressions", "展现量"), "clicks": _zh("spend", "clicks", "点击量")}
    cols = [c for c in ("week", "spend", "impressions", "clicks") if c in df.columns and df[c].notna().any()]
    header = [names[c] for c in cols]
    reasons = ("negative_spend", "percent_in_count", "bad_date")
    bad = _pick_bad(rng, len(df), bad_per_file, reasons)
    wb = Workbook()
    ws = wb.active
    ws.title = "账户报表"
    ws.append([f"巨量千川 账户报表 {df['week'].min():%Y-%m-%d}~{df['week'].max():%Y-%m-%d}"])
    ws.append(header)
    bi = 0
    n = 0
    for i, rec in enumerate(df[cols].itertuples(index=False, name=None)):  # a few hundred weekly rows
        row = [v.strftime("%Y-%m-%d") if hasattr(v, "strftime") else (None if pd.isna(v) else v) for v in rec]
        ws.append(row)
        n += 1
        while bi < len(bad) and bad[bi][0] == i:
            r = list(row)
            reason = bad[bi][1]
            if reason == "negative_spend":
                r[cols.index("spend")] = -abs(float(r[cols.index("spend")]) or 1.0)
            elif reason == "percent_in_count" and "impressions" in cols:
                r[cols.index("impressions")] = "12.5%"
            elif reason == "percent_in_count":
                r[cols.index("spend")] = "12.5%"
            else:
                r[cols.index("week")] = "2024-02-30"
            ws.append(r)
            n += 1
            bi += 1
    buf = io.BytesIO()
    wb.save(buf)
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_deterministic_xlsx(buf.getvalue()))
    return {"rows": n, "bad_rows": len(bad), "summary_rows": 0, "good_rows": n - len(bad), "reasons": _count(bad),
            "encoding": "xlsx", "title_rows": 1, "table": "spend", "channel": "douyin_ads",
            "replaces": "spend rows with channel = 'douyin_ads' of the focal brand"}


def _deterministic_xlsx(data: bytes) -> bytes:
    """Same content → same bytes: fixed zip entry times and fixed created/modified document properties."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                              rb"\g<1>2025-07-01T00:00:00Z\g<3>", body)
            zi = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, body)
    return out.getvalue()


def _orders_gz(root: Path, orders: Path, rng: np.random.Generator, bad_per_file: int,
               part_rows: int) -> dict[str, Any]:
    """``orders`` as gzip CSV parts (UTF-8, canonical headers), bad rows injected in each part."""
    out: dict[str, Any] = {}
    reasons = ("negative_price", "bad_date", "scientific_id")
    pf = pq.ParquetFile(orders)
    (root / "orders").mkdir(exist_ok=True)
    for i, b in enumerate(pf.iter_batches(batch_size=part_rows)):
        df = pa.Table.from_batches([b]).to_pandas()
        df["ts"] = pd.to_datetime(df["ts"]).dt.strftime("%Y-%m-%d %H:%M:%S")
        bad = _pick_bad(rng, len(df), bad_per_file, reasons)
        extra = []
        for row_i, reason in bad:
            r = df.iloc[row_i].copy()
            if reason == "negative_price":
                r["price_paid"] = -abs(r["price_paid"])
            elif reason == "bad_date":
                r["ts"] = "2025-02-30 25:61:00"
            else:
                r["order_id"] = "1.23457E+11"
            extra.append((row_i, r))
        if extra:
            pos = np.concatenate([np.arange(len(df), dtype=float), [k + 0.5 for k, _ in extra]])
            df = pd.concat([df, pd.DataFrame([r for _, r in extra])], ignore_index=True)
            df = df.iloc[np.argsort(pos, kind="stable")].reset_index(drop=True)
        rel = f"orders/part-{i:05d}.csv.gz"
        text = df.to_csv(index=False, lineterminator="\n")
        with open(root / rel, "wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0) as gz:
            gz.write(text.encode("utf-8"))
        out[rel] = {"rows": len(df), "bad_rows": len(bad), "summary_rows": 0, "good_rows": len(df) - len(bad),
                    "reasons": _count(bad), "encoding": "utf-8", "title_rows": 0, "table": "orders",
                    "replaces": "orders.parquet (all rows, split into parts)"}
    return out
