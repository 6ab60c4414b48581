"""Helpers for the warehouse tests (a unique module name: test folders share sys.path)."""

from __future__ import annotations

from pathlib import Path

from upmarket.warehouse import Warehouse


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def rows(wh: Warehouse, sql: str) -> list[tuple]:
    return wh.con.execute(sql).fetchall()


def quarantined(wh: Warehouse, path: str | None = None) -> list[tuple]:
    """(row, column, reason, raw_value) of the quarantine, in file order."""
    where = f"WHERE path = '{path}'" if path else ""
    return rows(wh, f'SELECT "row", "column", reason, raw_value FROM quarantine {where} ORDER BY path, "row"')


