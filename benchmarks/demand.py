"""Demand benchmark: the full ``demand`` analysis on the twin's market tables, against pyblp's own solve.

The market tables (market_sales, market_size, products) come from the twin's market stage only (no channels), for
the demo preset's agents (200 per province) and the large preset's (300): market_sales has the same shape in both
(12 provinces × 10 quarters × ~60 model-band rows). ``scale`` keeps that share of the quarters.

Printed: the analysis wall time (three specifications, bootstrap intervals, cannibalisation, counterfactual
pricing), the wrapper's fit time and pyblp's own ``Problem.solve`` time inside it (``ProblemResults.total_time``) per
specification, and, for the chosen random-coefficients model, the wrapper's
``DemandModel.fit`` against building and solving the same pyblp problem by hand (overhead ratio).

A third run, ``demo+conjoint``, is the whole demo twin's market tables plus its conjoint (``choices``) and panel
``users``: the random-coefficients model then takes its consumer types from the conjoint's latent classes (a fixed
point in the mean price coefficient, one pyblp solve per step). It prints the latent-class fit time (shared with the
segments analysis in a full run) and the summed pyblp solve time of the fixed point.

    python benchmarks/demand.py [scale]
    python benchmarks/demand.py gauntlet [seeds]

``gauntlet``: the issue-14 recovery table on markets the twin did not write (``tests/analyses/demand/market_sim.py``,
bigger than the tests': 4 quarters × 8 provinces × 50 models), per DGP and seed: the chosen model, planted vs
recovered α, ρ, σ, the worst premium and elasticity errors, the worst diversion gap, premium-interval coverage.
"""

from __future__ import annotations

import sys
import time

import numpy as np


def _market_tables(n_agents: int, seed: int, scale: float):
    from upmarket.twin import catalog
    from upmarket.twin.market import QUARTERS, simulate_market

    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(9)[1])
    mk = simulate_market(catalog.products(), rng, n_agents=n_agents)
    keep = set(QUARTERS[: max(2, round(len(QUARTERS) * scale))])
    sales = mk.market_sales[mk.market_sales["period"].isin(keep)]
    size = mk.market_size[mk.market_size["period"].isin(keep)]
    prods = catalog.products()
    return sales, size, prods[[c for c in prods.columns if not c.startswith("_")]]


def _by_hand(products, integration_size: int) -> float:
    """The same FE-IV RC-nested problem built and solved directly with pyblp: the no-wrapper baseline."""
    import pyblp

    from upmarket.analyses.demand.data import add_fe_instruments

    pyblp.options.verbose = False
    df = products.copy()
    df["firm_ids"] = df["maker"]
    df["product_period"] = df["product_key"] + "|" + df["period"]
    df["product_region"] = df["product_key"] + "|" + df["region"]
    df["nesting_ids"] = df["band"]
    df, _ = add_fe_instruments(df, "band")
    t0 = time.perf_counter()
    problem = pyblp.Problem((pyblp.Formulation("0 + prices", absorb="C(product_period) + C(product_region)"),
                             pyblp.Formulation("0 + prices")), df,
                            integration=pyblp.Integration("product", size=integration_size))
    problem.solve(sigma=[[0.2]], sigma_bounds=([[0.0]], [[3.0]]), rho=0.05, rho_bounds=(0.0, 0.95), method="1s",
                  optimization=pyblp.Optimization("l-bfgs-b", {"gtol": 1e-8}))
    return time.perf_counter() - t0


def main(scale: float = 1.0) -> dict:
    from upmarket.analyses.demand import Demand, DemandModel, load_demand_data
    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

    out: dict[str, dict] = {}
    for preset, n_agents in (("demo", 200), ("large", 300)):
        sales, size, prods = _market_tables(n_agents, seed=7, scale=scale)
        with Warehouse(":memory:") as wh:
            wh.load_frame("products", prods, "products.bench")
            wh.load_frame("market_sales", sales, "market_sales.bench")
            wh.load_frame("market_size", size, "market_size.bench")
            config = Config()  # the twin's brands are the defaults
            t0 = time.perf_counter()
            section = Demand().run(wh, config)
            total = time.perf_counter() - t0
            data = load_demand_data(wh)
        m = section.figures["demand_model"]
        t0 = time.perf_counter()
        DemandModel(kind="rc").fit(data.products)
        wrapped = time.perf_counter() - t0
        plain = _by_hand(data.products, 5)
        solve = sum(m["solve_seconds"].values())
        out[preset] = {"rows": len(data.products), "markets": data.n_markets, "analysis_s": round(total, 2),
                       "fits_s": m["solve_seconds"], "pyblp_solve_s": m["pyblp_solve_seconds"], "kind": m["kind"],
                       "rc_fit_wrapped_s": round(wrapped, 2),
                       "rc_solve_pyblp_s": round(plain, 2), "wrapper_over_pyblp": round(wrapped / plain, 2),
                       "analysis_over_fits": round(total / solve, 2)}
        print(f"{preset}: {len(data.products):,} product-market rows in {data.n_markets} markets; analysis "
              f"{total:.1f} s (fits {m['solve_seconds']}, of which pyblp Problem.solve {m['pyblp_solve_seconds']}, "
              f"chosen {m['kind']}); RC fit through the wrapper "
              f"{wrapped:.2f} s vs pyblp Problem+solve by hand {plain:.2f} s → ratio {wrapped / plain:.2f}; "
              f"analysis / fits = {total / solve:.2f} (bootstrap intervals, cannibalisation, counterfactual pricing)",
              flush=True)
    out["demo+conjoint"] = _with_conjoint()
    return out


def _with_conjoint() -> dict:
    """The demo twin's market tables + conjoint + users: the analysis with the conjoint's consumer types."""
    import shutil
    import tempfile
    from pathlib import Path

    import upmarket
    from upmarket.analyses.demand import Demand
    from upmarket.artefacts import store_for
    from upmarket.config import load_config
    from upmarket.warehouse import Warehouse

    with tempfile.TemporaryDirectory() as tmp:
        twin = Path(tmp) / "twin"
        upmarket.simulate(twin, preset="demo", seed=7)
        sub = Path(tmp) / "sub"
        sub.mkdir()
        for t in ("market_sales", "market_size", "products", "choices", "users"):
            shutil.copy(twin / f"{t}.parquet", sub / f"{t}.parquet")
        shutil.copy(twin / "upmarket.toml", sub / "upmarket.toml")
        config = load_config(sub)
        with Warehouse(":memory:") as wh:
            wh.ingest(sub, config)
            store = store_for(wh, config)
            t0 = time.perf_counter()
            store.get("latent_classes")  # the artefact Demand consumes, computed once
            latent = time.perf_counter() - t0
            demand = Demand()
            demand.artefacts = store.view(Demand.consumes, "demand")
            t0 = time.perf_counter()
            section = demand.run(wh, config)
            total = time.perf_counter() - t0
    m = section.figures["demand_model"]
    steps = len(m["tastes"].get("price_coef_path", [])) - 1
    print(f"demo+conjoint: latent classes {latent:.1f} s (shared with segments); analysis {total:.1f} s (fits "
          f"{m['solve_seconds']}, pyblp Problem.solve {m['pyblp_solve_seconds']}, chosen {m['kind']}, "
          f"tastes used {m['tastes']['used']}, {steps} fixed-point solves)", flush=True)
    return {"latent_s": round(latent, 2), "analysis_s": round(total, 2), "fits_s": m["solve_seconds"],
            "pyblp_solve_s": m["pyblp_solve_seconds"], "kind": m["kind"], "fixed_point_solves": steps}


def gauntlet(seeds: tuple[int, ...] = (1, 2, 3)) -> list[dict]:
    """Issue 14's gauntlet at benchmark size: one line per DGP and seed (see the module docstring)."""
    import tempfile
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "analyses" / "demand"))
    from market_sim import Market, simulate, write

    from upmarket.analyses.demand import Demand
    from upmarket.config import load_config
    from upmarket.warehouse import Warehouse

    dgps = {"logit (endogenous p)": (Market("logit"), "band"),
            "logit (exogenous p)": (Market("logit", endogenous=False), "premium"),
            "nested, foldable nests": (Market("nested", rho=0.5, nest_by="foldable"), "foldable"),
            "nested, premium nests": (Market("nested", rho=0.4, nest_by="premium"), "premium"),
            "rc on price": (Market("rc", sigma=0.3), "premium")}
    rows = []
    print("| DGP | seed | chosen | α planted / est | ρ | σ | worst premium err | worst elasticity err | "
          "worst diversion gap | premium CI cover | s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, (market, nests) in dgps.items():
        for seed in seeds:
            tables, truth = simulate(market, seed)
            with tempfile.TemporaryDirectory() as tmp:
                folder = write(tables, Path(tmp) / "d", 'focal_brand = "Xiaomi"\n[demand]\nrc = true\n'
                               f'nests = "{nests}"\ndraws = 30\ncounterfactual = false\n')
                config = load_config(folder)
                t0 = time.perf_counter()
                with Warehouse(":memory:") as wh:
                    wh.ingest(folder, config)
                    fig = Demand().run(wh, config).figures
                secs = time.perf_counter() - t0
            m = fig["demand_model"]
            prem, el, div = fig["brand_premium_cny"]["all"], fig["price_elasticity"]["all"], fig["diversion"]
            pe = max(abs(prem[b] / truth["premia"][b] - 1) for b in prem if truth["premia"][b])
            ee = max(abs(el[b] / truth["elasticity"][b] - 1) for b in el)
            de = max(abs(div[b][c] - truth["diversion"][b][c]) for b in div for c in div[b])
            ci = fig["brand_premium_cny_ci"]["all"]
            cover = sum(ci[b][0] <= truth["premia"][b] <= ci[b][1] for b in ci if truth["premia"][b])
            row = {"dgp": name, "seed": seed, "kind": m["kind"], "alpha": m["price_coef_per_1000cny"],
                   "rho": m["parameters"].get("rho", 0.0), "sigma": m["parameters"].get("sigma_prices", 0.0),
                   "premium_err": pe, "elasticity_err": ee, "diversion_gap": de, "cover": cover, "seconds": secs}
            rows.append(row)
            print(f"| {name} | {seed} | {m['kind']} | {truth['alpha']:.2f} / {row['alpha']:.3f} | "
                  f"{truth['rho']:.2f} / {row['rho']:.3f} | {truth['sigma']:.2f} / {row['sigma']:.3f} | {pe:.1%} | "
                  f"{ee:.1%} | {de:.4f} | {cover}/4 | {secs:.0f} |", flush=True)
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "gauntlet":
        gauntlet(tuple(int(x) for x in sys.argv[2].split(",")) if len(sys.argv) > 2 else (1, 2, 3))
    else:
        main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
