"""Helpers shared by the perk services: locks in a fixed order, ledger rows, the terms in force, go-live."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from perks.models import ZERO, Entitlement, EntryType, LedgerEntry, TermPerkCounter
from perks.rules import DEFAULT_TERMS, PerkTerms
from policies.models import Branch, Staff, VehicleTerm

# Lock order, everywhere: the terms' perk counters by term id, then entitlements by id, then oil requests.
# Two writers that need the same rows therefore queue instead of deadlocking.


def locked_counters(*term_ids: int) -> dict[int, TermPerkCounter]:
    """Create (if missing) and lock the perk counters of these terms, in ascending term id."""
    ids = sorted({term_id for term_id in term_ids if term_id is not None})
    # One INSERT for the missing ones; a counter another transaction created first is skipped and locked below.
    TermPerkCounter.objects.bulk_create([TermPerkCounter(term_id=term_id) for term_id in ids], ignore_conflicts=True)
    counters = TermPerkCounter.objects.select_for_update().filter(term_id__in=ids).order_by("term_id")
    return {counter.term_id: counter for counter in counters}


def locked_entitlement(entitlement_id: int) -> Entitlement:
    # of=self: lock the entitlement only, not the term, branch and vehicle rows joined for reading.
    return (
        Entitlement.objects.select_for_update(of=("self",))
        .select_related("term", "branch", "vehicle")
        .get(pk=entitlement_id)
    )


def terms_in_force(branch: Branch, on: date) -> PerkTerms:
    """The perk terms in force for a branch on a day (the renewal's 签单日期). Every branch uses the
    division's defaults in this version; the ledger copies them, so an effective-dated table can come later."""
    return DEFAULT_TERMS


def perks_start_of(branch: Branch) -> date:
    """权益启用日期: the branch's own, else its 续保启动日期, else the installation date (DOMAIN.md §12)."""
    if branch.perks_start:
        return branch.perks_start
    if branch.programme_start:
        return branch.programme_start
    installed = getattr(settings, "PERKS_INSTALLED_ON", None)
    if installed:
        return date.fromisoformat(str(installed))
    return timezone.localdate(branch.created_at)


def write_entry(
    *,
    entitlement: Entitlement,
    entry_type: str,
    occurred_on: date,
    by: Staff | None,
    refers_to: LedgerEntry | None = None,
    quantity: int = 1,
    amount: Decimal = ZERO,
    cost: Decimal = ZERO,
    at_branch: Branch | None = None,
    unrecovered: bool = False,
    note: str = "",
) -> LedgerEntry:
    return LedgerEntry.objects.create(
        entry_type=entry_type,
        entitlement=entitlement,
        kind=entitlement.kind,
        vehicle_id=entitlement.vehicle_id,
        term_id=entitlement.term_id,
        branch_id=entitlement.branch_id,
        at_branch=at_branch,
        quantity=quantity,
        amount=amount,
        cost=cost,
        valid_from=entitlement.valid_from,
        valid_until=entitlement.valid_until,
        rule_terms=entitlement.rule_terms,
        refers_to=refers_to,
        unrecovered=unrecovered,
        occurred_on=occurred_on,
        recorded_by=by,
        note=note,
    )


def issue(*, term: VehicleTerm, kind: str, on: date, by: Staff | None, note: str = "", **fields) -> Entitlement:
    """A new entitlement (fields as for unsaved_entitlement) and its ISSUED ledger row."""
    entitlement = unsaved_entitlement(term=term, kind=kind, by=by, **fields)
    return issue_all([entitlement], on=on, by=by, note=note)[0]


def unsaved_entitlement(
    *,
    term: VehicleTerm,
    kind: str,
    valid_from: date,
    valid_until: date,
    rule_terms: dict,
    by: Staff | None,
    face_value: Decimal = ZERO,
    quantity: int | None = 1,
    oil_request=None,
    sequence: int = 1,
) -> Entitlement:
    return Entitlement(
        term=term, vehicle_id=term.vehicle_id, owner_id=term.owner_id, branch_id=term.branch_id, kind=kind,
        face_value=face_value, quantity=quantity, valid_from=valid_from, valid_until=valid_until,
        oil_request=oil_request, sequence=sequence, rule_terms=rule_terms, issued_by=by,
    )  # fmt: skip


def issue_all(entitlements: list[Entitlement], *, on: date, by: Staff | None, note: str = "") -> list[Entitlement]:
    """Write new entitlements and their ISSUED ledger rows: two INSERTs however many (a renewal earns six or more,
    and an import issues them for thousands of renewals)."""
    if not entitlements:
        return []
    Entitlement.objects.bulk_create(entitlements)
    issued = [_issued_row(entitlement, on=on, by=by, note=note) for entitlement in entitlements]
    LedgerEntry.objects.bulk_create(issued)
    return entitlements


def _issued_row(entitlement: Entitlement, *, on: date, by: Staff | None, note: str) -> LedgerEntry:
    return LedgerEntry(
        entry_type=EntryType.ISSUED, entitlement=entitlement, kind=entitlement.kind, vehicle_id=entitlement.vehicle_id,
        term_id=entitlement.term_id, branch_id=entitlement.branch_id, quantity=entitlement.quantity or 1,
        amount=entitlement.face_value, valid_from=entitlement.valid_from, valid_until=entitlement.valid_until,
        rule_terms=entitlement.rule_terms, occurred_on=on, recorded_by=by, note=note,
    )  # fmt: skip


def issued_entry(entitlement: Entitlement) -> LedgerEntry:
    return LedgerEntry.objects.get(entitlement=entitlement, entry_type=EntryType.ISSUED)
