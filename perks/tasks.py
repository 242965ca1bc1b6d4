"""Thin, idempotent tasks (the beat schedule in settings names them)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from perks.services import expire_vouchers, sync_renewal_perks


@shared_task(name="perks.tasks.expire_vouchers_task")
def expire_vouchers_task(today: str | None = None) -> int:
    """Daily: expire what ran out before today. Safe to retry or redeliver (each entitlement expires once)."""
    from datetime import date

    day = date.fromisoformat(today) if today else timezone.localdate()
    return expire_vouchers(today=day)


@shared_task(name="perks.tasks.sync_renewal_perks_task")
def sync_renewal_perks_task(vehicle_ids: list[int] | None = None) -> dict:
    """After an import (one task per chunk of vehicles) or as the daily sweep (no ids). Idempotent."""
    outcome = sync_renewal_perks(vehicle_ids=vehicle_ids)
    return {"issued_terms": outcome.issued_terms, "reversed_terms": outcome.reversed_terms}
