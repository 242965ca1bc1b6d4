"""A vehicle's renewal history as the loyalty rules read it (DOMAIN.md §12 Loyalty counting)."""

from __future__ import annotations

from perks import rules
from policies.models import RenewalKind, RetainedCustomer, VehicleTerm


def won_back_vehicle(vehicle_id: int) -> bool:
    """Insured elsewhere before (a 保有客户 row): its first term here was a 续回 won back (category 2–4)."""
    return RetainedCustomer.objects.filter(vehicle_id=vehicle_id).exists()


def loyalty_history(term: VehicleTerm) -> list[rules.TermRecord]:
    """The vehicle's terms up to this one, oldest first; cancelled terms are not 续回 and are left out."""
    rows = (
        VehicleTerm.objects.filter(vehicle_id=term.vehicle_id, cancelled_on__isnull=True, start_on__lte=term.start_on)
        .order_by("start_on", "pk")
        .values("pk", "owner_id", "renewal_kind")
    )
    records = []
    won_back = None
    for index, row in enumerate(rows):
        kind = row["renewal_kind"]
        if index == 0 and kind == RenewalKind.NEW:
            won_back = won_back_vehicle(term.vehicle_id) if won_back is None else won_back
            kind = RenewalKind.RENEWAL if won_back else kind
        records.append(rules.TermRecord(owner_key=row["owner_id"], renewal_kind=str(kind)))
    return records


def loyalty_counts_of(term: VehicleTerm) -> rules.LoyaltyCounts:
    return rules.loyalty_counts(loyalty_history(term))
