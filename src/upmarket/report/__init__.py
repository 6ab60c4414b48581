"""The report: a self-contained, offline HTML page in English or Chinese, built from a run's output,
with the same page as report.pdf and the tables as results.xlsx. Its charts are drawn from the saved results
by :mod:`upmarket.report.charts`."""

from upmarket.report.html import (
    ReportFiles,
    load_sections,
    render_all,
    render_html,
    render_report,
    report_model,
    save_sections,
)

__all__ = ["ReportFiles", "load_sections", "render_all", "render_html", "render_report", "report_model",
           "save_sections"]
