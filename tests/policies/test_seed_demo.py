"""seed_demo and demo_logins: a small demo group is complete, valid, consistent with rebuild_terms and reproducible."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction

from policies.demo import BULK_TABLES, DEMO_PASSWORD, seed_demo
from policies.models import (
    Branch,
    Customer,
    Insurer,
    Policy,
    PolicyKind,
    RenewalKind,
    RetainedCustomer,
    Staff,
    Vehicle,
    VehicleTerm,
)
from policies.services import rebuild_terms
from policies.validation import normalise_mobile, normalise_plate, normalise_vin
from renewal_desk.months import add_months, month_start
from renewal_desk.roles import ALL_BRANCH_ROLES, Role

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 31)  # a month end, to exercise the corresponding-day arithmetic
SMALL = 300


@pytest.fixture
def demo():
    return seed_demo(policies=SMALL, seed=7, today=TODAY, build_cases=False)


def test_group_has_branches_and_every_role(demo):
    branches = list(Branch.objects.order_by("pk"))
    assert [b.code for b in branches] == ["BJ01", "TJ01", "CD01"]
    assert all(b.programme_start and b.programme_start.day == 1 for b in branches)
    # One branch started within the last three months: its ramp window (3 calendar months) is live today.
    live = [b for b in branches if b.programme_start <= TODAY < add_months(b.programme_start, 3)]
    assert [b.code for b in live] == ["CD01"]
    assert any(b.programme_start < add_months(month_start(TODAY), -3) for b in branches)

    staff = list(Staff.objects.prefetch_related("user__groups"))
    branch_roles = set(Role.values) - ALL_BRANCH_ROLES
    for branch in branches:
        held = set().union(*(s.roles for s in staff if s.branch_id == branch.pk))
        assert branch_roles <= held, branch.code
    for role in ALL_BRANCH_ROLES:  # one division and one finance login for the whole group
        assert len([s for s in staff if role in s.roles]) == 1
    assert sorted(int(s.employee_no) for s in staff)[:2] == [1001, 1002]
    assert all(s.base_salary > 0 and re.fullmatch(r"[\u4e00-\u9fff]{2,3}", s.name) for s in staff)
    teams = {(s.branch_id, s.team) for s in staff if s.team.endswith("组")}
    for team in teams:
        assert len([s for s in staff if (s.branch_id, s.team) == team and s.is_team_leader]) == 1, team
    assert Insurer.objects.filter(name__in=["平安产险", "人保财险", "太平洋产险", "国寿财险", "大地保险"]).count() == 5
    assert demo.staff == len(staff)


def test_identifiers_are_valid(demo):
    vehicles = list(Vehicle.objects.all())
    assert vehicles
    for vehicle in vehicles:
        assert vehicle.vin.startswith("L")
        assert normalise_vin(vehicle.vin) == (vehicle.vin, [])  # correct check digit, no warning
        if vehicle.plate:
            assert normalise_plate(vehicle.plate) == (vehicle.plate, vehicle.new_energy)
        assert re.fullmatch(r"\S+ .+ 20\d\d款 .+", vehicle.model_name)
        assert int(vehicle.model_name.split("款")[0][-4:]) >= vehicle.first_registration.year
    assert len({v.vin for v in vehicles}) == len(vehicles)
    assert any(v.new_energy and len(v.plate) == 8 for v in vehicles)
    for customer in Customer.objects.all():
        assert normalise_mobile(customer.mobile) == customer.mobile
        assert customer.mobile_last4 == customer.mobile[-4:]
        assert customer.id_masked == "" or re.fullmatch(r"\d{4}\*{10}\d{3}[\dX]", customer.id_masked)
        assert customer.sms_consent == (customer.sms_consent_on is not None)
        assert customer.sms_consent_on is None or customer.sms_consent_on <= TODAY
    assert Customer.objects.filter(sms_consent=True).exists() and Customer.objects.filter(sms_consent=False).exists()


def test_policies_are_plausible(demo):
    policies = list(Policy.objects.all())
    assert demo.policies == len(policies) >= SMALL
    for policy in policies:
        assert policy.end_on == add_months(policy.start_on, 12) - timedelta(days=1)
        assert policy.signed_on is None or policy.signed_on <= TODAY
        assert policy.start_on >= add_months(TODAY, -18)
        if policy.kind == PolicyKind.COMPULSORY:
            assert policy.premium in {Decimal(n) for n in (665, 760, 855, 950, 1045, 1140, 770, 880, 990, 1100,
                                                          1210, 1320)}  # fmt: skip
        else:
            assert Decimal(2000) <= policy.premium <= Decimal(9000)
            assert any(c.startswith("三者险(") for c in policy.coverages)
    assert {p.channel for p in policies} == {"store", "telesales"}
    terms = list(VehicleTerm.objects.all())
    full = sum(t.full_cover for t in terms) / len(terms)
    assert 0.55 < full < 0.85
    assert any(t.has_compulsory and not t.has_commercial for t in terms)  # some 交强-only terms
    assert any(t.follow_up_id for t in terms) and any(t.follow_up_id is None for t in terms)  # some 待分配


def test_renewals_lapses_and_losses(demo):
    terms = {t.pk: t for t in VehicleTerm.objects.all()}
    kinds = {t.renewal_kind for t in terms.values()}
    assert kinds == {RenewalKind.NEW, RenewalKind.RENEWAL, RenewalKind.LAPSED}
    renewed_ids = {t.previous_term_id for t in terms.values() if t.previous_term_id}
    for term in terms.values():
        if term.renewal_kind == RenewalKind.LAPSED:
            previous = terms[term.previous_term_id]
            gap = (term.start_on - (previous.last_end + timedelta(days=1))).days
            assert 1 <= gap <= 30
        if term.renewal_kind == RenewalKind.RENEWAL:
            assert term.start_on <= terms[term.previous_term_id].last_end + timedelta(days=1)
    losses = [t for t in terms.values() if t.t_date < TODAY and t.pk not in renewed_ids]
    ended = [t for t in terms.values() if t.t_date < TODAY]
    assert losses and 0.2 < len(losses) / len(ended) < 0.5
    on_time = [
        t for t in terms.values() if t.renewal_kind == RenewalKind.RENEWAL and terms[t.previous_term_id].t_date < TODAY
    ]
    assert 0.45 < len(on_time) / len(ended) < 0.75
    # Renewals name their 上年保单号 (most of them), and it is a policy of the previous term.
    linked = Policy.objects.filter(term__renewal_kind__in=["renewal", "lapsed"]).exclude(previous_policy_no="")
    assert linked.exists()
    for policy in linked.select_related("term"):
        assert Policy.objects.filter(policy_no=policy.previous_policy_no, term_id=policy.term.previous_term_id).exists()


def test_retained_rows_cover_categories_2_3_4(demo):
    rows = list(RetainedCustomer.objects.all())
    assert rows

    def category(row):  # DOMAIN.md §3, with the case dated at T (预计到期日)
        if row.previous_insurer and row.previous_policy_no:
            return 2
        on = row.expected_end or TODAY
        return 4 if row.last_return_on and (on - row.last_return_on).days <= 730 else 3

    assert {category(row) for row in rows} == {2, 3, 4}
    assert any(row.expected_end is None for row in rows)  # a few without 预计到期日: no case, "expiry unknown"
    assert sum(row.expected_end is not None for row in rows) > 0.8 * len(rows)
    assert any(row.previous_insurer and not row.previous_policy_no for row in rows)
    insured_vins = set(Policy.objects.values_list("vehicle__vin", flat=True))
    assert not insured_vins & {row.vehicle.vin for row in RetainedCustomer.objects.select_related("vehicle")}
    assert all(row.last_return_on is None or row.last_return_on <= TODAY for row in rows)


def assert_rebuild_terms_changes_nothing():
    def snapshot():
        return (
            list(VehicleTerm.objects.order_by("pk").values()),
            list(Policy.objects.order_by("pk").values_list("pk", "term_id")),
        )

    before = snapshot()
    with transaction.atomic():
        rebuild_terms(Vehicle.objects.values_list("pk", flat=True))
    assert snapshot() == before


def test_terms_are_exactly_what_rebuild_terms_derives(demo):
    assert_rebuild_terms_changes_nothing()


@pytest.mark.postgres
def test_postgres_bulk_load_puts_back_every_index_and_foreign_key():
    from django.db import connection

    tables = [model._meta.db_table for model in BULK_TABLES]

    def schema():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
                [tables],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid = ANY(%s::regclass[]) ORDER BY 1",
                [tables],
            )
            return constraints, cursor.fetchall()

    before = schema()
    assert any("FOREIGN KEY" in definition for _, _, definition in before[0])
    seed_demo(policies=SMALL, seed=7, today=TODAY, build_cases=False, bulk_load=True)
    assert schema() == before
    assert Policy.objects.count() >= SMALL
    assert_rebuild_terms_changes_nothing()


def test_seed_is_deterministic_by_seed():
    def fingerprint():
        return (
            sorted(Staff.objects.values_list("employee_no", "name", "team", "base_salary", "branch__code")),
            sorted(Vehicle.objects.values_list("vin", "plate", "model_name", "first_registration", "owner__name")),
            sorted(Policy.objects.values_list("policy_no", "premium", "start_on", "signed_on", "insured__mobile",
                                              "previous_policy_no", "channel", "follow_up__employee_no")),
            sorted(RetainedCustomer.objects.values_list("vehicle__vin", "expected_end", "last_return_on",
                                                        "previous_policy_no")),
        )  # fmt: skip

    def wipe():
        Policy.objects.all().delete()
        VehicleTerm.objects.all().delete()
        RetainedCustomer.objects.all().delete()
        Vehicle.objects.all().delete()
        Customer.objects.all().delete()
        user_ids = list(Staff.objects.values_list("user_id", flat=True))
        Staff.objects.all().delete()
        get_user_model().objects.filter(pk__in=user_ids).delete()
        Branch.objects.all().delete()

    seed_demo(policies=120, seed=3, today=TODAY, build_cases=False)
    first = fingerprint()
    wipe()
    seed_demo(policies=120, seed=3, today=TODAY, build_cases=False)
    assert fingerprint() == first
    wipe()
    seed_demo(policies=120, seed=4, today=TODAY, build_cases=False)
    other = fingerprint()
    assert other[1] != first[1] and other[2] != first[2]


def test_command_if_empty_is_idempotent():
    out = StringIO()
    call_command("seed_demo", "--policies", "150", "--if-empty", "--no-cases", stdout=out)
    assert "保单" in out.getvalue() and "demo12345" in out.getvalue()
    counts = (Branch.objects.count(), Staff.objects.count(), Policy.objects.count(), RetainedCustomer.objects.count())
    assert counts[2] >= 150

    again = StringIO()
    call_command("seed_demo", "--policies", "150", "--if-empty", stdout=again)
    assert "跳过" in again.getvalue()
    assert (Branch.objects.count(), Staff.objects.count(), Policy.objects.count(),
            RetainedCustomer.objects.count()) == counts  # fmt: skip
    with pytest.raises(CommandError, match="已有门店"):
        call_command("seed_demo", "--policies", "150", stdout=StringIO())


def test_demo_logins_lists_one_login_per_role(demo):
    out = StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    lines = [line for line in text.splitlines() if DEMO_PASSWORD in line]
    assert len(lines) == len(Role.values)
    for role in Role:
        assert any(line.split()[0] == role.label for line in lines), role
    usernames = [line.split()[1] for line in lines]
    user = get_user_model().objects.get(username=usernames[0])
    assert user.check_password(DEMO_PASSWORD)
    branch_lines = [line for line in lines if "集团" not in line]
    assert all("北京亚运村店" in line for line in branch_lines)
    assert all("/" in line.split()[-1] for line in lines)  # each login's landing page


def test_demo_logins_hints_without_demo_data():
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert "seed_demo" in out.getvalue()
