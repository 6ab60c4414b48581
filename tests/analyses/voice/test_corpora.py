"""The fixed held-out split of the research corpora (skipped when ../shared/data is absent)."""

from __future__ import annotations

import pytest

from upmarket.analyses.voice.corpora import data_dir, load_sentiment


@pytest.fixture(scope="module")
def corpus():
    root = data_dir()
    if root is None:
        pytest.skip("research corpora (../shared/data) not present on this machine")
    return load_sentiment(root)


def test_split_is_grouped_and_stable(corpus):
    sides = corpus.groupby("group")["split"].nunique()
    assert (sides == 1).all()  # no group straddles the split
    share = (corpus["split"] == "test").mean()
    assert 0.15 < share < 0.25
    hotel = corpus[corpus["corpus"].isin(["chnsenticorp_htl_all", "online_shopping_other_cats"])]
    dup = hotel.groupby("group")["corpus"].nunique()
    assert (dup > 1).sum() > 1000  # the README's cross-corpus hotel duplicates share a group
    assert (corpus.groupby("corpus")["split"].apply(lambda s: (s == "test").sum()) > 50).all()
