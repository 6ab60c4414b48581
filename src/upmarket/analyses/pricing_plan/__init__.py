"""Price plan per target segment × city tier: the margin-maximising focal price under the conjoint demand.

Demand per cell is the segment's latent-class logit (segments analysis), its price coefficient scaled by the
city tier's price sensitivity relative to all respondents (an MNL per tier). The choice set is the focal
brand's flagship configuration, the sub-brand's at its price, one product per rival brand at that brand's
units-weighted market price, and no purchase. Constraints and the optimiser: ``optimise.py``.
Uncertainty: the plan is re-solved for ``draws`` parameter draws from the estimates' covariance; the
5th–95th percentiles are shown. Options (``[pricing_plan]``): ``cost_share`` (0.6 of the floor),
``floor`` (3999), ``sub_price`` (1999), ``ladder_gap`` (500), ``diversion_cap`` (0.3), ``objective``
("margin"), ``draws`` (30), ``max_classes`` (6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from upmarket.analyses.base import Analysis, Finding, Section, register
from upmarket.analyses.pricing_plan.optimise import Cell, optimise, paid, shares

if TYPE_CHECKING:
    from upmarket.config import Config
    from upmarket.warehouse import Warehouse

__all__ = ["Cell", "PricingPlan", "optimise", "paid", "shares"]


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


@register
class PricingPlan(Analysis):
    name = "pricing_plan"
    order = 70
    title = "Price plan by segment and city tier"
    title_zh = "分人群、分城市级别定价方案"
    requires = ("choices",)
    optional = ("users", "market_sales")
    results_key: ClassVar[str] = "pricing_plan"

    def run(self, warehouse: Warehouse, config: Config) -> Section:
        from upmarket.analyses.segments import build_design, latent_segments, load_choices, market_elasticity
        from upmarket.analyses.segments.mnl import fit_mnl
        from upmarket.analyses.segments.naming import name_classes

        o = config.options("pricing_plan")
        ref = config.sub_brands[0] if config.sub_brands else config.focal_brand
        data = build_design(load_choices(warehouse), ref)
        best, _ = latent_segments(warehouse, data, config.options("segments"), [])  # the segments analysis's classes
        seg_names = name_classes(best.betas, best.names)
        prices = market_elasticity(warehouse)
        brands = data.levels["brand"]
        rivals = [b for b in brands if b not in (config.focal_brand, ref)]
        floor, p_sub = float(o.get("floor", 3999)), float(o.get("sub_price", 1999))
        ip = data.price_index
        tiers: dict[str, float] = {"all": 1.0}
        if warehouse.has_rows("users"):
            users = warehouse.con.execute("SELECT user_id, city_tier FROM users").df()
            users = users[users["user_id"].isin(set(data.respondents))]
            a_all = -fit_mnl(data).params[ip]
            for t, ids in users.groupby("city_tier")["user_id"]:
                if len(ids) >= 30:
                    tiers[str(t)] = float(-fit_mnl(data.subset(ids.to_numpy())).params[ip] / a_all)
        rng = np.random.default_rng(int(o.get("seed", 0)))
        rows = []
        for k, seg in enumerate(seg_names):
            draws = rng.multivariate_normal(best.betas[k], best.beta_cov(k), size=int(o.get("draws", 30)),
                                            method="eigh")
            for tier, scale in tiers.items():
                sols = []
                for beta in [best.betas[k], *draws]:
                    b = beta.copy()
                    b[ip] *= scale
                    v_others = np.array([_utility(b, data.names, r, 1000 * float(prices.get(r, 3.0))
                                                  if prices is not None else 3000.0, False) for r in rivals]
                                        + [b[data.names.index("none")] if "none" in data.names else -np.inf])
                    cell = Cell(v_focal=_utility(b, data.names, config.focal_brand, 0.0, True), alpha=-b[ip],
                                v_sub=_utility(b, data.names, ref, p_sub, False), v_others=v_others,
                                cost=float(o.get("cost_share", 0.6)) * floor, floor=floor, p_sub=p_sub,
                                ladder_gap=float(o.get("ladder_gap", 500)),
                                diversion_cap=float(o.get("diversion_cap", 0.3)),
                                objective=str(o.get("objective", "margin")))
                    try:
                        sols.append(optimise(cell))
                    except ValueError:
                        continue
                if not sols:
                    continue
                pt, rest = sols[0], pd.DataFrame(sols[1:])
                rows.append({"segment": seg, "city_tier": tier, "segment_share": best.shares[k], **pt,
                             "price_low": rest["price"].quantile(0.05) if len(rest) else np.nan,
                             "price_high": rest["price"].quantile(0.95) if len(rest) else np.nan,
                             "share_low": rest["share"].quantile(0.05) if len(rest) else np.nan,
                             "share_high": rest["share"].quantile(0.95) if len(rest) else np.nan})
        plan = pd.DataFrame(rows)
        figures: dict[str, Any] = {
            "price": {r.segment: {} for r in plan.itertuples()},
            "constraints": {"floor": floor, "sub_price": p_sub, "ladder_gap": float(o.get("ladder_gap", 500)),
                            "diversion_cap": float(o.get("diversion_cap", 0.3)), "subsidy_cap": 6000.0},
        }
        for r in plan.itertuples():
            figures["price"][r.segment][r.city_tier] = round(float(r.price), 0)
        findings = [Finding(
            f"{r.segment}, {r.city_tier}: price {config.focal_brand}'s flagship at {r.price:,.0f} CNY "
            f"(90% range {r.price_low:,.0f}–{r.price_high:,.0f}); {r.share:.0%} of the segment's buyers choose it, "
            f"{r.diversion_to_sub:.0%} of those it loses go to {ref}.",
            {f"pricing_plan.price.{r.segment}.{r.city_tier}": round(float(r.price), 0)},
            text_zh=f"{r.segment}（{r.city_tier}）：{config.focal_brand} 旗舰定价 {r.price:,.0f} 元"
                    f"（90% 区间 {r.price_low:,.0f}–{r.price_high:,.0f}），份额 {r.share:.0%}，流失者中 "
                    f"{r.diversion_to_sub:.0%} 转向 {ref}。")
            for r in plan[plan["city_tier"] == "all"].itertuples()]
        return Section(self.name, self.title, figures=figures, tables={"price_plan": plan}, findings=findings,
                       title_zh=self.title_zh,
                       warnings=["channel is not separated: the conjoint has no channel attribute, so every channel "
                                 "gets its tier's price"])
