"""From the contract ``choices`` table to the arrays a choice model needs, with checks that name the problem.

Attributes are coded so that every coefficient is a willingness to pay once divided by the price coefficient:
brands as dummies against the reference brand, the no-buy option as its own constant, text attributes and
numeric attributes with few levels as part-worth dummies against their lowest level, other numeric attributes
linearly. Price enters per 1000 CNY.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from upmarket.contract.tables import table

NONE = "none"
MAX_LEVELS = 6  # numeric attributes with at most this many levels get part-worths


class ChoiceDataError(ValueError):
    """The choices table cannot support a choice model; the message says where and why."""


@dataclass
class ChoiceData:
    """Long-format choice data sorted by respondent, task, alternative."""

    X: np.ndarray  # (n_rows, k) design
    names: list[str]  # column names of X; "price" is price per 1000 CNY
    chosen: np.ndarray  # (n_rows,) bool
    task: np.ndarray  # (n_rows,) task index 0..T-1, contiguous
    starts: np.ndarray  # (T,) first row of each task
    resp_of_task: np.ndarray  # (T,) respondent index 0..R-1
    respondents: np.ndarray  # (R,) respondent ids
    reference: str
    rows: pd.DataFrame  # the sorted input (ids and attributes)
    levels: dict[str, list] = field(default_factory=dict)  # attribute -> [base, level, ...]
    warnings: list[str] = field(default_factory=list)
    reference_rule: str = ""  # why this reference brand (``choose_reference``)
    _padded: tuple | None = field(default=None, repr=False)

    @property
    def n_tasks(self) -> int:
        return len(self.starts)

    @property
    def n_respondents(self) -> int:
        return len(self.respondents)

    @property
    def padded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(X3 (T, J, k), available (T, J), chosen position (T,)): tasks padded to the largest task."""
        if self._padded is None:
            sizes = np.diff(np.r_[self.starts, len(self.task)])
            J = int(sizes.max())
            pos = np.arange(len(self.task)) - self.starts[self.task]
            X3 = np.zeros((self.n_tasks, J, self.X.shape[1]))
            X3[self.task, pos] = self.X
            avail = np.zeros((self.n_tasks, J), dtype=bool)
            avail[self.task, pos] = True
            self._padded = (X3, avail, pos[self.chosen])
        return self._padded

    @property
    def price_index(self) -> int:
        return self.names.index("price")

    def subset(self, respondents: np.ndarray | list) -> ChoiceData:
        """The same design restricted to some respondents (ids); coding unchanged."""
        keep = self.rows["respondent_id"].isin(set(respondents)).to_numpy()
        rows = self.rows[keep].reset_index(drop=True)
        sub = _assemble(rows, self.X[keep], self.names, self.reference, self.levels, list(self.warnings))
        sub.reference_rule = self.reference_rule
        return sub


def _id_columns() -> list[str]:
    return [c.name for c in table("choices").columns]


def _assemble(rows: pd.DataFrame, X: np.ndarray, names: list[str], reference: str, levels: dict,
              warnings: list[str]) -> ChoiceData:
    key = rows["respondent_id"].astype(str) + "\x1f" + rows["task_id"].astype(str)
    new_task = np.r_[True, key.to_numpy()[1:] != key.to_numpy()[:-1]]
    task = np.cumsum(new_task) - 1
    starts = np.flatnonzero(new_task)
    resp_codes, respondents = pd.factorize(rows["respondent_id"].astype(str), sort=False)
    return ChoiceData(X=X, names=names, chosen=rows["chosen"].to_numpy() == 1, task=task, starts=starts,
                      resp_of_task=resp_codes[starts], respondents=np.asarray(respondents), reference=reference,
                      rows=rows, levels=levels, warnings=warnings)


def _check_tasks(df: pd.DataFrame) -> None:
    n_chosen = df.groupby(["respondent_id", "task_id"], sort=False)["chosen"].sum()
    bad = n_chosen[n_chosen != 1]
    if len(bad):
        ex = "; ".join(f"respondent {r} task {t}: {int(n)} chosen" for (r, t), n in bad.head(5).items())
        raise ChoiceDataError(f"choices: column chosen must mark exactly one alternative per task; "
                              f"{len(bad)} task(s) do not ({ex})")
    sizes = df.groupby(["respondent_id", "task_id"], sort=False).size()
    if (sizes < 2).any():
        (r, t) = sizes[sizes < 2].index[0]
        raise ChoiceDataError(f"choices: respondent {r} task {t} has a single alternative; a choice needs two or more")


def _dominance(rows: pd.DataFrame, X: np.ndarray, names: list[str], task: np.ndarray, starts: np.ndarray) -> None:
    """Refuse data where one column alone predicts every choice (the likelihood has no maximum)."""
    chosen = rows["chosen"].to_numpy() == 1
    for j, name in enumerate(names):
        x = X[:, j]
        tmax = np.maximum.reduceat(x, starts)
        tmin = np.minimum.reduceat(x, starts)
        varies = tmax > tmin
        if varies.sum() < 2:
            continue
        xc = x[chosen]
        at_min = xc[varies] == tmin[varies]  # ties too: quasi-separation also has no finite maximum
        at_max = xc[varies] == tmax[varies]
        for hit, word in ((at_min, "lowest"), (at_max, "highest")):
            if hit.all():
                what = "price" if name == "price" else name
                raise ChoiceDataError(
                    f"choices: dominated design — in all {int(varies.sum())} tasks where {what} varies, the chosen "
                    f"alternative is the one with the {word} {what}, so its coefficient is infinite (perfect "
                    "separation); vary the design or add tasks where this is not so")


def brand_levels(choices: pd.DataFrame) -> list[str]:
    """The conjoint's brand levels in the order the file first lists them (the no-buy option left out)."""
    is_none = (choices["alt_id"].astype(str).str.lower() == NONE) | (choices["brand"].astype(str).str.lower() == NONE)
    return list(dict.fromkeys(choices.loc[~is_none, "brand"].astype(str)))


def choose_reference(levels: list[str], configured: str | None, sub_brands: list[str] | tuple[str, ...],
                     focal: str) -> tuple[str, str]:
    """The brand WTP is measured against, and the rule that picked it.

    ``[segments] reference_brand`` when set (it must be a level); else the focal brand's sub-brand when the design
    has it (the price ladder's base, the project's convention); else the focal brand; else the design's first
    listed level. Any choice gives the same model (dummy coding is a reparametrisation): only the base changes."""
    if configured:
        if configured not in levels:
            raise ChoiceDataError(f"choices: [segments] reference_brand {configured!r} is not a level of column brand "
                                  f"(levels: {', '.join(levels)})")
        return configured, "[segments] reference_brand"
    for b in sub_brands:
        if b in levels:
            return b, f"the focal brand's sub-brand {b}"
    if focal in levels:
        return focal, f"the focal brand {focal} (the sub-brand is not a level of the conjoint)"
    if not levels:
        raise ChoiceDataError("choices: column brand has no level other than the no-buy option")
    return levels[0], f"the design's first listed level {levels[0]} (neither the sub-brand nor {focal} is a level)"


def build_design(choices: pd.DataFrame, reference: str, *, attributes: list[str] | None = None) -> ChoiceData:
    """Code a contract ``choices`` frame for estimation; raises ChoiceDataError naming the task/column at fault."""
    need = _id_columns()
    missing = [c for c in need if c not in choices.columns]
    if missing:
        raise ChoiceDataError(f"choices: missing column(s) {', '.join(missing)}")
    df = choices.copy()
    df["chosen"] = pd.to_numeric(df["chosen"], errors="coerce")
    bad = df["chosen"].isna() | ~df["chosen"].isin([0, 1])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ChoiceDataError(f"choices: row {i}, column chosen must be 0 or 1 (got {choices['chosen'].iloc[i]!r})")
    df = df.sort_values(["respondent_id", "task_id", "alt_id"], kind="stable").reset_index(drop=True)
    _check_tasks(df)
    warnings: list[str] = []
    is_none = (df["alt_id"].astype(str).str.lower() == NONE) | (df["brand"].astype(str).str.lower() == NONE)
    brands = sorted(set(df.loc[~is_none, "brand"].astype(str)))
    if reference not in brands:
        raise ChoiceDataError(f"choices: reference brand {reference!r} never appears in column brand "
                              f"(brands: {', '.join(brands)})")
    cols: dict[str, np.ndarray] = {}
    levels: dict[str, list] = {"brand": [reference] + [b for b in brands if b != reference]}
    for b in levels["brand"][1:]:
        cols[f"brand={b}"] = ((df["brand"].astype(str) == b) & ~is_none).to_numpy(float)
    if is_none.any():
        cols[NONE] = is_none.to_numpy(float)
    price = pd.to_numeric(df["price"], errors="coerce").where(~is_none, 0.0)
    if price.isna().any():
        i = int(np.flatnonzero(price.isna().to_numpy())[0])
        raise ChoiceDataError(f"choices: row {i}, column price is not a number")
    if price[~is_none].nunique() < 2:
        raise ChoiceDataError("choices: column price is constant, so willingness to pay cannot be estimated")
    cols["price"] = price.to_numpy(float) / 1000.0
    extra = attributes if attributes is not None else [c for c in df.columns if c not in need]
    for a in extra:
        s = df.loc[~is_none, a]
        if s.nunique(dropna=True) < 2:
            warnings.append(f"choices: attribute {a} is constant ({s.dropna().iloc[0] if s.notna().any() else 'empty'})"
                            " and is left out: its effect cannot be estimated")
            continue
        num = pd.to_numeric(s, errors="coerce")
        if num.notna().all() and num.nunique() > MAX_LEVELS:
            cols[a] = pd.to_numeric(df[a], errors="coerce").fillna(0.0).where(~is_none, 0.0).to_numpy(float)
            levels[a] = ["linear"]
            continue
        lv = sorted(num.unique()) if num.notna().all() else sorted(s.astype(str).unique())
        vals = pd.to_numeric(df[a], errors="coerce") if num.notna().all() else df[a].astype(str)
        levels[a] = [_plain(v) for v in lv]
        for v in lv[1:]:
            cols[f"{a}={_plain(v)}"] = ((vals == v) & ~is_none).to_numpy(float)
    names = list(cols)
    X = np.column_stack([cols[n] for n in names])
    rank = np.linalg.matrix_rank(X)
    if rank < X.shape[1]:
        raise ChoiceDataError(f"choices: the attributes are collinear (rank {rank} < {X.shape[1]} columns: "
                              f"{', '.join(names)}); some attribute levels always occur together")
    data = _assemble(df, X, names, reference, levels, warnings)
    _dominance(df, X, names, data.task, data.starts)
    return data


def _plain(v: object) -> object:
    """Level labels without trailing .0 (camera=90, not camera=90.0)."""
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return int(v)
    return v.item() if isinstance(v, np.generic) else v
