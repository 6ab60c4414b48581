"""Users' journeys over the online channels → ``events`` (parts), ``traffic`` and ``orders``.

Why a journey model: the funnel analysis must recover rates that were *planted*, and every
channel table must agree with every other. So the twin draws journeys — one user, one SKU of
interest, one day, one platform, one traffic source — and each journey emits its events;
``traffic`` is then the exact per-day aggregate of those events and ``orders`` the order events.

Journey kinds
-------------
* **shop** (jd, tmall, mistore, douyin): ``search`` (brand-level, when the source is search) or
  ``live_view`` (douyin, source live) → one ``impression`` of the SKU → ``click`` (1 + Poisson
  page views) → ``favorite`` / ``cart`` / ``order`` (each independent given the click) → after an
  order, ``review`` and ``share`` (the Loyal stage, a few days later). mistore sells only the
  focal maker's brands.
* **content** (douyin, xiaohongshu): ``content_view`` (of a SKU or brand-level), ``live_view``,
  ``search``, ``share``, ``follow`` — no traffic rows.
* **种草 → 拔草**: a share of shop journeys on jd/tmall/mistore (planted per city tier) is preceded
  by a ``content_view`` of the same SKU on douyin/xiaohongshu 10 minutes to 6.9 days earlier,
  and those journeys convert ``path_lift`` times more often.
* **stage panel**: a few users (``stage_panel_share``, one brand each) make no journeys; their weekly
  AIPL stage follows a planted Markov chain (``stage_chain``) and each active week emits exactly the
  events of its stage (see ``_simulate_panel``), so the analysis's week-to-week transitions can be
  checked against a known matrix.

Planted funnel: ``P(click | impression) = ctr[platform] × m_tier × m_source × m_band × m_promo``;
``P(favorite | click)``, ``P(cart | click)``, ``P(order | click)`` likewise (premium converts less).

``traffic`` definitions (per date × platform × sku_id × city_tier × source; exact from events):
impressions = impression events; clicks = sessions with a click; page_views = click events;
visitors = distinct users who clicked; favorites / add_to_carts / buyers = distinct users with a
favorite / cart / order event; orders = order events; units and gmv from the order lines.

Journeys are generated in chunks of whole days (so distinct-user counts per day are exact
within a chunk); each chunk becomes one Parquet part of ``events`` and a slice of ``traffic``:
memory is constant whatever ``n_events``. A writer thread encodes the previous chunk's Parquet
while NumPy draws the next one.

Truth (``ChannelResult.truth``): ``funnel[platform]`` — the realised rates on ``traffic`` (CTR =
clicks/impressions, favorite_rate = favorites/visitors, cart_rate = add_to_carts/visitors,
visit_to_buy = buyers/visitors, summed over every row of the platform; exact); ``funnel_params`` —
the planted expectations and the structural base rates and multipliers; ``funnel_detail`` —
realised rates by platform × city tier / source / price band; ``paths`` — 种草 → 拔草 buyer share
and conversion lift by city tier, recomputed exactly from the events (streamed, see
``_PathTracker``); ``stages`` — users at each highest AIPL stage per brand, and ``transitions`` (the
stage panel's planted, expected and realised week-to-week matrices); ``consistency`` —
counts for cross-table checks.
"""

from __future__ import annotations

import itertools
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from upmarket.progress import Progress, ensure
from upmarket.twin.channels.journeys import _gen_chunk
from upmarket.twin.channels.market import _Market
from upmarket.twin.channels.params import (
    _E,
    _EVENT_STAGE,
    _P,
    BANDS,
    EVENTS,
    PLATFORMS,
    SEARCH_SHOPS,
    SELLING,
    SOURCES,
    STAGES,
    TIERS,
    ChannelResult,
    FunnelParams,
    default_prices,
)
from upmarket.twin.channels.stages import TRANSITION_DEFINITION, _simulate_panel
from upmarket.twin.channels.tables import _COUNT_COLS, _events_table, _orders_frame, _traffic_chunk
from upmarket.twin.channels.truth import PATH_DEFINITION, _PathTracker, _truth
from upmarket.twin.writer import TableWriter

__all__ = ["PATH_DEFINITION", "PLATFORMS", "SELLING", "TRANSITION_DEFINITION", "ChannelResult", "FunnelParams",
           "default_prices", "simulate_channels"]


# ----------------------------------------------------------------------------------------------
# public entry point


def _expected_events_per_journey(m: _Market, rng: np.random.Generator) -> float:
    """Mean events per journey, from a pilot chunk (not written) — sizes the run to ``n_events``."""
    day = np.sort(rng.integers(0, m.n_days, 20_000))
    return max(_gen_chunk(m, rng, day, 0)["events"][0].size / day.size, 1e-9)


def simulate_channels(
    products: pd.DataFrame,
    users: pd.DataFrame,
    *,
    rng: np.random.Generator,
    n_events: int,
    out_dir: Path,
    start: date,
    end: date,
    progress: Progress | None = None,
    prices: pd.DataFrame | None = None,
    params: FunnelParams | None = None,
    chunk_journeys: int = 250_000,
) -> ChannelResult:
    """Simulate journeys and write ``events`` (Parquet parts), ``traffic`` and ``orders`` into ``out_dir``.

    Parameters
    ----------
    products, users : twin-core's frames (contract columns plus ``_price_band`` / ``_segment``, ``_price_sens``).
    rng : the generator of this part of the twin; same state → same bytes.
    n_events : target number of events (met within about 1%).
    start, end : observation period, inclusive (naive Beijing time).
    prices : optional listings-shaped frame (date, platform, sku_id, price) — order prices follow it so
        ``orders`` agree with ``listings``; otherwise :func:`default_prices`.
    params : the planted funnel; defaults to :class:`FunnelParams`.
    chunk_journeys : journeys per chunk (whole days per chunk); bounds memory.
    """
    params = params or FunnelParams()
    out_dir = Path(out_dir)
    m = _Market(products, users, start, end, prices, params)
    per_journey = _expected_events_per_journey(m, np.random.default_rng(rng.integers(2**63)))
    panel = _simulate_panel(m, rng)
    # panel events: 1 (aware), 2 (interest, loyal), impression + click(s) + order (+ search, fav, cart) ≈ 3.6
    st = panel["state"]
    panel_events = (st == 1).sum() + 2 * np.isin(st, (2, 4)).sum() + 3.6 * (st == 3).sum()
    n_journeys = max(round((n_events - panel_events) / per_journey), 1)
    p_day = panel["day"]
    per_day = rng.multinomial(n_journeys, m.day_w / m.day_w.sum())
    # chunks of whole days, about chunk_journeys each
    bounds = [0]
    cum = np.cumsum(per_day)
    while bounds[-1] < m.n_days:
        lo = bounds[-1]
        hi = int(np.searchsorted(cum, (cum[lo - 1] if lo else 0) + chunk_journeys, side="right"))
        bounds.append(min(max(hi, lo + 1), m.n_days))
    task = ensure(progress).task("channels: events", total=n_journeys)

    n_t, n_s, n_b = len(TIERS), len(SOURCES), len(BANDS)
    cube = np.zeros((len(SELLING) * n_t * n_s * n_b, len(_COUNT_COLS) + 1))
    expected = np.zeros((len(SELLING), 5))  # Σ impressions, Σp_click, Σp_click·p_fav, ·p_cart, ·p_order
    reached = np.zeros((len(STAGES), len(m.brands), m.n_users), dtype=bool)
    n_orders_bu = np.zeros((len(m.brands), m.n_users), dtype=np.uint16)
    seed_stats = np.zeros((n_t, 4))  # planted: shop journeys on search shops, seeded, orders, seeded orders
    ev_counts = np.zeros(len(EVENTS), np.int64)
    order_frames: list[pd.DataFrame] = []
    n_written = 0
    jid = 0
    w_events = TableWriter(out_dir, "events", parts=True)
    w_traffic = TableWriter(out_dir, "traffic")
    paths = _PathTracker(m, params.path_window_days)

    def write(ev_table: pa.Table, tr_table: pa.Table) -> int:
        if tr_table.num_rows:
            w_traffic.write(tr_table)
        return w_events.write(ev_table)

    # one writer thread: Parquet encoding (GIL released) overlaps the next chunk's NumPy work; the
    # single worker keeps part order, so output stays deterministic
    pending: Future[int] | None = None
    with ThreadPoolExecutor(max_workers=1) as pool:
        for lo, hi in itertools.pairwise(bounds):
            day = np.repeat(np.arange(lo, hi, dtype=np.int32), per_day[lo:hi])
            a, b = np.searchsorted(p_day, [lo, hi])
            if day.size == 0 and a == b:
                continue
            g = _gen_chunk(m, rng, day, jid, {k: panel[k][a:b] for k in ("user", "brand", "state", "day")})
            g["last_day"] = hi - 1
            paths.add(g)
            jid += g["n"]
            ev_table = _events_table(m, g)
            tdf, tcube = _traffic_chunk(m, g)
            cube += tcube
            if pending is not None:
                n_written += pending.result()
            pending = pool.submit(write, ev_table, tdf)
            del ev_table, tdf

            s = g["shop"]
            pr = s["prob"]
            for i in range(len(SELLING)):
                k = s["pf"] == i
                expected[i] += [k.sum(), pr[k, 0].sum(), (pr[k, 0] * pr[k, 1]).sum(), (pr[k, 0] * pr[k, 2]).sum(),
                                (pr[k, 0] * pr[k, 3]).sum()]
            k = np.isin(s["pf"], [_P[p] for p in SEARCH_SHOPS])
            seed_stats += np.stack([
                np.bincount(s["tier"][k], minlength=n_t),
                np.bincount(s["tier"][k], weights=s["seeded"][k], minlength=n_t),
                np.bincount(s["tier"][k], weights=s["order"][k], minlength=n_t),
                np.bincount(s["tier"][k], weights=(s["order"] & s["seeded"])[k], minlength=n_t),
            ], axis=1)

            ev, ebrand, euser = g["events"][1], g["events"][5], g["events"][8]
            ev_counts += np.bincount(ev, minlength=len(EVENTS))
            stage = np.array([_EVENT_STAGE[e] for e in EVENTS], np.int8)[ev]
            for st in range(len(STAGES)):
                k = stage == st
                reached[st, ebrand[k], euser[k]] = True
            k = ev == _E["order"]
            np.add.at(n_orders_bu, (ebrand[k], euser[k]), 1)

            o = g["orders"]
            order_frames.append(pd.DataFrame({
                "_j": o["j"] + g["jid0"], "ts": o["ts"], "user": o["user"], "pf": o["pf"], "sku": o["sku"],
                "units": o["units"], "price_paid": o["price"], "src": o["src"],
            }))
            task.advance(day.size)
        if pending is not None:
            n_written += pending.result()
    w_events.close()
    n_traffic = w_traffic.close()

    orders = _orders_frame(m, order_frames)
    w = TableWriter(out_dir, "orders")
    w.write(orders)
    w.close()

    truth = _truth(m, cube, expected, reached, n_orders_bu, seed_stats, ev_counts, n_written, n_traffic, orders)
    truth["paths"] = paths.finish(truth.pop("paths_planted"))
    truth["stages"]["transitions"] = panel["truth"]
    return ChannelResult(orders=orders, truth=truth)
