"""Policy records in the database: terms rebuilt from policies, constraints that hold the invariants."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from policies.models import Policy, PolicyKind, RenewalKind, Vehicle, VehicleTerm
from policies.services import rebuild_terms, record_consent
from tests.factories import insurer, make_branch, make_customer, make_staff, make_term

pytestmark = pytest.mark.django_db


def test_a_term_of_compulsory_and_commercial_is_one_term_with_full_cover_and_both_premiums():
    branch = make_branch()
    term = make_term(branch=branch, start_on=date(2025, 7, 1))
    assert VehicleTerm.objects.count() == 1
    assert term.has_compulsory and term.has_commercial
    assert term.premium_total == Decimal("5462.00")
    assert term.full_cover is True
    assert term.t_date == date(2026, 6, 30)


def test_full_cover_needs_compulsory_damage_and_a_million_third_party():
    branch = make_branch()
    commercial_only = make_term(branch=branch, start_on=date(2025, 7, 1), kinds=(PolicyKind.COMMERCIAL,))
    small_limit = make_term(branch=branch, start_on=date(2025, 7, 1), full_cover=False)
    assert commercial_only.full_cover is False
    assert small_limit.full_cover is False


def test_next_year_links_to_the_previous_term_and_rebuilding_again_changes_nothing():
    branch = make_branch()
    first = make_term(branch=branch, start_on=date(2024, 7, 1))
    first_commercial = first.policies.get(kind=PolicyKind.COMMERCIAL)
    second = make_term(
        branch=branch, vehicle=first.vehicle, customer=first.owner, start_on=date(2025, 7, 1),
        previous_policy_no=first_commercial.policy_no,
    )  # fmt: skip
    assert second.previous_term_id == first.pk
    assert second.renewal_kind == RenewalKind.RENEWAL
    ids_before = sorted(VehicleTerm.objects.values_list("pk", "previous_term_id", "renewal_kind"))
    rebuild_terms([first.vehicle_id])
    assert sorted(VehicleTerm.objects.values_list("pk", "previous_term_id", "renewal_kind")) == ids_before


def test_credits_and_channel_come_from_the_commercial_policy():
    branch = make_branch()
    seller = make_staff(branch, "seller")
    term = make_term(branch=branch, start_on=date(2025, 1, 1), channel="telesales", seller=seller)
    assert term.channel == "telesales"
    assert term.seller == seller


def test_policy_number_is_unique_per_insurer_only():
    branch = make_branch()
    term = make_term(branch=branch, start_on=date(2025, 1, 1))
    existing = term.policies.first()
    duplicate = {
        "kind": PolicyKind.COMPULSORY, "branch": branch, "vehicle": term.vehicle, "insured": term.owner,
        "start_on": date(2025, 1, 1), "end_on": date(2025, 12, 31), "premium": Decimal("950.00"),
        "policy_no": existing.policy_no,
    }  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        Policy.objects.create(insurer=existing.insurer, **duplicate)
    Policy.objects.create(insurer=insurer("人保财险"), **duplicate)


def test_end_before_start_and_negative_premium_are_refused_by_the_database():
    branch = make_branch()
    vehicle = Vehicle.objects.create(vin="LVSFCFME37F107967")
    customer = make_customer()
    base = {
        "insurer": insurer(),
        "kind": PolicyKind.COMPULSORY,
        "branch": branch,
        "vehicle": vehicle,
        "insured": customer,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Policy.objects.create(policy_no="X1", start_on=date(2025, 1, 1), end_on=date(2024, 12, 31), premium=1, **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        Policy.objects.create(policy_no="X2", start_on=date(2025, 1, 1), end_on=date(2025, 12, 31), premium=-1, **base)


def test_an_invalid_vin_cannot_be_stored():
    with pytest.raises(IntegrityError), transaction.atomic():
        Vehicle.objects.create(vin="LVSFCFME37F10796O")  # the letter O is never used


def test_customer_never_keeps_a_full_id_number():
    customer = make_customer(id_masked="11010519491231002X")
    customer.refresh_from_db()
    assert customer.id_masked == "1101**********002X"


def test_consent_change_records_the_date_given_and_the_latest_wins():
    customer = make_customer()
    record_consent(customer=customer, consent=True, source="import", on=date(2025, 7, 10))
    assert (customer.sms_consent, customer.sms_consent_on) == (True, date(2025, 7, 10))
    record_consent(customer=customer, consent=False, source="desk")
    customer.refresh_from_db()
    assert (customer.sms_consent, customer.sms_consent_on) == (False, None)
    assert customer.consent_changes.count() == 2
