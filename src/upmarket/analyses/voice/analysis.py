"""The ``voice`` analysis: what reviews say about each brand — sentiment, aspects, framing, drivers.

Figures (``results.json["voice"][brand]``), over the brand's non-empty reviews:

* ``sentiment`` — share of reviews whose P(positive) ≥ 0.5 (the twin's ``positive_share``);
* ``aspects[a]`` — share positive among the brand's opinions on aspect ``a`` (every review that
  mentions ``a`` holds one opinion; a mention without a clear polarity counts in the denominator);
* ``value_framing`` — value-framed reviews / framed reviews (see :mod:`.framing`).

Each has a ``_ci`` sibling: a 90 % percentile interval from a bootstrap over reviews, done with
multinomial weights (replicates × reviews) so all statistics share the same resamples.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from upmarket.analyses.base import Analysis, Finding, Section, register
from upmarket.analyses.voice.aspects import ASPECTS
from upmarket.analyses.voice.associations import term_counts, weighted_log_odds
from upmarket.analyses.voice.drivers import issues_watch, key_drivers
from upmarket.analyses.voice.score import Scored, score_reviews
from upmarket.analyses.voice.sentiment import SentimentModel

if TYPE_CHECKING:
    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

N_BOOT = 200
ASSOC_SAMPLE = 100_000


def ratio_parts(scored: Scored) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per review: numerators and denominators of every brand figure (columns aligned)."""
    s = scored.sentiment
    nonempty = s["score"].notna().to_numpy()
    num = {"sentiment": ((s["score"] >= 0.5).to_numpy() & nonempty).astype(float)}
    den = {"sentiment": nonempty.astype(float)}
    a = scored.aspects
    pos = pd.crosstab(a["review_id"], a["aspect"], values=(a["polarity"] > 0).astype(float), aggfunc="sum")
    cnt = pd.crosstab(a["review_id"], a["aspect"])
    rid = s["review_id"].to_numpy()
    for asp in ASPECTS:
        num[asp] = pos[asp].reindex(rid, fill_value=0).fillna(0).to_numpy(float) if asp in pos else np.zeros(len(s))
        den[asp] = cnt[asp].reindex(rid, fill_value=0).to_numpy(float) if asp in cnt else np.zeros(len(s))
    framed = s["frame"].notna().to_numpy()
    num["value_framing"] = (s["frame"].fillna(0).to_numpy() == 1).astype(float)
    den["value_framing"] = framed.astype(float)
    return pd.DataFrame(num), pd.DataFrame(den)


def bootstrap_ratios(num: np.ndarray, den: np.ndarray, n_boot: int = N_BOOT, seed: int = 0,
                     chunk: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """Point ratio and 90 % percentile interval of sum(num)/sum(den) per column, resampling rows.

    Multinomial weights W (n_boot × n) make every replicate one matrix product: W @ num / W @ den.
    """
    n = num.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        point = num.sum(0) / den.sum(0)
    if n == 0:
        return point, np.full((2, num.shape[1]), np.nan)
    rng = np.random.default_rng(seed)
    reps = []
    for lo in range(0, n_boot, chunk):
        w = rng.multinomial(n, np.full(n, 1.0 / n), size=min(chunk, n_boot - lo)).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            reps.append((w @ num) / (w @ den))
    r = np.vstack(reps)
    ci = np.nanquantile(np.where(np.isfinite(r), r, np.nan), [0.05, 0.95], axis=0) if np.isfinite(r).any() else \
        np.full((2, num.shape[1]), np.nan)
    return point, ci


def _r(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 6)


def brand_figures(scored: Scored, brand: np.ndarray, n_boot: int = N_BOOT) -> tuple[dict[str, Any], pd.DataFrame]:
    """``results.json`` voice block and a by-brand table."""
    num, den = ratio_parts(scored)
    out: dict[str, Any] = {}
    rows = []
    for b in sorted(pd.unique(brand[pd.notna(brand)])):
        m = brand == b
        point, ci = bootstrap_ratios(num.to_numpy()[m], den.to_numpy()[m], n_boot, seed=hash_seed(b))
        f = dict(zip(num.columns, point, strict=True))
        c = {k: [_r(ci[0, i]), _r(ci[1, i])] for i, k in enumerate(num.columns)}
        block: dict[str, Any] = {"sentiment": _r(f["sentiment"]), "sentiment_ci": c["sentiment"],
                                 "aspects": {a: _r(f[a]) for a in ASPECTS},
                                 "aspects_ci": {a: c[a] for a in ASPECTS if _r(f[a]) is not None},
                                 "n_reviews": int(m.sum()),
                                 "aspect_opinions": {a: int(den[a].to_numpy()[m].sum()) for a in ASPECTS}}
        if _r(f["value_framing"]) is not None:
            block["value_framing"] = _r(f["value_framing"])
            block["value_framing_ci"] = c["value_framing"]
        out[str(b)] = block
        rows.append({"brand": b, "n_reviews": int(m.sum()), **{k: _r(v) for k, v in f.items()}})
    return out, pd.DataFrame(rows)


def hash_seed(key: str) -> int:
    """A seed from a label that does not change between runs (Python's hash() does)."""
    return int.from_bytes(key.encode("utf-8")[:8].ljust(8, b"\0"), "little") % (2**32)


def aggregate(scored: Scored, meta: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Review count, sentiment, value framing and aspect shares by the ``by`` columns (no intervals)."""
    num, den = ratio_parts(scored)
    keys = meta[by].reset_index(drop=True)
    n = num.groupby([keys[c] for c in by], dropna=False).sum()
    d = den.groupby([keys[c] for c in by], dropna=False).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (n / d.replace(0, np.nan)).reset_index()
    r.insert(len(by), "n_reviews", keys.groupby(by, dropna=False).size().to_numpy())
    return r


def load_reviews(warehouse: Warehouse) -> tuple[pd.DataFrame, str | None]:
    """Reviews with their brand (from products) and month; a warning when products is missing."""
    has_products = warehouse.has_rows("products")
    brand_sql = "p.brand" if has_products else "CAST(NULL AS VARCHAR)"
    join = "LEFT JOIN (SELECT sku_id, any_value(brand) AS brand FROM products GROUP BY sku_id) p USING (sku_id)" \
        if has_products else ""
    df = warehouse.con.execute(
        f"SELECT r.review_id, r.ts, r.platform, r.sku_id, r.rating, r.text, {brand_sql} AS brand "
        f"FROM reviews r {join} ORDER BY r.review_id"
    ).df()
    df["month"] = pd.to_datetime(df["ts"]).dt.strftime("%Y-%m")
    df["week"] = pd.to_datetime(df["ts"]).dt.to_period("W-SUN").dt.start_time
    warn = None if has_products else "no products table: reviews cannot be joined to brands, brand figures skipped"
    return df, warn


@register
class Voice(Analysis):
    """Sentiment, eight aspects, value framing, associations, key drivers and issues watch from reviews.

    Options (``[voice]`` in upmarket.toml): ``model`` — path of a model from ``upmarket voice train``
    (default: the shipped model); ``n_boot`` — bootstrap replicates (default 200).
    """

    name = "voice"
    title = "Voice of the customer"
    title_zh = "用户之声"
    requires = ("reviews",)
    optional = ("products",)

    def run(self, warehouse: Warehouse, config: Config) -> Section:
        opts = config.options("voice")
        model = SentimentModel.load(opts.get("model"))
        df, warn = load_reviews(warehouse)
        scored = score_reviews(df["review_id"].to_numpy(), df["text"].tolist(), model)
        warnings = [warn] if warn else []
        flags = scored.sentiment["flag"].value_counts()
        if flags.get("truncated", 0) or flags.get("no_chinese", 0):
            warnings.append(f"{int(flags.get('truncated', 0))} review(s) truncated at 2,000 characters, "
                            f"{int(flags.get('no_chinese', 0))} without Chinese text (scored with low confidence)")
        tables: dict[str, pd.DataFrame] = {
            "review_sentiment": scored.sentiment[["review_id", "score", "label"]],
            "review_aspects": scored.aspects,
            "voice_by_platform": aggregate(scored, df, ["platform"]),
            "voice_by_month": aggregate(scored, df, ["month"]),
        }
        figures: dict[str, Any] = {}
        findings: list[Finding] = []
        brand = df["brand"].to_numpy(object)
        if pd.notna(brand).any():
            figures, tables["voice_by_brand"] = brand_figures(scored, brand, int(opts.get("n_boot", N_BOOT)))
            tables["voice_by_brand_platform"] = aggregate(scored, df, ["brand", "platform"])
            tables["voice_framing_trend"] = aggregate(scored, df, ["brand", "month"])[
                ["brand", "month", "n_reviews", "value_framing", "sentiment"]]
            tables["voice_associations"] = self._associations(scored, brand)
            ratings = df[["review_id", "brand", "rating"]]
            tables["voice_drivers"] = key_drivers(ratings, scored.aspects)
            neg = (scored.sentiment["score"] < 0.5).to_numpy()
            tables["voice_issues"] = issues_watch(scored.texts, df["week"], neg, df["brand"])
            findings = self._findings(figures, config, tables, df, scored)
        return Section(name=self.name, title=self.title, title_zh=self.title_zh, figures=figures, tables=tables,
                       findings=findings, warnings=warnings)

    @staticmethod
    def _associations(scored: Scored, brand: np.ndarray) -> pd.DataFrame:
        idx = np.flatnonzero(pd.notna(brand) & ~scored.sentiment["flag"].eq("empty").to_numpy())
        if len(idx) > ASSOC_SAMPLE:  # a fixed sample keeps tokenisation bounded on millions of reviews
            idx = np.sort(np.random.default_rng(0).choice(idx, ASSOC_SAMPLE, replace=False))
        counts = term_counts([scored.texts[i] for i in idx], brand[idx])
        return weighted_log_odds(counts).rename(columns={"group": "brand"})

    @staticmethod
    def _findings(figures: dict[str, Any], config: Config, tables: dict[str, pd.DataFrame], df: pd.DataFrame,
                  scored: Scored) -> list[Finding]:
        out = []
        focal = config.focal_brand
        vf = {b: f["value_framing"] for b, f in figures.items() if "value_framing" in f}
        if focal in vf and len(vf) > 1:
            rivals = {b: v for b, v in vf.items() if b != focal}
            mean_r = float(np.mean(list(rivals.values())))
            quote = _quote(scored, df, focal, lambda s: s["frame"] == 1)
            out.append(Finding(
                f"{vf[focal]:.0%} of {focal}'s framed opinions argue from value for money, against {mean_r:.0%} "
                f"on average for its rivals." + (f" E.g. “{quote}”" if quote else ""),
                {f"voice.{focal}.value_framing": vf[focal],
                 **{f"voice.{b}.value_framing": v for b, v in rivals.items()}},
                f"{focal}的带框架评价中有{vf[focal]:.0%}从性价比出发，竞品平均为{mean_r:.0%}。"
                + (f"例：“{quote}”" if quote else ""),
            ))
        if focal in figures:
            asp = {a: v for a, v in figures[focal]["aspects"].items() if v is not None}
            if asp:
                best, worst = max(asp, key=asp.get), min(asp, key=asp.get)
                out.append(Finding(
                    f"{focal}'s strongest aspect is {best} ({asp[best]:.0%} positive), its weakest {worst} "
                    f"({asp[worst]:.0%} positive).",
                    {f"voice.{focal}.aspects.{best}": asp[best], f"voice.{focal}.aspects.{worst}": asp[worst]},
                    f"{focal}口碑最好的方面是{best}（{asp[best]:.0%}正面），最弱的是{worst}（{asp[worst]:.0%}正面）。",
                ))
        return out


def _quote(scored: Scored, df: pd.DataFrame, brand: str, cond) -> str | None:
    """One real review text of ``brand`` meeting ``cond`` (short ones first), as evidence."""
    s = scored.sentiment
    m = (df["brand"].to_numpy() == brand) & cond(s).to_numpy()
    idx = np.flatnonzero(m)
    if not len(idx):
        return None
    lengths = df["text"].iloc[idx].str.len().to_numpy()
    ok = idx[(lengths >= 8) & (lengths <= 60)]
    return str(df["text"].iloc[ok[0] if len(ok) else idx[0]])
