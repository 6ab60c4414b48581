"""Value framing on 60 hand-labelled real reviews (phone/tablet/computer, corpora TRAIN side; md5 refs only)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.voice.corpora import data_dir, load_sentiment
from upmarket.analyses.voice.framing import framing
from upmarket.analyses.voice.text import normalise

LABELS = Path(__file__).parent / "data" / "framing_hand_labels.csv"


def _read_sample(labels: Path, tag: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """A hand-labelled sample joined back to its TRAIN-side texts by md5(text + "|" + tag), with the rule's
    frame (value / premium / neither) and the hand label; skips without ../shared/data."""
    root = data_dir()
    if root is None:
        pytest.skip("research corpora (../shared/data) not present on this machine")
    tr = load_sentiment(root)
    tr = tr[tr["split"] == "train"]
    tr = tr.assign(k=[hashlib.md5((t + "|" + tag).encode()).hexdigest() for t in tr["text"]]).drop_duplicates("k")
    hl = pd.read_csv(labels).merge(tr[["k", "text"]], left_on=f"md5_text_{tag}", right_on="k")
    _, _, frame = framing(normalise(hl["text"].tolist()).texts)
    pred = np.where(np.isnan(frame), "neither", np.where(frame == 1, "value", "premium"))
    return hl, pred, hl["hand_frame"].to_numpy()


def test_value_framing_precision_and_recall_on_real_reviews():
    hl, pred, gold = _read_sample(LABELS, "frame")
    assert len(hl) == 60
    # the phrase list was extended on this sample (recall 0.63 → 0.91 in-sample): a regression guard
    assert (gold[pred == "value"] == "value").mean() >= 0.9
    assert (pred[gold == "value"] == "value").mean() >= 0.85


LABELS_2 = Path(__file__).parent / "data" / "framing_hand_labels_2.csv"


def test_framing_on_a_second_hand_labelled_sample():
    """100 more TRAIN-side phone/tablet/computer reviews (8–100 chars, not in the first sample), drawn by
    md5(text + "|frame2"): the first 40 with a price cue, 30 with a premium/brand cue, 30 with neither
    (docs/voice.md). Before the phrases read off it: value P 0.91 / R 0.70, premium P 0.86 / R 0.55."""
    hl, pred, gold = _read_sample(LABELS_2, "frame2")
    assert len(hl) == 100 and hl["pool"].value_counts().to_dict() == {"value_cue": 40, "premium_cue": 30,
                                                                       "no_cue": 30}
    # in-sample after the additions (value P 0.96 / R 0.73, premium P 0.75 / R 0.82): a regression guard. Bare
    # price verdicts (价格还行, 价格有点小贵) are labelled value here but read as the price aspect (docs/voice.md).
    assert (gold[pred == "value"] == "value").mean() >= 0.93
    assert (pred[gold == "value"] == "value").mean() >= 0.7
    assert (gold[pred == "premium"] == "premium").mean() >= 0.7
    assert (pred[gold == "premium"] == "premium").mean() >= 0.7


LABELS_3 = Path(__file__).parent / "data" / "framing_hand_labels_3.csv"


def test_framing_on_a_third_hand_labelled_sample():
    """150 more TRAIN-side phone/tablet/computer reviews (8–150 chars, in neither earlier sample), drawn by
    scripts/framing_sample3.py: by md5(text + "|frame3"), 60 with a premium/brand cue, 50 with a price cue only,
    40 with neither; dev/test halves fixed by md5 before labelling. Labelled before the rule was run on them.
    Before any change (out of sample): value P 0.92 / R 0.77, premium P 0.79 / R 0.50 (docs/voice.md)."""
    hl, pred, gold = _read_sample(LABELS_3, "frame3")
    assert len(hl) == 150 and hl["pool"].value_counts().to_dict() == {"premium_cue": 60, "value_cue": 50,
                                                                       "no_cue": 40}
    # a bare price verdict is no frame (docs/voice.md): hand_frame is hand_code with price_verdict → neither
    assert (hl["hand_frame"] == hl["hand_code"].replace({"price_verdict": "neither"})).all()
    # after the additions read off the dev half: value P 0.92 / R 0.79, premium P 0.81 / R 0.59 (in-sample);
    # test half alone value P 0.86 / R 0.79, premium P 0.78 / R 0.54. A regression guard.
    assert (gold[pred == "value"] == "value").mean() >= 0.9
    assert (pred[gold == "value"] == "value").mean() >= 0.75
    assert (gold[pred == "premium"] == "premium").mean() >= 0.75
    assert (pred[gold == "premium"] == "premium").mean() >= 0.55


@pytest.mark.parametrize(("text", "frame"), [
    ("毕竟价格在那呢，够用", 1.0), ("价钱在这了。", 1.0), ("价格在那里摆着！", 1.0), ("价格在这个区间算低的", None),
    ("价格还行，屏幕清晰", None), ("外观高大上", 0.0), ("大品牌值得信赖", 0.0), ("华为出这种产品是自毁品牌", 0.0),
    ("京东值得信赖", None), ("像素一般但够用，对得起这价格。", 1.0), ("这价钱买到这种配置", 1.0), ("物有所值！", 1.0),
    ("对的起联想这个牌子啊", 0.0), ("对得起旗舰的定位", 0.0),
])
def test_framing_idioms_and_their_boundaries(text, frame):
    """价格在那 (given the price) is a value idiom, 价格在这个区间 is not; a bare price verdict is no frame;
    the brand trusted or damaged frames premium, a trusted shop does not."""
    _, _, got = framing(normalise([text]).texts)
    assert (np.isnan(got[0]) if frame is None else got[0] == frame)
