"""Outcomes (DOMAIN.md §4): 续回 with credits and channel; 战败/不可续 proposed and reviewed (maker ≠ checker)."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from followups.models import Case, CaseState
from followups.services import DeskError, RenewalPolicyInput, propose_loss, record_renewal, review_loss, run_daily
from policies.models import Policy, PolicyKind, RenewalKind
from tests.factories import make_term
from tests.followups.builders import DAY, case_of, renewal_of, term_ending

pytestmark = pytest.mark.django_db

T = DAY + timedelta(days=40)


@pytest.fixture
def case(desk):
    return case_of(term_ending(T, branch=desk.branch, follow_up=desk.specialist))


def new_policies(start: date, number: str = "2026") -> list[RenewalPolicyInput]:
    end = date(start.year + 1, start.month, start.day) - timedelta(days=1)
    return [
        RenewalPolicyInput(insurer="平安产险", policy_no=f"JQ{number}", kind=PolicyKind.COMPULSORY, start_on=start,
                           end_on=end, premium=D("950.00")),
        RenewalPolicyInput(insurer="平安产险", policy_no=f"SY{number}", kind=PolicyKind.COMMERCIAL, start_on=start,
                           end_on=end, premium=D("4300.00"), coverages=("车损险", "三者险(100万)")),
    ]  # fmt: skip


def test_renewal_entered_on_the_desk_creates_the_term_credits_staff_and_closes_the_case(desk, case):
    renewed = record_renewal(
        case=case, by=desk.specialist, channel="telesales", callback=desk.callback, seller=desk.seller,
        lead=desk.lead, policies=new_policies(T + timedelta(days=1)),
    )  # fmt: skip
    assert renewed.state == CaseState.RENEWED
    term = renewed.renewal_term
    assert term.previous_term_id == case.expiring_term_id
    assert term.renewal_kind == RenewalKind.RENEWAL
    assert (term.callback, term.seller, term.lead, term.channel) == (desk.callback, desk.seller, desk.lead, "telesales")
    assert term.full_cover is True
    assert set(Policy.objects.filter(term=term).values_list("seller_id", flat=True)) == {desk.seller.pk}
    assert renewed.renewal_channel == "telesales" and renewed.closed_at is not None


def test_renewal_links_an_imported_term_and_the_daily_job_leaves_it(desk, case):
    imported = renewal_of(case.expiring_term)
    renewed = record_renewal(case=case, by=desk.specialist, channel="store", seller=desk.seller, term=imported)
    assert renewed.renewal_term == imported
    run_daily(day=DAY + timedelta(days=1))
    assert Case.objects.get(pk=case.pk).state == CaseState.RENEWED


def test_a_term_starting_after_the_grace_is_refused_as_new_business(desk, case):
    late = make_term(branch=desk.branch, vehicle=case.vehicle, customer=case.customer,
                     start_on=T + timedelta(days=40))  # fmt: skip
    with pytest.raises(DeskError, match="宽限"):
        record_renewal(case=case, by=desk.specialist, channel="store", term=late)


def test_a_term_of_another_vehicle_is_refused(desk, case):
    other = term_ending(T + timedelta(days=365), branch=desk.branch)
    with pytest.raises(DeskError, match="车辆"):
        record_renewal(case=case, by=desk.specialist, channel="store", term=other)


def test_a_renewal_needs_exactly_one_source_and_a_channel(desk, case):
    with pytest.raises(DeskError):
        record_renewal(case=case, by=desk.specialist, channel="store")
    with pytest.raises(DeskError, match="渠道"):
        record_renewal(case=case, by=desk.specialist, channel="web", policies=new_policies(T + timedelta(days=1)))


def test_a_lapsed_renewal_on_the_desk_reopens_a_lost_case(desk, case):
    run_daily(day=T + timedelta(days=8))
    propose_loss(case=case, by=desk.specialist, reason="UNREACHABLE")
    review_loss(case=case, reviewer=desk.lead, approve=True)
    renewed = record_renewal(case=case, by=desk.specialist, channel="store",
                             policies=new_policies(T + timedelta(days=15), "LATE"))  # fmt: skip
    assert renewed.state == CaseState.RENEWED
    assert renewed.renewal_term.renewal_kind == RenewalKind.LAPSED
    assert renewed.reason == ""


def test_perks_are_issued_when_the_perks_app_provides_them(desk, case, monkeypatch):
    calls = []
    import perks.services

    monkeypatch.setattr(perks.services, "issue_renewal_perks", lambda **kwargs: calls.append(kwargs))
    renewed = record_renewal(
        case=case, by=desk.specialist, channel="store", policies=new_policies(T + timedelta(days=1))
    )
    assert calls == [
        {"term": renewed.renewal_term, "recorded_by": desk.specialist, "recorded_on": calls[0]["recorded_on"]}
    ]


@pytest.mark.parametrize(
    ("reason", "state"),
    [
        ("PRICE", CaseState.LOST_PENDING),
        ("UNREACHABLE", CaseState.LOST_PENDING),
        ("VEHICLE_SOLD", CaseState.EXCLUSION_PENDING),
        ("VEHICLE_SCRAPPED", CaseState.EXCLUSION_PENDING),
        ("MOVED_AWAY", CaseState.EXCLUSION_PENDING),
    ],
)
def test_a_proposal_waits_for_review_by_reason(desk, case, reason, state):
    proposed = propose_loss(case=case, by=desk.specialist, reason=reason)
    assert proposed.state == state and proposed.proposed_by == desk.specialist


def test_other_needs_a_text(desk, case):
    with pytest.raises(DeskError, match="其他"):
        propose_loss(case=case, by=desk.specialist, reason="OTHER", reason_text="  ")
    assert propose_loss(case=case, by=desk.specialist, reason="OTHER", reason_text="客户出国").reason_text == "客户出国"


def test_approved_exclusion_leaves_the_renewable_base(desk, case):
    propose_loss(case=case, by=desk.specialist, reason="VEHICLE_SOLD")
    closed = review_loss(case=case, reviewer=desk.manager, approve=True)
    assert closed.state == CaseState.EXCLUDED
    assert closed.removed_from_renewable is True
    assert closed.reviewed_by == desk.manager


def test_approved_loss_stays_in_the_renewable_base(desk, case):
    propose_loss(case=case, by=desk.specialist, reason="PRICE")
    closed = review_loss(case=case, reviewer=desk.lead, approve=True)
    assert closed.state == CaseState.LOST and closed.removed_from_renewable is False


def test_the_proposer_never_reviews_even_as_a_manager(desk, case):
    propose_loss(case=case, by=desk.manager, reason="PRICE")
    with pytest.raises(DeskError, match="自己"):
        review_loss(case=case, reviewer=desk.manager, approve=True)
    assert review_loss(case=case, reviewer=desk.lead, approve=True).state == CaseState.LOST


def test_the_database_refuses_a_reviewer_who_proposed(desk, case):
    propose_loss(case=case, by=desk.manager, reason="PRICE")
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(reviewed_by=desk.manager)


def test_only_a_manager_or_lead_of_the_branch_reviews(desk, other_desk, case):
    propose_loss(case=case, by=desk.specialist, reason="PRICE")
    for reviewer in (desk.specialist2, desk.gm, other_desk.manager):
        with pytest.raises(DeskError, match="审核"):
            review_loss(case=case, reviewer=reviewer, approve=True)


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (T - timedelta(days=1), CaseState.FOLLOWING),
        (T + timedelta(days=3), CaseState.LAPSED_FOLLOW),
        (T + timedelta(days=9), CaseState.LOST_PENDING),
    ],
)
def test_a_rejected_proposal_goes_back_to_be_worked(desk, case, today, state):
    from django.utils import timezone

    at = timezone.make_aware(timezone.datetime(today.year, today.month, today.day, 10))
    propose_loss(case=case, by=desk.specialist, reason="PRICE", at=at)
    with pytest.raises(DeskError, match="理由"):
        review_loss(case=case, reviewer=desk.manager, approve=False, at=at)
    back = review_loss(case=case, reviewer=desk.manager, approve=False, comment="再联系一次", at=at)
    assert back.state == state
    assert back.reason == "" and back.proposed_by is None


def test_a_lost_pending_case_without_a_reason_cannot_be_reviewed(desk):
    late = case_of(term_ending(DAY - timedelta(days=30), branch=desk.branch, follow_up=desk.specialist))
    with pytest.raises(DeskError, match="原因"):
        review_loss(case=late, reviewer=desk.manager, approve=True)
    propose_loss(case=late, by=desk.specialist, reason="INSURER_DIRECT")
    assert review_loss(case=late, reviewer=desk.manager, approve=True).state == CaseState.LOST
