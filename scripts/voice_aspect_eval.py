"""Aspect detection and polarity on real aspect-labelled sentences (``../shared/data``), and learned detectors.

Gold: every sentence of the aspect corpora (SemEval-2016 zh phone/camera, ABSA phone/camera/notebook, JD
clauses) with its opinions mapped to the eight aspects by ``corpora.load_aspects`` (``SUGGESTED_aspect_map.csv``
plus the reviewed ``MAP_OVERRIDES``; ``other`` left out). Per corpus and pooled, on the held-out split:

* recall — gold (sentence, aspect) opinions the system finds;
* precision — found (sentence, aspect) pairs that are gold for that sentence (only sentences with at least one
  opinion are scored: the corpora's opinion-free sentences are not in the aspect files);
* polarity — found gold opinions with a non-neutral gold polarity whose predicted polarity is the gold one.

Learned detectors (``--fit``): one char n-gram logistic regression per aspect (the sentiment model's own
hashed features, saved as ``.npz``, no pickle) trained on the TRAIN side; a clause names aspect *a* when a
lexicon term matches OR the detector's P ≥ its threshold (chosen per aspect on a grouped train-side fold,
maximising F1 of the combined rule). They learn from research-only corpora, so they are written outside the
package (``~/.cache/upmarket/voice/aspects/``) and used with ``[voice] aspect_models = "DIR"``.

Learned polarity (``--fit-polarity``, needs the detectors): one logistic regression over each opinion's context
(the clauses naming the aspect, else the whole sentence — ``aspects.aspect_contexts``) and the 32 characters before
and after it (a SemEval sentence is read inside its review: the corpus keeps review_id and sentence order;
``aspect_models.AspectPolarity``), trained on every TRAIN-side gold opinion with a polar label. Its C is chosen by
grouped 5-fold cross-validation on the TRAIN side only; it is saved as ``polarity.npz`` beside the detectors and
then decides every opinion's polarity. ``--stack`` adds stage 2 over a corpus sentiment model (measured, not
adopted: it misreads hand-written reviews, docs/voice.md).

Usage: ``python scripts/voice_aspect_eval.py [--model SENTIMENT.npz] [--fit] [--fit-polarity [--stack]]
[--detectors DIR]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from upmarket.analyses.voice.aspect_models import AspectDetectors, AspectPolarity, OpinionText, opinion_texts
from upmarket.analyses.voice.aspects import ASPECTS, aspect_contexts, aspect_hits, extract_aspects
from upmarket.analyses.voice.corpora import SEMEVAL, data_dir, load_aspects, load_sentiment
from upmarket.analyses.voice.sentiment import SentimentModel
from upmarket.analyses.voice.text import normalise
from upmarket.text.lexicon import split_clauses

DETECTOR_DIR = Path.home() / ".cache" / "upmarket" / "voice" / "aspects"
POLARITY_C = (64.0, 256.0)
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def gold_sentences(asp: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sentences: sid, corpus, text, split, group; opinions: sid, aspect, polarity) over the eight aspects."""
    a = asp[asp["aspect"].isin(ASPECTS)]
    sent = a.drop_duplicates(["corpus", "text"])[["corpus", "text", "split", "group"]].reset_index(drop=True)
    sent["sid"] = np.arange(len(sent))
    ops = a.merge(sent, on=["corpus", "text", "split", "group"])[["sid", "aspect", "polarity"]]
    ops = ops.groupby(["sid", "aspect"])["polarity"].agg(lambda p: int(np.sign(p.sum()))).reset_index()
    return sent, ops


def score_system(sent: pd.DataFrame, gold: pd.DataFrame, pred: pd.DataFrame) -> pd.DataFrame:
    """Recall, precision and polarity per corpus (and pooled) of ``pred`` (sid, aspect, polarity)."""
    m = gold.merge(pred, on=["sid", "aspect"], how="left", suffixes=("", "_pred"))
    m["found"] = m["polarity_pred"].notna()
    m = m.merge(sent[["sid", "corpus"]], on="sid")
    p = pred.merge(gold[["sid", "aspect"]].assign(gold=True), on=["sid", "aspect"], how="left")
    p = p.merge(sent[["sid", "corpus"]], on="sid")
    rows = []
    for corpus in [*sorted(sent["corpus"].unique()), "POOLED"]:
        g = m if corpus == "POOLED" else m[m["corpus"] == corpus]
        q = p if corpus == "POOLED" else p[p["corpus"] == corpus]
        polar = g[g["found"] & (g["polarity"] != 0)]
        rows.append({"corpus": corpus, "n_opinions": len(g), "recall": g["found"].mean(),
                     "precision": q["gold"].fillna(False).astype(bool).mean() if len(q) else np.nan,
                     "polarity": (polar["polarity"] == polar["polarity_pred"]).mean() if len(polar) else np.nan})
    return pd.DataFrame(rows).set_index("corpus")


CORPUS_DOMAIN = {"semeval2016_zh_phone": "phone", "absa_zh_phone": "phone", "semeval2016_zh_camera": "device",
                 "absa_zh_camera": "device", "absa_zh_notebook": "device", "jd_surface_clauses": "device"}
"""Product domain of each aspect corpus, for a domain-aware (research) model."""


def predict(sent: pd.DataFrame, model: SentimentModel, detectors: AspectDetectors | None) -> pd.DataFrame:
    norm = normalise(sent["text"].tolist()).texts
    domain = ([model.resolve_domain(CORPUS_DOMAIN[c]) for c in sent["corpus"]] if model.domains_ else None)
    out = extract_aspects(norm, model, domain=domain, detectors=detectors, surround=review_surround(sent, norm))
    return pd.DataFrame({"sid": sent["sid"].to_numpy()[out["row"].to_numpy()], "aspect": out["aspect"],
                         "polarity": out["polarity"]})


_REVIEWS: dict[str, list[str]] = {}


def review_surround(sent: pd.DataFrame, norm: list[str]) -> tuple[list[str], list[str]]:
    """(text before, text after) each sentence in its review: a SemEval sentence's review (the corpus keeps
    review_id and order); '' for other corpora (their sentences come without a review)."""
    if not _REVIEWS:
        root = data_dir()
        for c in SEMEVAL:
            s = pd.read_csv(root / c / "train.csv", dtype=str, keep_default_na=False)
            s["norm"] = normalise(s["text"].str.strip().tolist()).texts
            for rid, d in s.groupby("review_id", sort=False):
                _REVIEWS[f"semeval:{c}:{rid}"] = d["norm"].tolist()
    before, after = [], []
    for group, text in zip(sent["group"], norm, strict=True):
        sents = _REVIEWS.get(group, [])
        i = sents.index(text) if text in sents else -1
        before.append("".join(sents[:i]) if i >= 0 else "")
        after.append("".join(sents[i + 1:]) if i >= 0 else "")
    return before, after


def dev_fold(groups: pd.Series, texts: pd.Series) -> np.ndarray:
    """A grouped train-side fold (1 in 5; SemEval by review, others by text)."""
    keys = np.where(groups != "", groups, texts)
    return np.fromiter((int(hashlib.md5((k + "|aspdev").encode()).hexdigest()[:8], 16) % 5 == 0 for k in keys),
                       bool, len(keys))


def fit_detectors(sent: pd.DataFrame, gold: pd.DataFrame, model: SentimentModel) -> tuple[AspectDetectors, dict]:
    """Detectors fitted on the TRAIN side; thresholds chosen on a grouped fold of it, then refitted on all of it."""
    tr = sent[sent["split"] == "train"].reset_index(drop=True)
    fold = dev_fold(tr["group"], tr["text"])
    chosen, report = {}, {}
    fit_part, dev_part = tr[~fold], tr[fold]
    det = AspectDetectors.fit(normalise(fit_part["text"].tolist()).texts, _targets(fit_part, gold))
    dev_gold = gold[gold["sid"].isin(dev_part["sid"])]
    for t in THRESHOLDS:
        det.thresholds = dict.fromkeys(ASPECTS, t)
        res = predict(dev_part, model, det)
        for a in ASPECTS:
            g, r = dev_gold[dev_gold["aspect"] == a], res[res["aspect"] == a]
            tp = len(g.merge(r, on=["sid", "aspect"]))
            f1 = 2 * tp / max(len(g) + len(r), 1)
            if f1 > report.get(a, (-1, None))[0]:
                report[a] = (f1, t)
    chosen = {a: report[a][1] for a in ASPECTS}
    final = AspectDetectors.fit(normalise(tr["text"].tolist()).texts, _targets(tr, gold), thresholds=chosen)
    return final, {a: {"dev_f1": round(report[a][0], 4), "threshold": report[a][1]} for a in ASPECTS}


def _targets(part: pd.DataFrame, gold: pd.DataFrame) -> dict[str, np.ndarray]:
    has = gold.groupby("aspect")["sid"].apply(set)
    return {a: part["sid"].isin(has.get(a, set())).to_numpy().astype(int) for a in ASPECTS}


def polarity_examples(sent: pd.DataFrame, gold: pd.DataFrame, det: AspectDetectors) -> pd.DataFrame:
    """Every gold opinion of ``sent`` with a polar label: sid, corpus, group, context, text, y (1 positive), and
    ``op`` in ``attrs``: the :class:`OpinionText` the polarity model reads (with the review around SemEval)."""
    texts = normalise(sent["text"].tolist()).texts
    cl = split_clauses(texts)
    hits = aspect_hits(cl.text, det)
    g = gold[gold["sid"].isin(sent["sid"]) & (gold["polarity"] != 0)]
    pos = pd.Series(np.arange(len(sent)), index=sent["sid"].to_numpy())
    rows = pos.loc[g["sid"]].to_numpy()
    a_is = np.array([ASPECTS.index(a) for a in g["aspect"]], np.int64)
    contexts = aspect_contexts(texts, cl, hits, rows, a_is)
    ex = pd.DataFrame({"sid": g["sid"].to_numpy(), "corpus": sent["corpus"].to_numpy()[rows],
                       "group": sent["group"].to_numpy()[rows], "context": contexts,
                       "text": [texts[r] for r in rows], "y": (g["polarity"].to_numpy() > 0).astype(int)})
    ex.attrs["op"] = opinion_texts(texts, contexts, rows, review_surround(sent, texts))
    return ex


def cv_fold(groups) -> np.ndarray:
    """The polarity model's 5 grouped folds (by group key, so a SemEval review stays in one fold)."""
    return np.array([int(hashlib.md5((k + "|polcv").encode()).hexdigest()[:8], 16) % 5 for k in groups])


def fit_polarity(sent: pd.DataFrame, gold: pd.DataFrame, det: AspectDetectors,
                 stack: bool = False) -> tuple[AspectPolarity, dict]:
    """Stage 1's C chosen by grouped 5-fold CV on the TRAIN side (accuracy on polar opinions); then, with
    ``stack``, stage 2 over a corpus sentiment model trained on the TRAIN side of every labelled corpus
    (``corpora.load_sentiment``), fitted on out-of-fold features of the same folds."""
    ex = polarity_examples(sent[sent["split"] == "train"], gold, det)
    op: OpinionText = ex.attrs["op"]
    fold = cv_fold(ex["group"])
    report: dict = {"n_train": len(ex), "cv": {}}
    for c in POLARITY_C:
        right = np.zeros(len(ex), bool)
        for f in range(5):
            tr, te = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
            m = AspectPolarity.fit(op.take(tr), ex["y"].to_numpy()[tr], C=c)
            right[te] = (m.predict_proba(op.take(te)) >= 0.5) == ex["y"].to_numpy()[te]
        per = {k: round(float(right[ex["corpus"] == k].mean()), 4) for k in sorted(ex["corpus"].unique())}
        report["cv"][c] = {"pooled": round(float(right.mean()), 4), **per}
        print("polarity stage 1, C", c, report["cv"][c], flush=True)
    best = max(POLARITY_C, key=lambda c: report["cv"][c]["pooled"])
    report["C"] = best
    corpus = None
    if stack:
        cs = load_sentiment(data_dir())
        cs = cs[cs["split"] == "train"].reset_index(drop=True)
        corpus = (normalise(cs["text"].tolist()).texts, cs["label"].to_numpy(), cv_fold(cs["group"]))
        report["n_corpus"] = len(cs)
    return AspectPolarity.fit(op, ex["y"].to_numpy(), C=best, corpus=corpus, folds=fold), report


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None, help="sentiment model for polarity (default: shipped)")
    ap.add_argument("--fit", action="store_true", help="fit learned detectors on the TRAIN side and save them")
    ap.add_argument("--fit-polarity", action="store_true",
                    help="fit the learned polarity model on the TRAIN side and save it beside the detectors")
    ap.add_argument("--stack", action="store_true",
                    help="add the polarity model's stage 2 over a corpus sentiment model (measured, not adopted)")
    ap.add_argument("--detectors", type=Path, default=DETECTOR_DIR)
    args = ap.parse_args(argv)
    root = data_dir()
    if root is None:
        raise SystemExit("../shared/data not found (or set UPMARKET_VOICE_DATA)")
    model = SentimentModel.load(args.model)
    sent, gold = gold_sentences(load_aspects(root))
    test = sent[sent["split"] == "test"]
    test_gold = gold[gold["sid"].isin(test["sid"])]
    print("lexicon only:")
    print(score_system(test, test_gold, predict(test, model, None)).round(3).to_string())
    if args.fit:
        det, report = fit_detectors(sent, gold, model)
        det.save(args.detectors)
        (args.detectors / "thresholds.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
        print("thresholds:", report)
    if (args.detectors / "detectors.npz").is_file():
        det = AspectDetectors.load(args.detectors)
        plain = AspectDetectors.load(args.detectors)
        plain.polarity = None
        print("lexicon + learned detectors, polarity from the clause scores:")
        print(score_system(test, test_gold, predict(test, model, plain)).round(3).to_string())
        if args.fit_polarity:
            det.polarity, report = fit_polarity(sent, gold, det, stack=args.stack)
            det.polarity.save(args.detectors)
            (args.detectors / "polarity_cv.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
        if det.polarity is not None:
            print("lexicon + learned detectors + learned polarity:")
            print(score_system(test, test_gold, predict(test, model, det)).round(3).to_string())


if __name__ == "__main__":
    main()
