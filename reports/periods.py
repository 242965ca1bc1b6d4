"""Periods and cut-offs (数据截至) of the reports, in local time (Asia/Shanghai)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from renewal_desk.months import add_months, month_end, month_start, next_month

MONTH_END_HOUR = 1  # the scheduled build's cut-off: 01:00 on the 1st of the next month (DOMAIN.md §12)


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def month_end_cut_off(month: date) -> datetime:
    """01:00 local on the 1st after `month`: the cut-off of that month's scheduled 战报表."""
    return timezone.make_aware(datetime.combine(next_month(month), time(MONTH_END_HOUR)))


def cut_off_for_month(month: date, cut_off: datetime) -> datetime:
    """A month before the report's is read as of its own month-end cut-off (as it was reported), never later.

    This makes month-on-month changes and the 12-month trend like-for-like (each past month as its own 战报表
    showed it), and a rebuild with the same cut-off gives the same numbers.
    """
    return min(cut_off, month_end_cut_off(month))


def months_back(month: date, count: int) -> list[date]:
    """The `count` months ending with `month`, oldest first."""
    start = month_start(month)
    return [add_months(start, offset) for offset in range(-(count - 1), 1)]


def months_ahead(month: date, count: int) -> list[date]:
    """The `count` months after `month`."""
    start = month_start(month)
    return [add_months(start, offset) for offset in range(1, count + 1)]


def month_bounds(month: date) -> tuple[date, date]:
    return month_start(month), month_end(month)


def local_range(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """[first_day 00:00, last_day + 1 00:00) as aware datetimes: a period counted by local date."""
    return local_midnight(first_day), local_midnight(last_day + timedelta(days=1))


def parse_iso_week(text: str) -> tuple[date, date]:
    """'2026-W22' → (Monday, Sunday) of that ISO week; ValueError otherwise."""
    year_text, _, week_text = text.strip().upper().partition("-W")
    monday = date.fromisocalendar(int(year_text), int(week_text), 1)
    return monday, monday + timedelta(days=6)


def iso_week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def format_cut_off(cut_off: datetime) -> str:
    return timezone.localtime(cut_off).strftime("%Y-%m-%d %H:%M")


def previous_full_month(now: datetime | None = None) -> date:
    """The month the scheduled build reports on: the one before the local date of `now`."""
    today = timezone.localtime(now or timezone.now()).date()
    return add_months(month_start(today), -1)
