"""The nightly expiry (DOMAIN.md §6, §12): vouchers after their last valid day, term entitlements (washes,
the repair card, rescue, inspection) after the term's last covered day. Idempotent: run it twice, or after
missed nights, and each entitlement expires exactly once."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Q

from perks.models import Entitlement, EntitlementStatus, EntryType, PerkKind
from perks.services.common import issued_entry, locked_counters, write_entry

CHUNK = 500


def expire_vouchers(*, today: date) -> int:
    """Expire every live entitlement whose last valid day is before `today`; returns how many expired."""
    due = Entitlement.objects.filter(status=EntitlementStatus.LIVE).filter(
        Q(valid_until__lt=today) | Q(ended_on__lt=today)
    )
    expired = 0
    last_pk = 0
    while True:
        batch = list(due.filter(pk__gt=last_pk).order_by("pk").values_list("pk", "term_id")[:CHUNK])
        if not batch:
            return expired
        for pk, term_id in batch:
            expired += _expire_one(pk, term_id, today)
        last_pk = batch[-1][0]


@transaction.atomic
def _expire_one(pk: int, term_id: int, today: date) -> int:
    counter = locked_counters(term_id)[term_id]
    entitlement = Entitlement.objects.select_for_update().get(pk=pk)
    last_day = min(entitlement.valid_until, entitlement.ended_on or entitlement.valid_until)
    if entitlement.status != EntitlementStatus.LIVE or last_day >= today:
        return 0  # redeemed, reversed or expired meanwhile
    remaining = counter.washes_issued - counter.washes_redeemed if entitlement.kind == PerkKind.WASH else 1
    write_entry(
        entitlement=entitlement, entry_type=EntryType.EXPIRED, occurred_on=today, by=None,
        refers_to=issued_entry(entitlement), quantity=max(remaining, 1), amount=entitlement.face_value,
        note=f"有效期至 {last_day:%Y-%m-%d}",
    )  # fmt: skip
    entitlement.status = EntitlementStatus.EXPIRED
    entitlement.save(update_fields=["status"])
    return 1
