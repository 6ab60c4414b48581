"""Market structure: how the market splits by price band and brand, and how that moved.

Everything here is *counted* from a tracker's figures (IDC, Canalys, Counterpoint ...), not
estimated from a sample, so the figures carry no ``_ci`` sibling: the only uncertainty is the
tracker's own, which the data does not describe.

``market_sales`` rows are either band-level (period, region, brand, price_band) or model-level
(period, region, model). Before counting, the rows are made non-overlapping:

* **regions** — a period's national rows (``CN``) are used when it has any; otherwise its
  provinces are summed. National and provincial rows are never added together, and rows for
  other countries (``IN``, ``US`` ...) are left out.
* **band vs model rows** — when a (period, region, brand) has both, the band rows win and the
  model rows are dropped (they describe the same units twice).
* **model rows' band** — the row's own ``price_band``, else its ``avg_price``, else
  ``revenue / units``, else the average ``list_price`` of the model's SKUs in ``products`` (the list price
  first under ``premium_price = "list"``: the one rule of :mod:`upmarket.market_rules`).
  Rows with none of these still count in totals and brand shares but not in band figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

import ibis
import pandas as pd

from upmarket.analyses.base import Analysis, Finding, Need, Section, needs, register
from upmarket.findings import Slots
from upmarket.market_rules import (
    BAND_KEYS,
    BANDS,
    HEADLINE_BANDS,
    PREMIUM_BANDS,
    PREMIUM_GROUP,
    by_band_key,
    sold_row_band,
)
from upmarket.settings import Settings, option

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

BAND_GROUPS: tuple[str, ...] = HEADLINE_BANDS
"""The bands the headline sentence compares (mass bands and ``4000+``); ``price_band_yoy`` has every one of
``BAND_KEYS`` (the four bands and ``4000+``)."""

NATIONAL_NAMES = ("CN", "CHN", "CHINA", "中国", "全国", "中国大陆")
_COUNTRY_CODE = r"^[A-Z]{2,3}$"
_PERIOD = re.compile(r"^(\d{4})(?:H([12])|Q([1-4])|-(0[1-9]|1[0-2]))?$")
_DIGITS = 6


# --------------------------------------------------------------------------- periods
@dataclass(frozen=True, order=True)
class Period:
    """A tracker period: a year, a half, a quarter or a month."""

    start: date
    end: date
    label: str

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1


def parse_period(label: str) -> Period:
    """``2024``, ``2024H1``, ``2024Q4`` or ``2024-11`` as a :class:`Period`; ValueError otherwise."""
    m = _PERIOD.match(label.strip())
    if m is None:
        raise ValueError(f"period {label!r} is not like 2024, 2024H1, 2024Q4 or 2024-11")
    year, half, quarter, month = m.groups()
    y = int(year)
    if half:
        first, n = 6 * (int(half) - 1) + 1, 6
    elif quarter:
        first, n = 3 * (int(quarter) - 1) + 1, 3
    elif month:
        first, n = int(month), 1
    else:
        first, n = 1, 12
    last = first + n - 1
    end = date(y + 1, 1, 1) if last == 12 else date(y, last + 1, 1)
    return Period(date(y, first, 1), date.fromordinal(end.toordinal() - 1), label.strip())


def year_before(label: str) -> str:
    """The same period one year earlier: ``2024H1`` → ``2023H1``."""
    p = parse_period(label)
    return f"{p.start.year - 1}{p.label[4:]}"


def period_sort_key(label: str) -> tuple[date, int]:
    """Chronological order for charts: by start, longer periods first."""
    p = parse_period(label)
    return (p.start, -p.months)


def choose_yoy_period(comparable: list[str], requested: str | None = None) -> str | None:
    """The requested period when comparable, else the latest one ending last (ties: the longer)."""
    if requested is not None and requested in comparable:
        return requested
    if not comparable:
        return None
    return max(comparable, key=lambda p: (parse_period(p).end, parse_period(p).months))


def period_zh(label: str) -> str:
    """A period in Chinese: ``2024H1`` → ``2024年上半年``."""
    m = _PERIOD.match(label)
    if m is None:
        return label
    year, half, quarter, month = m.groups()
    if half:
        return f"{year}年{'上' if half == '1' else '下'}半年"
    if quarter:
        return f"{year}年第{'一二三四'[int(quarter) - 1]}季度"
    if month:
        return f"{year}年{int(month)}月"
    return f"{year}年"


# --------------------------------------------------------------------------- expressions
def _blank_to_null(col: ir.StringValue) -> ir.StringValue:
    return col.strip().nullif("")


def prepared_rows(warehouse: Warehouse, region: str | None = None, premium_price: str = "contract") -> ir.Table:
    """``market_sales`` with each row's band, its basis and whether it is used, as an Ibis expression.

    Columns: period, brand, band, basis, kind (``band``/``model``), region_status (``national``,
    ``province``, ``province_ignored``, ``foreign``), duplicate (a model row shadowed by band
    rows), units, rows.
    """
    t = warehouse.table("market_sales")
    model = _blank_to_null(t.model)
    t = t.mutate(
        period=t.period.strip(),
        brand=t.brand.strip(),
        region_key=t.region.strip().upper(),
        model_key=model.lower(),
        kind=ibis.ifelse(model.isnull(), "band", "model"),
    )
    national = [region.strip().upper()] if region else list(NATIONAL_NAMES)

    avg = t.avg_price
    per_unit = ibis.ifelse(t.units > 0, t.revenue / t.units, ibis.null("float64"))
    paid: list[tuple[str, ir.Value]] = [("avg_price", avg), ("revenue", per_unit)]
    # Always joined: an empty products table simply bands nothing.
    p = warehouse.table("products")
    lp = (
        p.mutate(model_key=p.model.strip().lower())
        .group_by("model_key")
        .aggregate(model_list_price=lambda s: s.list_price.mean())
    )
    t = t.left_join(lp, "model_key").drop("model_key_right")
    # the band by the one rule of market_rules (sold rows: the price paid first, unless premium_price = "list")
    band, basis = sold_row_band(t.price_band, [(n, v) for n, v in paid], t.model_list_price, premium_price)
    t = t.mutate(band=band, basis=basis)

    is_nat = t.region_key.isin(national)
    is_foreign = ~is_nat & t.region_key.re_search(_COUNTRY_CODE)
    period_win = ibis.window(group_by="period")
    t = t.mutate(period_has_national=is_nat.any().over(period_win))
    t = t.mutate(
        region_status=ibis.cases(
            (is_nat, "national"),
            (is_foreign, "foreign"),
            (t.period_has_national, "province_ignored"),
            else_="province",
        )
    )
    key_win = ibis.window(group_by=["period", "region_key", "brand"])
    t = t.mutate(duplicate=(t.kind == "model") & (t.kind == "band").any().over(key_win))
    return t.group_by(["period", "brand", "band", "basis", "kind", "region_status", "duplicate"]).aggregate(
        units=t.units.sum(), rows=t.count()
    )


# --------------------------------------------------------------------------- counting
def _round(x: float) -> float:
    return round(float(x), _DIGITS)


def _growth(now: float, before: float) -> float | None:
    return None if before <= 0 else _round(now / before - 1.0)


def _shares(frame: pd.DataFrame, by: str, key: str) -> pd.DataFrame:
    """Units summed by (by, key) with each key's share within ``by``."""
    out = frame.groupby([by, key], as_index=False)["units"].sum()
    total = out.groupby(by)["units"].transform("sum")
    out["share"] = (out["units"] / total.where(total > 0)).fillna(0.0)
    out["units"] = out["units"].astype("int64")
    return out.sort_values([by, "units"], ascending=[True, False], key=None).reset_index(drop=True)


def _nested(frame: pd.DataFrame, by: str, key: str, value: str = "share") -> dict[str, dict[str, float]]:
    return {
        str(p): {str(k): _round(v) for k, v in zip(g[key], g[value], strict=True)}
        for p, g in frame.groupby(by, sort=False)
    }


def _children(label: str) -> dict[str, list[str]]:
    """The quarter and month labels that make up a year, half or quarter, by granularity."""
    p = parse_period(label)
    months = [f"{p.start.year}-{m:02d}" for m in range(p.start.month, p.end.month + 1)]
    quarters = [f"{p.start.year}Q{q}" for q in range((p.start.month + 2) // 3, p.end.month // 3 + 1)]
    return {"quarter": quarters if p.months > 3 else [], "month": months if p.months > 1 else []}


def roll_up(used: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Add years, halves and quarters a tracker did not report, summed from complete quarters or months.

    Trackers often deliver quarters only; the paper's figures are by half-year and year. A
    derived period is added only when every quarter (or every month) of it is present and the
    period itself is not, so nothing is counted twice.
    """
    present = set(used["period"])
    fine = [parse_period(p) for p in present if parse_period(p).months in (1, 3)]
    candidates: set[str] = set()
    for p in fine:
        y = p.start.year
        candidates |= {str(y), f"{y}H{1 if p.start.month <= 6 else 2}"}
        if p.months == 1:
            candidates.add(f"{y}Q{(p.start.month + 2) // 3}")
    derived: dict[str, list[str]] = {}
    extra = []
    for label in sorted(candidates - present, key=period_sort_key):
        for parts in _children(label).values():
            if parts and all(c in present for c in parts):
                extra.append(used[used["period"].isin(parts)].assign(period=label))
                derived[label] = parts
                break
    return (pd.concat([used, *extra], ignore_index=True) if extra else used), derived


@dataclass
class MarketCounts:
    """The counted market, ready for results.json, tables, charts and findings."""

    figures: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    warnings: list[str]


def count_market(rows: pd.DataFrame, yoy_period: str | None = None) -> MarketCounts:
    """Turn the materialised output of :func:`prepared_rows` into figures and tables."""
    warnings: list[str] = []
    rows = rows.copy()
    rows["units"] = rows["units"].fillna(0).astype("int64")

    def note(mask: pd.Series, what: str) -> None:
        sub = rows[mask]
        if len(sub):
            periods = ", ".join(sorted(sub["period"].unique(), key=period_sort_key))
            warnings.append(f"{what}: {int(sub['rows'].sum())} row(s), {int(sub['units'].sum()):,} units ({periods})")

    note(rows["duplicate"], "model rows dropped because band rows cover the same period, region and brand")
    note(rows["region_status"] == "province_ignored", "province rows ignored in periods that have national (CN) rows")
    note(rows["region_status"] == "foreign", "rows for other countries left out of the China market")
    is_used = rows["region_status"].isin(["national", "province"]) & ~rows["duplicate"]
    used, derived = roll_up(rows[is_used])
    if derived:
        warnings.append(
            "periods summed from their quarters or months: "
            + ", ".join(f"{p} = {' + '.join(parts)}" for p, parts in derived.items())
        )
    summed = sorted(used.loc[used["region_status"] == "province", "period"].unique(), key=period_sort_key)
    if summed:
        warnings.append(f"no national (CN) rows: national figures summed from provinces for {', '.join(summed)}")
    note(
        is_used & rows["band"].isna(),
        "model rows with no price band, avg_price, revenue or matching products.list_price: "
        "counted in totals and brand shares, left out of band figures",
    )
    by_basis = used[(used["kind"] == "model") & used["band"].notna()].groupby("basis")["rows"].sum()
    if len(by_basis):
        warnings.append(
            "model rows banded by " + ", ".join(f"{b} ({int(n)} rows)" for b, n in by_basis.items())
        )

    banded = used[used["band"].notna()]
    units_by_band = _shares(banded, "period", "band")
    units_by_band["order"] = units_by_band["band"].map({b: i for i, b in enumerate(BANDS)})
    units_by_band = units_by_band.sort_values(["period", "order"]).drop(columns="order").reset_index(drop=True)
    units_by_brand = _shares(used, "period", "brand")
    premium = banded[banded["band"].isin(PREMIUM_BANDS)]
    premium_by_brand = _shares(premium, "period", "brand")

    periods = sorted(used["period"].unique(), key=period_sort_key)
    band_periods = sorted(banded["period"].unique(), key=period_sort_key)
    units = used.groupby("period")["units"].sum()
    banded_units = banded.groupby("period")["units"].sum()
    premium_units = premium.groupby("period")["units"].sum().reindex(band_periods, fill_value=0)
    grouped = by_band_key(banded, ["period"])  # the four bands and the premium aggregate

    yoy_by_period: dict[str, dict[str, float | None]] = {}
    for p in band_periods:
        prior = year_before(p)
        if prior not in banded_units.index:
            continue
        yoy_by_period[p] = {
            g: _growth(grouped.get((p, g), 0), grouped.get((prior, g), 0)) for g in BAND_KEYS
        }
        empty = [g for g, v in yoy_by_period[p].items() if v is None and g in BAND_GROUPS]
        if empty:
            warnings.append(f"{p}: no units in {', '.join(empty)} in {prior}, so no growth for it")
    comparable = list(yoy_by_period)
    if yoy_period is not None and yoy_period not in comparable:
        warnings.append(
            f"yoy_period {yoy_period!r} has no band figures for it and the year before; "
            f"comparable periods: {', '.join(comparable) or 'none'}"
        )
    chosen = choose_yoy_period(comparable, yoy_period)

    def yoy_nested(frame: pd.DataFrame, key: str) -> dict[str, dict[str, float | None]]:
        idx = frame.set_index(["period", key])["units"]
        out: dict[str, dict[str, float | None]] = {}
        for p in periods:
            prior = year_before(p)
            if prior not in set(frame["period"]) or p not in set(frame["period"]):
                continue
            keys = frame.loc[frame["period"] == p, key]
            out[p] = {str(k): _growth(idx.get((p, k), 0), idx.get((prior, k), 0)) for k in keys}
        return out

    figures: dict[str, Any] = {
        "price_band_yoy": dict(yoy_by_period[chosen]) if chosen else {},
        "yoy_period": chosen,
        "price_band_yoy_by_period": yoy_by_period,
        "premium_share": {
            p: _round(premium_units[p] / banded_units[p]) for p in band_periods if banded_units[p] > 0
        },
        "premium_brand_share": _nested(premium_by_brand, "period", "brand"),
        "premium_units": {p: int(premium_units[p]) for p in band_periods},
        "premium_brand_yoy": yoy_nested(premium_by_brand, "brand"),
        "units": {p: int(units[p]) for p in periods},
        "units_yoy": {
            p: _growth(units[p], units[year_before(p)]) for p in periods if year_before(p) in units.index
        },
        "brand_share": _nested(units_by_brand, "period", "brand"),
        "brand_units": _nested(units_by_brand, "period", "brand", "units"),
        "brand_yoy": yoy_nested(units_by_brand, "brand"),
    }
    figures["brand_units"] = {p: {b: int(v) for b, v in d.items()} for p, d in figures["brand_units"].items()}
    tables = {
        "units_by_band": units_by_band[["period", "band", "units", "share"]].rename(columns={"band": "price_band"}),
        "units_by_brand": units_by_brand[["period", "brand", "units", "share"]],
        "premium_by_brand": premium_by_brand[["period", "brand", "units", "share"]],
    }
    return MarketCounts(figures, tables, warnings)


# --------------------------------------------------------------------------- findings
def _band(s: Slots, name: str, band: str) -> tuple[str, str]:
    """A price band's words in English and Chinese, its bounds as ¥ slots (``<2000`` → "<¥2,000" / ¥2,000以下)."""
    low = re.fullmatch(r"<(\d+)", band)
    if low:
        hi = s(f"{name}_high", float(low[1]), "cny")
        return f"<{hi}", f"{hi}以下"
    top = re.fullmatch(r"(\d+)\+", band)
    if top:
        lo = s(f"{name}_low", float(top[1]), "cny")
        return f"{lo} or more", f"{lo}及以上"
    mid = re.fullmatch(r"(\d+)-(\d+)", band)
    if mid:
        lo, hi = s(f"{name}_low", float(mid[1]), "cny"), s(f"{name}_high", float(mid[2]), "cny")
        return f"{lo}–{hi}", f"{lo}–{hi}"
    text = s(name, band, "text")
    return text, text


def _change(s: Slots, name: str, growth: float, key: str) -> tuple[str, str]:
    """'grew {g}' / 'fell {g}' and 同比增长/同比下降, the growth a slot printed as its magnitude."""
    g = s(name, growth, "pct-", key)
    return (f"grew {g}", f"同比增长{g}") if growth >= 0 else (f"fell {g}", f"同比下降{g}")


def findings(figures: dict[str, Any], focal_brand: str) -> list[Finding]:
    """The findings, as templates whose slots cite the figures (periods and bands as slots the report words)."""
    out: list[Finding] = []
    p = figures.get("yoy_period")
    yoy = figures.get("price_band_yoy") or {}
    if p and yoy.get(PREMIUM_GROUP) is not None:
        s = Slots()
        period = s("period", p, "period")
        others = [(b, yoy[b]) for b in BAND_GROUPS if b != PREMIUM_GROUP and yoy.get(b) is not None]
        band_en, band_zh = _band(s, "premium", PREMIUM_GROUP)
        up_en, up_zh = _change(s, "premium_growth", yoy[PREMIUM_GROUP], f"market.price_band_yoy.{PREMIUM_GROUP}")
        en = f"Units at {band_en} {up_en} year on year in {period}"
        zh = f"{period}{band_zh}价位段销量{up_zh}"
        if others:
            words = [(_band(s, f"band{i}", b), _change(s, f"growth{i}", g, f"market.price_band_yoy.{b}"))
                     for i, (b, g) in enumerate(others)]
            en += " while " + " and ".join(f"{b_en} {c_en}" for (b_en, _), (c_en, _) in words)
            zh += "，" + "，".join(f"{b_zh}价位段{c_zh}" for (_, b_zh), (_, c_zh) in words)
        out.append(Finding.of("market.price_band_yoy", s.template(en + ".", zh + "。")))
    share = figures.get("premium_share") or {}
    if share:
        latest = max(share, key=lambda q: (parse_period(q).end, parse_period(q).months))
        prior = year_before(latest)
        s = Slots()
        band_en, band_zh = _band(s, "premium", PREMIUM_GROUP)
        lp, ls = s("period", latest, "period"), s("share", share[latest], "pct", f"market.premium_share.{latest}")
        en = f"Premium phones ({band_en}) were {ls} of units in {lp}"
        zh = f"{lp}高端机型（{band_zh}）占销量的{ls}"
        if prior in share:
            pp = s("prior_period", prior, "period")
            ps = s("prior_share", share[prior], "pct", f"market.premium_share.{prior}")
            en += f", against {ps} in {pp}"
            zh += f"，{pp}为{ps}"
        out.append(Finding.of("market.premium_share", s.template(en + ".", zh + "。")))
    pbs = figures.get("premium_brand_share") or {}
    if pbs:
        latest = max(pbs, key=lambda q: (parse_period(q).end, parse_period(q).months))
        prior = year_before(latest)
        shares = pbs[latest]
        top = sorted(shares.items(), key=lambda kv: -kv[1])[:2]
        s = Slots()
        lp = s("period", latest, "period")
        parts_en, parts_zh = [], []
        for i, (b, v) in enumerate(top):
            bn, sh = s(f"brand{i}", b, "brand"), s(f"share{i}", v, "pct", f"market.premium_brand_share.{latest}.{b}")
            en, zh = f"{bn} held {sh}", f"{bn}份额{sh}"
            if b in pbs.get(prior, {}):
                pp = s("prior_period", prior, "period")
                ps = s(f"prior_share{i}", pbs[prior][b], "pct", f"market.premium_brand_share.{prior}.{b}")
                en, zh = f"{en} ({ps} in {pp})", f"{zh}（{pp}为{ps}）"
            parts_en.append(en)
            parts_zh.append(zh)
        out.append(Finding.of("market.premium_brands", s.template(
            f"In the premium band in {lp}, " + " and ".join(parts_en) + ".",
            f"{lp}高端市场中，" + "，".join(parts_zh) + "。")))
        focal = shares.get(focal_brand)
        growth = (figures.get("premium_brand_yoy") or {}).get(latest, {}).get(focal_brand)
        s = Slots()
        fb, lp = s("brand", focal_brand, "brand"), s("period", latest, "period")
        if focal is None:
            out.append(Finding.of("market.premium_focal", s.template(
                f"{fb} has no premium units in {lp}.", f"{lp}{fb}在高端市场没有销量。"),
                {f"market.premium_brand_share.{latest}": shares}))
        elif focal_brand not in dict(top):
            fs = s("share", focal, "pct", f"market.premium_brand_share.{latest}.{focal_brand}")
            en = f"{fb} held {fs} of the premium band in {lp}"
            zh = f"{lp}{fb}在高端市场的份额为{fs}"
            if growth is not None:
                c_en, c_zh = _change(s, "growth", growth, f"market.premium_brand_yoy.{latest}.{focal_brand}")
                en += f"; its premium units {c_en} year on year"
                zh += f"，高端销量{c_zh}"
            out.append(Finding.of("market.premium_focal", s.template(en + ".", zh + "。")))
    return out


# --------------------------------------------------------------------------- the analysis
@dataclass(frozen=True)
class MarketSettings(Settings):
    """Which region and which year-on-year period the headline figures are for."""

    table = "market"

    region: str | None = option(None, doc="the region code whose rows are counted", default_doc="the national "
                                "region (`CN`), else every row")
    yoy_period: str | None = option(None, doc="the period of the headline `price_band_yoy` (`2024H1`)",
                                    default_doc="the latest comparable period")


@register
class MarketStructure(Analysis):
    """Price-band growth, premium share and who holds the premium band, from ``market_sales``.

    Options (``[market]`` in upmarket.toml): ``yoy_period`` — the period of the headline
    ``price_band_yoy`` (default: the latest comparable one); ``region`` — the national region
    code (default ``CN``).
    """

    name = "market"
    order = 10
    title = "Market structure"
    title_zh = "市场结构"
    requires = ("market_sales",)
    optional = ("products",)
    _banded = needs("market_sales:price_band", "market_sales:model,avg_price", "market_sales:model,revenue",
                    "market_sales:model & products")  # a row's band: its own, else from a price (module doc)
    figure_needs: ClassVar[dict[str, Need]] = dict.fromkeys(
        ("price_band_yoy", "premium_share", "premium_brand_share"), _banded)
    settings_type = MarketSettings

    def run(self, warehouse: Warehouse, config: Config) -> Section:
        opts: MarketSettings = config.settings("market")
        rows = prepared_rows(warehouse, opts.region, config.premium_price).to_pandas()
        counts = count_market(rows, opts.yoy_period)
        return Section(
            name=self.name,
            title=self.title,
            title_zh=self.title_zh,
            figures=counts.figures,
            tables=counts.tables,
            findings=findings(counts.figures, config.focal_brand),
            warnings=counts.warnings,
        )
