"""Numbers as a reader wants them, by declared unit: ¥ amounts, %, counts, and 万/亿 under Chinese.

Every number the report, the PDF and results.xlsx show goes through :func:`fmt`. A figure's unit
is declared (:data:`KEY_UNITS`, :data:`COLUMN_UNITS`, matched on the last part of a results key or
a column name); :func:`unit_of` falls back to hints in the name only for figures nobody declared.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Any, Literal

import numpy as np

Unit = Literal["cny", "pct", "pp", "count", "ratio", "elasticity", "number", "text"]

KEY_UNITS: dict[str, Unit] = {
    # money
    "brand_premium_cny": "cny", "wtp_cny": "cny", "price": "cny", "list_price": "cny", "price_paid": "cny",
    "avg_price": "cny", "gmv": "cny", "spend": "cny", "cost": "cny", "revenue": "cny", "margin": "cny",
    "optimal_price": "cny", "price_cny": "cny", "revenue_premium": "cny", "value_cny": "cny", "uplift_cny": "cny",
    # shares and rates
    "share": "pct", "premium_share": "pct", "premium_brand_share": "pct", "price_band_yoy": "pct", "yoy": "pct",
    "ctr": "pct", "visit_to_buy": "pct", "favorite_rate": "pct", "cart_rate": "pct", "conversion": "pct",
    "value_framing": "pct", "diversion": "pct", "cannibalisation": "pct", "loyalty": "pct", "awareness": "pct",
    "click_given_impression": "pct", "favorite_given_click": "pct", "cart_given_click": "pct",
    "order_given_cart": "pct", "premium": "pct", "mass": "pct", "growth": "pct", "rate": "pct",
    # counts
    "units": "count", "rows": "count", "rows_read": "count", "rows_loaded": "count", "rows_quarantined": "count",
    "size": "count", "depth": "count", "max_breadth": "count", "n": "count", "orders": "count", "users": "count",
    "impressions": "count", "clicks": "count", "visits": "count", "potential_units": "count", "m": "count",
    # ratios and coefficients
    "roi": "ratio", "price_elasticity": "elasticity", "elasticity": "elasticity", "structural_virality": "number",
    "sentiment": "number", "index": "number", "p": "number", "q": "number",
    "premium_share_change_pp": "number", "units_change": "pct", "confidence": "pct",
    "mroi": "ratio", "mroi_at_optimum": "ratio", "spearman": "number", "rho": "number", "mape": "pct",
    "uplift": "cny", "coverage": "pct", "contribution": "cny", "contribution_share": "pct", "excess_scr": "pct",
    "penetration": "pct", "penetration_obs": "pct", "scr": "pct", "scr_obs": "pct", "repeat_rate": "pct",
    "steady_state_share": "pct", "weight": "number", "cells": "count", "buyers": "count",
}
"""The unit of a results figure, by the last part of its key path that is declared here."""

COLUMN_UNITS: dict[str, Unit] = {**KEY_UNITS, "period": "text", "price_band": "text", "sku_id": "text"}
"""The unit of a table column, by its name."""

_PCT_HINTS = ("share", "yoy", "rate", "ctr", "visit_to_buy", "conversion", "framing")
_CNY_HINTS = ("_cny", "price", "gmv", "spend", "revenue", "budget")
_COUNT_HINTS = ("units", "count", "rows", "_num", "_den", "orders", "users", "visits", "clicks")


def unit_of(key: str) -> Unit:
    """The declared unit of a results key path (``funnel.jd.ctr``) or column name; hints when undeclared."""
    parts = [p for p in re.split(r"[.\[\]]", str(key)) if p]
    for part in reversed(parts):
        name = part.removesuffix("_ci").lower()
        if name in KEY_UNITS:
            return KEY_UNITS[name]
    low = ".".join(p for p in parts if re.fullmatch(r"[a-z0-9_]+", p)).lower()  # not data labels ("price-sensitive")
    if any(h in low for h in _PCT_HINTS):
        return "pct"
    if any(h in low for h in _CNY_HINTS):
        return "cny"
    if any(h in low for h in _COUNT_HINTS):
        return "count"
    return "number"


def _child_unit(parent: str, key: str, child: object) -> str | None:
    """A dict value's unit: its own when its key is a declared figure (``ctr``), else its parent's (a label)."""
    return None if str(child).removesuffix("_ci").lower() in KEY_UNITS else (unit_of(key) if key else parent)


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, numbers.Real) and not isinstance(value, bool)
                             and math.isnan(float(value)))


def big(x: float, lang: str, digits: int = 3) -> str:
    """A large magnitude: 1.23亿 / 4,560万 under zh; 1.23 bn / 4.56 m in English; small ones with separators."""
    a = abs(x)
    if lang == "zh":
        if a >= 1e8:
            return f"{_sig(x / 1e8, digits)}亿"
        if a >= 1e4:
            return f"{_sig(x / 1e4, digits)}万"
    else:
        if a >= 1e9:
            return f"{_sig(x / 1e9, digits)} bn"
        if a >= 1e6:
            return f"{_sig(x / 1e6, digits)} m"
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.{max(0, digits - len(str(int(a))))}f}" if a >= 1 else _sig(x, digits)


def _sig(x: float, digits: int) -> str:
    """``x`` to ``digits`` significant figures, thousands separated, no trailing zeros beyond need."""
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt(value: Any, unit: Unit | str | None = None, lang: str = "en", *, key: str = "") -> str:
    """One value formatted by ``unit`` (inferred from ``key`` when None); lists and intervals element-wise."""
    if is_missing(value):
        return "–"
    if isinstance(value, bool | np.bool_):
        return "✓" if value else "✗"
    unit = unit or unit_of(key)
    if isinstance(value, list | tuple):
        if len(value) == 2 and all(isinstance(v, numbers.Real) for v in value):
            return f"[{fmt(value[0], unit, lang)}, {fmt(value[1], unit, lang)}]"
        return ", ".join(fmt(v, unit, lang) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {fmt(v, _child_unit(unit, key, k), lang, key=f'{key}.{k}')}" for k, v in value.items())
    if not isinstance(value, numbers.Real):
        return str(value)
    x = float(value)
    if unit == "pct":
        if abs(x) > 10:  # already in percent, or not a share: show as it is
            return f"{x:,.1f}"
        return f"{x * 100:.1f}%"
    if unit == "pp":
        return f"{x * 100:+.1f} pp" if lang != "zh" else f"{x * 100:+.1f}个百分点"
    if unit == "cny":
        text = big(x, lang, 3) if abs(x) >= 1e4 else (f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}")
        return f"-¥{text[1:]}" if text.startswith("-") else f"¥{text}"
    if unit == "count":
        return big(x, lang, 3) if abs(x) >= 1e4 else (f"{int(x):,}" if x.is_integer() else f"{x:,.1f}")
    if unit in ("ratio", "elasticity"):
        return f"{x:.2f}"
    if unit == "text":
        return str(value)
    if isinstance(value, numbers.Integral):
        return big(x, lang) if abs(x) >= 1e4 else f"{int(value):,}"
    if abs(x) >= 1e4:
        return big(x, lang)
    return f"{x:.3g}"
