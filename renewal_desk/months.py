"""Calendar-month arithmetic by the corresponding-day rule (DOMAIN.md §4, §6, §11). Pure: no Django."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """The corresponding day `months` later (negative: earlier), clamped to the month's last day.

    2025-03-31 minus one month is 2025-02-28; 2024-08-31 plus six months is 2025-02-28.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last_day))


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(day: date) -> date:
    return add_months(month_start(day), 1)


def previous_month(day: date) -> date:
    return add_months(month_start(day), -1)


def parse_month(text: str) -> date:
    """'2026-05' -> date(2026, 5, 1); ValueError otherwise."""
    year, _, month = text.strip().partition("-")
    return date(int(year), int(month), 1)


def month_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
