"""Argument parsing shared by the report commands."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import CommandError
from django.utils import timezone

from policies.models import Branch
from renewal_desk.months import parse_month


def month_argument(text: str):
    try:
        return parse_month(text)
    except (ValueError, TypeError) as error:
        raise CommandError(f"月份格式应为 YYYY-MM：{text}") from error


def cut_off_argument(text: str | None) -> datetime:
    """'YYYY-MM-DD HH:MM' local time; default now (a download's cut-off is the time of the request)."""
    if not text:
        return timezone.now()
    try:
        return timezone.make_aware(datetime.strptime(text.strip(), "%Y-%m-%d %H:%M"))
    except ValueError as error:
        raise CommandError(f'数据截至格式应为 "YYYY-MM-DD HH:MM"：{text}') from error


def branch_argument(code: str | None) -> Branch | None:
    if not code:
        return None
    branch = Branch.objects.filter(code=code.strip()).first()
    if branch is None:
        raise CommandError(f"没有门店编码为 {code} 的门店。")
    return branch
