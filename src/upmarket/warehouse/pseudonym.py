"""Salted pseudonyms for people's ids: ``user_id`` (and the columns that join it) and ``creator_id``.

The contract's ids are pseudonymous already, but exports carry platform nicknames (蒲公英's
博主昵称 becomes ``creator_id``) and panel ids that a brand could join back to a person. On ingest,
every column marked ``pseudonymise`` in the contract is replaced by ``p`` + the first 20 hex digits
of SHA-256(salt ‖ id): the same salt gives the same pseudonym, so joins (orders ↔ users, a conjoint's
respondents ↔ users, shares ↔ their parents) and re-runs hold, and no output holds a raw id.

The salt is a secret kept outside the dataset: ``$UPMARKET_SALT``, else ``~/.config/upmarket/salt``
(created with 256 random bits, mode 600, on first use). Keep it: a warehouse loaded under one salt
does not join files loaded under another (``Warehouse`` refuses to mix them).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import tempfile
from collections.abc import Iterable
from pathlib import Path

SALT_ENV = "UPMARKET_SALT"
PREFIX = "p"
HEX_DIGITS = 20
"""80 bits: a collision among a billion ids has probability ~4e-7."""
MACRO = "_upm_pseudo"


def salt_file() -> Path:
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "upmarket" / "salt"


def salt() -> str:
    """The secret salt: ``$UPMARKET_SALT`` or the salt file, created atomically when missing."""
    if os.environ.get(SALT_ENV):
        return os.environ[SALT_ENV]
    path = salt_file()
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".salt-")
        try:
            os.write(fd, secrets.token_hex(32).encode())
            os.close(fd)
            os.chmod(tmp, 0o600)
            with contextlib.suppress(FileExistsError):  # another process won the race: use its salt
                os.link(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
    return path.read_text(encoding="utf-8").strip()


def fingerprint(value: str) -> str:
    """A public fingerprint of a salt (stored in the warehouse to detect a changed salt; reveals nothing)."""
    return hashlib.sha256(("upmarket-salt:" + value).encode()).hexdigest()[:16]


def macro_sql(value: str) -> str:
    """A temporary DuckDB macro ``_upm_pseudo(x)`` computing the pseudonym in SQL (NULL stays NULL)."""
    quoted = "'" + value.replace("'", "''") + "'"
    return (f"CREATE OR REPLACE TEMP MACRO {MACRO}(x) AS CASE WHEN x IS NULL THEN NULL ELSE "
            f"'{PREFIX}' || substr(sha256({quoted} || CAST(x AS VARCHAR)), 1, {HEX_DIGITS}) END")


def pseudonymise(ids: Iterable[object], value: str | None = None) -> list[str | None]:
    """The pseudonyms of ``ids`` under ``value`` (default: this machine's salt), as the ingest computes them."""
    s = salt() if value is None else value
    return [None if i is None else PREFIX + hashlib.sha256((s + str(i)).encode()).hexdigest()[:HEX_DIGITS]
            for i in ids]
