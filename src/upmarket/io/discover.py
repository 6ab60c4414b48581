"""Find the files of a dataset folder and the contract table each one loads into.

The naming rule of the contract: ``<table>.<ext>[.gz|.zst]`` at the top of the folder, or any
file under a ``<table>/`` folder (``events/part-0001.parquet``; each part is its own
:class:`SourceFile`, in natural order). ``[[files]]`` entries of ``upmarket.toml`` map other
names (a glob → table, platform, channel, sheet, encoding) and win over the naming rule.
A ``platform=jd`` (or ``channel=jd_ads``) folder anywhere in the path names the platform.

A data file whose name matches no table is recognised by its header when it is a known platform
export (``upmarket.io.recognise``): it loads into that export's table with its platform. Files
that match no table are not dropped silently: :func:`discover` returns them in
``Discovery.ignored`` with the reason (and which export the header resembles), and logs each one.
Files that are part of the dataset's
own bookkeeping (the warehouse ``.upmarket.duckdb*``, ``upmarket.toml``, ``truth.json``,
``README*``, hidden files and folders, ``_SUCCESS``-style markers) are skipped without a word.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from upmarket.config import CONFIG_FILE, Config, FileMapping
from upmarket.contract import TABLES
from upmarket.contract.exports import ExportSignature
from upmarket.io.recognise import recognise

log = logging.getLogger(__name__)

COMPRESSION_SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
DATA_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".parquet", ".pq", ".jsonl", ".ndjson",
                           ".json"})
_BOOKKEEPING = re.compile(r"^(\.|_|readme|truth\.json$|" + re.escape(CONFIG_FILE) + "$)", re.IGNORECASE)


@dataclass(frozen=True)
class SourceFile:
    """One file to load, with what the dataset says about it (mapping, folder names)."""

    path: Path
    rel_path: str
    table: str
    platform: str | None = None
    channel: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    columns: tuple[tuple[str, str], ...] = ()
    """Header → column overrides of the file's ``[[files]]`` entry."""
    export: str | None = None
    """The known export recognised from the file's header when its name matched no table."""


@dataclass(frozen=True)
class IgnoredFile:
    """A file of the dataset folder that loads into no table, and why."""

    rel_path: str
    reason: str


@dataclass
class Discovery:
    """What :func:`discover` found: ``files`` to load (sorted) and ``ignored`` files with reasons.

    Iterating a Discovery iterates ``files``, so it can stand where a list of SourceFile is expected.
    """

    files: list[SourceFile] = field(default_factory=list)
    ignored: list[IgnoredFile] = field(default_factory=list)

    def __iter__(self) -> Iterator[SourceFile]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> SourceFile:
        return self.files[i]

    def tables(self) -> dict[str, list[SourceFile]]:
        """Files grouped by table, in discovery order."""
        out: dict[str, list[SourceFile]] = {}
        for f in self.files:
            out.setdefault(f.table, []).append(f)
        return out


def discover(dataset: str | Path, config: Config | None = None) -> Discovery:
    """The files of ``dataset`` and their tables; see the module docstring for the rules.

    Raises ValueError for a ``[[files]]`` entry naming a table the contract does not have.
    """
    root = Path(dataset)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: dataset folder not found")
    mappings = tuple(config.files) if config is not None else ()
    for m in mappings:
        if m.table not in TABLES:
            raise ValueError(f"{root / CONFIG_FILE}: [[files]] glob {m.glob!r} names unknown table {m.table!r}; "
                             f"the contract has: {', '.join(TABLES)}")
        wrong = [(h, c) for h, c in m.columns if c not in TABLES[m.table].names]
        if wrong:
            raise ValueError(f"{root / CONFIG_FILE}: [[files]] glob {m.glob!r} maps "
                             f"{', '.join(f'{h!r} to {c!r}' for h, c in wrong)}, not a column of table "
                             f"'{m.table}' ({', '.join(TABLES[m.table].names)})")
    patterns = []
    for m in mappings:
        if not isinstance(m.glob, str) or not m.glob:
            raise ValueError(f"{root / CONFIG_FILE}: [[files]] glob {m.glob!r} must be a non-empty text pattern "
                             "such as \"商品_*.csv\"")
        try:
            patterns.append((m, _glob_regex(m.glob)))
        except re.error as exc:
            raise ValueError(f"{root / CONFIG_FILE}: [[files]] glob {m.glob!r} is not a valid pattern ({exc})"
                             ) from None

    found = Discovery()
    refused: dict[Path, str] = {}
    walked = _walk(root, root.resolve(), set(), refused)
    for path in sorted(walked, key=lambda p: _natural_key(p.relative_to(root).as_posix())):
        rel = path.relative_to(root).as_posix()
        if path in refused:
            log.warning("refused %s: %s", rel, refused[path])
            found.ignored.append(IgnoredFile(rel, refused[path]))
            continue
        parts = rel.split("/")
        mapping = next((m for m, rx in patterns if rx.fullmatch(rel)), None)
        folder = _folder_values(parts[:-1])
        if mapping is not None:
            found.files.append(_source(path, rel, mapping.table, mapping, folder))
            continue
        table, reason = _table_by_name(parts)
        if table is not None:
            found.files.append(_source(path, rel, table, None, folder))
            continue
        if _data_suffixes(parts[-1]) is not None:  # a data file under a name that is no table: read its header
            seen = recognise(path)
            if seen.signature is not None:
                found.files.append(_recognised(path, rel, seen.signature, folder))
                continue
            reason = f"{reason}; {seen.reason}"
        log.info("ignored %s: %s", rel, reason)
        found.ignored.append(IgnoredFile(rel, reason))
    return found


def _recognised(path: Path, rel: str, sig: ExportSignature, folder: dict[str, str]) -> SourceFile:
    """A file recognised by its header: the signature's table, platform and channel (a folder's win)."""
    return SourceFile(
        path=path,
        rel_path=rel,
        table=sig.table,
        platform=folder.get("platform") or sig.platform,
        channel=folder.get("channel") or sig.constants.get("channel"),
        export=sig.name,
    )


SYMLINK_OUTSIDE = "a symbolic link leading out of the dataset folder: refused (copy the file into the folder)"
SYMLINK_LOOP = "a symbolic link back into a folder already walked (a loop): skipped"


def _walk(folder: Path, top: Path, seen: set[Path], refused: dict[Path, str]) -> Iterator[Path]:
    """Data files under ``folder``, skipping hidden/bookkeeping files and folders (never following them).

    ``top`` is the resolved dataset folder: a symlink resolving outside it is yielded but put in
    ``refused`` with its reason (its target is never read nor named); ``seen`` holds the resolved
    folders walked so far, so a link back into one of them is refused as a loop.
    """
    seen.add(folder.resolve())
    for child in folder.iterdir():
        if _BOOKKEEPING.match(child.name):
            continue
        if child.is_symlink():
            try:
                target = child.resolve(strict=True)
            except (OSError, RuntimeError):  # dangling, or a loop of links resolving to each other
                refused[child] = "a broken or looping symbolic link: skipped"
                yield child
                continue
            if not target.is_relative_to(top):
                refused[child] = SYMLINK_OUTSIDE
                yield child
                continue
            if target.is_dir() and target in seen:
                refused[child] = SYMLINK_LOOP
                yield child
                continue
        if child.is_dir():
            yield from _walk(child, top, seen, refused)
        elif child.is_file():
            yield child


def _table_by_name(parts: list[str]) -> tuple[str | None, str]:
    """The table named by a path's first component (folder or file stem), else a reason."""
    name = parts[-1]
    suffixes = _data_suffixes(name)
    if suffixes is None:
        return None, "not a data file extension (.csv .tsv .txt .xlsx .xls .parquet .jsonl, optionally .gz/.zst)"
    head = parts[0] if len(parts) > 1 else name[: len(name) - len("".join(suffixes))]
    if head.lower() in TABLES:
        return head.lower(), ""
    where = "folder" if len(parts) > 1 else "file"
    return None, (f"{where} name {head!r} is not a contract table ({', '.join(TABLES)}); "
                  f"rename it or map it with a [[files]] entry in {CONFIG_FILE}")


def _data_suffixes(name: str) -> list[str] | None:
    """``['.csv', '.gz']`` for a data file name, None when its extension is not a data format."""
    p = Path(name)
    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] in COMPRESSION_SUFFIXES:
        suffixes = suffixes[-2:] if len(suffixes) >= 2 else suffixes
        return suffixes if len(suffixes) == 2 and suffixes[0] in DATA_SUFFIXES else None
    return suffixes[-1:] if suffixes and suffixes[-1] in DATA_SUFFIXES else None


def _folder_values(folders: list[str]) -> dict[str, str]:
    """``platform=jd`` / ``channel=jd_ads`` folder names (Hive-style partitions); the deepest wins."""
    out: dict[str, str] = {}
    for part in folders:
        key, sep, value = part.partition("=")
        if sep and key.lower() in ("platform", "channel") and value:
            out[key.lower()] = value.strip().lower() if key.lower() == "platform" else value.strip()
    return out


def _source(path: Path, rel: str, table: str, m: FileMapping | None, folder: dict[str, str]) -> SourceFile:
    return SourceFile(
        path=path,
        rel_path=rel,
        table=table,
        platform=(m.platform if m and m.platform else None) or folder.get("platform"),
        channel=(m.channel if m and m.channel else None) or folder.get("channel"),
        encoding=m.encoding if m else None,
        sheet=m.sheet if m else None,
        columns=m.columns if m else (),
    )


def _glob_regex(glob: str) -> re.Pattern[str]:
    """A regex for a ``[[files]]`` glob on posix relative paths: ``**`` spans folders, ``*`` and ``?`` do not."""
    out, i = [], 0
    while glob.startswith("./"):
        glob = glob[2:]
    while i < len(glob):
        c = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = glob.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                body = glob[i + 1 : j]
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out))


def _natural_key(text: str) -> list[object]:
    """Sort key where ``part-2`` comes before ``part-10``."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", text) if t]


_SEP_DATE = re.compile(r"(?<!\d)(20\d{2})([-./年])(\d{1,2})(?:\2|月)(\d{1,2})日?(?!\d)")
_COMPACT_DATE = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")
_RANGE_GAP = re.compile(r"\s*(?:[-_~～—至到]|to)?\s*", re.IGNORECASE)


def file_dates(name: str) -> tuple[dt.date, dt.date] | None:
    """The date or date range in a file name: ``商品_全部_2024-11-01_2024-11-07.xls`` → (Nov 1, Nov 7).

    Accepts ``2024-11-01``, ``2024.11.01``, ``2024年11月1日`` and ``20241101``. Two dates joined by
    ``_ - ~ 至 到`` form a range (start, end); a single date gives (date, date); a later unrelated date
    (``…_数据更新时间20241108``) is ignored. None when the name holds no valid date.
    """
    stem = Path(name).name
    found: list[tuple[int, int, dt.date]] = []
    for rx, groups in ((_SEP_DATE, (1, 3, 4)), (_COMPACT_DATE, (1, 2, 3))):
        for m in rx.finditer(stem):
            try:
                d = dt.date(*(int(m.group(g)) for g in groups))
            except ValueError:
                continue
            found.append((m.start(), m.end(), d))
    if not found:
        return None
    found.sort()
    (_, end0, d0), rest = found[0], found[1:]
    if rest and _RANGE_GAP.fullmatch(stem[end0 : rest[0][0]]) and rest[0][2] >= d0:
        return d0, rest[0][2]
    return d0, d0
