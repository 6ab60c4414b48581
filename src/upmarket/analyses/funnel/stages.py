"""Consumer-asset stages (AIPL) per brand and week, the week-to-week transition matrix, and one stage language.

upmarket's stages, from events (a user's stage for a brand in a week is the highest reached):

* ``aware``: impression, content_view, live_view
* ``interest``: search, click, favorite, follow, cart
* ``purchase``: order
* ``loyal``: review, share, or a repeat purchase (an order of the brand when the user ordered it
  in an earlier week, or two orders in the same week)

A brand is the SKU's brand from ``products`` (else the event's own ``brand``: brand-level
searches and content views). Weeks are Monday-based (Beijing time, as stored). Transitions run
from each active week to the next week's stage (``none`` when inactive), split into new and
returning customers (ordered the brand by that week or not): the twin plants exactly this
(``upmarket.twin.channels``, stage panel; docs/funnel.md).

``PLATFORM_STAGE_MAP`` maps each platform's own stage model (Alibaba AIPL, Ocean Engine O-5A,
JD 4A, Xiaohongshu A0–A5) onto these stages; the definitions are ours and re-computable, the
platforms' are black boxes, so the mapping is of meaning, not of numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd

from upmarket.analyses.funnel.rates import wilson

if TYPE_CHECKING:
    import ibis.expr.types as ir

STAGES: tuple[str, ...] = ("none", "aware", "interest", "purchase", "loyal")
"""Stage names by level; ``none`` = no activity for the brand that week."""

EVENT_STAGE: dict[str, int] = {
    "impression": 1, "content_view": 1, "live_view": 1,
    "search": 2, "click": 2, "favorite": 2, "follow": 2, "cart": 2,
    "order": 3,
    "review": 4, "share": 4,
}
"""Stage level each event code reaches (repeat orders are promoted to loyal separately)."""

EPOCH_MONDAY = "2000-01-03"
"""A Monday: week numbers count whole weeks from it (integer keys join the same on every engine)."""

PLATFORM_STAGE_MAP: tuple[dict[str, str], ...] = (
    # Alibaba 数据银行 AIPL
    {"model": "AIPL", "owner": "Alibaba 数据银行", "code": "A", "name_zh": "认知", "name_en": "Awareness",
     "stage": "aware", "definition": "impression, content_view or live_view of the brand"},
    {"model": "AIPL", "owner": "Alibaba 数据银行", "code": "I", "name_zh": "兴趣", "name_en": "Interest",
     "stage": "interest", "definition": "search, click, favorite, follow or cart"},
    {"model": "AIPL", "owner": "Alibaba 数据银行", "code": "P", "name_zh": "购买", "name_en": "Purchase",
     "stage": "purchase", "definition": "order"},
    {"model": "AIPL", "owner": "Alibaba 数据银行", "code": "L", "name_zh": "忠诚", "name_en": "Loyalty",
     "stage": "loyal", "definition": "repeat order, review or share"},
    # Ocean Engine 巨量云图 O-5A
    {"model": "O-5A", "owner": "Ocean Engine 巨量云图", "code": "O", "name_zh": "机会人群", "name_en": "Opportunity",
     "stage": "none", "definition": "not observed: the platform's modelled lookalike pool"},
    {"model": "O-5A", "owner": "Ocean Engine 巨量云图", "code": "A1", "name_zh": "了解", "name_en": "Aware",
     "stage": "aware", "definition": "impression, content_view or live_view of the brand"},
    {"model": "O-5A", "owner": "Ocean Engine 巨量云图", "code": "A2", "name_zh": "吸引", "name_en": "Appeal",
     "stage": "interest", "definition": "click or follow (light engagement)"},
    {"model": "O-5A", "owner": "Ocean Engine 巨量云图", "code": "A3", "name_zh": "问询（种草）",
     "name_en": "Ask (seeded)", "stage": "interest",
     "definition": "search, favorite or cart after a content view (see 种草 metrics)"},
    {"model": "O-5A", "owner": "Ocean Engine 巨量云图", "code": "A4", "name_zh": "行动", "name_en": "Act",
     "stage": "purchase", "definition": "order"},
    {"model": "O-5A", "owner": "Ocean Engine 巨量云图", "code": "A5", "name_zh": "拥护", "name_en": "Advocate",
     "stage": "loyal", "definition": "repeat order, review or share"},
    # JD 4A
    {"model": "4A", "owner": "JD 京东数坊", "code": "Aware", "name_zh": "认知", "name_en": "Aware",
     "stage": "aware", "definition": "impression, content_view or live_view"},
    {"model": "4A", "owner": "JD 京东数坊", "code": "Appeal", "name_zh": "吸引", "name_en": "Appeal",
     "stage": "interest", "definition": "search, click, favorite, follow or cart"},
    {"model": "4A", "owner": "JD 京东数坊", "code": "Act", "name_zh": "行动", "name_en": "Act",
     "stage": "purchase", "definition": "order"},
    {"model": "4A", "owner": "JD 京东数坊", "code": "Advocate", "name_zh": "拥护", "name_en": "Advocate",
     "stage": "loyal", "definition": "repeat order, review or share"},
    # Xiaohongshu 灵犀 A0–A5 (the stage names vary between the platform's decks; meanings as mapped here)
    {"model": "A0-A5", "owner": "Xiaohongshu 灵犀", "code": "A0", "name_zh": "潜在人群", "name_en": "Potential",
     "stage": "none", "definition": "not observed: interest-tag audience without brand contact"},
    {"model": "A0-A5", "owner": "Xiaohongshu 灵犀", "code": "A1", "name_zh": "曝光触达", "name_en": "Reached",
     "stage": "aware", "definition": "content_view of the brand's notes"},
    {"model": "A0-A5", "owner": "Xiaohongshu 灵犀", "code": "A2", "name_zh": "互动", "name_en": "Engaged",
     "stage": "interest", "definition": "follow, favorite (收藏) or click"},
    {"model": "A0-A5", "owner": "Xiaohongshu 灵犀", "code": "A3", "name_zh": "深度种草", "name_en": "Seeded",
     "stage": "interest", "definition": "search of the brand after a content view (回搜)"},
    {"model": "A0-A5", "owner": "Xiaohongshu 灵犀", "code": "A4", "name_zh": "购买", "name_en": "Bought",
     "stage": "purchase", "definition": "order on any platform"},
    {"model": "A0-A5", "owner": "Xiaohongshu 灵犀", "code": "A5", "name_zh": "复购/分享", "name_en": "Loyal",
     "stage": "loyal", "definition": "repeat order, review or share"},
)


def stage_map() -> pd.DataFrame:
    """The platform stage models mapped onto upmarket's stages, as a table for the report."""
    return pd.DataFrame(list(PLATFORM_STAGE_MAP))


def branded_events(events: ir.Table, products: ir.Table | None) -> ir.Table:
    """Events with a ``brand`` (the SKU's from products, else the event's) and a stage ``level``."""
    e = events.filter(events.event.isin(list(EVENT_STAGE)))
    if products is not None:
        p = products.group_by("sku_id").aggregate(p_brand=products.brand.arbitrary())
        e = e.left_join(p, "sku_id").drop("sku_id_right")
        brand = ibis.coalesce(e.p_brand, e.brand.nullif(""))
    else:
        brand = e.brand.nullif("")
    level = ibis.cases(*((e.event == ev, lv) for ev, lv in EVENT_STAGE.items()), else_=0)
    e = e.mutate(brand=brand, level=level.cast("int8"))
    return e.filter(e.brand.notnull())


def week_number(ts: ir.TimestampValue) -> ir.IntegerValue:
    """Whole weeks since the Monday ``EPOCH_MONDAY`` (Monday-based weeks, any engine)."""
    return (ts.date().delta(ibis.date(EPOCH_MONDAY), unit="day") // 7).cast("int64")


def weekly_stages(events: ir.Table, products: ir.Table | None) -> ir.Table:
    """One row per (brand, user_id, wk): the highest stage ``level`` that week (repeat orders → loyal),
    ``bought`` (1 when the user has ordered the brand in this week or an earlier one), ``next_level``
    (the stage in week wk + 1, 0 when inactive then) and ``last_wk`` (the data's last week).

    No window: both rules need only the user's first order week of the brand (``fw``): ``bought`` =
    wk ≥ fw, and an order week is a repeat when wk > fw or it has two orders. The weekly aggregate is
    the one shared subexpression (a CTE on SQL engines): a self-join on wk + 1 gives the next week and
    a small aggregate of its order weeks gives ``fw`` — hash joins, no sort of every (brand, user, week)
    row, which a window needs (and which spills at 100M events); the events are scanned once.
    """
    e = branded_events(events, products)
    e = e.mutate(wk=week_number(e.ts))
    w = e.group_by(["brand", "user_id", "wk"]).aggregate(
        raw=e.level.max().cast("int64"), n_orders=(e.event == "order").sum().cast("int64"))
    last = w.wk.max().as_scalar()
    nxt = w.select("brand", "user_id", wk=(w.wk - 1).cast("int64"), next_raw=w.raw, next_orders=w.n_orders)
    o = w.filter(w.n_orders > 0)
    first = o.group_by(["brand", "user_id"]).aggregate(fw=o.wk.min())
    w = w.left_join(nxt, ["brand", "user_id", "wk"]).drop("brand_right", "user_id_right", "wk_right")
    w = w.left_join(first, ["brand", "user_id"]).drop("brand_right", "user_id_right")
    has_first = w.fw.notnull()
    repeat = (w.n_orders > 0) & ((has_first & (w.wk > w.fw)) | (w.n_orders >= 2))
    next_repeat = (w.next_orders > 0) & ((has_first & (w.wk + 1 > w.fw)) | (w.next_orders >= 2))
    return w.select(
        "brand", "user_id", "wk",
        level=ibis.ifelse(repeat, 4, w.raw).cast("int64"),
        bought=ibis.ifelse(has_first & (w.wk >= w.fw), 1, 0).cast("int64"),
        next_level=ibis.coalesce(ibis.ifelse(next_repeat, 4, w.next_raw), 0).cast("int64"),
        last_wk=last.cast("int64"),
    )


def _rows(t: ir.Table) -> ir.IntegerScalar:
    """Row count of ``t``, or the sum of its ``n`` when ``t`` is :func:`stage_cells` (already counted)."""
    return (t.n.sum() if "n" in t.columns else t.count()).cast("int64")


def stage_cells(weekly: ir.Table) -> ir.Table:
    """(brand, wk, level, next_level, bought) counts of :func:`weekly_stages`: a few thousand rows that
    :func:`stage_sizes` and :func:`transitions` both sum, so the events are scanned once for both."""
    return weekly.group_by(["brand", "wk", "level", "next_level", "bought", "last_wk"]).aggregate(n=_rows(weekly))


def stage_sizes(weekly: ir.Table) -> ir.Table:
    """Users per (brand, week, stage level), from :func:`weekly_stages` or :func:`stage_cells`."""
    return weekly.group_by(["brand", "wk", "level"]).aggregate(users=_rows(weekly))


def transitions(weekly: ir.Table, last_wk: int | None = None) -> ir.Table:
    """Counts of (brand, from level in week w, to level in week w+1, bought); to level 0 = inactive next week.
    ``weekly`` is :func:`weekly_stages` or its :func:`stage_cells`.

    ``bought`` = 1 when the user had ordered the brand by the end of week w: a returning customer,
    whose next order is a repeat (loyal), so their purchase column differs by definition from a new one's.
    The last observed week is left out as a *from* week: its next week is not observed (censored).
    The next week's level and the last week come with ``weekly`` (:func:`weekly_stages`: ``next_level``,
    ``last_wk``); pass ``last_wk`` when ``weekly`` is a subset of users (their last active week is not
    the data's).
    """
    last = weekly.last_wk if last_wk is None else ibis.literal(int(last_wk), "int64")
    w = weekly.filter(weekly.wk < last)
    w = w.mutate(from_level=w.level, to_level=w.next_level)
    return w.group_by(["brand", "from_level", "to_level", "bought"]).aggregate(n=_rows(w))


def highest_stage(events: ir.Table, products: ir.Table | None) -> ir.Table:
    """Users per (brand, highest stage over the whole period): loyal = review/share or two orders or more."""
    e = branded_events(events, products)
    u = e.group_by(["brand", "user_id"]).aggregate(level=e.level.max(), n_orders=(e.event == "order").sum())
    u = u.mutate(level=ibis.ifelse(u.n_orders >= 2, 4, u.level).cast("int64"))
    return u.group_by(["brand", "level"]).aggregate(users=u.count().cast("int64"))


CUSTOMERS: tuple[str, ...] = ("all", "new", "returning")
"""Transition rows: every user, users who had not ordered the brand yet by week w, users who had."""


def transition_table(counts: pd.DataFrame) -> pd.DataFrame:
    """Row-normalised transition probabilities with Wilson 90% intervals, per brand and customer kind.

    ``counts`` is the materialised :func:`transitions` output. Each row (brand, customer, from) is a
    multinomial over the five next-week states; the interval of each cell is Wilson's on
    (cell count, row total). ``customer`` is ``all``, ``new`` (no order of the brand by week w: a
    purchase next week is a first purchase) or ``returning`` (a next order is a repeat, so loyal).
    The same user contributes one row per active week, so the intervals are somewhat narrow for
    heavy users (stated in docs/funnel.md).
    """
    keys = ["brand", "from_level", "to_level"]
    counts = counts.astype({"from_level": "int64", "to_level": "int64", "n": "int64"})
    parts = [counts.groupby(keys, as_index=False)["n"].sum().assign(customer="all")]
    if "bought" in counts:
        for kind, flag in (("new", 0), ("returning", 1)):
            sub = counts[counts["bought"].astype(int) == flag]
            parts.append(sub.groupby(keys, as_index=False)["n"].sum().assign(customer=kind))
    c = pd.concat(parts, ignore_index=True)
    c = c[c["n"] > 0]
    c["from_stage"] = np.asarray(STAGES, dtype=object)[c["from_level"].to_numpy(int)]
    c["to_stage"] = np.asarray(STAGES, dtype=object)[c["to_level"].to_numpy(int)]
    c["row_total"] = c.groupby(["brand", "customer", "from_level"])["n"].transform("sum")
    c["p"] = c["n"] / c["row_total"]
    c["p_low"], c["p_high"] = wilson(c["n"], c["row_total"])
    c["_k"] = c["customer"].map({k: i for i, k in enumerate(CUSTOMERS)})
    return c.sort_values(["brand", "_k", "from_level", "to_level"]).reset_index(drop=True)[
        ["brand", "customer", "from_stage", "to_stage", "from_level", "to_level", "n", "row_total", "p", "p_low",
         "p_high"]]


def sizes_table(sizes: pd.DataFrame) -> pd.DataFrame:
    """Weekly stage sizes, one row per (brand, week start, stage)."""
    s = sizes.copy()
    s["week"] = (pd.Timestamp(EPOCH_MONDAY) + pd.to_timedelta(s["wk"].astype("int64") * 7, unit="D")).dt.date
    s["stage"] = np.asarray(STAGES, dtype=object)[s["level"].to_numpy(int)]
    return s.sort_values(["brand", "wk", "level"]).reset_index(drop=True)[["brand", "week", "wk", "stage", "users"]]
