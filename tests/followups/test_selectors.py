"""Reads: today's list (order, filters, bounded queries), summaries, the board, who sees which case, nav badges."""

from datetime import datetime, time, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone

from followups import selectors
from followups.models import Case, CaseState
from followups.services import create_quote, log_contact, propose_loss, run_daily
from tests.factories import make_customer, make_staff
from tests.followups.builders import DAY, bulk_terms, case_of, retained_row, term_ending

pytestmark = pytest.mark.django_db


def at(day, hour=10):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def days(n):
    return timedelta(days=n)


@pytest.fixture
def worklist(desk):
    """One open case of the specialist per urgency level, created by the daily job of DAY."""
    made = {}
    for key, n in (("later", 70), ("callback", 60), ("checkpoint", 45), ("due_soon", 10), ("lapsed", -2)):
        made[key] = term_ending(DAY + days(n), branch=desk.branch, follow_up=desk.specialist,
                                customer=make_customer(name=f"客户{key}", mobile=f"1390000{n + 1000:04d}"))  # fmt: skip
    run_daily(day=DAY)
    cases = {key: Case.objects.get(expiring_term=term) for key, term in made.items()}
    log_contact(case=cases["callback"], staff=desk.specialist, result="no_answer", at=at(DAY - days(1)),
                next_contact_at=at(DAY, 15))  # fmt: skip
    return cases


def test_today_list_is_ordered_by_urgency(desk, worklist):
    rows = list(selectors.today_cases(staff=desk.specialist, filters={}, day=DAY))
    assert [(row.pk, row.urgency) for row in rows] == [
        (worklist["lapsed"].pk, 0), (worklist["due_soon"].pk, 1), (worklist["checkpoint"].pk, 2),
        (worklist["callback"].pk, 3), (worklist["later"].pk, 4),
    ]  # fmt: skip
    assert rows[0].state == CaseState.LAPSED_FOLLOW


def test_a_checkpoint_reached_today_drops_out_of_the_checkpoint_level(desk, worklist):
    log_contact(case=worklist["checkpoint"], staff=desk.specialist, result="reached", at=at(DAY))
    row = selectors.today_cases(staff=desk.specialist, day=DAY).get(pk=worklist["checkpoint"].pk)
    assert row.urgency == 4
    assert row.checkpoint_states(DAY)[0] == (45, "done")


def test_only_open_cases_of_the_assignee(desk, worklist):
    propose_loss(case=worklist["later"], by=desk.specialist, reason="PRICE")
    case_of(term_ending(DAY + days(30), branch=desk.branch, follow_up=desk.specialist2))
    assert worklist["later"].pk not in {c.pk for c in selectors.today_cases(staff=desk.specialist, day=DAY)}
    assert selectors.today_cases(staff=desk.specialist, day=DAY).count() == 4


@pytest.mark.parametrize(
    ("filters", "keys"),
    [
        ({"state": "lapsed_follow"}, {"lapsed"}),
        ({"state": ["lapsed_follow", "following"]}, {"lapsed", "due_soon", "checkpoint", "callback", "later"}),
        ({"days_to_t": "15"}, {"lapsed", "due_soon"}),
        ({"days_to_t": 45}, {"lapsed", "due_soon", "checkpoint"}),
        ({"category": "1"}, {"lapsed", "due_soon", "checkpoint", "callback", "later"}),
        ({"category": 2}, set()),
        ({"insurer": "平安产险"}, {"lapsed", "due_soon", "checkpoint", "callback", "later"}),
        ({"insurer": "人保财险"}, set()),
        ({"q": "客户due_soon"}, {"due_soon"}),
        ({"q": "1045"}, {"checkpoint"}),  # last 4 of the phone 13900001045
    ],
)
def test_today_list_filters(desk, worklist, filters, keys):
    found = {c.pk for c in selectors.today_cases(staff=desk.specialist, filters=filters, day=DAY)}
    assert found == {worklist[key].pk for key in keys}


def test_search_by_plate_and_vin_tail(desk, worklist):
    vehicle = worklist["later"].vehicle
    plate_query = f" {vehicle.plate[:2]}·{vehicle.plate[2:]} "
    assert [c.pk for c in selectors.today_cases(staff=desk.specialist, filters={"q": plate_query}, day=DAY)] == [
        worklist["later"].pk
    ]
    assert [c.pk for c in selectors.today_cases(staff=desk.specialist, filters={"q": vehicle.vin[-8:]}, day=DAY)] == [
        worklist["later"].pk
    ]


def test_the_list_row_carries_the_latest_quote(desk, worklist):
    case = worklist["due_soon"]
    create_quote(case=case, staff=desk.specialist, insurer="人保财险", premium_compulsory=D("950.00"),
                 premium_commercial=D("5000.00"), discount=D("400.00"))  # fmt: skip
    create_quote(case=case, staff=desk.specialist, insurer="人保财险", premium_compulsory=D("950.00"),
                 premium_commercial=D("5000.00"), discount=D("450.00"))  # fmt: skip
    row = selectors.today_cases(staff=desk.specialist, day=DAY).get(pk=case.pk)
    assert row.last_quote_status == "pending" and row.last_quote_level == "manager"
    assert row.last_quote_total == D("5500.00")
    assert row.last_quote.insurer_id and row.last_quote.discount == D("450.00")
    assert row.customer.masked_mobile.startswith("139****")


@pytest.mark.parametrize("count", [10, 500])
def test_today_list_runs_the_same_queries_for_10_and_500_cases(desk, django_assert_num_queries, count):
    bulk_terms(branch=desk.branch, t_dates=[DAY + days(5 + i % 80) for i in range(count)], follow_up=desk.specialist)
    run_daily(day=DAY)
    with django_assert_num_queries(1):
        rows = list(selectors.today_cases(staff=desk.specialist, filters={"days_to_t": 90}, day=DAY))
        shown = [(r.vehicle.plate, r.customer.masked_mobile, r.branch.name, r.last_quote_status, r.urgency,
                  r.checkpoint_states(DAY)) for r in rows]  # fmt: skip
    assert len(shown) == count


def test_today_summary(desk, worklist):
    summary = selectors.today_summary(desk.specialist, DAY)
    assert summary.todo == 5
    assert summary.urgent == 4
    assert summary.callbacks_due == 1
    assert summary.due_within_15 == 1
    assert summary.lapsed == 1
    assert summary.checkpoint_missed == 0  # every window that closed did so before these cases existed
    assert summary.reasons_needed == 0
    run_daily(day=DAY + days(8))  # the lapsed case (T = DAY − 2) is now past T+7
    assert selectors.today_summary(desk.specialist, DAY + days(8)).reasons_needed == 1
    assert [c.pk for c in selectors.reasons_needed_cases(staff=desk.specialist)] == [worklist["lapsed"].pk]
    later_day = DAY + days(20)  # the checkpoint case's T−45 window closed unreached
    assert selectors.today_summary(desk.specialist, later_day).checkpoint_missed >= 1


def test_case_for_user_is_404_for_missing_and_forbidden_alike(desk, other_desk, worklist):
    case = worklist["later"]
    assert selectors.case_for_user(desk.specialist.user, case.pk) == case
    assert selectors.case_for_user(desk.lead.user, case.pk) == case
    assert selectors.case_for_user(desk.gm.user, case.pk) == case
    division = make_staff(other_desk.branch, "division", employee_no="DIV01")
    finance = make_staff(other_desk.branch, "finance", employee_no="FIN01")
    assert selectors.case_for_user(division.user, case.pk) == case
    assert selectors.case_for_user(finance.user, case.pk) == case
    for user in (desk.specialist2.user, desk.seller.user, other_desk.lead.user, other_desk.specialist.user):
        with pytest.raises(Http404):
            selectors.case_for_user(user, case.pk)
    with pytest.raises(Http404):
        selectors.case_for_user(desk.lead.user, 999_999)


@time_machine.travel(datetime(2026, 6, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_navigation_badges(desk, worklist):
    requests = {}
    for key in ("specialist", "lead", "manager", "gm", "seller"):
        request = RequestFactory().get("/")
        request.user = getattr(desk, key).user
        requests[key] = request
    assert selectors.today_count(requests["specialist"]) == 4
    unassigned = case_of(term_ending(DAY + days(20), branch=desk.branch))  # handoff date passed: overdue
    assert unassigned.handoff_overdue
    assert selectors.unassigned_count(requests["lead"]) == 1
    assert selectors.overdue_handoff_count(requests["lead"]) == 1
    create_quote(case=worklist["later"], staff=desk.specialist, insurer="平安产险", premium_compulsory=D("0"),
                 premium_commercial=D("1000.00"), discount=D("120.00"))  # GM level  # fmt: skip
    propose_loss(case=worklist["callback"], by=desk.specialist, reason="PRICE")
    assert selectors.pending_approvals_count(requests["manager"]) == 1  # the loss review only
    assert selectors.pending_approvals_count(requests["gm"]) == 1  # the quote only
    assert selectors.pending_approvals_count(requests["seller"]) == 0
    anonymous = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    anonymous.user = AnonymousUser()
    assert selectors.today_count(anonymous) == 0


def test_board_counts_by_state_and_assignee_with_overdue_and_escalations(desk, worklist):
    case_of(term_ending(DAY + days(20), branch=desk.branch))
    board = selectors.board(branch=desk.branch, day=DAY)
    by_assignee = {row.assignee: row for row in board.rows}
    assert by_assignee[desk.specialist].counts[CaseState.FOLLOWING] == 4
    assert by_assignee[desk.specialist].counts[CaseState.LAPSED_FOLLOW] == 1
    assert by_assignee[None].counts[CaseState.UNASSIGNED] == 1
    assert board.totals[CaseState.FOLLOWING] == 4
    assert board.handoff_overdue_count >= 1
    assert {c.pk for c in board.escalated} == {worklist["lapsed"].pk, worklist["due_soon"].pk}
    compliance = {row.assignee: row for row in board.compliance}[desk.specialist]
    assert compliance.due[45] == 1 and compliance.done[45] == 0  # the checkpoint case's window is open today


def test_unassigned_list_and_expiry_unknown(desk):
    case = case_of(term_ending(DAY + days(50), branch=desk.branch))
    undated = retained_row(None, branch=desk.branch)
    assert [c.pk for c in selectors.unassigned_cases(branch=desk.branch, filters={}, day=DAY)] == [case.pk]
    assert list(selectors.expiry_unknown(desk.branch)) == [undated]


def test_case_history_holds_contacts_quotes_events_and_reminders(desk, worklist):
    case = worklist["due_soon"]
    log_contact(case=case, staff=desk.specialist, result="reached", at=at(DAY))
    history = selectors.case_history(case)
    assert len(history.contacts) == 1
    assert history.events and history.events[-1].kind == "created"
    assert [r.offset_days for r in history.reminders] == [15]
