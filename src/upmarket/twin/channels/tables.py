"""Journeys as tables: the ``events`` Parquet part and ``traffic`` slice of a chunk, and the ``orders`` frame."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from upmarket.twin.channels.market import _Market
from upmarket.twin.channels.params import BANDS, EVENTS, PLATFORMS, SELLING, SOURCES, TIERS

# ----------------------------------------------------------------------------------------------
# chunk → Arrow


def _dict_col(codes: np.ndarray, names: pa.Array, null: np.ndarray | None = None) -> pa.Array:
    idx = pa.array(codes.astype(np.int32), mask=null)
    return pa.DictionaryArray.from_arrays(idx, names)


def _events_table(m: _Market, g: dict[str, Any]) -> pa.Table:
    j, ev, ts, pf, sku, brand, src, val, user = g["events"]
    no_sku = sku < 0
    session = pc.binary_join_element_wise("s", pc.cast(pa.array(j + g["jid0"]), pa.string()), "")
    return pa.table({
        "ts": pa.array(ts, type=pa.timestamp("us")),
        "platform": _dict_col(pf, pa.array(PLATFORMS)),
        "user_id": _dict_col(user, m.user_ids),
        "event": _dict_col(ev, pa.array(EVENTS)),
        "sku_id": _dict_col(np.where(no_sku, 0, sku), pa.array(m.sku_ids), null=no_sku),
        "brand": _dict_col(brand, pa.array(m.brands)),
        "source": _dict_col(src, pa.array(SOURCES)),
        "session_id": session,
        "value": pa.array(val, mask=np.isnan(val)),
    })


_COUNT_COLS = ("impressions", "clicks", "visitors", "page_views", "favorites", "add_to_carts", "buyers", "orders",
               "units")


def _traffic_chunk(m: _Market, g: dict[str, Any]) -> tuple[pa.Table, np.ndarray]:
    """Daily aggregates of the chunk's shop journeys, and a (platform, tier, source, band, metric) sum cube."""
    s = g["shop"]
    n_t, n_s, n_b = len(TIERS), len(SOURCES), len(BANDS)
    key = ((((s["day"].astype(np.int64) * len(SELLING) + s["pf"]) * m.n_sku + s["sku"]) * n_t + s["tier"]) * n_s
           + s["src"])
    uk, gi = np.unique(key, return_inverse=True)
    ng = uk.size

    def distinct(flag: np.ndarray) -> np.ndarray:
        pair = np.unique(gi[flag].astype(np.int64) * m.n_users + s["user"][flag])
        return np.bincount(pair // m.n_users, minlength=ng)

    o = g["orders"]
    units_j = np.zeros(s["j"].size, np.int64)
    gmv_j = np.zeros(s["j"].size)
    units_j[s["order"]] = o["units"]
    gmv_j[s["order"]] = o["units"] * o["price"]
    cols = {
        "impressions": np.bincount(gi, minlength=ng),
        "clicks": np.bincount(gi, weights=s["clicked"], minlength=ng).astype(np.int64),
        "visitors": distinct(s["clicked"]),
        "page_views": np.bincount(gi, weights=s["n_pv"], minlength=ng).astype(np.int64),
        "favorites": distinct(s["fav"]),
        "add_to_carts": distinct(s["cart"]),
        "buyers": distinct(s["order"]),
        "orders": np.bincount(gi, weights=s["order"], minlength=ng).astype(np.int64),
        "units": np.bincount(gi, weights=units_j, minlength=ng).astype(np.int64),
    }
    gmv = np.bincount(gi, weights=gmv_j, minlength=ng)
    src_ = uk % n_s
    r = uk // n_s
    tier = r % n_t
    r //= n_t
    sku = r % m.n_sku
    r //= m.n_sku
    pf = r % len(SELLING)
    day = r // len(SELLING)
    df = pa.table({
        "date": pa.array(m.days[day]),
        "platform": _dict_col(pf, pa.array(SELLING)),
        "sku_id": _dict_col(sku, pa.array(m.sku_ids)),
        "city_tier": _dict_col(tier, pa.array(TIERS)),
        "source": _dict_col(src_, pa.array(SOURCES)),
        **{k: pa.array(v, type=pa.int64()) for k, v in cols.items()},
        "gmv": pa.array(np.round(gmv, 2)),
    })
    # cube of sums by platform × tier × source × band, for the truth's rate tables
    band = m.sku_band[sku]
    cell = ((pf * n_t + tier) * n_s + src_) * n_b + band
    cube = np.zeros((len(SELLING) * n_t * n_s * n_b, len(_COUNT_COLS) + 1))
    for i, name in enumerate(_COUNT_COLS):
        cube[:, i] = np.bincount(cell, weights=cols[name], minlength=cube.shape[0])
    cube[:, -1] = np.bincount(cell, weights=gmv, minlength=cube.shape[0])
    return df, cube


def _orders_frame(m: _Market, frames: list[pd.DataFrame]) -> pd.DataFrame:
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        {k: pd.Series(dtype=t) for k, t in (("_j", "int64"), ("ts", "int64"), ("user", "int64"), ("pf", "int8"),
                                            ("sku", "int32"), ("units", "int64"), ("price_paid", float),
                                            ("src", "int8"))})
    df = df.sort_values(["ts", "_j"], kind="stable").reset_index(drop=True)
    return pd.DataFrame({
        "order_id": pc.binary_join_element_wise(
            "O", pc.utf8_lpad(pc.cast(pa.array(np.arange(len(df), dtype=np.int64)), pa.string()), 9, "0"), ""
        ).to_pandas(),
        "ts": pd.to_datetime(df["ts"].to_numpy(), unit="us"),
        "user_id": m.user_ids.take(pa.array(df["user"].to_numpy())).to_pandas(),
        "platform": np.asarray(PLATFORMS, dtype=object)[df["pf"].to_numpy()],
        "sku_id": m.sku_ids[df["sku"].to_numpy()],
        "units": df["units"].to_numpy(np.int64),
        "price_paid": df["price_paid"].to_numpy(float),
        "source": np.asarray(SOURCES, dtype=object)[df["src"].to_numpy()],
        "session_id": pc.binary_join_element_wise("s", pc.cast(pa.array(df["_j"].to_numpy()), pa.string()),
                                                  "").to_pandas(),
    })
