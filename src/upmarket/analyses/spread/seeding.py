"""Seeding (种草) effect: do searches and orders of a SKU rise in the days after a post features it?

An event study. Each (post, featured SKU) is an event on the post's day; the outcome on days
``-7 .. +14`` around it is the SKU's daily count divided by that SKU's average day (so big and small
SKUs weigh alike). The comparison is the same SKU on matched days with no post featuring it within
14 days either side. The lift on day k is the mean over events minus the mean over matched days;
90% intervals come from resampling events and matched days. This is observational: brands seed
content when they expect demand (launches, 618, 双11), so a lift is an association, not proof of
cause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from upmarket.estimation import CI_LEVEL
from upmarket.warehouse.source import to_frame

if TYPE_CHECKING:
    from upmarket.warehouse import Warehouse

WINDOW = (-7, 14)
QUIET_DAYS = 14


def daily_counts(warehouse: Warehouse, outcome: str) -> pd.DataFrame:
    """``sku_id, day, n``: daily searches (events) or ordered units (orders) per SKU."""
    if outcome == "searches":
        t = warehouse.table("events")
        t = t.filter(t.event == "search", t.sku_id.notnull(), t.ts.notnull())
        n = t.count().cast("float64")
    else:
        t = warehouse.table("orders")
        t = t.filter(t.sku_id.notnull(), t.ts.notnull())
        n = t.units.fill_null(1).sum().cast("float64")
    return to_frame(t.group_by(sku_id=t.sku_id, day=t.ts.date()).agg(n=n))


def seeding_events(posts: pd.DataFrame) -> pd.DataFrame:
    """``sku_id, day`` for every (post, featured SKU)."""
    s = posts[["sku_ids", "ts"]].dropna()
    skus = s["sku_ids"].astype(str).str.replace("｜", "|", regex=False).str.split("|").explode().str.strip()
    out = pd.DataFrame({"sku_id": skus, "day": pd.to_datetime(s["ts"]).dt.normalize().reindex(skus.index)})
    return out[out["sku_id"] != ""].reset_index(drop=True)


def event_study(counts: pd.DataFrame, events: pd.DataFrame, *, reps: int, rng: np.random.Generator,
                max_controls: int = 200_000, level: float = CI_LEVEL) -> pd.DataFrame | None:
    """Lift by day relative to the post, with a 90% interval; None when no event has a full window."""
    if counts.empty or events.empty:
        return None
    counts = counts.assign(day=pd.to_datetime(counts["day"]))
    skus = pd.Index(sorted(counts["sku_id"].unique()))
    first, last = counts["day"].min(), counts["day"].max()
    n_days = (last - first).days + 1
    y = np.zeros((skus.size, n_days))
    y[skus.get_indexer(counts["sku_id"]), (counts["day"] - first).dt.days.to_numpy()] = counts["n"].to_numpy()
    level_mean = y.mean(axis=1, keepdims=True)
    y = np.divide(y, level_mean, out=np.zeros_like(y), where=level_mean > 0)
    ev = events[events["sku_id"].isin(skus)]
    e_sku = skus.get_indexer(ev["sku_id"])
    e_day = (pd.to_datetime(ev["day"]) - first).dt.days.to_numpy()
    offsets = np.arange(WINDOW[0], WINDOW[1] + 1)
    inside = (e_day + WINDOW[0] >= 0) & (e_day + WINDOW[1] < n_days)
    e_sku, e_day = e_sku[inside], e_day[inside]
    if e_sku.size == 0:
        return None
    # quiet (sku, day): no featuring post within QUIET_DAYS either side, with a full window
    posted = np.zeros((skus.size, n_days + 1))
    np.add.at(posted, (e_sku, e_day), 1)
    csum = np.cumsum(np.concatenate([np.zeros((skus.size, 1)), posted[:, :n_days]], axis=1), axis=1)
    lo_idx = np.clip(np.arange(n_days) - QUIET_DAYS, 0, n_days)
    hi_idx = np.clip(np.arange(n_days) + QUIET_DAYS + 1, 0, n_days)
    near = csum[:, hi_idx] - csum[:, lo_idx]
    days = np.arange(n_days)
    full = (days + WINDOW[0] >= 0) & (days + WINDOW[1] < n_days)
    c_sku, c_day = np.nonzero((near == 0) & full[None, :])
    if c_sku.size == 0:
        return None
    if c_sku.size > max_controls:
        pick = rng.choice(c_sku.size, size=max_controls, replace=False)
        c_sku, c_day = c_sku[pick], c_day[pick]
    treated = y[e_sku[:, None], e_day[:, None] + offsets]
    control = y[c_sku[:, None], c_day[:, None] + offsets]
    lift = treated.mean(axis=0) - control.mean(axis=0)
    draws = np.empty((reps, offsets.size))
    for b in range(reps):  # one vectorised resample per replicate
        t = treated[rng.integers(0, treated.shape[0], treated.shape[0])].mean(axis=0)
        c = control[rng.integers(0, control.shape[0], control.shape[0])].mean(axis=0)
        draws[b] = t - c
    alpha = (1 - level) / 2
    return pd.DataFrame({
        "day": offsets, "lift": lift,
        "lift_low": np.quantile(draws, alpha, axis=0) if reps else np.nan,
        "lift_high": np.quantile(draws, 1 - alpha, axis=0) if reps else np.nan,
        "treated_mean": treated.mean(axis=0), "control_mean": control.mean(axis=0),
        "events": treated.shape[0], "matched_days": control.shape[0],
    })


def seeding_effect(warehouse: Warehouse, posts: pd.DataFrame, *, reps: int,
                   rng: np.random.Generator) -> tuple[pd.DataFrame | None, list[str]]:
    """The event study for searches (from events) and orders (from orders), whichever are present."""
    warnings: list[str] = []
    events = seeding_events(posts)
    if events.empty:
        return None, ["seeding effect skipped: no post names a featured SKU (posts.sku_ids is empty)"]
    frames = []
    for outcome, table in (("searches", "events"), ("orders", "orders")):
        if not warehouse.has_rows(table):
            warnings.append(f"seeding effect on {outcome} skipped: table {table} is not in the dataset")
            continue
        res = event_study(daily_counts(warehouse, outcome), events, reps=reps, rng=rng)
        if res is None:
            warnings.append(f"seeding effect on {outcome} skipped: no SKU-day with a full -7..+14 window")
            continue
        frames.append(res.assign(outcome=outcome))
    return (pd.concat(frames, ignore_index=True) if frames else None), warnings
