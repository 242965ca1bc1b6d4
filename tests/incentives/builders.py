"""Constructed months for payout tests: renewals (vehicle-terms through the real policy services, via
tests.factories.make_term) and the cases of their cohort, assigned to staff."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from followups.models import Case, CaseState
from policies.models import Branch, Channel, Staff, Vehicle, VehicleTerm
from renewal_desk.months import add_months, month_start
from tests.factories import make_customer, make_plate, make_term, make_vin


def renewal(
    branch: Branch,
    *,
    signed_on: date,
    t_date: date | None = None,
    channel: str = Channel.STORE,
    callback: Staff | None = None,
    seller: Staff | None = None,
    lead: Staff | None = None,
    full_cover: bool = True,
    assignee: Staff | None = None,
    premium: Decimal = Decimal("4512.00"),
) -> tuple[VehicleTerm, Case | None]:
    """A 续回 sold on `signed_on` crediting the given staff. With `assignee`, the case of the previous term's T
    month (default: the month after the sale) is created, renewed, and assigned to them."""
    t_date = t_date or add_months(month_start(signed_on), 1).replace(day=14)
    previous_start = date(t_date.year - 1, t_date.month, t_date.day) + timedelta(days=1)
    customer = make_customer()
    previous = make_term(branch=branch, start_on=previous_start, customer=customer)
    term = make_term(
        branch=branch,
        vehicle=previous.vehicle,
        customer=customer,
        start_on=previous.last_end + timedelta(days=1),
        signed_on=signed_on,
        channel=channel,
        full_cover=full_cover,
        premium_commercial=premium,
        callback=callback,
        seller=seller,
        lead=lead,
    )
    assert term.renewal_kind == "renewal", term.renewal_kind
    case = None
    if assignee is not None:
        case = cohort_case(
            branch,
            assignee=assignee,
            t_date=previous.t_date,
            vehicle=previous.vehicle,
            state=CaseState.RENEWED,
            renewal_term=term,
            expiring_term=previous,
        )
    return term, case


def cohort_case(
    branch: Branch,
    *,
    assignee: Staff | None,
    t_date: date,
    state: str = CaseState.FOLLOWING,
    vehicle: Vehicle | None = None,
    renewal_term: VehicleTerm | None = None,
    expiring_term: VehicleTerm | None = None,
    removed: bool = False,
) -> Case:
    vehicle = vehicle or Vehicle.objects.create(vin=make_vin(), plate=make_plate())
    return Case.objects.create(
        branch=branch,
        vehicle=vehicle,
        customer=None,
        expiring_term=expiring_term,
        t_date=t_date,
        t_month=month_start(t_date),
        category=1,
        state=state,
        assignee=assignee,
        handoff_due_on=add_months(t_date, -1),
        created_on=t_date - timedelta(days=60),
        renewal_term=renewal_term,
        removed_from_renewable=removed,
    )


def cases(branch: Branch, *, assignee: Staff, t_month: date, due: int, renewed: int, full_cover: int, removed: int = 0):
    """Cohort figures without sales: `renewed` renewed cases (`full_cover` of them full cover), the rest open."""
    made = []
    for index in range(due):
        term = None
        state = CaseState.FOLLOWING
        if index < renewed:
            state = CaseState.RENEWED
            term = _bare_renewal_term(branch, full_cover=index < full_cover, t_month=t_month)
        made.append(
            cohort_case(
                branch,
                assignee=assignee,
                t_date=t_month.replace(day=10),
                state=state,
                renewal_term=term,
                removed=renewed <= index < renewed + removed,
            )
        )
    return made


def _bare_renewal_term(branch: Branch, *, full_cover: bool, t_month: date) -> VehicleTerm:
    """A renewal term row for a case's outcome only (sold long ago, so it pays no commission this month)."""
    vehicle = Vehicle.objects.create(vin=make_vin(), plate=make_plate())
    start = t_month.replace(day=11)
    return VehicleTerm.objects.create(
        vehicle=vehicle,
        branch=branch,
        start_on=start,
        t_date=date(start.year + 1, start.month, 10),
        last_end=date(start.year + 1, start.month, 10),
        signed_on=date(2000, 1, 1),
        has_compulsory=True,
        has_commercial=True,
        premium_compulsory=Decimal("950.00"),
        premium_commercial=Decimal("4000.00"),
        full_cover=full_cover,
        renewal_kind="renewal",
    )
