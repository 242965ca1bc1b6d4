"""Builders for the follow-up desk's tests (and the UI engineer's): terms ending on a given T, retained rows,
cases made by the real daily job, and many cases at once through bulk inserts."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from followups.models import Case
from followups.services import run_daily
from policies.models import (
    Branch,
    Customer,
    Policy,
    PolicyKind,
    RetainedCustomer,
    Staff,
    Vehicle,
    VehicleTerm,
)
from policies.services import rebuild_terms
from renewal_desk.months import add_months
from tests.factories import insurer, make_customer, make_plate, make_term, make_vin

# The day most tests run the daily job for (a Monday); T dates are chosen relative to it.
DAY = date(2026, 6, 1)
_numbers = itertools.count(1)
KINDS = ((PolicyKind.COMPULSORY, Decimal("950.00"), "J"), (PolicyKind.COMMERCIAL, Decimal("4512.00"), "S"))


@dataclass
class Desk:
    branch: Branch
    lead: Staff
    manager: Staff
    deputy_gm: Staff
    gm: Staff
    specialist: Staff
    specialist2: Staff
    callback: Staff
    seller: Staff


def start_for(t: date) -> date:
    """The start of a one-year term whose T is `t`."""
    return add_months(t + timedelta(days=1), -12)


def term_ending(t: date, *, branch: Branch, customer: Customer | None = None, vehicle: Vehicle | None = None,
                **fields) -> VehicleTerm:  # fmt: skip
    term = make_term(branch=branch, start_on=start_for(t), customer=customer, vehicle=vehicle, **fields)
    assert term.t_date == t, (term.t_date, t)
    return term


def renewal_of(term: VehicleTerm, *, start_on: date | None = None, **fields) -> VehicleTerm:
    """The next year's term of the same vehicle, linked by 上年保单号 (as an import would write it)."""
    commercial = term.policies.filter(kind=PolicyKind.COMMERCIAL).first() or term.policies.first()
    return make_term(
        branch=fields.pop("branch", term.branch), vehicle=term.vehicle, customer=term.owner,
        start_on=start_on or term.t_date + timedelta(days=1), previous_policy_no=commercial.policy_no, **fields,
    )  # fmt: skip


def retained_row(t: date | None, *, branch: Branch, customer: Customer | None = None, **fields) -> RetainedCustomer:
    customer = customer or make_customer(mobile=f"139{next(_numbers):08d}")
    vehicle = Vehicle.objects.create(vin=make_vin(), plate=make_plate(), owner=customer)
    return RetainedCustomer.objects.create(branch=branch, vehicle=vehicle, customer=customer, expected_end=t, **fields)


def case_of(term_or_row, *, day: date = DAY) -> Case:
    """Run the daily job for `day` and return the case of this term (or 保有客户 row)."""
    run_daily(day=day)
    if isinstance(term_or_row, VehicleTerm):
        return Case.objects.get(expiring_term=term_or_row)
    return Case.objects.get(retained=term_or_row)


def bulk_terms(*, branch: Branch, t_dates: list[date], follow_up: Staff | None = None, consent: bool = True,
               mobile_prefix: str = "137") -> list[int]:  # fmt: skip
    """Many one-year terms (交强 + 商业) at once with bulk inserts; returns their vehicle ids."""
    start = next(_numbers) * 100_000
    customers = Customer.objects.bulk_create([
        Customer(name=f"客户{start + i}", mobile=f"{mobile_prefix}{(start + i) % 10**8:08d}",
                 mobile_last4=f"{(start + i) % 10**4:04d}", sms_consent=consent)
        for i in range(len(t_dates))
    ])  # fmt: skip
    vehicles = Vehicle.objects.bulk_create([
        Vehicle(vin=make_vin(start + i), plate=f"沪B{(start + i) % 100000:05d}", owner=customer)
        for i, customer in enumerate(customers)
    ])  # fmt: skip
    company = insurer()
    policies = []
    for i, (vehicle, customer, t) in enumerate(zip(vehicles, customers, t_dates, strict=True)):
        begin = start_for(t)
        for kind, premium, suffix in KINDS:
            policies.append(Policy(
                insurer=company, policy_no=f"BK{start + i}{suffix}", kind=kind, branch=branch, vehicle=vehicle,
                insured=customer, signed_on=begin - timedelta(days=3), start_on=begin, end_on=t, premium=premium,
                follow_up=follow_up,
            ))  # fmt: skip
    Policy.objects.bulk_create(policies, batch_size=1000)
    ids = [vehicle.pk for vehicle in vehicles]
    rebuild_terms(ids)
    return ids
