"""Pre-launch forecasts from analogues, and the cross-launch test of cascade virality as a driver of q.

**Analogues.** A new model's p and q are taken from earlier generations: the fitted models of the same series
launched before it, or, with fewer than ``min_analogues`` of those, of the same brand. The forecast is the median
of the analogues' log p, log q and log m (robust to one odd generation; the mean for two), m times the user's
``m_scale`` for the model (default 1: a launch expected to be bigger or smaller than its predecessors); its 90 %
interval is a prediction interval,
``centre ± t(k−1) · sd · √(1 + 1/k)`` on the log scale, so two analogues that disagree give a wide interval, as they
should. The forecast fan draws (log p, log q, log m) from that predictive distribution (a multivariate t with the
analogues' covariance when there are more analogues than parameters, else independent) and reports percentiles of
the adoptions per period.

**Virality.** For every fitted launch, the mean structural virality of the cascades of posts featuring the model's
SKUs (the spread analysis's figures, read through ``upstream``; posts' ``sku_ids`` name the SKUs) is set against the
launch's q per week: an OLS of log q on virality across launches, with n shown and a warning when n is small.
It is an association across launches, not an effect: brands seed content where they expect demand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from upmarket.analyses.launch.bass import bass_cdf, convert_rate
from upmarket.warehouse.source import to_frame

if TYPE_CHECKING:
    from upmarket.warehouse import Warehouse

PARAMS = ("p", "q", "m")


def pick_analogues(target: dict[str, Any], fits: pd.DataFrame, min_analogues: int) -> tuple[pd.DataFrame, str]:
    """The fitted models a target is forecast from, and how they were chosen (``series`` or ``brand``).

    Only models launched before the target count (all of them when the target's launch date is unknown), and only
    fits from one source (the more common among them)."""
    pool = fits[fits["model"] != target["model"]]
    launch = target.get("launch")
    if launch is not None and pd.notna(launch):
        pool = pool[pd.to_datetime(pool["launch"]) < pd.Timestamp(launch)]
    for level in ("series", "brand"):
        value = target.get(level)
        if value is None or pd.isna(value):
            continue
        found = pool[pool[level] == value]
        if "source" in found and len(found):  # one scale of m: tracker fits and orders fits are not mixed
            found = found[found["source"] == found["source"].mode().iloc[0]]
        if len(found) >= min_analogues:
            return found, level
    return pool.iloc[0:0], ""


def analogue_forecast(analogues: pd.DataFrame, unit: str, m_scale: float = 1.0,
                      level: float = 0.9) -> dict[str, Any]:
    """p, q (per ``unit``), m and their prediction intervals from the analogues' fits (columns p, q, m, time_unit)."""
    logs = np.column_stack([
        np.log([convert_rate(r.p, r.time_unit, unit) for r in analogues.itertuples()]),
        np.log([convert_rate(r.q, r.time_unit, unit) for r in analogues.itertuples()]),
        np.log(analogues["m"].to_numpy(float) * m_scale)])
    k = len(logs)
    mean = np.median(logs, axis=0)
    out: dict[str, Any] = {name: float(np.exp(mean[j])) for j, name in enumerate(PARAMS)}
    out["time_unit"] = unit
    out["n_analogues"] = k
    out["_log_mean"] = mean
    if k >= 2:
        sd = logs.std(axis=0, ddof=1)
        half = stats.t.ppf(0.5 + level / 2, k - 1) * sd * np.sqrt(1 + 1 / k)
        for j, name in enumerate(PARAMS):
            out[f"{name}_ci"] = [float(np.exp(mean[j] - half[j])), float(np.exp(mean[j] + half[j]))]
        out["_log_cov"] = np.cov(logs.T) if k > len(PARAMS) else np.diag(sd**2)
    return out


def forecast_fan(forecast: dict[str, Any], periods: int, draws: int, rng: np.random.Generator,
                 level: float = 0.9) -> pd.DataFrame:
    """Adoptions per period since launch: median and the ``level`` band over draws from the forecast's predictive."""
    t = np.arange(periods + 1, dtype=float)
    mean = forecast["_log_mean"]
    k = int(forecast["n_analogues"])
    cov = forecast.get("_log_cov")
    if cov is None:
        sample = np.repeat(mean[None, :], 1, axis=0)
    else:
        z = rng.multivariate_normal(np.zeros(3), cov * (1 + 1 / k), size=draws, method="eigh")
        chi = rng.chisquare(max(k - 1, 1), size=draws) / max(k - 1, 1)
        sample = mean[None, :] + z / np.sqrt(chi)[:, None]
    sample = np.clip(sample, np.log(1e-8), 40.0)  # heavy t tails: keep draws finite
    p, q, m = (np.exp(sample[:, j])[:, None] for j in range(3))
    with np.errstate(over="ignore", invalid="ignore"):
        cum = np.nan_to_num(m * bass_cdf(t[None, :], p, q), nan=0.0)
    adopt = np.diff(cum, axis=1)
    lo, hi = 50 * (1 - level), 50 * (1 + level)
    return pd.DataFrame({"period": np.arange(1, periods + 1), "units_median": np.median(adopt, axis=0),
                         "units_low": np.percentile(adopt, lo, axis=0), "units_high": np.percentile(adopt, hi, axis=0),
                         "cumulative_median": np.median(cum[:, 1:], axis=0),
                         "cumulative_low": np.percentile(cum[:, 1:], lo, axis=0),
                         "cumulative_high": np.percentile(cum[:, 1:], hi, axis=0)})


def post_models(warehouse: Warehouse) -> pd.DataFrame:
    """``post_id, ts, model``: each post with every model among the SKUs it names (``posts.sku_ids``, ``|``-split)."""
    p = warehouse.table("products")
    models = p.group_by("sku_id").agg(model=p.model.arbitrary())
    posts = warehouse.table("posts")
    posts = posts.filter(posts.sku_ids.notnull(), posts.sku_ids.strip() != "")
    named = posts.select("post_id", "ts", sku=posts.sku_ids.split("|").unnest())
    named = named.select("post_id", "ts", sku_id=named.sku.strip())
    return to_frame(named.join(models, "sku_id").select("post_id", "ts", "model").distinct())


def cascade_virality(warehouse: Warehouse, cascades_table: pd.DataFrame | None, info: pd.DataFrame,
                     window_weeks: float) -> pd.DataFrame | None:
    """Per model: mean structural virality and number of the cascades of posts featuring its SKUs within
    ``window_weeks`` of its launch. None without cascades or posts naming SKUs.

    ``cascades_table`` is every post's cascade (the ``post_cascades`` artefact the spread analysis produces:
    ``post_id``, ``structural_virality``), so every launch with posts counts, not only the top posts by size."""
    if cascades_table is None or not len(cascades_table):
        return None
    known = cascades_table.dropna(subset=["structural_virality"])
    cascades = dict(zip(known["post_id"].astype(str), known["structural_virality"].astype(float), strict=True))
    if not cascades or not (warehouse.has_rows("posts") and warehouse.has_rows("products")):
        return None
    posts = post_models(warehouse)
    posts = posts[posts["post_id"].astype(str).isin(cascades)]
    if posts.empty:
        return None
    posts["virality"] = posts["post_id"].astype(str).map(cascades)
    launch = info.set_index("model")["launch_date"]
    posts["launch"] = pd.to_datetime(posts["model"].map(launch))
    age = (pd.to_datetime(posts["ts"]) - posts["launch"]).dt.days / 7
    posts = posts[posts["launch"].isna() | ((age >= -4) & (age <= window_weeks))]
    return (posts.groupby("model").agg(virality=("virality", "mean"), n_cascades=("post_id", "nunique"))
            .reset_index())


def virality_regression(fits: pd.DataFrame, virality: pd.DataFrame, level: float = 0.9) -> dict[str, Any]:
    """OLS of log q (per week) on mean cascade virality across launches: slope, its interval, n and r²."""
    df = fits.merge(virality, on="model")
    n = len(df)
    out: dict[str, Any] = {"n": n}
    if n < 3:
        return out
    y = np.log([convert_rate(r.q, r.time_unit, "week") for r in df.itertuples()])
    res = stats.linregress(df["virality"].to_numpy(float), y)
    half = stats.t.ppf(0.5 + level / 2, n - 2) * res.stderr
    out.update(slope=float(res.slope), slope_ci=[float(res.slope - half), float(res.slope + half)],
               p_value=float(res.pvalue), r2=float(res.rvalue**2))
    return out
