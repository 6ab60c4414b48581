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
from upmarket.analyses.mix.export import MIX_MODEL
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
from upmarket.analyses.mix.settings import MixSettings
from upmarket.estimation import CI_LEVEL
from upmarket.findings import Slots

if TYPE_CHECKING:
    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

__all__ = ["Mix", "MixData", "MixFit", "fit"]

MIN_WEEKS = 26


def _r(x: float, nd: int = 4) -> float:
    return round(float(x), nd)


def _bounds(opts: MixSettings, channels: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """Per-channel spend bounds as multiples of the current spend: ``[mix.bounds] jd_ads = [0.8, 1.5]``."""
    default = tuple(opts.default_bounds)
    out = {c: default for c in channels}
    for ch, pair in opts.bounds.items():
        if ch not in channels:
            raise MixInputError(f"upmarket.toml [mix] bounds: {ch!r} is not a channel with spend "
                                f"(channels: {', '.join(channels)})")
        lo, hi = (float(v) for v in pair)
        if not 0 <= lo <= hi:
            raise MixInputError(f"upmarket.toml [mix] bounds.{ch}: need 0 <= low <= high, got [{lo}, {hi}]")
        out[ch] = (lo, hi)
    return out


def _scenarios(opts: MixSettings, channels: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Hand-made plans: ``[mix.scenarios.more_live] douyin_live = 1.5`` (multiples of the current spend)."""
    out = {}
    for name, plan in opts.scenarios.items():
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
    s = Slots()
    lv = s("level", CI_LEVEL, "level")
    ch = s("channel", k.channel, "code")
    posts, creators = s("posts", int(k.posts), "count"), s("creators", int(k.creators), "count")
    fees = s("fees", _r(k.fees_cny, 0), "cny", f"mix.kol.{k.channel}.fees_cny")
    roi = s("roi", _r(k.mmm_roi), "ratio", f"mix.kol.{k.channel}.mmm_roi")
    lo, hi = s("roi_low", k.mmm_roi_low, "ratio"), s("roi_high", k.mmm_roi_high, "ratio")
    reach = reach_zh = attributed = attributed_zh = ""
    if not pd.isna(k.cascade_nodes_per_1000_cny):
        nodes = s("nodes", k.cascade_nodes_per_1000_cny, "ratio")
        reach, reach_zh = f", {nodes} cascade nodes per {s('per', 1000.0, 'cny')}", f"，每千元带来 {nodes} 个传播节点"
    if not pd.isna(k.attributed_gmv_per_cny):
        gmv = s("attributed", _r(k.attributed_gmv_per_cny), "ratio", f"mix.kol.{k.channel}.attributed_gmv_per_cny")
        attributed = f"; the platform attributes {gmv} CNY of GMV per CNY of fee to them"
        attributed_zh = f"；平台归因到这些内容的成交额为每元费用 {gmv} 元"
    return [Finding.of("mix.kol", s.template(
        f"The fees of {ch} bought {posts} paid posts by {creators} creators ({fees}{reach}){attributed}; the media "
        f"model says the channel's spend added {roi} CNY per CNY ({lv} interval {lo}–{hi}).",
        f"{ch}的费用购买了 {creators} 位创作者的 {posts} 条付费内容（{fees}{reach_zh}）{attributed_zh}；"
        f"媒介模型估计该渠道每元投放带来 {roi} 元成交额（{lv} 区间 {lo}–{hi}）。"))]


def findings(roi: pd.DataFrame, alloc: pd.DataFrame, opt: dict[str, Any], hold: dict[str, Any],
             flagged: list[str] | None = None) -> list[Finding]:
    """The sentences the report shows, with the figures behind them; ``flagged`` channels (ROI not identified)
    are named as such and left out of the ranking."""
    out = []
    flagged = list(flagged or [])
    if flagged:
        shown = roi[roi["channel"].isin(flagged)]
        s = Slots()
        lv = s("level", CI_LEVEL, "level")
        parts, parts_zh = [], []
        for i, (c, r, a, b) in enumerate(shown[["channel", "roi", "roi_low", "roi_high"]].itertuples(index=False)):
            ch, est = s(f"channel{i}", c, "code"), s(f"roi{i}", _r(r), "ratio", f"mix.roi.{c}")
            lo, hi = s(f"low{i}", a, "ratio"), s(f"high{i}", b, "ratio")
            parts.append(f"{ch} ({est}, {lo}–{hi})")
            parts_zh.append(f"{ch}（{est}，{lo}–{hi}）")
        ratio = s("ratio", UNIDENTIFIED_RATIO, "ratio")
        out.append(Finding.of("mix.unidentified", s.template(
            f"The data do not pin the return of {'; '.join(parts)}: the {lv} interval of its ROI spans more than a "
            f"factor of {ratio}, so its estimate is left out of the comparisons below; a longer lift test (a holdout "
            "outlasting the channel's carry-over) would settle it.",
            f"数据无法确定{'；'.join(parts_zh)}的回报：其 ROI 的 {lv} 区间跨度超过 {ratio} 倍，"
            "因此下文的比较不含该渠道；"
            "做一次更长的增量实验（停投时长超过该渠道的滞后效应）即可确定。")))
        roi = roi[~roi["channel"].isin(flagged)]
    if roi.empty:
        return out
    best = roi.sort_values("roi").iloc[-1]
    worst = roi.sort_values("roi").iloc[0]
    s = Slots()
    lv = s("level", CI_LEVEL, "level")
    b, w = s("best", best.channel, "code"), s("worst", worst.channel, "code")
    br, bl, bh = (s("best_roi", _r(best.roi), "ratio", f"mix.roi.{best.channel}"), s("best_low", best.roi_low, "ratio"),
                  s("best_high", best.roi_high, "ratio"))
    wr, wl, wh = (s("worst_roi", _r(worst.roi), "ratio", f"mix.roi.{worst.channel}"),
                  s("worst_low", worst.roi_low, "ratio"), s("worst_high", worst.roi_high, "ratio"))
    out.append(Finding.of("mix.roi", s.template(
        f"{b} returned the most GMV per yuan ({br} CNY per CNY, {lv} interval {bl}–{bh}); {w} the least ({wr}, "
        f"{wl}–{wh}).",
        f"{b}每元投放带来的 GMV 最高（{br} 元，{lv} 区间 {bl}–{bh}），{w}最低（{wr} 元，{wl}–{wh}）。")))
    gap = roi.assign(gap=roi["roi"] - roi["mroi"]).sort_values("gap").iloc[-1]
    s = Slots()
    lv = s("level", CI_LEVEL, "level")
    ch, r, m = (s("channel", gap.channel, "code"), s("roi", _r(gap.roi), "ratio", f"mix.roi.{gap.channel}"),
                s("mroi", _r(gap.mroi), "ratio", f"mix.mroi.{gap.channel}"))
    lo, hi = s("mroi_low", gap.mroi_low, "ratio"), s("mroi_high", gap.mroi_high, "ratio")
    out.append(Finding.of("mix.saturation", s.template(
        f"A high ROI does not mean the next yuan pays as well: the average return on {ch} is {r} "
        f"but the next yuan brings {m} (marginal ROI, {lv} interval {lo}–{hi}), "
        "because the channel is near saturation.",
        f"ROI 高不代表追加投放同样划算：{ch}的平均回报为 {r}，但追加一元只带来 {m}"
        f"（边际 ROI，{lv} 区间 {lo}–{hi}），该渠道已接近饱和。")))
    up = alloc.sort_values("change").iloc[-1]
    down = alloc.sort_values("change").iloc[0]
    s = Slots()
    lv = s("level", CI_LEVEL, "level")
    weeks, u, d = s("weeks", opt["weeks"], "count", "mix.optimiser.weeks"), s("up", up.channel, "code"), s(
        "down", down.channel, "code")
    uc, dc = s("up_change", up.change, "pct+"), s("down_change", down.change, "pct+")
    gain = s("uplift", opt["uplift"], "cny", "mix.optimiser.uplift")
    lo, hi = s("uplift_low", opt["uplift_ci"][0], "cny"), s("uplift_high", opt["uplift_ci"][1], "cny")
    s("mroi_at_optimum", opt["mroi_at_optimum"], "ratio", "mix.optimiser.mroi_at_optimum")
    out.append(Finding.of("mix.allocation", s.template(
        f"Moving the same budget over the last {weeks} weeks toward {u} ({uc}) and away from {d} ({dc}) would have "
        f"added {gain} of GMV ({lv} interval {lo} to {hi}); at the optimum every channel inside its bounds returns "
        "about the same on the next yuan.",
        f"在最近 {weeks} 周预算不变的情况下，向{u}倾斜（{uc}）、减少{d}（{dc}），可多带来 {gain} GMV"
        f"（{lv} 区间 {lo} 至 {hi}）；在最优分配下，各渠道追加一元的回报大致相等。")))
    if hold:
        s = Slots()
        lv = s("level", CI_LEVEL, "level")
        weeks = s("weeks", hold["weeks"], "count", "mix.holdout.weeks")
        mape, cov = (s("mape", hold["mape"], "pct", "mix.holdout.mape"),
                     s("coverage", hold["coverage_90"], "pct", "mix.holdout.coverage_90"))
        out.append(Finding.of("mix.holdout", s.template(
            f"Forecast check: fitted without the last {weeks} weeks, the model forecast them with a mean absolute "
            f"percentage error of {mape}; {cov} of those weeks fell inside the {lv} interval.",
            f"预测检验：不用最后 {weeks} 周拟合，模型对这几周的预测平均绝对百分比误差为 {mape}，"
            f"{cov} 的周落在 {lv} 区间内。")))
    return out


@register
class Mix(Analysis):
    """Marketing mix: ROI, marginal ROI, budget optimiser, scenarios and forecasts."""

    name = "mix"
    settings_type = MixSettings
    produces = (MIX_MODEL,)
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
        opts: MixSettings = config.settings("mix")
        data, source, warnings = load(warehouse, config)
        if len(data.weeks) < MIN_WEEKS:
            raise MixInputError(f"mix: {len(data.weeks)} weeks with both spend and GMV; the model needs at least "
                                f"{MIN_WEEKS}")
        fit_options = {"adstock": opts.adstock, "saturation": opts.saturation, "harmonics": opts.harmonics,
                       "starts": opts.starts, "n_draws": opts.draws, "seed": opts.seed}
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

        plan_weeks = min(opts.plan_weeks, len(data.weeks))
        planner = Planner(f, plan_weeks, n_draws=opts.plan_draws)
        bounds = _bounds(opts, data.channels)
        ones = np.ones(len(data.channels))
        if opts.target_mroi is not None:
            budget = planner.for_target_mroi(opts.target_mroi, bounds)
        else:
            budget = opts.budget if opts.budget is not None else float(planner.current.sum())
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
        grid = np.linspace(0.0, opts.curve_max, 11)
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
        if opts.target_mroi is not None:
            optimiser["target_mroi"] = opts.target_mroi

        h = max(1, min(opts.forecast_weeks, 52))
        fweeks = future_weeks(data.weeks[-1], h)
        fc = forecast(f, fweeks, planned_spend(opts, data, h), future_controls(data, h), seed=fit_options["seed"])
        tables["forecast"] = fc
        total = fc[["gmv_p05", "gmv_p95"]].sum()
        hold: dict[str, Any] = {}
        hold_weeks = opts.holdout_weeks
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
        tables["gmv_history"] = pd.DataFrame({"week": data.weeks[-26:].date, "gmv": data.gmv[-26:]})  # the fans' past
        self.artefacts.produce("mix_model", lambda: planner.artefact)  # type: ignore[union-attr]
        return Section(name=self.name, title=self.title, title_zh=self.title_zh, figures=figures, tables=tables,
                       warnings=warnings,
                       findings=[*findings(roi, alloc, optimiser, figures.get("holdout") or {}, flagged),
                                 *kol_findings(kol)])
