"""The ``voice`` analysis: what reviews say about each brand — sentiment, aspects, framing, drivers.

Figures (``results.json["voice"][brand]``), over the brand's non-empty reviews:

* ``sentiment`` — share of reviews that are positive and not mixed (``label == 1``: whole-text
  P(positive) ≥ 0.5, and not flagged ``mixed``);
* ``mixed_share`` — share of reviews that mix praise and complaint evenly or are only lukewarm
  (:func:`~upmarket.analyses.voice.score.mixed_flags`): the neutral class, its own share;
* ``negative_share`` — share negative and not mixed; the three shares sum to 1. Why three, not the
  label's binary lean: on hand-labelled real reviews the lean over-read the positive share by 0.075,
  the three-way shares by 0.037 (docs/voice.md, "Review label");
* ``aspects[a]`` — share positive among the brand's opinions on aspect ``a`` (every review that
  mentions ``a`` holds one opinion; a mention without a clear polarity counts in the denominator);
* ``value_framing`` — value-framed reviews / framed reviews (see :mod:`.framing`).

Each has a ``_ci`` sibling: a 90 % percentile interval from a bootstrap over reviews, done with
multinomial weights (replicates × reviews) so all statistics share the same resamples.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import ibis
import numpy as np
import pandas as pd

from upmarket.analyses.base import Analysis, Finding, Need, Section, needs, register
from upmarket.analyses.voice.aspect_models import AspectDetectors
from upmarket.analyses.voice.aspects import ASPECTS
from upmarket.analyses.voice.associations import term_counts, weighted_log_odds
from upmarket.analyses.voice.drivers import ISSUES, issues_watch, key_drivers, mentions
from upmarket.analyses.voice.framing import framing
from upmarket.analyses.voice.score import Scored, score_reviews
from upmarket.analyses.voice.sentiment import SentimentModel
from upmarket.analyses.voice.settings import N_BOOT, VoiceSettings
from upmarket.analyses.voice.text import normalise
from upmarket.artefacts import Artefact, ArtefactContext
from upmarket.findings import Slots
from upmarket.warehouse.source import to_frame

if TYPE_CHECKING:
    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

ASSOC_SAMPLE = 100_000
DRIVERS_LEVEL = 0.9
"""The level of the key drivers' intervals (``drivers.Z90``), as the findings name it."""


def ratio_parts(scored: Scored) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per review: numerators and denominators of every brand figure (columns aligned)."""
    s = scored.sentiment
    nonempty = s["score"].notna().to_numpy()
    mixed = s["mixed"].to_numpy(bool) & nonempty
    label = s["label"].to_numpy()
    # three shares that sum to 1: a mixed review is neither positive nor negative (docs/voice.md)
    num = {"sentiment": ((label == 1) & ~mixed & nonempty).astype(float),
           "negative_share": ((label == -1) & ~mixed & nonempty).astype(float),
           "mixed_share": mixed.astype(float)}
    den = {k: nonempty.astype(float) for k in num}
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
                                 "mixed_share": _r(f["mixed_share"]), "mixed_share_ci": c["mixed_share"],
                                 "negative_share": _r(f["negative_share"]),
                                 "negative_share_ci": c["negative_share"],
                                 "aspects": {a: _r(f[a]) for a in ASPECTS},
                                 "aspects_ci": {a: c[a] for a in ASPECTS if _r(f[a]) is not None},
                                 "n_reviews": int(den["sentiment"].to_numpy()[m].sum()),  # with text
                                 "n_empty": int(m.sum() - den["sentiment"].to_numpy()[m].sum()),
                                 "aspect_opinions": {a: int(den[a].to_numpy()[m].sum()) for a in ASPECTS}}
        if _r(f["value_framing"]) is not None:
            block["value_framing"] = _r(f["value_framing"])
            block["value_framing_ci"] = c["value_framing"]
        out[str(b)] = block
        rows.append({"brand": b, "n_reviews": block["n_reviews"], "n_empty": block["n_empty"],
                     **{k: _r(v) for k, v in f.items()}})
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
    r = warehouse.table("reviews").select("review_id", "ts", "platform", "sku_id", "rating", "text")
    if has_products:
        brands = warehouse.table("products").group_by("sku_id").agg(brand=ibis._.brand.arbitrary())
        r = r.left_join(brands, "sku_id").select(*r.columns, "brand")
    else:
        r = r.mutate(brand=ibis.null("string"))
    df = to_frame(r.order_by("review_id"))
    df["month"] = pd.to_datetime(df["ts"]).dt.strftime("%Y-%m")
    df["week"] = pd.to_datetime(df["ts"]).dt.to_period("W-SUN").dt.start_time
    warn = None if has_products else "no products table: reviews cannot be joined to brands, brand figures skipped"
    return df, warn



def scored_reviews(warehouse: Warehouse, opts: VoiceSettings) -> tuple[pd.DataFrame, str | None, Scored]:
    """Every review, the loading warning and its scores (the ``scored_reviews`` artefact: the voice analysis and
    the demand analysis's review WTP share one scoring of the text per run)."""
    model = SentimentModel.load(opts.model)
    detectors = AspectDetectors.load(opts.aspect_models) if opts.aspect_models else None
    df, warn = load_reviews(warehouse)
    adaptation = None
    if opts.adapt_to_ratings:
        model, adaptation = adapt_to_ratings(model, df)
    scored = score_reviews(df["review_id"].to_numpy(), df["text"].tolist(), model,
                           domain=opts.domain, detectors=detectors)
    scored.adaptation = adaptation
    return df, warn, scored


def _scored_reviews(ctx: ArtefactContext) -> tuple[pd.DataFrame, str | None, Scored]:
    return scored_reviews(ctx.warehouse, ctx.config.settings("voice"))


SCORED_REVIEWS = Artefact(
    "scored_reviews", _scored_reviews, reads=("reviews", "products"), settings=("voice",),
    doc="every review with its sentiment, aspects and framing: (reviews, loading warning, Scored)")


MIN_RATED_TO_ADAPT = 200
"""Rated reviews (≥4 or ≤2 stars, with text) below which ``adapt_to_ratings`` keeps the base model."""


def adapt_to_ratings(model: SentimentModel, df: pd.DataFrame) -> tuple[SentimentModel, pd.DataFrame]:
    """The base model adapted to the dataset's own star ratings (``[voice] adapt_to_ratings = true``).

    Returns the model to use and a one-row table: rated reviews used, text–rating agreement of the base and
    of the adapted model (in-sample), the prior's weight. Too few rated reviews or a model that cannot be
    adapted (an ensemble) keep the base model; the table says why.
    """
    from upmarket.analyses.voice.adapt import adapt, agreement, ratings_to_labels

    y = ratings_to_labels(pd.to_numeric(df["rating"], errors="coerce").to_numpy(float))
    keep = ~np.isnan(y) & df["text"].fillna("").astype(str).str.strip().ne("").to_numpy()
    texts, labels = df.loc[keep, "text"].astype(str).tolist(), y[keep].astype(int)
    row: dict[str, Any] = {"n_rated": int(keep.sum()), "agreement_base": None, "agreement_adapted": None,
                           "prior_weight": None, "used": "base model"}
    if keep.sum() < MIN_RATED_TO_ADAPT or len(np.unique(labels)) < 2:
        row["used"] = f"base model (fewer than {MIN_RATED_TO_ADAPT} rated reviews of both kinds)"
        return model, pd.DataFrame([row])
    try:
        adapted = adapt(model, texts, labels)
    except ValueError as exc:
        row["used"] = f"base model ({exc})"
        return model, pd.DataFrame([row])
    row.update(agreement_base=round(agreement(model, texts, labels), 4),
               agreement_adapted=round(agreement(adapted, texts, labels), 4),
               prior_weight=round(float(adapted.info_["prior_weight"]), 4), used="adapted to the ratings")
    return adapted, pd.DataFrame([row])

@register
class Voice(Analysis):
    """Sentiment, eight aspects, value framing, associations, key drivers and issues watch from reviews.

    Options (``[voice]`` in upmarket.toml): ``model`` — path of a model from ``upmarket voice train``
    (default: the shipped model); ``n_boot`` — bootstrap replicates (default 200); ``aspect_models`` — folder
    of learned aspect detectors (``scripts/voice_aspect_eval.py --fit``); ``adapt_to_ratings`` — adapt the
    model to the dataset's own star ratings first (off by default; table ``voice_adaptation``).
    """

    name = "voice"
    settings_type = VoiceSettings
    order = 30
    produces = (SCORED_REVIEWS,)
    title = "Voice of the customer"
    title_zh = "用户之声"
    requires = ("reviews",)
    optional = ("products",)
    figure_needs: ClassVar[dict[str, Need]] = {
        "sentiment": needs("reviews & products"),  # per brand: a review's brand comes from its SKU
        "aspects": needs("reviews & products"),
        "value_framing": needs("reviews & products"),
        "voice_drivers": needs("reviews:rating & products"),  # what moves the star rating
        "posts_value_framing": needs("posts:text,brands"),
    }

    def run(self, warehouse: Warehouse, config: Config) -> Section:
        opts: VoiceSettings = config.settings("voice")
        unmet = self.uncomputable(warehouse)
        df, warn, scored = self.artefacts["scored_reviews"]
        warnings = [warn] if warn else []
        flags = scored.sentiment["flag"].value_counts()
        if flags.get("truncated", 0) or flags.get("no_chinese", 0):
            warnings.append(f"{int(flags.get('truncated', 0))} review(s) truncated at 2,000 characters, "
                            f"{int(flags.get('no_chinese', 0))} without Chinese text (scored with low confidence)")
        tables: dict[str, pd.DataFrame] = {
            **({"voice_adaptation": scored.adaptation} if scored.adaptation is not None else {}),
            "review_sentiment": scored.sentiment[["review_id", "score", "label", "mixed"]],
            "review_aspects": scored.aspects,
            "voice_by_platform": aggregate(scored, df, ["platform"]),
            "voice_by_month": aggregate(scored, df, ["month"]),
        }
        figures: dict[str, Any] = {}
        findings: list[Finding] = []
        brand = df["brand"].to_numpy(object)
        if pd.notna(brand).any():
            figures, tables["voice_by_brand"] = brand_figures(scored, brand, opts.n_boot)
            tables["voice_by_brand_platform"] = aggregate(scored, df, ["brand", "platform"])
            tables["voice_framing_trend"] = aggregate(scored, df, ["brand", "month"])[
                ["brand", "month", "n_reviews", "value_framing", "sentiment"]]
            tables["voice_associations"] = self._associations(scored, brand)
            if "voice_drivers" not in unmet:
                tables["voice_drivers"] = key_drivers(df[["review_id", "brand", "rating"]], scored.aspects)
            neg = (scored.sentiment["score"] < 0.5).to_numpy()
            tables["voice_issues"] = issues_watch(scored.texts, df["week"], neg, df["brand"])
            findings = self._findings(figures, config, tables, df, scored)
        posts = posts_framing(warehouse)
        if posts is not None and len(posts):
            tables["voice_posts_framing"] = posts
            for r in posts.itertuples():
                if r.brand in figures and np.isfinite(r.value_framing):
                    figures[r.brand]["posts_value_framing"] = _r(r.value_framing)
            findings.extend(self._posts_findings(posts, config.focal_brand, figures))
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
    def _posts_findings(posts: pd.DataFrame, focal: str | None, figures: dict[str, Any]) -> list[Finding]:
        p = posts.set_index("brand")
        v = (figures.get(focal) or {}).get("posts_value_framing")
        if focal not in p.index or v is None:
            return []
        rivals = p.drop(index=focal)["value_framing"].dropna()
        s = Slots()
        fb, vs = s("brand", focal, "brand"), s("framing", v, "pct", f"voice.{focal}.posts_value_framing")
        rm = s("rivals", float(rivals.mean()), "pct") if len(rivals) else ""
        return [Finding.of("voice.posts_framing", s.template(
            f"In social posts, {vs} of {fb}'s framed posts argue from value for money"
            + (f", against {rm} for its rivals." if rm else ".") + _eg(s, p.loc[focal, "quote"]),
            f"社交内容中，{fb}带框架的内容有{vs}从性价比出发" + (f"，竞品平均为{rm}。" if rm else "。")
            + _eg(s, p.loc[focal, "quote"], zh=True)))]

    @staticmethod
    def _findings(figures: dict[str, Any], config: Config, tables: dict[str, pd.DataFrame], df: pd.DataFrame,
                  scored: Scored) -> list[Finding]:
        """Findings for the focal brand as templates, each with one real review as evidence (a text slot)."""
        out = []
        focal = config.focal_brand
        s = scored.sentiment
        vf = {b: f["value_framing"] for b, f in figures.items() if "value_framing" in f}
        if focal in vf and len(vf) > 1:
            rivals = {b: v for b, v in vf.items() if b != focal}
            quote = _quote(df, focal, (s["frame"] == 1).to_numpy())
            sl = Slots()
            fb, fv = sl("brand", focal, "brand"), sl("framing", vf[focal], "pct", f"voice.{focal}.value_framing")
            rm = sl("rivals", float(np.mean(list(rivals.values()))), "pct")
            out.append(Finding.of("voice.value_framing", sl.template(
                f"{fv} of {fb}'s framed opinions argue from value for money, against {rm} on average for its "
                "rivals." + _eg(sl, quote),
                f"{fb}的带框架评价中有{fv}从性价比出发，竞品平均为{rm}。" + _eg(sl, quote, zh=True)),
                {f"voice.{b}.value_framing": v for b, v in rivals.items()}))
        if focal in figures:
            asp = {a: v for a, v in figures[focal]["aspects"].items() if v is not None}
            if asp:
                best, worst = max(asp, key=asp.get), min(asp, key=asp.get)
                a = scored.aspects
                q_best = _quote(df, focal, s["review_id"].isin(
                    a.loc[(a["aspect"] == best) & (a["polarity"] > 0), "review_id"]).to_numpy())
                q_worst = _quote(df, focal, s["review_id"].isin(
                    a.loc[(a["aspect"] == worst) & (a["polarity"] < 0), "review_id"]).to_numpy())
                sl = Slots()
                fb = sl("brand", focal, "brand")
                ba, bv = sl("best", best, "code"), sl("best_share", asp[best], "pct", f"voice.{focal}.aspects.{best}")
                wa, wv = sl("worst", worst, "code"), sl("worst_share", asp[worst], "pct",
                                                        f"voice.{focal}.aspects.{worst}")
                out.append(Finding.of("voice.aspects", sl.template(
                    f"{fb}'s strongest aspect is {ba} ({bv} positive){_eg(sl, q_best, ';', name='quote_best')} its "
                    f"weakest {wa} ({wv} positive)." + _eg(sl, q_worst, name="quote_worst"),
                    f"{fb}口碑最好的方面是{ba}（{bv}正面）{_eg(sl, q_best, '；', zh=True, name='quote_best')}最弱的是"
                    f"{wa}（{wv}正面）。" + _eg(sl, q_worst, zh=True, name="quote_worst"))))
        assoc = tables.get("voice_associations")
        if assoc is not None and focal in set(assoc["brand"]):
            terms = assoc.loc[assoc["brand"] == focal].sort_values("rank")["term"].head(5).tolist()
            q = _quote(df, focal, mentions(scored.texts, terms[:1]) if terms else None)
            sl = Slots()
            fb, words = sl("brand", focal, "brand"), [sl(f"term{i}", t, "text") for i, t in enumerate(terms)]
            out.append(Finding.of("voice.associations", sl.template(
                f"The terms most distinctively tied to {fb} against its rivals: {', '.join(words)}." + _eg(sl, q),
                f"与竞品相比，最能区分{fb}的词是：{'、'.join(words)}。" + _eg(sl, q, zh=True)),
                {f"voice_associations.{focal}": terms}))
        drv = tables.get("voice_drivers")
        if drv is not None and focal in set(drv["brand"]):
            d = drv[(drv["brand"] == focal) & (drv["opinion"] == "negative") & (drv["ci_high"] < 0)]
            if len(d):
                top = d.sort_values("effect").iloc[0]
                a = scored.aspects
                q = _quote(df, focal, s["review_id"].isin(
                    a.loc[(a["aspect"] == top["aspect"]) & (a["polarity"] < 0), "review_id"]).to_numpy())
                sl = Slots()
                key = f"voice_drivers.{focal}.{top['aspect']}.negative"
                fb, asp_ = sl("brand", focal, "brand"), sl("aspect", top["aspect"], "code")
                eff = sl("effect", float(top["effect"]), "ratio+", f"{key}.effect")
                lo = sl("effect_low", float(top["ci_low"]), "ratio+", f"{key}.ci_low")
                hi = sl("effect_high", float(top["ci_high"]), "ratio+", f"{key}.ci_high")
                lv = sl("level", DRIVERS_LEVEL, "level")
                out.append(Finding.of("voice.drivers", sl.template(
                    f"A negative opinion on {asp_} costs {fb} the most stars: {eff} ({lv} interval {lo} to {hi})."
                    + _eg(sl, q),
                    f"对{asp_}的负面评价对{fb}星级的拖累最大：{eff}星（{lv}区间 {lo} 至 {hi}）。"
                    + _eg(sl, q, zh=True))))
        iss = tables.get("voice_issues")
        if iss is not None and len(iss) and iss["jump"].any():
            j = iss[iss["jump"]].sort_values("mentions", ascending=False).iloc[0]
            week = pd.to_datetime(df["week"]).to_numpy() == np.datetime64(pd.Timestamp(j["week"]))
            hit = mentions(scored.texts, ISSUES[j["issue"]]) & week & (s["score"] < 0.5).to_numpy()
            q = _quote(df, j["brand"], hit)
            wk = pd.Timestamp(j["week"]).date()
            sl = Slots()
            key = f"voice_issues.{j['brand']}.{j['issue']}.{wk}"
            br, issue, when = sl("brand", j["brand"], "brand"), sl("issue", j["issue"], "text"), sl("week", str(wk),
                                                                                                   "text")
            n = sl("mentions", int(j["mentions"]), "count", f"{key}.mentions")
            base = sl("baseline", float(j["baseline"]), "number", f"{key}.baseline")
            out.append(Finding.of("voice.issues", sl.template(
                f"Issues watch: {br} reviews naming {issue} jumped to {n} in the week of {when} (trailing mean "
                f"{base})." + _eg(sl, q),
                f"问题监测：{br}提及{issue}的负面评价在{when}当周升至{n}条（此前均值{base}）。" + _eg(sl, q, zh=True))))
        return out


def _eg(s: Slots, quote: str | None, end: str = "", zh: bool = False, name: str = "quote") -> str:
    """' E.g. “{quote}”' (or '例：“{quote}”') when there is a quote, its text a slot, plus ``end``."""
    if not quote:
        return end
    q = s(name, str(quote), "text")
    return (f"例：“{q}”" if zh else f" E.g. “{q}”") + end


def _quote(df: pd.DataFrame, brand: str, mask: np.ndarray | None) -> str | None:
    """One real review text of ``brand`` where ``mask`` holds (8–60 characters preferred), as evidence."""
    if mask is None:
        return None
    m = (df["brand"].to_numpy() == brand) & np.asarray(mask, bool)
    idx = np.flatnonzero(m)
    if not len(idx):
        return None
    lengths = df["text"].iloc[idx].fillna("").str.len().to_numpy()
    ok = idx[(lengths >= 8) & (lengths <= 60)]
    return str(df["text"].iloc[ok[0] if len(ok) else idx[0]])[:120]


def post_brand_texts(warehouse: Warehouse) -> pd.DataFrame | None:
    """One row per (post, featured brand): ``brand``, ``text``; None without a posts table with text and brands."""
    if not warehouse.has_rows("posts"):
        return None
    posts = warehouse.table("posts")
    if not {"text", "brands"} <= set(posts.columns):
        return None
    posts = posts.filter(posts.text.notnull(), posts.brands.notnull())
    p = posts.select("post_id", b=posts.brands.split("|").unnest(), text=posts.text)
    p = p.select("post_id", brand=p.b.strip(), text=p.text).filter(ibis._.brand != "")
    # in post order, so the quote a brand gets is the same whatever order the engine returns rows in
    return to_frame(p.order_by(["post_id", "brand"]).select("brand", "text"))


def posts_framing(warehouse: Warehouse) -> pd.DataFrame | None:
    """Value framing of social posts' text per featured brand (``posts.text`` × ``posts.brands``), with a quote.

    Returns None when there is no posts table or it has no text/brands column.
    """
    p = post_brand_texts(warehouse)
    if p is None or p.empty:
        return None
    norm = normalise(p["text"].tolist()).texts
    _, _, frame = framing(norm)
    p["value"] = frame == 1
    p["framed"] = ~np.isnan(frame)
    g = p.groupby("brand")
    out = pd.DataFrame({"n_posts": g.size(), "framed": g["framed"].sum(), "value_framed": g["value"].sum()})
    with np.errstate(invalid="ignore", divide="ignore"):
        out["value_framing"] = out["value_framed"] / out["framed"].replace(0, np.nan)
    out["quote"] = [_quote(p, b, p["value"].to_numpy()) for b in out.index]
    return out.reset_index()
