"""Sniff a file from its bytes, never its name: compression, format, text encoding, delimiter.

生意参谋 saves BIFF workbooks under a ``.csv`` name, so the extension is only a hint for
discovery. Magic bytes decide: gzip ``1F 8B`` and zstd ``28 B5 2F FD`` are unwrapped first,
then BIFF ``D0 CF 11 E0`` → xls, ``PK`` → xlsx, ``PAR1`` → parquet, a first ``{`` → JSON Lines,
anything else that decodes as text → CSV/TSV. Text encoding comes from a sample of the first
256 KiB: a BOM, else UTF-8, else GB18030 (a superset of GBK). The rest of the file is decoded as
it streams.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import pyarrow as pa

from upmarket.io.errors import UnreadableFile

MAGIC = {
    b"\xd0\xcf\x11\xe0": "xls",
    b"PK\x03\x04": "xlsx",
    b"PK\x05\x06": "xlsx",
    b"PAR1": "parquet",
}
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
SAMPLE_BYTES = 256 * 1024
TEXT_ENCODINGS = ("utf-8", "gb18030")
"""Tried in order on the sample when the file has no BOM and the user named no encoding."""

DELIMITERS = (",", "\t", ";", "|")
EVIDENCE_BYTES = 16 << 20
"""How far past a pure-ASCII sample to look for the bytes that tell UTF-8 from GBK."""
_NON_ASCII = re.compile(rb"[\x80-\xff]")

DECOMPRESS_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, pa.ArrowException)


@dataclass(frozen=True)
class Sniffed:
    """What the first bytes say: ``format`` ('xls', 'xlsx', 'parquet', 'jsonl' or 'text'), compression, sample."""

    format: str
    compression: str | None
    sample: bytes
    at_eof: bool


def sniff(path: Path) -> Sniffed:
    """Format and compression of ``path``; UnreadableFile for empty, corrupt or unrecognisable files."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise UnreadableFile(path, f"cannot open: {exc.strerror or exc}") from None
    if size == 0:
        raise UnreadableFile(path, "empty file (0 bytes)")
    compression = "gzip" if head[:2] == GZIP_MAGIC else "zstd" if head == ZSTD_MAGIC else None
    try:
        with open_binary(path, compression) as f:
            sample = _read_exactly(f, SAMPLE_BYTES + 1)
    except DECOMPRESS_ERRORS as exc:
        raise UnreadableFile(path, f"corrupt or truncated {compression} data: {exc}") from None
    at_eof = len(sample) <= SAMPLE_BYTES
    sample = sample[:SAMPLE_BYTES]
    if not sample:
        raise UnreadableFile(path, f"empty file (0 bytes after {compression} decompression)")
    return Sniffed(_format(path, sample), compression, sample, at_eof)


def _format(path: Path, sample: bytes) -> str:
    for magic, fmt in MAGIC.items():
        if sample.startswith(magic):
            return fmt
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "text"
    body = sample.removeprefix(codecs.BOM_UTF8).lstrip()
    if body.startswith(b"{"):
        return "jsonl"
    if body.startswith(b"[") and body[1:].lstrip()[:1] in (b"{", b"[", b"]", b'"'):
        raise UnreadableFile(path, "a JSON array; write JSON Lines (one object per line) instead")
    if body[:15].lower().startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")):
        raise UnreadableFile(path, "an HTML/XML page, not a table export; open it in Excel and save it as .xlsx")
    if b"\x00" in sample[:4096]:
        raise UnreadableFile(path, f"binary file of unknown type (first bytes {sample[:8].hex(' ')}); "
                                   "expected CSV, TSV, XLSX, XLS, Parquet or JSON Lines")
    return "text"


def open_binary(path: Path, compression: str | None) -> pa.NativeFile:
    """The decompressed bytes of ``path`` as a stream; works as a Python binary file too.

    Arrow decompresses in C++ and, unlike the ``zstandard`` stream reader, reports a truncated
    stream (``OSError: Truncated compressed stream``) instead of ending quietly.
    """
    raw = pa.OSFile(str(path), "rb")
    return pa.CompressedInputStream(raw, compression) if compression else raw


def read_all(path: Path, compression: str | None) -> bytes | None:
    """The whole decompressed file (workbooks and compressed parquet need random access); None if not compressed."""
    if compression is None:
        return None
    try:
        with open_binary(path, compression) as f:
            return f.read()
    except DECOMPRESS_ERRORS as exc:
        raise UnreadableFile(path, f"corrupt or truncated {compression} data: {exc}") from None


def _read_exactly(f: pa.NativeFile, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = f.read(n - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def detect_encoding(path: Path, sample: bytes, at_eof: bool, compression: str | None = None) -> str:
    """The text encoding of a sample: a BOM, else the first of TEXT_ENCODINGS that decodes it.

    The incremental decoder keeps a multi-byte character cut at the sample's end pending instead
    of failing on it. A pure-ASCII sample proves nothing, so then the first non-ASCII bytes further
    on (up to ``EVIDENCE_BYTES``) decide. Bytes valid in none of the encodings make the file unreadable.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    probe, final = sample, at_eof
    if not at_eof and sample[:-4].isascii():
        window = _first_non_ascii(path, compression)
        if window is not None:
            probe, final = window, False
    strict = []
    for enc in TEXT_ENCODINGS:
        try:
            codecs.getincrementaldecoder(enc)().decode(probe, final=final)
        except UnicodeDecodeError:
            continue
        strict.append(enc)
    if strict and strict[0] == TEXT_ENCODINGS[0]:
        return strict[0]
    # a few damaged bytes in text that is otherwise valid UTF-8 (with UTF-8 characters as evidence): UTF-8,
    # and the rows holding the bytes are quarantined (bad_encoding); else the first encoding that decodes all
    if _mostly_decodes(probe, final, "utf-8", need_evidence=True):
        return "utf-8"
    if strict:
        return strict[0]
    for enc in TEXT_ENCODINGS:
        if _mostly_decodes(probe, final, enc):
            return enc
    raise UnreadableFile(path, "text is neither UTF-8 nor GBK/GB18030; name its encoding with a [[files]] entry "
                               "(encoding = \"...\") in upmarket.toml")


DAMAGED_SHARE_ALLOWED = 0.05
"""A sample that an encoding decodes but for at most this share of its valid non-ASCII characters (plus two
bytes for UTF-8, of which ASCII is a part) is in that encoding with a few damaged bytes (a bad byte, a
character cut at the end): those rows are quarantined (bad_encoding) and the rest loads."""


def _mostly_decodes(probe: bytes, final: bool, encoding: str, need_evidence: bool = False) -> bool:
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(probe, final=final)
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ch > "\x7f") - bad
    if need_evidence and good == 0:
        return False
    return bad <= DAMAGED_SHARE_ALLOWED * good + (2 if encoding == "utf-8" else 0)


def _first_non_ascii(path: Path, compression: str | None, window: int = 64 * 1024) -> bytes | None:
    """Up to ``window`` bytes from the start of the line holding the file's first non-ASCII byte."""
    try:
        with open_binary(path, compression) as f:
            buf, read = b"", 0
            while read < EVIDENCE_BYTES and (chunk := f.read(1 << 20)):
                read += len(chunk)
                buf = buf[-window:] + chunk
                m = _NON_ASCII.search(buf)
                if m:
                    start = buf.rfind(b"\n", 0, m.start()) + 1
                    return (buf + f.read(window))[start : m.start() + window]
    except DECOMPRESS_ERRORS as exc:
        raise UnreadableFile(path, f"corrupt or truncated {compression} data: {exc}") from None
    return None


def decode_sample(path: Path, sample: bytes, at_eof: bool, encoding: str) -> str:
    """The sample as text, cut after its last complete line unless it is the whole file."""
    try:  # damaged bytes show as U+FFFD here; the rows holding them are flagged while streaming
        text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=at_eof)
    except LookupError as exc:
        raise UnreadableFile(path, f"cannot decode as {encoding}: {exc}") from None
    if not at_eof:
        cut = max(text.rfind("\n"), text.rfind("\r"))
        text = text[: cut + 1] if cut >= 0 else text
    return text.removeprefix("\ufeff")


def sample_rows(text: str, delimiter: str, n: int) -> list[list[str]]:
    """The first ``n`` records of a text sample parsed as CSV with ``delimiter`` (blank lines are ``[]``)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        return list(islice(reader, n))
    except csv.Error:
        return []
