"""Phone changes of panel users from a planted brand-switching matrix (``device_history``).

Row b of ``SWITCHING`` is the distribution of the next phone's brand for an owner of brand b;
its diagonal is the retention rate (truth ``equity[brand].loyalty`` and ``loyalty.switching``).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from upmarket.twin.catalog import BRANDS

RETENTION = {"Xiaomi": 0.52, "Redmi": 0.48, "Huawei": 0.72, "Apple": 0.78, "OPPO": 0.50, "vivo": 0.55, "Honor": 0.47}
PULL = {"Xiaomi": 1.3, "Redmi": 1.2, "Huawei": 1.6, "Apple": 1.2, "OPPO": 0.9, "vivo": 1.0, "Honor": 0.9}
"""Where switchers go: proportional to these weights (excluding the brand they leave)."""


def switching_matrix() -> np.ndarray:
    """Planted P(next brand | current brand), rows sum to 1, in ``BRANDS`` order."""
    pull = np.array([PULL[b] for b in BRANDS])
    out = np.zeros((len(BRANDS), len(BRANDS)))
    for i, b in enumerate(BRANDS):
        w = pull.copy()
        w[i] = 0.0
        out[i] = (1 - RETENTION[b]) * w / w.sum()
        out[i, i] = RETENTION[b]
    return out


def simulate_device_history(users: pd.DataFrame, rng: np.random.Generator, start: date = date(2024, 1, 1),
                            end: date = date(2025, 6, 30), max_changes: int = 2) -> pd.DataFrame:
    """Each user changes phone 0..max_changes times in the window, starting from prior_brand."""
    P = switching_matrix()
    cum = P.cumsum(axis=1)
    n = len(users)
    n_days = (end - start).days + 1
    cur = users["prior_brand"].map({b: i for i, b in enumerate(BRANDS)}).to_numpy()
    n_changes = rng.choice(max_changes + 1, size=n, p=[0.35, 0.5, 0.15][: max_changes + 1])
    day = np.sort(rng.integers(n_days, size=(n, max_changes)), axis=1)
    frames = []
    for k in range(max_changes):  # a loop over change rounds (≤ 2), vectorised over users
        nxt = np.minimum((cum[cur] < rng.random(n)[:, None]).sum(axis=1), len(BRANDS) - 1)
        act = n_changes > k
        frames.append(pd.DataFrame({"user_id": users["user_id"].to_numpy()[act],
                                    "date": pd.Timestamp(start) + pd.to_timedelta(day[act, k], unit="D"),
                                    "from_brand": np.array(BRANDS, dtype=object)[cur[act]],
                                    "to_brand": np.array(BRANDS, dtype=object)[nxt[act]]}))
        cur = np.where(act, nxt, cur)
    df = pd.concat(frames, ignore_index=True)
    df["date"] = df["date"].dt.date
    return df.sort_values(["user_id", "date"], kind="stable").reset_index(drop=True)
