"""Launch curves: Bass diffusion p, q, m per model, pre-launch forecasts from analogues, and virality as a driver of q.

For every model with a sales series (quarterly or monthly from ``market_sales``, weekly from ``orders``: see
``series.py``) the Bass curve is fitted by nonlinear least squares on per-period adoptions with profile-likelihood
90 % intervals (``bass.py``). ``results.json`` gets ``launch.<model>.{p, q, m, time_unit}`` with ``p_ci``, ``q_ci``,
``m_ci``: p and q are *per time unit* (the unit is stated; ``bass.convert_rate`` converts), m is lifetime units.
A model in both sources is fitted on the tracker's figures only (the whole market; one scale of m per model)
unless ``source = "orders"``: orders give the weekly curves of models the tracker does not list. A model whose
series is too short is listed under ``not_computed`` with the reason, or, when earlier generations were fitted,
forecast from them instead (``basis = "analogues"``; ``analogues.py``), as is every model named in ``forecast``.
A series left-censored without a launch date is fitted as the remaining market (``remaining_market``, see
``bass.py``) and kept out of the analogues and the virality test.

Options (``[launch]``): ``source`` ("auto", "market_sales" or "orders"), ``min_points`` (4 periods),
``min_analogues`` (2), ``max_ci_ratio`` (2.5: a fit whose p or q interval is wider is declined as not identified,
and forecast from analogues when it can be), ``forecast`` (models to forecast from analogues even when they have
sales; default none),
``m_scale`` ({model: factor} on the analogues' m), ``horizon`` (periods in the forecast fan; default 8 quarters,
24 months or 52 weeks), ``fan_draws`` (2000), ``seed`` (0), ``virality_window_weeks`` (13: cascades of posts up to
this long after launch count for it), ``min_launches`` (8: fewer launches with cascades and the virality regression
is shown with a warning that n is too small).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from upmarket.analyses.base import Analysis, Finding, Need, Section, needs, register
from upmarket.analyses.launch.analogues import (
    analogue_forecast,
    cascade_virality,
    forecast_fan,
    pick_analogues,
    virality_regression,
)
from upmarket.analyses.launch.bass import BassFitError, BassResult, convert_rate, fit_bass
from upmarket.analyses.launch.series import ModelSeries, market_series, model_info, order_series
from upmarket.analyses.launch.settings import LaunchSettings
from upmarket.findings import Slots

if TYPE_CHECKING:
    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

__all__ = ["Launch", "fit_bass"]

LEVEL = 0.9
BOUNDARY = 1e-6
"""A fitted p or q below this sits at the model's boundary (``bass.LOG_FLOOR``): a degenerate fit, declined with the
reason (``_unidentified``), so it reaches neither the figures, the analogues, the virality test nor the text."""
MAX_CI_RATIO = 2.5
"""A fit is reported only when the upper/lower ratio of p's and q's 90 % intervals is at most this (``max_ci_ratio``);
on the twin, fits past it miss the planted p or q by more than 25 % (tests/analyses/launch/test_launch_twin_seeds)."""
DEFAULT_HORIZON = {"quarter": 8, "month": 24, "week": 52, "day": 180, "year": 5}


def _fit_row(s: ModelSeries, min_points: int, intervals: bool = True) -> tuple[dict[str, Any], BassResult | None]:
    """One row of the fits table, and the fit (None with the reason in ``reason``)."""
    row: dict[str, Any] = {"model": s.model, "brand": s.brand, "series": s.series_name, "source": s.source,
                           "time_unit": s.time_unit, "launch": s.launch, "launch_known": s.launch_known,
                           "censored": s.censored, "n_periods": len(s.units), "units_observed": float(s.units.sum())}
    try:
        fit = fit_bass(s.bass_series(), level=LEVEL, min_points=min_points, intervals=intervals)
    except BassFitError as exc:
        row["reason"] = str(exc)
        return row, None
    row.update(p=fit.p, q=fit.q, m=fit.m, remaining_market=fit.remaining_market, peak=fit.peak, rss=fit.rss,
               converged=fit.converged, reason=None)
    for name in ("p", "q", "m"):
        lo, hi = fit.ci.get(name, (None, None))
        row[f"{name}_low"], row[f"{name}_high"] = lo, hi
    return row, fit


def _unidentified(row: dict[str, Any], max_ratio: float) -> str | None:
    """Why a fit's p or q is not identified (its 90 % profile interval is open or wider than ``max_ratio``), or None.

    A few quarterly points leave many (p, q) pairs almost equally good: such a fit would be reported as if known. A fit
    at the model's boundary (p or q → 0: sales highest in the first period and fading, no word of mouth or no launch
    pull) is degenerate, whatever its interval: its p/q ratio, peak time and the launch text would be artefacts."""
    for name, what in (("q", "no word of mouth: sales highest in the first period"), ("p", "no launch pull")):
        if not row[name] > BOUNDARY:
            return f"degenerate fit: {name} = 0 at the model's boundary ({what}; {row['n_periods']} periods)"
    for name in ("p", "q"):
        lo, hi = row.get(f"{name}_low"), row.get(f"{name}_high")
        if lo is None or hi is None or not lo > 0:
            return f"not identified: the {LEVEL:.0%} interval of {name} is open ({row['n_periods']} periods)"
        if hi / lo > max_ratio:
            return (f"not identified: the {LEVEL:.0%} interval of {name} spans a factor {hi / lo:.1f} "
                    f"(> {max_ratio:g}; {row['n_periods']} periods)")
    return None


def _figure(row: pd.Series | dict[str, Any]) -> dict[str, Any]:
    """A model's results.json entry from its fits-table row."""
    out: dict[str, Any] = {"p": float(row["p"]), "q": float(row["q"]), "m": float(row["m"]),
                           "time_unit": row["time_unit"], "source": row["source"], "basis": "fit",
                           "brand": None if pd.isna(row["brand"]) else str(row["brand"]),
                           "n_periods": int(row["n_periods"]), "censored": bool(row["censored"]),
                           "remaining_market": bool(row["remaining_market"])}
    for name in ("p", "q", "m"):
        lo, hi = row.get(f"{name}_low"), row.get(f"{name}_high")
        out[f"{name}_ci"] = [None if lo is None or pd.isna(lo) else float(lo),
                             None if hi is None or pd.isna(hi) else float(hi)]
    return out


@register
class Launch(Analysis):
    """Bass diffusion per model, analogue forecasts for new models, cascade virality against q."""

    name = "launch"
    settings_type = LaunchSettings
    order = 80
    consumes = ("post_cascades",)
    title = "Launches: Bass diffusion curves and pre-launch forecasts"
    title_zh = "新品上市：Bass 扩散曲线与上市前预测"
    requires = ()
    optional = ("market_sales", "orders", "products", "posts")
    results_key: ClassVar[str] = "launch"
    figure_needs: ClassVar[dict[str, Need]] = {
        "launch_curves": needs("market_sales:model", "orders & products:model"),
        "q_drivers": needs("posts:sku_ids & products & shares"),
    }

    def missing(self, warehouse: Warehouse) -> str | None:
        if warehouse.has_rows("market_sales") or (warehouse.has_rows("orders") and warehouse.has_rows("products")):
            return None
        return "needs market_sales with model rows, or orders and products, not in the dataset"

    def run(self, warehouse: Warehouse, config: Config) -> Section:
        opts: LaunchSettings = config.settings("launch")
        source = opts.source
        if source not in ("auto", "market_sales", "orders"):
            raise ValueError(f"[launch] source must be auto, market_sales or orders, not {source!r}")
        min_points = opts.min_points
        min_analogues = opts.min_analogues
        max_ci_ratio = opts.max_ci_ratio
        rng = np.random.default_rng(opts.seed)
        info = model_info(warehouse)
        warnings: list[str] = []
        not_computed: dict[str, str] = {}
        series: list[ModelSeries] = []
        if source in ("auto", "market_sales"):
            found, notes = market_series(warehouse, info)
            series += found
            warnings += notes
        if source in ("auto", "orders"):
            found, notes = order_series(warehouse, info)
            series += found
            warnings += notes
        # point fits for every series; profile intervals (the slow part) only for the fit each model reports
        preferred = ("market_sales", "orders") if source != "orders" else ("orders",)
        rows, fits = [], {}
        series = sorted(series, key=lambda s: preferred.index(s.source) if s.source in preferred else 9)
        for s in series:
            first = next(o for o in series if o.model == s.model)
            if first.source != s.source:  # one scale per model: the tracker's, when it lists the model at all
                rows.append({"model": s.model, "source": s.source, "time_unit": s.time_unit,
                             "n_periods": len(s.units), "reason": f"not fitted: the model is in {first.source}"})
                continue
            row, fit = _fit_row(s, min_points, intervals=False)
            rows.append(row)
            if fit is not None:
                fits[(s.model, s.source)] = (s, fit)
        reported: dict[str, ModelSeries] = {}
        for src in preferred:
            for (model, fit_source), (s, _) in fits.items():
                if fit_source == src:
                    reported.setdefault(model, s)
        for i, s in enumerate(series):
            if reported.get(s.model) is s:
                rows[i], fit = _fit_row(s, min_points, intervals=True)
                fits[(s.model, s.source)] = (s, fit)
                if why := _unidentified(rows[i], max_ci_ratio):
                    rows[i]["reason"] = why
                    del reported[s.model]
        table = pd.DataFrame(rows)
        figures: dict[str, Any] = {}
        chosen: dict[str, pd.Series] = {
            model: table[(table["model"] == model) & (table["source"] == s.source)].iloc[0]
            for model, s in reported.items()}
        for model, r in sorted(chosen.items()):
            figures[model] = _figure(r)
            if r["censored"]:
                how = ("launch date known: fitted from the launch, the periods before the data left out"
                       if r["launch_known"] else "launch date unknown: p, q, m are those of the market remaining at "
                       "the first period, not of the launch; left out of analogues and the virality test")
                warnings.append(f"{model}: launched before the {r['source']} data begin ({how})")
        failed = table[table["reason"].notna()] if len(table) and "reason" in table else table.iloc[0:0]
        for model, g in failed.groupby("model") if len(failed) else []:
            if model not in chosen:
                not_computed[f"{model}"] = "; ".join(f"{r.source}: {r.reason}" for r in g.itertuples()
                                                     if not r.reason.startswith("not fitted"))
        # comparable across launches: seen from the launch, and not at the no-word-of-mouth boundary (q → 0)
        launches = [r for r in chosen.values() if not r["remaining_market"] and min(r["p"], r["q"]) > BOUNDARY]
        fitted = pd.DataFrame(launches) if launches else pd.DataFrame(
            columns=["model", "p", "q", "m", "time_unit", "launch", "series", "brand"])

        # pre-launch forecasts from analogues
        wanted = list(opts.forecast)
        m_scale = dict(opts.m_scale)
        targets = list(dict.fromkeys([*wanted, *(m for m in not_computed if m not in figures)]))
        forecasts, fans = [], []
        horizon_opt = opts.horizon
        for model in targets:
            meta = info[info["model"] == model]
            target = {"model": model,
                      "launch": meta["launch_date"].iloc[0] if len(meta) else None,
                      "series": meta["series"].iloc[0] if len(meta) else None,
                      "brand": meta["brand"].iloc[0] if len(meta) else None}
            analogues, how = pick_analogues(target, fitted, min_analogues)
            if analogues.empty:
                if model in wanted:
                    not_computed[f"{model}"] = (f"no forecast: fewer than {min_analogues} earlier fitted models of "
                                                "its series or brand")
                continue
            unit = analogues["time_unit"].mode().iloc[0]
            fc = analogue_forecast(analogues, unit, m_scale.get(model, 1.0), LEVEL)
            entry = {k: v for k, v in fc.items() if not k.startswith("_")}
            entry.update(basis="analogues", analogues=sorted(analogues["model"].tolist()), analogue_level=how)
            figures[model] = entry
            not_computed.pop(model, None)
            forecasts.append({"model": model, **{k: v for k, v in entry.items() if k != "analogues"},
                              "analogue_models": " | ".join(entry["analogues"])})
            if "_log_cov" in fc and np.isfinite(fc["_log_cov"]).all() and np.isfinite(fc["_log_mean"]).all():
                horizon = int(horizon_opt) if horizon_opt is not None else DEFAULT_HORIZON.get(unit, 8)
                fan = forecast_fan(fc, horizon, opts.fan_draws, rng, LEVEL)
                fans.append(fan.assign(model=model, time_unit=unit))

        backtest = self._backtest(fitted, min_analogues)
        if backtest is not None and len(backtest):
            figures["analogue_backtest"] = {
                "n": len(backtest),
                **{f"median_abs_log_error_{k}": float(backtest[f"log_error_{k}"].abs().median()) for k in "pqm"},
                **{f"coverage_{k}": float(backtest[f"covered_{k}"].mean()) for k in "pqm"}}

        # cascade virality as a driver of q across launches
        tables: dict[str, pd.DataFrame] = {"launch_fits": table}
        built = self.artefacts["post_cascades"]  # every post's cascade, not only the top posts in results
        window = opts.virality_window_weeks
        virality = cascade_virality(warehouse, built[0] if built else None, info, window) if len(fitted) else None
        if virality is None:
            not_computed["q_drivers"] = ("no cascades of posts naming the fitted models' SKUs (needs the spread "
                                         "analysis's cascades and posts.sku_ids)")
        else:
            reg = virality_regression(fitted, virality, LEVEL)
            tables["launch_virality"] = fitted[["model", "q", "time_unit"]].merge(virality, on="model")
            min_launches = opts.min_launches
            if reg["n"] < 3:
                not_computed["q_drivers"] = f"only {reg['n']} fitted launch(es) with cascades; a regression needs 3"
            else:
                reg["too_few"] = reg["n"] < min_launches
                figures["q_drivers"] = {"cascade_virality": reg}
                if reg["too_few"]:
                    warnings.append(f"virality vs q: n = {reg['n']} launches, fewer than {min_launches}: the slope "
                                    "is shown but too uncertain to act on")
        if forecasts:
            tables["launch_forecasts"] = pd.DataFrame(forecasts).drop(columns=["p_ci", "q_ci", "m_ci"],
                                                                      errors="ignore")
        if fans:
            tables["launch_fan"] = pd.concat(fans, ignore_index=True)
        if backtest is not None and len(backtest):
            tables["analogue_backtest"] = backtest
        curves = self._curves(fits, chosen)
        if len(curves):
            tables["launch_curves"] = curves
        return Section(name=self.name, title=self.title, title_zh=self.title_zh, figures=figures, tables=tables,
                       findings=self._findings(figures, config), warnings=warnings,
                       not_computed=not_computed)

    @staticmethod
    def _curves(fits: dict[tuple[str, str], tuple[ModelSeries, BassResult]], chosen: dict[str, pd.Series]
                ) -> pd.DataFrame:
        """Observed and fitted adoptions per period for the reported fits (the launch-curve chart's data)."""
        frames = []
        for model, r in chosen.items():
            s, fit = fits[(model, r["source"])]
            b = s.bass_series()
            frames.append(pd.DataFrame({"model": model, "source": s.source, "time_unit": s.time_unit,
                                        "period_start": s.start, "units": s.units,
                                        "fitted": fit.predict(b.t0, b.t1)}))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    @staticmethod
    def _backtest(fitted: pd.DataFrame, min_analogues: int) -> pd.DataFrame | None:
        """Each fitted model forecast from its own analogues as if before launch: how far off, and covered or not."""
        rows = []
        for r in fitted.itertuples():
            target = {"model": r.model, "launch": r.launch, "series": r.series, "brand": r.brand}
            analogues, how = pick_analogues(target, fitted, min_analogues)
            if analogues.empty:
                continue
            fc = analogue_forecast(analogues, r.time_unit, 1.0, LEVEL)
            row: dict[str, Any] = {"model": r.model, "analogue_level": how, "n_analogues": len(analogues),
                                   "time_unit": r.time_unit}
            for k in "pqm":
                actual = float(getattr(r, k))
                row[f"{k}_actual"], row[f"{k}_forecast"] = actual, fc[k]
                row[f"log_error_{k}"] = float(np.log(fc[k] / actual))
                lo, hi = fc[f"{k}_ci"]
                row[f"covered_{k}"] = bool(lo <= actual <= hi)
            rows.append(row)
        return pd.DataFrame(rows) if rows else None

    @staticmethod
    def _findings(figures: dict[str, Any], config: Config) -> list[Finding]:
        out = []
        fits = {k: v for k, v in figures.items()  # launches seen from the start: their p is the launch's pull
                if isinstance(v, dict) and v.get("basis") == "fit" and not v.get("censored")}
        focal = {config.focal_brand, *config.sub_brands}
        own = [k for k in fits if fits[k].get("brand") in focal] or list(fits)
        if own:
            top = max(own, key=lambda k: fits[k]["m"])
            f = fits[top]
            pw, qw = convert_rate(f["p"], f["time_unit"], "week"), convert_rate(f["q"], f["time_unit"], "week")
            peak = np.log(qw / pw) / (pw + qw) if qw > pw else 0.0
            s = Slots()
            name, m = s("model", top, "text"), s("m", f["m"], "count", f"launch.{top}.m")
            p, q, ratio = s("p_week", pw, "number"), s("q_week", qw, "number"), s("q_over_p", qw / pw, "ratio")
            if peak >= 1:
                weeks = s("peak_weeks", round(peak), "count")
                when, when_zh = f"sales peak about {weeks} weeks after launch", f"销量约在上市后 {weeks} 周见顶"
            else:
                when, when_zh = "sales are highest at launch", "销量在上市时最高"
            out.append(Finding.of("launch.bass", s.template(
                f"{name}: lifetime sales of about {m} units on its Bass curve; word of mouth (q = {q}/week) is "
                f"{ratio}× the pull of launch marketing (p = {p}/week), so {when}.",
                f"{name}：按 Bass 曲线，生命周期销量约 {m}台；口碑扩散系数 q（每周 {q}）"
                f"是上市营销拉动 p（每周 {p}）的 {ratio} 倍，{when_zh}。"),
                {f"launch.{top}.p": f["p"], f"launch.{top}.q": f["q"]}))  # p and q are printed per week
        reg = (figures.get("q_drivers") or {}).get("cascade_virality")
        if reg and "slope" in reg:
            lo, hi = reg["slope_ci"]
            sig = lo > 0 or hi < 0
            s = Slots()
            n = s("launches", reg["n"], "count", "launch.q_drivers.cascade_virality.n")
            lv = s("level", LEVEL, "level")
            few, few_zh = (("; too few launches to act on", "；上市次数太少，不宜据此决策") if reg.get("too_few")
                           else ("", ""))
            ci = f"the {lv} interval excludes no effect" if sig else f"but its {lv} interval includes none"
            out.append(Finding.of("launch.virality", s.template(
                f"Across {n} launches, more viral cascades go with {'a faster' if reg['slope'] > 0 else 'a slower'} "
                f"word-of-mouth rate q ({ci}{few}).",
                f"在 {n} 次新品上市中，传播链越“病毒式”，口碑系数 q {'越高' if reg['slope'] > 0 else '越低'}"
                f"（{lv} 区间{'不含' if sig else '包含'}零{few_zh}）。"),
                {"launch.q_drivers.cascade_virality.slope": reg["slope"],
                 "launch.q_drivers.cascade_virality.slope_ci": reg["slope_ci"]}))
        return out
