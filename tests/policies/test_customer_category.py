"""Customer category (DOMAIN.md §3): precedence 1 > 2 > 4 > 3, frozen when the case is created."""

from datetime import date

import pytest

from policies.models import RetainedCustomer, Vehicle
from policies.selectors import customer_category
from tests.factories import make_branch, make_customer, make_vin

pytestmark = pytest.mark.django_db

CASE_DATE = date(2026, 6, 1)


def retained(**fields):
    branch = make_branch()
    customer = make_customer()
    vehicle = Vehicle.objects.create(vin=make_vin())
    RetainedCustomer.objects.create(branch=branch, vehicle=vehicle, customer=customer, **fields)
    return vehicle


@pytest.mark.parametrize(
    ("fields", "sold_here", "expected"),
    [
        ({}, True, 1),  # the expiring term was sold here, whatever the 保有客户 row says
        ({"previous_insurer": "人保财险", "previous_policy_no": "PDAA2025"}, True, 1),
        ({"previous_insurer": "人保财险", "previous_policy_no": "PDAA2025"}, False, 2),
        (
            {"previous_insurer": "人保财险", "previous_policy_no": "PDAA2025", "last_return_on": date(2026, 1, 1)},
            False,
            2,
        ),
        ({"previous_insurer": "人保财险"}, False, 3),  # incomplete policy data, never back: phone only
        ({"last_return_on": date(2024, 6, 1)}, False, 4),  # exactly 2 years before the case date
        ({"last_return_on": date(2024, 5, 31)}, False, 3),  # one day more than 2 years
        ({}, False, 3),
    ],
)
def test_category_precedence(fields, sold_here, expected):
    vehicle = retained(**fields)
    assert (
        customer_category(
            vehicle_id=vehicle.pk, t_date=date(2026, 7, 1), case_date=CASE_DATE, expiring_term_sold_here=sold_here
        )
        == expected
    )


def test_two_years_back_from_29_february_is_28_february():
    vehicle = retained(last_return_on=date(2026, 2, 28))
    assert (
        customer_category(
            vehicle_id=vehicle.pk, t_date=date(2028, 4, 1), case_date=date(2028, 2, 29), expiring_term_sold_here=False
        )
        == 4
    )
