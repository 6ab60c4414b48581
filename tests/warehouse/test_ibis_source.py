"""IbisSource on Ibis' own DuckDB backend (a user's database instead of the warehouse).

Ibis 12, the newest Ibis, breaks two calls of its DuckDB backend on duckdb 2, which the warehouse needs:
``list_tables`` calls the removed ``fetch_arrow_table``, and with sqlglot >= 30.18 ``create_table`` emits
``DROP VIEW IF EXISTS`` without a name. IbisSource therefore asks for a table directly; the tables here are made
with DuckDB's own SQL for the same reason.
"""

from __future__ import annotations

import duckdb
import ibis
import pandas as pd

from upmarket.warehouse.source import IbisSource


def test_ibis_duckdb_backend_says_which_tables_have_rows_and_values() -> None:
    con = duckdb.connect()
    posts = pd.DataFrame({"post_id": ["p1", "p2"], "topics": ["影像", ""]})
    con.register("posts_df", posts)
    con.execute("CREATE TABLE posts AS SELECT * FROM posts_df")
    con.execute("CREATE TABLE orders (order_id VARCHAR)")
    source = IbisSource(ibis.duckdb.from_connection(con))
    assert source.has_rows("posts") and not source.has_rows("orders") and not source.has_rows("reviews")
    assert source.column_present("posts", "topics") and not source.column_present("posts", "brands")
    assert not source.column_present("reviews", "text")
    assert source.count("posts") == 2
