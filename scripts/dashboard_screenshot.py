"""Screenshot the what-if dashboard of an output folder after a price move (docs/dashboard.png is made this way).

    python scripts/dashboard_screenshot.py OUT docs/dashboard.png --change 500
    python scripts/dashboard_screenshot.py OUT docs/dashboard-segment.png --change 500 --segment price-sensitive
    python scripts/dashboard_screenshot.py OUT docs/dashboard-budget.png --budget-channel douyin_live --to 0.6

Needs the system Chromium (``apt-get install chromium fonts-noto-cjk``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

from upmarket.app.dashboard import create_app, running


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="an output folder written by `upmarket analyze`")
    parser.add_argument("png", type=Path, help="where to write the screenshot")
    parser.add_argument("--change", type=float, default=500.0, help="price change of the default model, CNY")
    parser.add_argument("--segment", help="a consumer segment to choose in the segment filter")
    parser.add_argument("--budget-channel", help="move this channel's budget slider and shoot the budget card only")
    parser.add_argument("--to", type=float, default=0.6,
                        help="where on its slider (0 to 1 of the track, 3× the current spend at 1) to click")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("no Chromium on this machine: apt-get install chromium fonts-noto-cjk")
    with running(create_app(args.out)) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium,
                                     args=["--no-sandbox"] if os.geteuid() == 0 else [])
        page = browser.new_page(viewport={"width": 1280, "height": 1500})
        page.goto(url)
        page.locator("#kpi-units").filter(has_text=re.compile(r"\d")).wait_for(timeout=60_000)
        if args.segment:
            page.locator("#segment").click()
            page.locator(".dash-dropdown-option, [role=option]").filter(has_text=args.segment).first.click()
            page.keyboard.press("Escape")
        page.locator("#price-change").fill(f"{args.change:g}")
        page.locator("#price-change").press("Enter")
        page.locator("#whatif-findings").filter(has_text="CNY").wait_for(timeout=60_000)
        page.wait_for_timeout(1000)  # the chart's transition
        if args.budget_channel:
            labels = page.locator("#mix-block label").all_inner_texts()
            index = next((i for i, t in enumerate(labels) if t.startswith(f"{args.budget_channel}:")), None)
            if index is None:
                raise SystemExit(f"no budget slider for {args.budget_channel!r} (sliders: {', '.join(labels)})")
            status = page.locator("#mix-status").inner_text()
            handle = page.locator("#mix-block [role=slider]").nth(index).bounding_box()
            track = page.locator("#mix-block label").nth(index).locator("xpath=..").bounding_box()
            page.mouse.click(track["x"] + args.to * track["width"], handle["y"] + handle["height"] / 2)
            page.wait_for_function("t => document.querySelector('#mix-status').innerText !== t", arg=status,
                                   timeout=60_000)
            page.wait_for_timeout(500)
            args.png.parent.mkdir(parents=True, exist_ok=True)
            page.locator("#mix-block").screenshot(path=str(args.png))
            print(page.locator("#mix-status").inner_text())
            browser.close()
            print(f"screenshot: {args.png}")
            return
        args.png.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.png), full_page=True)
        browser.close()
    print(f"screenshot: {args.png}")


if __name__ == "__main__":
    main()
