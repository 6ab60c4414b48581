from __future__ import annotations

import numpy as np

from upmarket.analyses.voice.aspects import extract_aspects, lexicon_polarity, split_clauses
from upmarket.analyses.voice.framing import framing
from upmarket.analyses.voice.text import normalise


def test_clauses_split_at_punctuation_and_contrast():
    c = split_clauses(["拍照很好但是发热严重", "屏幕清晰，续航一般。"])
    assert c.text == ["拍照很好", "但是发热严重", "屏幕清晰", "续航一般"]
    assert c.review.tolist() == [0, 0, 1, 1]


def test_lexicon_negation():
    pol = lexicon_polarity(["一点也不卡", "不太流畅", "没有问题", "很流畅", "发热严重", "屏幕"])
    assert pol.tolist() == [1, -1, 1, 1, -1, 0]


def test_lexicon_reads_low_value_and_degree_hao_as_complaints():
    """性价比不高 / 性价比低 hold no opinion word but are complaints; 好 before a complaint word is a degree adverb
    (好慢 = very slow), while 还好 / 好坏 / 性价比高 keep their readings."""
    pol = lexicon_polarity(["性价比不高", "感觉性价比太低了", "性价比很高", "速度反应好慢的", "好卡", "拍照好清晰",
                            "好坏参半", "性价比还算高"])
    assert pol.tolist() == [-1, -1, 1, -1, -1, 1, 0, 1]


def test_aspect_polarity_with_contrast_and_negation(shipped):
    texts = normalise(["拍照很清晰，但是发热很严重", "系统一点也不卡，续航太差了", "客服态度很好"]).texts
    a = extract_aspects(texts, shipped)
    got = {(r.row, r.aspect): r.polarity for r in a.itertuples()}
    assert got[(0, "camera")] == 1 and got[(0, "performance")] == -1
    assert got[(1, "system")] == 1 and got[(1, "battery")] == -1
    assert got[(2, "service")] == 1


def test_framing_counts_value_and_premium():
    v, p, f = framing(["性价比很高，很划算", "旗舰质感", "性价比不高", "屏幕不错"])
    assert v.tolist()[:1] == [2] and p.tolist()[1] == 2
    assert f[0] == 1 and f[1] == 0 and f[2] == 1 and np.isnan(f[3])  # 性价比不高 still argues from value


def test_framing_reads_value_idioms_and_brand_standing():
    texts = ["毕竟一分钱一分货", "用了*买的亏了", "价格摆在那", "价格还行", "太不保值了", "大品牌，质量不错",
             "外观大气有质感", "性价比高，外观大气"]
    v, p, f = framing(texts)
    assert f[:3].tolist() == [1, 1, 1]
    assert np.isnan(f[3])  # a bare price verdict is the price aspect, not a value frame
    assert np.isnan(f[4])  # 保值: a price drop after purchase, not 值了
    assert f[5] == 0 and f[6] == 0 and p[6] == 2
    assert v[7] == 1 and p[7] == 1 and f[7] == 0  # a tie counts as premium


MISREADS = [  # issue 15 item 7: hand-written reviews the pipeline used to misread → (label, mixed, aspects)
    ('真是"好"手机，用了两天死机三次', -1, False, {"system": -1}),
    ("一般般", None, True, {}),
    ("不算差但也谈不上惊艳", None, True, {}),
    ("拍视频十分钟就降频，烫手", -1, False, {"performance": -1}),
    ("信号差", -1, False, {"performance": -1}),
    ("做工真的没话说", 1, False, {"design": 1}),
    ("拍照很顶，但是卡顿也很顶", None, True, {"camera": 1, "performance": -1}),
    ("屏幕出现绿线", -1, False, {"screen": -1}),
    ("充一晚上电用半天", -1, False, {"battery": -1}),
    ("经常死机", -1, False, {"system": -1}),
    ("颜值很丑", -1, False, {"design": -1}),  # 颜值 is a noun (looks), not 值 (worth it)
    ("颜值不是很漂亮", None, False, {"design": -1}),
]


def test_issue_misreads_fixed(shipped):
    from upmarket.analyses.voice.score import score_reviews

    texts = [m[0] for m in MISREADS]
    s = score_reviews([str(i) for i in range(len(texts))], texts, shipped)
    for i, (text, label, mixed, aspects) in enumerate(MISREADS):
        row = s.sentiment.iloc[i]
        got = dict(s.aspects.loc[s.aspects["review_id"] == str(i), ["aspect", "polarity"]].itertuples(index=False))
        if label is not None:
            assert row["label"] == label, (text, row.to_dict())
        assert bool(row["mixed"]) == mixed, (text, row.to_dict())
        assert {a: got.get(a) for a in aspects} == aspects, (text, got)
        assert got.get("service") is None, (text, got)  # 信号 is the network, not service
        assert got.get("camera", 0) <= 0 or "拍照" in text, (text, got)  # 拍视频…降频 is no camera praise
