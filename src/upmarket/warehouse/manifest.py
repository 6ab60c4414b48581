"""The ingest manifest and the quarantine: what was loaded from which file, and what was not."""

from __future__ import annotations

import duckdb

MANIFEST_DDL = """
CREATE TABLE IF NOT EXISTS ingest_manifest (
    file_id VARCHAR PRIMARY KEY,   -- content hash of the file
    path VARCHAR,                  -- path relative to the dataset folder
    "table" VARCHAR,
    format VARCHAR,
    encoding VARCHAR,
    rows_read BIGINT,
    rows_loaded BIGINT,
    rows_quarantined BIGINT,
    loaded_at TIMESTAMP,
    seconds DOUBLE
)
"""

QUARANTINE_DDL = """
CREATE TABLE IF NOT EXISTS quarantine (
    file_id VARCHAR,
    path VARCHAR,
    "table" VARCHAR,
    "row" BIGINT,       -- physical row (= line when no quoted newlines) in the file, 1-based
    "column" VARCHAR,
    reason VARCHAR,
    raw_value VARCHAR,
    raw_row VARCHAR     -- the whole row as JSON, so nothing is lost
)
"""


def create_bookkeeping_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(MANIFEST_DDL)
    con.execute(QUARANTINE_DDL)
