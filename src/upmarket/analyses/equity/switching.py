"""Brand switching from phone changes: counts (DuckDB), the switching matrix with multinomial intervals,
loyalty, flows between brands, the Markov steady state, and the same by city tier and age band.

Loyalty here is behavioural: the share of a brand's owners whose next phone is the same brand. Intervals
come from the multinomial likelihood of each row with a Jeffreys prior (Dirichlet(n + ½)): exact Beta quantiles
for single cells, posterior draws for what depends on a whole matrix (the steady state).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from upmarket.warehouse.source import as_source, to_frame

if TYPE_CHECKING:
    from upmarket.warehouse.source import TableSource

LEVEL = 0.90
"""The one interval level of results.json (CONTRACT.md, Results)."""
_Q = ((1 - LEVEL) / 2, 1 - (1 - LEVEL) / 2)


def transition_counts(con: TableSource, by: str | None = None, source: str = "device_history",
                      with_users: bool = False) -> pd.DataFrame:
    """Counts of (from_brand, to_brand) changes, optionally per ``by`` (a users column), counted by DuckDB.

    ``source="device_history"`` reads the phone changes; ``source="orders"`` reads each user's consecutive phone
    purchases (the brand of purchase k → purchase k+1, brand from products), the repeat purchases in orders.
    """
    con = as_source(con)
    if source == "device_history":
        d = con.table("device_history")
        base = d.filter(d.from_brand.notnull(), d.to_brand.notnull()).select("user_id", "from_brand", "to_brand")
    elif source == "orders":
        o, p = con.table("orders"), con.table("products").select("sku_id", "brand")
        bought = o.join(p, "sku_id").filter(p.brand.notnull())
        after = ibis.window(group_by=bought.user_id, order_by=[bought.ts, bought.order_id])
        base = bought.select("user_id", from_brand=bought.brand, to_brand=bought.brand.lead().over(after))
        base = base.filter(base.to_brand.notnull())
    else:
        raise ValueError(f"unknown source {source!r}: device_history or orders")
    if by is None:
        counts = base.group_by("from_brand", "to_brand").agg(n=base.count())
    else:
        # count on the raw column first, clean the few distinct labels after (cheaper than per row)
        u = con.table("users").select("user_id", lv=by)
        raw = base.left_join(u, "user_id").group_by("lv", "from_brand", "to_brand").agg(n=ibis._.count())
        counts = (raw.group_by(raw.lv.strip().nullif("").fill_null("unknown").name(by), raw.from_brand, raw.to_brand)
                  .agg(n=raw.n.sum()))
    return to_frame(counts).astype({"n": "int64"})


def count_matrix(counts: pd.DataFrame, brands: list[str] | None = None) -> pd.DataFrame:
    """Square from × to matrix of counts over ``brands`` (default: every brand seen, by number of changes)."""
    if brands is None:
        tot = counts.groupby("from_brand")["n"].sum().add(counts.groupby("to_brand")["n"].sum(), fill_value=0)
        brands = tot.sort_values(ascending=False, kind="stable").index.tolist()
    m = counts.pivot_table(index="from_brand", columns="to_brand", values="n", aggfunc="sum", fill_value=0)
    return m.reindex(index=brands, columns=brands, fill_value=0).astype("int64")


def steady_state(p: np.ndarray) -> np.ndarray:
    """The stationary distribution π = π P of a row-stochastic matrix (least squares with Σπ = 1)."""
    k = p.shape[0]
    a = np.vstack([p.T - np.eye(k), np.ones(k)])
    b = np.zeros(k + 1)
    b[-1] = 1.0
    pi = np.linalg.lstsq(a, b, rcond=None)[0]
    pi = np.clip(pi, 0, None)
    return pi / pi.sum()


def switching(counts: pd.DataFrame, brands: list[str] | None = None, draws: int = 1000,
              rng: np.random.Generator | None = None) -> dict[str, pd.DataFrame]:
    """Switching tables from transition counts.

    ``matrix``: long table of P(to | from) with 90 % intervals; ``brands``: per brand the changes from it, loyalty
    (+ interval), inflow/outflow (switchers gained/lost), net flow, share of changes, steady-state share (+ interval);
    ``flows``: per pair of brands the switchers each way and the net flow.
    """
    rng = rng or np.random.default_rng(0)
    n = count_matrix(counts, brands)
    names = list(n.index)
    c = n.to_numpy().astype(float)
    rows = c.sum(axis=1)
    alpha = c + 0.5  # Jeffreys prior per cell
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(rows[:, None] > 0, c / rows[:, None], np.nan)
    lo = stats.beta.ppf(_Q[0], alpha, alpha.sum(axis=1, keepdims=True) - alpha)
    hi = stats.beta.ppf(_Q[1], alpha, alpha.sum(axis=1, keepdims=True) - alpha)
    long = pd.DataFrame({"from_brand": np.repeat(names, len(names)), "to_brand": np.tile(names, len(names)),
                         "n": c.ravel().astype("int64"), "share": p.ravel(), "share_low": lo.ravel(),
                         "share_high": hi.ravel()})
    long.loc[np.repeat(rows == 0, len(names)), ["share_low", "share_high"]] = np.nan
    # steady state: draw each row from its Dirichlet posterior, take the stationary distribution of each draw.
    # A brand seen only as a destination has no row: it gets the pooled destination mix of all changes.
    pooled = c.sum(axis=0) + 0.5
    rows_alpha = np.where(rows[:, None] > 0, alpha, pooled[None, :])
    point = np.where(rows[:, None] > 0, c, pooled[None, :])
    pi = steady_state(point / point.sum(axis=1, keepdims=True))
    gam = rng.gamma(np.broadcast_to(rows_alpha, (draws, *rows_alpha.shape)))
    mats = gam / gam.sum(axis=2, keepdims=True)
    sims = np.array([steady_state(mats[d]) for d in range(draws)])
    pi_lo, pi_hi = np.quantile(sims, _Q[0], axis=0), np.quantile(sims, _Q[1], axis=0)
    off = c.copy()
    np.fill_diagonal(off, 0)
    total = c.sum()
    per_brand = pd.DataFrame({
        "brand": names, "changes_from": rows.astype("int64"),
        "loyalty": np.diag(p), "loyalty_low": np.diag(lo), "loyalty_high": np.diag(hi),
        "outflow": off.sum(axis=1).astype("int64"), "inflow": off.sum(axis=0).astype("int64"),
        "net_flow": (off.sum(axis=0) - off.sum(axis=1)).astype("int64"),
        "share_before": rows / total if total else np.nan,
        "share_after": c.sum(axis=0) / total if total else np.nan,
        "steady_state_share": pi, "steady_state_share_low": pi_lo, "steady_state_share_high": pi_hi,
    })
    per_brand.loc[rows == 0, ["loyalty_low", "loyalty_high"]] = np.nan
    pairs = []
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if i < j and (c[i, j] or c[j, i]):
                pairs.append({"brand": a, "rival": b, "to_rival": int(c[i, j]), "from_rival": int(c[j, i]),
                              "net_from_rival": int(c[j, i] - c[i, j])})
    return {"matrix": long, "brands": per_brand, "flows": pd.DataFrame(pairs)}


def loyalty_by(counts_by: pd.DataFrame, by: str, min_n: int) -> tuple[pd.DataFrame, list[str]]:
    """Loyalty per (``by`` level, brand) with 90 % intervals; cells with fewer than ``min_n`` changes from the
    brand get no estimate (listed in the returned notes)."""
    rows, thin = [], []
    for level, g in counts_by.groupby(by, sort=True):
        for brand, gb in g.groupby("from_brand", sort=True):
            total = int(gb["n"].sum())
            stay = int(gb.loc[gb["to_brand"] == brand, "n"].sum())
            row = {by: level, "brand": brand, "changes_from": total, "stayed": stay,
                   "loyalty": np.nan, "loyalty_low": np.nan, "loyalty_high": np.nan}
            if total >= min_n:
                row["loyalty"] = stay / total
                row["loyalty_low"], row["loyalty_high"] = stats.beta.ppf(_Q, stay + 0.5, total - stay + 0.5)
            else:
                thin.append(f"{by}={level}, {brand} ({total} changes)")
            rows.append(row)
    return pd.DataFrame(rows), thin


def group_flows(counts: pd.DataFrame, focal: str, sub_brands: tuple[str, ...]) -> pd.DataFrame:
    """The focal brand ↔ each sub-brand, separately from rivals: switchers each way, each as a share of the
    origin brand's leavers, and how many of the group's owners stay inside the group at the next change."""
    m = count_matrix(counts)
    out = []
    for sub in sub_brands:
        if focal not in m.index or sub not in m.index:
            continue
        f_left = m.loc[focal].sum() - m.loc[focal, focal]
        s_left = m.loc[sub].sum() - m.loc[sub, sub]
        group = [focal, sub]
        owners = m.loc[group].to_numpy().sum()
        out.append({"focal": focal, "sub_brand": sub,
                    "focal_to_sub": int(m.loc[focal, sub]), "sub_to_focal": int(m.loc[sub, focal]),
                    "focal_leavers_to_sub": m.loc[focal, sub] / f_left if f_left else np.nan,
                    "sub_leavers_to_focal": m.loc[sub, focal] / s_left if s_left else np.nan,
                    "net_to_focal": int(m.loc[sub, focal] - m.loc[focal, sub]),
                    "group_retention": m.loc[group, group].to_numpy().sum() / owners if owners else np.nan})
    return pd.DataFrame(out)
