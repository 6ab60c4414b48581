"""Price plan per segment × city tier × channel: the margin-maximising focal price under the conjoint demand.

Demand per cell is the segment's latent-class logit (segments analysis; price coefficient at the class mean),
scaled by the city tier's price sensitivity relative to all respondents (an MNL per tier). The choice set is the
focal brand's flagship configuration, the sub-brand's top model at its price *on that channel*, one product per
rival brand at that brand's typical effective price *on that channel* (listings × products; market_sales or
3,000 CNY when absent), and no purchase.

**Channels** are the platforms a brand prices separately (coupons, channel-exclusive configurations): the
segment × tier's channel mix comes from ``orders`` × ``users``, the observed-group proxy P(segment | tier, age)
spreading each order over segments (``segments.stp.group_proxy``). Each channel has its own rivals' and
sub-brand's prices and platform fee (``[pricing_plan] channel_fee``, default none); the channel prices of a cell
are optimised jointly, within ``channel_spread`` (10 %) of the lowest, and shown as one list price per cell with a
coupon per channel. The conjoint has no channel attribute, so price sensitivity does not differ by channel
beyond the segment × tier mix: the plan says so in its warnings.

Constraints and the optimiser: ``optimise.py`` (floor, ladder above the sub-brand, diversion cap into the
sub-brand, the 6,000 CNY subsidy cap). Units and margin are per 1,000 shoppers of the cell. Uncertainty: the
plan is re-solved for ``draws`` draws of the class coefficients from their estimated covariance; 5th–95th
percentiles of price, units and margin are shown. Options (``[pricing_plan]``): ``cost_share`` (0.6 of the
floor), ``floor`` (3999), ``sub_price`` (default: the sub-brand's 90th-percentile effective price per channel, else
1999), ``ladder_gap`` (500), ``diversion_cap`` (0.3), ``objective`` ("margin"), ``draws`` (30), ``seed`` (0),
``channel_spread`` (0.1), ``channel_fee`` ({platform: share}), ``min_tier`` (30 respondents).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import ibis
import numpy as np
import pandas as pd

from upmarket.analyses.base import Analysis, Finding, Need, Section, needs, register
from upmarket.analyses.pricing_plan.optimise import (
    Cell,
    binding,
    describe,
    optimise,
    optimise_channels,
    paid,
    shares,
    unconstrained,
    value,
)
from upmarket.analyses.pricing_plan.settings import PricingPlanSettings
from upmarket.contract.codes import NATIONAL_SUBSIDY
from upmarket.estimation import CI_LEVEL
from upmarket.findings import Slots
from upmarket.warehouse.source import to_frame

if TYPE_CHECKING:
    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

__all__ = ["Cell", "PricingPlan", "channel_context", "channel_mix", "optimise", "optimise_channels", "paid",
           "plan_summary", "shares", "uniform_price"]

ALL = "all"
BOUND_ZH = {"floor": "底价", "ladder": "子品牌价格阶梯", "diversion_cap": "子品牌分流上限", "subsidy_cap": "国补上限",
            "ceiling": "搜索上限", "channel_spread": "渠道价差上限"}


def _utility(beta: np.ndarray, names: list[str], brand: str, price: float, top: bool) -> float:
    """Utility of a product of ``brand`` at ``price``: top levels of every attribute when ``top``, else base."""
    u = -0.0
    for j, n in enumerate(names):
        if n == f"brand={brand}":
            u += beta[j]
        elif n == "price":
            u += beta[j] * price / 1000
        elif "=" in n and not n.startswith("brand=") and top:
            prefix = n.split("=")[0]
            last = [m for m in names if m.startswith(prefix + "=")][-1]
            u += beta[j] if n == last else 0.0
    return u


def channel_mix(warehouse: Warehouse, posterior: pd.DataFrame) -> pd.DataFrame | None:
    """Share of each segment × city tier's orders per platform: columns segment, city_tier, platform, weight.

    Orders are spread over segments by P(segment | tier, age band) (the STP proxy); the tier ``all`` pools tiers.
    None without orders or users matching the respondents."""
    from upmarket.choice.proxy import group_proxy

    if not (warehouse.has_rows("orders") and warehouse.has_rows("users")):
        return None
    proxy = group_proxy(warehouse, posterior)
    if proxy is None:
        return None
    o, u = warehouse.table("orders"), warehouse.table("users")
    n = to_frame(o.filter(o.units > 0).join(u, "user_id")
                 .group_by(o.user_id, o.platform, city_tier=u.city_tier.fill_null("?"))
                 .agg(units=o.units.sum().cast("float64")))
    if n.empty:
        return None
    segs = [c for c in proxy.columns if c != "user_id"]
    m = n.merge(proxy, on="user_id")
    w = m[segs].mul(m["units"], axis=0)
    w[["city_tier", "platform"]] = m[["city_tier", "platform"]]
    long = w.melt(id_vars=["city_tier", "platform"], var_name="segment", value_name="units")
    by_tier = long.groupby(["segment", "city_tier", "platform"], as_index=False)["units"].sum()
    pooled = long.groupby(["segment", "platform"], as_index=False)["units"].sum().assign(city_tier=ALL)
    out = pd.concat([by_tier, pooled], ignore_index=True)
    out["weight"] = out["units"] / out.groupby(["segment", "city_tier"])["units"].transform("sum")
    return out[["segment", "city_tier", "platform", "weight"]]


def recent_listing_prices(warehouse: Warehouse, days: int = 90) -> pd.DataFrame:
    """Per platform × brand over the listings' last ``days`` days: median price, 90th percentile (``top``) and
    mean coupon depth (1 − price / list price)."""
    p = warehouse.table("products")
    brands = p.group_by("sku_id").agg(brand=p.brand.arbitrary())
    listings = warehouse.table("listings")
    recent = listings.cross_join(listings.aggregate(last=listings.date.max()))
    recent = recent.filter(recent.price > 0, recent.date >= recent["last"] - ibis.interval(days=days))
    return to_frame(recent.join(brands, "sku_id").group_by("platform", "brand").agg(
        price=recent.price.median(), top=recent.price.quantile(0.9),
        coupon=(1 - recent.price / recent.list_price.nullif(0)).mean()))


def channel_context(warehouse: Warehouse, brands: list[str], sub_brand: str, focal: str,
                    fallback: pd.Series | None) -> pd.DataFrame | None:
    """Per platform: each brand's median effective price (last 90 days of listings), the sub-brand's
    90th-percentile price (its top models) and the focal brand's mean coupon depth (1 − price / list price).

    Wide frame indexed by platform: one column per brand (CNY), ``sub_top`` and ``focal_coupon``. A brand not
    listed on a platform gets its median over all platforms (buyers compare across platforms), else
    ``fallback`` (market_sales street price, 1000 CNY). None without listings and products."""
    if not (warehouse.has_rows("listings") and warehouse.has_rows("products")):
        return None
    df = recent_listing_prices(warehouse)
    if df.empty:
        return None
    wide = df.pivot_table(index="platform", columns="brand", values="price")
    overall = df.groupby("brand")["price"].median()
    for b in brands:
        if b not in wide:
            wide[b] = np.nan
        default = overall.get(b, np.nan)
        if not np.isfinite(default) and fallback is not None and b in fallback:
            default = 1000 * float(fallback[b])
        wide[b] = wide[b].fillna(default)
    top = df[df["brand"] == sub_brand].set_index("platform")["top"]
    wide["sub_top"] = top.reindex(wide.index).fillna(top.median() if len(top) else np.nan)
    coupon = df[df["brand"] == focal].set_index("platform")["coupon"]
    wide["focal_coupon"] = coupon.reindex(wide.index)
    return wide


@register
class PricingPlan(Analysis):
    name = "pricing_plan"
    settings_type = PricingPlanSettings
    order = 70
    title = "Price plan by segment, city tier and channel"
    title_zh = "分人群、分城市级别、分渠道定价方案"
    requires = ("choices",)
    optional = ("users", "market_sales", "orders", "listings", "products")
    results_key: ClassVar[str] = "pricing_plan"
    consumes = ("choice_design", "latent_classes")
    figure_needs: ClassVar[dict[str, Need]] = {
        "price": needs("choices"),
        "by_city_tier": needs("choices & users:city_tier"),  # a price per tier from the tier's respondents
        "by_channel": needs("choices & orders & users & listings & products"),  # channel mix and rivals' prices
    }

    def run(self, warehouse: Warehouse, config: Config) -> Section:
        from upmarket.choice.design import ChoiceData, ChoiceDataError
        from upmarket.choice.latent import LatentSegments
        from upmarket.choice.mnl import fit_mnl
        from upmarket.market_rules import brand_street_price

        o: PricingPlanSettings = config.settings("pricing_plan")
        focal = config.focal_brand
        data: ChoiceData = self.artefacts["choice_design"]
        levels = data.levels["brand"]
        if focal not in levels:
            raise ChoiceDataError(f"choices: the focal brand {focal!r} is not a level of the conjoint's brand column "
                                  f"(levels: {', '.join(levels)}), so there is no price to plan for it")
        # the sub-brand the ladder is built on: the first configured sub-brand the conjoint has, if any
        ref = next((b for b in (config.sub_brands or []) if b in levels and b != focal), None)
        warnings: list[str] = []
        if ref is None:
            warnings.append(f"pricing_plan: the conjoint has no sub-brand of {focal} among its brand levels "
                            f"({', '.join(levels)}): no price ladder, diversion cap or cannibalisation")
        latent: LatentSegments = self.artefacts["latent_classes"]  # the segments' classes
        best, seg_names = latent.best, list(latent.names)
        warnings.extend(latent.warnings)
        prices = brand_street_price(warehouse)
        brands = data.levels["brand"]
        rivals = [b for b in brands if b not in (focal, ref)]
        floor = o.floor
        spread = o.channel_spread
        fees = dict(o.channel_fee)
        ip = data.price_index
        tiers: dict[str, float] = {ALL: 1.0}
        if warehouse.has_rows("users"):
            users = to_frame(warehouse.table("users").select("user_id", "city_tier"))
            users = users[users["user_id"].isin(set(data.respondents))]
            a_all = -fit_mnl(data).params[ip]
            for t, ids in users.groupby("city_tier")["user_id"]:
                if len(ids) >= o.min_tier:
                    tiers[str(t)] = float(-fit_mnl(data.subset(ids.to_numpy())).params[ip] / a_all)
        posterior = pd.DataFrame(best.posterior, columns=seg_names).assign(respondent_id=data.respondents)
        mix = channel_mix(warehouse, posterior)
        ctx = channel_context(warehouse, brands, ref or "", focal, prices)
        if mix is None or ctx is None:
            warnings.append("pricing_plan: no orders × users or no listings × products, so no channel split: one "
                            "price per segment × tier against market prices")
            mix = pd.DataFrame([(s, t, ALL, 1.0) for s in seg_names for t in tiers],
                               columns=["segment", "city_tier", "platform", "weight"])
        warnings.append("pricing_plan: the conjoint has no channel attribute, so price sensitivity is the same on "
                        "every channel; channels differ by their rivals' and sub-brand's prices, fees and mix")

        platforms_all = sorted(set(mix["platform"]))
        market = {r: 1000 * float(prices.get(r, 3.0)) if prices is not None else 3000.0 for r in rivals}
        rival_price = {pf: {r: float(ctx.loc[pf, r]) if ctx is not None and pf in ctx.index else market[r]
                            for r in rivals} for pf in platforms_all}
        sub_top = {pf: float(ctx.loc[pf, "sub_top"]) if ctx is not None and pf in ctx.index else np.nan
                   for pf in platforms_all}
        sub_price = {pf: o.sub_price if o.sub_price is not None else sub_top[pf] if np.isfinite(sub_top[pf])
                     else 1999.0 for pf in platforms_all}
        if ref is None:  # no sub-brand product in the choice set: no ladder above it
            sub_price = dict.fromkeys(platforms_all, 0.0)

        def cells(beta: np.ndarray, platforms: list[str]) -> list[Cell]:
            out = []
            for pf in platforms:
                v_others = np.array([_utility(beta, data.names, r, rival_price[pf][r], False) for r in rivals]
                                    + [beta[data.names.index("none")] if "none" in data.names else -np.inf])
                out.append(Cell(v_focal=_utility(beta, data.names, focal, 0.0, True), alpha=-beta[ip],
                                v_sub=_utility(beta, data.names, ref, sub_price[pf], False) if ref else -np.inf,
                                v_others=v_others,
                                cost=o.cost_share * floor, floor=floor, p_sub=sub_price[pf],
                                ladder_gap=o.ladder_gap if ref else 0.0,
                                diversion_cap=o.diversion_cap, objective=o.objective, fee=fees.get(pf, 0.0)))
            return out

        rng = np.random.default_rng(o.seed)
        n_draws = o.draws
        rows = []
        point_cells: dict[tuple[str, str], tuple[list[Cell], np.ndarray]] = {}  # the point estimate's cells
        for k, seg in enumerate(seg_names):
            b_mean, V = best.mean_beta(k)
            draws = rng.multivariate_normal(b_mean, V, size=n_draws, method="eigh") if n_draws else []
            for tier, scale in tiers.items():
                m = mix[(mix["segment"] == seg) & (mix["city_tier"] == tier) & (mix["weight"] > 0)]
                if m.empty:
                    continue
                platforms, w = m["platform"].tolist(), m["weight"].to_numpy(float)
                sols = []
                for d, beta in enumerate([b_mean, *draws]):
                    b = beta.copy()
                    b[ip] *= scale
                    if b[ip] >= 0:  # a draw with a non-negative price coefficient has no profit-maximising price
                        continue
                    try:
                        sols.append(optimise_channels(cells(b, platforms), w, spread, step=1.0 if d == 0 else 5.0))
                    except ValueError as exc:
                        if d == 0:
                            warnings.append(f"pricing_plan: {seg}, {tier}: {exc}")
                            break
                if not sols:
                    continue
                point, rest = sols[0], sols[1:]
                b0 = b_mean.copy()
                b0[ip] *= scale
                cs = cells(b0, platforms)
                point_cells[(seg, tier)] = (cs, w)
                list_price = max(s["price"] for s in point)
                for c, pf in enumerate(platforms):
                    r = point[c]
                    free = optimise(unconstrained(cs[c]), step=5.0)
                    free_obj = describe(unconstrained(cs[c]), free["price"])["objective_per_buyer"]

                    def q(key: str, p: float, c: int = c, rest: list = rest) -> float:
                        vals = [s[c][key] for s in rest]
                        return float(np.quantile(vals, p)) if vals else np.nan

                    rows.append({
                        "segment": seg, "city_tier": tier, "channel": pf, "channel_weight": w[c],
                        "list_price": list_price, "price": r["price"], "coupon": list_price - r["price"],
                        "paid": r["paid"], "share": r["share"], "units_per_1000": 1000 * r["share"],
                        "margin_per_1000": 1000 * r["objective_per_buyer"], "sub_share": r["sub_share"],
                        "diversion_to_sub": r["diversion_to_sub"], "cannibalisation": r["cannibalisation"],
                        "price_low": q("price", 0.05), "price_high": q("price", 0.95),
                        "units_low": 1000 * q("share", 0.05), "units_high": 1000 * q("share", 0.95),
                        "margin_low": 1000 * q("objective_per_buyer", 0.05),
                        "margin_high": 1000 * q("objective_per_buyer", 0.95),
                        "channel_fee": fees.get(pf, 0.0), "sub_price": sub_price[pf],
                        "unconstrained_price": free["price"], "binding": binding(cs[c], r["price"], free["price"]),
                        "bound_cost_per_1000": 1000 * (free_obj - r["objective_per_buyer"])})
        plan = pd.DataFrame(rows)
        uniform = uniform_price(point_cells, dict(zip(seg_names, np.asarray(best.shares, float), strict=True)))
        if len(plan) and uniform is not None:
            plan["uniform_price"] = uniform
            plan["worth_vs_uniform_per_1000"] = [
                1000 * (r.objective_at_plan - float(value(point_cells[(r.segment, r.city_tier)][0][r.i], np.array(
                    [uniform]))[0][0])) for r in plan.assign(
                    objective_at_plan=plan["margin_per_1000"] / 1000,
                    i=plan.groupby(["segment", "city_tier"]).cumcount()).itertuples()]
        figures: dict[str, Any] = {
            "price": {}, "list_price": {}, "units_per_1000": {}, "margin_per_1000": {},
            "constraints": {"floor": floor, "ladder_gap": o.ladder_gap,
                            "diversion_cap": o.diversion_cap,
                            "subsidy_cap": NATIONAL_SUBSIDY.limit_cny,
                            "channel_spread": spread, "channel_fee": fees},
        }
        if len(plan):
            figures.update(plan_summary(plan, dict(zip(seg_names, np.asarray(best.shares, float), strict=True))))
        for r in plan.itertuples():
            figures["price"].setdefault(r.segment, {}).setdefault(r.city_tier, {})[r.channel] = round(r.price, 0)
            figures["list_price"].setdefault(r.segment, {})[r.city_tier] = round(r.list_price, 0)
            figures["units_per_1000"].setdefault(r.segment, {}).setdefault(r.city_tier, {})[r.channel] = \
                round(r.units_per_1000, 1)
            figures["margin_per_1000"].setdefault(r.segment, {}).setdefault(r.city_tier, {})[r.channel] = \
                round(r.margin_per_1000, 0)
        findings = [self._finding(g, focal, ref) for _, g in plan[plan["city_tier"] == ALL].groupby("segment")] \
            if len(plan) else []
        return Section(self.name, self.title, figures=figures, tables={"price_plan": plan}, findings=findings,
                       title_zh=self.title_zh, warnings=warnings)

    @staticmethod
    def _finding(g: pd.DataFrame, focal: str, ref: str | None) -> Finding:
        """One segment's plan across channels (all tiers pooled), every number from the plan table; the segment and
        channels are slots the report labels."""
        seg, lp = g["segment"].iloc[0], g["list_price"].iloc[0]
        w = g["channel_weight"].to_numpy()
        s = Slots()
        sg, fb = s("segment", seg, "segment"), s("brand", focal, "brand")
        price = s("list_price", round(float(lp), 0), "cny", f"pricing_plan.list_price.{seg}.{ALL}")
        units = s("units", float((w * g["units_per_1000"]).sum()), "count")
        margin = s("margin", float((w * g["margin_per_1000"]).sum()), "cny")
        per, lv = s("shoppers", 1000, "count"), s("level", CI_LEVEL, "level")
        en, zh = [], []
        for i, r in enumerate(g.itertuples()):
            ch, p, cp = s(f"channel{i}", r.channel, "code"), s(f"price{i}", r.price, "cny"), s(
                f"coupon{i}", r.coupon, "cny")
            if r.price_high - r.price_low < 1 and getattr(r, "binding", "interior") != "interior":
                # a zero-width band is a bound holding in every draw, not certainty
                band = f"the {r.binding.replace('_', ' ')} holds it in every draw"
            else:
                band = f"{lv} {s(f'low{i}', r.price_low, 'cny')}–{s(f'high{i}', r.price_high, 'cny')}"
            en.append(f"{ch} {p} (coupon {cp}, {band})")
            zh.append(f"{ch} {p}（券 {cp}）")
        can = s("cannibalisation", float((w * g["cannibalisation"]).sum()), "pct")
        rb = s("reference", ref, "brand") if ref else None
        bound = g["binding"].mode().iloc[0] if "binding" in g else "interior"
        free = float((w * g["unconstrained_price"]).sum()) if "unconstrained_price" in g else np.nan
        held = held_zh = ""
        if bound != "interior" and np.isfinite(free):
            fp = s("unconstrained", free, "cny")
            held = f" The {bound.replace('_', ' ')} holds this price: demand and cost alone ask {fp}."
            held_zh = f"该价格受{BOUND_ZH.get(bound, bound)}约束：仅按需求和成本应定{fp}。"
        return Finding.of(f"pricing_plan.{seg}", s.template(
            f"{sg}: list {fb}'s flagship at {price}; by channel {'; '.join(en)}. Per {per} shoppers of the "
            f"segment: {units} units, {margin} margin" + (f"; {can} of its buyers would otherwise buy {rb}." if rb
                                                           else ".") + held,
            f"{sg}：{fb} 旗舰标价 {price}；分渠道到手价 {'；'.join(zh)}。每千名该人群购物者：{units} 台，毛利 {margin}"
            + (f"；{can} 的买家原本会买 {rb}。" if rb else "。") + held_zh))


def uniform_price(point_cells: dict[tuple[str, str], tuple[list[Cell], np.ndarray]], seg_share: dict[str, float],
                  step: float = 5.0) -> float | None:
    """The one price (all segments, channels; tiers pooled) that maximises the share-weighted objective, feasible in
    every cell: the benchmark a differentiated plan is worth its differences against. None when none is feasible."""
    pooled = {k: v for k, v in point_cells.items() if k[1] == ALL}
    if not pooled:
        return None
    lo = max(max(c.floor, c.p_sub + c.ladder_gap) for cs, _ in pooled.values() for c in cs)
    hi = min(c.ceiling for cs, _ in pooled.values() for c in cs)
    if lo > hi:
        return None
    grid = np.unique(np.r_[np.arange(lo, hi + step / 2, step), NATIONAL_SUBSIDY.limit_cny])
    grid = grid[(grid >= lo) & (grid <= hi)]
    total = np.zeros(len(grid))
    for (seg, _), (cs, w) in pooled.items():
        for c, wc in zip(cs, w, strict=True):
            obj, ok = value(c, grid)
            total += np.where(ok, seg_share.get(seg, 0.0) * wc * obj, -np.inf)
    if not np.isfinite(total).any():
        return None
    return float(grid[int(np.argmax(total))])


def plan_summary(plan: pd.DataFrame, seg_share: dict[str, float]) -> dict[str, Any]:
    """Figures on how the plan was bound and what differentiating is worth: the share of cells per binding bound
    (``binding_share``), cells, the unconstrained optimum per cell, the uniform benchmark price, each segment × tier's
    margin over it per 1,000 shoppers (channels weighted) and the whole plan's (tiers pooled, weighted by segment
    share × channel weight), and the
    share of the focal product's buyers who would otherwise buy the sub-brand (``cannibalisation_all``)."""
    out: dict[str, Any] = {"cells": len(plan),
                           "binding_share": {k: round(float(v), 4) for k, v in
                                             plan["binding"].value_counts(normalize=True).items()},
                           "unconstrained_price": {}, "bound_cost_per_1000": {}}
    for r in plan.itertuples():
        out["unconstrained_price"].setdefault(r.segment, {}).setdefault(r.city_tier, {})[r.channel] = \
            round(r.unconstrained_price, 0)
        out["bound_cost_per_1000"].setdefault(r.segment, {}).setdefault(r.city_tier, {})[r.channel] = \
            round(r.bound_cost_per_1000, 0)
    pooled = plan[plan["city_tier"] == ALL]
    wt = pooled["segment"].map(seg_share).fillna(0.0) * pooled["channel_weight"]
    if wt.sum() > 0:
        out["cannibalisation_all"] = round(float((wt * pooled["cannibalisation"]).sum() / wt.sum()), 4)
        if "uniform_price" in pooled:
            worth = plan.assign(w_worth=plan["channel_weight"] * plan["worth_vs_uniform_per_1000"]).groupby(
                ["segment", "city_tier"])["w_worth"].sum()
            out["worth_vs_uniform_per_1000"] = {}
            for (seg, tier), v in worth.items():
                out["worth_vs_uniform_per_1000"].setdefault(seg, {})[tier] = round(float(v), 0)
            out["uniform_price"] = round(float(pooled["uniform_price"].iloc[0]), 0)
            out["differentiation_worth_per_1000"] = round(
                float((wt * pooled["worth_vs_uniform_per_1000"]).sum() / wt.sum()), 0)
    return out
