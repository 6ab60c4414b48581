"""``upmarket voice score`` and ``upmarket voice train``: parse, call the library, write, exit.

The lead mounts ``voice_app`` as ``upmarket voice``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

voice_app = typer.Typer(help="Score or train the review-text model on any CSV/XLSX of texts.", no_args_is_help=True)


TEXT_COLUMNS = ("text", "评价内容", "评论内容", "评价", "评论", "内容", "追评内容", "review", "comment", "content")
"""Column names recognised as the review text, in order of preference (``--text-col`` overrides)."""
LABEL_WORDS = {"zh": {1: "正面", -1: "负面", 0: "中性"}, "en": {1: "positive", -1: "negative", 0: "mixed"}}
"""Words for the 3-way label (0 = mixed or lukewarm). An empty text gets no word: it has no sentiment, and the
headline shares leave it out too."""
MIN_TRAIN_TO_BEAT_DEFAULT = 5_000
"""Labelled reviews below which ``voice train`` warns: on held-out real phone reviews a model fitted on 2,000
electronics reviews scored 0.896, on 4,000 0.915, on 8,000 0.922 (mean of 3 draws) vs 0.925 for the default."""
WRITERS = (".csv", ".tsv", ".xlsx", ".json", ".jsonl", ".parquet")


def read_table(path: Path) -> pd.DataFrame:
    """A CSV/TSV/XLSX/Parquet/JSON file as a frame of strings (CSV in UTF-8 or GB18030)."""
    if not path.is_file():
        raise typer.BadParameter(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        df = pd.read_excel(path, dtype=object, engine="openpyxl")
    elif suffix == ".parquet":
        df = pd.read_parquet(path)
    elif suffix in (".json", ".jsonl"):
        df = pd.read_json(path, lines=suffix == ".jsonl", dtype=False)
    else:
        sep = "\t" if suffix == ".tsv" else ","
        for enc in ("utf-8-sig", "gb18030"):
            try:
                df = pd.read_csv(path, sep=sep, dtype=object, keep_default_na=False, encoding=enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise typer.BadParameter(f"{path}: neither UTF-8 nor GB18030 text")
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    return df


def text_column(df: pd.DataFrame, path: Path, text_col: str | None = None) -> str:
    """The review-text column: ``text_col`` if given, else the first of :data:`TEXT_COLUMNS` present."""
    if text_col is not None:
        if text_col not in df.columns:
            raise typer.BadParameter(f"{path}: no column {text_col!r} (columns: {', '.join(map(str, df.columns))})")
        return text_col
    for c in TEXT_COLUMNS:
        if c in df.columns:
            return c
    raise typer.BadParameter(f"{path}: no review-text column ({' / '.join(TEXT_COLUMNS)}); name it with --text-col "
                             f"(columns: {', '.join(map(str, df.columns))})")


def read_texts(path: Path, text_col: str | None = None) -> pd.DataFrame:
    """A table with its review text in a column named ``text`` (found by :func:`text_column`)."""
    df = read_table(path)
    col = text_column(df, path, text_col)
    return df if col == "text" else df.drop(columns=["text"], errors="ignore").rename(columns={col: "text"})


def write_table(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` in the format ``path``'s extension names, spreadsheet formulas defused in CSV/TSV/XLSX
    (``upmarket.io.safe_output``). XLSX gets a bold, frozen header and fitted column widths."""
    suffix = path.suffix.lower()
    if suffix not in WRITERS:
        raise typer.BadParameter(f"{path}: unknown output format {suffix or '(none)'!r}; use one of "
                                 f"{', '.join(WRITERS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".csv", ".tsv", ".xlsx"):  # for people: texts starting with = + - @ are never formulas
        from upmarket.io.safe_output import defuse_frame

        df = defuse_frame(df)
    if suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif suffix in (".json", ".jsonl"):
        df.to_json(path, orient="records", force_ascii=False, lines=suffix == ".jsonl", date_format="iso")
    elif suffix == ".xlsx":
        from openpyxl.styles import Font

        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            df.to_excel(xw, index=False, sheet_name="voice")
            ws = xw.sheets["voice"]
            ws.freeze_panes = "A2"
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for i, col in enumerate(df.columns, start=1):
                width = max([len(str(col))] + [len(str(v)) for v in df[col].head(200)])
                ws.column_dimensions[ws.cell(1, i).column_letter].width = min(60, max(8, width * 1.6))
    else:
        df.to_csv(path, index=False, sep="\t" if suffix == ".tsv" else ",", encoding="utf-8-sig")


def scored_table(df: pd.DataFrame, scored, lang: str = "en") -> pd.DataFrame:
    """``df`` with every input column kept (same rows, same order) and the voice results appended.

    Added: ``voice_score`` (P(positive)), ``voice_label`` (1/−1, 0 empty), ``voice_sentiment`` (word:
    positive/negative/mixed, 正面/负面/中性 under ``zh``; mixed/lukewarm reviews are 中性; blank for an empty
    text, whose ``voice_flag`` is ``empty``), ``voice_flag``,
    ``voice_value_terms``, ``voice_premium_terms``, ``voice_frame`` and ``aspect_<name>`` (−1/0/1, empty
    when not mentioned). A name already in the input gets a ``_voice`` suffix.
    """
    s = scored.sentiment.reset_index(drop=True)
    three = np.where(s["mixed"].to_numpy(bool), 0, s["label"].to_numpy())
    words = LABEL_WORDS[lang]
    add = pd.DataFrame({"voice_score": s["score"].round(4), "voice_label": s["label"].astype(int),
                        "voice_sentiment": ["" if empty else words[int(v)]
                                            for v, empty in zip(three, s["score"].isna(), strict=True)],
                        "voice_flag": s["flag"],
                        "voice_value_terms": s["value_terms"], "voice_premium_terms": s["premium_terms"],
                        "voice_frame": s["frame"]})
    asp = scored.aspects.pivot_table(index="review_id", columns="aspect", values="polarity", aggfunc="first")
    for a in asp.columns:
        add[f"aspect_{a}"] = asp[a].reindex(s["review_id"]).to_numpy()
    add = add.rename(columns={c: f"{c}_voice" for c in add.columns if c in df.columns})
    out = df.reset_index(drop=True).copy()
    return pd.concat([out, add], axis=1)


@voice_app.command()
def score(
    file: Annotated[Path, typer.Argument(help="CSV/TSV/XLSX/Parquet/JSON of reviews (every column is kept).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output file; its extension names the format: "
                                                           ".csv, .tsv, .xlsx, .json, .jsonl or .parquet.")],
    text_col: Annotated[str | None, typer.Option("--text-col", help="Column holding the review text (default: "
                                                 "text / 评价内容 / 评论内容 / 评价 / 评论 / 内容 …).")] = None,
    model: Annotated[Path | None, typer.Option("--model", help="Model from `voice train`.")] = None,
    domain: Annotated[str, typer.Option(help="Product domain for a domain-aware model (e.g. the research "
                                              "model); ignored by models without domains.")] = "phone",
    lang: Annotated[str, typer.Option("--lang", help="Label words: en (positive/negative/mixed) or zh "
                                                     "(正面/负面/中性).")] = "en",
) -> None:
    """Score every review: sentiment score and label, mixed flag, aspects with polarity, value/premium framing."""
    from upmarket.analyses.voice.score import score_reviews
    from upmarket.analyses.voice.sentiment import SentimentModel

    if lang not in LABEL_WORDS:
        raise typer.BadParameter(f"--lang {lang!r}: use en or zh")
    if out.suffix.lower() not in WRITERS:
        raise typer.BadParameter(f"{out}: unknown output format {out.suffix or '(none)'!r}; use one of "
                                 f"{', '.join(WRITERS)}")
    df = read_table(file)
    col = text_column(df, file, text_col)
    ids = np.arange(len(df)).astype(str)
    s = score_reviews(ids, df[col].tolist(), SentimentModel.load(model), domain=domain or None)
    res = scored_table(df, s, lang)
    write_table(res, out)
    n_empty = int((s.sentiment["flag"] == "empty").sum())
    typer.echo(f"scored {len(res):,} texts from column {col!r} ({n_empty:,} empty) → {out}")


@voice_app.command()
def train(
    file: Annotated[Path, typer.Argument(help="Texts with a 'label' (1/0) or a 'rating' (1–5) column.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Where to write the model (.npz).")],
    min_positive: Annotated[int, typer.Option(help="Ratings ≥ this are positive.")] = 4,
    max_negative: Annotated[int, typer.Option(help="Ratings ≤ this are negative (between: left out).")] = 2,
    text_col: Annotated[str | None, typer.Option("--text-col", help="Column holding the review text.")] = None,
    from_scratch: Annotated[bool, typer.Option("--from-scratch", help="Fit a new model instead of adapting the "
                                                                       "default one to your reviews.")] = False,
    base: Annotated[Path | None, typer.Option("--base", help="Model to adapt (default: the shipped one).")] = None,
) -> None:
    """Fit the sentiment model to your own reviews (star ratings serve as labels when there are none).

    By default the shipped model is *adapted* (it stays the prior; your labels correct it), which beat both
    the unadapted model and a model from scratch on every real corpus tried (docs/voice.md); ``--from-scratch``
    fits a new model and warns below 5,000 usable rows.
    """
    from upmarket.analyses.voice.adapt import adapt, agreement
    from upmarket.analyses.voice.sentiment import SentimentModel

    df = read_texts(file, text_col)
    if "label" in df.columns:
        y = pd.to_numeric(df["label"], errors="coerce")
        source = "label"
    elif "rating" in df.columns:
        r = pd.to_numeric(df["rating"], errors="coerce")
        y = pd.Series(np.where(r >= min_positive, 1.0, np.where(r <= max_negative, 0.0, np.nan)), index=df.index)
        source = "rating"
    else:
        raise typer.BadParameter(f"{file}: needs a 'label' (1/0) or 'rating' (1–5) column to learn from")
    keep = y.isin([0, 1]) & df["text"].astype(str).str.strip().ne("")
    if keep.sum() < 20 or y[keep].nunique() < 2:
        raise typer.BadParameter(f"{file}: need at least 20 usable rows with both positive and negative labels")
    texts, labels = df.loc[keep, "text"].astype(str).tolist(), y[keep].astype(int).to_numpy()
    if from_scratch:
        if keep.sum() < MIN_TRAIN_TO_BEAT_DEFAULT:
            typer.echo(f"warning: only {int(keep.sum()):,} usable {source}s; below about "
                       f"{MIN_TRAIN_TO_BEAT_DEFAULT:,} a model trained from scratch on your reviews is usually less "
                       "accurate than the shipped default; drop --from-scratch to adapt it instead", err=True)
        m = SentimentModel().fit(texts, labels)
        m.info_["trained_on"] = f"{file.name} ({source}s)"
    else:
        from upmarket.analyses.voice.analysis import MIN_RATED_TO_ADAPT

        fewer = int(min((labels == 1).sum(), (labels == 0).sum()))
        if fewer < MIN_RATED_TO_ADAPT:
            typer.echo(f"warning: only {fewer:,} usable {source}s of the rarer kind (positive or negative); below "
                       f"{MIN_RATED_TO_ADAPT} of each, adapting is not shown to beat the shipped default (the "
                       "smallest measured, 300 in all, gained 0.1–5.4 points; docs/voice.md), and `analyze` keeps the "
                       "default there", err=True)
        prior = SentimentModel.load(base)
        m = adapt(prior, texts, labels)
        m.info_["trained_on"] = f"{prior.info_.get('trained_on', 'base')}, adapted to {file.name} ({source}s)"
        typer.echo(f"text and {source}s agree on {agreement(prior, texts, labels):.1%} of your reviews with the "
                   f"base model, {agreement(m, texts, labels):.1%} after adapting (in-sample)")
    m.save(out)
    typer.echo(f"trained on {int(keep.sum()):,} texts ({source}s; {float(labels.mean()):.0%} positive) → {out}")
