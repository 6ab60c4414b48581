"""Segments and willingness to pay from the conjoint (``choices``): MNL, latent-class logit, WTP per segment.

Results (under ``pricing``, next to the demand analysis's ``all`` figures): ``brand_premium_cny[segment][brand]``
— WTP in CNY for each brand over the reference brand (``design.choose_reference``: ``[segments] reference_brand``,
else the sub-brand, else the focal brand, else the design's first level) — and ``price_elasticity[segment][brand]``,
each with a ``_ci`` sibling (90 %), plus ``segment_share``; and the contract's top-level ``segments`` block
(``segments_block``: population and per-class WTP per ``attribute=level`` with intervals). Segments are the latent
classes, named by what sets them apart in the data (``naming.py``: "price-sensitive", "brand-driven: Apple").

Also (each skipped with a warning when its tables are absent): a mixed logit (``mixed.py``, xlogit) with the
population distribution of WTP; the STP table with an attractiveness score and target segments (``stp.py``);
the perceptual map (``positioning.py``); promotion language per target segment (``messages.py``). Without a
conjoint, users are segmented on behaviour instead (``behaviour.py``).

The number of classes is chosen by BIC on the latent-class model with constant shares; at that number, class
membership is then made to depend on the respondent's city tier, age band and gender when they are users (a
concomitant-variable latent class, π_rk = softmax(Z_r Γ)); ``segment_share`` is the mean of those probabilities.
Enumerating classes before adding covariates is the usual advice (Nylund-Gibson & Masyn 2016): with them, BIC
charges q·(K − 1) extra parameters per class and, on the twin, stops one class short. Within each class the
price coefficient is lognormal around the class's (one σ for all classes, ``latent.py``); WTP uses the class mean.

Options (``[segments]``): ``max_classes`` (6), ``n_starts`` (3), ``seed`` (0), ``criterion`` ("bic"),
``price_nodes`` (3 Gauss–Hermite nodes for the within-class price spread; 0 = one α per class),
``covariates`` (["city_tier", "age_band", "gender"]; [] = constant shares),
``reference_brand`` (or ``reference``), ``min_group`` (30 respondents for a per-group WTP), ``mixed_draws``
(50; 0 = no mixed logit), ``n_targets`` (2), ``max_k`` (6) and ``n_boot`` (10) for the behavioural clustering.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

import ibis
import numpy as np
import pandas as pd

from upmarket.analyses.base import Analysis, Finding, Need, Section, needs, register
from upmarket.analyses.segments.conjoint import (
    CHOICE_DESIGN,
    LATENT_CLASSES,
    choice_design,
    class_names,
    design_price_range,
    latent_segments,
    load_choices,
    membership_traits,
)
from upmarket.analyses.segments.positioning import reviews_with_brand
from upmarket.analyses.segments.settings import SegmentsSettings
from upmarket.analyses.segments.wtp import _r, segment_elasticities, segments_block, wtp_table
from upmarket.choice.design import ChoiceData, ChoiceDataError, build_design
from upmarket.choice.latent import LatentClassFit, LatentSegments, fit_latent_class, select_classes
from upmarket.choice.mnl import MNLFit, fit_mnl, wtp
from upmarket.contract import PREMIUM_THRESHOLD_CNY
from upmarket.findings import Slots
from upmarket.warehouse.source import to_frame

if TYPE_CHECKING:
    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

__all__ = ["CHOICE_DESIGN", "LATENT_CLASSES", "ChoiceData", "ChoiceDataError", "LatentClassFit", "LatentSegments",
           "MNLFit", "Segments", "build_design", "choice_design", "class_names", "design_price_range",
           "fit_latent_class", "fit_mnl", "latent_segments", "load_choices", "membership_traits",
           "segment_elasticities", "segments_block", "select_classes", "wtp", "wtp_table"]

GROUPS = ("city_tier", "age_band")


@register
class Segments(Analysis):
    """Choice models on the conjoint; latent segments and their willingness to pay."""

    name = "segments"
    settings_type = SegmentsSettings
    order = 60
    title = "Segments and willingness to pay"
    title_zh = "细分人群与支付意愿"
    requires = ()
    optional = ("choices", "users", "market_sales", "orders", "events", "reviews", "products", "posts")
    results_key: ClassVar[str] = "pricing"
    produces = (CHOICE_DESIGN, LATENT_CLASSES)
    figure_needs: ClassVar[dict[str, Need]] = {
        "wtp_cny": needs("choices"),
        "classes": needs("choices"),
        "segment_wtp_by_city_tier": needs("choices & users:city_tier"),  # WTP per observed group (wtp table)
        "segment_wtp_by_age_band": needs("choices & users:age_band"),
        "positioning": needs("reviews & products", "posts:topics,brands"),
        "behavioural_segments": needs("choices", "users"),  # without a conjoint: clusters of users' behaviour
    }

    def missing(self, warehouse: Warehouse) -> str | None:
        if warehouse.has_rows("choices") or warehouse.has_rows("users"):
            return None
        return "needs table choices (a conjoint) or users (for behavioural segments), neither is in the dataset"

    def run(self, warehouse: Warehouse, config: Config) -> Section:
        opts: SegmentsSettings = config.settings("segments")
        if not warehouse.has_rows("choices"):
            return self._behavioural(warehouse, config)
        data: ChoiceData = self.artefacts["choice_design"]
        ref = data.reference
        warnings = list(data.warnings)
        t0 = time.perf_counter()
        mnl = fit_mnl(data)
        t_mnl = time.perf_counter() - t0
        t0 = time.perf_counter()
        latent: LatentSegments = self.artefacts["latent_classes"]
        best, fits = latent.best, latent.fits
        warnings.extend(latent.warnings)
        t_lc = time.perf_counter() - t0
        names = list(latent.names)
        share_ci = best.share_ci()
        elastic = segment_elasticities(warehouse, best, ref)
        prem: dict[str, dict[str, float]] = {}
        prem_ci: dict[str, dict[str, list[float]]] = {}
        el: dict[str, dict[str, float]] = {}
        el_ci: dict[str, dict[str, list[float]]] = {}
        tables: list[pd.DataFrame] = [wtp_table(mnl.params, mnl.cov, mnl.names, model="mnl", segment="all")]
        for k, seg in enumerate(names):
            w = best.wtp(k)
            tables.append(wtp_table(*best.mean_beta(k), best.names, model="latent_class", segment=seg,
                                    share=best.shares[k]))
            prem[seg] = {ref: 0.0} | {n.split("=", 1)[1]: _r(v[0]) for n, v in w.items() if n.startswith("brand=")}
            prem_ci[seg] = {ref: [0.0, 0.0]} | {n.split("=", 1)[1]: [_r(v[1]), _r(v[2])]
                                                for n, v in w.items() if n.startswith("brand=")}
            if elastic is not None:
                el[seg], el_ci[seg] = elastic[0][str(k)], elastic[1][str(k)]
        groups = self._groups(warehouse, data, opts.min_group, warnings)
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
            "_results": {"segments": segments_block(best, data, names, opts.seed)},
            "latent_class": {"n_classes": best.n_classes, "criterion": "bic", "reference": ref,
                             "reference_rule": data.reference_rule,
                             "membership_covariates": best.covariates,
                             "price_log_sd": _r(best.price_log_sd, 4), "price_nodes": best.price_nodes,
                             "bic": {int(f.n_classes): _r(f.bic, 2) for f in fits},
                             "fit_seconds": {"mnl": _r(t_mnl, 3), "latent_class_all_k": _r(t_lc, 2)}},
        }
        if el:
            figures["price_elasticity"] = el
            figures["price_elasticity_ci"] = el_ci
        focal = config.focal_brand
        sl = Slots()
        n, bic = sl("n_classes", best.n_classes, "count", "pricing.latent_class.n_classes"), sl(
            "bic", _r(best.bic, 2), "count", f"pricing.latent_class.bic.{best.n_classes}")
        fb, rb = sl("brand", focal, "brand"), sl("reference", ref, "brand")
        parts = [(sl(f"segment{k}", s, "segment"), sl(f"share{k}", figures["segment_share"][s], "pct",
                                                      f"pricing.segment_share.{s}"),
                  sl(f"wtp{k}", prem[s].get(focal, float("nan")), "cny+", f"pricing.brand_premium_cny.{s}.{focal}"))
                 for k, s in enumerate(names)]
        findings = [Finding.of("segments.classes", sl.template(
            f"{n} taste segments fit the conjoint best (BIC {bic}); "
            + "; ".join(f"{s} ({sh}) will pay {w} for {fb} over {rb}" for s, sh, w in parts) + ".",
            f"联合分析识别出 {n} 个偏好细分；"
            + "；".join(f"{s}（{sh}）愿为 {fb} 比 {rb} 多付 {w}" for s, sh, w in parts) + "。"))]
        tables = {"wtp": wtp_long, "latent_class_fits": lc_table,
                  "segment_membership": pd.DataFrame({"respondent_id": data.respondents,
                                                      "segment": np.array(names)[best.assignments()],
                                                      "posterior": best.posterior.max(axis=1)})}
        draws = opts.mixed_draws
        if draws > 0:
            self._mixed(data, mnl, draws, opts.seed, figures, tables, findings, warnings)
        posterior = pd.DataFrame(best.posterior, columns=names).assign(respondent_id=data.respondents)
        stp = self._stp(warehouse, config, posterior, best, names, prem, prem_ci, figures, tables, findings,
                        warnings, opts.n_targets)
        self._positioning(warehouse, config, figures, tables, findings, warnings)
        if stp is not None:
            self._messages(warehouse, config, data, best, names, stp, tables, findings, warnings)
        return Section(self.name, self.title, figures=figures, title_zh=self.title_zh, warnings=warnings,
                       findings=findings, tables=tables)

    @staticmethod
    def _mixed(data: ChoiceData, mnl: MNLFit, draws: int, seed: int, figures: dict, tables: dict,
               findings: list, warnings: list) -> None:
        """Mixed logit (xlogit): log-likelihood against the MNL, and the WTP distribution per brand."""
        from upmarket.analyses.segments.mixed import fit_mixed, wtp_distribution

        try:
            mx = fit_mixed(data, n_draws=draws, seed=seed)
        except Exception as exc:
            warnings.append(f"segments: mixed logit failed ({type(exc).__name__}: {exc}); not shown")
            return
        dist = wtp_distribution(mx, seed=seed)
        tables["wtp_mixed_logit"] = dist
        figures["mixed_logit"] = {
            "loglik": _r(mx.loglik, 2), "mnl_loglik": _r(mnl.loglik, 2), "n_draws": draws, "converged": mx.converged,
            "fit_seconds": _r(mx.seconds, 2), "price_log_sd": _r(abs(mx.sd["price"]), 4),
            "wtp_median_cny": {r.brand: _r(r.median) for r in dist.itertuples()},
            "wtp_median_cny_ci": {r.brand: [_r(r.median_low), _r(r.median_high)] for r in dist.itertuples()},
            "wtp_p5_p95_cny": {r.brand: [_r(r.p5), _r(r.p95)] for r in dist.itertuples()}}
        if mx.sd["price"] and not mx.converged:
            warnings.append("segments: the mixed logit did not converge; its figures are indicative")
        top = dist.sort_values("median", ascending=False).iloc[0]
        findings.append(Finding(
            f"Tastes vary within the market: in a mixed logit (log-likelihood {mx.loglik:,.0f} vs {mnl.loglik:,.0f} "
            f"for the plain logit) the median respondent would pay {top['median']:,.0f} CNY more for {top['brand']} "
            f"than for {data.reference} (90% interval {top['median_low']:,.0f}–{top['median_high']:,.0f}), but a "
            f"tenth of people less than {top['p5']:,.0f} and a tenth more than {top['p95']:,.0f}.",
            {"pricing.mixed_logit.wtp_median_cny": figures["mixed_logit"]["wtp_median_cny"]},
            text_zh=f"混合 logit 显示偏好差异大：中位受访者愿为 {top['brand']} 比 {data.reference} 多付 "
                    f"{top['median']:,.0f} 元（90% 区间 {top['median_low']:,.0f}–{top['median_high']:,.0f}），"
                    f"5%–95% 人群区间为 {top['p5']:,.0f}–{top['p95']:,.0f} 元。"))

    @staticmethod
    def _stp(warehouse: Warehouse, config: Config, posterior: pd.DataFrame, best: LatentClassFit, names: list[str],
             prem: dict, prem_ci: dict, figures: dict, tables: dict, findings: list, warnings: list,
             n_targets: int) -> pd.DataFrame | None:
        """The STP table, attractiveness score and target segments."""
        from upmarket.analyses.segments import stp

        focal = config.focal_brand
        table = pd.DataFrame({"segment": names, "share": best.shares,
                              "wtp_focal_cny": [prem[s].get(focal, np.nan) for s in names],
                              "wtp_focal_low": [prem_ci[s].get(focal, [np.nan] * 2)[0] for s in names],
                              "wtp_focal_high": [prem_ci[s].get(focal, [np.nan] * 2)[1] for s in names]})
        label = stp.who(warehouse, posterior)
        if label is not None:
            table.insert(1, "who", table["segment"].map(label))
        proxy = stp.group_proxy(warehouse, posterior)
        if proxy is None:
            warnings.append("segments: no users matching the respondents; growth, premium acceptance and framing "
                            "per segment not measured")
        else:
            om = stp.order_measures(warehouse, proxy)
            if om is None:
                warnings.append("segments: no orders: growth and premium acceptance not measured")
            else:
                table = table.merge(om, on="segment", how="left")
            fr, note = stp.review_framing(warehouse, proxy)
            if fr is not None:
                table["value_framing"] = table["segment"].map(fr)
            if note:
                warnings.append(f"segments: {note}")
        table["attractiveness"], formula = stp.attractiveness(table)
        table = table.sort_values("attractiveness", ascending=False).reset_index(drop=True)
        targets = table["segment"].iloc[:n_targets].tolist()
        table["target"] = table["segment"].isin(targets)
        tables["stp"] = table
        figures["stp"] = {"formula": formula, "targets": targets,
                          "proxy": "segment of a non-respondent = P(segment | city tier, age band) from respondents' "
                                   "posteriors",
                          "attractiveness": {r.segment: _r(r.attractiveness, 4) for r in table.itertuples()}}

        sl = Slots()
        fb = sl("brand", focal, "brand")

        def why(i: int, r: pd.Series) -> tuple[str, str]:
            share, wtp = sl(f"share{i}", r["share"], "pct"), sl(f"wtp{i}", r["wtp_focal_cny"], "cny+")
            bits = [f"{share} of respondents", f"will pay {wtp} for {fb}"]
            if "who" in r and isinstance(r["who"], str):
                bits.insert(0, f"over-represented: {sl(f'who{i}', r['who'], 'phrase')}")
            if "premium_acceptance" in r and pd.notna(r["premium_acceptance"]):
                bits.append(f"{sl(f'premium{i}', r['premium_acceptance'], 'pct')} of its buyers already buy at "
                            f"{sl('premium_floor', PREMIUM_THRESHOLD_CNY, 'cny')} or more")
            if "growth" in r and pd.notna(r["growth"]):
                bits.append(f"orders {sl(f'growth{i}', r['growth'], 'pct+')} over the previous half-year")
            return ", ".join(bits), f"占受访者 {share}，愿为 {fb} 多付 {wtp}"

        rows = table.set_index("segment")
        tnames = [sl(f"target{i}", t, "segment") for i, t in enumerate(targets)]
        for i, t in enumerate(targets):
            sl(f"score{i}", figures["stp"]["attractiveness"][t], "ratio", f"pricing.stp.attractiveness.{t}")
        whys = [why(i, rows.loc[t]) for i, t in enumerate(targets)]
        fm = sl("formula", formula, "phrase")
        findings.append(Finding.of("segments.targets", sl.template(
            "Target " + " and ".join(tnames) + ": " + "; ".join(f"{t} — {w[0]}" for t, w in zip(tnames, whys,
                                                                                            strict=True))
            + f". Score: {fm}.",
            "建议目标人群：" + "、".join(tnames) + "；" + "；".join(f"{t}：{w[1]}" for t, w in zip(tnames, whys,
                                                                                            strict=True))
            + f"。评分公式：{fm}。")))
        return table

    @staticmethod
    def _positioning(warehouse: Warehouse, config: Config, figures: dict, tables: dict, findings: list,
                     warnings: list) -> None:
        from upmarket.analyses.segments import positioning as pos

        candidates = pos.association_counts(warehouse)
        if not candidates:
            warnings.append("segments: no positioning map (no reviews with products, no posts with topics)")
            return
        fit = None
        for counts, source in candidates:
            try:
                fit = (counts, source, *pos.correspondence_map(counts))
                break
            except (ValueError, ImportError) as exc:
                warnings.append(f"segments: perceptual map from {source} not drawn ({exc})")
        if fit is None:
            return
        counts, source, rows, cols, inertia = fit
        focal = config.focal_brand
        gap = pos.gaps(rows, focal)
        tables["positioning_brands"] = rows.reset_index(names="brand")
        tables["positioning_aspects"] = cols.reset_index(names="aspect")
        tables["positioning_counts"] = counts.reset_index()
        figures["positioning"] = {"source": source, "inertia": [_r(x, 4) for x in inertia], "gap_to": gap}
        if gap:
            findings.append(Finding(
                f"On the perceptual map ({source}), {focal} sits " + ", ".join(
                    f"{d:.2f} from {b}" for b, d in gap.items()) + " (map units; first two dimensions hold "
                f"{sum(inertia):.0%} of the association structure).",
                {"pricing.positioning.gap_to": gap},
                text_zh=f"感知定位图上，{focal} 与 "
                + "、".join(f"{b} 的距离为 {d:.2f}" for b, d in gap.items()) + "。"))

    @staticmethod
    def _messages(warehouse: Warehouse, config: Config, data: ChoiceData, best: LatentClassFit, names: list[str],
                  stp_table: pd.DataFrame, tables: dict, findings: list, warnings: list) -> None:
        from upmarket.analyses.segments import messages as msg

        evidence = None
        if warehouse.has_rows("reviews") and warehouse.has_rows("products"):
            texts = to_frame(reviews_with_brand(warehouse).filter(ibis._.brand == config.focal_brand,
                                                                  ibis._.text != "").select("text"))["text"].tolist()
            evidence = msg.review_evidence(texts) if texts else None
        if evidence is None:
            warnings.append("segments: no focal-brand reviews; message themes rest on conjoint importance only")
        price = data.X[:, data.price_index]
        rng = float(price[price > 0].max() - price[price > 0].min()) if (price > 0).any() else 0.0
        rows = []
        for seg in stp_table.loc[stp_table["target"], "segment"]:
            k = names.index(seg)
            imp = msg.importances(best.betas[k], best.names, rng)
            rows += msg.themes(seg, imp, evidence)
        if not rows:
            return
        tables["message_themes"] = pd.DataFrame(rows)
        if evidence is not None:
            tables["focal_review_aspects"] = evidence
        for seg in dict.fromkeys(r["segment"] for r in rows):
            seg_rows = [r for r in rows if r["segment"] == seg]
            who = stp_table.set_index("segment")["who"].get(seg) if "who" in stp_table else None
            sl = Slots()
            sl("themes", len(seg_rows), "count", f"tables.message_themes.{seg}")
            label = label_zh = sl("segment", seg, "segment")
            if isinstance(who, str):
                who_slot = sl("who", who, "phrase")
                label, label_zh = f"{label} ({who_slot})", f"{label}（{who_slot}）"
            en, zh = zip(*(msg.theme_text(r, label, sl, i, label_zh) for i, r in enumerate(seg_rows)), strict=True)
            findings.append(Finding.of(f"segments.message_themes.{seg}", sl.template("; ".join(en) + ".",
                                                                                     "；".join(zh) + "。")))

    def _behavioural(self, warehouse: Warehouse, config: Config) -> Section:
        """No conjoint: k-means segments of users on behaviour, with a bootstrap stability check."""
        from upmarket.analyses.segments import behaviour as bh

        opts: SegmentsSettings = config.settings("segments")
        X = bh.user_features(warehouse, seed=opts.seed)
        labels, report = bh.cluster_users(X, max_k=opts.max_k, n_boot=opts.n_boot, seed=opts.seed)
        prof = bh.profiles(X, labels)
        warn = ["segments: no choices table, so no willingness to pay; segments are behavioural (k-means on "
                "users × orders × events)"]
        if report["bootstrap_ari_mean"] < 0.6:
            warn.append(f"segments: behavioural clusters are unstable (bootstrap ARI {report['bootstrap_ari_mean']:.2f}"
                        " < 0.6); read the profiles as tendencies, not types")
        figures = {"behavioural_segments": {**report, "share": {r.segment: _r(r.share, 4) for r in prof.itertuples()},
                                            "features": list(X.columns)}}
        findings = [Finding(
            f"Without a conjoint, users fall into {report['k']} behavioural segments (silhouette "
            f"{report['silhouette'][report['k']]:.2f}, bootstrap ARI {report['bootstrap_ari_mean']:.2f}): "
            + "; ".join(f"{r.segment} ({r.share:.0%}): {r.profile}" for r in prof.itertuples()) + ".",
            {"pricing.behavioural_segments.k": report["k"]},
            text_zh=f"无联合分析数据时，用户按行为分为 {report['k']} 类"
                    f"（自助法 ARI {report['bootstrap_ari_mean']:.2f}）。")]
        return Section(self.name, self.title, figures=figures, title_zh=self.title_zh, warnings=warn,
                       findings=findings, tables={"behavioural_segments": prof,
                                                  "behavioural_membership": pd.DataFrame(
                                                      {"user_id": X.index, "segment": [f"cluster {c + 1}"
                                                                                       for c in labels]})})

    def _groups(self, warehouse: Warehouse, data: ChoiceData, min_n: int, warnings: list[str]) -> pd.DataFrame | None:
        """WTP per observed group (city tier, age band) from an MNL on that group's respondents."""
        if not warehouse.has_rows("users"):
            return None
        users = to_frame(warehouse.table("users").select("user_id", *GROUPS))
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
