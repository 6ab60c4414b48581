"""The market a channel run draws from (``_Market``): products, users, days and every planted rate as
arrays, and the stacked cumulative tables it draws categories from."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from upmarket.contract.codes import price_band
from upmarket.twin.channels.params import (
    _US_DAY,
    BANDS,
    FOCAL_MAKER_BRANDS,
    SEGMENTS,
    SELLING,
    STAGE_EPOCH_MONDAY,
    TIERS,
    FunnelParams,
    _day_weights,
    _promo_days,
    default_prices,
)


def _choose(cum_flat: np.ndarray, row: np.ndarray, width: int, u: np.ndarray) -> np.ndarray:
    """Vectorised categorical draw: row ``row`` of a stacked cumulative table (offset by row number)."""
    idx = np.searchsorted(cum_flat, row + u, side="right") - row * width
    return np.clip(idx, 0, width - 1)


def _stack_cum(p: np.ndarray) -> np.ndarray:
    """Rows of probabilities → the flat offset-cumulative table ``_choose`` reads."""
    p = np.asarray(p, float)
    p = p / p.sum(axis=-1, keepdims=True)
    cum = np.cumsum(p, axis=-1)
    cum[..., -1] = 1.0
    rows = np.arange(cum.size // cum.shape[-1], dtype=float).reshape((*cum.shape[:-1], 1))
    return (cum + rows).ravel()


class _Market:
    """Index arrays and probability tables built once from products and users."""

    def __init__(self, products: pd.DataFrame, users: pd.DataFrame, start: date, end: date,
                 prices: pd.DataFrame | None, params: FunnelParams) -> None:
        for name, df, cols in (("products", products, ("sku_id", "brand", "list_price")),
                               ("users", users, ("user_id", "city_tier", "_segment", "_price_sens"))):
            missing = [c for c in cols if c not in df.columns]
            if missing:
                raise ValueError(f"simulate_channels: {name} lacks column(s) {', '.join(missing)}")
        if end < start:
            raise ValueError(f"simulate_channels: end {end} is before start {start}")
        self.params = params
        self.start, self.end = start, end
        self.days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
        self.n_days = self.days.size
        self.start_us = int(np.datetime64(start, "us").astype(np.int64))
        self.end_us = self.start_us + self.n_days * _US_DAY  # exclusive

        # products
        self.sku_ids = products["sku_id"].astype(str).to_numpy()
        self.brands = tuple(sorted(products["brand"].astype(str).unique()))
        self.sku_brand = pd.Categorical(products["brand"].astype(str), categories=self.brands).codes.astype(np.int16)
        self.list_price = products["list_price"].to_numpy(dtype=float)
        bands = (products["_price_band"].astype(str) if "_price_band" in products
                 else pd.Series([price_band(p) for p in self.list_price]))
        self.sku_band = pd.Categorical(bands, categories=BANDS).codes.astype(np.int8)
        if (self.sku_band < 0).any():
            raise ValueError("simulate_channels: products._price_band has values outside " + ", ".join(BANDS))
        self.n_sku = self.sku_ids.size
        self.focal_sku = np.isin(products["brand"].astype(str).to_numpy(), FOCAL_MAKER_BRANDS)

        # users
        self.user_ids = pa.array(users["user_id"].astype(str).to_numpy(), type=pa.string())
        self.n_users = len(users)
        self.user_tier = pd.Categorical(users["city_tier"], categories=TIERS).codes.astype(np.int8)
        if (self.user_tier < 0).any():
            raise ValueError("simulate_channels: users.city_tier must be one of " + ", ".join(TIERS))
        seg = pd.Categorical(users["_segment"], categories=SEGMENTS).codes.astype(np.int8)
        if (seg < 0).any():
            raise ValueError("simulate_channels: users._segment must be one of " + ", ".join(SEGMENTS))
        sens = users["_price_sens"].to_numpy(dtype=float)
        # five price-sensitivity bins per segment (quantiles within the segment) → 20 taste groups
        self.n_sens = 5
        sens_bin = np.zeros(self.n_users, dtype=np.int8)
        self.group_sens = np.ones((len(SEGMENTS), self.n_sens))
        for s in range(len(SEGMENTS)):
            m = seg == s
            if m.any():
                q = np.quantile(sens[m], np.linspace(0, 1, self.n_sens + 1))
                b = np.clip(np.searchsorted(q[1:-1], sens[m], side="right"), 0, self.n_sens - 1)
                sens_bin[m] = b
                self.group_sens[s] = [sens[m][b == k].mean() if (b == k).any() else 1.0 for k in range(self.n_sens)]
        self.user_group = (seg.astype(np.int16) * self.n_sens + sens_bin).astype(np.int16)
        self.user_seg = seg
        female = (users["gender"].astype(str).to_numpy() == "f") if "gender" in users else np.zeros(self.n_users, bool)
        self.user_female = female
        young = (users["age_band"].astype(str).isin(["<18", "18-24", "25-34"]).to_numpy()
                 if "age_band" in users else np.zeros(self.n_users, bool))
        self.user_young = young

        # user activity: heavy-tailed, so some users come back (repeat purchases, Loyal stage)
        # a pool where each user appears in proportion to activity: O(1) draws (fixed, not the run's rng)
        act = np.exp(np.random.default_rng(0).normal(0.0, 0.8, self.n_users))
        reps = np.maximum(np.round(4.0 * act / act.mean()), 1).astype(np.int64)
        # the stage panel: a fixed random set of users, each with one brand, whose events come only from
        # the planted weekly stage chain (so their weekly stages are exactly the chain's)
        prng = np.random.default_rng(1)
        n_panel = round(params.stage_panel_share * self.n_users)
        if not 0 <= n_panel < self.n_users:
            raise ValueError("simulate_channels: stage_panel_share must be in [0, 1)")
        self.panel_users = np.sort(prng.choice(self.n_users, n_panel, replace=False)).astype(np.int64)
        reps[self.panel_users] = 0
        self.user_pool = np.repeat(np.arange(self.n_users, dtype=np.int32), reps)

        self._sku_tables(products)
        self._prices(prices)
        self.panel_brand = prng.integers(0, len(self.brands), n_panel).astype(np.int16)
        self.focal_brand = np.isin(np.asarray(self.brands), FOCAL_MAKER_BRANDS)
        # Monday-based weeks (as the analysis counts them): week of each day, first day and length of each week
        wk = (self.days - np.datetime64(STAGE_EPOCH_MONDAY)).astype(int) // 7
        _, self.week_first, self.week_len = np.unique(wk, return_index=True, return_counts=True)
        self.n_weeks = self.week_first.size
        self.day_w = _day_weights(self.days)
        is618, is11 = _promo_days(self.days)
        self.day_promo = is618 | is11

    def _sku_tables(self, products: pd.DataFrame) -> None:
        """Cumulative SKU choice probabilities per (taste group, month): segment brand and band tastes, price."""
        taste = {  # segment → brand → utility
            "value": {"Redmi": 1.4, "Xiaomi": 0.5, "Honor": 0.7, "OPPO": 0.4, "vivo": 0.5, "Huawei": 0.1,
                      "Apple": -0.3},
            "imaging": {"Xiaomi": 1.0, "vivo": 0.9, "OPPO": 0.8, "Huawei": 0.9, "Apple": 0.6, "Honor": 0.3,
                        "Redmi": 0.0},
            "gamer": {"Redmi": 1.1, "Xiaomi": 0.8, "Honor": 0.4, "OPPO": 0.3, "vivo": 0.4, "Apple": 0.3,
                      "Huawei": 0.2},
            "status": {"Apple": 1.3, "Huawei": 1.3, "Xiaomi": 0.6, "Honor": 0.3, "OPPO": 0.2, "vivo": 0.2,
                       "Redmi": -1.0},
        }
        band_taste = {  # segment → utility per band (<2000, 2000-3999, 4000-5999, 6000+)
            "value": (1.6, 1.0, -0.6, -2.0), "imaging": (-0.8, 0.3, 0.9, 0.8),
            "gamer": (0.2, 1.0, 0.6, -0.4), "status": (-2.0, -0.8, 0.6, 1.6),
        }
        logp = np.log(self.list_price / 3000.0)
        months = np.unique(self.days.astype("datetime64[M]"))
        self.months = months
        self.day_month = np.searchsorted(months, self.days.astype("datetime64[M]")).astype(np.int16)
        if "launch_date" in products and products["launch_date"].notna().any():
            launch = pd.to_datetime(products["launch_date"]).to_numpy().astype("datetime64[D]")
            nat = np.isnat(launch)
            avail = nat[None, :] | (launch[None, :] <= months.astype("datetime64[D]")[:, None])
        else:
            avail = np.ones((months.size, self.n_sku), bool)
        empty = ~avail.any(axis=1)
        avail[empty] = True  # a month before any launch: fall back to the whole line-up
        n_g = len(SEGMENTS) * self.n_sens
        util = np.zeros((n_g, self.n_sku))
        for s, name in enumerate(SEGMENTS):
            bt = np.array([taste[name].get(b, 0.0) for b in self.brands])[self.sku_brand]
            bd = np.array(band_taste[name])[self.sku_band]
            for k in range(self.n_sens):
                util[s * self.n_sens + k] = bt + bd - 0.6 * self.group_sens[s, k] * logp
        p = np.exp(util - util.max(axis=1, keepdims=True))[:, None, :] * avail[None, :, :]
        p /= p.sum(axis=2, keepdims=True)
        cum = np.cumsum(p, axis=2)
        cum[:, :, -1] = 1.0
        self.n_months = months.size
        gm = np.arange(n_g * self.n_months, dtype=float).reshape(n_g, self.n_months, 1)
        self.sku_cum_flat = (cum + gm).ravel()
        self.sku_choice = p  # for truth/diagnostics
        # stage panel purchases: a SKU of the brand on sale that month, uniformly (rows = month × brand)
        own = self.sku_brand[None, :] == np.arange(len(self.brands))[:, None]  # brand × sku
        w = avail[:, None, :] & own[None, :, :]
        w = np.where(w.any(axis=2, keepdims=True), w, own[None, :, :]).astype(float)
        self.brand_sku_cum = _stack_cum(w.reshape(-1, self.n_sku))

    def _prices(self, prices: pd.DataFrame | None) -> None:
        """Unit price per (day, selling platform, sku): listings when given, the default promo rule otherwise."""
        base, _ = default_prices(self.list_price, self.days)
        mat = np.repeat(base[:, None, :], len(SELLING), axis=1)
        if prices is not None and len(prices):
            d = (pd.to_datetime(prices["date"]).to_numpy().astype("datetime64[D]") - self.days[0]).astype(int)
            pf = pd.Categorical(prices["platform"], categories=SELLING).codes
            sku = pd.Categorical(prices["sku_id"].astype(str), categories=self.sku_ids).codes
            ok = (d >= 0) & (d < self.n_days) & (pf >= 0) & (sku >= 0)
            mat[d[ok], pf[ok], sku[ok]] = prices["price"].to_numpy(dtype=float)[ok]
        self.price = mat
