"""Reads of policy records for pages and reports."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from policies.access import vehicles_for_user
from policies.models import Policy, RetainedCustomer, Vehicle, VehicleTerm
from policies.validation import half_width
from renewal_desk.months import add_months

VIN_CHARS = re.compile(r"^[A-Z0-9]{6,17}$")


def search_vehicles(user, query: str) -> QuerySet[Vehicle]:
    """Plate, VIN (whole or its tail), customer name, or the last 4 digits of a phone."""
    text = half_width(query or "").strip().upper().replace(" ", "").replace("·", "")
    vehicles = vehicles_for_user(user).select_related("owner")
    if not text:
        return vehicles.none()
    condition = Q(plate__icontains=text) | Q(owner__name__icontains=query.strip())
    if len(text) == 4 and text.isdigit():
        condition |= Q(owner__mobile_last4=text) | Q(policies__insured__mobile_last4=text)
    if VIN_CHARS.match(text):
        condition |= Q(vin=text) if len(text) == 17 else Q(vin__endswith=text)
    condition |= Q(policies__insured__name__icontains=query.strip())
    return vehicles.filter(condition).distinct().order_by("plate", "vin")


@dataclass(frozen=True)
class VehicleHistory:
    vehicle: Vehicle
    terms: list[VehicleTerm]
    policies_by_term: dict[int, list[Policy]]
    retained_rows: list[RetainedCustomer]


def vehicle_history(vehicle: Vehicle) -> VehicleHistory:
    terms = list(
        vehicle.terms.select_related("branch", "owner", "callback", "seller", "lead", "follow_up", "previous_term")
        .order_by("-t_date")
    )
    policies: dict[int, list[Policy]] = {}
    for policy in vehicle.policies.select_related("insurer", "insured").order_by("kind", "start_on"):
        policies.setdefault(policy.term_id, []).append(policy)
    retained = list(vehicle.retained_rows.select_related("branch", "customer", "follow_up"))
    return VehicleHistory(vehicle=vehicle, terms=terms, policies_by_term=policies, retained_rows=retained)


def customer_category(*, vehicle_id: int, t_date: date, case_date: date, expiring_term_sold_here: bool) -> int:
    """The customer category of DOMAIN.md §3, precedence 1 > 2 > 4 > 3, frozen when the case is created.

    1: the expiring term was sold here; 2: insured elsewhere with complete policy data (上年保险公司 + 上年保单号);
    4: insured elsewhere, back in the workshop within 2 years of the case date; 3: phone only (the rest).
    """
    if expiring_term_sold_here:
        return 1
    rows = list(
        RetainedCustomer.objects.filter(vehicle_id=vehicle_id).values(
            "previous_insurer", "previous_policy_no", "last_return_on"
        )
    )
    if any(row["previous_insurer"] and row["previous_policy_no"] for row in rows):
        return 2
    two_years_before = add_months(case_date, -24)
    if any(row["last_return_on"] and row["last_return_on"] >= two_years_before for row in rows):
        return 4
    return 3
