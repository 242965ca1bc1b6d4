"""Celery tasks of the desk: thin and idempotent (the services make repeats harmless; acks_late is global)."""

from __future__ import annotations

from datetime import date, datetime

from celery import shared_task
from django.utils import timezone

from followups.services import run_daily, send_reminders


@shared_task(name="followups.tasks.run_daily_task")
def run_daily_task(day: str | None = None) -> dict:
    """The 06:00 beat entry; `day` (YYYY-MM-DD) to run or catch up a given date."""
    return run_daily(day=date.fromisoformat(day) if day else timezone.localdate()).as_json()


@shared_task(name="followups.tasks.send_reminders_task")
def send_reminders_task(at: str | None = None) -> dict:
    """The hourly beat entry; `at` (ISO datetime) pins the moment. Retried or redelivered: never sends twice."""
    moment = datetime.fromisoformat(at) if at else timezone.now()
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return send_reminders(at=moment).as_json()
