"""The report: a self-contained, offline HTML page in English or Chinese, built from a run's output,
with the same page as report.pdf and the tables as results.xlsx."""

from upmarket.report.html import (
    ReportFiles,
    load_sections,
    render_all,
    render_html,
    render_report,
    report_model,
    save_charts,
)

__all__ = ["ReportFiles", "load_sections", "render_all", "render_html", "render_report", "report_model",
           "save_charts"]
