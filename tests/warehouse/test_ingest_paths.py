"""The ingest's load strategies give the same tables and quarantine.

A small chunk is cleaned once into a temporary table; a large one is inserted straight from the
cleaning query, and only the rows it left out are cleaned again for the quarantine; a file may
be split into many chunks. Whatever the strategy, every row must end in the same place with the
same reason, duplicate keys included (within a chunk, across chunks and across files).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from wh_helpers import rows, write

from upmarket.config import Config
from upmarket.warehouse import Warehouse
from upmarket.warehouse import ingest as ingest_mod

N_USERS = 240


def _users_csv(offset: int) -> str:
    """Users with every kind of bad row, some ids repeated within the file and some shared with the other file."""
    lines = ["user_id,city,city_tier,gender"]
    tiers = ["一线", "tier2", "新一线", "tier9", " tier3 ", ""]
    for i in range(N_USERS):
        uid = f"u{(i + offset) % 300:03d}" if i % 7 else f"u{(i // 2 + offset) % 300:03d}"  # repeats
        tier = tiers[i % len(tiers)]
        gender = ["f", "m", "x", "", "女"][i % 5]
        lines.append(f"{uid},City{i % 11},{tier},{gender}")
        if i == 100:
            lines.append("合计,,,")
        if i == 150:
            lines.append(",,,")
        if i == 170:
            lines.append("-,Wuhan,tier2,f")
    return "\n".join(lines) + "\n"


def _events_parquet(path: Path, n: int = 500) -> None:
    events = ["click", "order", "teleport", "cart", "impression"]
    pq.write_table(pa.table({
        "ts": pa.array([dt.datetime(2024, 11, 11) + dt.timedelta(seconds=i) if i % 53 else None for i in range(n)],
                       pa.timestamp("us")),
        "platform": ["jd" if i % 31 else "mars" for i in range(n)],
        "user_id": [f"u{i % 97}" for i in range(n)],
        "event": [events[i % len(events)] for i in range(n)],
        "value": [float(i % 13 - 2) if i % 3 == 0 else None for i in range(n)],
    }), path)


@pytest.fixture
def ds(dataset: Path) -> Path:
    write(dataset / "users" / "a.csv", _users_csv(0))
    write(dataset / "users" / "b.csv", _users_csv(170))
    _events_parquet(dataset / "events.parquet")
    return dataset


def _outcome(tmp: Path, ds: Path) -> tuple:
    with Warehouse(tmp / "wh.duckdb") as wh:
        rep = wh.ingest(ds, Config())
        users = rows(wh, "SELECT * EXCLUDE (_file_id) FROM users ORDER BY _row, user_id, city")
        events = rows(wh, "SELECT * EXCLUDE (_file_id) FROM events ORDER BY _row")
        quarantine = rows(wh, 'SELECT path, "row", "column", reason, raw_value, raw_row FROM quarantine '
                              'ORDER BY path, "row"')
        per_file = sorted((f.path, f.rows_read, f.rows_loaded, f.rows_quarantined) for f in rep.files)
    return per_file, users, events, quarantine


@pytest.mark.parametrize("strategy", ["direct", "direct_many_chunks", "staged_many_chunks"])
def test_every_strategy_matches_cleaning_once(tmp_path: Path, ds: Path, monkeypatch: pytest.MonkeyPatch,
                                              strategy: str) -> None:
    (tmp_path / "staged").mkdir()
    reference = _outcome(tmp_path / "staged", ds)  # defaults: these files are small, so each is cleaned once
    per_file, users, events, quarantine = reference
    reasons = {r[3] for r in quarantine}
    assert {"duplicate_key", "invalid_code", "summary_row", "empty_row", "missing_required"} <= reasons
    assert sum(r[3] == "duplicate_key" for r in quarantine if r[0] == "users/b.csv") > 0  # across files
    for _, read, loaded, quar in per_file:
        assert read == loaded + quar and quar > 0
    assert len(users) == sum(f[2] for f in per_file if f[0].startswith("users/")) > 0
    assert len(events) == sum(f[2] for f in per_file if f[0] == "events.parquet") > 0

    monkeypatch.setattr(ingest_mod, "STAGE_ROWS", 10**6 if strategy == "staged_many_chunks" else 0)
    if strategy.endswith("many_chunks"):
        monkeypatch.setattr(ingest_mod, "BATCH_ROWS", 37)
        monkeypatch.setattr(ingest_mod, "CHUNK_ROWS", 50)
    calls = {"chunks": 0, "not_loaded": 0}

    def counting(name: str, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(ingest_mod, "load_select", counting("chunks", ingest_mod.load_select))
    monkeypatch.setattr(ingest_mod, "_not_loaded", counting("not_loaded", ingest_mod._not_loaded))
    (tmp_path / strategy).mkdir()
    assert _outcome(tmp_path / strategy, ds) == reference
    assert calls["chunks"] >= (8 if strategy.endswith("many_chunks") else 3)  # 3 files; 4 chunks per CSV
    assert (calls["not_loaded"] > 0) == strategy.startswith("direct")
