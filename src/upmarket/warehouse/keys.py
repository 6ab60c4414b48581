"""Keys that must join: SKU ids of the fact tables against ``products``, through the optional ``sku_map``.

A JD export names a SKU by JD's id, a 生意参谋 export by Tmall's 商品ID; ``products`` has one
``sku_id`` per product. Rather than teach every analysis a second join, the warehouse re-keys
fact rows once, on ingest: a ``sku_id`` that is not in ``products`` but is a
``sku_map.platform_sku_id`` (of the row's platform, or of any platform when the map leaves it
empty) becomes the mapped ``products.sku_id``, and the id it came with is kept in ``_extra``
under ``platform_sku_id``. Whatever still does not join is counted per table with a sample, so
nothing drops out of the brand figures unannounced.
"""

from __future__ import annotations

from typing import Any

from upmarket.contract import TABLES
from upmarket.contract.sql import q

SAMPLE_IDS = 5
"""How many unmatched ids to name per table."""

SKU_TABLES: tuple[str, ...] = tuple(
    name for name, t in TABLES.items() if "sku_id" in t.names and name not in ("products", "sku_map")
)
"""Tables whose ``sku_id`` should name a product."""


def _has_rows(con, name: str) -> bool:
    return bool(con.execute(f"SELECT EXISTS (SELECT 1 FROM {q(name)})").fetchone()[0])


def resolve_sku_ids(con) -> dict[str, int]:
    """Re-key rows whose sku_id is a platform's own id listed in ``sku_map``; rows re-keyed per table."""
    if not _has_rows(con, "sku_map") or not _has_rows(con, "products"):
        return {}
    out: dict[str, int] = {}
    for name in SKU_TABLES:
        if not _has_rows(con, name):
            continue
        has_platform = "platform" in TABLES[name].names
        # one target per (platform, id): a platform-specific line beats a platform-wide one
        ranked = ("SELECT platform AS m_platform, platform_sku_id AS m_id, sku_id AS m_sku FROM sku_map "
                  "WHERE sku_id IN (SELECT sku_id FROM products)")
        if has_platform:
            match = (f"SELECT t.rowid AS rid, first(m.m_sku ORDER BY m.m_platform IS NULL) AS m_sku "
                     f"FROM {q(name)} t JOIN ({ranked}) m ON m.m_id = t.sku_id "
                     f"AND (m.m_platform IS NULL OR m.m_platform = t.platform) "
                     f"WHERE t.sku_id NOT IN (SELECT sku_id FROM products WHERE sku_id IS NOT NULL) GROUP BY t.rowid")
        else:
            match = (f"SELECT t.rowid AS rid, first(m.m_sku ORDER BY m.m_platform IS NULL) AS m_sku "
                     f"FROM {q(name)} t JOIN ({ranked}) m ON m.m_id = t.sku_id "
                     f"WHERE t.sku_id NOT IN (SELECT sku_id FROM products WHERE sku_id IS NOT NULL) GROUP BY t.rowid")
        n = con.execute(
            f"UPDATE {q(name)} SET _extra = CAST(json_merge_patch(coalesce(_extra, '{{}}'), "
            f"json_object('platform_sku_id', {q(name)}.sku_id)) AS VARCHAR), sku_id = r.m_sku "
            f"FROM ({match}) r WHERE {q(name)}.rowid = r.rid"
        ).fetchone()[0]
        if n:
            out[name] = int(n)
    n = _resolve_post_skus(con)
    if n:
        out["posts"] = n
    return out


_POST_IDS = ("SELECT rowid AS rid, platform, unnest(string_split(replace(sku_ids, '｜', '|'), '|')) AS raw_id, "
             "generate_subscripts(string_split(replace(sku_ids, '｜', '|'), '|'), 1) AS i FROM posts "
             "WHERE sku_ids IS NOT NULL AND sku_ids <> ''")
"""One row per SKU featured in a post (``posts.sku_ids`` lists them separated by ``|``)."""


def _resolve_post_skus(con) -> int:
    """Re-key the ids in ``posts.sku_ids`` the same way; posts changed."""
    if not _has_rows(con, "posts"):
        return 0
    sql = f"""
        WITH ids AS ({_POST_IDS}),
        m AS (SELECT platform AS m_platform, platform_sku_id AS m_id, sku_id AS m_sku FROM sku_map
              WHERE sku_id IN (SELECT sku_id FROM products)),
        mapped AS (
            SELECT ids.rid, ids.i, trim(ids.raw_id) AS id,
                   CASE WHEN trim(ids.raw_id) IN (SELECT sku_id FROM products WHERE sku_id IS NOT NULL) THEN NULL
                        ELSE (SELECT first(m.m_sku ORDER BY m.m_platform IS NULL) FROM m
                              WHERE m.m_id = trim(ids.raw_id) AND (m.m_platform IS NULL OR m.m_platform = ids.platform))
                   END AS m_sku
            FROM ids),
        r AS (SELECT rid, string_agg(coalesce(m_sku, id), '|' ORDER BY i) AS new_ids FROM mapped
              GROUP BY rid HAVING count(m_sku) > 0)
        UPDATE posts SET _extra = CAST(json_merge_patch(coalesce(_extra, '{{}}'),
                                       json_object('platform_sku_ids', posts.sku_ids)) AS VARCHAR),
                         sku_ids = r.new_ids
        FROM r WHERE posts.rowid = r.rid"""
    return int(con.execute(sql).fetchone()[0])


def unmatched_keys(con) -> dict[str, dict[str, Any]]:
    """Per table: rows whose sku_id is not in products (after the sku_map), with a sample of the ids.

    Empty when ``products`` has no rows (there is nothing to join to; the analyses say so).
    """
    if not _has_rows(con, "products"):
        return {}
    out: dict[str, dict[str, Any]] = {}
    for name in SKU_TABLES:
        if not _has_rows(con, name):
            continue
        miss = (f"FROM {q(name)} t WHERE t.sku_id IS NOT NULL AND t.sku_id NOT IN "
                f"(SELECT sku_id FROM products WHERE sku_id IS NOT NULL)")
        n, total = con.execute(f"SELECT (SELECT count(*) {miss}), (SELECT count(*) FROM {q(name)} "
                               f"WHERE sku_id IS NOT NULL)").fetchone()
        if not n:
            continue
        sample = [r[0] for r in con.execute(
            f"SELECT t.sku_id, count(*) AS n {miss} GROUP BY t.sku_id ORDER BY n DESC, t.sku_id LIMIT {SAMPLE_IDS}"
        ).fetchall()]
        ids = con.execute(f"SELECT count(DISTINCT t.sku_id) {miss}").fetchone()[0]
        out[name] = {
            "column": "sku_id",
            "rows": int(n),
            "of_rows": int(total),
            "distinct_ids": int(ids),
            "sample": sample,
            "message": f"{n:,} of {total:,} {name} rows have a sku_id not in products (e.g. "
                       f"{', '.join(map(repr, sample))}): they drop out of brand and product figures; "
                       f"add the products or map a platform's own ids with a sku_map table "
                       f"(platform, platform_sku_id, sku_id)",
        }
    post = _unmatched_post_skus(con)
    if post:
        out["posts"] = post
    return out


def _unmatched_post_skus(con) -> dict[str, Any] | None:
    """Posts featuring a SKU id that is not in products (``posts.sku_ids``)."""
    if not _has_rows(con, "posts"):
        return None
    ids = f"WITH ids AS ({_POST_IDS}), miss AS (SELECT rid, trim(raw_id) AS id FROM ids WHERE trim(raw_id) <> '' " \
          f"AND trim(raw_id) NOT IN (SELECT sku_id FROM products WHERE sku_id IS NOT NULL)) "
    n, distinct = con.execute(ids + "SELECT count(DISTINCT rid), count(DISTINCT id) FROM miss").fetchone()
    if not n:
        return None
    total = con.execute("SELECT count(*) FROM posts WHERE sku_ids IS NOT NULL AND sku_ids <> ''").fetchone()[0]
    sample = [r[0] for r in con.execute(
        ids + f"SELECT id, count(*) AS k FROM miss GROUP BY id ORDER BY k DESC, id LIMIT {SAMPLE_IDS}").fetchall()]
    return {
        "column": "sku_ids",
        "rows": int(n),
        "of_rows": int(total),
        "distinct_ids": int(distinct),
        "sample": sample,
        "message": f"{n:,} of {total:,} posts feature a sku_id not in products (e.g. {', '.join(map(repr, sample))}): "
                   f"their sales link is lost; add the products or map the ids with a sku_map table "
                   f"(platform, platform_sku_id, sku_id)",
    }


def brands_present(con) -> list[str]:
    """The brands of products and market_sales, most rows first (a focal brand must be one of them)."""
    return [b for b, _ in con.execute(
        "SELECT brand, sum(n) AS n FROM (SELECT brand, count(*) AS n FROM products GROUP BY ALL UNION ALL "
        "SELECT brand, count(*) AS n FROM market_sales GROUP BY ALL) WHERE brand IS NOT NULL AND brand <> '' "
        "GROUP BY ALL ORDER BY n DESC, brand").fetchall()]
