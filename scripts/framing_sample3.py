"""Draw the third hand-labelled value/premium framing sample (docs/voice.md "Value framing on real reviews").

Pool: TRAIN side of ``../shared/data`` (``corpora.load_sentiment``, never ``split == "test"``), whole reviews
of phones, tablets and computers (online_shopping phone + 平板/计算机), 8–150 characters, not in the first
two samples. Reviews are ordered by md5(text + "|frame3") and taken in that order per stratum: 60 with a
premium or brand cue, 50 with a price cue and no premium cue, 40 with neither. The cue lists below are for
drawing only (broad on purpose, written for this script, not the framing rule's lists). Each review is put
in ``dev`` or ``test`` by the parity of its md5's last hex digit, fixed before any label was read.

Usage: ``python scripts/framing_sample3.py --to-label /tmp/frame3.csv`` writes md5, pool, half and text
for labelling (the text stays out of the repo); without ``--to-label`` it prints the stratum sizes.
"""

from __future__ import annotations

import argparse
import hashlib
import re
from pathlib import Path

import pandas as pd

from upmarket.analyses.voice.corpora import load_sentiment

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "analyses" / "voice" / "data"
PREMIUM_CUE = re.compile("档次|质感|高端|大牌|品牌|做工|大气|精致|奢华|旗舰|高档|尊贵|名牌|高级|品质|面子|身份|商务"
                         "|豪华|顶级|苹果|iphone|索尼|三星|诺基亚|专业|贵族|气派|有型|贵气", re.IGNORECASE)
PRICE_CUE = re.compile("价|钱|值|便宜|贵|元|块|实惠|划算|省|性价比|优惠")
SIZES = {"premium_cue": 60, "value_cue": 50, "no_cue": 40}


def key(text: str) -> str:
    """The sample's reference to a review: md5 of its raw text with this sample's salt."""
    return hashlib.md5((text + "|frame3").encode()).hexdigest()


def pool() -> pd.DataFrame:
    """Every eligible train-side review with its md5 reference and cue stratum."""
    d = load_sentiment()
    pc_or_tablet = (d["corpus"] == "online_shopping_other_cats") & d["cat"].isin(["平板", "计算机"])
    d = d[(d["split"] == "train") & ((d["corpus"] == "online_shopping_phone") | pc_or_tablet)]
    d = d[d["text"].str.len().between(8, 150)].drop_duplicates("text")
    seen = set(pd.read_csv(FIXTURES / "framing_hand_labels.csv")["md5_text_frame"])
    seen2 = set(pd.read_csv(FIXTURES / "framing_hand_labels_2.csv")["md5_text_frame2"])
    d = d[[hashlib.md5((t + "|frame").encode()).hexdigest() not in seen
           and hashlib.md5((t + "|frame2").encode()).hexdigest() not in seen2 for t in d["text"]]]
    d = d.assign(md5_text_frame3=[key(t) for t in d["text"]])
    prem = d["text"].str.contains(PREMIUM_CUE)
    price = d["text"].str.contains(PRICE_CUE)
    d["pool"] = "no_cue"
    d.loc[price & ~prem, "pool"] = "value_cue"
    d.loc[prem, "pool"] = "premium_cue"
    return d.sort_values("md5_text_frame3")


def draw() -> pd.DataFrame:
    """The sample: the first reviews by md5 in each stratum, with their dev/test half."""
    d = pool()
    s = pd.concat([d[d["pool"] == p].head(n) for p, n in SIZES.items()])
    s["half"] = ["dev" if int(k[-1], 16) % 2 == 0 else "test" for k in s["md5_text_frame3"]]
    return s[["md5_text_frame3", "pool", "half", "corpus", "cat", "text"]].sort_values("md5_text_frame3")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--to-label", type=Path, help="write the sample with its texts here (outside the repo)")
    args = ap.parse_args()
    p = pool()
    print("eligible reviews per stratum:", p["pool"].value_counts().to_dict())
    s = draw()
    print("drawn:", s.groupby(["pool", "half"]).size().to_dict())
    if args.to_label:
        s.to_csv(args.to_label, index=False)
