"""upmarket's mix model against PyMC-Marketing on PyMC-Marketing's own documented example, in one run.

The data is ``data/mmm_example.csv`` from the pymc-marketing sdist (downloaded once into a cache with
``pip download``). Its generating process is in PyMC-Marketing's MMM example notebook: geometric adstock
(l_max 8, normalised) with α = 0.4 / 0.2, logistic saturation with λ = 4 / 3, β = 3 / 2, on top of an
intercept of 2, a trend, two Fourier terms, two events and N(0, 0.25) noise, all times an amplitude. The sdist's
CSV is on a larger scale than the notebook's ``amplitude = 1``: the amplitude is recovered by least squares
on the known signal (the residual sd / amplitude ≈ 0.25 confirms the process), and the true ROI per channel
is β·Σ saturation(adstock(x)) · amplitude / Σ x. Both fits are timed in this run; the goal is upmarket at
most 1/5 of PyMC-Marketing's time at equal or better ROI recovery.

PyMC-Marketing is optional (``pip install -e .[bench]``); without it only upmarket's side runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from upmarket.analyses.mix.model import MixData, fit

VERSION = "0.19.2"
CACHE = Path(os.environ.get("UPMARKET_BENCH_CACHE", Path.home() / ".cache" / "upmarket-bench"))
ALPHA, LAM, BETA = (0.4, 0.2), (4.0, 3.0), (3.0, 2.0)


def example_csv() -> Path:
    """``data/mmm_example.csv`` of the pymc-marketing sdist, downloaded and extracted once."""
    out = CACHE / f"pymc_marketing-{VERSION}" / "mmm_example.csv"
    if out.is_file():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", f"pymc-marketing=={VERSION}", "--no-deps",
                    "--no-binary", ":all:", "-d", str(CACHE), "-q"], check=True)
    with tarfile.open(CACHE / f"pymc_marketing-{VERSION}.tar.gz") as tar:
        member = tar.getmember(f"pymc_marketing-{VERSION}/data/mmm_example.csv")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(tar.extractfile(member).read())
    return out


def _adstock(x: np.ndarray, alpha: float, lags: int = 8) -> np.ndarray:
    w = alpha ** np.arange(lags)
    w = w / w.sum()
    return np.array([sum(w[k] * x[t - k] for k in range(lags) if t - k >= 0) for t in range(len(x))])


def _logistic(x: np.ndarray, lam: float) -> np.ndarray:
    return (1 - np.exp(-lam * x)) / (1 + np.exp(-lam * x))


def true_roi(d: pd.DataFrame) -> tuple[dict[str, float], float, float]:
    """True ROI per channel, the amplitude and the noise sd relative to it (≈ 0.25 when the process is right)."""
    n = len(d)
    sat = [_logistic(_adstock(d[c].to_numpy(), a), lam) for c, a, lam in zip(("x1", "x2"), ALPHA, LAM, strict=True)]
    trend = (np.linspace(0.0, 50, n) + 10) ** 0.25 - 1
    doy = d["dayofyear"].to_numpy()
    season = 0.5 * (-np.sin(2 * 2 * np.pi * doy / 365.5) + np.cos(2 * np.pi * doy / 365.5))
    signal = 2 + trend + season + 1.5 * d["event_1"] + 2.5 * d["event_2"] + BETA[0] * sat[0] + BETA[1] * sat[1]
    amp = float(signal @ d["y"] / (signal @ signal))
    noise = float(np.std(d["y"] - amp * signal) / amp)
    roi = {c: float(amp * b * s.sum() / d[c].sum()) for c, b, s in zip(("x1", "x2"), BETA, sat, strict=True)}
    return roi, amp, noise


def run_upmarket(d: pd.DataFrame) -> tuple[float, dict[str, tuple[float, float, float]], dict]:
    data = MixData(pd.DatetimeIndex(d["date_week"]), ("x1", "x2"), d[["x1", "x2"]].to_numpy(float),
                   d["y"].to_numpy(float), d[["event_1", "event_2"]].reset_index(drop=True))
    t = time.perf_counter()
    f = fit(data, saturation="logistic")  # the same functional form PyMC-Marketing is given
    contrib = f.contributions(data.spend).sum(axis=1) / data.spend.sum(axis=0)
    seconds = time.perf_counter() - t
    roi = {c: tuple(np.quantile(contrib[:, j], [0.05, 0.5, 0.95])) for j, c in enumerate(data.channels)}
    return seconds, roi, f.diagnostics


def run_pymc(d: pd.DataFrame) -> tuple[float, dict[str, tuple[float, float, float]], dict] | None:
    try:
        from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation
    except ImportError:
        return None
    x = d.drop(columns=["y"])
    mmm = MMM(date_column="date_week", channel_columns=["x1", "x2"], adstock=GeometricAdstock(l_max=8),
              saturation=LogisticSaturation(), control_columns=["event_1", "event_2", "t"], yearly_seasonality=2)
    t = time.perf_counter()
    mmm.fit(X=x, y=d["y"], target_accept=0.85, chains=4, random_seed=42, progressbar=False)
    contrib = mmm.compute_channel_contribution_original_scale()  # chain, draw, date, channel
    seconds = time.perf_counter() - t
    per = contrib.sum("date").stack(sample=("chain", "draw"))
    roi = {}
    for c in ("x1", "x2"):
        s = per.sel(channel=c).to_numpy() / d[c].sum()
        roi[c] = tuple(np.quantile(s, [0.05, 0.5, 0.95]))
    import arviz as az

    rhat = float(az.rhat(mmm.idata).to_array().max())
    return seconds, roi, {"max_rhat": rhat}


def main(scale: float = 1.0) -> dict:
    d = pd.read_csv(example_csv(), parse_dates=["date_week"])
    truth, amp, noise = true_roi(d)
    print(f"mmm_example.csv: {len(d)} weeks; amplitude {amp:.1f}, noise sd / amplitude {noise:.3f} (notebook: 0.25)")
    out: dict = {"truth": truth}
    for name, runner in (("upmarket", run_upmarket), ("pymc_marketing", run_pymc)):
        got = runner(d)
        if got is None:
            print(f"{name}: not installed (pip install -e .[bench]); skipped")
            continue
        seconds, roi, diag = got
        err = {c: roi[c][1] / truth[c] - 1 for c in truth}
        out[name] = {"seconds": seconds, "roi": roi, "rel_error": err, "diagnostics": diag}
        print(f"{name}: fit {seconds:.1f} s")
        for c in truth:
            lo, mid, hi = roi[c]
            print(f"  {c}: true ROI {truth[c]:8.1f}  recovered {mid:8.1f} [{lo:8.1f}, {hi:8.1f}]  error {err[c]:+.1%}")
    if "upmarket" in out and "pymc_marketing" in out:
        ratio = out["upmarket"]["seconds"] / out["pymc_marketing"]["seconds"]
        worse = [c for c in truth if abs(out["upmarket"]["rel_error"][c]) > abs(out["pymc_marketing"]["rel_error"][c])]
        out["time_ratio"] = ratio
        print(f"time ratio upmarket / PyMC-Marketing: {ratio:.3f} (goal <= 0.2); "
              f"channels where upmarket's ROI error is larger: {worse or 'none'}")
    return out


if __name__ == "__main__":
    main()
