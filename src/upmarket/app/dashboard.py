"""The what-if dashboard (``upmarket serve OUT``): a Dash page over a finished run's output folder.

It reads results.json and the saved models (the demand fit, and the marketing-mix model when the run has one) and
recomputes, in the browser's session, what a price move does to units, shares, diversion to each rival, the
sub-brand's cannibalisation and margins, and what a channel budget does to GMV. Nothing is refitted. The page is
served on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dash
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, dcc, html

from upmarket.app.demand_fit import OTHER_BANDS, OUTSIDE, DemandFit, load_demand_fit
from upmarket.app.mix_model import MixModel, load_mix_model
from upmarket.report.findings import finding_text

HOST = "127.0.0.1"
PRICE_STEP_CNY = 100
PRICE_RANGE_CNY = 2000
NO_MIX = "no marketing-mix model in this run"
NO_FINDINGS = "no strategy findings in this run"
LABEL_EN = {OUTSIDE: "no purchase", OTHER_BANDS: "other price bands"}
LABEL_ZH = {OUTSIDE: "不购买", OTHER_BANDS: "其他价格段"}
PRICE_KEYS = ("pricing", "pricing_plan", "demand")
"""Results keys whose figures a price move changes: findings citing them are marked as affected."""


def read_results(out: Path) -> dict[str, Any]:
    """results.json of the run (a clear error naming the file when absent)."""
    path = out / "results.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not found; run `upmarket analyze DATASET -o {out}` first")
    return json.loads(path.read_text(encoding="utf-8"))


def strategy_findings(results: dict[str, Any]) -> list[dict[str, Any]]:
    """results["strategy"]["findings"] when the run has them, else []."""
    found = (results.get("strategy") or {}).get("findings") or []
    return [f for f in found if isinstance(f, dict) and f.get("text")]


def affected_by_price(finding: dict[str, Any]) -> bool:
    """Whether a finding cites figures a price move changes (pricing, demand, the price plan)."""
    keys = list((finding.get("evidence") or {}).keys()) + list(finding.get("cites") or [])
    return any(str(k).split(".")[0] in PRICE_KEYS for k in keys)


def whatif_findings(sim: pd.DataFrame, fit: DemandFit, model: str, change_cny: float) -> list[str]:
    """Sentences (English, Chinese) from the simulation's own numbers: what the move does and where units go."""
    if not change_cny or model is None:
        return []
    lost = float(sim.attrs["units_lost"])
    focal, period = fit.focal_brand, sim.attrs["period"]
    verb, verb_zh = ("rise", "提价") if change_cny > 0 else ("cut", "降价")
    brands = [focal, *fit.sub_brands]
    margin = signed(_margin_change(sim, brands))
    lines = [f"A {abs(change_cny):,.0f} CNY {verb} on {model} in {period} changes its units by {signed(-lost)}; "
             f"the margin of {' + '.join(brands)} changes by {margin} CNY.",
             f"{model} {verb_zh} {abs(change_cny):,.0f} 元（{period}）：销量变化 {signed(-lost)} 台，"
             f"{' + '.join(brands)} 毛利变化 {margin} 元。"]
    div = sim["diversion"].drop(index=[focal], errors="ignore").dropna()
    if len(div) and abs(lost) > 0:
        top = div.sort_values(ascending=False).head(3)
        parts = ", ".join(f"{LABEL_EN.get(k, k)} {v:.0%}" for k, v in top.items())
        parts_zh = "，".join(f"{LABEL_ZH.get(k, k)} {v:.0%}" for k, v in top.items())
        lines.append(f"Of the units {'lost' if lost > 0 else 'won'}, the largest shares "
                     f"{'go to' if lost > 0 else 'come from'}: {parts}.")
        lines.append(f"{'流失' if lost > 0 else '新增'}销量的主要{'去向' if lost > 0 else '来源'}：{parts_zh}。")
    for sub in fit.sub_brands:
        if sub in sim.index and np.isfinite(sim.loc[sub, "diversion"]):
            share = float(sim.loc[sub, "diversion"])
            lines.append(f"Cannibalisation by {sub}: {share:.1%} of the change.")
            lines.append(f"{sub} 的蚕食比例：{share:.1%}。")
    return lines


def label(row: str) -> str:
    """A brand as is; the outside good and the other bands in both languages."""
    return f"{LABEL_EN[row]} {LABEL_ZH[row]}" if row in LABEL_EN else str(row)


def signed(value: float, digits: int = 0) -> str:
    """A change with its sign and thousands separators, never "-0"."""
    return f"{round(float(value), digits) + 0.0:+,.{digits}f}"


def _margin_change(sim: pd.DataFrame, brands: list[str]) -> float:
    own = sim.loc[[b for b in brands if b in sim.index]]
    return float(own["margin_new_cny"].sum(min_count=1) - own["margin_cny"].sum(min_count=1))


def _cost_warning(fit: DemandFit) -> str:
    costs = fit.arrays["costs_cny"]
    bad = int(np.sum(~(costs > 0)))
    if not bad:
        return ""
    return (f" · {bad:,} of {len(costs):,} rows have no positive saved cost: their margins are overstated; "
            "enter a cost / price ratio 部分成本非正，请输入成本率")


def _kpi(label: str, value: str, ident: str) -> html.Div:
    return html.Div([html.Div(label, className="kpi-label"), html.Div(value, id=ident, className="kpi-value")],
                    className="kpi")


def _table(sim: pd.DataFrame) -> html.Table:
    head = ["brand 品牌", "units 销量", "units after 调整后", "change 变化", "share 份额", "share after 调整后",
            "diversion 转移", "margin after (CNY) 毛利"]
    rows = []
    for brand, r in sim.iterrows():
        cells = [label(brand), f"{r['units']:,.0f}", f"{r['units_new']:,.0f}", signed(r["units_change"]),
                 f"{r['share']:.2%}", f"{r['share_new']:.2%}",
                 "" if not np.isfinite(r["diversion"]) else f"{r['diversion']:.1%}",
                 "" if not np.isfinite(r["margin_new_cny"]) else f"{r['margin_new_cny']:,.0f}"]
        rows.append(html.Tr([html.Td(c) for c in cells], id=f"row-{brand}"))
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)], className="grid")


def _diversion_chart(sim: pd.DataFrame, focal: str) -> go.Figure:
    div = sim["diversion"].drop(index=[focal], errors="ignore").dropna().sort_values()
    if div.empty:
        fig = go.Figure()
        fig.add_annotation(text="Move a price to see where the units go 调整价格查看销量去向", showarrow=False,
                           x=0.5, y=0.5, xref="paper", yref="paper")
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        fig.update_layout(height=320, margin={"l": 20, "r": 20, "t": 40, "b": 30})
        return fig
    fig = go.Figure(go.Bar(x=div.to_numpy(), y=[label(i) for i in div.index], orientation="h",
                           text=[f"{v:.0%}" for v in div], textposition="auto"))
    fig.update_layout(title="Where the units go 销量去向", xaxis_tickformat=".0%", height=320,
                      margin={"l": 90, "r": 20, "t": 40, "b": 30})
    return fig


def _model_options(fit: DemandFit, period: str) -> list[dict[str, str]]:
    """Models sold in ``period``: the focal brand's, then its sub-brands', then every other brand's (best sellers
    first in each)."""
    p = fit.products[fit.products["period"] == period]
    units = p.groupby(["brand", "model"])["units"].sum().reset_index()
    rank = {b: i for i, b in enumerate([fit.focal_brand, *fit.sub_brands])}
    units["rank"] = units["brand"].map(rank).fillna(len(rank))
    units = units.sort_values(["rank", "brand", "units"], ascending=[True, True, False])
    return [{"label": f"{r.model} ({r.brand})", "value": r.model} for r in units.itertuples()]


def _mix_block(mix: MixModel | None) -> html.Div:
    if mix is None:
        return html.Div([html.H3("Channel budget 渠道预算"), html.P(NO_MIX, id="mix-status")], className="card")
    sliders = []
    for i, c in enumerate(mix.channels):
        sliders.append(html.Div([html.Label(f"{c.name}: weekly spend (CNY) 周投放"),
                                 dcc.Slider(id={"type": "mix-spend", "index": i}, min=0,
                                            max=round(3 * max(c.current_spend_cny, c.mean_spend_cny)),
                                            value=round(c.current_spend_cny), marks=None,
                                            tooltip={"placement": "bottom"})]))
    return html.Div([html.H3("Channel budget 渠道预算"), *sliders,
                     html.P(id="mix-status")], className="card", id="mix-block")


STYLE = """
body{font-family:'Noto Sans CJK SC','Noto Sans SC',sans-serif;margin:0;background:#f6f7f9;color:#1d2433}
.wrap{max-width:1180px;margin:0 auto;padding:16px}
.card{background:#fff;border-radius:8px;padding:14px 18px;margin:12px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.controls{display:grid;grid-template-columns:2fr 1fr 1fr 1.5fr 1.5fr 1.5fr 1fr;gap:12px;align-items:end}
.kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}
.kpi{background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.kpi-label{font-size:13px;color:#5b6475}.kpi-value{font-size:24px;font-weight:600;margin-top:4px}
.grid{border-collapse:collapse;width:100%;font-size:14px}
.grid th,.grid td{padding:6px 8px;border-bottom:1px solid #e6e8ec;text-align:right}
.grid th:first-child,.grid td:first-child{text-align:left}
.affected{border-left:4px solid #ff6900;padding-left:8px}
label{font-size:13px;color:#5b6475;display:block;margin-bottom:4px}
"""


def create_app(out: str | Path) -> dash.Dash:
    """The Dash app over one output folder (raises a clear error when the run saved no demand fit)."""
    out = Path(out)
    results = read_results(out)
    fit = load_demand_fit(out)
    mix = load_mix_model(out)
    findings = strategy_findings(results)
    periods = sorted(fit.products["period"].unique())
    regions = sorted(fit.products["region"].dropna().unique())
    bands = sorted(fit.products["band"].dropna().unique()) if "band" in fit.products else []
    options = _model_options(fit, periods[-1])
    app = dash.Dash(__name__, title="upmarket what-if", update_title=None)
    app.index_string = app.index_string.replace("{%css%}", "{%css%}<style>" + STYLE + "</style>")
    app.layout = html.Div([
        html.H2(f"What if 假如 — {fit.focal_brand}"),
        html.P(f"{out} · demand model: {fit.meta['kind']} · costs: {fit.meta.get('cost_source', '?')}"
               + _cost_warning(fit), id="source"),
        html.Div([
            html.Div([html.Label("Model 机型"), dcc.Dropdown(id="model", options=options,
                                                           value=options[0]["value"] if options else None,
                                                           clearable=False)]),
            html.Div([html.Label("Price change (CNY) 调价（元）"),
                      dcc.Input(id="price-change", type="number", value=0, step=PRICE_STEP_CNY,
                                min=-PRICE_RANGE_CNY, max=PRICE_RANGE_CNY, debounce=True)]),
            html.Div([html.Label("Period 时期"), dcc.Dropdown(id="period", options=periods, value=periods[-1],
                                                           clearable=False)]),
            html.Div([html.Label("Tier / region filter 城市层级/地区"),
                      dcc.Dropdown(id="regions", options=regions, multi=True, placeholder="all 全部")]),
            html.Div([html.Label("Consumer segment 消费者细分"),
                      dcc.Dropdown(id="segment", options=fit.segments, placeholder="all 全部" if fit.segments else
                                   "no segments in this fit 本模型无细分", disabled=not fit.segments)]),
            html.Div([html.Label("Price band 价格段"),
                      dcc.Dropdown(id="bands", options=bands, multi=True, placeholder="all 全部")]),
            html.Div([html.Label("Cost / price 成本率"),
                      dcc.Input(id="cost-ratio", type="number", min=0.05, max=0.95, step=0.05,
                                placeholder="saved 默认", debounce=True)]),
        ], className="controls card"),
        html.Div([_kpi(f"{fit.focal_brand} units 销量", "", "kpi-units"),
                  _kpi(f"{fit.focal_brand} share of phone sales 销量份额", "", "kpi-share"),
                  _kpi("Cannibalisation 蚕食" + (f" ({', '.join(fit.sub_brands)})" if fit.sub_brands else ""), "",
                       "kpi-cannibalisation"),
                  _kpi(f"{' + '.join([fit.focal_brand, *fit.sub_brands])} margin 毛利 (CNY)", "", "kpi-margin")],
                 className="kpis"),
        html.Div([dcc.Graph(id="diversion-chart", config={"displayModeBar": False}),
                  html.Div(id="brand-table")], className="card"),
        _mix_block(mix),
        html.Div([html.H3("Findings 发现"), html.Ul(id="whatif-findings"),
                  html.Div(id="strategy-findings")], className="card"),
    ], className="wrap")

    @app.callback(Output("kpi-units", "children"), Output("kpi-share", "children"),
                  Output("kpi-cannibalisation", "children"), Output("kpi-margin", "children"),
                  Output("diversion-chart", "figure"), Output("brand-table", "children"),
                  Output("whatif-findings", "children"), Output("strategy-findings", "children"),
                  Input("model", "value"), Input("price-change", "value"), Input("period", "value"),
                  Input("regions", "value"), Input("segment", "value"), Input("bands", "value"),
                  Input("cost-ratio", "value"))
    def update(model: str | None, change: float | None, period: str, chosen_regions: list[str] | None,
               segment: str | None, chosen_bands: list[str] | None, cost_ratio: float | None) -> tuple[Any, ...]:
        change = float(change or 0.0)
        ratio = float(cost_ratio) if cost_ratio is not None and 0 < float(cost_ratio) < 1 else None
        sim = fit.simulate({model: change} if model else {}, period=period, regions=chosen_regions or None,
                           bands=chosen_bands or None, cost_ratio=ratio, segment=segment or None)
        focal = fit.focal_brand
        if focal in sim.index:
            r = sim.loc[focal]
            units = f"{r['units_new']:,.0f} ({signed(r['units_change'])})"
            share = f"{r['share_inside_new']:.2%} ({signed((r['share_inside_new'] - r['share_inside']) * 100, 2)} pp)"
        else:
            units = share = "n/a"
        own = sim.loc[[b for b in (focal, *fit.sub_brands) if b in sim.index]]
        m0, m1 = own["margin_cny"].sum(min_count=1), own["margin_new_cny"].sum(min_count=1)
        margin = "n/a" if not np.isfinite(m1) else f"{m1:,.0f} ({signed(m1 - m0)})"
        subs = [s for s in fit.sub_brands if s in sim.index and np.isfinite(sim.loc[s, "diversion"])]
        cannibal = f"{sum(float(sim.loc[s, 'diversion']) for s in subs):.1%}" if subs and change else "—"
        lines = [html.Li(t) for t in whatif_findings(sim, fit, model, change)] or [
            html.Li("Move a price to see what changes. 调整价格以查看变化。")]
        chosen = [*(chosen_regions or []), *([segment] if segment else []), *(chosen_bands or [])]
        return (units, share, cannibal, margin, _diversion_chart(sim, focal), _table(sim), lines,
                strategy_block(findings, change != 0, chosen))

    @app.callback(Output("model", "options"), Output("model", "value"), Input("period", "value"),
                  dash.State("model", "value"))
    def models_of_period(period: str, current: str | None) -> tuple[list[dict[str, str]], str | None]:
        opts = _model_options(fit, period)
        values = [o["value"] for o in opts]
        return opts, current if current in values else (values[0] if values else None)

    if mix is not None:
        @app.callback(Output("mix-status", "children"),
                      Input({"type": "mix-spend", "index": dash.ALL}, "value"))
        def update_mix(spend: list[float]) -> str:
            # a slider holds whole yuan: one left where it started means the current spend exactly
            plan = {c.name: c.current_spend_cny if v == round(c.current_spend_cny) else float(v)
                    for c, v in zip(mix.channels, spend, strict=True)}
            return mix_status(mix, plan)

    return app


def mix_status(mix: MixModel, plan: dict[str, float]) -> str:
    """Weekly GMV at a steady spend plan, its change from the current spend and, with saved draws, the change's
    90 % interval (parameter uncertainty of the curves and the baseline). The change is ``MixModel.change``, the
    function the mix optimiser's ``uplift`` comes from."""
    new = mix.gmv(plan)
    level = mix.interval(plan)
    gain, change = mix.change(plan)
    level_ci = f" (90% 区间 {level[0]:,.0f}–{level[1]:,.0f})" if level else ""
    change_ci = f", 90% 区间 {signed(change[0])} to {signed(change[1])}" if change and change[1] > change[0] else ""
    return (f"Weekly GMV 周 GMV: {new:,.0f} CNY{level_ci}; {signed(gain)} vs current spend 相对当前投放"
            f"{change_ci}; spend 投放 {sum(plan.values()):,.0f} CNY")


def about(finding: dict[str, Any], names: list[str]) -> bool:
    """Whether a finding names one of the filter's choices (a tier, region, segment or band) in its text or keys."""
    haystack = " ".join([str(finding.get("text", "")), str(finding.get("text_zh", "")),
                         *map(str, (finding.get("evidence") or {}).keys())])
    return any(name and str(name) in haystack for name in names)


def strategy_block(findings: list[dict[str, Any]], moved: bool, chosen: list[str] | None = None) -> list[Any]:
    """The run's strategy findings: those a price move affects marked, those about the filter's choices first."""
    if not findings:
        return [html.P(NO_FINDINGS, id="no-findings")]
    chosen = chosen or []
    ordered = sorted(findings, key=lambda f: not about(f, chosen))
    items = []
    for f in ordered:
        hit = moved and affected_by_price(f)
        notes = [" — rests on observed prices: revisit under this what-if 基于实际价格，需按此情景复核" if hit else "",
                 " — about your filter 与所选筛选相关" if chosen and about(f, chosen) else ""]
        items.append(html.Li([html.B(f"[{f.get('framework', '')}] "), finding_text(f, "en"),
                              html.Br(), html.Span(finding_text(f, "zh")), html.I("".join(notes))],
                             className="affected" if hit else ""))
    return [html.H4("Strategy findings 策略发现"), html.Ul(items, id="strategy-list")]


def serve(out: str | Path, port: int = 8050) -> None:
    """Run the dashboard on 127.0.0.1:``port`` until interrupted."""
    create_app(out).run(host=HOST, port=port, debug=False)


@contextmanager
def running(app: dash.Dash, port: int = 0) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a background thread (port 0: a free one); yields its URL (tests, screenshots)."""
    from werkzeug.serving import make_server

    server = make_server(HOST, port, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_port}/"
    finally:
        server.shutdown()
        thread.join(timeout=10)


__all__ = ["NO_MIX", "OTHER_BANDS", "OUTSIDE", "create_app", "running", "serve"]
