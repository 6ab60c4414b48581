"""Perceptual map: correspondence analysis (prince) of brand × aspect counts, and the focal brand's gap to rivals.

Counts come from reviews when present: clauses (voice's splitter) naming an aspect (voice's aspect terms) with a
positive lexicon polarity, so a brand sits near what its buyers *praise* — no sentiment model needed. Without
reviews, posts' hashtags × featured brands are used. CA puts brands and aspects on the same two axes; the
distance between two brands in the first two dimensions measures how differently they are perceived.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd

from upmarket.warehouse.source import to_frame

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from upmarket.warehouse import Warehouse

MIN_COUNT = 20  # a brand needs this many praised mentions to be placed


def review_aspect_counts(texts: list[str], brands: np.ndarray) -> pd.DataFrame:
    """Brand × aspect counts of positive aspect clauses (rows brands, columns aspects)."""
    from upmarket.text.lexicon import ASPECT_TERMS, lexicon_polarity, match_matrix, split_clauses
    from upmarket.text.normalise import normalise

    cl = split_clauses(normalise(texts).texts)
    hits = match_matrix(cl.text, ASPECT_TERMS)
    pos = lexicon_polarity(cl.text) > 0
    ci, ai = np.nonzero(hits & pos[:, None])
    df = pd.DataFrame({"brand": np.asarray(brands, object)[cl.review[ci]], "aspect": np.array(list(ASPECT_TERMS))[ai]})
    return pd.crosstab(df["brand"], df["aspect"])


def reviews_with_brand(warehouse: Warehouse) -> ir.Table:
    """Reviews joined to their SKU's brand (any one brand of a SKU listed twice in products)."""
    p = warehouse.table("products")
    brands = p.group_by("sku_id").agg(brand=p.brand.arbitrary())
    r = warehouse.table("reviews")
    return r.join(brands, "sku_id")


def post_brand_topics(warehouse: Warehouse) -> pd.DataFrame:
    """``brand, topic, n``: every brand a post features paired with every topic it carries, ``n`` the posts.

    Why two selects: two unnests in one select zip the lists (DuckDB pairs the i-th brand with the i-th topic and
    pads the shorter with NULL), which ties a hashtag to whichever brand happens to share its position. One unnest
    per select gives the cross product within each post; counting distinct posts keeps a brand or topic listed
    twice in one post from counting twice.
    """
    posts = warehouse.table("posts")
    posts = posts.filter(posts.brands != "", posts.topics != "")
    by_brand = posts.select("post_id", "topics", brand=posts.brands.split("|").unnest())
    pairs = by_brand.select("post_id", "brand", topic=by_brand.topics.split("|").unnest())
    pairs = pairs.filter(pairs.brand != "", pairs.topic != "")
    return to_frame(pairs.group_by("brand", "topic").agg(n=pairs.post_id.nunique()))


def association_counts(warehouse: Warehouse) -> list[tuple[pd.DataFrame, str]]:
    """Candidate brand × association tables, best first: praised aspects in reviews, then hashtags in posts."""
    out = []
    if warehouse.has_rows("reviews") and warehouse.has_rows("products"):
        df = to_frame(reviews_with_brand(warehouse).filter(ibis._.text != "", ibis._.brand.notnull())
                      .select("brand", "text"))
        if len(df):
            out.append((review_aspect_counts(df["text"].tolist(), df["brand"].to_numpy()), "reviews (praised aspects)"))
    if warehouse.has_rows("posts"):
        df = post_brand_topics(warehouse)
        if len(df):
            tab = df.pivot_table(index="brand", columns="topic", values="n", aggfunc="sum", fill_value=0)
            top = tab.sum().sort_values(ascending=False).index[:20]
            out.append((tab[top], "posts (hashtags)"))
    return out


def correspondence_map(counts: pd.DataFrame, min_count: int = MIN_COUNT) -> tuple[pd.DataFrame, pd.DataFrame, list]:
    """Row (brand) and column (aspect) coordinates on two CA dimensions, and each dimension's inertia share."""
    import prince

    tab = counts.loc[counts.sum(axis=1) >= min_count]
    tab = tab.loc[:, tab.sum(axis=0) > 0]
    if tab.shape[0] < 3 or tab.shape[1] < 3:
        raise ValueError(f"positioning: need ≥ 3 brands and ≥ 3 aspects with counts (got {tab.shape})")
    ca = prince.CA(n_components=2, random_state=0).fit(tab)
    rows, cols = ca.row_coordinates(tab), ca.column_coordinates(tab)
    rows.columns = cols.columns = ["dim1", "dim2"]
    return rows, cols, [float(x) for x in np.asarray(ca.percentage_of_variance_)[:2] / 100]


def gaps(rows: pd.DataFrame, focal: str, rivals: tuple[str, ...] = ("Apple", "Huawei")) -> dict[str, float]:
    """Euclidean distance on the map from the focal brand to each rival present."""
    if focal not in rows.index:
        return {}
    f = rows.loc[focal].to_numpy()
    return {r: round(float(np.linalg.norm(rows.loc[r].to_numpy() - f)), 4) for r in rivals if r in rows.index}
