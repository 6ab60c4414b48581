"""report.pdf: the same report.html printed by a headless Chromium, with print CSS and its CJK fonts embedded.

Playwright drives the system's Chromium (``executable_path``; nothing is downloaded at run time).
Without a browser the PDF is not written and the reason is returned, never raised: the HTML report
is the deliverable, the PDF a convenience.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

PDF_FILE = "report.pdf"
CHROMIUM_ENV = "UPMARKET_CHROMIUM"
"""Path of a Chromium binary to use instead of the one found on the PATH."""
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


@dataclass(frozen=True)
class PdfOutcome:
    """What became of report.pdf: its path, or why it was not written."""

    path: Path | None
    reason: str | None = None


def find_chromium() -> str | None:
    """The Chromium to print with: $UPMARKET_CHROMIUM, else the first browser on the PATH."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return configured if Path(configured).is_file() else None
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def launch_args() -> list[str]:
    """Chromium refuses to start sandboxed as root (CI containers): ``--no-sandbox`` there only."""
    args = ["--disable-gpu", "--font-render-hinting=none"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")
    return args


def pdf_unavailable() -> str | None:
    """Why report.pdf cannot be printed on this machine (no browser, no playwright), or None."""
    if find_chromium() is None:
        return "no browser: install chromium (apt-get install chromium) or set UPMARKET_CHROMIUM"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    return None


def pdf_status() -> dict[str, str | None]:
    """For results.json: the PDF's file name, or why it is missing."""
    why = pdf_unavailable()
    return {"pdf": None, "pdf_unavailable": why} if why else {"pdf": PDF_FILE}


def write_pdf(html_path: str | Path, pdf_path: str | Path | None = None, *, timeout_s: float = 90) -> PdfOutcome:
    """Print ``html_path`` to ``pdf_path`` (default: report.pdf beside it); the reason when it cannot."""
    html_path = Path(html_path).resolve()
    pdf_path = Path(pdf_path) if pdf_path is not None else html_path.with_name(PDF_FILE)
    why = pdf_unavailable()
    if why:
        return PdfOutcome(None, why)
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    browser_path = find_chromium()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=browser_path, args=launch_args(), headless=True)
            try:
                # lay the page out at A4's printable width (186 mm ≈ 703 px), so responsive charts fit the paper
                page = browser.new_page(viewport={"width": 703, "height": 1000})
                page.emulate_media(media="print")
                page.goto(html_path.as_uri(), wait_until="load", timeout=timeout_s * 1000)
                # Plotly draws after load; wait until every chart div holds its SVG
                page.wait_for_function(
                    "() => [...document.querySelectorAll('.plotly-graph-div')].every(d => d.querySelector('svg'))",
                    timeout=timeout_s * 1000,
                )
                page.evaluate("document.fonts.ready")
                page.pdf(path=str(pdf_path), format="A4", print_background=True, prefer_css_page_size=True,
                         margin={"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"})
            finally:
                browser.close()
    except PlaywrightError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return PdfOutcome(None, f"chromium could not print the report: {first_line}")
    return PdfOutcome(pdf_path)
