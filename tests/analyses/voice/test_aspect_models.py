"""Learned aspect detectors: save/load, union with the lexicon, and recall gained on real held-out clauses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from upmarket.analyses.voice.aspect_models import AspectDetectors
from upmarket.analyses.voice.aspects import ASPECTS, extract_aspects
from upmarket.analyses.voice.corpora import data_dir, load_aspects
from upmarket.analyses.voice.text import normalise

PERF = ["跑分很高", "跑分不错", "跑分太低", "跑分一流", "跑分感人", "跑分还行"]
OTHER = ["颜色很正", "价格公道", "送货及时", "拿着舒服", "字很清楚", "声音很大"]


def test_detector_round_trip_and_union_with_lexicon(shipped, tmp_path):
    texts = PERF * 5 + OTHER * 5
    targets = {"performance": np.array([1] * len(PERF) * 5 + [0] * len(OTHER) * 5),
               "price": np.array([0] * len(PERF) * 5 + [0, 1, 0, 0, 0, 0] * 5)}
    det = AspectDetectors.fit(texts, targets, thresholds={"performance": 0.5, "price": 0.5})
    again = AspectDetectors.load(det.save(tmp_path).parent)
    probe = ["跑分很高", "字很清楚"]
    np.testing.assert_allclose(again.predict_proba(probe), det.predict_proba(probe), atol=1e-2)
    plain = extract_aspects(probe, shipped)
    learned = extract_aspects(probe, shipped, detectors=again)
    assert "performance" not in set(plain["aspect"])  # 跑分 is no lexicon term
    assert set(learned.loc[learned["row"] == 0, "aspect"]) == {"performance"}
    assert learned[learned["row"] == 1].empty
    with pytest.raises(FileNotFoundError, match="voice_aspect_eval"):
        AspectDetectors.load(tmp_path / "nowhere")


def test_detectors_raise_recall_on_real_held_out_clauses(shipped):
    root = data_dir()
    if root is None:
        pytest.skip("research corpora (../shared/data) not present on this machine")
    a = load_aspects(root)
    a = a[(a["corpus"] == "jd_surface_clauses") & a["aspect"].isin(ASPECTS)].drop_duplicates(["text", "aspect"])
    sent = a.drop_duplicates("text")[["text", "split"]].reset_index(drop=True)
    has = a.groupby("aspect")["text"].apply(set)
    train, test = sent[sent["split"] == "train"], sent[sent["split"] == "test"].reset_index(drop=True)
    det = AspectDetectors.fit(normalise(train["text"].tolist()).texts,
                              {x: train["text"].isin(has[x]).to_numpy().astype(int) for x in has.index})
    gold = a[a["text"].isin(set(test["text"]))][["text", "aspect"]]

    def recall_precision(detectors) -> tuple[float, float]:
        out = extract_aspects(normalise(test["text"].tolist()).texts, shipped, detectors=detectors)
        pred = pd.DataFrame({"text": test["text"].to_numpy()[out["row"]], "aspect": out["aspect"]})
        tp = len(gold.merge(pred, on=["text", "aspect"]))
        return tp / len(gold), tp / max(len(pred), 1)

    r0, p0 = recall_precision(None)
    r1, p1 = recall_precision(det)
    assert r1 > r0 + 0.08, (r0, r1)  # measured 0.65 → 0.81 with tuned thresholds
    assert p1 > p0 - 0.05, (p0, p1)


class _WholeTextOnly:
    """A stand-in detector: names performance only in a text holding a comma (a whole text, never a clause) and
    battery wherever 续航 appears."""

    def hits(self, texts: list[str], aspects: tuple[str, ...]) -> np.ndarray:
        out = np.zeros((len(texts), len(aspects)), bool)
        out[:, aspects.index("performance")] = ["，" in t for t in texts]
        out[:, aspects.index("battery")] = ["续航" in t for t in texts]
        return out


def test_detectors_also_read_the_whole_text(shipped):
    """An aspect the detectors find only in the whole text is an opinion with the text's polarity; one a clause
    already names is not counted twice; the pipeline's clause pass gives the same opinions."""
    from upmarket.analyses.voice.score import score_reviews

    texts = normalise(["跑分很高，非常满意", "续航很差，很失望", "屏幕清晰"]).texts
    out = extract_aspects(texts, shipped, detectors=_WholeTextOnly())
    got = {(r.row, r.aspect): (r.polarity, r.n_clauses) for r in out.itertuples()}
    assert got[(0, "performance")][0] == 1
    assert got[(1, "performance")][0] == -1
    assert got[(1, "battery")] == (-1, 1)  # named by its clause: no second opinion from the whole text
    assert (2, "performance") not in got
    scored = score_reviews(["a", "b", "c"], texts, shipped, detectors=_WholeTextOnly()).aspects
    assert {(r.review_id, r.aspect, r.polarity) for r in scored.itertuples()} == {
        ("abc"[r], a, p) for (r, a), (p, _) in got.items()}


def test_negation_scope_marks_up_to_the_clause_end():
    from upmarket.analyses.voice.aspect_models import negation_scoped

    got = negation_scoped(["没有翘屏问题，很好", "屏幕很好", "一点也不卡"])
    assert got[1] == "屏幕很好"  # no negator: unchanged
    head, tail = got[0].split("，")
    assert head.startswith("没有") and all(ord(ch) > 0xFFFF for ch in head[2:]) and tail == "很好"
    assert got[2].startswith("一点也不") and ord(got[2][-1]) > 0xFFFF


class _Det(_WholeTextOnly):
    """The whole-text stand-in plus a learned polarity model."""

    def __init__(self, polarity):
        self.polarity = polarity


def test_learned_polarity_decides_opinions_and_round_trips(shipped, tmp_path):
    """A context the clause score reads as praise (机身略长) is a complaint once learned; extract_aspects and the
    pipeline's clause pass agree; the saved model predicts the same."""
    from upmarket.analyses.voice.aspect_models import AspectDetectors, AspectPolarity
    from upmarket.analyses.voice.score import score_reviews

    pos = ["机身很轻", "手感很好", "做工精致", "外观大方", "机身小巧", "颜色好看"]
    neg = ["机身略长", "机身略厚", "边框略宽", "机身太重", "外观难看", "做工粗糙"]
    ctx = (pos + neg) * 4
    pol = AspectPolarity.fit(ctx, np.array(([1] * 6 + [0] * 6) * 4), C=16.0)
    again = AspectPolarity.load(pol.save(tmp_path).parent)
    np.testing.assert_allclose(again.predict_proba(neg), pol.predict_proba(neg), atol=2e-2)
    assert (again.predict_proba(pos) > 0.5).all() and (again.predict_proba(neg) < 0.5).all()

    texts = normalise(["机身略长，续航很好", "机身很轻"]).texts
    base = extract_aspects(texts, shipped, detectors=_WholeTextOnly())
    learned = extract_aspects(texts, shipped, detectors=_Det(again))
    got = {(r.row, r.aspect): r.polarity for r in learned.itertuples()}
    assert set(got) == {(r.row, r.aspect) for r in base.itertuples()}  # polarity changes, detection does not
    assert got[(0, "design")] == -1 and got[(1, "design")] == 1
    scored = score_reviews(["a", "b"], texts, shipped, detectors=_Det(again)).aspects
    assert {(r.review_id, r.aspect, r.polarity) for r in scored.itertuples()} == {
        ("ab"[r], a, p) for (r, a), p in got.items()}

    det = AspectDetectors.fit(ctx, {"design": np.array([1] * (len(ctx) - 1) + [0])})
    det.save(tmp_path)
    assert AspectDetectors.load(tmp_path).polarity is not None  # polarity.npz beside detectors.npz is picked up


def test_learned_polarity_beats_clause_scores_on_real_held_out_clauses(shipped):
    """Trained on the TRAIN side of the real aspect corpora's short texts (JD clauses and ABSA phone sentences),
    the learned polarity reads held-out opinions better than the clause score + lexicon."""
    from upmarket.analyses.voice.aspect_models import AspectPolarity
    from upmarket.analyses.voice.aspects import clause_polarity

    root = data_dir()
    if root is None:
        pytest.skip("research corpora (../shared/data) not present on this machine")
    a = load_aspects(root)
    a = a[a["corpus"].isin(["jd_surface_clauses", "absa_zh_phone"]) & a["aspect"].isin(ASPECTS)
          & (a["polarity"] != 0)].drop_duplicates(["text", "aspect"])
    a = a.assign(norm=normalise(a["text"].tolist()).texts, y=(a["polarity"] > 0).astype(int))
    train, test = a[a["split"] == "train"], a[a["split"] == "test"]
    pol = AspectPolarity.fit(train["norm"].tolist(), train["y"].to_numpy(), C=16.0)
    learned = (pol.predict_proba(test["norm"].tolist()) >= 0.5) == test["y"].to_numpy()
    clause, _ = clause_polarity(test["norm"].tolist(), shipped)
    before = (clause == np.where(test["y"] == 1, 1, -1)).mean()
    assert learned.mean() > before + 0.08, (before, learned.mean())  # measured 0.765 → 0.904 (n = 654)


def test_opinion_texts_cut_around_the_context():
    """before/after are the text around the first and last context clause, extended by the document's surround; the
    model reads only the ``window`` characters nearest the context."""
    from upmarket.analyses.voice.aspect_models import AspectPolarity, OpinionText, opinion_texts

    texts = ["外观不错，拍照很顶，但是卡顿也很顶", "电池还行"]
    op = opinion_texts(texts, ["拍照很顶", "电池还行"], np.array([0, 1]), (["", "上一句。"], ["", "下一句。"]))
    assert (op.before[0], op.after[0], op.doc[0]) == ("外观不错，", "，但是卡顿也很顶", texts[0])
    assert (op.before[1], op.after[1], op.doc[1]) == ("上一句。", "下一句。", "上一句。电池还行下一句。")
    near = AspectPolarity(window=3)._near(op)
    assert near.before == ["不错，", "一句。"] and near.after == ["，但是", "下一句"]
    assert OpinionText.bare(["屏幕很好"]).doc == [""]  # no document: a bare-fitted model reads contexts only


def test_polarity_lexicon_column_keeps_a_rule_above_a_word():
    """The polarity model's lexicon column is the lexicon score clipped to ±2, not its sign: the explicit rule in
    卡顿也很顶 (a complaint intensified by 顶) counts −2 where praise by one word (拍照很顶) counts +1."""
    from upmarket.analyses.voice.aspect_models import AspectPolarity

    lex = AspectPolarity.dense(["卡顿也很顶", "拍照很顶", "很好很好很好", "", "价格有点高"])[:, 0]
    assert lex.tolist() == [-2, 1, 2, 0, -2]


def test_polarity_reads_the_neighbours_of_a_fragment():
    """A fragment that states no opinion (电池方面) takes its polarity from the text after it; a context that does
    state one keeps it whatever follows (the camera in 拍照很顶，但是卡顿也很顶)."""
    from upmarket.analyses.voice.aspect_models import AspectPolarity, OpinionText

    frags = ["电池方面", "屏幕方面", "拍照方面", "做工方面", "系统方面", "价格方面"]
    good, bad = ["非常满意", "没得说", "很惊喜"], ["很失望", "太差了", "不推荐"]
    ctx, after, y = [], [], []
    for f in frags[:4]:
        for g, b in zip(good, bad, strict=True):
            ctx += [f, f]
            after += ["，" + g, "，" + b]
            y += [1, 0]
    stated = [("外观很漂亮", 1), ("续航很差", 0), ("拍照很清晰", 1), ("屏幕太暗", 0)]
    for c, label in stated * 3:
        for g in (good[0], bad[0]):
            ctx.append(c)
            after.append("，" + g)
            y.append(label)
    op = OpinionText(ctx, [""] * len(ctx), after, [c + a for c, a in zip(ctx, after, strict=True)])
    pol = AspectPolarity.fit(op, np.array(y), C=16.0)
    probe_ctx = ["系统方面", "价格方面", "外观很漂亮", "续航很差"]
    probe_after = ["，很惊喜", "，太差了", "，很失望", "，没得说"]
    probe = OpinionText(probe_ctx, [""] * 4, probe_after, [c + a for c, a in zip(probe_ctx, probe_after, strict=True)])
    assert ((pol.predict_proba(probe) >= 0.5) == [True, False, True, False]).all(), pol.predict_proba(probe)


def test_stacked_polarity_round_trips(tmp_path):
    """With a corpus, stage 2 is fitted on out-of-fold features and saved with its corpus model; loaded, it predicts
    the same; a polarity file from before the text-around features or the lexicon score is refused with the command
    that refits it."""
    from upmarket.analyses.voice.aspect_models import CORPUS_MODEL_FILE, POLARITY_FILE, AspectPolarity

    pos = ["机身很轻", "手感很好", "做工精致", "外观大方", "机身小巧", "颜色好看"]
    neg = ["机身略长", "机身略厚", "边框略宽", "机身太重", "外观难看", "做工粗糙"]
    ctx, y = (pos + neg) * 5, np.array(([1] * 6 + [0] * 6) * 5)
    folds = np.arange(len(ctx)) % 3
    corpus = (["很好用", "非常满意", "很差劲", "太失望了"] * 10, np.array([1, 1, 0, 0] * 10), np.arange(40) % 3)
    pol = AspectPolarity.fit(ctx, y, C=16.0, corpus=corpus, folds=folds)
    assert pol.stack_coef_ is not None and pol.stack_coef_[0] > 0  # stage 1's out-of-fold log-odds carry weight
    again = AspectPolarity.load(pol.save(tmp_path).parent)
    assert (tmp_path / CORPUS_MODEL_FILE).is_file()
    np.testing.assert_allclose(again.predict_proba(pos + neg), pol.predict_proba(pos + neg), atol=2e-2)
    assert (again.predict_proba(pos) > 0.5).all() and (again.predict_proba(neg) < 0.5).all()
    with pytest.raises(ValueError, match="fold per opinion"):
        AspectPolarity.fit(ctx, y, corpus=corpus)
    import json

    with (tmp_path / POLARITY_FILE).open("wb") as fh:
        np.savez_compressed(fh, meta=np.array(json.dumps({"bits": 18, "C": 16.0, "intercept": 0.0})))
    with pytest.raises(ValueError, match="fit-polarity"):
        AspectPolarity.load(tmp_path)
    pol.save(tmp_path)
    with np.load(tmp_path / POLARITY_FILE) as z:
        arrays, meta = {k: z[k] for k in z.files if k != "meta"}, json.loads(str(z["meta"]))
    del meta["lexicon_clip"]  # fitted on the lexicon's sign: its dense weights would be misread
    with (tmp_path / POLARITY_FILE).open("wb") as fh:
        np.savez_compressed(fh, **arrays, meta=np.array(json.dumps(meta)))
    with pytest.raises(ValueError, match="fit-polarity"):
        AspectPolarity.load(tmp_path)


def _aspect_eval():
    """``scripts/voice_aspect_eval.py`` as a module (its gold, fitting and scoring are what the docs report)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "scripts" / "voice_aspect_eval.py"
    spec = importlib.util.spec_from_file_location("voice_aspect_eval_under_test", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_learned_aspects_on_real_held_out_sentences(shipped):
    """Detectors and polarity (C = 256, the script's CV choice) fitted on the TRAIN side of the real aspect corpora
    (SemEval sentences read in their review): held-out pooled recall reaches its goal (0.85) and polarity beats the
    context-only model. The goal of 0.92 for polarity is NOT reached (0.904, docs/voice.md): this asserts what is."""
    from upmarket.analyses.voice.aspect_models import AspectPolarity, OpinionText

    root = data_dir()
    if root is None:
        pytest.skip("research corpora (../shared/data) not present on this machine")
    ev = _aspect_eval()
    sent, gold = ev.gold_sentences(load_aspects(root))
    det, _ = ev.fit_detectors(sent, gold, shipped)
    ex = ev.polarity_examples(sent[sent["split"] == "train"], gold, det)
    op: OpinionText = ex.attrs["op"]
    test = sent[sent["split"] == "test"]
    test_gold = gold[gold["sid"].isin(test["sid"])]
    det.polarity = AspectPolarity.fit(OpinionText.bare(op.context), ex["y"].to_numpy(), C=256.0)
    context_only = ev.score_system(test, test_gold, ev.predict(test, shipped, det)).loc["POOLED"]
    det.polarity = AspectPolarity.fit(op, ex["y"].to_numpy(), C=256.0)
    with_context = ev.score_system(test, test_gold, ev.predict(test, shipped, det)).loc["POOLED"]
    assert with_context["recall"] >= 0.85, with_context  # measured 0.8503 (detectors refitted here)
    assert with_context["precision"] >= 0.75, with_context  # measured 0.775
    assert with_context["polarity"] >= 0.89, with_context  # measured 0.904
    assert with_context["polarity"] > context_only["polarity"] + 0.002, (context_only, with_context)  # 0.898 → 0.904

    # hand-written reviews keep their reading
    hand = {"拍照很顶，但是卡顿也很顶": {"camera": 1, "performance": -1}, "颜值很丑": {"design": -1},
            "做工真的没话说": {"design": 1}, "经常死机": {"system": -1}, "屏幕出现绿线": {"screen": -1}}
    out = extract_aspects(normalise(list(hand)).texts, shipped, detectors=det)
    for i, (text, want) in enumerate(hand.items()):
        got = dict(out.loc[out["row"] == i, ["aspect", "polarity"]].itertuples(index=False))
        assert {a: got.get(a) for a in want} == want, (text, got)
