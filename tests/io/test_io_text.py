"""CSV/TSV: encodings, title rows, line endings, quoting, ragged rows, compression, bad files."""

from __future__ import annotations

import gzip

import pyarrow as pa
import pytest
import zstandard

from upmarket.io import UnreadableFile, open_table
from upmarket.io import readers as readers_mod
from upmarket.io import sniff as sniff_mod

SYCM_GBK = (
    "【生意参谋平台】商品_全部\n"
    "统计时间：2024-11-01 ~ 2024-11-07\n"
    "\n"
    "注：数据来源于生意参谋\n"
    "统计日期,商品ID,商品名称,商品访客数,商品浏览量,商品收藏人数,商品加购件数,支付买家数,支付金额\n"
    "2024-11-01,712345678901,Xiaomi 15 Ultra 16+512,\"5,652\",9000,300,41,120,\"719,880.00\"\n"
    "2024-11-02,712345678902,Redmi K80 12+256,-,800,12,3,9,\"22,491.00\"\n"
)


def test_gbk_sycm_export_with_four_title_rows(write, read) -> None:
    path = write("生意参谋_商品.csv", SYCM_GBK, encoding="gbk")
    raw, data = read(path, "traffic")
    assert raw.format == "csv"
    assert raw.encoding == "gb18030"
    assert raw.header_row == 5
    assert list(raw.columns) == ["date", "sku_id", "商品名称", "visitors", "page_views", "favorites", "商品加购件数",
                                 "buyers", "gmv"]
    assert raw.columns["visitors"] == "商品访客数"
    assert raw.platform == "tmall" and raw.export == "生意参谋 商品"
    assert data["_row"] == [6, 7]
    assert data["sku_id"] == ["712345678901", "712345678902"]
    assert data["商品名称"] == ["Xiaomi 15 Ultra 16+512", "Redmi K80 12+256"]
    assert data["visitors"] == ["5,652", "-"]  # text, exactly as written: cleaning parses it
    assert data["gmv"] == ["719,880.00", "22,491.00"]
    assert raw.schema.field("visitors").type == pa.string()


def test_utf8_bom_and_mixed_line_endings(write, read) -> None:
    body = ("\ufefforder_id,ts,user_id,platform,sku_id,price_paid\r\n1,2024-11-01,u1,jd,s1,1999\n"
            "2,2024-11-02,u2,jd,s2,2999\r3,2024-11-03,u3,tmall,s3,3999\r\n4,2024-11-04,u4,jd,s4,4999")
    raw, data = read(write("orders.csv", body), "orders")
    assert raw.encoding == "utf-8-sig"
    assert raw.header_row == 1
    assert list(raw.columns) == ["order_id", "ts", "user_id", "platform", "sku_id", "price_paid"]
    assert data["_row"] == [2, 3, 4, 5]
    assert data["order_id"] == ["1", "2", "3", "4"]
    assert data["price_paid"] == ["1999", "2999", "3999", "4999"]


def test_quoted_newlines_count_records(write, read) -> None:
    body = ('review_id,ts,platform,sku_id,text\n1,2024-11-01,jd,s1,"拍照很好\n续航一般"\n'
            '2,2024-11-02,jd,s1,"a ""quoted"" word"\n')
    raw, data = read(write("reviews.csv", body), "reviews")
    assert data["text"] == ["拍照很好\n续航一般", 'a "quoted" word']
    assert data["_row"] == [2, 3]  # record index + header row: row 3 starts on line 4
    assert raw.row_problems == []


def test_header_only_file_has_no_rows(write, read) -> None:
    raw, data = read(write("orders.csv", "order_id,ts,user_id,platform,sku_id,price_paid\n"), "orders")
    assert data["_row"] == [] and raw.header_row == 1
    assert list(data) == ["_row", "order_id", "ts", "user_id", "platform", "sku_id", "price_paid"]


def test_blank_lines_are_not_records_and_empty_fields_are_empty_strings(write, read) -> None:
    body = "user_id,city,age_band\nu1,,18-24\n,,\n\n\nu3,北京,\n\n"
    _, data = read(write("users.csv", body), "users")
    assert data["_row"] == [2, 3, 4]  # records after a blank line count records, not lines
    assert data["user_id"] == ["u1", "", "u3"]
    assert data["city"] == ["", "", "北京"]


def test_duplicated_and_blank_headers(write, read) -> None:
    body = "user_id,城市,城市,,备注(元)\nu1,a,b,c,d\n"
    raw, data = read(write("users.csv", body), "users")
    assert list(raw.columns) == ["user_id", "城市", "城市_2", "col_4", "备注"]
    assert raw.columns["城市_2"] == "城市"
    assert raw.units == {"备注": "元"}
    assert data["城市_2"] == ["b"] and data["col_4"] == ["c"]


def test_tsv_with_normalised_headers(write, read) -> None:
    body = " 日期 \tSku\t 访客数 \t成交人数\t平台\tgmv\n2024-11-01\t100\t50\t5\t京东\t9,995\n"
    raw, data = read(write("traffic.tsv", body), "traffic")
    assert raw.format == "tsv" and raw.delimiter == "\t"
    assert list(raw.columns) == ["date", "sku_id", "visitors", "buyers", "platform", "gmv"]
    assert raw.columns["date"] == " 日期 "
    assert data["gmv"] == ["9,995"]


def test_semicolon_delimiter(write, read) -> None:
    raw, data = read(write("users.csv", "user_id;city\nu1;Wuhan, Hubei\n"), "users")
    assert raw.delimiter == ";"
    assert data["city"] == ["Wuhan, Hubei"]


def test_ragged_rows_are_listed_and_padded(write, read) -> None:
    body = "user_id,city,age_band\nu1,武汉,18-24\nu2,成都\nu3,北京,25-34,extra\nu4,上海,35-44,\n"
    raw, data = read(write("users.csv", body), "users")
    assert data["_row"] == [2, 3, 4, 5]
    assert data["city"] == ["武汉", "成都", "北京", "上海"]
    assert data["age_band"] == ["18-24", None, "25-34", "35-44"]
    assert [(p.row, p.problem) for p in raw.row_problems] == [(3, "expected 3 fields, found 2"),
                                                              (4, "expected 3 fields, found 4")]
    assert raw.row_problems[1].raw == "u3,北京,25-34,extra"


def test_ragged_row_late_in_file_switches_reader_midway(write, monkeypatch) -> None:
    monkeypatch.setattr(readers_mod, "CSV_BLOCK_BYTES", 4096)
    lines = [f"u{i},城市{i},18-24" for i in range(3000)]
    lines[2500] = "u2500,short"
    path = write("users.csv", "\n".join(["user_id,city,age_band", *lines]) + "\n", encoding="gbk")
    raw = open_table(_src(path, "users"))
    batches = list(raw.batches(batch_rows=1000))
    assert len(batches) > 3
    table = pa.Table.from_batches(batches)
    assert table["_row"].to_pylist() == list(range(2, 3002))
    assert table["user_id"].to_pylist() == [f"u{i}" for i in range(3000)]
    assert table["city"][2999].as_py() == "城市2999"
    assert [p.row for p in raw.row_problems] == [2502]


def test_gzip_and_zstd_compressed_csv(write, read) -> None:
    body = "\n".join(["user_id,city", *(f"u{i},c{i}" for i in range(100))]).encode()
    raw, data = read(write("users.csv.gz", gzip.compress(body)), "users")
    assert raw.compression == "gzip" and data["user_id"][-1] == "u99" and data["_row"][-1] == 101
    raw, data = read(write("users.csv.zst", zstandard.ZstdCompressor().compress(body)), "users")
    assert raw.compression == "zstd" and data["city"][:2] == ["c0", "c1"] and len(data["_row"]) == 100


def test_truncated_gzip_small_fails_on_open(write) -> None:
    blob = gzip.compress(b"user_id,city\n" + b"u1,c1\n" * 1000)
    path = write("users.csv.gz", blob[: len(blob) // 2])
    with pytest.raises(UnreadableFile, match="truncated gzip") as exc:
        open_table(_src(path, "users"))
    assert exc.value.path == path
    assert str(exc.value).startswith(f"{path}: ")


def test_truncated_gzip_large_fails_while_streaming(write) -> None:
    body = "user_id,城市\n".encode() + b"".join(b"u%d,c%d\n" % (i, i * 7919 % 10007) for i in range(400_000))
    blob = gzip.compress(body, compresslevel=1)
    path = write("users.csv.gz", blob[: len(blob) * 3 // 4])
    raw = open_table(_src(path, "users"))  # the sample decompresses fine
    with pytest.raises(UnreadableFile, match="Truncated compressed stream") as exc:
        for _ in raw.batches():
            pass
    assert exc.value.path == path and "\n" not in str(exc.value)


def test_empty_file(write) -> None:
    path = write("orders.csv", b"")
    with pytest.raises(UnreadableFile, match=r"empty file \(0 bytes\)"):
        open_table(_src(path, "orders"))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file of unknown type"),
        (b'[{"user_id": 1}]', "JSON array"),
        (b"<html><body><table><tr><td>x</td></tr></table>", "HTML"),
        ("user_id,city\nu1,Montréal\n".encode("latin-1") + b"\xff\xfe\xfa", "neither UTF-8 nor GBK"),
        (b"PK\x03\x04this is not a zip at all", "not a readable XLSX workbook"),
    ],
)
def test_unrecognisable_files(write, content: bytes, problem: str) -> None:
    path = write("users.csv", content)
    with pytest.raises(UnreadableFile, match=problem):
        open_table(_src(path, "users"))


def test_no_header_row(write) -> None:
    path = write("users.csv", "foo,bar\n1,2\n")
    with pytest.raises(UnreadableFile, match=r"no header row found in the first 30 rows.*'foo', 'bar'"):
        open_table(_src(path, "users"))


def test_missing_required_column_names_it_and_the_headers(write) -> None:
    path = write("orders.csv", "order_id,ts,user_id,platform,price_paid\n1,2024-11-01,u1,jd,10\n")
    with pytest.raises(UnreadableFile) as exc:
        open_table(_src(path, "orders"))
    msg = str(exc.value)
    assert "missing required column(s) sku_id of table 'orders'" in msg
    assert "'order_id', 'ts', 'user_id', 'platform', 'price_paid'" in msg


def test_missing_platform_says_how_to_name_it(write, source) -> None:
    body = "日期,商品ID,访客数,成交人数\n2024-11-01,1,10,1\n"
    path = write("traffic.csv", body)
    with pytest.raises(UnreadableFile, match=r"missing required column\(s\) platform .*platform=jd.*\[\[files\]\]"):
        open_table(source(path, "traffic"))
    assert open_table(source(path, "traffic", platform="jd")).platform == "jd"


def test_date_from_file_name_satisfies_required_date(write, source) -> None:
    body = "商品ID,商品访客数,商品收藏人数,支付买家数\n1,10,2,1\n"
    path = write("【生意参谋平台】商品_全部_2024-11-01_2024-11-07.csv", body)
    raw = open_table(source(path, "traffic"))
    assert raw.platform == "tmall"
    assert str(raw.file_dates[0]) == "2024-11-01" and str(raw.file_dates[1]) == "2024-11-07"
    path2 = write("商品_全部.csv", body)
    with pytest.raises(UnreadableFile, match=r"missing required column\(s\) date .*in its name"):
        open_table(source(path2, "traffic"))


def test_encoding_override_wins(write, read) -> None:
    body = "user_id,city\nu1,Montréal\n".encode("latin-1")
    raw, data = read(write("users.csv", body), "users", encoding="latin-1")
    assert raw.encoding == "latin-1" and data["city"] == ["Montréal"]


def test_utf16_excel_unicode_text(write, read) -> None:
    raw, data = read(write("users.txt", "user_id\tcity\r\nu1\t深圳\r\n".encode("utf-16")), "users")
    assert raw.encoding == "utf-16" and raw.format == "tsv" and data["city"] == ["深圳"]


def test_multibyte_char_split_at_sample_boundary(write, read, monkeypatch) -> None:
    monkeypatch.setattr(sniff_mod, "SAMPLE_BYTES", 64)
    for enc, expected in (("utf-8", "utf-8"), ("gbk", "gb18030")):
        head = "user_id,城市\n".encode(enc)
        filler = b"u0," + b"a" * (63 - len(head) - 3)
        body = head + filler + "深\nu1,圳\n".encode(enc)  # 深 straddles byte 64
        assert len(head + filler) == 63
        raw, data = read(write(f"users_{enc}.csv", body), "users")
        assert raw.encoding == expected
        assert data["城市"] == ["a" * len(filler[3:]) + "深", "圳"]


def test_ascii_sample_looks_further_for_evidence(write, read, monkeypatch) -> None:
    monkeypatch.setattr(sniff_mod, "SAMPLE_BYTES", 64)
    body = b"user_id,city\n" + b"u0,Beijing\n" * 50 + "u1,深圳\n".encode("gbk")
    raw, data = read(write("users.csv", body), "users")
    assert raw.encoding == "gb18030"
    assert data["city"][-1] == "深圳" and data["_row"][-1] == 52


def test_invalid_bytes_after_sample_flag_their_row_while_streaming(write, monkeypatch) -> None:
    monkeypatch.setattr(sniff_mod, "SAMPLE_BYTES", 32)
    body = "user_id,城市\n".encode() + b"u1,ok\n" * 10 + b"u2,\xff\xfe\n"
    path = write("users.csv", body)
    ascii_path = write("users_ascii.csv", body.replace("城市".encode(), b"city"))
    for p in (path, ascii_path):  # an ASCII sample looks further on; two bad bytes are damage, not an encoding
        raw = open_table(_src(p, "users"))
        assert raw.encoding == "utf-8"
        data = raw.read_all().to_pydict()
        assert data["_row"] == list(range(2, 13)) and data["user_id"][-1] == "u2"
        assert [(p.row, p.reason) for p in raw.row_problems] == [(12, "bad_encoding")]


def _src(path, table):
    from upmarket.io import SourceFile

    return SourceFile(path, path.name, table)

