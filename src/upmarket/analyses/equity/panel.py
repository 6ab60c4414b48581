"""The Dirichlet benchmark fitted to the purchase panel in ``orders``: observed vs predicted per brand.

Phones are bought rarely (most buyers buy one phone a year), so the period is the whole span of the orders, not a
quarter as for groceries; the section says so. The panel's base (people who could have bought) is ``users``; its
share who bought is the category penetration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from upmarket.analyses.equity.dirichlet import DirichletFit, dirichlet
from upmarket.warehouse.source import as_source, to_frame

if TYPE_CHECKING:
    from upmarket.warehouse.source import TableSource


def purchase_panel(con: TableSource) -> tuple[pd.DataFrame, int, str]:
    """Per buyer and brand, the units bought; the number of people in the base; the period spanned (text).

    ``con``: the warehouse (or any table source); the name is kept from when this took a DuckDB connection.
    """
    con = as_source(con)
    o, p = con.table("orders"), con.table("products")
    bought = o.join(p, "sku_id").filter(p.brand.notnull(), o.user_id.notnull())
    panel = to_frame(bought.group_by(o.user_id, p.brand).agg(units=o.units.fill_null(1).sum().cast("float64")))
    people = con.table("users").select("user_id").union(o.select("user_id"))
    base = int(people.user_id.nunique().execute())
    span = to_frame(o.aggregate(first=o.ts.min().date(), last=o.ts.max().date())).iloc[0]
    first, last = (None if pd.isna(d) else d.date() for d in (span["first"], span["last"]))
    return panel, base, f"{first} to {last}"


def observed(panel: pd.DataFrame, base: int) -> tuple[pd.DataFrame, dict[str, float]]:
    """Observed per-brand share, penetration, buying rate, SCR and 100 %-loyal share; category figures."""
    per_user = panel.groupby("user_id")["units"].sum()
    cat = {"cat_pen": len(per_user) / base, "cat_buyrate": float(per_user.mean()), "buyers": len(per_user),
           "base": base, "purchases": float(per_user.sum())}
    n_brands = panel.groupby("user_id")["brand"].nunique()
    rows = []
    for brand, g in panel.groupby("brand"):
        users = g["user_id"]
        cat_units = per_user.loc[users]
        rows.append({"brand": brand, "share": g["units"].sum() / per_user.sum(),
                     "penetration_obs": len(users) / base, "buy_rate_obs": float(g["units"].mean()),
                     "category_rate_obs": float(cat_units.mean()),
                     "scr_obs": float(g["units"].sum() / cat_units.sum()),
                     "sole_loyal_obs": float((n_brands.loc[users] == 1).mean()), "buyers": len(users)})
    return pd.DataFrame(rows).sort_values("share", ascending=False, kind="stable").reset_index(drop=True), cat


def dirichlet_table(panel: pd.DataFrame, base: int) -> tuple[pd.DataFrame, DirichletFit, dict[str, float]]:
    """Observed beside Dirichlet-predicted per brand, and excess loyalty (observed − predicted SCR and 100 %-loyal)."""
    obs, cat = observed(panel, base)
    fit = dirichlet(cat["cat_pen"], cat["cat_buyrate"], obs["share"], obs["penetration_obs"], list(obs["brand"]))
    pred = fit.table().drop(columns=["share", "penetration_obs"])
    out = obs.merge(pred, on="brand")
    out["excess_scr"] = out["scr_obs"] - out["scr"]
    out["excess_sole_loyal"] = out["sole_loyal_obs"] - out["sole_loyal"]
    # the Dirichlet's P(next purchase is the same brand) = (α_j + 1) / (S + 1), comparable with switching loyalty
    out["repeat_rate"] = (fit.S * out["share"] + 1) / (fit.S + 1)
    return out, fit, cat


def double_jeopardy(table: pd.DataFrame) -> float:
    """Spearman correlation across brands between penetration and buying rate, observed: > 0 is double jeopardy
    (small brands have fewer buyers who also buy them less often)."""
    if len(table) < 3:
        return float("nan")
    return float(table["penetration_obs"].rank().corr(table["buy_rate_obs"].rank()))


def repeat_rate(fit: DirichletFit, brand: str) -> float:
    """The Dirichlet's P(the next purchase is ``brand`` | this one was) for a brand in the fit."""
    j = list(fit.brands).index(brand)
    return float((fit.S * fit.brand_share[j] + 1) / (fit.S + 1))



def duplication(panel: pd.DataFrame, fit: DirichletFit) -> pd.DataFrame:
    """Long: brand, other, observed share of the brand's buyers who also bought the other, and the Dirichlet's."""
    pairs = panel[["user_id", "brand"]].drop_duplicates().merge(
        panel[["user_id", "brand"]].drop_duplicates(), on="user_id", suffixes=("", "_other"))
    both = pairs.groupby(["brand", "brand_other"]).size()
    buyers = panel.groupby("brand")["user_id"].nunique()
    pred = fit.duplication_table()
    rows = []
    for b in fit.brands:
        for o in fit.brands:
            if b != o:
                rows.append({"brand": b, "other": o, "duplication_obs": both.get((b, o), 0) / buyers[b],
                             "duplication": float(pred.loc[b, o])})
    return pd.DataFrame(rows)
