"""Mix: what each paid channel returns, where the next yuan should go, and GMV under a planned spend.

A Bayesian marketing-mix model (adstock + Hill saturation + trend, yearly seasonality, 618/双11 and the
numeric ``kpi_weekly`` columns as controls; see :mod:`.model`) on ``spend`` and ``kpi_weekly.gmv`` (or GMV
from ``orders``), calibrated by lift tests where given (:mod:`.data`). ``results.json`` ``mix`` holds ROI
and marginal ROI per channel with 90 % intervals, contributions, the optimiser's allocation, the forecast
and the hold-out test, and the fit's diagnostics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from upmarket.analyses.base import Analysis, Finding, Section, register
from upmarket.analyses.mix.data import MixInputError, lift_tests, load, planned_spend
from upmarket.analyses.mix.export import mix_model_artefact
from upmarket.analyses.mix.model import MixData, MixFit, decay_summary, fit
from upmarket.analyses.mix.plan import (
    Planner,
    forecast,
    future_controls,
    future_weeks,
    holdout,
    quantiles,
    roi_table,
    scenario_rows,
)

if TYPE_CHECKING:
    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

__all__ = ["Mix", "MixData", "MixFit", "fit"]

MIN_WEEKS = 26


def _r(x: float, nd: int = 4) -> float:
    return round(float(x), nd)


def _bounds(opts: dict[str, Any], channels: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """Per-channel spend bounds as multiples of the current spend: ``[mix.bounds] jd_ads = [0.8, 1.5]``."""
    default = tuple(float(v) for v in opts.get("default_bounds", [0.5, 2.0]))
    out = {c: default for c in channels}
    for ch, pair in dict(opts.get("bounds", {}) or {}).items():
        if ch not in channels:
            raise MixInputError(f"upmarket.toml [mix] bounds: {ch!r} is not a channel with spend "
                                f"(channels: {', '.join(channels)})")
        lo, hi = (float(v) for v in pair)
        if not 0 <= lo <= hi:
            raise MixInputError(f"upmarket.toml [mix] bounds.{ch}: need 0 <= low <= high, got [{lo}, {hi}]")
        out[ch] = (lo, hi)
    return out


def _scenarios(opts: dict[str, Any], channels: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Hand-made plans: ``[mix.scenarios.more_live] douyin_live = 1.5`` (multiples of the current spend)."""
    out = {}
    for name, plan in dict(opts.get("scenarios", {}) or {}).items():
        unknown = sorted(set(plan) - set(channels))
        if unknown:
            raise MixInputError(f"upmarket.toml [mix] scenarios.{name}: {unknown[0]!r} is not a channel with spend")
        out[str(name)] = np.array([float(plan.get(c, 1.0)) for c in channels])
    return out


def findings(roi: pd.DataFrame, alloc: pd.DataFrame, opt: dict[str, Any], hold: dict[str, Any]) -> list[Finding]:
    """The sentences the report shows, with the figures behind them."""
    out = []
    best = roi.sort_values("roi").iloc[-1]
    worst = roi.sort_values("roi").iloc[0]
    out.append(Finding(
        f"{best.channel} returned the most GMV per yuan ({best.roi:.1f} CNY per CNY, 90% interval "
        f"{best.roi_low:.1f}–{best.roi_high:.1f}); {worst.channel} the least ({worst.roi:.1f}, "
        f"{worst.roi_low:.1f}–{worst.roi_high:.1f}).",
        {f"mix.roi.{best.channel}": _r(best.roi), f"mix.roi.{worst.channel}": _r(worst.roi)},
        f"{best.channel} 每元投放带来的 GMV 最高（{best.roi:.1f} 元，"
        f"90% 区间 {best.roi_low:.1f}–{best.roi_high:.1f}），"
        f"{worst.channel} 最低（{worst.roi:.1f} 元，{worst.roi_low:.1f}–{worst.roi_high:.1f}）。"))
    gap = roi.assign(gap=roi["roi"] - roi["mroi"]).sort_values("gap").iloc[-1]
    out.append(Finding(
        f"A high ROI does not mean the next yuan pays as well: {gap.channel}'s average return is {gap.roi:.1f} "
        f"but the next yuan brings {gap.mroi:.1f} (marginal ROI, 90% interval {gap.mroi_low:.1f}–{gap.mroi_high:.1f}), "
        "because the channel is near saturation.",
        {f"mix.roi.{gap.channel}": _r(gap.roi), f"mix.mroi.{gap.channel}": _r(gap.mroi)},
        f"ROI 高不代表追加投放同样划算：{gap.channel} 的平均回报为 {gap.roi:.1f}，但追加一元只带来 {gap.mroi:.1f}"
        f"（边际 ROI，90% 区间 {gap.mroi_low:.1f}–{gap.mroi_high:.1f}），该渠道已接近饱和。"))
    up = alloc.sort_values("change").iloc[-1]
    down = alloc.sort_values("change").iloc[0]
    lo, hi = opt["uplift_ci"]
    out.append(Finding(
        f"Moving the same budget over the last {opt['weeks']} weeks toward {up.channel} ({up.change:+.0%}) and away "
        f"from {down.channel} ({down.change:+.0%}) would have added {opt['uplift']:,.0f} CNY of GMV (90% interval "
        f"{lo:,.0f} to {hi:,.0f}); at the optimum every channel inside its bounds returns about the same on the next "
        "yuan.",
        {"mix.optimiser.uplift": opt["uplift"], "mix.optimiser.mroi_at_optimum": opt["mroi_at_optimum"]},
        f"在最近 {opt['weeks']} 周预算不变的情况下，向 {up.channel} 倾斜（{up.change:+.0%}）、减少 {down.channel}"
        f"（{down.change:+.0%}），可多带来 {opt['uplift']:,.0f} 元 GMV（90% 区间 {lo:,.0f} 至 {hi:,.0f}）；"
        "在最优分配下，各渠道追加一元的回报大致相等。"))
    if hold:
        out.append(Finding(
            f"Forecast check: fitted without the last {hold['weeks']} weeks, the model forecast them with a mean "
            f"absolute percentage error of {hold['mape']:.1%}; {hold['coverage_90']:.0%} of those weeks fell inside "
            "the 90% interval.",
            {"mix.holdout.mape": hold["mape"], "mix.holdout.coverage_90": hold["coverage_90"]},
            f"预测检验：不用最后 {hold['weeks']} 周拟合，模型对这几周的预测平均绝对百分比误差为 {hold['mape']:.1%}，"
            f"{hold['coverage_90']:.0%} 的周落在 90% 区间内。"))
    return out


@register
class Mix(Analysis):
    """Marketing mix: ROI, marginal ROI, budget optimiser, scenarios and forecasts."""

    name = "mix"
    order = 60
    title = "Marketing mix: what each channel returns and where the next yuan should go"
    title_zh = "营销组合：各渠道回报与下一元预算的去向"
    requires = ("spend",)
    optional = ("kpi_weekly", "orders", "products")
    results_key: ClassVar[str] = "mix"

    def missing(self, warehouse: Warehouse) -> str | None:
        reason = super().missing(warehouse)
        if reason is None and not warehouse.has_rows("kpi_weekly") and not (
                warehouse.has_rows("orders") and warehouse.has_rows("products")):
            return "needs an outcome: table kpi_weekly, or orders with products"
        return reason

    def run(self, warehouse: Warehouse, config: Config) -> Section:
        opts = config.options("mix")
        data, source, warnings = load(warehouse, config)
        if len(data.weeks) < MIN_WEEKS:
            raise MixInputError(f"mix: {len(data.weeks)} weeks with both spend and GMV; the model needs at least "
                                f"{MIN_WEEKS}")
        fit_options = {"adstock": str(opts.get("adstock", "geometric")),
                       "saturation": str(opts.get("saturation", "hill")), "harmonics": int(opts.get("harmonics", 2)),
                       "starts": int(opts.get("starts", 3)), "n_draws": int(opts.get("draws", 1000)),
                       "seed": int(opts.get("seed", 0))}
        tests = lift_tests(warehouse, opts, data.channels)
        f = fit(data, lift_tests=tests, **fit_options)
        if f.dropped_controls:
            warnings.append("controls left out as constant or a combination of trend, season and the 618/双11 "
                            f"event days: {', '.join(f.dropped_controls)}")
        if f.diagnostics["laplace_ess_fraction"] < 0.05:
            warnings.append(f"the Laplace approximation fits the posterior loosely (importance ESS "
                            f"{f.diagnostics['laplace_ess_fraction']:.1%} of draws): read the intervals as approximate")
        roi = roi_table(f)
        tables: dict[str, pd.DataFrame] = {"roi": roi, "parameters": decay_summary(f), "diagnostics": pd.DataFrame(
            {"diagnostic": list(f.diagnostics), "value": [str(v) for v in f.diagnostics.values()]})}

        plan_weeks = min(int(opts.get("plan_weeks", 13)), len(data.weeks))
        planner = Planner(f, plan_weeks, n_draws=int(opts.get("plan_draws", 200)))
        bounds = _bounds(opts, data.channels)
        ones = np.ones(len(data.channels))
        if opts.get("target_mroi") is not None:
            budget = planner.for_target_mroi(float(opts.get("target_mroi")), bounds)
        else:
            budget = float(opts.get("budget", planner.current.sum()))
        best = planner.optimise(budget, bounds)
        g_now, g_opt = planner.gmv(ones), planner.gmv(best)
        m_opt = planner.marginal(best)
        alloc = pd.DataFrame({"channel": data.channels, "current_spend": planner.current,
                              "optimal_spend": best * planner.current, "change": best - 1,
                              "current_gmv": g_now.mean(axis=0), "optimal_gmv": g_opt.mean(axis=0),
                              "mroi_at_optimum": m_opt.mean(axis=0),
                              "mroi_at_optimum_low": quantiles(m_opt)[0], "mroi_at_optimum_high": quantiles(m_opt)[2],
                              "bound_low": [bounds[c][0] for c in data.channels],
                              "bound_high": [bounds[c][1] for c in data.channels]})
        tables["allocation"] = alloc
        grid = np.linspace(0.0, float(opts.get("curve_max", 2.5)), 11)
        curves = planner.curve(grid)
        tables["response_curves"] = curves
        plans = {"current": ones, "optimal": best, **_scenarios(opts, data.channels)}
        tables["scenarios"] = scenario_rows(planner, plans)
        base_window = f.baseline(data.weeks[planner.start:], data.controls.iloc[planner.start:].reset_index(drop=True))
        total_opt = base_window.sum(axis=1)[: g_opt.shape[0]] + g_opt.sum(axis=1)
        uplift = g_opt.sum(axis=1) - g_now.sum(axis=1)
        optimiser = {"weeks": plan_weeks, "budget": _r(budget, 0), "current_budget": _r(planner.current.sum(), 0),
                     "allocation": {c: _r(v, 0) for c, v in zip(data.channels, best * planner.current, strict=True)},
                     "expected_gmv": _r(np.median(total_opt), 0),
                     "expected_gmv_ci": [_r(v, 0) for v in quantiles(total_opt)[::2]],
                     "uplift": _r(np.median(uplift), 0), "uplift_ci": [_r(v, 0) for v in quantiles(uplift)[::2]],
                     "mroi_at_optimum": {c: _r(v) for c, v in zip(data.channels, m_opt.mean(axis=0), strict=True)}}
        if opts.get("target_mroi") is not None:
            optimiser["target_mroi"] = float(opts.get("target_mroi"))

        h = max(1, min(int(opts.get("forecast_weeks", 13)), 52))
        fweeks = future_weeks(data.weeks[-1], h)
        fc = forecast(f, fweeks, planned_spend(opts, data, h), future_controls(data, h), seed=fit_options["seed"])
        tables["forecast"] = fc
        total = fc[["gmv_p05", "gmv_p95"]].sum()
        hold: dict[str, Any] = {}
        hold_weeks = int(opts.get("holdout_weeks", 8))
        if hold_weeks > 0 and len(data.weeks) - hold_weeks >= MIN_WEEKS:
            hold, hold_fc = holdout(data, hold_weeks, lift_tests=[t for t in tests if t.end < data.weeks[-hold_weeks]],
                                    **fit_options)
            tables["holdout"] = hold_fc
        else:
            warnings.append(f"no hold-out test: {len(data.weeks)} weeks leave fewer than {MIN_WEEKS} to fit on")

        r = roi.set_index("channel")
        figures = {
            "roi": {c: _r(v) for c, v in r["roi"].items()},
            "roi_ci": {c: [_r(a), _r(b)] for c, a, b in zip(r.index, r["roi_low"], r["roi_high"], strict=True)},
            "mroi": {c: _r(v) for c, v in r["mroi"].items()},
            "mroi_ci": {c: [_r(a), _r(b)] for c, a, b in zip(r.index, r["mroi_low"], r["mroi_high"], strict=True)},
            "contribution": {c: _r(v, 0) for c, v in r["contribution"].items()},
            "contribution_ci": {c: [_r(a, 0), _r(b, 0)] for c, a, b in
                                zip(r.index, r["contribution_low"], r["contribution_high"], strict=True)},
            "optimiser": optimiser,
            "forecast": {"weeks": h, "gmv": _r(fc["gmv"].sum(), 0),
                         "gmv_ci": [_r(total["gmv_p05"], 0), _r(total["gmv_p95"], 0)],
                         "planned_spend": _r(fc["planned_spend"].sum(), 0)},
            "diagnostics": {k: (_r(v, 6) if isinstance(v, float) else v) for k, v in f.diagnostics.items()},
            "outcome": source,
            "adstock": f.adstock,
            "weeks": [str(data.weeks[0].date()), str(data.weeks[-1].date())],
        }
        if hold:
            figures["holdout"] = {k: (_r(v) if isinstance(v, float) else v) for k, v in hold.items()}
        tables["gmv_history"] = pd.DataFrame({"week": data.weeks[-26:].date, "gmv": data.gmv[-26:]})  # the fans' past
        return Section(name=self.name, title=self.title, title_zh=self.title_zh, figures=figures, tables=tables,
                       findings=findings(roi, alloc, optimiser, hold), warnings=warnings,
                       artefacts={"mix_model": mix_model_artefact(f, planner.start)})
