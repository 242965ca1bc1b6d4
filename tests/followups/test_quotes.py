"""Quotes and the discount ladder (DOMAIN.md §5): edges, authority, maker ≠ checker, one decision per request."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from followups.models import ApprovalLevel, CaseState, Quote, QuoteStatus
from followups.selectors import pending_quotes_for
from followups.services import DeskError, create_quote, decide_quote
from tests.factories import insurer, make_staff
from tests.followups.builders import DAY, case_of, term_ending

pytestmark = pytest.mark.django_db

PREMIUM = D("10000.00")


@pytest.fixture
def case(desk):
    return case_of(term_ending(DAY + timedelta(days=40), branch=desk.branch, follow_up=desk.specialist))


def quote(case, staff, discount=None, rate=None, **extra):
    return create_quote(
        case=case, staff=staff, insurer="平安产险", premium_compulsory=D("950.00"), premium_commercial=PREMIUM,
        discount=discount, discount_rate=rate, **extra,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("discount", "level", "status"),
    [
        (D("0.00"), ApprovalLevel.NONE, QuoteStatus.SAVED),
        (D("800.00"), ApprovalLevel.SPECIALIST, QuoteStatus.SAVED),  # exactly 8%
        (D("800.01"), ApprovalLevel.MANAGER, QuoteStatus.PENDING),  # 8.0001%
        (D("801.00"), ApprovalLevel.MANAGER, QuoteStatus.PENDING),  # 8.01%
        (D("1000.00"), ApprovalLevel.MANAGER, QuoteStatus.PENDING),  # exactly 10%
        (D("1001.00"), ApprovalLevel.GM, QuoteStatus.PENDING),  # 10.01%
        (D("1400.00"), ApprovalLevel.GM, QuoteStatus.PENDING),  # exactly 14%
    ],
)
def test_the_ladder_edges_for_a_specialist(desk, case, discount, level, status):
    made = quote(case, desk.specialist, discount=discount)
    assert (made.level, made.status) == (level, status)
    case.refresh_from_db()
    assert case.state == (CaseState.QUOTED if status == QuoteStatus.SAVED else CaseState.FOLLOWING)


@pytest.mark.parametrize("discount", [D("1400.01"), D("1401.00"), D("5000.00")])
def test_above_14_percent_is_refused_naming_the_limit(desk, case, discount):
    with pytest.raises(DeskError) as refused:
        quote(case, desk.specialist, discount=discount)
    assert "14%" in refused.value.message
    assert not Quote.objects.exists()


@pytest.mark.parametrize(
    ("rate", "level", "stored"),
    [
        (D("0.08"), ApprovalLevel.SPECIALIST, D("0.080000")),
        (D("0.0801"), ApprovalLevel.MANAGER, D("0.080100")),
        (D("0.10"), ApprovalLevel.MANAGER, D("0.100000")),
        (D("0.1001"), ApprovalLevel.GM, D("0.100100")),
        (D("0.14"), ApprovalLevel.GM, D("0.140000")),
    ],
)
def test_a_discount_given_as_a_rate(desk, case, rate, level, stored):
    made = quote(case, desk.specialist, rate=rate)
    assert made.level == level
    assert made.discount == (PREMIUM * rate).quantize(D("0.01"))
    assert made.discount_rate == stored


def test_a_rate_above_14_percent_is_refused(desk, case):
    with pytest.raises(DeskError, match="14%"):
        quote(case, desk.specialist, rate=D("0.1401"))


def test_the_stored_rate_never_rounds_into_a_lower_band(desk, case):
    made = create_quote(case=case, staff=desk.specialist, insurer="平安产险", premium_compulsory=D("0"),
                        premium_commercial=D("4512.37"), discount=D("361.00"))  # fmt: skip
    assert made.level == ApprovalLevel.MANAGER  # 361 / 4512.37 = 8.0002%
    assert made.discount_rate > D("0.08")


def test_a_manager_quotes_ten_percent_on_their_own_authority(desk, case):
    made = quote(case, desk.manager, discount=D("1000.00"))
    assert made.status == QuoteStatus.SAVED


@pytest.mark.parametrize("role", ["specialist", "callback", "lead", "manager", "deputy_gm", "gm"])
@pytest.mark.parametrize("superuser", [False, True])
def test_nobody_approves_their_own_request_whatever_their_roles(desk, case, role, superuser):
    # given a pending GM-level request made by someone holding `role` (and every approving role besides)
    requester = make_staff(desk.branch, role, "manager", "gm", employee_no=f"SELF-{role}")
    requester.user.is_superuser = superuser
    requester.user.save()
    pending = Quote.objects.create(
        case=case, requested_by=requester, created_at=timezone.now(), insurer=insurer(), premium_commercial=PREMIUM,
        discount=D("1300.00"), discount_rate=D("0.13"), level=ApprovalLevel.GM, status=QuoteStatus.PENDING,
    )  # fmt: skip
    # when they try to decide it themselves, then it is refused, and it stays in everyone else's inbox only
    with pytest.raises(DeskError, match="自己"):
        decide_quote(quote=pending, approver=requester, approve=True)
    assert pending not in pending_quotes_for(requester)
    assert pending in pending_quotes_for(desk.gm)


def test_a_superuser_staff_cannot_approve_their_own_request(desk, case):
    desk.specialist.user.is_superuser = True
    desk.specialist.user.save()
    made = quote(case, desk.specialist, discount=D("900.00"))
    assert made.status == QuoteStatus.PENDING  # the superuser flag grants no discount authority
    with pytest.raises(DeskError, match="自己"):
        decide_quote(quote=made, approver=desk.specialist, approve=True)


def test_the_database_refuses_an_approver_who_is_the_requester(desk, case):
    made = quote(case, desk.specialist, discount=D("900.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Quote.objects.filter(pk=made.pk).update(decided_by=desk.specialist)


def test_the_deputy_gm_may_approve_a_manager_level_quote(desk, case):
    made = quote(case, desk.specialist, discount=D("950.00"), reason="老客户，三年续保")
    decided = decide_quote(quote=made, approver=desk.deputy_gm, approve=True)
    assert decided.status == QuoteStatus.APPROVED and decided.decided_by == desk.deputy_gm
    case.refresh_from_db()
    assert case.state == CaseState.QUOTED


def test_a_manager_may_not_approve_a_gm_level_quote_but_the_gm_may(desk, case):
    made = quote(case, desk.specialist, discount=D("1200.00"))
    assert made.level == ApprovalLevel.GM
    with pytest.raises(DeskError, match="权限"):
        decide_quote(quote=made, approver=desk.manager, approve=True)
    assert decide_quote(quote=made, approver=desk.gm, approve=True).status == QuoteStatus.APPROVED


def test_a_rejection_needs_a_comment_and_goes_back_to_the_requester(desk, case):
    made = quote(case, desk.specialist, discount=D("950.00"))
    with pytest.raises(DeskError, match="理由"):
        decide_quote(quote=made, approver=desk.manager, approve=False)
    rejected = decide_quote(quote=made, approver=desk.manager, approve=False, comment="价格已是最低，请按 8% 报")
    assert rejected.status == QuoteStatus.REJECTED
    assert rejected.decision_comment.startswith("价格")
    case.refresh_from_db()
    assert case.state == CaseState.FOLLOWING
    assert "驳回" in case.events.last().note


def test_a_request_is_decided_once(desk, case):
    made = quote(case, desk.specialist, discount=D("950.00"))
    decide_quote(quote=made, approver=desk.manager, approve=True)
    with pytest.raises(DeskError, match="已批准"):
        decide_quote(quote=made, approver=desk.gm, approve=False, comment="不同意")


def test_an_approver_of_another_branch_is_refused(desk, other_desk, case):
    made = quote(case, desk.specialist, discount=D("950.00"))
    with pytest.raises(DeskError, match="本门店"):
        decide_quote(quote=made, approver=other_desk.gm, approve=True)


def test_the_inbox_holds_what_each_approver_may_decide_and_never_their_own(desk, case):
    manager_level = quote(case, desk.specialist, discount=D("950.00"))
    other = case_of(term_ending(DAY + timedelta(days=41), branch=desk.branch, follow_up=desk.specialist2))
    gm_level = quote(other, desk.specialist2, discount=D("1300.00"))
    assert list(pending_quotes_for(desk.manager)) == [manager_level]
    assert list(pending_quotes_for(desk.deputy_gm)) == [manager_level]
    assert set(pending_quotes_for(desk.gm)) == {manager_level, gm_level}
    assert list(pending_quotes_for(desk.specialist)) == []


def test_a_new_quote_supersedes_the_open_ones(desk, case):
    first = quote(case, desk.specialist, discount=D("950.00"))
    second = quote(case, desk.specialist, discount=D("800.00"))
    first.refresh_from_db()
    assert first.status == QuoteStatus.SUPERSEDED and second.status == QuoteStatus.SAVED
    assert list(pending_quotes_for(desk.manager)) == []


def test_a_rescue_card_only_with_a_manager_level_quote(desk, case):
    with pytest.raises(DeskError, match="救援卡"):
        quote(case, desk.specialist, discount=D("500.00"), rescue_card=True)
    with pytest.raises(DeskError, match="救援卡"):
        quote(case, desk.specialist, discount=D("1200.00"), rescue_card=True)
    made = quote(case, desk.specialist, discount=D("900.00"), rescue_card=True)
    assert made.rescue_card and made.status == QuoteStatus.PENDING


def test_full_cover_is_derived_from_the_coverages(desk, case):
    full = quote(case, desk.specialist, discount=D("0"), coverages=["车损险", "三者险(100万)", "车上人员"])
    partial = quote(case, desk.specialist, discount=D("0"), coverages=["车损险", "三者险(50万)"])
    assert full.full_cover is True and partial.full_cover is False
    assert full.total_after_discount == D("10950.00")


def test_only_the_assignee_or_the_branch_may_quote(desk, other_desk, case):
    with pytest.raises(DeskError):
        quote(case, desk.specialist2, discount=D("0"))
    with pytest.raises(DeskError):
        quote(case, other_desk.manager, discount=D("0"))
    assert quote(case, desk.seller, discount=D("0")).status == QuoteStatus.SAVED


def test_amount_and_rate_must_agree_when_both_are_given(desk, case):
    assert quote(case, desk.specialist, discount=D("800.00"), rate=D("0.08")).level == ApprovalLevel.SPECIALIST
    with pytest.raises(DeskError, match="不一致"):
        quote(case, desk.specialist, discount=D("500.00"), rate=D("0.08"))
