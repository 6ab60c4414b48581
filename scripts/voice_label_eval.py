"""Review-label accuracy of a voice model on real reviews (held-out split of ``../shared/data``).

Prints, per corpus: accuracy of the whole-text score (≥ 0.5), of the headline ``label`` and the share
flagged mixed/neutral; and on the hand-labelled mixed reviews (``tests/analyses/voice/data/
mixed_reviews_hand_labels.csv``, texts read from the corpora's TRAIN side by md5): 3-way accuracy and the
mixed flag's precision and recall. Usage: ``python scripts/voice_label_eval.py [--model PATH]``.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from upmarket.analyses.voice.corpora import data_dir, load_sentiment
from upmarket.analyses.voice.score import score_reviews
from upmarket.analyses.voice.sentiment import SentimentModel

HAND_LABELS = Path(__file__).resolve().parents[1] / "tests" / "analyses" / "voice" / "data" / \
    "mixed_reviews_hand_labels.csv"


def hand_labelled(corpus: pd.DataFrame) -> pd.DataFrame:
    """The hand-labelled mixed-review sample joined to its texts (md5 of the raw text)."""
    hl = pd.read_csv(HAND_LABELS)
    tr = corpus[corpus["split"] == "train"]
    tr = tr.assign(md5_text=[hashlib.md5(t.encode()).hexdigest() for t in tr["text"]]).drop_duplicates("md5_text")
    return hl.merge(tr[["md5_text", "text"]], on="md5_text", how="inner")


def mixed_metrics(model: SentimentModel, hl: pd.DataFrame) -> dict[str, float]:
    """3-way accuracy (label, 0 when flagged mixed), mixed precision / recall, positive-share accuracy."""
    s = score_reviews(np.arange(len(hl)), hl["text"].tolist(), model).sentiment
    three = np.where(s["mixed"].to_numpy(bool), 0, s["label"].to_numpy())
    y = hl["hand_label"].to_numpy()
    flagged = three == 0
    return {"n": len(hl), "n_mixed_gold": int((y == 0).sum()), "accuracy_3way": float((three == y).mean()),
            "mixed_precision": float((y[flagged] == 0).mean()) if flagged.any() else float("nan"),
            "mixed_recall": float(flagged[y == 0].mean()),
            "positive_accuracy": float(((s["label"].to_numpy() == 1) == (y == 1)).mean())}


def corpus_table(model: SentimentModel, test: pd.DataFrame) -> pd.DataFrame:
    s = score_reviews(np.arange(len(test)), test["text"].tolist(), model).sentiment
    y = test["label"].to_numpy()
    frame = pd.DataFrame({"score_acc": (s["score"].to_numpy() >= 0.5) == (y == 1),
                          "label_acc": (s["label"].to_numpy() == 1) == (y == 1),
                          "mixed_share": s["mixed"].to_numpy(bool)})
    out = frame.groupby(test["corpus"].to_numpy()).mean()
    out.insert(0, "n", test.groupby("corpus").size())
    out.loc["MEAN (per corpus)"] = out.mean()
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None)
    args = ap.parse_args(argv)
    root = data_dir()
    if root is None:
        raise SystemExit("../shared/data not found (or set UPMARKET_VOICE_DATA)")
    model = SentimentModel.load(args.model)
    df = load_sentiment(root)
    print(corpus_table(model, df[df["split"] == "test"].reset_index(drop=True)).round(4).to_string())
    print({k: round(v, 3) if isinstance(v, float) else v for k, v in mixed_metrics(model, hand_labelled(df)).items()})


if __name__ == "__main__":
    main()
