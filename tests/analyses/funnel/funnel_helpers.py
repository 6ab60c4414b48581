"""Helpers for the funnel tests: insert frames, a small hand-made event log."""

from __future__ import annotations

import numpy as np
import pandas as pd

from upmarket.warehouse import Warehouse


def insert(wh: Warehouse, table: str, df: pd.DataFrame) -> None:
    """Insert a frame straight into a contract table (bypassing ingest, to plant bad rows)."""
    wh.con.register("_frame", df)
    cols = ", ".join(f'"{c}"' for c in df.columns)
    wh.con.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM _frame')
    wh.con.unregister("_frame")


def small_log(seed: int = 1, n_journeys: int = 300) -> dict[str, pd.DataFrame]:
    """A small but complete event log: users, products, shop journeys and content views (vectorised)."""
    rng = np.random.default_rng(seed)
    users = pd.DataFrame({
        "user_id": [f"u{i:03d}" for i in range(60)],
        "city_tier": rng.choice(["tier1", "tier2", "tier3", "tier5"], 60),
        "age_band": rng.choice(["18-24", "25-34", "35-44"], 60),
        "gender": rng.choice(["f", "m"], 60),
    })
    products = pd.DataFrame({
        "sku_id": ["X1", "X2", "R1", "A1", "H1"], "brand": ["Xiaomi", "Xiaomi", "Redmi", "Apple", "Huawei"],
        "model": ["Xiaomi 15", "Xiaomi 15 Ultra", "Redmi K80", "iPhone 16", "Mate 70"],
        "list_price": [4499.0, 6499.0, 2499.0, 5999.0, 5499.0],
    })
    j = np.arange(n_journeys)
    user = rng.integers(0, 60, n_journeys)
    sku = rng.integers(0, 5, n_journeys)
    pf = rng.choice(["jd", "tmall", "mistore"], n_journeys)
    src = rng.choice(["search", "recommend"], n_journeys)
    t0 = pd.Timestamp("2024-03-04") + pd.to_timedelta(rng.integers(0, 40 * 24 * 60, n_journeys), unit="min")
    click = rng.random(n_journeys) < 0.5
    fav = click & (rng.random(n_journeys) < 0.3)
    cart = click & (rng.random(n_journeys) < 0.3)
    order = click & (rng.random(n_journeys) < 0.25)
    seeded = rng.random(n_journeys) < 0.3
    frames = []

    def add(mask: np.ndarray, event: str, minutes: int, platform=None) -> None:
        frames.append(pd.DataFrame({
            "ts": t0[mask] + pd.Timedelta(minutes=minutes), "platform": pf[mask] if platform is None else platform,
            "user_id": users["user_id"].to_numpy()[user[mask]], "event": event,
            "sku_id": products["sku_id"].to_numpy()[sku[mask]], "brand": products["brand"].to_numpy()[sku[mask]],
            "source": src[mask], "session_id": [f"s{k}" for k in j[mask]],
            "value": np.where(event == "order", 4999.0, np.nan)}))

    every = np.ones(n_journeys, bool)
    add(seeded, "content_view", -60 * 24 * 2, platform="douyin")
    add(every, "impression", 0)
    add(click, "click", 1)
    add(fav, "favorite", 2)
    add(cart, "cart", 3)
    add(order, "order", 4)
    add(order & (rng.random(n_journeys) < 0.5), "review", 60 * 24 * 3)
    searches = seeded & (rng.random(n_journeys) < 0.5)
    frames.append(pd.DataFrame({
        "ts": t0[searches] - pd.Timedelta(days=1), "platform": "jd",
        "user_id": users["user_id"].to_numpy()[user[searches]], "event": "search", "sku_id": None,
        "brand": products["brand"].to_numpy()[sku[searches]], "source": "search",
        "session_id": [f"q{k}" for k in j[searches]], "value": np.nan}))
    # content_view frames got the shop session id; give them their own
    events = pd.concat(frames, ignore_index=True)
    cv = events["event"] == "content_view"
    events.loc[cv, "session_id"] = "c" + events.loc[cv, "session_id"]
    events = events.sort_values(["ts", "session_id", "event"]).reset_index(drop=True)
    return {"users": users, "products": products, "events": events}
