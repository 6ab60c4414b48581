"""The stage panel: a planted weekly AIPL Markov chain per (panel user, brand) and its truth."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from upmarket.twin.channels.market import _Market
from upmarket.twin.channels.params import CHAIN_STAGES

# ----------------------------------------------------------------------------------------------
# the stage panel: a planted weekly Markov chain per (panel user, brand)

_PANEL_BURN_IN = 12  # weeks run before the period, so week 0 starts near the chain's stationary mix


def _simulate_panel(m: _Market, rng: np.random.Generator) -> dict[str, Any]:
    """Each panel user's weekly stage for its brand, drawn from the planted chain (NumPy over users, loop over weeks).

    A drawn ``purchase`` when the user already bought the brand in the period becomes ``loyal`` (the
    analysis counts a repeat order as loyal; the panel emits a share instead of an order). Returns the
    active user-weeks (state ≥ 1) sorted by day, each with a day inside its week, and the truth: the
    planted matrices, the expected observed matrix (Σ over the realised from-weeks of the planted row
    of each, with the repeat rule applied) and the realised counts. A from-week is every week but the
    period's last (its next week is not observed), as in the analysis.
    """
    n, nb, ns = m.panel_users.size, len(m.brands), len(CHAIN_STAGES)
    chains = np.stack([m.params.chain(b) for b in m.brands]) if nb else np.zeros((0, ns, ns))
    cum = np.cumsum(chains, axis=2)
    cum[:, :, -1] = 1.0
    brand = m.panel_brand.astype(np.int64)
    state = np.zeros(n, np.int64)
    bought = np.zeros(n, bool)
    states = np.zeros((m.n_weeks, n), np.int8)
    expected = np.zeros((nb, ns, ns))
    realised = np.zeros((nb, ns, ns), np.int64)
    for w in range(-_PANEL_BURN_IN, m.n_weeks):
        nxt = np.minimum((rng.random(n)[:, None] > cum[brand, state]).sum(axis=1), ns - 1)
        nxt = np.where((nxt == 3) & bought, 4, nxt)  # bought: only purchases inside the period count
        if w > 0:
            row = chains[brand, state].copy()
            row[bought, 4] += row[bought, 3]
            row[bought, 3] = 0.0
            np.add.at(expected, (brand, state), row)
            np.add.at(realised, (brand, state, nxt), 1)
        if w >= 0:
            bought |= nxt == 3
            states[w] = nxt
        state = nxt
    wk, who = np.nonzero(states)
    day = m.week_first[wk] + np.floor(rng.random(wk.size) * m.week_len[wk]).astype(np.int64)
    order = np.argsort(day, kind="stable")
    planted = {b: _matrix_dict(chains[i]) for i, b in enumerate(m.brands)}
    folded = chains.copy()
    folded[:, :, 4] += folded[:, :, 3]
    folded[:, :, 3] = 0.0
    exp_p = expected / np.maximum(expected.sum(axis=2, keepdims=True), 1e-300)
    return {
        "user": m.panel_users[who[order]], "brand": brand[who[order]], "state": states[wk, who][order].astype(np.int8),
        "day": day[order],
        "truth": {
            "planted": planted,
            "planted_returning": {b: _matrix_dict(folded[i]) for i, b in enumerate(m.brands)},
            "expected": {b: _matrix_dict(exp_p[i], rows=expected[i].sum(axis=1) > 0, first=1)
                         for i, b in enumerate(m.brands)},
            "realised_counts": {b: {CHAIN_STAGES[f]: {CHAIN_STAGES[t]: int(realised[i, f, t]) for t in range(ns)}
                                    for f in range(1, ns) if realised[i, f].sum()}
                                for i, b in enumerate(m.brands)},
            "panel_brand": dict(zip(m.user_ids.take(pa.array(m.panel_users)).to_pylist(),
                                    np.asarray(m.brands, dtype=object)[brand].tolist(), strict=True)),
            "definition": TRANSITION_DEFINITION,
        },
    }


def _matrix_dict(p: np.ndarray, rows: np.ndarray | None = None, first: int = 0) -> dict[str, dict[str, float]]:
    return {CHAIN_STAGES[f]: {CHAIN_STAGES[t]: float(p[f, t]) for t in range(p.shape[1])}
            for f in range(first, p.shape[0]) if rows is None or rows[f]}


TRANSITION_DEFINITION = (
    "A (user, brand)'s stage in a Monday-based week is the highest reached that week: aware (impression, "
    "content_view, live_view), interest (search, click, favorite, follow, cart), purchase (order), loyal (review, "
    "share, or an order when the user ordered the brand in an earlier week); none = no event of the brand. "
    "Panel users (panel_brand: user → its one brand) generate events only from the planted chain: aware → a "
    "brand-level content_view on douyin/xiaohongshu; interest → content_view then search; purchase → impression, "
    "click and order on jd/tmall/mistore; loyal → content_view then share. planted[brand][from][to] is the chain "
    "(the rows of a user who has not ordered the brand yet: a new customer); planted_returning the rows once they "
    "have (purchase folded into loyal); expected[brand][from][to] the planted row averaged over the realised "
    "from-weeks of active stages (a drawn "
    "purchase after an earlier one counts as loyal), over every week but the last; realised_counts the panel's "
    "transitions, which the analysis restricted to panel users must reproduce exactly."
)
