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
from upmarket.analyses.mix.charts import forecast_fan, response_curves, roi_bars
from upmarket.analyses.mix.data import MixInputError, lift_tests, load, planned_spend
from upmarket.analyses.mix.kol import fee_channel_rules, kol_table
from upmarket.analyses.mix.model import MixData, MixFit, decay_summary, fit
from upmarket.analyses.mix.plan import (
    UNIDENTIFIED_RATIO,
    Planner,
    forecast,
    future_controls,
    future_weeks,
    holdout,
    quantiles,
    roi_table,
    scenario_rows,
    unidentified,
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


KOL_FIGURES = ("posts", "creators", "fees_cny", "fee_share", "cost_per_1000_views", "cost_per_engagement",
               "cost_per_cascade_node", "cascade_nodes_per_1000_cny", "attributed_gmv_per_cny", "mmm_roi")


def kol_figures(kol: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """``mix.kol.<channel>``: the fee channel's linked posts per yuan beside its MMM ROI (unknown → null)."""
    out = {}
    for r in kol.to_dict("records"):
        row: dict[str, Any] = {k: (None if pd.isna(r[k]) else (int(r[k]) if k in ("posts", "creators") else _r(r[k])))
                               for k in KOL_FIGURES}
        row["mmm_roi_ci"] = [_r(r["mmm_roi_low"]), _r(r["mmm_roi_high"])]
        out[str(r["channel"])] = row
    return out


def kol_findings(kol: pd.DataFrame) -> list[Finding]:
    """The fee channel with the most fees: what its posts reached per yuan and what the platform attributes to them,
    against what the media model says the channel's spend added."""
    if kol.empty:
        return []
    k = kol.sort_values("fees_cny").iloc[-1]
    reach = "" if pd.isna(k.cascade_nodes_per_1000_cny) else (
        f", {k.cascade_nodes_per_1000_cny:.1f} cascade nodes per ¥1,000")
    reach_zh = "" if pd.isna(k.cascade_nodes_per_1000_cny) else (
        f"，每千元带来 {k.cascade_nodes_per_1000_cny:.1f} 个传播节点")
    evidence = {f"mix.kol.{k.channel}.fees_cny": _r(k.fees_cny, 0), f"mix.kol.{k.channel}.mmm_roi": _r(k.mmm_roi)}
    if pd.isna(k.attributed_gmv_per_cny):
        attributed, attributed_zh = "", ""
    else:
        evidence[f"mix.kol.{k.channel}.attributed_gmv_per_cny"] = _r(k.attributed_gmv_per_cny)
        attributed = f"; the platform attributes {k.attributed_gmv_per_cny:.1f} CNY of GMV per CNY of fee to them"
        attributed_zh = f"；平台归因到这些内容的成交额为每元费用 {k.attributed_gmv_per_cny:.1f} 元"
    return [Finding(
        f"{k.channel}'s fees bought {int(k.posts)} paid posts by {int(k.creators)} creators "
        f"({k.fees_cny:,.0f} CNY{reach}){attributed}; the media model says the channel's spend added "
        f"{k.mmm_roi:.1f} CNY per CNY (90% interval {k.mmm_roi_low:.1f}–{k.mmm_roi_high:.1f}).",
        evidence,
        f"{k.channel} 的费用购买了 {int(k.creators)} 位创作者的 {int(k.posts)} 条付费内容（{k.fees_cny:,.0f} 元"
        f"{reach_zh}）{attributed_zh}；媒介模型估计该渠道每元投放带来 {k.mmm_roi:.1f} 元成交额"
        f"（90% 区间 {k.mmm_roi_low:.1f}–{k.mmm_roi_high:.1f}）。")]


def findings(roi: pd.DataFrame, alloc: pd.DataFrame, opt: dict[str, Any], hold: dict[str, Any],
             flagged: list[str] | None = None) -> list[Finding]:
    """The sentences the report shows, with the figures behind them; ``flagged`` channels (ROI not identified)
    are named as such and left out of the ranking."""
    out = []
    flagged = list(flagged or [])
    if flagged:
        shown = roi[roi["channel"].isin(flagged)]
        out.append(Finding(
            f"The data do not pin the return of {', '.join(flagged)}: the 90% interval of its ROI spans more than a "
            f"factor of {UNIDENTIFIED_RATIO:g}, so its estimate is left out of the comparisons below; a longer lift "
            "test (a holdout outlasting the channel's carry-over) would settle it.",
            {f"mix.roi_ci.{c}": [_r(a), _r(b)] for c, a, b in
             shown[["channel", "roi_low", "roi_high"]].itertuples(index=False)},
            f"数据无法确定 {'、'.join(flagged)} 的回报：其 ROI 的 90% 区间跨度超过 {UNIDENTIFIED_RATIO:g} 倍，"
            "因此下文的比较不含该渠道；做一次更长的增量实验（停投时长超过该渠道的滞后效应）即可确定。"))
        roi = roi[~roi["channel"].isin(flagged)]
    if roi.empty:
        return out
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
        f"Keeping the weekly budget of the last {opt['weeks']} weeks but moving it toward {up.channel} "
        f"({up.change:+.0%}) and away from {down.channel} ({down.change:+.0%}) adds {opt['uplift']:,.0f} CNY of GMV "
        f"over {opt['weeks']} weeks once spend has settled (90% interval "
        f"{lo:,.0f} to {hi:,.0f}); at the optimum every channel inside its bounds returns about the same on the next "
        "yuan.",
        {"mix.optimiser.uplift": opt["uplift"], "mix.optimiser.mroi_at_optimum": opt["mroi_at_optimum"]},
        f"保持最近 {opt['weeks']} 周的每周预算不变，向 {up.channel} 倾斜（{up.change:+.0%}）、减少 {down.channel}"
        f"（{down.change:+.0%}），投放稳定后每 {opt['weeks']} 周可多带来 {opt['uplift']:,.0f} 元 GMV"
        f"（90% 区间 {lo:,.0f} 至 {hi:,.0f}）；"
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
    optional = ("kpi_weekly", "orders", "products", "posts", "shares")
    results_key: ClassVar[str] = "mix"

    def missing(self, warehouse: Warehouse) -> str | None:
        reason = super().missing(warehouse)
        if reason is None and not warehouse.has_rows("kpi_weekly") and not (
                warehouse.has_rows("orders") and warehouse.has_rows("products")):
            return "needs an outcome: table kpi_weekly, or orders with products"
        return reason

    def _spread_figures(self) -> dict[str, Any]:
        """The spread analysis's per-post cascade measures (its results figures): mix's one read of another
        analysis, kept here so it is easy to rewire to a named artefact."""
        return dict(self.upstream.get("spread", {}) or {})

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
        flagged = unidentified(roi)
        if flagged:
            warnings.append(f"ROI not identified by the data and lift tests (90% interval wider than a factor of "
                            f"{UNIDENTIFIED_RATIO:g}): {', '.join(flagged)}; read their ROI as a wide range, not a "
                            "number")
        tables: dict[str, pd.DataFrame] = {"roi": roi, "parameters": decay_summary(f), "diagnostics": pd.DataFrame(
            {"diagnostic": list(f.diagnostics), "value": [str(v) for v in f.diagnostics.values()]})}

        kol = kol_table(warehouse, fee_channel_rules(data.channels, opts),
                        pd.DataFrame(data.spend, index=data.weeks, columns=list(data.channels)), roi,
                        [config.focal_brand, *config.sub_brands], self._spread_figures())
        if len(kol):
            tables["kol"] = kol

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
        total_opt = planner.level(best)
        uplift, uplift_ci = planner.uplift(best)  # the dashboard's MixModel.change for the same plan, × weeks
        optimiser = {"weeks": plan_weeks, "budget": _r(budget, 0), "current_budget": _r(planner.current.sum(), 0),
                     "allocation": {c: _r(v, 0) for c, v in zip(data.channels, best * planner.current, strict=True)},
                     "expected_gmv": _r(np.median(total_opt), 0),
                     "expected_gmv_ci": [_r(v, 0) for v in quantiles(total_opt)[::2]],
                     "uplift": _r(uplift, 0), "uplift_ci": [_r(v, 0) for v in (uplift_ci or (uplift, uplift))],
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
            "unidentified": flagged,
            "optimiser": optimiser,
            **({"kol": kol_figures(kol)} if len(kol) else {}),
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
        history = pd.DataFrame({"week": data.weeks[-26:].date, "gmv": data.gmv[-26:]})
        charts = [roi_bars(roi), response_curves(curves, alloc),
                  forecast_fan(history, fc)]
        if hold:
            charts.append(forecast_fan(pd.DataFrame({"week": data.weeks[-26:-hold_weeks].date,
                                                     "gmv": data.gmv[-26:-hold_weeks]}), tables["holdout"]))
            charts[-1].name, charts[-1].title, charts[-1].title_zh = (
                "mix_holdout", "Hold-out: the last weeks forecast from a fit without them",
                "留出检验：不含最后几周拟合后的预测")
        return Section(name=self.name, title=self.title, title_zh=self.title_zh, figures=figures, tables=tables,
                       charts=charts, warnings=warnings,
                       findings=[*findings(roi, alloc, optimiser, hold, flagged), *kol_findings(kol)],
                       artefacts={"mix_model": planner.artefact})
