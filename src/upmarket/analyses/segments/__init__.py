"""Segments and willingness to pay from the conjoint (``choices``): MNL, latent-class logit, WTP per segment.

Results (under ``pricing``, next to the demand analysis's ``all`` figures): ``brand_premium_cny[segment][brand]``
— WTP in CNY for each brand over the reference brand (the first sub-brand unless ``[segments] reference``) —
and ``price_elasticity[segment][brand]``, each with a ``_ci`` sibling (90 %), plus ``segment_share``.
Segments are the latent classes, named by what defines them (``naming.py``).

Options (``[segments]``): ``max_classes`` (6), ``n_starts`` (3), ``seed`` (0), ``criterion`` ("bic"),
``reference``, ``min_group`` (30 respondents for a per-group WTP).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from upmarket.analyses.base import Analysis, Chart, Finding, Section, register
from upmarket.analyses.segments.design import ChoiceData, ChoiceDataError, build_design
from upmarket.analyses.segments.latent import LatentClassFit, fit_latent_class, select_classes
from upmarket.analyses.segments.mnl import MNLFit, fit_mnl, wtp
from upmarket.analyses.segments.naming import name_classes

if TYPE_CHECKING:
    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

__all__ = ["ChoiceData", "ChoiceDataError", "LatentClassFit", "MNLFit", "Segments", "build_design",
           "fit_latent_class", "fit_mnl", "load_choices", "market_elasticity", "select_classes", "wtp",
           "wtp_table"]

GROUPS = ("city_tier", "age_band")


def load_choices(warehouse: Warehouse) -> pd.DataFrame:
    """The choices table with its extra attribute columns (kept as JSON in ``_extra``) spread out."""
    con = warehouse.con
    cols = [c for c in con.execute("SELECT * FROM choices LIMIT 0").df().columns if c not in ("_file_id", "_row")]
    keys: list[str] = []
    if "_extra" in cols:
        keys = sorted(r[0] for r in con.execute(
            "SELECT DISTINCT unnest(json_keys(_extra)) FROM choices WHERE _extra IS NOT NULL").fetchall())
        cols.remove("_extra")
    sel = ", ".join([f'"{c}"' for c in cols] + [f"json_extract_string(_extra, '$.\"{k}\"') AS \"{k}\"" for k in keys])
    return con.execute(f"SELECT {sel} FROM choices").df()


def wtp_table(params: np.ndarray, cov: np.ndarray, names: list[str], **labels: Any) -> pd.DataFrame:
    """Long table of WTP (CNY) with 90 % delta-method bounds, one row per coefficient."""
    rows = [{**labels, "term": n, "wtp_cny": w, "low": lo, "high": hi}
            for n, (w, lo, hi) in wtp(params, cov, names).items()]
    return pd.DataFrame(rows)


def market_elasticity(warehouse: Warehouse) -> pd.Series | None:
    """Units-weighted mean street price (1000 CNY) per brand from market_sales, or None when absent.

    An own-price elasticity of a logit is −α·p·(1 − s) ≈ −α·p for small shares, so a segment's brand
    elasticity is its price coefficient times the brand's typical price (docs/segments.md)."""
    if not warehouse.has_rows("market_sales"):
        return None
    df = warehouse.con.execute("SELECT brand, sum(units * avg_price) / sum(units) / 1000 AS p FROM market_sales "
                               "WHERE units > 0 AND avg_price > 0 GROUP BY brand").df()
    return df.set_index("brand")["p"]


def _r(x: float, d: int = 1) -> float:
    return round(float(x), d)


@register
class Segments(Analysis):
    """Choice models on the conjoint; latent segments and their willingness to pay."""

    name = "segments"
    title = "Segments and willingness to pay"
    title_zh = "细分人群与支付意愿"
    requires = ("choices",)
    optional = ("users", "market_sales")
    results_key: ClassVar[str] = "pricing"

    def run(self, warehouse: Warehouse, config: Config) -> Section:
        opts = config.options("segments")
        ref = str(opts.get("reference", config.sub_brands[0] if config.sub_brands else config.focal_brand))
        data = build_design(load_choices(warehouse), ref)
        warnings = list(data.warnings)
        t0 = time.perf_counter()
        mnl = fit_mnl(data)
        t_mnl = time.perf_counter() - t0
        t0 = time.perf_counter()
        best, fits = select_classes(data, int(opts.get("max_classes", 6)), n_starts=int(opts.get("n_starts", 3)),
                                    seed=int(opts.get("seed", 0)))
        t_lc = time.perf_counter() - t0
        names = name_classes(best.betas, best.names)
        share_ci = best.share_ci()
        prices = market_elasticity(warehouse)
        ip = data.price_index
        prem: dict[str, dict[str, float]] = {}
        prem_ci: dict[str, dict[str, list[float]]] = {}
        el: dict[str, dict[str, float]] = {}
        el_ci: dict[str, dict[str, list[float]]] = {}
        tables: list[pd.DataFrame] = [wtp_table(mnl.params, mnl.cov, mnl.names, model="mnl", segment="all")]
        from scipy.stats import norm

        z = norm.ppf(0.95)
        for k, seg in enumerate(names):
            w = best.wtp(k)
            tables.append(wtp_table(best.betas[k], best.beta_cov(k), best.names, model="latent_class", segment=seg,
                                    share=best.shares[k]))
            prem[seg] = {ref: 0.0} | {n.split("=", 1)[1]: _r(v[0]) for n, v in w.items() if n.startswith("brand=")}
            prem_ci[seg] = {ref: [0.0, 0.0]} | {n.split("=", 1)[1]: [_r(v[1]), _r(v[2])]
                                                for n, v in w.items() if n.startswith("brand=")}
            if prices is not None:
                alpha = -best.betas[k, ip]
                se = float(np.sqrt(best.beta_cov(k)[ip, ip]))
                el[seg] = {b: _r(-alpha * p, 4) for b, p in prices.items() if b in prem[seg]}
                el_ci[seg] = {b: [_r(-(alpha + z * se) * p, 4), _r(-(alpha - z * se) * p, 4)]
                              for b, p in prices.items() if b in prem[seg]}
        groups = self._groups(warehouse, data, int(opts.get("min_group", 30)), warnings)
        if groups is not None:
            tables.append(groups)
        wtp_long = pd.concat(tables, ignore_index=True)
        lc_table = pd.DataFrame([{"classes": f.n_classes, "loglik": f.loglik, "n_params": f.n_params, "bic": f.bic,
                                  "aic": f.aic, "best_start_gap": (f.starts_loglik[0] - f.starts_loglik[-1])}
                                 for f in fits])
        figures: dict[str, Any] = {
            "brand_premium_cny": prem, "brand_premium_cny_ci": prem_ci,
            "segment_share": {s: _r(best.shares[k], 4) for k, s in enumerate(names)},
            "segment_share_ci": {s: [_r(share_ci[k, 0], 4), _r(share_ci[k, 1], 4)] for k, s in enumerate(names)},
            "latent_class": {"n_classes": best.n_classes, "criterion": "bic", "reference": ref,
                             "bic": {int(f.n_classes): _r(f.bic, 2) for f in fits},
                             "fit_seconds": {"mnl": _r(t_mnl, 3), "latent_class_all_k": _r(t_lc, 2)}},
        }
        if el:
            figures["price_elasticity"] = el
            figures["price_elasticity_ci"] = el_ci
        focal = config.focal_brand
        findings = [Finding(
            f"{best.n_classes} taste segments fit the conjoint best (BIC {best.bic:,.0f}); "
            + "; ".join(f"{s} ({best.shares[k]:.0%}) will pay {prem[s].get(focal, float('nan')):+,.0f} CNY for "
                        f"{focal} over {ref}" for k, s in enumerate(names)) + ".",
            {"pricing.segment_share": figures["segment_share"], "pricing.brand_premium_cny": prem},
            text_zh=f"联合分析识别出 {best.n_classes} 个偏好细分；" + "；".join(
                f"{s}（{best.shares[k]:.0%}）愿为 {focal} 比 {ref} 多付 {prem[s].get(focal, float('nan')):+,.0f} 元"
                for k, s in enumerate(names)) + "。")]
        charts = [self._chart(prem, prem_ci, ref)]
        return Section(self.name, self.title, figures=figures, title_zh=self.title_zh, warnings=warnings,
                       findings=findings, charts=charts,
                       tables={"wtp": wtp_long, "latent_class_fits": lc_table,
                               "segment_membership": pd.DataFrame({"respondent_id": data.respondents,
                                                                   "segment": np.array(names)[best.assignments()],
                                                                   "posterior": best.posterior.max(axis=1)})})

    def _groups(self, warehouse: Warehouse, data: ChoiceData, min_n: int, warnings: list[str]) -> pd.DataFrame | None:
        """WTP per observed group (city tier, age band) from an MNL on that group's respondents."""
        if not warehouse.has_rows("users"):
            return None
        users = warehouse.con.execute(f"SELECT user_id, {', '.join(GROUPS)} FROM users").df()
        users = users[users["user_id"].isin(set(data.respondents))]
        out = []
        for g in GROUPS:
            for level, ids in users.groupby(g)["user_id"]:
                if len(ids) < min_n:
                    warnings.append(f"segments: {g} = {level} has {len(ids)} respondents (< {min_n}); no WTP shown")
                    continue
                sub = data.subset(ids.to_numpy())
                try:
                    f = fit_mnl(sub)
                except np.linalg.LinAlgError:
                    continue
                out.append(wtp_table(f.params, f.cov, f.names, model="mnl", segment=f"{g}={level}",
                                     share=len(ids) / len(data.respondents)))
        return pd.concat(out, ignore_index=True) if out else None

    @staticmethod
    def _chart(prem: dict, ci: dict, ref: str) -> Chart:
        import plotly.graph_objects as go

        fig = go.Figure()
        for seg, row in prem.items():
            brands = [b for b in row if b != ref]
            fig.add_bar(name=seg, x=brands, y=[row[b] for b in brands],
                        error_y={"type": "data", "symmetric": False,
                                 "array": [ci[seg][b][1] - row[b] for b in brands],
                                 "arrayminus": [row[b] - ci[seg][b][0] for b in brands]})
        fig.update_layout(barmode="group", yaxis_title=f"CNY over {ref}")
        return Chart("brand_premium_by_segment", f"Willingness to pay over {ref}, by segment (90% intervals)", fig,
                     title_zh=f"各细分人群相对 {ref} 的品牌溢价（90% 区间）")
