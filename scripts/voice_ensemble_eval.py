"""Does averaging the research model with the char TF-IDF + LR baseline beat the baseline on every corpus?

Held-out split of ``../shared/data``; the research model is the one ``make model`` saved
(``~/.cache/upmarket/voice/research_sentiment.npz``); the baseline is ``train_voice_model.baseline_tfidf``'s
model refitted on the TRAIN side (~2 min). Each member's log-odds are divided by their standard deviation
over the test texts (no labels used) and averaged with weight ``--weight`` on the baseline, fixed before
looking (0.5: equal say), not tuned on the held-out labels. Prints the paired table (McNemar, paired
bootstrap) of the research model alone and of the average, each against the baseline.
Usage: ``python scripts/voice_ensemble_eval.py [--weight 0.5]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_voice_model as tvm

from upmarket.analyses.voice.compare import paired_table
from upmarket.analyses.voice.corpora import data_dir, load_sentiment
from upmarket.analyses.voice.sentiment import SentimentModel
from upmarket.analyses.voice.text import normalise

COLUMNS = ["group", "n", "acc_a", "acc_b", "diff", "ci_low", "ci_high", "b", "c", "p_mcnemar"]


def main(argv: list[str] | None = None) -> dict[str, pd.DataFrame]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weight", type=float, default=0.5, help="the baseline's weight in the average")
    args = ap.parse_args(argv)
    root = data_dir()
    if root is None:
        raise SystemExit("../shared/data not found (or set UPMARKET_VOICE_DATA)")
    df = load_sentiment(root)
    train, test = df[df["split"] == "train"], df[df["split"] == "test"].reset_index(drop=True)
    research = SentimentModel.load(tvm.RESEARCH_DIR / "research_sentiment.npz")
    scheme = tvm.CANDIDATES[research.info_["config"]]["domains"]
    norm = normalise(test["text"].tolist()).texts
    r = research.decision_function(norm, normalised=True, domain=tvm.domain_of(test, scheme))
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)  # as baseline_tfidf
    clf = LogisticRegression(C=10.0, max_iter=1000).fit(vec.fit_transform(train["text"]), train["label"])
    b = clf.decision_function(vec.transform(test["text"]))
    y, corpus = test["label"].to_numpy(), test["corpus"].to_numpy()
    average = (1 - args.weight) * r / r.std() + args.weight * b / b.std()
    out = {}
    for name, logit in (("research", r), ("research + baseline", average)):
        t = paired_table(y, (logit >= 0).astype(int), (b >= 0).astype(int), corpus, level=0.9, n_boot=10_000, seed=0)
        out[name] = t[COLUMNS]
        print(f"{name} vs char TF-IDF + LR:\n{t[COLUMNS].round(4).to_string(index=False)}\n")
    return out


if __name__ == "__main__":
    main()
