"""Screenshot page one of a rendered report (docs/report-page-one.png and docs/report-page-one-zh.png are made so).

    upmarket report OUT --lang en && python scripts/report_screenshot.py OUT docs/report-page-one.png
    upmarket report OUT --lang zh && python scripts/report_screenshot.py OUT docs/report-page-one-zh.png

Page one is what a director sees before scrolling: the header and the executive summary (verdicts, the five
decisions, the dilemmas). Needs the system Chromium (``apt-get install chromium fonts-noto-cjk``).
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

SUMMARY = "#executive-summary"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="an output folder holding report.html (`upmarket report OUT`)")
    parser.add_argument("png", type=Path, help="where to write the screenshot")
    parser.add_argument("--width", type=int, default=1280, help="viewport width, pixels")
    parser.add_argument("--height", type=int, default=1600, help="the most of the page to capture, pixels")
    args = parser.parse_args()
    html = args.out / "report.html"
    if not html.is_file():
        raise SystemExit(f"{html}: no report; run `upmarket report {args.out}` first")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("no Chromium on this machine: apt-get install chromium fonts-noto-cjk")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"] if os.geteuid() == 0 else [])
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto(html.resolve().as_uri())
        summary = page.locator(SUMMARY)
        summary.wait_for(timeout=30_000)
        box = summary.bounding_box()
        bottom = min(args.height, int(box["y"] + box["height"]) + 16) if box else args.height
        args.png.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.png), clip={"x": 0, "y": 0, "width": args.width, "height": bottom})
        browser.close()
    print(f"screenshot: {args.png}")


if __name__ == "__main__":
    main()
