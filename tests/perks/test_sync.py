"""Renewals that arrive as data get their perks too (DOMAIN.md §12 Trigger, Cancellation)."""

from datetime import date

import pytest

from perks.models import Entitlement, EntitlementStatus
from perks.services import sync_renewal_perks
from policies.models import Policy
from policies.services import rebuild_terms
from tests.factories import make_customer, make_term
from tests.perks.conftest import renew

pytestmark = pytest.mark.django_db

TODAY = date(2025, 9, 15)


def test_the_daily_sweep_issues_perks_for_an_imported_renewal_once(branch):
    first = make_term(branch=branch, start_on=date(2024, 7, 1), customer=make_customer("钱伟", "13500000288"))
    renewal = renew(first)
    new_business = make_term(branch=branch, start_on=date(2025, 7, 1))

    outcome = sync_renewal_perks(today=TODAY)

    assert outcome.issued_terms == 1
    assert Entitlement.objects.filter(term=renewal).exists()
    assert not Entitlement.objects.filter(term__in=[first, new_business]).exists()
    before = Entitlement.objects.count()
    assert sync_renewal_perks(today=TODAY).issued_terms == 0
    assert sync_renewal_perks(vehicle_ids=[renewal.vehicle_id], today=TODAY).issued_terms == 0
    assert Entitlement.objects.count() == before


def test_a_compulsory_only_renewal_waits_for_its_commercial_policy(branch):
    first = make_term(branch=branch, start_on=date(2024, 7, 1))
    renewal = renew(first, kinds=("compulsory",))
    assert sync_renewal_perks(today=TODAY).issued_terms == 0
    assert not Entitlement.objects.filter(term=renewal).exists()


def test_a_cancelled_renewal_has_its_unredeemed_perks_reversed(branch):
    first = make_term(branch=branch, start_on=date(2024, 7, 1))
    renewal = renew(first)
    sync_renewal_perks(today=TODAY)
    Policy.objects.filter(term=renewal).update(cancelled_on=date(2025, 9, 1))
    rebuild_terms([renewal.vehicle_id])

    outcome = sync_renewal_perks(vehicle_ids=[renewal.vehicle_id], today=TODAY)

    assert outcome.reversed_terms == 1
    assert not Entitlement.objects.filter(term=renewal, status=EntitlementStatus.LIVE).exists()
    assert sync_renewal_perks(vehicle_ids=[renewal.vehicle_id], today=TODAY).reversed_terms == 0
