"""Text normalisation for review scoring: one pass over the whole batch, never a crash.

Real exports mix traditional and simplified characters, full-width Latin letters and digits,
HTML entities (``&amp;``, ``&#x1F44D;``), emoji and the odd 50,000-character paste. Every text
is turned into a comparable simplified, half-width, lower-case string; texts longer than
``MAX_CHARS`` are cut and marked so the cut is visible in the output. The conversions run on
the batch joined into one string (C speed), not per text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

MAX_CHARS = 2000
"""Texts longer than this are truncated (flag ``truncated``); long pastes carry no extra signal."""

SEP = "\n\x1e\n"
"""Separator used to join a batch: a record separator no normaliser touches."""

_KEEP = np.array([0xFF0C, 0xFF01, 0xFF1F, 0xFF1B, 0xFF1A], dtype=np.uint32)
"""，！？；： stay Chinese punctuation: they mark clause ends; the rest of U+FF01–FF5E folds to ASCII."""
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]{2,8});")


@lru_cache(maxsize=1)
def _t2s():
    """OpenCC's traditional→simplified converter when installed (it ships its own tables)."""
    try:
        import opencc
    except ImportError:  # pragma: no cover - optional dependency
        return None
    return opencc.OpenCC("t2s")


@dataclass
class Normalised:
    """The normalised batch plus per-text flags (aligned with the input)."""

    texts: list[str]
    empty: np.ndarray
    """No letter, digit or Han character left (blank, punctuation-only, emoji-only)."""
    truncated: np.ndarray
    has_han: np.ndarray
    latin_only: np.ndarray
    """Latin letters but no Han characters: English text, scored with low confidence."""
    emoji: np.ndarray

    def flags(self) -> list[str]:
        """A short mark per text: ``empty``, ``truncated``, ``no_chinese`` or ``''``."""
        return self.flags_of(self.empty, self.truncated, self.latin_only)

    @staticmethod
    def flags_of(empty: np.ndarray, truncated: np.ndarray, latin_only: np.ndarray) -> list[str]:
        """:meth:`flags` from the three masks (for texts broadcast from their distinct values)."""
        out = np.full(len(empty), "", dtype=object)
        out[latin_only] = "no_chinese"
        out[truncated] = "truncated"
        out[empty] = "empty"
        return out.tolist()


def _fold(joined: str) -> str:
    """Full-width → half-width, ASCII upper → lower, invisible marks → space, runs of spaces → one, on code
    points."""
    cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).copy()
    wide = (cps >= 0xFF01) & (cps <= 0xFF5E) & ~np.isin(cps, _KEEP)
    cps[wide] -= 0xFEE0
    upper = (cps >= 0x41) & (cps <= 0x5A)
    cps[upper] += 32
    cps[(cps == 0x3000) | (cps == 0xFEFF) | (cps == 0x200B) | (cps == 0x200D) | (cps == 0xA0)] = 0x20
    # a run of spaces and tabs (\t \r \f \v, not \n) becomes one space
    space = (cps == 0x20) | (cps == 0x09) | (cps == 0x0D) | (cps == 0x0C) | (cps == 0x0B)
    cps[space] = 0x20
    repeat = np.zeros_like(space)
    repeat[1:] = space[1:] & space[:-1]
    return cps[~repeat].tobytes().decode("utf-32-le")


def codepoints(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The batch as one uint32 code-point array (texts separated by a 0) and each text's start."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths + 1, out=starts[1:])
    buf = "\x00".join(texts).encode("utf-32-le") + b"\x00\x00\x00\x00"
    return np.frombuffer(buf, dtype=np.uint32), starts


def _doc_any(mask: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per text: does ``mask`` hold anywhere in it (``starts`` from :func:`codepoints`)."""
    if len(starts) < 2:
        return np.zeros(0, bool)
    return np.logical_or.reduceat(mask, starts[:-1])  # each text's span holds at least its closing 0


def as_str(values: Iterable[object]) -> list[str]:
    """Each value as text: ``None``/NaN → ``''``, anything else ``str()``."""
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and v != v):
            out.append("")
        else:
            out.append(str(v))
    return out


def normalise(texts: Sequence[object], max_chars: int = MAX_CHARS) -> Normalised:
    """Normalise a batch: entities, width, case, traditional→simplified, whitespace, length.

    ``None``/NaN count as empty text. Works on the joined batch, so cost is a few C passes.
    """
    raw = as_str(texts)
    n = len(raw)
    lengths = np.fromiter((len(t) for t in raw), dtype=np.int64, count=n)
    truncated = lengths > max_chars
    if truncated.any():
        for i in np.flatnonzero(truncated):
            raw[i] = raw[i][:max_chars]
    joined = SEP.join(t.replace("\x1e", " ") for t in raw)
    if "&" in joined:
        joined = _ENTITY.sub(lambda m: html.unescape(m.group(0)), joined)
    conv = _t2s()
    if conv is not None and joined:
        joined = conv.convert(joined)
    joined = _fold(joined)
    out = [t.strip() for t in joined.split(SEP)] if n else []
    if len(out) != n:  # pragma: no cover - a converter that ate the separator
        raise RuntimeError("text normalisation lost the batch separator")
    cps, starts = codepoints(out)
    han = _doc_any((cps >= 0x4E00) & (cps <= 0x9FFF), starts)
    latin = _doc_any((cps >= 0x61) & (cps <= 0x7A), starts)
    digit = _doc_any((cps >= 0x30) & (cps <= 0x39), starts)
    emoji = _doc_any(((cps >= 0x1F000) & (cps <= 0x1FAFF)) | ((cps >= 0x2600) & (cps <= 0x27BF)), starts)
    has_han, has_latin = han, latin
    has_alnum = han | latin | digit | _doc_any((cps >= 0x3400) & (cps <= 0x4DBF), starts)
    return Normalised(
        texts=out,
        empty=~has_alnum,
        truncated=truncated,
        has_han=has_han,
        latin_only=has_latin & ~has_han,
        emoji=emoji,
    )
