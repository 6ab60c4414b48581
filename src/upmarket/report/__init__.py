"""The report: a self-contained, offline HTML page in English or Chinese, built from a run's output."""

from upmarket.report.html import load_sections, render_html, render_report, report_model, save_charts

__all__ = ["load_sections", "render_html", "render_report", "report_model", "save_charts"]
