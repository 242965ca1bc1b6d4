"""Reads for the service desk: a vehicle's live entitlements, its wash counts, what a cancellation left unrecovered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet, Sum

from perks.models import ZERO, Entitlement, EntitlementStatus, EntryType, LedgerEntry, PerkKind, TermPerkCounter
from policies.models import Vehicle, VehicleTerm


def live_entitlements(vehicle: Vehicle, *, on: date) -> QuerySet[Entitlement]:
    """Entitlements that can still be used (including those not yet in effect), soonest to lapse first."""
    return (
        Entitlement.objects.filter(vehicle=vehicle, status=EntitlementStatus.LIVE, valid_until__gte=on)
        .select_related("term", "branch", "oil_request")
        .order_by("valid_until", "kind", "pk")
    )


@dataclass(frozen=True)
class WashBalance:
    term: VehicleTerm
    issued: int
    redeemed: int

    @property
    def left(self) -> int:
        return self.issued - self.redeemed


def wash_balances(entitlements) -> dict[int, WashBalance]:
    term_ids = [e.term_id for e in entitlements if e.kind == PerkKind.WASH]
    counters = TermPerkCounter.objects.filter(term_id__in=term_ids).select_related("term")
    return {c.term_id: WashBalance(term=c.term, issued=c.washes_issued, redeemed=c.washes_redeemed) for c in counters}


def unrecovered_amount(vehicle: Vehicle) -> Decimal:
    """What cancellations left as 已使用未追回: the amount the desk deducts from the refund."""
    total = LedgerEntry.objects.filter(
        vehicle=vehicle, entry_type=EntryType.REVERSED, unrecovered=True
    ).aggregate(total=Sum("amount"))["total"]  # fmt: skip
    return total if total is not None else ZERO


def ledger_of(vehicle: Vehicle, *, limit: int = 50) -> list[LedgerEntry]:
    return list(
        LedgerEntry.objects.filter(vehicle=vehicle)
        .select_related("recorded_by", "at_branch")
        .order_by("-recorded_at", "-pk")[:limit]
    )
