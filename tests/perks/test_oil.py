"""Extra oil: requests, the approval ladder, maker ≠ checker, the cap (DOMAIN.md §6, §12 Extra oil)."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from perks.errors import NotAuthorisedError, PerkError, SelfApprovalError
from perks.models import (
    EntitlementStatus,
    EntryType,
    LedgerEntry,
    OilDecision,
    OilDecisionOutcome,
    OilRequest,
    OilRequestStatus,
    PerkKind,
    TermPerkCounter,
)
from perks.services import decide_oil_request, issue_renewal_perks, request_extra_oil, void_open_case_oil
from renewal_desk.roles import Role
from tests.factories import make_staff, make_term
from tests.perks.conftest import TODAY, renew

pytestmark = pytest.mark.django_db


def ask(term, requester, buckets, **kwargs):
    return request_extra_oil(term=term, requester=requester, buckets=buckets, reason="客户每年在本店保养", today=TODAY,
                             **kwargs)  # fmt: skip


def decide(request, approver, approve=True, comment=""):
    return decide_oil_request(request=request, approver=approver, approve=approve, comment=comment, today=TODAY)


def counter(term):
    return TermPerkCounter.objects.get(term=term)


def extra_oil(term):
    return term.entitlements.filter(kind=PerkKind.EXTRA_OIL)


def test_a_deputy_gm_approves_a_total_of_three_and_vouchers_are_issued(issued_term, people):
    request = ask(issued_term, people["specialist"], 2)
    assert (request.status, request.total_at_request) == (OilRequestStatus.PENDING, 3)
    decision = decide(request, people["deputy"])
    assert decision.outcome == OilDecisionOutcome.APPROVED and decision.total_after == 3
    assert counter(issued_term).granted_buckets == 3
    vouchers = list(extra_oil(issued_term).order_by("sequence"))
    assert [v.sequence for v in vouchers] == [1, 2]  # one bucket per voucher, no filter
    assert (vouchers[0].valid_from, vouchers[0].valid_until) == (TODAY, date(2026, 3, 15))
    assert LedgerEntry.objects.filter(entitlement__in=vouchers, entry_type=EntryType.ISSUED).count() == 2


def test_a_total_of_four_needs_the_gm(issued_term, people):
    request = ask(issued_term, people["callback"], 3)
    with pytest.raises(NotAuthorisedError, match="总经理"):
        decide(request, people["deputy"])
    decide(request, people["gm"])
    assert counter(issued_term).granted_buckets == 4


@pytest.mark.parametrize("role", [Role.MANAGER, Role.LEAD, Role.SPECIALIST, Role.ADMIN, Role.DIVISION, Role.FINANCE])
def test_only_the_deputy_gm_or_gm_may_decide(issued_term, people, branch, role):
    request = ask(issued_term, people["seller"], 1)
    with pytest.raises(NotAuthorisedError):
        decide(request, make_staff(branch, role))
    assert OilRequest.objects.get(pk=request.pk).status == OilRequestStatus.PENDING


def test_the_approver_must_be_of_the_requests_branch(issued_term, people, other_branch):
    request = ask(issued_term, people["specialist"], 1)
    with pytest.raises(NotAuthorisedError, match="本门店"):
        decide(request, make_staff(other_branch, Role.GM))


@pytest.mark.parametrize("role", list(Role.values))
def test_self_approval_is_refused_for_every_role(issued_term, branch, role):
    # a person holding the role, who may also request (several roles per person are allowed)
    person = make_staff(branch, Role.SPECIALIST, role, name=f"兼任{role}")
    request = ask(issued_term, person, 1)
    with pytest.raises(SelfApprovalError):
        decide(request, person)
    assert OilRequest.objects.get(pk=request.pk).status == OilRequestStatus.PENDING
    assert not OilDecision.objects.exists()


def test_self_approval_is_refused_for_a_superuser(issued_term, branch):
    person = make_staff(branch, Role.SELLER, Role.GM, Role.DEPUTY_GM, name="超级管理员")
    person.user.is_superuser = True
    person.user.save()
    request = ask(issued_term, person, 2)
    with pytest.raises(SelfApprovalError):
        decide(request, person)
    with pytest.raises(SelfApprovalError):
        decide(request, person, approve=False, comment="自己驳回也不行")


def test_the_database_refuses_a_decision_by_the_requester(issued_term, people):
    request = ask(issued_term, people["specialist"], 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        OilDecision.objects.create(
            request=request, requester=people["specialist"], approver=people["specialist"],
            outcome=OilDecisionOutcome.APPROVED, level="deputy_gm", total_after=2,
        )  # fmt: skip


def test_only_the_desk_roles_of_the_branch_may_request(issued_term, people, other_branch):
    for role in ("manager", "gm", "deputy", "lead"):
        with pytest.raises(NotAuthorisedError):
            ask(issued_term, people[role], 1)
    with pytest.raises(NotAuthorisedError, match="本门店"):
        ask(issued_term, make_staff(other_branch, Role.SPECIALIST), 1)


def test_a_reason_is_required(issued_term, people):
    with pytest.raises(PerkError, match="理由"):
        request_extra_oil(term=issued_term, requester=people["specialist"], buckets=1, reason="  ", today=TODAY)


def test_a_request_past_the_cap_is_refused_at_once(issued_term, people):
    with pytest.raises(PerkError, match="1–3 桶"):
        ask(issued_term, people["specialist"], 4)
    decide(ask(issued_term, people["specialist"], 2), people["deputy"])
    with pytest.raises(PerkError, match="合计 5 桶"):
        ask(issued_term, people["specialist"], 2)


def test_at_most_one_pending_request_per_term(issued_term, people):
    ask(issued_term, people["specialist"], 1)
    with pytest.raises(PerkError, match="待审批"):
        ask(issued_term, people["seller"], 1)
    with pytest.raises(IntegrityError), transaction.atomic():  # the partial unique index behind it
        OilRequest.objects.create(term=issued_term, branch=issued_term.branch, requester=people["seller"], buckets=1,
                                  reason="绕过服务", total_at_request=2)  # fmt: skip


def test_the_level_is_recomputed_at_approval(issued_term, people):
    # given: a request for a total of 2 (deputy GM); meanwhile the term's grants moved to 3
    request = ask(issued_term, people["specialist"], 1)
    TermPerkCounter.objects.filter(term=issued_term).update(granted_buckets=3)
    # then: it now makes 4, which needs the GM
    with pytest.raises(NotAuthorisedError, match="合计 4 桶需总经理"):
        decide(request, people["deputy"])
    decide(request, people["gm"])
    assert counter(issued_term).granted_buckets == 4


def test_a_request_that_would_pass_four_at_approval_is_refused_whole(issued_term, people):
    request = ask(issued_term, people["specialist"], 2)
    TermPerkCounter.objects.filter(term=issued_term).update(granted_buckets=3)
    decision = decide(request, people["gm"])
    assert decision.outcome == OilDecisionOutcome.REFUSED and "超过上限" in decision.comment
    assert OilRequest.objects.get(pk=request.pk).status == OilRequestStatus.REFUSED
    assert counter(issued_term).granted_buckets == 3  # not partly granted either
    assert not extra_oil(issued_term).exists()


def test_a_rejection_needs_a_comment(issued_term, people):
    request = ask(issued_term, people["specialist"], 1)
    with pytest.raises(PerkError, match="意见"):
        decide(request, people["deputy"], approve=False)
    decision = decide(request, people["deputy"], approve=False, comment="今年已送过保养")
    assert decision.outcome == OilDecisionOutcome.REJECTED
    assert counter(issued_term).granted_buckets == 1 and not extra_oil(issued_term).exists()


def test_a_decided_request_cannot_be_decided_again(issued_term, people):
    request = ask(issued_term, people["specialist"], 1)
    decide(request, people["deputy"])
    with pytest.raises(PerkError, match="已处理"):
        decide(request, people["gm"])
    assert counter(issued_term).granted_buckets == 2


def test_the_counter_refuses_a_fifth_bucket_in_the_database(issued_term):
    with pytest.raises(IntegrityError), transaction.atomic():
        TermPerkCounter.objects.filter(term=issued_term).update(granted_buckets=5)


def test_a_term_without_renewal_perks_cannot_get_extra_oil(branch, people):
    term = make_term(branch=branch, start_on=date(2025, 7, 1))  # a new car
    with pytest.raises(PerkError, match="没有续保权益"):
        ask(term, people["specialist"], 1)


def test_open_case_grants_vest_on_the_renewal(branch, people):
    # given: a term expiring 2025-06-30 with an open case; the desk asks ahead for 2 extra
    expiring = make_term(branch=branch, start_on=date(2024, 7, 1))
    request = request_extra_oil(term=expiring, requester=people["specialist"], buckets=2, reason="续保前承诺",
                                for_next_term=True, today=date(2025, 6, 1))  # fmt: skip
    assert request.total_at_request == 3
    decide_oil_request(request=request, approver=people["deputy"], approve=True, today=date(2025, 6, 2))
    assert counter(expiring).next_term_buckets == 2 and not extra_oil(expiring).exists()
    # when: the 续回 is recorded
    renewal = renew(expiring)
    issue_renewal_perks(term=renewal, recorded_on=date(2025, 6, 28))
    # then
    assert counter(renewal).granted_buckets == 3
    assert extra_oil(renewal).count() == 2
    assert OilRequest.objects.get(pk=request.pk).vested_term == renewal
    issue_renewal_perks(term=renewal)  # idempotent: nothing vests twice
    assert extra_oil(renewal).count() == 2 and counter(renewal).granted_buckets == 3


def test_a_pending_open_case_request_moves_to_the_renewal(branch, people):
    expiring = make_term(branch=branch, start_on=date(2024, 7, 1))
    request = request_extra_oil(term=expiring, requester=people["seller"], buckets=3, reason="承诺", for_next_term=True,
                                today=date(2025, 6, 1))  # fmt: skip
    renewal = renew(expiring)
    issue_renewal_perks(term=renewal, recorded_on=date(2025, 6, 28))
    request.refresh_from_db()
    assert request.term == renewal and not request.for_next_term
    decide_oil_request(request=request, approver=people["gm"], approve=True, today=date(2025, 7, 2))
    assert counter(renewal).granted_buckets == 4


def test_open_case_grants_are_void_when_the_case_is_lost(branch, people):
    expiring = make_term(branch=branch, start_on=date(2024, 7, 1))
    request = request_extra_oil(term=expiring, requester=people["specialist"], buckets=1, reason="承诺",
                                for_next_term=True, today=date(2025, 6, 1))  # fmt: skip
    decide_oil_request(request=request, approver=people["deputy"], approve=True, today=date(2025, 6, 2))
    assert void_open_case_oil(term=expiring) == 1
    assert OilRequest.objects.get(pk=request.pk).status == OilRequestStatus.VOID
    assert counter(expiring).next_term_buckets == 0


def test_open_case_requests_start_with_the_case_horizon(branch, people):
    expiring = make_term(branch=branch, start_on=date(2024, 7, 1))  # T 2025-06-30
    with pytest.raises(PerkError, match="2025-04-01 起"):
        request_extra_oil(term=expiring, requester=people["specialist"], buckets=1, reason="太早", for_next_term=True,
                          today=date(2025, 3, 31))  # fmt: skip
    with pytest.raises(PerkError, match="已超过续回期限"):
        request_extra_oil(term=expiring, requester=people["specialist"], buckets=1, reason="太晚", for_next_term=True,
                          today=date(2025, 7, 31))  # fmt: skip


def test_no_open_case_request_once_the_renewal_is_recorded(issued_term, people):
    with pytest.raises(PerkError, match="已续回"):
        ask(issued_term.previous_term, people["specialist"], 1, for_next_term=True)


def test_extra_oil_vouchers_are_reversed_with_the_renewal(issued_term, people):
    from perks.services import reverse_renewal_perks

    decide(ask(issued_term, people["specialist"], 2), people["deputy"])
    reverse_renewal_perks(term=issued_term, on=date(2025, 10, 1))
    assert set(extra_oil(issued_term).values_list("status", flat=True)) == {EntitlementStatus.REVERSED}
