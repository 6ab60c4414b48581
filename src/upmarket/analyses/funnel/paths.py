"""Cross-platform paths (种草 → 拔草), 回搜率 and the 种草 stage, and the event-log sanity checks.

Definitions (open and re-computable; the platforms keep theirs as black boxes):

* **visit**: a session on a shop platform (jd, tmall, mistore by default) with a click or an order.
* **seeded visit**: the user viewed content (``content_view`` or ``live_view``) of the *same SKU*
  on a content platform (douyin, xiaohongshu) within ``window_days`` before the visit's first click.
* **buyer_share**: of visits with an order, the share whose user viewed such content within the
  window before the order; **lift**: conversion (visits with an order / visits) of seeded visits
  divided by that of the other visits — by city tier and overall.
* **回搜率** (re-search rate): of users who viewed a brand's content on a content platform, the
  share who searched the brand (any platform) within the window after their first view.
* **种草** (seeded): of those viewers, the users who searched, favourited, followed or carted the
  brand within the window after their first view; **种草 conversion**: the share of seeded users
  who ordered the brand within the window after their first view.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd

from upmarket.analyses.funnel.rates import wilson
from upmarket.analyses.funnel.stages import branded_events
from upmarket.contract.codes import EVENT

if TYPE_CHECKING:
    import ibis.expr.types as ir

SHOPS: tuple[str, ...] = ("jd", "tmall", "mistore")
CONTENT: tuple[str, ...] = ("douyin", "xiaohongshu")
VIEWS: tuple[str, ...] = ("content_view", "live_view")
INTEREST: tuple[str, ...] = ("search", "favorite", "follow", "cart")


def _days(n: int) -> ir.IntervalValue:
    return ibis.interval(days=int(n))


def visits(events: ir.Table, shops: Sequence[str] = SHOPS) -> ir.Table:
    """One row per shop session: user, SKU, first click and first order time."""
    e = events.filter(events.platform.isin(list(shops)) & events.event.isin(["click", "order"])
                      & events.session_id.notnull())
    return e.group_by("session_id").aggregate(
        user_id=e.user_id.arbitrary(), sku_id=e.sku_id.arbitrary(), platform=e.platform.arbitrary(),
        t_click=e.ts.min(where=e.event == "click"), t_order=e.ts.min(where=e.event == "order"))


def path_flags(events: ir.Table, window_days: int = 7, shops: Sequence[str] = SHOPS,
               content: Sequence[str] = CONTENT) -> ir.Table:
    """Per shop session: bought, seeded_visit, seeded_order (see the module docstring)."""
    v = visits(events, shops)
    s = events.filter(events.platform.isin(list(content)) & events.event.isin(list(VIEWS))
                      & events.sku_id.notnull())
    s = s.select(s_user="user_id", s_sku="sku_id", s_ts="ts")
    first = ibis.least(v.t_click, v.t_order)
    last = ibis.coalesce(v.t_order, v.t_click)
    v = v.mutate(t_first=first, t_last=last)
    j = v.left_join(s, [v.user_id == s.s_user, v.sku_id == s.s_sku, s.s_ts < v.t_last,
                        s.s_ts >= v.t_first - _days(window_days)])
    in_click = (j.s_ts < j.t_click) & (j.s_ts >= j.t_click - _days(window_days))
    in_order = (j.s_ts < j.t_order) & (j.s_ts >= j.t_order - _days(window_days))
    return j.group_by(["session_id", "user_id", "platform", "t_click", "t_order"]).aggregate(
        seeded_visit=ibis.coalesce(in_click.any(), False),
        seeded_order=ibis.coalesce(in_order.any(), False),
    ).mutate(bought=lambda t: t.t_order.notnull())


def path_counts(flags: ir.Table, users: ir.Table | None) -> ir.Table:
    """Visits, seeded visits, buys, seeded buys and seeded orders by city tier."""
    f = flags
    if users is not None:
        u = users.select("user_id", "city_tier").distinct(on="user_id", keep="first")
        f = f.left_join(u, "user_id").drop("user_id_right")
        tier = ibis.coalesce(f.city_tier.nullif(""), ibis.literal("unknown"))
    else:
        tier = ibis.literal("unknown")
    f = f.mutate(city_tier=tier)
    as_int = lambda b: ibis.ifelse(b, 1, 0).cast("int64")  # noqa: E731
    return f.group_by("city_tier").aggregate(
        visits=f.count().cast("int64"),
        seeded_visits=as_int(f.seeded_visit).sum(),
        buys=as_int(f.bought).sum(),
        seeded_buys=as_int(f.bought & f.seeded_visit).sum(),
        seeded_orders=as_int(f.seeded_order).sum(),
    )


def path_table(counts: pd.DataFrame) -> pd.DataFrame:
    """Buyer share and conversion lift by tier plus an ``all`` row, with Wilson intervals on the shares."""
    c = counts.copy()
    tot = c.drop(columns="city_tier").sum().to_frame().T.assign(city_tier="all")
    c = pd.concat([c, tot], ignore_index=True)
    for col in ("visits", "seeded_visits", "buys", "seeded_buys", "seeded_orders"):
        c[col] = c[col].astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        c["buyer_share"] = np.where(c["buys"] > 0, c["seeded_orders"] / c["buys"], np.nan)
        c["conversion_seeded"] = np.where(c["seeded_visits"] > 0, c["seeded_buys"] / c["seeded_visits"], np.nan)
        unseeded = c["visits"] - c["seeded_visits"]
        c["conversion_unseeded"] = np.where(unseeded > 0, (c["buys"] - c["seeded_buys"]) / unseeded, np.nan)
        c["lift"] = c["conversion_seeded"] / c["conversion_unseeded"]
    c["buyer_share_low"], c["buyer_share_high"] = wilson(c["seeded_orders"], c["buys"])
    c["lift_low"], c["lift_high"] = _lift_ci(c)
    return c


def _lift_ci(c: pd.DataFrame, z: float = 1.6448536269514722) -> tuple[np.ndarray, np.ndarray]:
    """90% interval of a ratio of two proportions (log method, Katz)."""
    a, n1 = c["seeded_buys"].to_numpy(float), c["seeded_visits"].to_numpy(float)
    b, n2 = (c["buys"] - c["seeded_buys"]).to_numpy(float), (c["visits"] - c["seeded_visits"]).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n2)
        lift = (a / n1) / (b / n2)
        ok = (a > 0) & (b > 0)
        return np.where(ok, lift * np.exp(-z * se), np.nan), np.where(ok, lift * np.exp(z * se), np.nan)


def seeding_counts(events: ir.Table, products: ir.Table | None, window_days: int = 7,
                   content: Sequence[str] = CONTENT) -> ir.Table:
    """Per content platform × brand: content viewers, re-searchers (回搜), seeded (种草) users, seeded buyers."""
    e = branded_events(events, products)
    v = e.filter(e.platform.isin(list(content)) & e.event.isin(list(VIEWS)))
    first = v.group_by(["platform", "brand", "user_id"]).aggregate(t0=v.ts.min())
    later = e.filter(e.event.isin([*INTEREST, "order"])).select(
        l_user="user_id", l_brand="brand", l_ts="ts", l_event="event")
    j = first.left_join(later, [first.user_id == later.l_user, first.brand == later.l_brand,
                                later.l_ts > first.t0, later.l_ts <= first.t0 + _days(window_days)])
    per_user = j.group_by(["platform", "brand", "user_id"]).aggregate(
        searched=ibis.coalesce((j.l_event == "search").any(), False),
        seeded=ibis.coalesce(j.l_event.isin(list(INTEREST)).any(), False),
        ordered=ibis.coalesce((j.l_event == "order").any(), False),
    )
    as_int = lambda b: ibis.ifelse(b, 1, 0).cast("int64")  # noqa: E731
    return per_user.group_by(["platform", "brand"]).aggregate(
        viewers=per_user.count().cast("int64"),
        re_searchers=as_int(per_user.searched).sum(),
        seeded=as_int(per_user.seeded).sum(),
        seeded_buyers=as_int(per_user.seeded & per_user.ordered).sum(),
    )


def seeding_table(counts: pd.DataFrame) -> pd.DataFrame:
    """回搜率, 种草 rate and 种草 conversion with Wilson intervals."""
    c = counts.copy()
    for name, num, den in (("research_rate", "re_searchers", "viewers"), ("seeded_rate", "seeded", "viewers"),
                           ("seeded_conversion", "seeded_buyers", "seeded")):
        n = c[den].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            c[name] = np.where(n > 0, c[num] / n, np.nan)
        c[f"{name}_low"], c[f"{name}_high"] = wilson(c[num], n)
    return c.sort_values(["platform", "brand"]).reset_index(drop=True)


# --------------------------------------------------------------------------- bad input in the event log
def event_checks(events: ir.Table, users: ir.Table | None) -> ir.Table:
    """One row of counts: events, unknown event codes, events of users missing from ``users``."""
    e = events
    out = {"events": e.count().cast("int64"),
           "unknown_event": ibis.ifelse(~e.event.isin(list(EVENT.codes)), 1, 0).sum().cast("int64")}
    if users is not None:
        u = users.select(known_user="user_id").distinct()
        e = e.left_join(u, e.user_id == u.known_user)
        out = {"events": e.count().cast("int64"),
               "unknown_event": ibis.ifelse(~e.event.isin(list(EVENT.codes)), 1, 0).sum().cast("int64"),
               "unknown_user_events": ibis.ifelse(e.known_user.isnull(), 1, 0).sum().cast("int64"),
               "unknown_users": e.user_id.nunique(where=e.known_user.isnull()).cast("int64")}
    return e.aggregate(**out)


def order_checks(flags: ir.Table) -> ir.Table:
    """Shop sessions with an order and no click before it, and those whose click follows the order by 1–24 h.

    The second kind is the signature of mixed time zones (e.g. UTC orders against Beijing-time clicks).
    """
    f = flags.filter(flags.t_order.notnull())
    no_visit = f.t_click.isnull() | (f.t_click > f.t_order)
    shifted = (f.t_click > f.t_order + ibis.interval(hours=1)) & (f.t_click <= f.t_order + ibis.interval(hours=24))
    return f.aggregate(
        sessions_with_order=f.count().cast("int64"),
        order_without_visit=ibis.ifelse(no_visit, 1, 0).sum().cast("int64"),
        click_after_order_1_24h=ibis.ifelse(shifted, 1, 0).sum().cast("int64"),
    )
