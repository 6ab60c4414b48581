"""Fuzzing the ingest with mutated real-shaped datasets (no twin: seeds are written here from the export
headers of PLATFORM_EXPORTS.md and the contract's column names).

Every case is a small dataset folder: one to three seed files, each put through one to three mutations
(truncated lines, wrong encodings, stray quotes, shuffled and duplicated headers, huge fields, very wide
rows, deep JSON, odd names, empty columns, gzip of many newlines, bad ``[[files]]`` globs, random bytes).
A case runs in a long-lived worker process (a crash or a hang kills only the worker) and is judged:

* ``loaded``: ingest succeeded; for every loaded file rows read = loaded + quarantined, and the
  warehouse holds exactly those rows; a second ingest loads nothing.
* ``clear_error``: an UnreadableFile/UpmarketError/ValueError/FileNotFoundError with a one-line message
  (which the CLI's console prints literally), and nothing left in the warehouse (atomicity).
* ``crash``: any other exception, or a dead worker (segfault); ``hang``: over the per-case timeout;
  ``unaccounted``: a row-accounting or atomicity breach, or a re-run that loaded rows again.

``python tests/hostile/fuzz_cases.py --cases 10000`` (``make fuzz``) prints the counts; the test suite
runs a small sample (``test_hostile_fuzz.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import multiprocessing as mp
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# --------------------------------------------------------------------------------------------- seeds


@dataclass
class Seed:
    """A real-shaped file: where it goes in the dataset, its text (or JSON Lines records), its encoding."""

    rel_path: str
    header: list[str]
    rows: list[list[str]]
    encoding: str = "utf-8"
    jsonl: bool = False
    title_rows: list[str] = field(default_factory=list)
    toml: str = ""


def _dates(rng: random.Random, n: int) -> list[str]:
    return [f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" for _ in range(n)]


def seeds(rng: random.Random) -> list[Seed]:
    """One seed per family: 生意参谋 商品 (GBK, title rows, 合计), 京东商智 商品明细, contract-named market
    sales and products, a JSON Lines orders file, reviews with Chinese text."""
    n = rng.randint(5, 60)
    sycm = Seed(
        "traffic/platform=tmall/【生意参谋平台】商品_全部_2024-11-01_2024-11-07.csv",
        ["统计日期", "商品ID", "商品名称", "商品访客数", "商品浏览量", "商品收藏人数", "商品加购人数", "支付买家数",
         "支付件数", "支付金额"],
        [[d, str(600000000000 + i), f"小米14 Ultra {i}", f"{rng.randint(10, 9000):,}", str(rng.randint(10, 20000)),
          str(rng.randint(0, 500)), str(rng.randint(0, 500)), str(rng.randint(0, 300)), str(rng.randint(0, 300)),
          f"{rng.uniform(0, 1e6):.2f}"] for i, d in enumerate(_dates(rng, n))] + [["合计", "", "", "", "", "", "", "",
                                                                                  "", ""]],
        encoding="gb18030",
        title_rows=["生意参谋 商品数据", "统计时间：2024-11-01 ~ 2024-11-07"],
    )
    jd = Seed(
        "traffic/platform=jd/商品明细_20241101.csv",
        ["时间", "SKU", "SKU名称", "成交金额", "成交商品件数", "成交单量", "成交客户数", "商品访客数", "商品浏览量"],
        [[d, str(100012345678 + i), f"Redmi K70 {i}", f"{rng.uniform(0, 5e5):.2f}", str(rng.randint(0, 99)),
          str(rng.randint(0, 99)), str(rng.randint(0, 99)), str(rng.randint(100, 9999)), str(rng.randint(100, 30000))]
         for i, d in enumerate(_dates(rng, n))],
    )
    brands = ["Xiaomi", "Apple", "Huawei", "OPPO", "vivo", "Redmi"]
    bands = ["<2000", "2000-3999", "4000+"]
    market = Seed(
        "market_sales.csv", ["period", "region", "brand", "price_band", "units", "source"],
        [[str(rng.choice([2023, 2024])), "CN", rng.choice(brands), rng.choice(bands), str(rng.randint(0, 10**7)), "IDC"]
         for _ in range(n)],
    )
    products = Seed(
        "products.csv", ["sku_id", "brand", "model", "list_price", "storage_gb"],
        [[f"S{i}", rng.choice(brands), f"型号 {i}", str(rng.choice([999, 1999, 4999, 6999])), "256"] for i in range(n)],
    )
    orders = Seed(
        "orders.jsonl", ["order_id", "ts", "user_id", "platform", "sku_id", "units", "price_paid"],
        [[f"o{i}", f"{d} 10:{i % 60:02d}:00", f"u{i % 7}", rng.choice(["jd", "tmall", "douyin"]), f"S{i % 5}",
          str(rng.randint(1, 3)), f"{rng.uniform(500, 9000):.2f}"] for i, d in enumerate(_dates(rng, n))],
        jsonl=True,
    )
    texts = ["拍照很清楚，续航也不错", "发热严重[/b]，客服态度差", "性价比高 :x: 推荐", "=HYPERLINK(\"http://x\")",
             "物流快，包装完好 [link=http://x]点[/link]"]
    reviews = Seed(
        "reviews.csv", ["review_id", "ts", "platform", "sku_id", "rating", "text"],
        [[f"r{i}", f"{d} 08:00:00", "jd", f"S{i % 5}", str(rng.randint(1, 5)), rng.choice(texts)]
         for i, d in enumerate(_dates(rng, n))],
    )
    return [sycm, jd, market, products, orders, reviews]


def render(seed: Seed) -> bytes:
    """The seed's file bytes."""
    if seed.jsonl:
        lines = [json.dumps(dict(zip(seed.header, r, strict=False)), ensure_ascii=False) for r in seed.rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    out = io.StringIO()
    for t in seed.title_rows:
        out.write(t + "\n")
    for row in [seed.header, *seed.rows]:
        out.write(",".join(_quote(v) for v in row) + "\n")
    return out.getvalue().encode(seed.encoding, errors="replace")


def _quote(v: str) -> str:
    return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n') else v


# ----------------------------------------------------------------------------------------- mutations

ODD_NAMES = ["[/b]", "[link=x]", ":x:", " 空 格 ", "名字", "\u200b", "ü", "'", "%s", "$(id)", "[red]", "😀", "\\"]


@dataclass
class Case:
    """A dataset to write: files (relative path → bytes), an upmarket.toml, and what was done to it."""

    files: dict[str, bytes]
    toml: str = ""
    ops: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)  # relative path → "outside" or a path in the dataset


Mutation = Callable[[random.Random, Seed, bytes, Case, dict], bytes]


def m_truncate(rng, seed, data, case, scale):
    return data[: rng.randint(0, len(data))]


def m_truncate_last_char(rng, seed, data, case, scale):
    body = data.rstrip(b"\n")
    return body[:-1] if body else data


def m_bad_bytes(rng, seed, data, case, scale):
    buf = bytearray(data)
    for _ in range(rng.randint(1, 5)):
        if buf:
            buf[rng.randrange(len(buf))] = rng.choice([0xFF, 0xFE, 0x80, 0xC3, 0xE6, 0x00, 0x22, 0x0A, 0x2C])
    return bytes(buf)


def m_reencode(rng, seed, data, case, scale):
    text = data.decode(seed.encoding, errors="replace")
    enc = rng.choice(["utf-8", "gb18030", "utf-8-sig", "utf-16", "big5", "latin-1", "shift_jis"])
    return text.encode(enc, errors="replace")


def m_stray_quotes(rng, seed, data, case, scale):
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 4)):
        k = rng.randrange(len(lines))
        pos = rng.randint(0, len(lines[k]))
        lines[k] = lines[k][:pos] + b'"' + lines[k][pos:]
    return b"\n".join(lines)


def m_ragged(rng, seed, data, case, scale):
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 5)):
        k = rng.randrange(len(lines))
        lines[k] = lines[k] + b",x" * rng.randint(1, 3) if rng.random() < 0.5 else lines[k].rsplit(b",", 1)[0]
    return b"\n".join(lines)


def m_shuffle_header(rng, seed, data, case, scale):
    seed.header = rng.sample(seed.header, len(seed.header))
    return render(seed)


def m_shuffle_columns(rng, seed, data, case, scale):
    order = rng.sample(range(len(seed.header)), len(seed.header))
    seed.header = [seed.header[i] for i in order]
    seed.rows = [[r[i] if i < len(r) else "" for i in order] for r in seed.rows]
    return render(seed)


def m_duplicate_header(rng, seed, data, case, scale):
    k = rng.randrange(len(seed.header))
    seed.header = [*seed.header, seed.header[k]]
    seed.rows = [[*r, r[k] if rng.random() < 0.5 else "不同"] for r in seed.rows]
    return render(seed)


def m_huge_field(rng, seed, data, case, scale):
    if not seed.rows:
        return data
    r = rng.choice(seed.rows)
    r[rng.randrange(len(r))] = rng.choice(["长", "a", "\"", ","]) * rng.randint(1000, scale["huge"])
    return render(seed)


def m_wide(rng, seed, data, case, scale):
    extra = rng.choice([10, 300, 1000, scale["wide"]])
    seed.header = seed.header + [f"额外列{k}" for k in range(extra)]
    seed.rows = [r + [""] * extra for r in seed.rows]
    return render(seed)


def m_empty_columns(rng, seed, data, case, scale):
    k = rng.randint(1, 20)
    seed.header = seed.header + [""] * k
    seed.rows = [r + [""] * k for r in seed.rows]
    return render(seed)


def m_deep_json(rng, seed, data, case, scale):
    lines = data.split(b"\n")
    depth = rng.choice([5, 40, 1000, scale["deep"]])
    opener, closer = rng.choice([(b"[", b"]"), (b'{"a":', b"}")])
    deep = b'{"order_id": "deep", "ts": ' + opener * depth + b"1" + closer * rng.choice([depth, 0]) + b"}"
    lines.insert(rng.randint(0, len(lines)), deep)
    return b"\n".join(lines)


def m_markup_values(rng, seed, data, case, scale):
    for r in seed.rows:
        if rng.random() < 0.3:
            r[rng.randrange(len(r))] = rng.choice(ODD_NAMES) + "=cmd|' /C calc'!A0"
    if rng.random() < 0.5:
        seed.header[rng.randrange(len(seed.header))] += rng.choice(ODD_NAMES)
    return render(seed)


def m_odd_name(rng, seed, data, case, scale):
    parts = seed.rel_path.split("/")
    stem, dot, ext = parts[-1].rpartition(".")
    odd = rng.choice(ODD_NAMES).replace("/", "")
    if len(parts) == 1:  # <table>.csv → <table>/<odd part>.csv (a part file keeps its table)
        seed.rel_path = f"{stem}/{odd}{rng.choice(ODD_NAMES)}.{ext}".replace("\\", "_")
    else:
        parts[-1] = f"{odd}{stem}{dot}{ext}".replace("\\", "_")
        seed.rel_path = "/".join(parts)
    return data


def m_gzip_newlines(rng, seed, data, case, scale):
    head = data.split(b"\n", 1)[0] + b"\n"
    seed.rel_path += ".gz"
    return gzip.compress(head + b"\n" * rng.randint(1, scale["newlines"]), 1)


def m_gzip(rng, seed, data, case, scale):
    seed.rel_path += ".gz"
    out = gzip.compress(data, 1)
    return out[: rng.randint(10, len(out))] if rng.random() < 0.3 else out


BAD_GLOBS = [
    '[[files]]\nglob = "x[z-a].csv"\ntable = "traffic"\n',
    '[[files]]\nglob = "**/*.csv"\ntable = "no_such_table"\n',
    '[[files]]\nglob = "[[[["\ntable = "orders"\n',
    '[[files]]\nglob = "**/[/b]*.csv"\ntable = "traffic"\nplatform = "jd"\n',
    'focal_brand = "[/b]:x:"\n',
]
BAD_CONFIG_TYPES = [  # each must be one line naming the key (issue 20 item 7), never a traceback
    '[[files]]\nglob = 5\ntable = "orders"\n',
    '[[files]]\nglob = "*.csv"\ntable = "traffic"\nplatfrom = "jd"\n',
    'focal_brand = 5\n',
    'sub_brands = "Redmi"\n',
    '[[files]\nglob = "*.csv"\n',
]


def m_bad_toml(rng, seed, data, case, scale):
    case.toml = rng.choice(BAD_GLOBS + (BAD_CONFIG_TYPES if scale["config_types"] else []))
    return data


def m_noise(rng, seed, data, case, scale):
    return rng.choice([b"", b"\x00" * 100, bytes(rng.randrange(256) for _ in range(300)), b"PK\x03\x04junk",
                       b"PAR1junk", b"\x1f\x8b\x08junk", b"{", b"<html><table></table></html>", b"\xef\xbb\xbf"])


SECRET = "SECRET-MARKER-8f3a"
"""The content of a file outside the dataset that a symlink points at: it must never be read or echoed."""


def m_symlink(rng, seed, data, case, scale):
    table = seed.rel_path.split("/")[0].split(".")[0]
    case.links[rng.choice([f"{table}.csv", f"{table}/linked.csv", "orders.csv"])] = "outside"
    if rng.random() < 0.5:
        case.links[f"{table}_loop"] = "."  # a folder link back to the dataset: a loop
    return data


def m_crlf(rng, seed, data, case, scale):
    return data.replace(b"\n", rng.choice([b"\r\n", b"\r"]))


MUTATIONS: dict[str, Mutation] = {f.__name__[2:]: f for f in (
    m_truncate, m_truncate_last_char, m_bad_bytes, m_reencode, m_stray_quotes, m_ragged, m_shuffle_header,
    m_shuffle_columns, m_duplicate_header, m_huge_field, m_wide, m_empty_columns, m_deep_json, m_markup_values,
    m_odd_name, m_gzip_newlines, m_gzip, m_bad_toml, m_noise, m_crlf, m_symlink)}

SAMPLE_SCALE = {"huge": 100_000, "wide": 1000, "deep": 10_000, "newlines": 20_000, "config_types": True}
FULL_SCALE = {"huge": 4_000_000, "wide": 3000, "deep": 20_000, "newlines": 1_000_000, "config_types": True}


def make_case(seed_no: int, scale: dict) -> Case:
    """The case of number ``seed_no``: the same number always gives the same dataset."""
    rng = random.Random(seed_no)
    pool = seeds(rng)
    case = Case({})
    for s in rng.sample(pool, rng.randint(1, 3)):
        data = render(s)
        for name in rng.sample(sorted(MUTATIONS), rng.randint(1, 3)):
            if name == "deep_json" and not s.jsonl:
                name = "stray_quotes"
            data = MUTATIONS[name](rng, s, data, case, scale)
            case.ops.append(f"{s.rel_path.split('/')[-1][:30]}:{name}")
        case.files[s.rel_path] = data
    return case


def write_case(case: Case, folder: Path) -> None:
    for rel, data in case.files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if case.toml:
        (folder / "upmarket.toml").write_text(case.toml, encoding="utf-8")
    for rel, target in case.links.items():
        link = folder / rel
        if link.exists() or link.is_symlink():
            continue
        link.parent.mkdir(parents=True, exist_ok=True)
        if target == "outside":
            secret = folder.parent / "outside.csv"
            secret.write_text(f"order_id,ts,user_id,platform,sku_id,price_paid\n{SECRET},2024-01-01,u,jd,S,1\n")
            link.symlink_to(secret)
        else:
            link.symlink_to(folder, target_is_directory=True)


# --------------------------------------------------------------------------------------------- oracle


def judge(dataset: Path) -> tuple[str, str]:
    """Ingest ``dataset`` twice into a fresh warehouse file and classify the outcome (see module docstring)."""
    from rich.console import Console
    from rich.markup import escape

    from upmarket.errors import UpmarketError
    from upmarket.io import UnreadableFile
    from upmarket.warehouse import Warehouse

    db = dataset.parent / f"{dataset.name}.duckdb"
    sink = io.StringIO()
    console = Console(file=sink, width=160, emoji=False, highlight=False, color_system=None)
    try:
        from upmarket.config import load_config

        with Warehouse(db) as wh:
            rep = wh.ingest(dataset, load_config(dataset))
            console.print(rep.to_rich())
            problem = _accounting(wh, rep) or _leaked(wh, sink.getvalue())
            if problem:
                return "unaccounted", problem
            before = _counts(wh)
            again = wh.ingest(dataset, load_config(dataset))
            if again.totals["rows_loaded"] or again.totals["rows_quarantined"] or _counts(wh) != before:
                return "unaccounted", f"re-run loaded again: {again.totals}"
        return "loaded", f"{rep.totals['rows_loaded']} loaded, {rep.totals['rows_quarantined']} quarantined"
    except (UnreadableFile, UpmarketError, ValueError, FileNotFoundError, KeyError) as exc:
        message = str(exc)
        console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
        if not message.strip() or "\n" in message:
            return "crash", f"unclear message {type(exc).__name__}: {message[:200]!r}"
        if not isinstance(exc, UnreadableFile | UpmarketError) and "Traceback" in message:
            return "crash", message[:200]
        if SECRET in message:
            return "unaccounted", "a symlinked file outside the dataset was read and echoed"
        left = _leftovers(db)
        if left:
            return "unaccounted", f"failed ingest left rows behind: {left}"
        return "clear_error", f"{type(exc).__name__}: {message[:160]}"
    except Exception as exc:
        tb = traceback.format_exc(limit=-3).replace("\n", " | ")
        return "crash", f"{type(exc).__name__}: {str(exc)[:200]} || {tb[-600:]}"


def _counts(wh) -> dict[str, int]:
    from upmarket.contract import TABLES

    out = {t: wh.count(t) for t in TABLES}
    out["quarantine"] = wh.count("quarantine")
    out["ingest_manifest"] = wh.count("ingest_manifest")
    return out


def _accounting(wh, rep) -> str:
    for f in rep.files:
        if f.status not in ("loaded", "replaced"):
            continue
        if f.rows_read != f.rows_loaded + f.rows_quarantined:
            return f"{f.path}: read {f.rows_read} != loaded {f.rows_loaded} + quarantined {f.rows_quarantined}"
        in_table = wh.con.execute(f'SELECT count(*) FROM "{f.table}" WHERE _file_id = ?', [f.file_id]).fetchone()[0]
        in_quar = wh.con.execute("SELECT count(*) FROM quarantine WHERE file_id = ?", [f.file_id]).fetchone()[0]
        if (in_table, in_quar) != (f.rows_loaded, f.rows_quarantined):
            return (f"{f.path}: warehouse holds {in_table} + {in_quar}, "
                    f"report says {f.rows_loaded} + {f.rows_quarantined}")
    return ""


def _leaked(wh, printed: str) -> str:
    """Whether the file a symlink out of the dataset points at was read (loaded, quarantined or printed)."""
    found = wh.con.execute("SELECT count(*) FROM orders WHERE order_id = ?", [SECRET]).fetchone()[0]
    found += wh.con.execute("SELECT count(*) FROM quarantine WHERE contains(raw_row, ?)", [SECRET]).fetchone()[0]
    return "a symlinked file outside the dataset was read" if found or SECRET in printed else ""


def _leftovers(db: Path) -> dict[str, int]:
    if not db.exists():
        return {}
    from upmarket.warehouse import Warehouse

    with Warehouse(db) as wh:
        return {k: v for k, v in _counts(wh).items() if v}


# --------------------------------------------------------------------------------------------- runner


def _worker(conn, scale: dict, root: str) -> None:
    import logging

    logging.disable(logging.CRITICAL)
    while True:
        seed_no = conn.recv()
        if seed_no is None:
            return
        folder = Path(root) / f"case{seed_no}"
        try:
            write_case(make_case(seed_no, scale), folder / "d")
            verdict = judge(folder / "d")
        except Exception as exc:
            verdict = ("crash", f"harness: {type(exc).__name__}: {exc}")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        conn.send(verdict)


@dataclass
class Outcome:
    counts: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, seed_no: int, verdict: str, detail: str) -> None:
        self.counts[verdict] += 1
        ex = self.examples.setdefault(verdict, [])
        if len(ex) < 30:
            ex.append(f"case {seed_no}: {detail}")


def run_cases(seed_nos: list[int], scale: dict, timeout: float, workers: int = 1,
              progress: Callable[[int, Outcome], None] | None = None) -> Outcome:
    """Run the cases in ``workers`` long-lived processes; a worker over ``timeout`` or dead is replaced."""
    ctx = mp.get_context("spawn")
    root = tempfile.mkdtemp(prefix="upmarket-fuzz-")
    out = Outcome()
    t0 = time.perf_counter()
    pending = list(reversed(seed_nos))
    slots: list[dict] = []

    def start() -> dict:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_worker, args=(child, scale, root), daemon=True)
        proc.start()
        return {"proc": proc, "conn": parent, "case": None, "since": 0.0}

    try:
        slots = [start() for _ in range(max(1, workers))]
        done = 0
        while pending or any(s["case"] is not None for s in slots):
            for i, s in enumerate(slots):
                if s["case"] is None and pending:
                    s["case"], s["since"] = pending.pop(), time.perf_counter()
                    s["conn"].send(s["case"])
                if s["case"] is None:
                    continue
                verdict = None
                if s["conn"].poll(0.02):
                    try:
                        verdict = s["conn"].recv()
                    except EOFError:
                        verdict = ("crash", f"worker died (exit {s['proc'].exitcode})")
                elif not s["proc"].is_alive():
                    verdict = ("crash", f"worker died (exit {s['proc'].exitcode})")
                elif time.perf_counter() - s["since"] > timeout:
                    verdict = ("hang", f"over {timeout:g} s")
                if verdict is None:
                    continue
                out.add(s["case"], *verdict)
                done += 1
                if progress is not None:
                    progress(done, out)
                if verdict[0] in ("hang", "crash") and verdict[1].startswith(("over", "worker died")):
                    s["proc"].kill()
                    s["proc"].join()
                    shutil.rmtree(Path(root) / f"case{s['case']}", ignore_errors=True)
                    slots[i] = start()
                else:
                    s["case"] = None
    finally:
        for s in slots:
            with contextlib.suppress(OSError, BrokenPipeError):
                s["conn"].send(None)
            s["proc"].join(timeout=5)
            if s["proc"].is_alive():
                s["proc"].kill()
        shutil.rmtree(root, ignore_errors=True)
    out.seconds = time.perf_counter() - t0
    return out


def report(out: Outcome) -> str:
    keys = ("loaded", "clear_error", "hang", "crash", "unaccounted")
    lines = [f"{sum(out.counts.values()):,} cases in {out.seconds:.0f} s: "
             + ", ".join(f"{k} {out.counts.get(k, 0):,}" for k in keys)]
    for k in ("hang", "crash", "unaccounted"):
        for ex in out.examples.get(k, []):
            lines.append(f"  {k}: {ex}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--start", type=int, default=0, help="first case number (cases are reproducible by number)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per case before it counts as a hang")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--small", action="store_true", help="the test suite's smaller sizes")
    args = ap.parse_args(argv)
    scale = SAMPLE_SCALE if args.small else FULL_SCALE

    shown: Counter = Counter()

    def progress(done: int, out: Outcome) -> None:
        for k in ("hang", "crash", "unaccounted"):  # each new example as soon as it is found
            for ex in out.examples.get(k, [])[shown[k]:]:
                print(f"  {k}: {ex}", flush=True)
            shown[k] = len(out.examples.get(k, []))
        if done % 250 == 0:
            print(f"  {done:,}: " + ", ".join(f"{k} {v:,}" for k, v in sorted(out.counts.items())), flush=True)

    out = run_cases(list(range(args.start, args.start + args.cases)), scale, args.timeout, args.workers, progress)
    print(report(out))
    bad = sum(out.counts.get(k, 0) for k in ("hang", "crash", "unaccounted"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
