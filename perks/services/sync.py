"""Keep the ledger in step with renewals that arrive as data (the importer), not through the desk.

DOMAIN.md §12: perks are written when a 续回 is recorded, "desk or import"; a 交强-only 续回 earns them when its
商业 policy arrives; a renewal that stops being a 续回 (退保) gets its unredeemed perks reversed. The desk calls
issue_renewal_perks itself; imported data is brought in step here — for the vehicles an import touched (right
after it commits) and by the daily job's sweep, so nothing is missed if a task is lost. Both calls are idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from perks.models import Entitlement, EntitlementStatus
from perks.services.issue import issue_renewal_perks, reverse_renewal_perks
from policies.models import RenewalKind, RetainedCustomer, VehicleTerm


@dataclass
class SyncOutcome:
    issued_terms: int = 0
    reversed_terms: int = 0


def sync_renewal_perks(*, vehicle_ids: Iterable[int] | None = None, today: date | None = None) -> SyncOutcome:
    """Issue perks for renewal terms that have none yet (or, for the vehicles given, re-check every renewal term,
    so a later policy that moves the premium band reissues the reward) and reverse perks of cancelled terms."""
    today = today or timezone.localdate()
    terms = VehicleTerm.objects.all()
    if vehicle_ids is not None:
        terms = terms.filter(vehicle_id__in=list(vehicle_ids))
    has_perks = Exists(Entitlement.objects.filter(term=OuterRef("pk")))
    has_live_perks = Exists(Entitlement.objects.filter(term=OuterRef("pk"), status=EntitlementStatus.LIVE))
    could_earn = Q(cancelled_on__isnull=True, has_commercial=True, signed_on__lte=today) & (
        ~Q(renewal_kind=RenewalKind.NEW) | Exists(RetainedCustomer.objects.filter(vehicle_id=OuterRef("vehicle_id")))
    )
    to_issue = terms.filter(could_earn)
    if vehicle_ids is None:
        to_issue = to_issue.filter(~has_perks)  # the daily sweep: only what was never issued
    outcome = SyncOutcome()
    for term in to_issue.order_by("pk").iterator(chunk_size=500):
        if issue_renewal_perks(term=term, recorded_on=today).issued:
            outcome.issued_terms += 1
    for term in terms.filter(cancelled_on__isnull=False).filter(has_live_perks).order_by("pk").iterator(chunk_size=500):
        reverse_renewal_perks(term=term, on=term.cancelled_on)
        outcome.reversed_terms += 1
    return outcome
