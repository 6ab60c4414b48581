"""Benchmark (issue 7): latent-class and mixed-logit fit times on 2,000 respondents × 12 tasks, with xlogit
called directly in the same run, and the MNL against xlogit's and statsmodels'.

No library fits a latent-class logit (xlogit has MNL and mixed logit only), so the latent class's own machinery is
checked against xlogit on the one model both can fit: one class with a lognormal price coefficient (our
Gauss–Hermite quadrature vs xlogit's panel mixed logit with only price random, Halton draws).

    .venv/bin/python benchmarks/segments.py [twin_dir]     # default: simulates the demo twin (seed 7) in a temp dir
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def main(scale: float = 1.0, path: str | None = None) -> dict:
    """Fit times on the demo twin's conjoint (``scale`` is accepted for ``run_all``; the size is fixed)."""
    import upmarket
    from upmarket.analyses.segments import build_design, fit_mnl, select_classes
    from upmarket.analyses.segments.mixed import NEG_PRICE, fit_mixed, xlogit_inputs

    if path is None:
        path = str(Path(tempfile.mkdtemp()) / "twin")
        upmarket.simulate(path, preset="demo", seed=7)
    d = build_design(pd.read_parquet(Path(path) / "choices.parquet"), "Redmi")
    print(f"{d.n_respondents} respondents, {d.n_tasks} tasks, {d.X.shape[1]} coefficients")
    rows = []

    def timed(name, f):
        t = time.perf_counter()
        out = f()
        rows.append((name, time.perf_counter() - t))
        return out

    m = timed("mnl (upmarket)", lambda: fit_mnl(d))
    from statsmodels.discrete.conditional_models import ConditionalLogit
    from xlogit import MixedLogit, MultinomialLogit

    sm = timed("mnl (statsmodels ConditionalLogit)", lambda: ConditionalLogit(
        d.chosen.astype(float), d.X, groups=d.task).fit(method="newton", maxiter=100, disp=0))
    X, y, xn, alts, ids, avail, panels = xlogit_inputs(d)
    xl = MultinomialLogit()
    timed("mnl (xlogit direct)", lambda: xl.fit(X, y, xn, alts, ids, avail=avail, verbose=0))
    sign = np.where(np.array(xn) == NEG_PRICE, -1.0, 1.0)
    print("max |Δβ| vs statsmodels", np.abs(sm.params - m.params).max(), "vs xlogit",
          np.abs(xl.coeff_ * sign - m.params).max())
    from upmarket.choice.latent import fit_latent_class

    best, fits = timed("latent class K=1..(BIC) (upmarket)", lambda: select_classes(d, 6, n_starts=3))
    timed("latent class K=4, 3 starts (upmarket)", lambda: fit_latent_class(d, 4, n_starts=3))
    timed("latent class K=4, 3 starts, no within-class σ (upmarket)",
          lambda: fit_latent_class(d, 4, n_starts=3, price_nodes=0))
    print("BIC", {f.n_classes: round(f.bic, 1) for f in fits}, "-> K =", best.n_classes,
          f"σ(log α) = {best.price_log_sd:.3f}")
    one = timed("1 class + lognormal price, 3 GH nodes (upmarket)", lambda: fit_latent_class(d, 1, price_nodes=3))
    one9 = timed("1 class + lognormal price, 9 GH nodes (upmarket)", lambda: fit_latent_class(d, 1, price_nodes=9))
    ln = MixedLogit()
    timed("1 class + lognormal price, 200 Halton draws (xlogit direct)", lambda: ln.fit(
        X, y, xn, alts, ids, {NEG_PRICE: "ln"}, avail=avail, panels=panels, n_draws=200, random_state=0,
        verbose=0, maxiter=300))
    sd_xl = abs(dict(zip(ln.coeff_names, ln.coeff_, strict=True))[f"sd.{NEG_PRICE}"])
    print(f"same model: loglik upmarket {one.loglik:.1f} (3 nodes) {one9.loglik:.1f} (9 nodes), xlogit "
          f"{ln.loglikelihood:.1f}; σ(log α) {one.price_log_sd:.4f} / {one9.price_log_sd:.4f} vs xlogit {sd_xl:.4f}")
    mx = timed("mixed logit, 50 Halton draws (upmarket wrapper)", lambda: fit_mixed(d, n_draws=50))
    rv = {NEG_PRICE: "ln", **{x: "n" for x in xn if x.startswith("brand_")}}
    ml = MixedLogit()
    timed("mixed logit, 50 Halton draws (xlogit direct)", lambda: ml.fit(
        X, y, xn, alts, ids, rv, avail=avail, panels=panels, n_draws=50, random_state=0, verbose=0, maxiter=300))
    print(f"loglik: mnl {m.loglik:.1f}, mixed {mx.loglik:.1f} (direct {ml.loglikelihood:.1f}), "
          f"latent class K={best.n_classes} {best.loglik:.1f}")
    for name, secs in rows:
        print(f"{secs:8.2f} s  {name}")
    times = dict(rows)
    ratios = {
        "mnl: statsmodels / upmarket": times["mnl (statsmodels ConditionalLogit)"] / times["mnl (upmarket)"],
        "mnl: xlogit / upmarket": times["mnl (xlogit direct)"] / times["mnl (upmarket)"],
        "mixed logit: upmarket wrapper / xlogit direct": times["mixed logit, 50 Halton draws (upmarket wrapper)"]
        / times["mixed logit, 50 Halton draws (xlogit direct)"],
        "lognormal-price logit: xlogit (200 draws) / upmarket (9 nodes)":
            times["1 class + lognormal price, 200 Halton draws (xlogit direct)"]
            / times["1 class + lognormal price, 9 GH nodes (upmarket)"],
        "latent class K=4: with σ / without": times["latent class K=4, 3 starts (upmarket)"]
        / times["latent class K=4, 3 starts, no within-class σ (upmarket)"],
    }
    for k, v in ratios.items():
        print(f"ratio {k}: {v:.2f}")
    return {"seconds": {k: round(v, 2) for k, v in rows}, "ratios": {k: round(v, 2) for k, v in ratios.items()},
            "mnl_speedup_vs_statsmodels": round(ratios["mnl: statsmodels / upmarket"], 1)}


if __name__ == "__main__":
    main(path=sys.argv[1] if len(sys.argv) > 1 else None)
