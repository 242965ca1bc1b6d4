"""Reads for the reports: the single source of every monthly figure (see monthly.py)."""

from reports.selectors.monthly import CohortReader, month_report, report_branches

__all__ = ["CohortReader", "month_report", "report_branches"]
