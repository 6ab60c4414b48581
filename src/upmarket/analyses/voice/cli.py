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


def read_texts(path: Path) -> pd.DataFrame:
    """A CSV/TSV/XLSX/Parquet with a ``text`` column (optional ``id``, ``rating``, ``label``)."""
    if not path.is_file():
        raise typer.BadParameter(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        df = pd.read_excel(path, dtype=object)
    elif suffix == ".parquet":
        df = pd.read_parquet(path)
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
    if "text" not in df.columns:
        raise typer.BadParameter(f"{path}: no column named 'text' (columns: {', '.join(map(str, df.columns))})")
    return df


@voice_app.command()
def score(
    file: Annotated[Path, typer.Argument(help="CSV/TSV/XLSX/Parquet with a 'text' column and optional 'id'.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output file (.csv, .parquet or .xlsx).")],
    model: Annotated[Path | None, typer.Option("--model", help="Model from `voice train`.")] = None,
    domain: Annotated[str, typer.Option(help="Product domain for a domain-aware model (e.g. the research "
                                              "model); ignored by models without domains.")] = "phone",
) -> None:
    """Score every text: sentiment score and label, aspects with polarity, value/premium framing."""
    from upmarket.analyses.voice.score import score_reviews
    from upmarket.analyses.voice.sentiment import SentimentModel

    df = read_texts(file)
    ids = df["id"].astype(str).to_numpy() if "id" in df.columns else np.arange(1, len(df) + 1).astype(str)
    s = score_reviews(ids, df["text"].tolist(), SentimentModel.load(model), domain=domain or None)
    asp = s.aspects.pivot_table(index="review_id", columns="aspect", values="polarity", aggfunc="first")
    res = s.sentiment.rename(columns={"review_id": "id"}).merge(
        asp.add_prefix("aspect_"), left_on="id", right_index=True, how="left")
    res.insert(1, "text", df["text"].to_numpy())
    out.parent.mkdir(parents=True, exist_ok=True)
    from upmarket.io.safe_output import write_for_people

    write_for_people(res, out)  # texts starting with = + - @ are written as text, never as formulas
    n_empty = int((res["flag"] == "empty").sum())
    typer.echo(f"scored {len(res):,} texts ({n_empty:,} empty) → {out}")


@voice_app.command()
def train(
    file: Annotated[Path, typer.Argument(help="Texts with a 'label' (1/0) or a 'rating' (1–5) column.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Where to write the model (.npz).")],
    min_positive: Annotated[int, typer.Option(help="Ratings ≥ this are positive.")] = 4,
    max_negative: Annotated[int, typer.Option(help="Ratings ≤ this are negative (between: left out).")] = 2,
) -> None:
    """Fit the sentiment model on your own reviews; star ratings serve as labels when there are none."""
    from upmarket.analyses.voice.sentiment import SentimentModel

    df = read_texts(file)
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
    m = SentimentModel().fit(df.loc[keep, "text"].astype(str).tolist(), y[keep].astype(int).to_numpy())
    m.info_["trained_on"] = f"{file.name} ({source}s)"
    m.save(out)
    typer.echo(f"trained on {int(keep.sum()):,} texts ({source}s; {float(y[keep].mean()):.0%} positive) → {out}")
