"""The daily job (DOMAIN.md §4, §12): cases in the window, flags, moves by date, idempotent, catching up."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from followups.models import Case, CaseEvent, CaseState
from followups.services import propose_loss, review_loss, run_daily
from policies.models import Policy, RetainedCustomer
from tests.factories import make_customer
from tests.followups.builders import DAY, bulk_terms, case_of, renewal_of, retained_row, term_ending

pytestmark = pytest.mark.django_db


def days(n: int) -> timedelta:
    return timedelta(days=n)


def test_cases_are_created_for_t_in_d_minus_7_to_d_plus_90_and_late_data_behind_it(desk):
    terms = {n: term_ending(DAY + days(n), branch=desk.branch) for n in (-8, -7, 0, 90, 91)}
    summary = run_daily(day=DAY)
    by_term = {case.expiring_term_id: case for case in Case.objects.all()}
    assert set(by_term) == {terms[n].pk for n in (-8, -7, 0, 90)}
    assert summary.cases_created == 4
    assert by_term[terms[-8].pk].late_data is True
    assert not any(by_term[terms[n].pk].late_data for n in (-7, 0, 90))
    assert all(case.category == 1 and case.branch_id == desk.branch.pk for case in by_term.values())
    assert by_term[terms[90].pk].t_month == date(2026, 8, 1)


def test_running_twice_changes_nothing(desk):
    for n in (-20, -3, 5, 14, 40, 80):
        term_ending(DAY + days(n), branch=desk.branch, follow_up=desk.specialist if n > 0 else None)
    first = run_daily(day=DAY)
    snapshot = list(Case.objects.order_by("pk").values())
    events = CaseEvent.objects.count()
    second = run_daily(day=DAY)
    assert second.cases_created == 0
    assert {**first.as_json(), "cases_created": 0} == second.as_json()
    assert list(Case.objects.order_by("pk").values()) == snapshot
    assert CaseEvent.objects.count() == events


def test_json_has_exactly_the_contract_keys(desk):
    term_ending(DAY + days(10), branch=desk.branch)
    out = StringIO()
    call_command("run_daily", "--date", "2026-06-01", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert set(data) == {"date", "cases_created", "cases_open", "handoff_overdue", "escalated", "reminders_due"}
    assert data["date"] == "2026-06-01"
    assert data["cases_created"] == 1
    human = StringIO()
    call_command("run_daily", "--date", "2026-06-01", stdout=human)
    assert "新建案件 0 件" in human.getvalue()


def test_late_data_lands_in_lost_pending_without_a_reason_for_the_assignee_to_give(desk):
    term = term_ending(DAY - days(30), branch=desk.branch, follow_up=desk.specialist)
    case = case_of(term)
    assert case.state == CaseState.LOST_PENDING
    assert case.late_data and case.handoff_overdue
    assert case.reason == "" and case.assignee == desk.specialist
    assert case.escalated_on is None  # never open: nothing to escalate


def test_a_term_already_renewed_gets_a_renewed_case_that_still_counts(desk):
    term = term_ending(DAY + days(20), branch=desk.branch)
    renewal = renewal_of(term, channel="telesales")
    case = case_of(term)
    assert case.state == CaseState.RENEWED
    assert case.renewal_term == renewal
    assert case.renewal_channel == "telesales"
    assert case.closed_at is not None


@pytest.mark.parametrize(
    ("t", "overdue"),
    [
        (date(2026, 7, 1), False),  # handoff date 2026-06-01 = the day of the job: in time
        (date(2026, 6, 30), True),  # handoff date 2026-05-30: the file came late
        (date(2026, 8, 15), False),
    ],
)
def test_handoff_overdue_flags_cases_created_after_t_minus_one_month(desk, t, overdue):
    case = case_of(term_ending(t, branch=desk.branch))
    assert case.handoff_due_on == date(t.year, t.month - 1, t.day)
    assert case.handoff_overdue is overdue


def test_escalation_at_t_minus_15_once(desk):
    at_15 = term_ending(DAY + days(15), branch=desk.branch)
    at_16 = term_ending(DAY + days(16), branch=desk.branch)
    run_daily(day=DAY)
    assert Case.objects.get(expiring_term=at_15).escalated_on == DAY
    assert Case.objects.get(expiring_term=at_16).escalated_on is None
    run_daily(day=DAY + days(1))
    assert Case.objects.get(expiring_term=at_15).escalated_on == DAY
    assert Case.objects.get(expiring_term=at_16).escalated_on == DAY + days(1)
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.ESCALATED).count() == 2


def test_t_plus_1_moves_to_lapse_follow_up_and_t_plus_8_to_lost_pending(desk):
    t = DAY + days(5)
    case = case_of(term_ending(t, branch=desk.branch, follow_up=desk.specialist))
    assert case.state == CaseState.FOLLOWING
    run_daily(day=t)
    case.refresh_from_db()
    assert case.state == CaseState.FOLLOWING  # on T the policy still covers the day
    run_daily(day=t + days(1))
    case.refresh_from_db()
    assert case.state == CaseState.LAPSED_FOLLOW
    run_daily(day=t + days(7))
    case.refresh_from_db()
    assert case.state == CaseState.LAPSED_FOLLOW
    run_daily(day=t + days(8))
    case.refresh_from_db()
    assert case.state == CaseState.LOST_PENDING
    assert list(case.events.filter(kind=CaseEvent.Kind.STATE).values_list("from_state", "to_state")) == [
        (CaseState.FOLLOWING, CaseState.LAPSED_FOLLOW),
        (CaseState.LAPSED_FOLLOW, CaseState.LOST_PENDING),
    ]


def test_after_skipped_days_every_case_ends_where_daily_runs_would_have_left_it(desk):
    ts = [DAY + days(n) for n in (3, 12, 20, 60)]
    for t in ts:
        term_ending(t, branch=desk.branch)
    run_daily(day=DAY)
    for n in range(1, 16):  # the daily path
        run_daily(day=DAY + days(n))
    daily = {c.t_date: (c.state, c.escalated_on is not None) for c in Case.objects.all()}
    Case.objects.all().delete()
    run_daily(day=DAY)
    run_daily(day=DAY + days(15))  # the job was down for two weeks
    caught_up = {c.t_date: (c.state, c.escalated_on is not None) for c in Case.objects.all()}
    assert caught_up == daily
    assert caught_up[ts[0]] == (CaseState.LOST_PENDING, True)  # T + 12
    assert caught_up[ts[1]] == (CaseState.LAPSED_FOLLOW, True)  # T + 3
    assert caught_up[ts[2]] == (CaseState.UNASSIGNED, True)  # T − 5
    assert caught_up[ts[3]] == (CaseState.UNASSIGNED, False)


def test_a_term_naming_its_follow_up_is_assigned_at_once(desk):
    case = case_of(term_ending(DAY + days(40), branch=desk.branch, follow_up=desk.specialist))
    assert case.assignee == desk.specialist
    assert case.state == CaseState.FOLLOWING
    assert case.events.filter(kind=CaseEvent.Kind.ASSIGNED, to_assignee=desk.specialist).exists()


def test_a_follow_up_who_left_is_not_assigned(desk):
    desk.specialist.active = False
    desk.specialist.save()
    case = case_of(term_ending(DAY + days(40), branch=desk.branch, follow_up=desk.specialist))
    assert case.assignee is None and case.state == CaseState.UNASSIGNED


def test_a_cancelled_term_creates_no_case(desk):
    term = term_ending(DAY + days(40), branch=desk.branch)
    Policy.objects.filter(term=term).update(cancelled_on=DAY - days(100))
    term.cancelled_on = DAY - days(100)
    term.save()
    assert run_daily(day=DAY).cases_created == 0


@pytest.mark.parametrize(
    ("fields", "category"),
    [
        ({"previous_insurer": "人保财险", "previous_policy_no": "PDAA2025001"}, 2),
        ({"last_return_on": date(2025, 1, 10)}, 4),
        ({"previous_insurer": "人保财险"}, 3),
        ({}, 3),
    ],
)
def test_retained_rows_with_an_expiry_create_cases_with_their_frozen_category(desk, fields, category):
    row = retained_row(DAY + days(30), branch=desk.branch, follow_up=desk.callback, **fields)
    case = case_of(row)
    assert case.category == category
    assert case.expiring_term is None
    assert case.assignee == desk.callback
    assert case.customer == row.customer
    RetainedCustomer.objects.filter(pk=row.pk).update(previous_insurer="太平洋", previous_policy_no="X1")
    run_daily(day=DAY)
    case.refresh_from_db()
    assert case.category == category  # frozen when the case was created


def test_retained_rows_without_an_expiry_create_no_case(desk):
    retained_row(None, branch=desk.branch)
    assert run_daily(day=DAY).cases_created == 0


def test_one_case_per_vehicle_and_t_month_owned_by_the_policy_branch(desk, other_desk):
    term = term_ending(DAY + days(30), branch=desk.branch)
    RetainedCustomer.objects.create(
        branch=other_desk.branch, vehicle=term.vehicle, customer=term.owner, expected_end=DAY + days(32)
    )
    run_daily(day=DAY)
    case = Case.objects.get(vehicle=term.vehicle)
    assert case.branch == desk.branch and case.category == 1


def test_of_several_retained_rows_the_latest_owns_the_case(desk, other_desk):
    row = retained_row(DAY + days(30), branch=desk.branch)
    newer = RetainedCustomer.objects.create(
        branch=other_desk.branch, vehicle=row.vehicle, customer=row.customer, expected_end=DAY + days(30)
    )
    run_daily(day=DAY)
    assert Case.objects.get(vehicle=row.vehicle).branch == other_desk.branch
    assert Case.objects.get(vehicle=row.vehicle).retained == newer


def test_a_renewal_recorded_by_import_closes_the_open_case(desk):
    term = term_ending(DAY + days(20), branch=desk.branch, follow_up=desk.specialist)
    case = case_of(term)
    assert case.is_open
    renewal = renewal_of(term)
    run_daily(day=DAY + days(1))
    case.refresh_from_db()
    assert case.state == CaseState.RENEWED and case.renewal_term == renewal


def test_a_lapsed_renewal_reopens_a_closed_lost_case(desk):
    t = DAY + days(5)
    term = term_ending(t, branch=desk.branch, follow_up=desk.specialist)
    case = case_of(term)
    run_daily(day=t + days(8))
    propose_loss(case=case, by=desk.specialist, reason="PRICE")
    review_loss(case=case, reviewer=desk.manager, approve=True)
    case.refresh_from_db()
    assert case.state == CaseState.LOST
    renewal = renewal_of(term, start_on=t + days(20))
    assert renewal.renewal_kind == "lapsed"
    run_daily(day=t + days(21))
    case.refresh_from_db()
    assert case.state == CaseState.RENEWED and case.renewal_term == renewal
    assert "重开" in case.events.get(to_state=CaseState.RENEWED).note


def test_an_insured_elsewhere_vehicle_won_back_within_the_grace_is_renewed(desk):
    t = DAY + days(10)
    row = retained_row(t, branch=desk.branch, previous_insurer="人保财险", previous_policy_no="PDAA1")
    case = case_of(row)
    term_ending(t + days(365), branch=desk.branch, vehicle=row.vehicle, customer=row.customer)
    run_daily(day=DAY + days(1))
    case.refresh_from_db()
    assert case.state == CaseState.RENEWED
    assert case.renewal_term.vehicle == row.vehicle


def test_a_new_term_starting_after_the_grace_is_not_a_renewal(desk):
    t = DAY + days(2)
    row = retained_row(t, branch=desk.branch)
    case = case_of(row)
    start = t + days(32)  # T + 1 + 31
    from tests.factories import make_term

    make_term(branch=desk.branch, vehicle=row.vehicle, customer=row.customer, start_on=start)
    run_daily(day=start)
    case.refresh_from_db()
    assert case.state == CaseState.LOST_PENDING


def test_reads_do_not_grow_with_the_number_of_terms(desk):
    """Set-based: the same statements for 5 terms as for 300 (inserts are batched by the database's parameter
    limit — one statement per few dozen rows on SQLite, one per chunk on PostgreSQL)."""

    def statements_for(count: int, day: date) -> list[str]:
        bulk_terms(branch=desk.branch, t_dates=[day + days(30 + i % 50) for i in range(count)])
        with CaptureQueriesContext(connection) as captured:
            summary = run_daily(day=day)
        assert summary.cases_created == count
        return [q["sql"].split(" ")[0] for q in captured.captured_queries if not q["sql"].startswith("INSERT")]

    assert statements_for(5, DAY) == statements_for(300, DAY + days(1))


def test_cases_use_the_owner_of_the_term(desk):
    owner = make_customer(name="李四", mobile="13900000001")
    case = case_of(term_ending(DAY + days(50), branch=desk.branch, customer=owner))
    assert case.customer == owner
    assert case.previous_insurer == "平安产险"


def test_a_replay_of_history_sees_only_the_renewals_signed_by_its_day(desk):
    # given a term ending 20 days after DAY, renewed by a policy signed 10 days after DAY
    expiring = term_ending(DAY + days(20), branch=desk.branch, follow_up=desk.specialist)
    renewal_of(expiring, signed_on=DAY + days(10))
    # when the job replays DAY as it was (the demo's past months), the renewal is not known yet
    run_daily(day=DAY, renewals_signed_by=DAY)
    case = Case.objects.get(expiring_term=expiring)
    assert case.state == CaseState.FOLLOWING and case.renewal_term_id is None
    # and the run of the day it was signed closes the case
    run_daily(day=DAY + days(10), renewals_signed_by=DAY + days(10))
    case.refresh_from_db()
    assert case.state == CaseState.RENEWED and case.renewal_term_id is not None


def test_by_default_every_renewal_on_record_counts_whatever_the_day(desk):
    expiring = term_ending(DAY + days(20), branch=desk.branch, follow_up=desk.specialist)
    renewal_of(expiring, signed_on=DAY + days(10))
    run_daily(day=DAY)
    assert Case.objects.get(expiring_term=expiring).state == CaseState.RENEWED
