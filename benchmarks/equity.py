"""Equity benchmark: switching counted on a 10M-row ``device_history`` panel by DuckDB, against pandas.

The panel is drawn from the twin's planted switching (``upmarket.twin.loyalty``: retention by brand, city tier and
age band) for 5M owners with two changes each; brands, tiers and ages are dictionary-encoded (Arrow), as Parquet
brings them. Printed: DuckDB's count of the brand × brand matrix and of the tier × brand × brand cube (a join with
``users``), the interval and steady-state step on the counts, and the named baseline ``pandas.crosstab`` on the same
columns (categorical, so it is not charged for string hashing it need not do); the ratio baseline / DuckDB; the
counts are checked equal, and the loyalty recovered at this size against the planted truth.

    python benchmarks/equity.py [scale]
"""

from __future__ import annotations

import sys
import time

import numpy as np

ROWS = 10_000_000


def _panel(n_rows: int, seed: int = 0):
    import pandas as pd
    import pyarrow as pa

    from upmarket.twin import consumers
    from upmarket.twin.catalog import BRANDS
    from upmarket.twin.loyalty import PULL, retention

    rng = np.random.default_rng(seed)
    n_users = n_rows // 2
    profile = consumers.users(min(n_users, 200_000), rng)  # the twin's mix of tiers, ages and prior brands
    pick = rng.integers(len(profile), size=n_users)
    tier = profile["city_tier"].to_numpy()[pick]
    age = profile["age_band"].to_numpy()[pick]
    cur = profile["prior_brand"].map({b: i for i, b in enumerate(BRANDS)}).to_numpy()[pick]
    pull = np.array([PULL[b] for b in BRANDS])
    frm, to, stay_p = [], [], []
    for _ in range(2):
        stay = retention(cur, tier, age)
        w = np.tile(pull, (n_users, 1))
        w[np.arange(n_users), cur] = 0.0
        probs = (1 - stay)[:, None] * w / w.sum(axis=1, keepdims=True)
        probs[np.arange(n_users), cur] = stay
        nxt = np.minimum((probs.cumsum(axis=1) < rng.random(n_users)[:, None]).sum(axis=1), len(BRANDS) - 1)
        frm.append(cur)
        to.append(nxt)
        stay_p.append(stay)
        cur = nxt
    frm_i, to_i, stay_all = np.concatenate(frm), np.concatenate(to), np.concatenate(stay_p)
    brands = pa.array(BRANDS)
    user_id = np.tile(np.arange(n_users), 2)
    dh = pa.table({"user_id": user_id, "from_brand": pa.DictionaryArray.from_arrays(pa.array(frm_i, pa.int8()), brands),
                   "to_brand": pa.DictionaryArray.from_arrays(pa.array(to_i, pa.int8()), brands)})
    tiers = pd.Categorical(tier)
    users = pa.table({"user_id": np.arange(n_users),
                      "city_tier": pa.DictionaryArray.from_arrays(pa.array(tiers.codes, pa.int8()),
                                                                  pa.array(list(tiers.categories)))})
    truth = pd.DataFrame({"b": frm_i, "p": stay_all}).groupby("b")["p"].mean()
    return dh, users, {BRANDS[i]: float(v) for i, v in truth.items()}


def main(scale: float = 1.0) -> dict:
    import duckdb
    import pandas as pd

    from upmarket.analyses.equity.switching import count_matrix, switching, transition_counts

    n_rows = int(ROWS * scale)
    t0 = time.perf_counter()
    dh, users, truth = _panel(n_rows)
    print(f"panel: {dh.num_rows:,} changes of {users.num_rows:,} owners drawn in {time.perf_counter() - t0:.1f} s")
    con = duckdb.connect()
    con.register("device_history", dh)
    con.register("users", users)
    t = time.perf_counter()
    counts = transition_counts(con)
    t_duck = time.perf_counter() - t
    t = time.perf_counter()
    by_tier = transition_counts(con, by="city_tier")
    t_duck_tier = time.perf_counter() - t
    t = time.perf_counter()
    sw = switching(counts, draws=1000, rng=np.random.default_rng(0))
    t_stats = time.perf_counter() - t

    df = dh.to_pandas()  # categorical columns
    t = time.perf_counter()
    base = pd.crosstab(df["from_brand"], df["to_brand"])
    t_pandas = time.perf_counter() - t
    udf = users.to_pandas()
    t = time.perf_counter()
    j = df.merge(udf, on="user_id", how="left")
    base_tier = pd.crosstab([j["city_tier"], j["from_brand"]], j["to_brand"])
    t_pandas_tier = time.perf_counter() - t

    names = list(base.index.astype(str))
    ours = count_matrix(counts, names).to_numpy()
    assert np.array_equal(ours, base.reindex(index=names, columns=names).to_numpy()), "counts differ from pandas"
    assert int(by_tier["n"].sum()) == int(base_tier.to_numpy().sum()) == n_rows
    est = sw["brands"].set_index("brand")["loyalty"]
    worst = max(abs(est[b] - v) for b, v in truth.items())
    print(f"DuckDB brand × brand count:        {t_duck:6.2f} s   pandas.crosstab: {t_pandas:6.2f} s   "
          f"ratio {t_pandas / t_duck:.1f}×")
    print(f"DuckDB tier × brand × brand count: {t_duck_tier:6.2f} s   pandas merge+crosstab: {t_pandas_tier:6.2f} s   "
          f"ratio {t_pandas_tier / t_duck_tier:.1f}×")
    print(f"intervals + steady state (1000 posterior draws): {t_stats:.2f} s")
    print(f"loyalty recovered: worst |estimate − planted| over brands = {worst:.4f}")
    return {"rows": n_rows, "duckdb_s": t_duck, "pandas_s": t_pandas, "ratio": t_pandas / t_duck,
            "duckdb_tier_s": t_duck_tier, "pandas_tier_s": t_pandas_tier, "stats_s": t_stats,
            "worst_loyalty_error": worst}


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
