"""The conjoint as the segments analysis reads it, and its two artefacts: ``choice_design`` (the design matrix
with its reference brand) and ``latent_classes`` (the latent-class fit every consumer shares, with class names).

Demand and the price plan consume these artefacts by name; they never import this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from upmarket.analyses.segments.naming import name_classes
from upmarket.analyses.segments.settings import SegmentsSettings
from upmarket.artefacts import Artefact, ArtefactContext
from upmarket.choice.design import ChoiceData, ChoiceDataError, brand_levels, build_design, choose_reference
from upmarket.choice.latent import LatentClassFit, LatentSegments, fit_latent_class, select_classes
from upmarket.warehouse.source import to_frame

if TYPE_CHECKING:
    import numpy as np

    from upmarket.config import Config
    from upmarket.warehouse import Warehouse


def load_choices(warehouse: Warehouse) -> pd.DataFrame:
    """The choices table with its extra attribute columns (kept as JSON in ``_extra``) spread out.

    DuckDB SQL, not Ibis: the attribute columns are whatever keys the export's JSON holds (``json_keys``),
    each read as text whatever its JSON type (``json_extract_string``); Ibis has neither operation.
    """
    con = warehouse.con
    cols = [c for c in con.execute("SELECT * FROM choices LIMIT 0").df().columns if c not in ("_file_id", "_row")]
    keys: list[str] = []
    if "_extra" in cols:
        keys = sorted(r[0] for r in con.execute(
            "SELECT DISTINCT unnest(json_keys(_extra)) FROM choices WHERE _extra IS NOT NULL").fetchall())
        cols.remove("_extra")
    sel = ", ".join([f'"{c}"' for c in cols] + [f"json_extract_string(_extra, '$.\"{k}\"') AS \"{k}\"" for k in keys])
    return con.execute(f"SELECT {sel} FROM choices").df()


def choice_design(warehouse: Warehouse, config: Config) -> ChoiceData:
    """``build_design`` on the warehouse's choices with the reference brand ``choose_reference`` picks; a
    ChoiceDataError also names the file(s) the table came from."""
    try:
        choices = load_choices(warehouse)
        configured = config.settings("segments").reference_brand
        ref, rule = choose_reference(brand_levels(choices), str(configured) if configured else None,
                                     list(config.sub_brands or []), config.focal_brand)
        data = build_design(choices, ref)
        data.reference_rule = rule
        return data
    except ChoiceDataError as exc:
        m = warehouse.table("ingest_manifest")
        files = to_frame(m.filter(m.file_id.isin(warehouse.table("choices")._file_id)).select("path").distinct()
                         .order_by("path"))["path"]
        where = ", ".join(str(f) for f in files) or "choices"
        raise ChoiceDataError(f"{where}: {exc}") from None


def design_price_range(data: ChoiceData) -> float:
    """Range of the offered prices (1000 CNY), for price importance."""
    price = data.X[:, data.price_index]
    offered = price[price > 0] if (price > 0).any() else price
    return float(offered.max() - offered.min())


def class_names(fit: LatentClassFit, data: ChoiceData) -> list[str]:
    """Names of the latent classes from what sets each apart in this design (``naming.py``)."""
    return name_classes(fit.betas, fit.names, design_price_range(data), data.reference)


def membership_traits(warehouse: Warehouse, data: ChoiceData, opts: SegmentsSettings, warnings: list[str]
                      ) -> tuple[np.ndarray | None, list[str] | None]:
    """Membership covariates (``[segments] covariates``, default city_tier, age_band, gender) from users."""
    from upmarket.choice.latent import membership_covariates

    want = [c for c in opts.covariates if c]
    if not want or not warehouse.has_rows("users"):
        return None, None
    users = warehouse.table("users")
    cols = [c for c in want if c in users.columns]
    if not cols:
        return None, None
    u = to_frame(users.select("user_id", *cols)).drop_duplicates("user_id")
    traits = u.set_index("user_id").reindex(data.respondents)
    matched = traits.notna().any(axis=1).mean()
    if matched < 0.9:
        warnings.append(f"segments: only {matched:.0%} of respondents are users; class membership does not use "
                        "their traits")
        return None, None
    return membership_covariates(traits[cols])


def latent_segments(warehouse: Warehouse, data: ChoiceData, opts: SegmentsSettings, warnings: list[str]
                    ) -> tuple[LatentClassFit, list[LatentClassFit]]:
    """K by BIC with constant shares, then the chosen K refitted with membership covariates (when users allow)."""
    n_starts, seed = opts.n_starts, opts.seed
    max_classes = opts.max_classes
    nodes = opts.price_nodes

    def fit() -> tuple[LatentClassFit, list[LatentClassFit], list[str]]:
        found: list[str] = []
        best, fits = select_classes(data, max_classes, n_starts=n_starts, seed=seed, price_nodes=nodes)
        Z, zn = membership_traits(warehouse, data, opts, found)
        if Z is not None and best.n_classes > 1:
            best = fit_latent_class(data, best.n_classes, n_starts=n_starts, seed=seed, Z=Z, covariates=zn,
                                    price_nodes=nodes)
        return best, fits, found

    best, fits, found = fit()
    warnings.extend(found)
    return best, fits


def _choice_design(ctx: ArtefactContext) -> ChoiceData:
    return choice_design(ctx.warehouse, ctx.config)


def _latent_classes(ctx: ArtefactContext) -> LatentSegments:
    data: ChoiceData = ctx.get("choice_design")
    found: list[str] = []
    best, fits = latent_segments(ctx.warehouse, data, ctx.config.settings("segments"), found)
    return LatentSegments(best, fits, class_names(best, data), found)


CHOICE_DESIGN = Artefact(
    "choice_design", _choice_design, reads=("choices",), settings=("segments", "focal_brand", "sub_brands"),
    persist=False, doc="the conjoint as a design matrix with its reference brand (cheap; not saved)")
LATENT_CLASSES = Artefact(
    "latent_classes", _latent_classes, reads=("choices", "users"), settings=("segments",),
    inputs=("choice_design",),
    doc="latent-class logit: K by BIC, then membership covariates; every K tried; class names (EM: the slow part)")
