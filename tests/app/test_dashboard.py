"""The what-if dashboard in a real browser (Playwright on the system Chromium) and its pieces without one."""

from __future__ import annotations

import os
import re
import shutil

import pytest

from conftest import FINDINGS
from upmarket.app.dashboard import (
    NO_FINDINGS,
    NO_MIX,
    affected_by_price,
    create_app,
    mix_status,
    running,
    strategy_block,
    whatif_findings,
)
from upmarket.app.demand_fit import load_demand_fit
from upmarket.app.mix_model import MixModelError, load_mix_model
from upmarket.artefacts import SavedModel, load_saved, save_artefact

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NUMBER = re.compile(r"[-+]?[\d,]+(?:\.\d+)?")


def first_number(text: str) -> float:
    match = NUMBER.search(text)
    assert match, f"no number in {text!r}"
    return float(match.group().replace(",", ""))


def layout_text(component) -> str:
    """Every string in a Dash layout tree."""
    if isinstance(component, str):
        return component
    children = getattr(component, "children", None)
    if children is None:
        return ""
    if not isinstance(children, list | tuple):
        children = [children]
    return " ".join(layout_text(c) for c in children)


def test_without_mix_model_or_findings_the_page_says_so(fitted_output):
    out = fitted_output(mix=False, findings=False)
    assert load_mix_model(out) is None
    app = create_app(out)
    assert NO_MIX in layout_text(app.layout)
    fit = load_demand_fit(out)
    sim = fit.simulate({"Xiaomi 手机 1": 300.0})
    lines = whatif_findings(sim, fit, "Xiaomi 手机 1", 300.0)
    assert any("Cannibalisation by Redmi" in line for line in lines)
    assert any("提价 300 元" in line for line in lines)
    assert whatif_findings(fit.simulate({}), fit, "Xiaomi 手机 1", 0.0) == []


def test_mix_model_gmv_rises_with_spend_and_saturates(fitted_output):
    mix = load_mix_model(fitted_output())
    assert mix is not None and [c.name for c in mix.channels] == ["千川", "聚光"]
    base = mix.gmv()
    more, much_more = mix.gmv({"千川": 2.0e6}), mix.gmv({"千川": 3.0e6})
    assert base < more < much_more
    assert much_more - more < more - base  # diminishing returns (Hill with s > 1 past its inflection)
    assert mix.gmv({"千川": 0.0, "聚光": 0.0}) == pytest.approx(mix.baseline_gmv_cny)


def _edit_mix(out, meta: dict | None = None, arrays: dict | None = None) -> None:
    """Resave the folder's mix_model artefact with ``meta`` and ``arrays`` entries replaced (None: removed)."""
    saved = load_saved(out, "mix_model")
    new_meta = {k: v for k, v in {**saved.meta, **(meta or {})}.items() if v is not None}
    new_arrays = {k: v for k, v in {**saved.arrays, **(arrays or {})}.items() if v is not None}
    save_artefact(out, "mix_model", SavedModel(new_meta, new_arrays))


def test_a_broken_mix_artefact_names_the_file_and_entry(fitted_output):
    out = fitted_output(findings=False)
    channels = [dict(c) for c in load_saved(out, "mix_model").meta["channels"]]
    del channels[0]["k"]
    _edit_mix(out, {"channels": channels})
    with pytest.raises(MixModelError, match=r"mix_model/artefact\.json: channels\[0\] lacks k"):
        load_mix_model(out)


def test_mix_model_v2_draws_give_an_interval_around_the_point(fitted_output):
    mix = load_mix_model(fitted_output(mix="v2", findings=False))
    assert mix.draws is not None and mix.gmv_draws().shape == (200,)
    lo, hi = mix.interval({"千川": 2.0e6})
    assert lo < mix.gmv({"千川": 2.0e6}) < hi
    up_lo, up_hi = mix.interval({"千川": 2.0e6}, relative_to_current=True)
    assert 0 < up_lo < mix.gmv({"千川": 2.0e6}) - mix.gmv() < up_hi
    assert "90% 区间" in mix_status(mix, {"千川": 2.0e6, "聚光": 3.0e5})
    assert "90% 区间" not in mix_status(load_mix_model(fitted_output(findings=False)), {"千川": 2.0e6})


@pytest.mark.parametrize(("edit", "message"), [
    ({"version": 3}, r"version 3; this reader knows versions 1, 2"),
    ({"version": 2, "saturation": "weibull"}, r"saturation 'weibull' cannot be reproduced"),
    ({"version": 1, "saturation": "logistic"}, r"saturation 'logistic' cannot be reproduced"),
    ({"version": 2, "saturation": "logistic"}, r"channels\[0\] lacks lam"),
])
def test_a_mix_model_the_reader_cannot_reproduce_is_refused(fitted_output, edit, message):
    out = fitted_output(mix="v2", findings=False)
    _edit_mix(out, edit)
    with pytest.raises(MixModelError, match=message):
        load_mix_model(out)


def test_mix_draws_missing_or_of_the_wrong_shape_are_refused(fitted_output):
    out = fitted_output(mix="v2", findings=False)
    _edit_mix(out, arrays={"k": load_saved(out, "mix_model").arrays["k"][:, :1]})
    with pytest.raises(MixModelError, match=r"mix_model/artefact\.json: k has shape \(200, 1\), expected \(200, 2\)"):
        load_mix_model(out)
    _edit_mix(out, arrays={"k": None})
    with pytest.raises(MixModelError, match=r"mix_model/artefact\.json: lacks k"):
        load_mix_model(out)


def test_findings_citing_prices_are_marked():
    assert affected_by_price({"evidence": {"pricing.diversion.Xiaomi.Redmi": 0.3}})
    assert not affected_by_price({"evidence": {"segments.classes": 3}})


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine: the dashboard's browser test needs it "
                                              "(apt-get install chromium)")
def test_dashboard_in_chromium_price_rise_moves_units_down_and_rivals_up(fitted_output, tmp_path):
    """The page loads, a 500 CNY rise lowers the focal brand's units and margin-relevant numbers move, rivals gain,
    the budget slider's GMV is shown, findings appear, and the browser logs no console error."""
    from playwright.sync_api import sync_playwright

    app = create_app(fitted_output(mix="v2"))
    errors: list[str] = []
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with running(app) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url)
        units = page.locator("#kpi-units")
        units.filter(has_text=re.compile(r"\d")).wait_for(timeout=30_000)
        before = first_number(units.inner_text())
        apple_before = first_number(page.locator("#row-Apple td").nth(1).inner_text())
        assert "GMV" in page.locator("#mix-status").inner_text()
        page.locator("#price-change").fill("500")
        page.locator("#price-change").press("Enter")
        page.wait_for_function("b => { const t = document.querySelector('#kpi-units').innerText;"
                               " return !t.includes('(+0)') && !t.includes('(-0)'); }", arg=None, timeout=30_000)
        after = first_number(units.inner_text())
        assert after < before
        assert "(-" in units.inner_text()
        apple_after = first_number(page.locator("#row-Apple td").nth(2).inner_text())
        assert apple_after > apple_before
        assert first_number(page.locator("#kpi-cannibalisation").inner_text()) > 0
        assert "Cannibalisation by Redmi" in page.locator("#whatif-findings").inner_text()
        assert "rests on observed prices" in page.locator("#strategy-list").inner_text()
        page.locator("#regions").click()  # the tier filter: one tier of five counts about a fifth of the units
        page.locator(".dash-dropdown-option, [role=option]").filter(has_text="tier1").first.click()
        page.keyboard.press("Escape")
        page.wait_for_function("b => { const v = parseFloat(document.querySelector('#kpi-units').innerText"
                               ".replace(/,/g, '')); return v < b / 2; }", arg=after, timeout=30_000)
        assert "(-" in units.inner_text()  # the move still lowers units within the tier
        status = page.locator("#mix-status")
        gmv_now = first_number(status.inner_text().split(":", 1)[1])
        assert "90% 区间" in status.inner_text()
        assert "+0 vs current" in status.inner_text()
        changed = "t => document.querySelector('#mix-status').innerText !== t"
        before_move = status.inner_text()
        page.locator("#mix-block [role=slider]").first.focus()  # 千川 to 3× its spend: more GMV
        page.keyboard.press("End")
        page.wait_for_function(changed, arg=before_move, timeout=30_000)
        gmv_more = first_number(status.inner_text().split(":", 1)[1])
        assert gmv_more > gmv_now and first_number(status.inner_text().split(";")[1]) > 0
        before_move = status.inner_text()
        page.locator("#mix-block [role=slider]").first.press("Home")  # no 千川 spend at all: less GMV than now
        page.wait_for_function(changed, arg=before_move, timeout=30_000)
        assert first_number(status.inner_text().split(":", 1)[1]) < gmv_now
        assert first_number(status.inner_text().split(";")[1]) < 0
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        browser.close()
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000
    assert errors == [], errors


def test_without_findings_the_block_says_so_and_with_them_lists_each():
    assert NO_FINDINGS in layout_text(strategy_block([], moved=True)[0])
    shown = layout_text(strategy_block(FINDINGS, moved=True)[1])
    assert all(f["text"] in shown and f["text_zh"] in shown for f in FINDINGS)
    assert shown.count("rests on observed prices") == 1  # only the pricing finding
    filtered = layout_text(strategy_block(FINDINGS, moved=False, chosen=["二线"])[1])
    assert filtered.index(FINDINGS[1]["text"]) < filtered.index(FINDINGS[0]["text"])  # the tier-2 finding first
    assert filtered.count("about your filter") == 1 and "rests on observed prices" not in filtered


def test_serve_without_a_saved_fit_says_how_to_get_one(fitted_output):
    """`upmarket serve` on a folder with results.json but no demand fit: an error exit, the file and the fix named."""
    from typer.testing import CliRunner

    from upmarket.cli import app

    out = fitted_output(findings=False)
    shutil.rmtree(out / "artefacts")
    res = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["serve", str(out), "--port", "0"])
    assert res.exit_code == 2  # the CLI's exit code for a user error (cli._fail)
    assert "demand_fit/artefact.json: no saved demand fit" in res.output and "upmarket analyze" in res.output
