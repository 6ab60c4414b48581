"""The measurement behind the mix model's inference: MAP + Laplace against NUTS (numpyro) on the same posterior.

The twin's 7 channels over 79 weeks with its lift tests. Both read the one negative log posterior of
``upmarket.analyses.mix.model``; NUTS (dense mass matrix, 2 chains) starts at the mode. Printed: fit times, the
ratio, and per channel the ROI median and 90 % interval of each, with NUTS's r-hat and effective sample size,
so the Laplace intervals are checked against the exact posterior rather than trusted.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from upmarket.analyses.mix.model import LiftTest, MixData, MixFit, _neg_log_post, fit
from upmarket.twin.mix import simulate_mix


def twin_data(seed: int) -> tuple[MixData, dict, list[LiftTest]]:
    sp, kpi, truth = simulate_mix(np.random.default_rng(seed))
    wide = sp.pivot_table(index="week", columns="channel", values="spend", aggfunc="sum")
    controls = kpi[["avg_price", "promo_days", "competitor_launch", "subsidy"]].astype(float).reset_index(drop=True)
    data = MixData(pd.DatetimeIndex(pd.to_datetime(wide.index)), tuple(wide.columns), wide.to_numpy(float),
                   kpi["gmv"].to_numpy(float), controls)
    tests = [LiftTest(t["channel"], pd.Timestamp(t["start"]), pd.Timestamp(t["end"]), t["lift"], t["lift_se"])
             for t in truth["lift_tests"]]
    return data, truth, tests


def nuts(f: MixFit, samples: int, warmup: int, chains: int = 2) -> tuple[np.ndarray, dict]:
    """Posterior draws (flat, unconstrained) by NUTS from the mode of ``f``, with r-hat and ESS of the draws."""
    from numpyro.diagnostics import effective_sample_size, split_gelman_rubin
    from numpyro.infer import MCMC, NUTS

    arrays, static = f.objective
    mode = np.concatenate([np.atleast_1d(f.mode[name]) for name, _ in f.layout])
    with jax.enable_x64(True):
        args = tuple(jnp.asarray(a) for a in arrays)
        kernel = NUTS(potential_fn=lambda v: _neg_log_post(v, *args, **static), dense_mass=True)
        mcmc = MCMC(kernel, num_warmup=warmup, num_samples=samples, num_chains=chains, chain_method="sequential",
                    progress_bar=False)
        mcmc.run(jax.random.PRNGKey(0), init_params=jnp.tile(jnp.asarray(mode), (chains, 1)))
        draws = np.asarray(mcmc.get_samples(group_by_chain=True))
    return draws.reshape(-1, draws.shape[-1]), {"max_rhat": float(np.max(split_gelman_rubin(draws))),
                                                "min_ess": float(np.min(effective_sample_size(draws)))}


def main(scale: float = 1.0) -> dict:
    data, truth, tests = twin_data(0)
    t = time.perf_counter()
    f = fit(data, lift_tests=tests)
    laplace_s = time.perf_counter() - t
    roi_laplace = f.contributions(data.spend).sum(axis=1) / data.spend.sum(axis=0)
    t = time.perf_counter()
    draws, diag = nuts(f, samples=max(100, int(500 * scale)), warmup=max(100, int(500 * scale)))
    nuts_s = time.perf_counter() - t
    exact = MixFit(f.data, f.scaling, f.adstock, f.baseline_names, f.mode, draws, f.layout, f.diagnostics,
                   f.dropped_controls)
    roi_nuts = exact.contributions(data.spend).sum(axis=1) / data.spend.sum(axis=0)
    print(f"MAP + Laplace {laplace_s:.1f} s (Laplace importance ESS {f.diagnostics['laplace_ess_fraction']:.1%}); "
          f"NUTS {nuts_s:.1f} s (max r-hat {diag['max_rhat']:.3f}, min ESS {diag['min_ess']:.0f}); "
          f"ratio {laplace_s / nuts_s:.3f}")
    rows = {}
    for j, ch in enumerate(data.channels):
        lq = np.quantile(roi_laplace[:, j], [0.05, 0.5, 0.95])
        nq = np.quantile(roi_nuts[:, j], [0.05, 0.5, 0.95])
        rows[ch] = {"truth": truth["roi"][ch], "laplace": lq.tolist(), "nuts": nq.tolist()}
        print(f"  {ch:16s} true {truth['roi'][ch]:5.2f}  Laplace {lq[1]:5.2f} [{lq[0]:5.2f}, {lq[2]:5.2f}]  "
              f"NUTS {nq[1]:5.2f} [{nq[0]:5.2f}, {nq[2]:5.2f}]")
    return {"laplace_seconds": laplace_s, "nuts_seconds": nuts_s, **diag, "roi": rows}


if __name__ == "__main__":
    main()
