"""Value/premium framing against the three hand-labelled real-review samples (docs/voice.md "Value framing").

Prints, per sample (and per half of the third), under the current definition (a bare price verdict such
as 价格还行 is no frame) and with price verdicts counted as value, precision and recall of the value and
premium frames with 95 % Wilson intervals. Texts are read from the corpora's TRAIN side by md5 (no corpus
text in the repo).
``--misses dev`` lists the third sample's dev-half disagreements with their text (never look at the test
half's misses: it is the out-of-sample check). Usage: ``python scripts/voice_framing_eval.py [--misses dev]``.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from upmarket.analyses.voice.corpora import load_sentiment
from upmarket.analyses.voice.framing import framing
from upmarket.analyses.voice.text import normalise

DATA = Path(__file__).resolve().parents[1] / "tests" / "analyses" / "voice" / "data"
SAMPLES = {"first": ("framing_hand_labels.csv", "md5_text_frame", "|frame"),
           "second": ("framing_hand_labels_2.csv", "md5_text_frame2", "|frame2"),
           "third": ("framing_hand_labels_3.csv", "md5_text_frame3", "|frame3")}


def labelled(train: pd.DataFrame, sample: str) -> pd.DataFrame:
    """One hand-labelled sample joined to its texts and the rule's frame (value / premium / neither)."""
    file, col, salt = SAMPLES[sample]
    keys = train.assign(k=[hashlib.md5((t + salt).encode()).hexdigest() for t in train["text"]])
    hl = pd.read_csv(DATA / file).merge(keys.drop_duplicates("k")[["k", "text"]], left_on=col, right_on="k")
    _, _, frame = framing(normalise(hl["text"].tolist()).texts)
    hl["pred"] = np.where(np.isnan(frame), "neither", np.where(frame == 1, "value", "premium"))
    # one definition for all samples: a bare price verdict (价格还行) is no frame; the first two samples were
    # labelled with it as value and carry a price_verdict flag, the third a hand_code
    if "hand_code" in hl:
        hl["gold"], hl["gold_verdict_value"] = hl["hand_frame"], hl["hand_code"].replace({"price_verdict": "value"})
    else:
        hl["gold"] = hl["hand_frame"].where(hl["price_verdict"] == 0, "neither")
        hl["gold_verdict_value"] = hl["hand_frame"]
    return hl


def scores(gold: np.ndarray, pred: np.ndarray) -> dict[str, str]:
    """Precision and recall per frame, as 'p [lo, hi] (k/n)'."""
    out = {}
    for cls in ("value", "premium"):
        for name, base in (("precision", pred == cls), ("recall", gold == cls)):
            k, n = int(((gold == cls) & (pred == cls) & base).sum()), int(base.sum())
            lo, hi = proportion_confint(k, n, method="wilson") if n else (np.nan, np.nan)
            out[f"{cls} {name}"] = f"{k / n:.2f} [{lo:.2f}, {hi:.2f}] ({k}/{n})" if n else "–"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--misses", choices=["dev", "all"], help="list the third sample's misses (dev half or all)")
    args = ap.parse_args()
    corpus = load_sentiment()
    train = corpus[corpus["split"] == "train"]
    rows = {}
    for sample in SAMPLES:
        hl = labelled(train, sample)
        rows[f"{sample} ({len(hl)})"] = scores(hl["gold"].to_numpy(), hl["pred"].to_numpy())
        rows[f"{sample}, price verdicts as value"] = scores(hl["gold_verdict_value"].to_numpy(), hl["pred"].to_numpy())
        if sample == "third":
            for half in ("dev", "test"):
                h = hl[hl["half"] == half]
                rows[f"third, {half} half ({len(h)})"] = scores(h["gold"].to_numpy(), h["pred"].to_numpy())
            sure = hl[hl["sure"] == 1]
            rows[f"third, sure labels only ({len(sure)})"] = scores(sure["gold"].to_numpy(), sure["pred"].to_numpy())
            if args.misses:
                m = hl[(hl["gold"] != hl["pred"]) & ((hl["half"] == "dev") | (args.misses == "all"))]
                for r in m.itertuples():
                    print(f"gold {r.hand_code:<13} pred {r.pred:<8} {r.text}")
    table = pd.DataFrame(rows).T
    print("| sample | " + " | ".join(table.columns) + " |")
    print("|---" * (len(table.columns) + 1) + "|")
    for name, r in table.iterrows():
        print(f"| {name} | " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
