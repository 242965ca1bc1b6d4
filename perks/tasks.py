"""Thin, idempotent tasks (the beat schedule in settings names them)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from perks.services import expire_vouchers


@shared_task(name="perks.tasks.expire_vouchers_task")
def expire_vouchers_task(today: str | None = None) -> int:
    """Daily: expire what ran out before today. Safe to retry or redeliver (each entitlement expires once)."""
    from datetime import date

    day = date.fromisoformat(today) if today else timezone.localdate()
    return expire_vouchers(today=day)
