"""A saved demand fit (the ``demand_fit`` artefact, OUT/artefacts/demand_fit/) reloaded for price what-ifs (no pyblp).

The share equation is the one of :mod:`upmarket.analyses.demand.export`; :meth:`DemandFit.shares` reproduces pyblp's
``compute_shares`` of the fit, and :meth:`DemandFit.simulate` turns price moves into units, shares, diversion to each
brand (the sub-brand's share of it is the cannibalisation) and margins. The file format is docs/artefacts-demand.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import logsumexp

ARTEFACT = "demand_fit"
FORMAT = "upmarket.demand_fit"
OUTSIDE = "outside"
OTHER_BANDS = "other bands"


class DemandFitError(ValueError):
    """The saved demand fit is missing or unreadable (the message names the file)."""


@dataclass
class DemandFit:
    """A reloaded demand fit: product rows (``products``) and the arrays of the share equation."""

    meta: dict[str, Any]
    products: pd.DataFrame
    arrays: dict[str, np.ndarray]

    @property
    def focal_brand(self) -> str:
        return str(self.meta["focal_brand"])

    @property
    def sub_brands(self) -> list[str]:
        return list(self.meta.get("sub_brands", []))

    @property
    def segments(self) -> list[str]:
        """Consumer segments the fit integrates over (the conjoint's classes), in order; [] without them."""
        return list(dict.fromkeys(self.meta.get("agent_segments", [])))

    def _agent_weights(self, segment: str | None) -> np.ndarray:
        """Integration weights, zero outside ``segment`` (None: every agent)."""
        w = self.arrays["agent_weights"]
        if segment is None:
            return w
        names = self.meta.get("agent_segments", [])
        if segment not in names:
            known = ", ".join(self.segments) or "none"
            raise ValueError(f"no consumer segment {segment!r} in the demand fit (segments: {known})")
        types = [k for k, name in enumerate(names) if name == segment]
        return np.where(np.isin(self.arrays["agent_type"], types), w, 0.0)

    def shares(self, prices_cny: np.ndarray | None = None, segment: str | None = None) -> np.ndarray:
        """Market shares of every product row at ``prices_cny`` (default: the observed prices); with ``segment``,
        the units that segment buys over the market size (its weight in the market times its own shares)."""
        a = self.arrays
        weights = self._agent_weights(segment)
        delta, x2 = a["delta"], a["x2"]
        if prices_cny is not None:
            dp = (np.asarray(prices_cny, float) - self.products["prices_cny"].to_numpy(float)) / float(
                self.meta["price_unit_cny"])
            delta = delta + a["ddelta_dprice"] * dp
            x2 = x2 + a["dx2_dprice"] * dp[:, None]
        rho = self.meta.get("rho")
        out = np.zeros(len(delta))
        for t in range(len(self.meta["markets"])):
            rows = np.flatnonzero(a["market"] == t)
            agents = np.flatnonzero(a["agent_market"] == t)
            v = delta[rows][None, :] + a["agent_coef"][agents] @ x2[rows].T  # agents × products
            if rho is None:
                log_denominator = logsumexp(np.column_stack([np.zeros(len(agents)), v]), axis=1)
                prob = np.exp(v - log_denominator[:, None])
            else:
                prob = _nested(v, a["nest"][rows], float(rho))
            out[rows] = weights[agents] @ prob
        return out

    def simulate(self, price_change_cny: Mapping[str, float], *, period: str | None = None,
                 regions: Iterable[str] | None = None, bands: Iterable[str] | None = None,
                 cost_ratio: float | None = None, segment: str | None = None) -> pd.DataFrame:
        """Per brand (and ``outside``), in one period's markets (default: the latest), optionally some regions only:
        units and shares before and after moving each named model's price by the given CNY (in those markets), the
        change, the diversion (a brand's gain over the moved models' units lost; the sub-brand's is the
        cannibalisation) and the margin (price − cost) × units. With ``bands`` (list-price bands: the segment view)
        the products of the other bands are one row, ``other bands``. ``cost_ratio`` (cost / observed price) replaces
        the saved costs; ``share`` is of the market (outside good included), ``share_inside`` of phone sales.
        ``segment`` (a consumer segment of the fit, :attr:`segments`) counts that segment's buyers only."""
        p = self.products
        period = period or sorted(p["period"].unique())[-1]
        scope = (p["period"] == period).to_numpy()
        if regions is not None:
            scope = scope & p["region"].isin(list(regions)).to_numpy()
        if not scope.any():
            raise ValueError(f"no product rows in period {period!r} and the chosen regions")
        unknown = sorted(set(price_change_cny) - set(p["model"]))
        if unknown:
            raise ValueError(f"no model named {', '.join(map(repr, unknown))} in the demand fit")
        base_price = p["prices_cny"].to_numpy(float)
        change = p["model"].map(price_change_cny).fillna(0.0).to_numpy(float) * scope
        new_price = base_price + change
        size = p["potential_units"].to_numpy(float)
        s0, s1 = self.shares(segment=segment), self.shares(new_price, segment=segment)
        u0, u1 = s0 * size * scope, s1 * size * scope
        cost = self.arrays["costs_cny"] if cost_ratio is None else float(cost_ratio) * base_price
        label = p["brand"] if bands is None else p["brand"].where(p["band"].isin(list(bands)), OTHER_BANDS)
        frame = pd.DataFrame({"brand": label, "units": u0, "units_new": u1,
                              "margin_cny": (base_price - cost) * u0, "margin_new_cny": (new_price - cost) * u1})
        out = frame.groupby("brand").sum()
        weight = self._agent_weights(segment)
        in_segment = np.bincount(self.arrays["agent_market"], weights=weight, minlength=len(self.meta["markets"]))
        first = scope & _first_row_of_market(p)
        potential = float((size[first] * in_segment[self.arrays["market"][first]]).sum())
        out.loc[OUTSIDE] = [potential - u0.sum(), potential - u1.sum(), np.nan, np.nan]
        out["units_change"] = out["units_new"] - out["units"]
        out["share"], out["share_new"] = out["units"] / potential, out["units_new"] / potential
        inside = out.drop(index=OUTSIDE)
        out["share_inside"] = inside["units"] / inside["units"].sum()
        out["share_inside_new"] = inside["units_new"] / inside["units_new"].sum()
        moved = change != 0
        lost = float(u0[moved].sum() - u1[moved].sum())
        gained = pd.Series(u1 - u0).where(~moved, 0.0).groupby(label.to_numpy()).sum()
        gained[OUTSIDE] = float(out.loc[OUTSIDE, "units_change"])
        out["diversion"] = gained.reindex(out.index) / lost if abs(lost) > 1e-9 else np.nan
        out.attrs.update(period=period, units_lost=lost, markets=len(pd.unique(p.loc[scope, "market_ids"])))
        return out


def _first_row_of_market(products: pd.DataFrame) -> np.ndarray:
    return ~products["market_ids"].duplicated().to_numpy()


def _nested(v: np.ndarray, nests: np.ndarray, rho: float) -> np.ndarray:
    """Nested-logit choice probabilities (agents × products) with one ρ, as pyblp defines them."""
    scaled = v / (1.0 - rho)
    prob = np.zeros_like(v)
    log_inclusive = []
    codes = np.unique(nests)
    for h in codes:
        cols = nests == h
        log_d = logsumexp(scaled[:, cols], axis=1)  # log D_ih
        prob[:, cols] = np.exp(scaled[:, cols] - log_d[:, None])  # within-nest probabilities
        log_inclusive.append((1.0 - rho) * log_d)
    stacked = np.column_stack([np.zeros(len(v)), *log_inclusive])
    log_denominator = logsumexp(stacked, axis=1)
    for i, h in enumerate(codes):
        cols = nests == h
        prob[:, cols] *= np.exp(log_inclusive[i] - log_denominator)[:, None]
    return prob


def load_demand_fit(out: str | Path) -> DemandFit:
    """The ``demand_fit`` artefact of a finished run, read through the store's loader (no warehouse, no refit)."""
    meta, arrays, path = load_saved_model(out, ARTEFACT, DemandFitError,
                                          "no saved demand fit (run `upmarket analyze` with the demand analysis)")
    if meta.get("format") != FORMAT:
        raise DemandFitError(f"{path}: format {meta.get('format')!r}, expected {FORMAT!r}")
    if "delta" not in arrays or "products" not in meta:
        raise DemandFitError(f"{path}: the demand fit lacks its products or arrays")
    products = pd.DataFrame(meta.pop("products"))
    if len(products) != len(arrays["delta"]):
        raise DemandFitError(f"{path}: {len(arrays['delta'])} rows of arrays for {len(products)} products")
    return DemandFit(meta, products, arrays)


def load_saved_model(out: str | Path, name: str, error: type[Exception], absent: str
                     ) -> tuple[dict[str, Any], dict[str, np.ndarray], Path]:
    """(meta, arrays, path) of the saved model artefact ``name`` (:class:`upmarket.artefacts.SavedModel`); ``error``
    naming the file when it is absent (``absent`` says why) or unreadable."""
    from upmarket.artefacts import ARTEFACTS_DIR, META_FILE, SavedModel, load_saved

    path = Path(out) / ARTEFACTS_DIR / name / META_FILE
    if not path.is_file():
        raise error(f"{path}: {absent}")
    try:
        saved = load_saved(out, name)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise error(f"{path}: not readable ({exc})") from exc
    if not isinstance(saved, SavedModel):
        raise error(f"{path}: holds a {type(saved).__name__}, not a saved model")
    return dict(saved.meta), dict(saved.arrays), path
