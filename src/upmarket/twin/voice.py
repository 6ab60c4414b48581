"""Reviews whose Chinese text is generated from each author's planted opinions.

Each review's author holds an opinion (polarity −1/0/+1) on the aspects they mention, drawn
from the product's planted quality on that aspect (catalogue characteristics plus a brand
offset, ``BRAND_ASPECT_OFFSET``, plus the model's planted review quality on camera and battery,
``REVIEW_QUALITY_SD``) and the author's overall mood; which aspects they mention
depends on their segment (``SEGMENT_IMPORTANCE``). Some opinions are framed: value framing (the
price clause argues from value for money: 性价比/划算/物超所值) or premium framing (旗舰/高端/档次),
with a planted value share per brand (``VALUE_FRAMING_SHARE``, the 性价比 lock-in). Text is built
clause by clause from ``lexicon`` banks, so every label is visible in the text: negation flips
polarity by construction and contrast connectors (但是/不过/就是) only join clauses of opposite
polarity. All choices are drawn with NumPy for every clause at once and strings are joined with
Arrow compute kernels; there is no Python loop over reviews.

Label definitions (``labels``, one row per review_id):

- aspect columns (``camera`` … ``service``): polarity of the clause about the aspect, NaN when
  the aspect is not mentioned.
- ``sentiment_score`` = (sum of the polarities of the review's opinion clauses) / (their number),
  in [−1, 1]; the opinion clauses are the aspect clauses, the premium-framing clause and the
  closing verdict (总体很满意 …); a short text (好评) is one clause. ``sentiment`` = its sign.
  For an empty text both come from the author's latent mood (the rating still shows it).
- ``value_framing`` = 1 (value), 0 (premium), NaN (no framed opinion).

Truth (``truth["voice"][brand]``), over the brand's non-empty reviews including 追评:
``sentiment`` = ``positive_share`` = share with ``sentiment == 1`` (the voice analysis' headline);
``mixed_share`` = share with ``sentiment == 0`` (balanced or only neutral opinions), ``negative_share`` =
share with ``sentiment == −1``: the voice analysis' three shares, which sum to 1 (a neutral review is
neither positive nor negative, in the analysis as in the truth);
``sentiment_mean`` = mean of the −1/0/1 ``sentiment`` labels;
``aspects[a]`` = share of positive opinions among the reviews mentioning ``a`` (the definition
of issue 5's results key); ``aspects_mean_polarity[a]`` = mean polarity among mentions;
``value_framing`` = share of framed reviews whose framing is value.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from upmarket.twin import lexicon as lx

Progress = Callable[[str, float], None]
"""Called as ``progress(step, fraction_done)``."""

ASPECTS = lx.ASPECTS
N_ASPECTS = len(ASPECTS)
SEGMENTS: tuple[str, ...] = ("value", "imaging", "gamer", "status")

# ----------------------------------------------------------------------------- planted parameters
BRAND_ASPECT_OFFSET: dict[str, tuple[float, ...]] = {
    #          camera perf  system batt  design screen price service
    "Xiaomi": (0.50, 0.40, -0.10, 0.30, 0.30, 0.40, 0.30, 0.10),
    "Redmi": (-0.20, 0.30, -0.30, 0.50, -0.10, 0.20, 0.90, 0.00),
    "Huawei": (0.70, 0.30, 0.60, 0.40, 0.60, 0.40, -0.30, 0.50),
    "Apple": (0.40, 0.50, 0.80, -0.35, 0.50, 0.30, -0.60, 0.40),
    "OPPO": (0.40, 0.20, 0.30, 0.30, 0.40, 0.30, 0.00, 0.20),
    "vivo": (0.50, 0.20, 0.30, 0.30, 0.30, 0.30, 0.00, 0.20),
    "Honor": (0.20, 0.20, 0.20, 0.40, 0.20, 0.30, 0.10, 0.10),
}
"""Brand effect on the latent quality of each aspect (Apple's battery and price weak, HyperOS mixed...)."""

SEGMENT_IMPORTANCE: dict[str, tuple[float, ...]] = {
    "value": (1.0, 1.0, 0.7, 1.3, 0.7, 0.6, 3.0, 0.8),
    "imaging": (3.0, 1.0, 0.7, 1.0, 0.9, 0.8, 0.8, 0.6),
    "gamer": (0.8, 3.0, 0.9, 2.0, 0.6, 1.5, 0.8, 0.6),
    "status": (1.2, 0.9, 0.9, 0.8, 2.5, 0.9, 0.5, 2.0),
}
DEFAULT_IMPORTANCE: tuple[float, ...] = (1.0, 1.0, 0.7, 1.0, 0.8, 0.6, 0.9, 0.7)

VALUE_FRAMING_SHARE: dict[str, float] = {
    "Redmi": 0.85, "Xiaomi": 0.62, "Honor": 0.50, "OPPO": 0.38, "vivo": 0.35, "Huawei": 0.18, "Apple": 0.10,
}
"""Base probability that a framed opinion argues from value, before segment and price shifts."""
DEFAULT_VALUE_SHARE = 0.4
SEGMENT_VALUE_LOGIT: dict[str, float] = {"value": 0.7, "imaging": -0.3, "gamer": 0.0, "status": -0.7}

REVIEW_RATE: dict[str, float] = {
    "jd": 0.38, "tmall": 0.32, "pdd": 0.30, "mistore": 0.25, "douyin": 0.22, "kuaishou": 0.22, "offline": 0.0,
}
DEFAULT_REVIEW_RATE = 0.25
P_EMPTY, P_SHORT, P_FOLLOWUP, P_FRAMED, P_VERDICT = 0.07, 0.08, 0.12, 0.55, 0.45
POSITIVITY = 0.35  # authors who bother to write lean positive
POLARITY_BAND = 0.30  # |latent| below this → neutral opinion
MOOD_SD = 0.5  # an author's latent satisfaction, shared by all their opinions
OPINION_NOISE_SD = 0.8  # each opinion's own noise around quality + positivity + mood

REVIEW_QUALITY_SD: dict[str, float] = {"camera": 0.8, "battery": 0.6}
"""Planted idiosyncratic review quality per phone *model* (latent units, N(0, sd)) on these aspects: how much better
or worse buyers find the model's camera (battery) than its brand and catalogue specs predict. It moves the text of
the model's reviews (``aspect_quality``) and, through ``twin.market.review_weight``, its sales, so that the demand
analysis can price a better-reviewed camera (issue 4, "What reviews are worth"). Camera 0.8 gives a spread of true
net camera sentiment across models (sd 0.39 beyond brand and specs) that four mentions per model can still measure;
wider spreads (1.0+) push one brand × aspect share of the voice analysis's small twin-trained model to its 0.05
tolerance (tests/analyses/voice)."""
REVIEW_QUALITY_SEED = 4_0404
"""Seed of the review-quality stream. Drawn once per catalogue model name (a child stream keyed by the name), never
from the twin's generators: independent of prices, specs and every other draw, and it leaves them unchanged."""
OBSERVATION_END = pd.Timestamp("2025-07-01")

# ----------------------------------------------------------------------------- clause templates
T_POS, T_NOTNEG, T_NOPROBLEM, T_COLLOQ_POS, T_NEG, T_NOTPOS, T_PROBLEM, T_COLLOQ_NEG, T_NEU, T_VALUE_POS, T_VALUE_NEG, \
    T_PREMIUM_POS, T_PREMIUM_NEG, T_VERDICT_POS, T_VERDICT_NEG, T_VERDICT_NEU = range(16)
TEMPLATES: dict[int, str] = {
    T_POS: "term+intensifier+positive (+1)", T_NOTNEG: "term+不/一点也不+negative (+1)",
    T_NOPROBLEM: "term+没有+problem noun (+1)", T_COLLOQ_POS: "term+yyds/绝了 (+1)",
    T_NEG: "term+intensifier+negative (-1)", T_NOTPOS: "term+不太/不够+positive (-1)",
    T_PROBLEM: "term+problem noun+严重 (-1)", T_COLLOQ_NEG: "term+拉胯 (-1)", T_NEU: "term+一般 (0)",
    T_VALUE_POS: "性价比很高 (+1, value)", T_VALUE_NEG: "不值这个价 (-1, value)",
    T_PREMIUM_POS: "旗舰体验拉满 (+1, premium)", T_PREMIUM_NEG: "不像旗舰机 (-1, premium)",
    T_VERDICT_POS: "总体很满意 (+1)", T_VERDICT_NEG: "很失望 (-1)", T_VERDICT_NEU: "总体还行吧 (0)",
}
_POS_CHOICE = (np.array([T_POS, T_NOTNEG, T_NOPROBLEM, T_COLLOQ_POS]), np.array([0.55, 0.18, 0.12, 0.15]))
_NEG_CHOICE = (np.array([T_NEG, T_NOTPOS, T_PROBLEM, T_COLLOQ_NEG]), np.array([0.50, 0.20, 0.18, 0.12]))

# clause kinds (what a clause is about), sort order in the text
K_PREMIUM, K_VERDICT = N_ASPECTS, N_ASPECTS + 1


@dataclass
class VoiceResult:
    """Reviews (contract columns), per-review labels and the voice truth."""

    reviews: pd.DataFrame
    labels: pd.DataFrame
    truth: dict


# ----------------------------------------------------------------------------- string banks
class _Strings:
    """All phrase banks flattened into one Arrow string array; a bank is (offset, size) per group."""

    def __init__(self) -> None:
        self.values: list[str] = [""]

    def add(self, groups: list[tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray]:
        offsets, sizes = [], []
        for g in groups:
            offsets.append(len(self.values))
            sizes.append(len(g))
            self.values.extend(g)
        return np.asarray(offsets, np.int64), np.asarray(sizes, np.int64)


@dataclass(frozen=True)
class _Lex:
    table: pa.Array
    banks: dict[str, tuple[np.ndarray, np.ndarray]]
    brands: tuple[str, ...]
    tai: int  # index of 太 in table (takes 了)
    le: int


@cache
def _lex() -> _Lex:
    """Build the flattened banks once (lazily, not at import)."""
    s = _Strings()
    brands = (*lx.BRANDS, "")  # last group: any other brand
    b: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    b["term"] = s.add([
        (*lx.ASPECT_TERMS[a], *lx.BRAND_TERMS.get(a, {}).get(br, ())) for a in ASPECTS for br in brands
    ])
    for name, bank in (("pos", lx.POS_WORDS), ("neg", lx.NEG_WORDS), ("negatable", lx.NEGATABLE_WORDS),
                       ("noun", lx.PROBLEM_NOUNS)):
        b[name] = s.add([bank[a] for a in ASPECTS])
    for name, bank in (
        ("int_pos", lx.INTENSIFIERS_POS), ("int_neg", lx.INTENSIFIERS_NEG), ("not_neg", lx.NEGATORS_OF_NEG),
        ("not_pos", lx.NEGATORS_OF_POS), ("absent", lx.NOUN_ABSENT), ("heavy", lx.NOUN_HEAVY),
        ("colloq_pos", lx.COLLOQ_POS), ("colloq_neg", lx.COLLOQ_NEG), ("neutral", lx.NEUTRAL_WORDS),
        ("value_pos", lx.VALUE_POS), ("value_neg", lx.VALUE_NEG), ("premium_pos", lx.PREMIUM_POS),
        ("premium_neg", lx.PREMIUM_NEG), ("verdict_pos", lx.OVERALL_POS), ("verdict_neg", lx.OVERALL_NEG),
        ("verdict_neu", lx.OVERALL_NEU), ("prefix", lx.CLAUSE_PREFIX), ("sep", lx.SEPARATORS),
        ("ending", lx.ENDINGS), ("c_pn", lx.CONTRAST_POS_TO_NEG), ("c_np", lx.CONTRAST_NEG_TO_POS),
        ("emoji_pos", lx.EMOJI_POS), ("emoji_neg", lx.EMOJI_NEG), ("emoji_neu", lx.EMOJI_NEU),
        ("short_pos", lx.SHORT_POS), ("short_neu", lx.SHORT_NEU), ("short_neg", lx.SHORT_NEG),
        ("opener", lx.OPENERS), ("followup", lx.FOLLOWUP_OPENERS),
    ):
        b[name] = s.add([bank])
    tai = s.values.index(lx.INTENSIFIER_TAIL_LE, int(b["int_neg"][0][0]))
    le = len(s.values)
    s.values.append("了")
    return _Lex(pa.array(s.values, pa.string()), b, brands, tai, le)


def _pick(bank: tuple[np.ndarray, np.ndarray], group: np.ndarray | int, rng: np.random.Generator,
          n: int | None = None) -> np.ndarray:
    """Uniform index into ``bank`` for each element of ``group`` (0, the empty string, for an empty group)."""
    off, size = bank
    g = np.broadcast_to(np.asarray(group), (n,)) if n is not None else np.asarray(group)
    sz = size[g]
    idx = off[g] + np.floor(rng.random(g.shape[0]) * sz).astype(np.int64)
    return np.where(sz > 0, idx, 0)


def _join(*parts: np.ndarray) -> pa.Array:
    """Element-wise concatenation of string-table indices."""
    table = _lex().table
    return pc.binary_join_element_wise(*(table.take(pa.array(p)) for p in parts), "")


# ----------------------------------------------------------------------------- planted quality
def _z(x: pd.Series | None, n: int) -> np.ndarray:
    if x is None:
        return np.zeros(n)
    v = pd.to_numeric(x, errors="coerce").to_numpy(float)
    if np.all(np.isnan(v)):
        return np.zeros(n)
    sd = np.nanstd(v)
    z = (v - np.nanmean(v)) / sd if sd > 0 else np.zeros(n)
    return np.nan_to_num(z)


@cache
def _review_shift(model: str) -> tuple[float, ...]:
    """One model's planted review-quality shifts, from its own child stream (keyed by the model's name)."""
    rng = np.random.default_rng([REVIEW_QUALITY_SEED, zlib.crc32(model.encode("utf-8"))])
    return tuple(float(x) for x in rng.normal(0.0, 1.0, len(REVIEW_QUALITY_SD)) * np.array(
        list(REVIEW_QUALITY_SD.values())))


def model_review_quality(models: pd.Series | list[str]) -> pd.DataFrame:
    """Planted idiosyncratic review quality (latent units) per element of ``models``: columns the aspects of
    ``REVIEW_QUALITY_SD``. A model's value depends on its name only (the same in every twin and every seed)."""
    keys = pd.Series(models, dtype=object).astype(str)
    uniq = pd.unique(keys)  # one draw per catalogue model (~120), not per row
    table = np.array([_review_shift(m) for m in uniq], float).reshape(len(uniq), len(REVIEW_QUALITY_SD))
    idx = pd.Index(uniq).get_indexer(keys)
    return pd.DataFrame(table[idx], columns=list(REVIEW_QUALITY_SD), index=keys.index)


def expected_mention_polarity(quality: np.ndarray) -> np.ndarray:
    """E[polarity (−1/0/1) of an aspect opinion | the product's latent quality] for a review author.

    The opinion is the sign (with a neutral band) of quality + positivity + mood + noise, so its mean is
    Φ((m − band)/s) − Φ((−band − m)/s) with m = quality + POSITIVITY and s² = MOOD_SD² + OPINION_NOISE_SD².
    (追评 add a little mood noise and value framing forces a price opinion's sign: neither touches camera or
    battery opinions by more than a few thousandths.)
    """
    from scipy.special import ndtr

    m = np.asarray(quality, float) + POSITIVITY
    s = float(np.hypot(MOOD_SD, OPINION_NOISE_SD))
    return ndtr((m - POLARITY_BAND) / s) - ndtr((-POLARITY_BAND - m) / s)


def model_review_scores(products: pd.DataFrame, aspects: tuple[str, ...] = tuple(REVIEW_QUALITY_SD),
                        review_quality: bool = True) -> pd.DataFrame:
    """True expected review score per model and aspect: the expected net sentiment of a mention of the aspect,
    (positive − negative) / mentions, in [−1, 1] — the scale the review-characteristics estimator measures.
    Mean over the model's SKUs (their planted qualities are equal when the specs that move them are).
    ``review_quality=False``: what the score would be without the model's planted review quality."""
    q = aspect_quality(products, review_quality)
    cols = {a: expected_mention_polarity(q[:, ASPECTS.index(a)]) for a in aspects}
    df = pd.DataFrame({"model": products["model"].astype(str).to_numpy(), **cols})
    return df.groupby("model", sort=True)[list(aspects)].mean()


def aspect_quality(products: pd.DataFrame, review_quality: bool = False) -> np.ndarray:
    """Planted latent quality per product (rows) and aspect (columns), around 0.

    Catalogue characteristics (camera_score, performance_score, battery_mah, list_price) move
    the brand's offsets: a Xiaomi Ultra's camera is stronger than a Civi's; cheaper phones of
    similar specs are better value. ``review_quality=True`` (reviews; posts keep the default, so their draws are
    those of the twin before review quality was planted) adds each model's planted review quality
    (``model_review_quality``, needs a ``model`` column) on the aspects of ``REVIEW_QUALITY_SD``.
    """
    n = len(products)
    off = np.array([BRAND_ASPECT_OFFSET.get(b, (0.0,) * N_ASPECTS) for b in products["brand"]], float).reshape(n, -1)
    zc, zp = _z(products.get("camera_score"), n), _z(products.get("performance_score"), n)
    zb = _z(products.get("battery_mah"), n)
    zl = _z(np.log(pd.to_numeric(products["list_price"], errors="coerce")), n)
    q = off.copy()
    if review_quality and "model" in products.columns:  # the model's planted idiosyncratic review quality
        shift = model_review_quality(products["model"].astype(str))
        for a in shift.columns:
            q[:, ASPECTS.index(a)] += shift[a].to_numpy()
    q[:, 0] += 0.5 * zc
    q[:, 1] += 0.5 * zp
    q[:, 3] += 0.4 * zb
    q[:, 4] += 0.25 * zl
    q[:, 5] += 0.2 * zl
    q[:, 6] += -0.35 * zl + 0.1 * (zc + zp)
    return q


# ----------------------------------------------------------------------------- opinions and text
@dataclass
class Opinions:
    """Planted opinions of n authors and the text that states them."""

    polarity: np.ndarray  # (n, 8) float, NaN = not mentioned
    value_framing: np.ndarray  # (n,) float 1/0/NaN
    sentiment: np.ndarray  # (n,) int −1/0/1
    score: np.ndarray  # (n,) float in [−1, 1]
    text: pa.Array  # (n,) string


def plant_opinions(
    rng: np.random.Generator,
    quality: np.ndarray,
    importance: np.ndarray,
    value_share: np.ndarray,
    mood: np.ndarray,
    brand_group: np.ndarray,
    opener: np.ndarray,
    *,
    n_mentions: np.ndarray | None = None,
    p_framed: float = P_FRAMED,
    p_verdict: float = P_VERDICT,
) -> Opinions:
    """Draw which aspects each author mentions and how they feel, then write the text.

    ``quality``/``importance`` are (n, 8); ``value_share`` is each author's probability that a
    framed opinion argues from value; ``mood`` the author's latent satisfaction; ``brand_group``
    indexes ``lexicon.BRANDS`` (len(BRANDS) = other); ``opener`` are string-table indices that
    start each text (0 = none). Used for reviews and for post captions.
    """
    n = quality.shape[0]
    if n_mentions is None:
        n_mentions = 1 + rng.binomial(3, 0.35, n)
    # which aspects: Gumbel top-k on log importance (weighted sampling without replacement)
    keys = np.log(importance) + rng.gumbel(size=(n, N_ASPECTS))
    rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
    mention = rank < n_mentions[:, None]
    latent = quality + POSITIVITY + mood[:, None] + rng.normal(0.0, OPINION_NOISE_SD, (n, N_ASPECTS))
    pol = np.where(latent > POLARITY_BAND, 1.0, np.where(latent < -POLARITY_BAND, -1.0, 0.0))
    # framing: value framing states the price opinion in value terms (and forces a price mention)
    framed = rng.random(n) < p_framed
    is_value = framed & (rng.random(n) < value_share)
    is_premium = framed & ~is_value
    pi = ASPECTS.index("price")
    mention[is_value, pi] = True
    lat_p = latent[:, pi]
    pol[is_value, pi] = np.where(lat_p[is_value] >= 0, 1.0, -1.0)
    polarity = np.where(mention, pol, np.nan)
    mean_q = np.nanmean(np.where(mention, quality, np.nan), axis=1)
    general = mean_q + POSITIVITY + mood + rng.normal(0.0, 0.5, n)
    premium_pol = np.where(is_premium, np.where(general >= 0, 1, -1), 0)
    has_verdict = rng.random(n) < p_verdict
    # the closing verdict follows the stated opinions and the author's mood
    verdict = 0.5 * general + np.nanmean(np.where(mention, pol, np.nan), axis=1)
    verdict_pol = np.where(verdict > 0.4, 1, np.where(verdict < -0.1, -1, 0))

    # ---- clause rows: one per mentioned aspect, then premium clause, then verdict
    r_asp, a_asp = np.nonzero(mention)
    p_asp = pol[r_asp, a_asp].astype(np.int64)
    r_pre = np.flatnonzero(is_premium)
    r_ver = np.flatnonzero(has_verdict)
    row = np.concatenate([r_asp, r_pre, r_ver])
    kind = np.concatenate([a_asp, np.full(r_pre.size, K_PREMIUM), np.full(r_ver.size, K_VERDICT)])
    cpol = np.concatenate([p_asp, premium_pol[r_pre], verdict_pol[r_ver]]).astype(np.int64)
    value_clause = np.concatenate([is_value[r_asp] & (a_asp == pi), np.zeros(r_pre.size + r_ver.size, bool)])
    order = np.lexsort((rng.random(row.size), kind >= N_ASPECTS, kind == K_VERDICT, row))
    row, kind, cpol, value_clause = row[order], kind[order], cpol[order], value_clause[order]
    text = _write(rng, row, kind, cpol, value_clause, brand_group, opener, n)

    n_clauses = np.bincount(row, minlength=n)
    total = np.bincount(row, weights=cpol, minlength=n)
    score = np.divide(total, n_clauses, out=np.zeros(n), where=n_clauses > 0)
    return Opinions(polarity, np.where(is_value, 1.0, np.where(is_premium, 0.0, np.nan)),
                    np.sign(total).astype(np.int64), score, text)


def _write(rng: np.random.Generator, row: np.ndarray, kind: np.ndarray, cpol: np.ndarray, value_clause: np.ndarray,
           brand_group: np.ndarray, opener: np.ndarray, n: int) -> pa.Array:
    """Write the clauses (sorted by review) and join them into one text per review."""
    lex, b = _lex(), _lex().banks
    c = row.size
    is_asp = kind < N_ASPECTS
    a = np.where(is_asp, kind, 0)
    # template per clause
    t = np.full(c, T_NEU)
    pos, neg = is_asp & (cpol > 0), is_asp & (cpol < 0)
    t[pos] = rng.choice(_POS_CHOICE[0], pos.sum(), p=_POS_CHOICE[1])
    t[neg] = rng.choice(_NEG_CHOICE[0], neg.sum(), p=_NEG_CHOICE[1])
    # fall back where the aspect has no bank for the template
    t = np.where((t == T_NOTNEG) & (b["negatable"][1][a] == 0), T_POS, t)
    t = np.where((t == T_NOPROBLEM) & (b["noun"][1][a] == 0), T_POS, t)
    t = np.where((t == T_PROBLEM) & (b["noun"][1][a] == 0), T_NEG, t)
    t = np.where(value_clause, np.where(cpol > 0, T_VALUE_POS, T_VALUE_NEG), t)
    t = np.where(kind == K_PREMIUM, np.where(cpol > 0, T_PREMIUM_POS, T_PREMIUM_NEG), t)
    t = np.where(kind == K_VERDICT, np.select([cpol > 0, cpol < 0], [T_VERDICT_POS, T_VERDICT_NEG], T_VERDICT_NEU), t)

    def sel(mask_bank: list[tuple[int, str, bool]]) -> np.ndarray:
        out = np.zeros(c, np.int64)
        for tmpl, bank, per_aspect in mask_bank:
            m = t == tmpl
            if m.any():
                out[m] = _pick(b[bank], a[m] if per_aspect else 0, rng, None if per_aspect else int(m.sum()))
        return out

    mid = sel([(T_POS, "int_pos", False), (T_NOTNEG, "not_neg", False), (T_NOPROBLEM, "absent", False),
               (T_NEG, "int_neg", False), (T_NOTPOS, "not_pos", False)])
    word = sel([
        (T_POS, "pos", True), (T_NOTPOS, "pos", True), (T_NOTNEG, "negatable", True), (T_NOPROBLEM, "noun", True),
        (T_PROBLEM, "noun", True), (T_NEG, "neg", True), (T_COLLOQ_POS, "colloq_pos", False),
        (T_COLLOQ_NEG, "colloq_neg", False), (T_NEU, "neutral", False), (T_VALUE_POS, "value_pos", False),
        (T_VALUE_NEG, "value_neg", False), (T_PREMIUM_POS, "premium_pos", False),
        (T_PREMIUM_NEG, "premium_neg", False), (T_VERDICT_POS, "verdict_pos", False),
        (T_VERDICT_NEG, "verdict_neg", False), (T_VERDICT_NEU, "verdict_neu", False),
    ])
    tail = sel([(T_PROBLEM, "heavy", False)])
    tail = np.where((t == T_NEG) & (mid == lex.tai), lex.le, tail)
    has_term = is_asp & (t != T_VALUE_POS) & (t != T_VALUE_NEG)
    n_groups = len(lex.brands)
    term = np.where(has_term, _pick(b["term"], a * n_groups + brand_group[row], rng), 0)
    prefix = np.where(has_term & (rng.random(c) < 0.5), _pick(b["prefix"], 0, rng, c), 0)

    # lead: opener for a review's first clause, else a separator and, between aspect clauses of
    # opposite polarity, a contrast connector most of the time
    first = np.ones(c, bool)
    first[1:] = row[1:] != row[:-1]
    prev_pol = np.r_[0, cpol[:-1]]
    prev_asp = np.r_[False, is_asp[:-1]]
    flip = ~first & is_asp & prev_asp & (prev_pol * cpol < 0) & (rng.random(c) < 0.75)
    conn = np.where(flip & (cpol < 0), _pick(b["c_pn"], 0, rng, c), np.where(flip, _pick(b["c_np"], 0, rng, c), 0))
    sep = np.where(first, opener[row], _pick(b["sep"], 0, rng, c))
    pieces = _join(sep, conn, prefix, term, mid, word, tail)
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(row, minlength=n), out=offsets[1:])
    body = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), pieces), "")
    # ending: an emoji matching the clauses' balance, or punctuation
    bal = np.sign(np.bincount(row, weights=cpol, minlength=n))
    emoji = np.select([bal > 0, bal < 0], [_pick(b["emoji_pos"], 0, rng, n), _pick(b["emoji_neg"], 0, rng, n)],
                      _pick(b["emoji_neu"], 0, rng, n))
    ending = np.where(rng.random(n) < 0.3, emoji, _pick(b["ending"], 0, rng, n))
    ending = np.where(offsets[1:] > offsets[:-1], ending, 0)
    return pc.binary_join_element_wise(body, lex.table.take(pa.array(ending)), "")


# ----------------------------------------------------------------------------- reviews
_ORDER_COLS = ("order_id", "ts", "user_id", "platform", "sku_id")


def _require(df: pd.DataFrame, cols: tuple[str, ...], name: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {', '.join(missing)}; have {', '.join(map(str, df.columns))}")


def _lookup(keys: pd.Series, index: pd.Index, what: str, column: str) -> np.ndarray:
    pos = index.get_indexer(keys)
    if (pos < 0).any():
        bad = int(np.flatnonzero(pos < 0)[0])
        raise ValueError(f"{what}: row {bad}, column {column!r}: {keys.iloc[bad]!r} not found")
    return pos


def _brand_group(brands: np.ndarray) -> np.ndarray:
    known = {b: i for i, b in enumerate(lx.BRANDS)}
    return np.array([known.get(b, len(lx.BRANDS)) for b in brands], np.int64)


def author_params(products: pd.DataFrame, users: pd.DataFrame | None, prod_idx: np.ndarray,
                  user_idx: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Quality, importance, value share and brand group for authors of (product, user) pairs."""
    quality = aspect_quality(products, review_quality=True)[prod_idx]
    seg_names = (*SEGMENTS, "")
    imp_table = np.array([SEGMENT_IMPORTANCE.get(s, DEFAULT_IMPORTANCE) for s in seg_names])
    seg_logit = np.array([SEGMENT_VALUE_LOGIT.get(s, 0.0) for s in seg_names])
    if users is not None and user_idx is not None and "_segment" in users.columns:
        seg_of_user = pd.Categorical(users["_segment"], categories=SEGMENTS).codes
        seg = np.where(user_idx >= 0, seg_of_user[np.maximum(user_idx, 0)], -1)
        seg = np.where(seg < 0, len(SEGMENTS), seg)
    else:
        seg = np.full(prod_idx.size, len(SEGMENTS))
    brands = products["brand"].to_numpy(object)
    bgroup = _brand_group(brands)[prod_idx]
    base = np.array([VALUE_FRAMING_SHARE.get(b, DEFAULT_VALUE_SHARE) for b in brands])[prod_idx]
    zl = _z(np.log(pd.to_numeric(products["list_price"], errors="coerce")), len(products))[prod_idx]
    logit = np.log(base / (1 - base)) + seg_logit[seg] - 0.3 * zl
    return quality, imp_table[seg], 1.0 / (1.0 + np.exp(-logit)), bgroup


def simulate_reviews(
    orders: pd.DataFrame,
    products: pd.DataFrame,
    users: pd.DataFrame,
    *,
    rng: np.random.Generator,
    progress: Progress | None = None,
    end: pd.Timestamp | None = OBSERVATION_END,
    varied: bool = False,
) -> VoiceResult:
    """Reviews and 追评 for a platform-dependent share of ``orders``, with labels and truth.

    Reviews dated on or after ``end`` (exclusive end of the observation window) are dropped.
    ``varied``: rewrite the text with :mod:`upmarket.twin.phrasing` (dialect, typos, sarcasm, long
    back-stories, emoji; labels unchanged). Off by default, so the default text and every draw stay as they were.
    """
    _require(orders, _ORDER_COLS, "orders")
    _require(products, ("sku_id", "brand", "list_price"), "products")
    _require(users, ("user_id",), "users")
    lex = _lex()
    b = lex.banks
    prod_all = _lookup(orders["sku_id"].astype(str), pd.Index(products["sku_id"].astype(str)), "orders", "sku_id")
    rate = orders["platform"].map(REVIEW_RATE).fillna(DEFAULT_REVIEW_RATE).to_numpy(float)
    chosen = np.flatnonzero(rng.random(len(orders)) < rate)
    sel = orders.iloc[chosen]
    prod_idx = prod_all[chosen]
    user_idx = pd.Index(users["user_id"].astype(str)).get_indexer(sel["user_id"].astype(str))
    n0 = len(sel)
    order_ts = pd.to_datetime(sel["ts"]).to_numpy("datetime64[us]").astype(np.int64)
    if progress:
        progress("reviews: opinions", 0.1)

    # main reviews and follow-ups share one generator; follow-ups come from non-empty reviews
    kind0 = rng.choice(3, n0, p=[P_EMPTY, P_SHORT, 1 - P_EMPTY - P_SHORT])  # 0 empty, 1 short, 2 full
    fu_src = np.flatnonzero((kind0 > 0) & (rng.random(n0) < P_FOLLOWUP))
    nf = fu_src.size
    src = np.concatenate([np.arange(n0), fu_src])
    is_fu = np.r_[np.zeros(n0, bool), np.ones(nf, bool)]
    kind = np.r_[kind0, np.where(rng.random(nf) < 0.1, 1, 2)]
    n = n0 + nf
    day = 86_400 * 1_000_000
    delay0 = (1 + rng.gamma(1.2, 4.0, n0)) * day
    ts0 = order_ts + delay0.astype(np.int64)
    ts = np.r_[ts0, ts0[fu_src] + ((7 + rng.gamma(2.0, 15.0, nf)) * day).astype(np.int64)]
    ts = ts // 1_000_000 * 1_000_000

    quality, importance, vshare, bgroup = author_params(products, users, prod_idx[src], user_idx[src])
    author_mood = rng.normal(0.0, MOOD_SD, n0)
    mood = author_mood[src] + np.where(is_fu, rng.normal(0.0, 0.3, n), 0.0)
    if nf:  # follow-ups report long-term experience: battery, system, performance
        importance = importance.copy()
        importance[is_fu] *= np.array([0.5, 2.0, 2.0, 2.5, 0.5, 0.8, 0.3, 0.8])
    opener = np.where(is_fu, _pick(b["followup"], 0, rng, n), _pick(b["opener"], 0, rng, n))
    full = kind == 2
    op = plant_opinions(rng, quality[full], importance[full], vshare[full], mood[full], bgroup[full], opener[full],
                        n_mentions=np.where(is_fu[full], 1 + rng.binomial(1, 0.4, full.sum()),
                                            1 + rng.binomial(3, 0.35, full.sum())))
    if progress:
        progress("reviews: text", 0.6)

    # short and empty texts: one clause or none, sentiment from the mood
    latent = quality.mean(axis=1) + POSITIVITY + mood + rng.normal(0.0, 0.5, n)
    mood_pol = np.where(latent > 0.4, 1, np.where(latent < -0.2, -1, 0))
    short_idx = np.select([mood_pol > 0, mood_pol < 0],
                          [_pick(b["short_pos"], 0, rng, n), _pick(b["short_neg"], 0, rng, n)],
                          _pick(b["short_neu"], 0, rng, n))
    short_idx = np.where(kind == 1, short_idx, 0)
    text_idx_short = np.where(is_fu & (kind == 1), opener, 0)
    short_text = _join(text_idx_short, short_idx)
    full_pos = np.cumsum(full) - 1
    text = pc.if_else(pa.array(full), op.text.take(pa.array(np.maximum(full_pos, 0))), short_text)

    polarity = np.full((n, N_ASPECTS), np.nan)
    polarity[full] = op.polarity
    framing = np.full(n, np.nan)
    framing[full] = op.value_framing
    sentiment = mood_pol.astype(np.int64)
    sentiment[full] = op.sentiment
    score = np.where(kind == 2, 0.0, np.where(kind == 1, mood_pol.astype(float), np.tanh(latent - 0.1)))
    score[full] = op.score
    rating = np.clip(np.rint(3.3 + 1.7 * score + rng.normal(0.0, 0.6, n)), 1, 5).astype(np.int64)
    if varied:
        from upmarket.twin.phrasing import vary

        text = vary(text, sentiment, full, np.random.default_rng(rng.integers(1 << 62)))

    brands = products["brand"].to_numpy(object)[prod_idx[src]]
    platform = sel["platform"].to_numpy(object)[src]
    frame = pd.DataFrame({
        "ts": ts, "_src": src, "_fu": is_fu,
    })
    keep = np.ones(n, bool) if end is None else ts < pd.Timestamp(end).to_datetime64().astype("datetime64[us]").astype(
        np.int64)
    order = np.lexsort((frame["_fu"].to_numpy(), src, ts))
    order = order[keep[order]]
    m = order.size
    numbers = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, m + 1)), pa.string()), 9, "0")
    ids = pc.binary_join_element_wise("RV", numbers, "")
    review_id = pd.Series(ids.to_pandas(), dtype="str")
    reviews = pd.DataFrame({
        "review_id": review_id,
        "ts": pd.Series(ts[order].astype("datetime64[us]")),
        "platform": pd.Series(platform[order], dtype="str"),
        "sku_id": pd.Series(sel["sku_id"].astype(str).to_numpy(object)[src][order], dtype="str"),
        "user_id": pd.Series(sel["user_id"].astype(str).to_numpy(object)[src][order], dtype="str"),
        "rating": pd.array(np.where(is_fu, 0, rating)[order], dtype="Int64"),
        "text": pd.Series(text.take(pa.array(order)).to_pandas(), dtype="str"),
        "is_followup": is_fu[order],
    })
    reviews.loc[reviews["is_followup"].to_numpy(), "rating"] = pd.NA  # 追评 carry no stars
    labels = pd.DataFrame({
        "review_id": review_id,
        "brand": pd.Series(brands[order], dtype="str"),
        "sentiment": sentiment[order],
        "sentiment_score": score[order],
        **{a: polarity[order, i] for i, a in enumerate(ASPECTS)},
        "value_framing": framing[order],
        "is_empty": kind[order] == 0,
        "is_short": kind[order] == 1,
        "is_followup": is_fu[order],
    })
    if progress:
        progress("reviews: done", 1.0)
    return VoiceResult(reviews, labels, {"voice": voice_truth(labels)})


def voice_truth(labels: pd.DataFrame, by: str = "brand") -> dict:
    """Per-brand truth recomputed from per-review labels (definitions in the module docstring)."""
    out: dict[str, dict] = {}
    lab = labels[~labels["is_empty"].to_numpy(bool)]
    for brand, g in lab.groupby(by, sort=True):
        pol = g[list(ASPECTS)]
        vf = g["value_framing"].dropna()
        out[str(brand)] = {
            "n_reviews": len(g),
            "sentiment": float((g["sentiment"] == 1).mean()),
            "sentiment_mean": float(g["sentiment"].mean()),
            "positive_share": float((g["sentiment"] == 1).mean()),
            "mixed_share": float((g["sentiment"] == 0).mean()),
            "negative_share": float((g["sentiment"] == -1).mean()),
            "aspects": {a: _nan_none((pol[a] == 1).sum() / max(pol[a].notna().sum(), 1) if pol[a].notna().any()
                                     else np.nan) for a in ASPECTS},
            "aspects_mean_polarity": {a: _nan_none(pol[a].mean()) for a in ASPECTS},
            "aspect_mentions": {a: int(pol[a].notna().sum()) for a in ASPECTS},
            "value_framing": _nan_none(vf.mean()),
            "n_framed": int(vf.size),
        }
    return out


def _nan_none(x: float) -> float | None:
    x = float(x)
    return None if np.isnan(x) else x
