"""Writes of policy records. Every domain write goes through a function here (or the importer, which calls these)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from policies.masking import keyed_hash, mask_id_number
from policies.models import Branch, ConsentChange, Customer, Policy, Staff, VehicleTerm
from policies.terms import COMMERCIAL, COMPULSORY, PolicyFacts, group_terms, link_renewals
from renewal_desk.roles import Role

FULL_COVER_MIN_THIRD_PARTY = 1_000_000
CHUNK_VEHICLES = 2000
# bulk_update sends CASE WHEN pk=… with one branch per row, which the database scans for every row it updates:
# the cost grows with the square of the batch. 250 measured fastest on PostgreSQL (100,000 policies: 28.5 s
# against 35.6 s at 1,000); SQLite caps batches at 333 anyway.
UPDATE_BATCH = 250


@transaction.atomic
def create_staff(
    *,
    employee_no: str,
    name: str,
    branch: Branch,
    roles: Iterable[str],
    team: str = "",
    is_team_leader: bool = False,
    base_salary: Decimal = Decimal("0.00"),
    password: str | None = None,
) -> Staff:
    """A staff member with a login named by their 工号 (unusable password until one is set)."""
    user_model = get_user_model()
    user = user_model(username=employee_no, first_name=name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.is_staff = Role.ADMIN in set(roles)  # admins reach the Django admin
    user.save()
    staff = Staff.objects.create(
        user=user,
        employee_no=employee_no,
        name=name,
        branch=branch,
        team=team,
        is_team_leader=is_team_leader,
        base_salary=base_salary,
    )
    set_staff_roles(staff=staff, roles=roles)
    return staff


def set_staff_roles(*, staff: Staff, roles: Iterable[str]) -> None:
    wanted = set(roles)
    unknown = wanted - set(Role.values)
    if unknown:
        raise ValueError(f"未知角色：{'、'.join(sorted(unknown))}")
    groups = [Group.objects.get_or_create(name=role)[0] for role in sorted(wanted)]
    staff.user.groups.set(groups)
    is_admin = Role.ADMIN in wanted
    if staff.user.is_staff != is_admin:
        staff.user.is_staff = is_admin
        staff.user.save(update_fields=["is_staff"])


def customer_id_hash(id_number: str) -> str:
    return keyed_hash(id_number.upper(), key=settings.CUSTOMER_ID_HASH_KEY)


def masked_id(id_number: str) -> str:
    return mask_id_number(id_number)


@transaction.atomic
def record_consent(*, customer: Customer, consent: bool, source: str, on: date | None = None, by: Staff | None = None):
    """The latest row or action wins; 是 records the date it was given (DOMAIN.md §4)."""
    customer.sms_consent = consent
    customer.sms_consent_on = (on or timezone.localdate()) if consent else None
    customer.save(update_fields=["sms_consent", "sms_consent_on"])
    ConsentChange.objects.create(
        customer=customer, consent=consent, source=source, recorded_at=timezone.now(), recorded_by=by
    )


def rebuild_terms(vehicle_ids: Iterable[int], *, grace_days: int = 30) -> int:
    """Regroup the policies of these vehicles into vehicle-terms and relink renewals, set-based.

    Existing term rows are kept (cases refer to them) when any of their policies stays in the group.
    Returns the number of terms written. Must run inside the caller's transaction for all-or-nothing writes.
    """
    ids = sorted(set(vehicle_ids))
    written = 0
    for start in range(0, len(ids), CHUNK_VEHICLES):
        written += _rebuild_chunk(ids[start : start + CHUNK_VEHICLES], grace_days=grace_days)
    return written


def _rebuild_chunk(vehicle_ids: list[int], *, grace_days: int) -> int:
    fields = [
        "pk", "vehicle_id", "branch_id", "kind", "policy_no", "start_on", "end_on", "signed_on",
        "previous_policy_no", "cancelled_on", "premium", "has_vehicle_damage", "third_party_limit", "channel",
        "callback_id", "seller_id", "lead_id", "follow_up_id", "insured_id", "term_id",
    ]  # fmt: skip
    rows_by_vehicle: dict[int, list[dict]] = defaultdict(list)
    for row in Policy.objects.filter(vehicle_id__in=vehicle_ids).values(*fields).order_by("vehicle_id", "end_on"):
        rows_by_vehicle[row["vehicle_id"]].append(row)
    existing = {term.pk: term for term in VehicleTerm.objects.filter(vehicle_id__in=vehicle_ids)}

    planned: list[tuple[VehicleTerm, list[dict], int | None]] = []  # term, its policy rows, previous index
    kept_ids: set[int] = set()
    for vehicle_id, rows in rows_by_vehicle.items():
        by_pk = {row["pk"]: row for row in rows}
        facts = [
            PolicyFacts(
                key=row["pk"], kind=row["kind"], policy_no=row["policy_no"], start_on=row["start_on"],
                end_on=row["end_on"], signed_on=row["signed_on"], previous_policy_no=row["previous_policy_no"],
                cancelled=row["cancelled_on"] is not None,
            )
            for row in rows
        ]  # fmt: skip
        groups = link_renewals(group_terms(facts), grace_days=grace_days)
        offset = len(planned)
        for group in groups:
            term_rows = [by_pk[p.key] for p in group.policies]
            reuse = next(
                (r["term_id"] for r in term_rows if r["term_id"] in existing and r["term_id"] not in kept_ids), None
            )
            term = existing[reuse] if reuse else VehicleTerm(vehicle_id=vehicle_id)
            if reuse:
                kept_ids.add(reuse)
            _fill_term(term, group, term_rows)
            previous = offset + group.previous_index if group.previous_index is not None else None
            planned.append((term, term_rows, previous))

    to_create = [term for term, _, _ in planned if term.pk is None]
    VehicleTerm.objects.bulk_create(to_create, batch_size=1000)
    if to_create and to_create[0].pk is None:  # a backend that does not return keys from bulk inserts
        raise RuntimeError("The database did not return primary keys from bulk_create.")
    for term, _, previous in planned:
        term.previous_term_id = planned[previous][0].pk if previous is not None else None
    term_fields = [
        "branch_id", "owner_id", "start_on", "t_date", "last_end", "signed_on", "channel", "callback_id",
        "seller_id", "lead_id", "follow_up_id", "has_compulsory", "has_commercial", "premium_compulsory",
        "premium_commercial", "full_cover", "previous_term_id", "renewal_kind", "cancelled_on",
    ]  # fmt: skip
    # Terms inserted just above already hold every derived field but their link (the previous term may have been
    # inserted in the same batch): a one-column update for those keeps big imports fast (a 19-column bulk_update
    # was ~85% of the rebuild time).
    created = {id(term) for term in to_create}
    linked_new = [term for term in to_create if term.previous_term_id is not None]
    VehicleTerm.objects.bulk_update(linked_new, ["previous_term_id"], batch_size=UPDATE_BATCH)
    reused = [term for term, _, _ in planned if id(term) not in created]
    VehicleTerm.objects.bulk_update(reused, term_fields, batch_size=UPDATE_BATCH)

    moved = []
    for term, term_rows, _ in planned:
        for row in term_rows:
            if row["term_id"] != term.pk:
                moved.append(Policy(pk=row["pk"], term_id=term.pk))
    Policy.objects.bulk_update(moved, ["term_id"], batch_size=UPDATE_BATCH)
    orphan_ids = set(existing) - kept_ids
    if orphan_ids:
        VehicleTerm.objects.filter(pk__in=orphan_ids, policies__isnull=True).delete()
    return len(planned)


def _fill_term(term: VehicleTerm, group, rows: list[dict]) -> None:
    live = [r for r in rows if r["cancelled_on"] is None] or rows
    lead_row = next((r for r in rows if r["pk"] == group.lead_policy.key), rows[0])
    compulsory = [r for r in live if r["kind"] == COMPULSORY]
    commercial = [r for r in live if r["kind"] == COMMERCIAL]
    term.branch_id = lead_row["branch_id"]
    term.owner_id = lead_row["insured_id"]
    term.start_on = group.start_on
    term.t_date = group.t_date
    term.last_end = group.last_end
    term.signed_on = group.signed_on
    term.channel = lead_row["channel"]
    term.callback_id = lead_row["callback_id"]
    term.seller_id = lead_row["seller_id"]
    term.lead_id = lead_row["lead_id"]
    term.follow_up_id = next((r["follow_up_id"] for r in [lead_row, *rows] if r["follow_up_id"]), None)
    term.has_compulsory = any(r["kind"] == COMPULSORY for r in rows)
    term.has_commercial = any(r["kind"] == COMMERCIAL for r in rows)
    term.premium_compulsory = sum((r["premium"] for r in compulsory), Decimal("0.00"))
    term.premium_commercial = sum((r["premium"] for r in commercial), Decimal("0.00"))
    term.full_cover = bool(compulsory) and any(
        r["has_vehicle_damage"] and (r["third_party_limit"] or 0) >= FULL_COVER_MIN_THIRD_PARTY for r in commercial
    )
    term.renewal_kind = group.renewal_kind
    all_cancelled = all(r["cancelled_on"] is not None for r in rows)
    term.cancelled_on = max(r["cancelled_on"] for r in rows) if all_cancelled else None
