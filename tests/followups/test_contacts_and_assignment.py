"""Contacts (effective by checkpoint window) and assignment (lead → specialists, leavers' cases moved on)."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from followups.models import Case, CaseEvent, CaseState, Contact
from followups.services import DeskError, assign_cases, checkpoint_preview, log_contact, reassign_departed, run_daily
from tests.followups.builders import DAY, case_of, term_ending

pytestmark = pytest.mark.django_db

T = DAY + timedelta(days=60)


def at(day, hour=10):
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def case(desk):
    return case_of(term_ending(T, branch=desk.branch, follow_up=desk.specialist))


@pytest.mark.parametrize(
    ("days_before", "result", "checkpoint"),
    [
        (45, "reached", 45),
        (48, "reached", 45),
        (42, "reached", 45),
        (40, "reached", None),  # between windows: logged, not effective
        (33, "reached", 33),
        (30, "reached", 30),
        (45, "no_answer", None),  # not reached: never effective
        (45, "refused", None),
        (33, "wrong_number", None),
    ],
)
def test_a_contact_is_effective_when_it_reaches_the_customer_in_a_checkpoint_window(desk, case, days_before, result,
                                                                                     checkpoint):  # fmt: skip
    contact = log_contact(case=case, staff=desk.specialist, result=result, at=at(T - timedelta(days=days_before)))
    assert contact.checkpoint == checkpoint
    assert contact.effective is (checkpoint is not None)
    case.refresh_from_db()
    assert (case.checkpoint_45, case.checkpoint_33, case.checkpoint_30) == (
        checkpoint == 45, checkpoint == 33, checkpoint == 30,
    )  # fmt: skip
    assert case.last_contact_result == result


def test_checkpoint_preview_says_what_a_contact_would_count_for(case):
    assert checkpoint_preview(case=case, at=at(T - timedelta(days=46))) == 45
    assert checkpoint_preview(case=case, at=at(T - timedelta(days=38))) is None
    assert checkpoint_preview(case=case, at=at(T - timedelta(days=31))) == 30


def test_the_promised_call_back_and_last_contact_follow_the_latest_contact(desk, case):
    later = at(T - timedelta(days=44))
    promise = at(T - timedelta(days=40), 15)
    log_contact(
        case=case, staff=desk.specialist, result="no_answer", at=later, next_contact_at=promise, note="下午再打"
    )
    log_contact(case=case, staff=desk.specialist, result="reached", at=at(T - timedelta(days=46)))  # logged late
    case.refresh_from_db()
    assert case.last_contact_at == later and case.next_contact_at == promise
    assert case.checkpoint_45 is True  # the earlier reached call still counts
    assert Contact.objects.filter(case=case).count() == 2


def test_a_specialist_contacting_an_unassigned_case_takes_it(desk):
    case = case_of(term_ending(T, branch=desk.branch))
    assert case.state == CaseState.UNASSIGNED
    log_contact(case=case, staff=desk.specialist2, result="reached", at=at(DAY))
    case.refresh_from_db()
    assert case.state == CaseState.FOLLOWING and case.assignee == desk.specialist2


def test_another_specialists_case_is_refused(desk, other_desk, case):
    with pytest.raises(DeskError):
        log_contact(case=case, staff=desk.specialist2, result="reached", at=at(DAY))
    with pytest.raises(DeskError):
        log_contact(case=case, staff=other_desk.lead, result="reached", at=at(DAY))
    log_contact(case=case, staff=desk.lead, result="reached", at=at(DAY))  # the branch's lead may


def test_a_closed_case_takes_no_contact(desk, case):
    Case.objects.filter(pk=case.pk).update(state=CaseState.RENEWED)
    with pytest.raises(DeskError, match="已续回"):
        log_contact(case=case, staff=desk.specialist, result="reached", at=at(DAY))


def test_the_lead_assigns_in_bulk_to_a_specialist_with_history(desk):
    cases = [case_of(term_ending(T + timedelta(days=n), branch=desk.branch)) for n in range(3)]
    changed = assign_cases(case_ids=[c.pk for c in cases], assignee=desk.specialist2, by=desk.lead)
    assert changed == 3
    for case in cases:
        case.refresh_from_db()
        assert case.assignee == desk.specialist2 and case.state == CaseState.FOLLOWING
        assert case.events.filter(kind=CaseEvent.Kind.ASSIGNED, to_assignee=desk.specialist2, actor=desk.lead).exists()
    assert assign_cases(case_ids=[c.pk for c in cases], assignee=desk.specialist2, by=desk.lead) == 0


def test_a_callback_may_be_assigned_but_not_a_seller_or_another_branch(desk, other_desk):
    case = case_of(term_ending(T, branch=desk.branch))
    assert assign_cases(case_ids=[case.pk], assignee=desk.callback, by=desk.manager) == 1
    with pytest.raises(DeskError, match="续保专员"):
        assign_cases(case_ids=[case.pk], assignee=desk.seller, by=desk.lead)
    with pytest.raises(DeskError, match="不属于本门店"):
        assign_cases(case_ids=[case.pk], assignee=other_desk.specialist, by=desk.lead)
    with pytest.raises(DeskError, match="负责人"):
        assign_cases(case_ids=[case.pk], assignee=desk.specialist, by=desk.specialist2)
    with pytest.raises(DeskError, match="不属于本门店"):
        assign_cases(case_ids=[case.pk], assignee=other_desk.specialist, by=other_desk.lead)


def test_a_leavers_cases_move_on_with_history_kept(desk):
    open_case = case_of(term_ending(T, branch=desk.branch, follow_up=desk.specialist))
    renewed_term = term_ending(T + timedelta(days=1), branch=desk.branch, follow_up=desk.specialist)
    from tests.followups.builders import renewal_of

    renewal_of(renewed_term)
    run_daily(day=DAY)
    closed = Case.objects.get(expiring_term=renewed_term)
    assert closed.state == CaseState.RENEWED
    moved = reassign_departed(staff=desk.specialist, to=desk.specialist2, by=desk.lead)
    assert moved == 1
    open_case.refresh_from_db()
    closed.refresh_from_db()
    assert open_case.assignee == desk.specialist2
    assert closed.assignee == desk.specialist  # a closed case keeps who held it when it closed
    history = list(open_case.events.filter(kind=CaseEvent.Kind.ASSIGNED).values_list("from_assignee", "to_assignee"))
    assert history[-1] == (desk.specialist.pk, desk.specialist2.pk)
