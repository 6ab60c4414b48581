"""What reviews are worth: per-model aspect scores from the voice pipeline as a demand characteristic, priced in CNY.

1. :func:`review_characteristics` scores every review with the voice analysis's own per-review pipeline
   (the ``scored_reviews`` artefact the voice analysis produces, so the text is scored once per run and this
   module never imports the voice analysis), links reviews to
   phone models (``reviews.sku_id`` → ``products.model``) and returns per model and aspect: the *net sentiment* of
   the aspect's mentions, (positive − negative) / mentions in [−1, 1], the number of mentions and the score's
   sampling variance.
2. :func:`review_wtp` adds the score to the FE-IV second stage (δ + ᾱp on brand effects and characteristics, one
   observation per product-market row, see :meth:`~upmarket.analyses.demand.model.DemandResults.second_stage`); the
   WTP for one unit of net sentiment is the score's coefficient / ᾱ × 1000 CNY (+0.1 is worth a tenth of it).

Measurement error. A model's score is a mean over a few mentions (a median of about four per model on the demo
twin), so its sampling variance is of the order of the spread of the true scores and a plain OLS slope is
attenuated toward zero. The slope is corrected for errors in variables: the normal equations' score × score
block loses the rows' sampling variances, (X'X − Ω) b = X'y, with Ω = Σ_rows var(ŝ_m(row)) · (n_m − h_m) / n_m,
var(ŝ_m) = S²_m / n_m (S²_m the model's sample variance of mention polarities: unbiased for each model, so Ω is too)
and (n_m − h_m) / n_m the share of a model's error that survives partialling out the other regressors
(:func:`_unexplained_share`). Standard errors are the sandwich of that
estimating equation, clustered by model (a model's rows share its score and its error), with ᾱ's own standard error
added by the delta method. The analysis prices each aspect in its own regression (:func:`review_wtp_section`): a
joint one would also need the cross-aspect error covariance (a review's mood is shared by its aspects) and keeps only
models with enough mentions of every aspect.

Controls. Besides the second stage's characteristics, the review regression absorbs brand × price band and period
effects (not just brand): the market's top-down structure leaves large demand shocks between a brand's price bands
and quarters, and comparing models' reviews within them cuts the slope's standard error by about a quarter on the
twin and most of the reviews' incidental correlation with demand shocks (without a planted effect, −0.27 → −0.09
utils per unit).

Fallback for models with fewer than :data:`MIN_MENTIONS` mentions of an aspect (including models without reviews):
their rows are left out of the review regression (and counted in a warning); the rest of the demand analysis is
unaffected. With fewer than :data:`MIN_MODELS` scored models no WTP is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from upmarket.analyses.demand.data import PRICE_UNIT, DemandDataError
from upmarket.text.lexicon import ASPECTS
from upmarket.warehouse.source import to_frame

if TYPE_CHECKING:
    from upmarket.analyses.demand.model import DemandResults
    from upmarket.warehouse import Warehouse

MIN_MENTIONS = 2
"""Models with fewer mentions of an aspect are left out of the review regression: one mention has no sampling
variance of its own, and the pooled one overstates it for the extreme scores single mentions take (on the demo twin
the correction with single-mention models at the pooled variance over-subtracts Ω by 15 %, biasing the slope up)."""
MIN_MODELS = 10
"""Fewer models with a scored aspect than this: no review WTP (a slope from a handful of models is noise)."""
SCORE_COLUMNS = ("model_key", "model", "aspect", "mentions", "positive", "negative", "score", "variance",
                 "n_reviews")


class ReviewDataError(DemandDataError):
    """The reviews cannot give a review characteristic; the message says which table, column and value."""


ScoredReviews = Callable[[], tuple[pd.DataFrame, Any, Any]]
"""Gets the ``scored_reviews`` artefact the voice analysis produces: (reviews, loading warning, Scored), where
Scored has ``sentiment`` (review_id, score, …) and ``aspects`` (review_id, aspect, polarity) tables."""


def score_all_reviews(scored_reviews: ScoredReviews) -> tuple[pd.DataFrame, Any]:
    """Every review (as the voice analysis reads them) and its voice scores, from the ``scored_reviews`` artefact."""
    df, _, scored = scored_reviews()
    return df, scored


def _sku_models(warehouse: Warehouse) -> pd.DataFrame:
    """review_id → model (and its key, lower-cased as the demand rows' ``model_key``) through products."""
    p = warehouse.table("products")
    models = p.group_by("sku_id").agg(model=p.model.strip().nullif("").arbitrary())
    r = warehouse.table("reviews").select("review_id", "sku_id")
    return to_frame(r.left_join(models, "sku_id").select(r.review_id, r.sku_id, "model",
                                                        model_key=models.model.lower())
                    .order_by("review_id"))


def review_characteristics(warehouse: Warehouse, products_df: pd.DataFrame | None = None,
                           aspects: tuple[str, ...] | list[str] = ("camera",), *,
                           scored_reviews: ScoredReviews) -> tuple[pd.DataFrame, list[str]]:
    """Per (model, aspect): net sentiment of the aspect's mentions in the model's reviews, mentions, variance.

    ``products_df``: the demand rows (``load_demand_data(...).products``); when given, every model in it gets a row
    (``mentions`` 0 and NaN score when its reviews never mention the aspect). Columns :data:`SCORE_COLUMNS`.
    Returns the table and warnings. Raises :class:`ReviewDataError` when there are no reviews, no products to link
    them to models, or an unknown aspect.
    """
    aspects = tuple(aspects)
    bad = [a for a in aspects if a not in ASPECTS]
    if bad or not aspects:
        raise ReviewDataError(f"[demand] review_aspects: unknown aspect(s) {', '.join(map(repr, bad)) or '(none)'}; "
                              f"use some of {', '.join(ASPECTS)}")
    for t in ("reviews", "products"):  # every contract table exists in a warehouse, maybe empty
        if not warehouse.has_rows(t):
            raise ReviewDataError(f"[demand] review_aspects needs the {t} table, which has no rows"
                                  + (" (reviews.sku_id → products.model links reviews to models)"
                                     if t == "products" else ""))
    warnings: list[str] = []
    df, scored = score_all_reviews(scored_reviews)
    link = _sku_models(warehouse)
    if not link["review_id"].astype(str).equals(df["review_id"].astype(str)):  # same rows, same order by design
        link = link.set_index("review_id").reindex(df["review_id"]).reset_index()
    unlinked = link["model_key"].isna()
    if unlinked.any():
        ex = link.loc[unlinked].iloc[0]
        warnings.append(f"{int(unlinked.sum())} review(s) have a sku_id not in products (or a product without a "
                        f"model) and are not used for review characteristics, e.g. reviews.sku_id={ex['sku_id']!r}")
    key_of = pd.Series(link["model_key"].to_numpy(), index=df["review_id"].astype(str).to_numpy())
    name_of = link.dropna(subset=["model_key"]).drop_duplicates("model_key").set_index("model_key")["model"]
    a = scored.aspects
    a = a[a["aspect"].isin(aspects)].copy()
    a["model_key"] = key_of.reindex(a["review_id"].astype(str)).to_numpy()
    a = a.dropna(subset=["model_key"])
    pol = a["polarity"].to_numpy(float)
    a = a.assign(p=pol, pos=pol > 0, neg=pol < 0, p2=pol**2)
    g = a.groupby(["model_key", "aspect"], sort=True).agg(
        mentions=("p", "size"), positive=("pos", "sum"), negative=("neg", "sum"), s=("p", "sum"), s2=("p2", "sum"))
    g = g.reset_index()
    n_rev = link.dropna(subset=["model_key"]).groupby("model_key").size()
    n = g["mentions"].to_numpy(float)
    g["score"] = g["s"] / n
    ss = g["s2"] - g["s"] ** 2 / n  # within-model sum of squared deviations
    pooled = {asp: float(ss[g["aspect"] == asp].sum() / max((n - 1)[g["aspect"] == asp].sum(), 1.0))
              for asp in aspects}
    s2_m = np.where(n >= 2, ss / np.maximum(n - 1, 1), g["aspect"].map(pooled).to_numpy(float))
    g["variance"] = s2_m / n
    keys = pd.Index(sorted(set(g["model_key"]) | (set(products_df["model"].str.strip().str.lower())
                                                   if products_df is not None else set())))
    full = pd.MultiIndex.from_product([keys, list(aspects)], names=["model_key", "aspect"])
    out = g.set_index(["model_key", "aspect"]).reindex(full).reset_index()
    out["mentions"] = out["mentions"].fillna(0).astype("int64")
    out["positive"] = out["positive"].fillna(0).astype("int64")
    out["negative"] = out["negative"].fillna(0).astype("int64")
    out["n_reviews"] = n_rev.reindex(out["model_key"]).fillna(0).astype("int64").to_numpy()
    names = name_of.reindex(out["model_key"]).to_numpy(object)
    if products_df is not None:
        dm = products_df.assign(k=products_df["model"].str.strip().str.lower()).drop_duplicates("k").set_index("k")
        names = np.where(pd.isna(names), dm["model"].reindex(out["model_key"]).to_numpy(object), names)
    out["model"] = names
    for asp in aspects:
        if not (out.loc[out["aspect"] == asp, "mentions"] > 0).any():
            warnings.append(f"no review mentions the aspect {asp!r}: it cannot enter the demand model")
    return out[list(SCORE_COLUMNS)], warnings


def _design(fit: DemandResults, scores: pd.DataFrame, aspects: tuple[str, ...], min_mentions: int = 2
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Second-stage rows with every aspect scored: y, X (const, brands, characteristics, scores), Ω per row, clusters,
    the kept-row mask, the column names and the score-column indices."""
    d = fit.data
    key = d["model"].astype(str).str.strip().str.lower()
    wide = scores.pivot(index="model_key", columns="aspect", values="score").reindex(columns=list(aspects))
    var = scores.pivot(index="model_key", columns="aspect", values="variance").reindex(columns=list(aspects))
    s = wide.reindex(key).to_numpy(float)
    v = var.reindex(key).to_numpy(float)
    n = scores.pivot(index="model_key", columns="aspect", values="mentions").reindex(columns=list(aspects))
    enough = (n.reindex(key).to_numpy(float) >= min_mentions).all(axis=1)
    keep = np.isfinite(s).all(axis=1) & np.isfinite(v).all(axis=1) & enough
    y = np.asarray(fit.results.delta, float).ravel() + fit.price_coef_ * d["prices"].to_numpy(float)
    cells = d["brand"].astype(str) + "|" + (d["band"].astype(str) if "band" in d else "")
    periods = d["period"].astype(str) if "period" in d else pd.Series("", index=d.index)
    fe = [pd.get_dummies(cells, dtype=float), pd.get_dummies(periods, dtype=float).iloc[:, 1:]]
    fe_names = [f"brand×band[{c}]" for c in fe[0].columns] + [f"period[{c}]" for c in fe[1].columns]
    names = [*fe_names, *fit.characteristics]
    x = np.column_stack([fe[0].to_numpy(), fe[1].to_numpy(), *(d[c].to_numpy(float) for c in fit.characteristics), s])
    cols = np.arange(len(names), len(names) + len(aspects))
    return y[keep], x[keep], v[keep], key.to_numpy()[keep], keep, [*names, *aspects], cols


def _drop_unidentified(x: np.ndarray, names: list[str],
                       protect: np.ndarray) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Drop non-score columns that are empty or collinear on the kept rows (a brand × band with no scored model).

    Sequential pivoting on the small Gram matrix X'X: column j is kept when its squared residual on the columns kept
    so far is more than 1e-10 of its own square."""
    gram = x.T @ x
    keep: list[int] = []
    for j in range(x.shape[1]):
        if j in protect:
            keep.append(j)
            continue
        if not gram[j, j] > 0:
            continue
        k = np.array(keep, dtype=int)
        resid = gram[j, j] - (gram[j, k] @ np.linalg.lstsq(gram[np.ix_(k, k)], gram[k, j], rcond=None)[0]
                              if keep else 0.0)
        if resid > 1e-10 * gram[j, j]:
            keep.append(j)
    idx = np.array(keep)
    return x[:, idx], [names[j] for j in idx], np.array([keep.index(j) for j in protect])


def _unexplained_share(x_other: np.ndarray, codes: np.ndarray, n_g: int) -> np.ndarray:
    """Per row, the share of its model's score error that survives partialling out the other regressors.

    A model's error u_m is repeated on its n_m rows, so what the slope sees is E[u'M u] = Σ_m var_m (n_m − h_m) with
    h_m = 1_m' P 1_m (P the projection on the constant, brands and characteristics, which are nearly constant within a
    model): subtracting Σ_rows var (ignoring h_m) over-corrects by about k / models (≈ 10 %, biasing the slope up by
    a fifth at reliability 0.4). Row i of model m gets (n_m − h_m) / n_m.
    """
    q, _ = np.linalg.qr(x_other)
    sums = np.zeros((n_g, q.shape[1]))
    np.add.at(sums, codes, q)
    h = (sums**2).sum(axis=1)
    n_m = np.bincount(codes, minlength=n_g).astype(float)
    return ((n_m - h) / n_m)[codes]


def review_wtp(fit: DemandResults, scores: pd.DataFrame, aspects: tuple[str, ...] | list[str] | None = None, *,
               alpha: float = 0.1, correct: bool = True, min_mentions: int | None = None) -> pd.DataFrame:
    """WTP for one unit of net review sentiment per aspect (CNY), from the FE-IV second stage plus the scores.

    One row per aspect: ``wtp_cny``, ``se_cny``, ``low``/``high`` (the ``1 − alpha`` interval), ``coef`` (utils per
    unit), ``wtp_uncorrected_cny`` (plain OLS, attenuated), ``reliability`` (share of the residual score variance that
    is signal), ``models`` used, ``rows`` used, ``median_mentions``. ``correct=False`` reports the plain OLS slope
    as ``wtp_cny``. The aspects enter jointly.
    """
    if not fit.absorbed:
        raise ReviewDataError("the review WTP needs the FE-IV demand fit (fixed_effects = 'product_period'), whose "
                              "second stage regresses δ + ᾱp on brands and characteristics")
    aspects = tuple(aspects) if aspects is not None else tuple(pd.unique(scores["aspect"]))
    min_mentions = MIN_MENTIONS if min_mentions is None else int(min_mentions)
    y, x, v, cl, keep, names, cols = _design(fit, scores, aspects, max(min_mentions, 1))
    codes = pd.factorize(cl)[0]
    n_g = int(codes.max()) + 1 if len(codes) else 0
    if n_g < MIN_MODELS:
        raise ReviewDataError(f"only {n_g} model(s) in the demand data have reviews mentioning "
                              f"{' and '.join(aspects)} (need {MIN_MODELS}): no review WTP")
    x, names, cols = _drop_unidentified(x, names, cols)
    xtx, xty = x.T @ x, x.T @ y
    oth = np.setdiff1d(np.arange(len(names)), cols)
    omega_rows = np.zeros((len(y), x.shape[1]))
    omega_rows[:, cols] = v * _unexplained_share(x[:, oth], codes, n_g)[:, None]
    omega = np.diag(omega_rows.sum(axis=0))
    b_ols = np.linalg.solve(xtx, xty)
    a_mat = xtx - omega if correct else xtx
    schur = a_mat[np.ix_(cols, cols)] - a_mat[np.ix_(cols, oth)] @ np.linalg.solve(a_mat[np.ix_(oth, oth)],
                                                                                  a_mat[np.ix_(oth, cols)])
    if np.linalg.eigvalsh(schur).min() <= 0:
        raise ReviewDataError("the review scores' sampling variance exceeds their spread across models: the "
                              "errors-in-variables slope is not identified (too few mentions per model)")
    b = np.linalg.solve(a_mat, xty)
    resid = y - x @ b
    psi = x * resid[:, None] + (omega_rows * b[None, :] if correct else 0.0)
    scores_g = np.zeros((n_g, x.shape[1]))
    np.add.at(scores_g, codes, psi)
    inv = np.linalg.inv(a_mat)
    cov = inv @ (scores_g.T @ scores_g) @ inv * (n_g / max(n_g - 1, 1))
    xo = x[:, oth]  # reliability: signal share of the score's variance after partialling out the other regressors
    alpha_bar = fit.price_coef_
    a_se = _alpha_se(fit)
    z = _z(alpha)
    rows = []
    for k, asp in zip(cols, aspects, strict=True):
        r = x[:, k] - xo @ np.linalg.lstsq(xo, x[:, k], rcond=None)[0]
        rel = 1.0 - float(omega_rows[:, k].sum()) / float(r @ r)
        wtp = b[k] / alpha_bar * PRICE_UNIT
        se = PRICE_UNIT / alpha_bar * np.sqrt(cov[k, k] + (b[k] / alpha_bar) ** 2 * a_se**2)
        m = scores[(scores["aspect"] == asp) & scores["model_key"].isin(set(cl))]
        rows.append({"aspect": asp, "wtp_cny": float(wtp), "se_cny": float(se), "low": float(wtp - z * se),
                     "high": float(wtp + z * se), "coef": float(b[k]), "coef_se": float(np.sqrt(cov[k, k])),
                     "wtp_uncorrected_cny": float(b_ols[k] / alpha_bar * PRICE_UNIT), "reliability": float(rel),
                     "models": n_g, "rows": len(y), "rows_dropped": int((~keep).sum()),
                     "median_mentions": float(m["mentions"].median()), "price_coef_per_1000cny": float(alpha_bar)})
    return pd.DataFrame(rows)


def _z(alpha: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(1 - alpha / 2))


def _alpha_se(fit: DemandResults) -> float:
    """Standard error of ᾱ from pyblp (0 when pyblp reports none, e.g. for a mean taken from a survey)."""
    try:
        labels = [str(v) for v in fit.results.beta_labels]
        se = float(np.ravel(fit.results.beta_se)[labels.index("prices")])
    except (ValueError, AttributeError, IndexError):
        return 0.0
    return se if np.isfinite(se) else 0.0


def review_wtp_section(fit: DemandResults, scores: pd.DataFrame, opts: dict[str, Any]) -> dict[str, Any]:
    """Figures (``review_wtp_cny``, ``review_wtp_cny_ci``), tables and warnings for the demand section.

    ``opts``: the ``[demand]`` options (``review_aspects``). Never raises on data problems: a review WTP that
    cannot be estimated becomes a warning and no figure.
    """
    aspects = tuple(opts.get("review_aspects", ()) or ())
    out: dict[str, Any] = {"figures": {}, "tables": {"review_characteristics": scores}, "warnings": []}
    if not aspects:
        return out
    used = [a for a in aspects if (scores.loc[scores["aspect"] == a, "mentions"] > 0).any()]
    missing = [a for a in aspects if a not in used]
    if missing:
        out["warnings"].append(f"review aspect(s) {', '.join(missing)} never mentioned in the reviews: left out of "
                               "the review WTP")
    if not used:
        return out
    parts = []
    for a in used:  # one regression per aspect, as the twin's truth defines it (see the module docstring)
        try:
            parts.append(review_wtp(fit, scores, (a,)))
        except ReviewDataError as exc:
            out["warnings"].append(f"review WTP for {a} not estimated: {exc}")
    if not parts:
        return out
    tab = pd.concat(parts, ignore_index=True)
    out["tables"]["review_wtp"] = tab
    for r in tab.itertuples():
        if r.rows_dropped:
            out["warnings"].append(f"{r.rows_dropped} product-market row(s) of models with fewer than {MIN_MENTIONS} "
                                   f"{r.aspect} mention(s) in their reviews are left out of the review WTP regression")
    for r in tab.itertuples():
        if r.reliability < 0.5:
            out["warnings"].append(
                f"review scores for {r.aspect} are mostly sampling noise (reliability {r.reliability:.2f}, median "
                f"{r.median_mentions:.0f} mentions per model): the corrected WTP is imprecise (plain OLS would give "
                f"{r.wtp_uncorrected_cny:,.0f} CNY instead of {r.wtp_cny:,.0f})")
    out["figures"] = {
        "review_wtp_cny": {r.aspect: round(r.wtp_cny, 1) for r in tab.itertuples()},
        "review_wtp_cny_ci": {r.aspect: [round(r.low, 1), round(r.high, 1)] for r in tab.itertuples()},
    }
    return out


def run_review_wtp(warehouse: Warehouse, fit: DemandResults, opts: dict[str, Any],
                   scored_reviews: ScoredReviews) -> dict[str, Any]:
    """The whole review-WTP step for ``Demand.run``: scores, then :func:`review_wtp_section`; data problems become
    warnings (the rest of the demand section stands)."""
    aspects = tuple(opts.get("review_aspects", ()) or ())
    if not aspects:
        return {"figures": {}, "tables": {}, "warnings": []}
    try:
        scores, warnings = review_characteristics(warehouse, fit.data, aspects, scored_reviews=scored_reviews)
    except ReviewDataError as exc:
        return {"figures": {}, "tables": {}, "warnings": [f"review WTP not estimated: {exc}"]}
    out = review_wtp_section(fit, scores, opts)
    out["warnings"] = warnings + out["warnings"]
    return out
