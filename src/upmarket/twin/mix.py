"""Weekly marketing spend and the focal brand's KPI from geometric adstock and Hill saturation.

gmv_t = base_t + Σ_c β_c · Hill(adstock_c,t) + noise, adstock_c,t = x_c,t + λ_c · adstock_c,t−1,
Hill(a) = a^s / (a^s + K_c^s). ROI truth = (GMV with every channel − GMV with channel c switched
off) / spend of c over the whole period (noise is the same in both, so it cancels).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from upmarket.analyses.mix.model import LiftTest, MixData

CHANNELS = ("douyin_ads", "douyin_live", "xiaohongshu_kol", "jd_ads", "tmall_ads", "search_ads", "ooh")
# channel: weekly base spend (CNY), decay λ, half-saturation K (CNY of adstock), shape s, max effect β (CNY GMV)
PLANTED = {
    "douyin_ads": (6.0e6, 0.45, 9.0e6, 1.2, 9.0e7),
    "douyin_live": (4.0e6, 0.20, 5.0e6, 1.0, 7.0e7),
    "xiaohongshu_kol": (2.5e6, 0.60, 5.0e6, 1.1, 3.5e7),
    "jd_ads": (5.0e6, 0.30, 6.0e6, 1.3, 8.0e7),
    "tmall_ads": (4.5e6, 0.30, 6.0e6, 1.3, 6.0e7),
    "search_ads": (2.0e6, 0.10, 2.5e6, 1.0, 3.0e7),
    "ooh": (3.0e6, 0.75, 1.2e7, 1.5, 2.0e7),
}


def adstock(x: np.ndarray, decay: float) -> np.ndarray:
    out = np.empty_like(x)
    acc = 0.0
    for t in range(x.shape[0]):  # ≤ 80 weeks
        acc = x[t] + decay * acc
        out[t] = acc
    return out


def hill(a: np.ndarray, k: float, s: float) -> np.ndarray:
    return a**s / (a**s + k**s)


def simulate_mix(rng: np.random.Generator, brand: str = "Xiaomi", start: date = date(2024, 1, 1),
                 end: date = date(2025, 6, 30), avg_price: float = 4200.0) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(spend, kpi_weekly, truth) for the focal brand."""
    weeks = pd.date_range(pd.Timestamp(start) - pd.Timedelta(days=pd.Timestamp(start).weekday()), end, freq="W-MON")
    n = len(weeks)
    days = pd.DatetimeIndex((weeks.to_numpy()[:, None] + np.arange(7) * np.timedelta64(1, "D")).ravel())
    festive = ((days.month == 6) & (days.day <= 18)) | ((days.month == 11) & (days.day <= 11)) | (
        (days.month == 10) & (days.day >= 24))
    promo_days = np.asarray(festive).reshape(n, 7).sum(axis=1)
    subsidy = (weeks >= pd.Timestamp("2025-01-20")).astype(float)
    launch = np.isin(weeks.strftime("%Y-%m"), ["2024-02", "2024-10", "2024-11", "2025-02"]).astype(int)
    spend = {}
    contrib = {}
    for c, (base, decay, k, s, beta) in PLANTED.items():
        x = base * (1 + 0.12 * promo_days) * rng.lognormal(0.0, 0.25, n)
        spend[c] = np.round(x, 0)
        contrib[c] = beta * hill(adstock(spend[c], decay), k, s)
    base_gmv = 2.2e8 * (1 + 0.002 * np.arange(n)) * (1 + 0.06 * promo_days) * (1 + 0.10 * subsidy)
    noise = rng.normal(0, 0.03, n) * base_gmv
    gmv = base_gmv + sum(contrib.values()) + noise
    price = avg_price * (1 - 0.015 * promo_days) * (1 - 0.08 * subsidy)
    kpi = pd.DataFrame({"week": weeks.date, "brand": brand, "units": np.rint(gmv / price).astype(np.int64),
                        "gmv": np.round(gmv, 2), "avg_price": np.round(price, 2), "promo_days": promo_days,
                        "competitor_launch": launch, "subsidy": subsidy})
    sp = pd.DataFrame({"week": np.repeat(weeks.date, len(CHANNELS)), "channel": np.tile(CHANNELS, n),
                       "brand": brand, "spend": np.stack([spend[c] for c in CHANNELS], 1).ravel()})
    sp["impressions"] = np.rint(sp["spend"] / 0.04).astype(np.int64)  # CPM about 40 CNY
    sp["clicks"] = np.rint(sp["impressions"] * 0.012).astype(np.int64)
    roi = {c: float(contrib[c].sum() / spend[c].sum()) for c in CHANNELS}
    truth = {"roi": roi, "params": {c: {"weekly_spend": p[0], "decay": p[1], "half_saturation": p[2], "shape": p[3],
                                        "beta": p[4]} for c, p in PLANTED.items()},
             "lift_tests": lift_tests(rng, weeks, spend)}
    return sp, kpi, truth


LIFT_WEEKS = 8
"""Length of each planted geo-holdout. A holdout shorter than the channel's carry-over never switches the channel
fully off: with λ = 0.6 (xiaohongshu_kol) a 4-week holdout leaves 13 % of the adstock, and 0.75 (ooh) 32 %, so
the lift measures only the top of the response curve and the step from lift to ROI rests on the curve's bend,
which 79 weeks of ±25 % spend cannot pin (seed 1: ROI +146 %, its 90 % interval a factor 9.5 wide). At 8 weeks
(0.6⁸ = 2 %, 0.75⁸ = 10 %) the lift measures the return of the spend from zero, i.e. the ROI itself;
docs/mix.md, "Recovery on the twin", has the measurements."""


def lift_tests(rng: np.random.Generator, weeks: pd.DatetimeIndex, spend: dict[str, np.ndarray],
               window: int = LIFT_WEEKS, rel_se: float = 0.10) -> list[dict]:
    """One geo-holdout experiment per channel: the GMV its spend in a ``window``-week window added (carry-over
    included), as measured with a 10 % standard error. Drawn after everything else, so the other outputs do not
    move."""
    n = len(weeks)
    out = []
    for c, (_base, decay, k, s, beta) in PLANTED.items():
        start = int(rng.integers(8, n - window - 8))
        off = spend[c].copy()
        off[start:start + window] = 0.0
        lift = float((beta * (hill(adstock(spend[c], decay), k, s) - hill(adstock(off, decay), k, s))).sum())
        measured = lift * (1 + rel_se * rng.standard_normal())
        out.append({"channel": c, "start": weeks[start].date().isoformat(),
                    "end": (weeks[start + window - 1] + pd.Timedelta(days=6)).date().isoformat(),
                    "lift": round(measured, 0), "lift_se": round(abs(measured) * rel_se, 0), "true_lift": lift})
    return out


def lift_tests_toml(tests: list[dict]) -> str:
    """The lift tests as ``[[mix.lift_tests]]`` tables for the twin's upmarket.toml (the measured values only)."""
    out = ["", "# geo-holdout lift tests the brand ran: GMV its spend in each window added (CNY), with its se"]
    for t in tests:
        out += ["[[mix.lift_tests]]", f'channel = "{t["channel"]}"', f'start = "{t["start"]}"', f'end = "{t["end"]}"',
                f"lift = {t['lift']:.0f}", f"lift_se = {t['lift_se']:.0f}", ""]
    return "\n".join(out)


def mix_data(rng: np.random.Generator, **kw: Any) -> tuple[MixData, dict, list[LiftTest]]:
    """The twin's mix series as the model takes it: (MixData, truth, planted lift tests); ``kw`` go to
    :func:`simulate_mix`. One place for the recovery test and benchmarks/mix_recovery.py, so both fit the same
    thing."""
    from upmarket.analyses.mix.model import LiftTest, MixData

    sp, kpi, truth = simulate_mix(rng, **kw)
    wide = sp.pivot_table(index="week", columns="channel", values="spend", aggfunc="sum")
    controls = kpi[["avg_price", "promo_days", "competitor_launch", "subsidy"]].astype(float)
    data = MixData(pd.DatetimeIndex(pd.to_datetime(wide.index)), tuple(wide.columns), wide.to_numpy(float),
                   kpi["gmv"].to_numpy(float), controls.reset_index(drop=True))
    tests = [LiftTest(t["channel"], pd.Timestamp(t["start"]), pd.Timestamp(t["end"]), t["lift"], t["lift_se"])
             for t in truth["lift_tests"]]
    return data, truth, tests
