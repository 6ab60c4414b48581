"""A second, independent way of writing the twin's reviews (``simulate_reviews(..., varied=True)``).

The default twin text is built from ``lexicon`` banks; a model tuned on that phrasing can pass the
twin's voice check without reading real reviews well. This module rewrites the generated text
with phrasing that neither bank nor the production lexicon lists — dialect intensifiers (贼/巨/老/
蛮), internet spellings and typos (手鸡, jio得, 稀饭, 布错), sarcastic verdicts on negative reviews
(真是"好"手机), long factual back-stories and stray emoji — while keeping every planted label
true: each rewrite is label-preserving by construction (a sarcastic verdict is added only to a review
already negative; back-stories name no aspect and hold no opinion). Vectorised with Arrow kernels.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DIALECT = ("贼", "巨", "老", "蛮", "忒")
"""Spoken intensifiers put in place of 很 (贼好用, 巨卡)."""
SPELLINGS = (("手机", "手鸡"), ("觉得", "jio得"), ("东西", "东东"), ("真的", "真滴"), ("喜欢", "稀饭"),
             ("不错", "布错"), ("什么", "神马"), ("有点", "有丢丢"))
"""Internet spellings and typos, each applied to a random share of texts."""
SARCASM = ('，真是"好"手机', "，呵呵，好一个旗舰", "，这体验可真是\u201c绝了\u201d", "，给厂家鼓掌👏")
"""Sarcastic verdicts (they read positive word by word): appended only to negative reviews."""
BACKSTORY = ("双十一那天下的单，放了两天才拆开。", "给我爸换的，他平时主要刷短视频看新闻。",
             "之前一直用别的牌子，这次想换换口味。", "对比了好几家店铺，最后还是在这里下单。",
             "原来那台用了四年多了，这次终于换了。", "前前后后纠结了一个多月才下决心。",
             "帮同事代买的，他让我顺便写几句。", "周末去线下店摸过真机，回来在网上买的。")
"""Long factual openings: no aspect, no opinion, so no label changes."""
EMOJI = ("😂", "🤔", "🙃", "😅", "🐶")


def _subset_replace(text: pa.Array, mask: np.ndarray, pattern: str, repl: str) -> pa.Array:
    """``pattern`` → ``repl`` in the texts where ``mask`` is true (literal substrings)."""
    if not mask.any():
        return text
    return pc.if_else(pa.array(mask), pc.replace_substring(text, pattern, repl), text)


def vary(text: pa.Array, sentiment: np.ndarray, full: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """Rewrite ``text`` (one per review) with the varied phrasing; ``sentiment`` (−1/0/1) and ``full``
    (multi-clause reviews) decide where sarcasm and back-stories may go."""
    n = len(text)
    text = pc.cast(text, pa.string())
    which = rng.integers(0, len(DIALECT), n)
    use = rng.random(n) < 0.35
    for i, word in enumerate(DIALECT):
        text = _subset_replace(text, use & (which == i), "很", word)
    for old, new in SPELLINGS:
        text = _subset_replace(text, rng.random(n) < 0.2, old, new)
    sarcastic = (sentiment < 0) & full & (rng.random(n) < 0.35)
    tail = np.asarray(SARCASM, dtype=object)[rng.integers(0, len(SARCASM), n)]
    text = pc.if_else(pa.array(sarcastic), pc.binary_join_element_wise(text, pa.array(tail), ""), text)
    story = full & (rng.random(n) < 0.25)
    head = np.asarray(BACKSTORY, dtype=object)[rng.integers(0, len(BACKSTORY), n)]
    text = pc.if_else(pa.array(story), pc.binary_join_element_wise(pa.array(head), text, ""), text)
    emoji = full & (rng.random(n) < 0.2)
    tail = np.asarray(EMOJI, dtype=object)[rng.integers(0, len(EMOJI), n)]
    return pc.if_else(pa.array(emoji), pc.binary_join_element_wise(text, pa.array(tail), ""), text)
