"""Promotion language per target segment: what the segment values (conjoint importance) × what reviews say.

Importance of an attribute for a class = the range of its part-worths (0 for the base level) — for price,
|β_price| × the design's price range — over the sum of those ranges (brand excluded: it is the messenger, not the
message). Attributes map to review aspects (camera → camera 影像, chip and storage → performance 性能,
price → price 性价比). For the focal brand's reviews, each aspect's praise share (positive clauses / clauses
naming it) and criticism share come from voice's clause splitter, aspect terms and opinion lexicon, with the most
frequent short praised clauses as evidence phrases. Themes: *lead with* the segment's most important aspects
ranked by importance × praise share; *avoid* price/性价比 framing when price is the segment's least important
attribute, and any aspect whose criticism share exceeds its praise share. Every theme carries its figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from upmarket.findings import Slots

ASPECT_OF = {"camera": "camera", "chip": "performance", "storage_gb": "performance", "price": "price"}
ZH = {"camera": "影像", "performance": "性能", "price": "性价比", "battery": "续航", "design": "设计",
      "screen": "屏幕", "system": "系统", "service": "服务"}


def importances(beta: np.ndarray, names: list[str], price_range: float) -> pd.Series:
    """Share of the non-brand utility range each attribute spans (sums to 1)."""
    out: dict[str, float] = {}
    for j, n in enumerate(names):
        if n.startswith("brand=") or n == "none":
            continue
        if n == "price":
            out["price"] = abs(beta[j]) * price_range
            continue
        attr = n.split("=", 1)[0]
        lv = [beta[i] for i, m in enumerate(names) if m.split("=", 1)[0] == attr]
        out[attr] = max(max(lv), 0.0) - min(min(lv), 0.0)
    s = pd.Series(out)
    return s / s.sum()


def _most_frequent(values: pd.Series, k: int) -> list[str]:
    """The ``k`` most frequent values, ties in text order: the same phrases whatever order the rows were read in."""
    counts = values.value_counts().sort_index()
    return list(counts.sort_values(ascending=False, kind="stable").index[:k])


def review_evidence(texts: list[str], top_phrases: int = 3) -> pd.DataFrame:
    """Per aspect: mentions, praise share, criticism share and the most frequent short praised clauses."""
    from upmarket.text.lexicon import ASPECT_TERMS, lexicon_polarity, match_matrix, split_clauses
    from upmarket.text.normalise import normalise

    cl = split_clauses(normalise(texts).texts)
    hits = match_matrix(cl.text, ASPECT_TERMS)
    pol = lexicon_polarity(cl.text)
    clauses = np.asarray(cl.text, object)
    rows = []
    for a, aspect in enumerate(ASPECT_TERMS):
        m = hits[:, a]
        n = int(m.sum())
        if n == 0:
            continue
        praised = pd.Series(clauses[m & (pol > 0)])
        praised = praised[praised.str.len().between(3, 14)]
        rows.append({"aspect": aspect, "mentions": n, "praise_share": float((pol[m] > 0).mean()),
                     "criticism_share": float((pol[m] < 0).mean()),
                     "phrases": " / ".join(_most_frequent(praised, top_phrases))})
    return pd.DataFrame(rows)


def themes(segment: str, imp: pd.Series, evidence: pd.DataFrame | None, n_lead: int = 2,
           min_importance: float = 0.05) -> list[dict]:
    """Ranked message themes for one segment, each with the numbers behind it (a lead needs ≥ 5 % importance)."""
    ev = evidence.set_index("aspect") if evidence is not None and len(evidence) else None
    by_aspect = imp.groupby(imp.index.map(lambda a: ASPECT_OF.get(a, a))).sum()
    rows = []
    for aspect, w in by_aspect.drop("price", errors="ignore").sort_values(ascending=False).items():
        praise = float(ev.loc[aspect, "praise_share"]) if ev is not None and aspect in ev.index else np.nan
        rows.append({"segment": segment, "theme": "lead", "aspect": aspect, "aspect_zh": ZH.get(aspect, aspect),
                     "importance": float(w), "praise_share": praise,
                     "criticism_share": float(ev.loc[aspect, "criticism_share"]) if not np.isnan(praise) else np.nan,
                     "score": float(w * (praise if not np.isnan(praise) else 1.0)),
                     "phrases": ev.loc[aspect, "phrases"] if not np.isnan(praise) else ""})
    lead = sorted([r for r in rows if r["importance"] >= min_importance], key=lambda r: -r["score"])[:n_lead]
    out = [dict(r, rank=i + 1) for i, r in enumerate(lead)]
    if "price" in by_aspect and by_aspect.idxmin() == "price":
        out.append({"segment": segment, "theme": "avoid", "aspect": "price", "aspect_zh": ZH["price"],
                    "importance": float(by_aspect["price"]), "rank": len(out) + 1,
                    "why": "price is this segment's least important attribute"})
    if ev is not None:
        for r in rows:
            if r["criticism_share"] > r["praise_share"]:
                out.append({**r, "theme": "avoid", "rank": len(out) + 1,
                            "why": "reviews criticise this aspect of the focal brand more than they praise it"})
    return out


def theme_text(t: dict, segment: str, slots: Slots, i: int, segment_zh: str | None = None) -> tuple[str, str]:
    """English and Chinese template pieces for a theme (``segment`` is the segment's placeholder, ``segment_zh``
    its Chinese form when it differs, e.g. full-width brackets), its figures in ``slots`` under index ``i``."""
    zh = segment if segment_zh is None else segment_zh
    asp, imp = slots(f"aspect{i}", t["aspect"], "code"), slots(f"importance{i}", t["importance"], "pct")
    if t["theme"] == "lead":
        praise = slots(f"praise{i}", t["praise_share"], "pct") if not np.isnan(t["praise_share"]) else None
        ev = f"; reviews praise it in {praise} of mentions" if praise else ""
        ph = slots(f"phrases{i}", t["phrases"], "text") if t.get("phrases") else None
        return (f"{segment}: lead with {asp} — {imp} of what the segment weighs{ev}"
                + (f" (e.g. {ph})" if ph else ""),
                f"{zh}：主打{asp}（占该人群决策权重 {imp}" + (f"，评论好评率 {praise}" if praise else "") + "）"
                + (f"，如“{ph}”" if ph else ""))
    why = slots(f"why{i}", t["why"], "text")
    return (f"{segment}: avoid {asp} framing — {why} (importance {imp})",
            f"{zh}：避免以{asp}为卖点（决策权重 {imp}）")
