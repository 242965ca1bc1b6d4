"""Extra oil (DOMAIN.md §6, §12): requests by the desk, decisions by the deputy GM or GM, under the term's lock.

Grants never add up past the cap, whatever the order or concurrency of requests and approvals: every
decision locks the term's perk counter first and recomputes the level from the counter it holds; the
counter's CheckConstraint is the last line of defence.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from perks import rules
from perks.errors import NotAuthorisedError, PerkError, SelfApprovalError
from perks.models import (
    OilDecision,
    OilDecisionOutcome,
    OilRequest,
    OilRequestStatus,
    PerkKind,
    TermPerkCounter,
)
from perks.services.common import issue, locked_counters, terms_in_force
from policies.models import RenewalKind, Staff, VehicleTerm
from renewal_desk.access import roles_of
from renewal_desk.roles import Role

REQUEST_ROLES = frozenset({Role.SPECIALIST, Role.CALLBACK, Role.SELLER})
APPROVER_ROLES = frozenset({Role.DEPUTY_GM, Role.GM})
RENEWAL_GRACE_DAYS = 30  # a 脱保续回 may still start this long after the last covered day (DOMAIN.md §4)
OPEN_CASE_HORIZON_DAYS = 90  # a case opens when T is at most this far ahead (DOMAIN.md §4 horizon)


def granted_so_far(counter: TermPerkCounter, *, for_next_term: bool, terms: rules.PerkTerms) -> int:
    """Buckets the term already has, standard included; for an open case, the renewal's standard bucket
    plus the extras approved ahead of it."""
    if for_next_term:
        return terms.standard_oil_buckets + counter.next_term_buckets
    return counter.granted_buckets


def has_recorded_renewal(term: VehicleTerm) -> bool:
    return term.next_terms.filter(
        renewal_kind__in=[RenewalKind.RENEWAL, RenewalKind.LAPSED], cancelled_on__isnull=True
    ).exists()


def target_refusal(term: VehicleTerm, counter: TermPerkCounter, *, for_next_term: bool, today: date) -> str | None:
    if term.cancelled_on:
        return "该保险期已退保"
    if for_next_term:
        if has_recorded_renewal(term):
            return "该车已续回：请在续回后的保险期上申请"
        if today > term.last_end + timedelta(days=RENEWAL_GRACE_DAYS):
            return "已超过续回期限，该案件不能再续回"
        if today < term.t_date - timedelta(days=OPEN_CASE_HORIZON_DAYS):
            opens = term.t_date - timedelta(days=OPEN_CASE_HORIZON_DAYS)
            return f"该车的续保案件尚未开始（{opens:%Y-%m-%d} 起可预先申请）"
        return None
    if counter.granted_buckets < 1:
        return "该保险期没有续保权益（不是续回，或签单早于权益启用日期）"
    if today > term.last_end:
        return "该保险期已结束"
    return None


@transaction.atomic
def request_extra_oil(
    *,
    term: VehicleTerm,
    requester: Staff,
    buckets: int,
    reason: str,
    for_next_term: bool = False,
    today: date | None = None,
) -> OilRequest:
    """A specialist, callback or seller of the branch asks for extra buckets on a renewed term in force, or
    (for_next_term) on an open case: then it vests when the 续回 is recorded and is void if the case is lost."""
    today = today or timezone.localdate()
    reason = (reason or "").strip()
    if not reason:
        raise PerkError("请填写申请理由。")
    if not roles_of(requester.user) & REQUEST_ROLES:
        raise NotAuthorisedError("只有续保专员、回访员或服务顾问可以申请加赠机油。")
    term = VehicleTerm.objects.select_related("branch").get(pk=term.pk)
    if requester.branch_id != term.branch_id:
        raise NotAuthorisedError("只能为本门店的车辆申请加赠机油。")
    if not isinstance(buckets, int) or not 1 <= buckets <= rules.MAX_EXTRA_BUCKETS:
        raise PerkError(f"加赠桶数须为 1–{rules.MAX_EXTRA_BUCKETS} 桶。")
    counter = locked_counters(term.pk)[term.pk]
    refusal = target_refusal(term, counter, for_next_term=for_next_term, today=today)
    terms = terms_in_force(term.branch, term.signed_on)
    granted = granted_so_far(counter, for_next_term=for_next_term, terms=terms)
    refusal = refusal or rules.oil_request_refusal(granted=granted, requested=buckets, terms=terms)
    if refusal:
        raise PerkError(refusal + "。")
    busy = "该保险期已有一笔待审批的加赠机油申请，请等待审批结果。"
    if OilRequest.objects.filter(term=term, status=OilRequestStatus.PENDING).exists():
        raise PerkError(busy)
    try:
        with transaction.atomic():
            return OilRequest.objects.create(
                term=term, branch_id=term.branch_id, requester=requester, buckets=buckets, reason=reason,
                for_next_term=for_next_term, total_at_request=granted + buckets,
            )  # fmt: skip
    except IntegrityError as error:  # the partial unique index: another request got in first
        raise PerkError(busy) from error


@transaction.atomic
def decide_oil_request(
    *, request: OilRequest, approver: Staff, approve: bool, comment: str = "", today: date | None = None
) -> OilDecision:
    """Approve or reject a pending request. Requester ≠ approver for every role (superusers included); the
    level is recomputed under the counter lock; a request that would pass the cap is refused whole."""
    today = today or timezone.localdate()
    comment = (comment or "").strip()
    term_id = OilRequest.objects.values_list("term_id", flat=True).get(pk=request.pk)
    counters = locked_counters(term_id)
    locked = (
        OilRequest.objects.select_for_update(of=("self",))
        .select_related("requester", "term__branch")
        .get(pk=request.pk)
    )
    if locked.term_id != term_id:
        raise PerkError("该申请刚刚转到了续回后的保险期，请刷新后重试。")
    if locked.status != OilRequestStatus.PENDING:
        raise PerkError(f"该申请已处理（{locked.get_status_display()}）。")
    if approver.pk == locked.requester_id or approver.user_id == locked.requester.user_id:
        raise SelfApprovalError()
    if approver.branch_id != locked.branch_id:
        raise NotAuthorisedError("只能审批本门店的申请。")
    roles = roles_of(approver.user)
    if not roles & APPROVER_ROLES:
        raise NotAuthorisedError("只有副总经理或总经理可以审批加赠机油。")

    counter = counters[term_id]
    term = locked.term
    terms = terms_in_force(term.branch, term.signed_on)
    granted = granted_so_far(counter, for_next_term=locked.for_next_term, terms=terms)
    total = granted + locked.buckets
    level = rules.oil_approval_level(total, terms)
    locked.decided_at = timezone.now()
    if level == rules.OilLevel.REFUSED:
        locked.status = OilRequestStatus.REFUSED
        locked.save(update_fields=["status", "decided_at"])
        note = (
            f"系统拒绝：本期已批 {granted} 桶，再加 {locked.buckets} 桶合计 {total} 桶，超过上限 {terms.oil_cap} 桶。"
        )
        return OilDecision.objects.create(
            request=locked, requester_id=locked.requester_id, approver=approver, outcome=OilDecisionOutcome.REFUSED,
            level=level, total_after=granted, comment=f"{note} {comment}".strip(),
        )  # fmt: skip
    if not rules.role_covers(level, roles):
        raise NotAuthorisedError(f"合计 {total} 桶需{rules.OIL_LEVEL_LABELS[level]}。")
    if not approve:
        if not comment:
            raise PerkError("驳回时请填写意见。")
        locked.status = OilRequestStatus.REJECTED
        locked.save(update_fields=["status", "decided_at"])
        return OilDecision.objects.create(
            request=locked, requester_id=locked.requester_id, approver=approver, outcome=OilDecisionOutcome.REJECTED,
            level=level, total_after=granted, comment=comment,
        )  # fmt: skip

    if locked.for_next_term:
        counter.next_term_buckets += locked.buckets
    else:
        counter.granted_buckets += locked.buckets
        valid_from = rules.voucher_valid_from(recorded_on=today, term_start=term.start_on)
        for sequence in range(1, locked.buckets + 1):
            issue(
                term=term, kind=PerkKind.EXTRA_OIL, valid_from=valid_from,
                valid_until=rules.voucher_valid_until(valid_from, terms), rule_terms=terms.as_record(), on=today,
                by=approver, oil_request=locked, sequence=sequence, note=f"加赠机油第 {sequence}/{locked.buckets} 桶",
            )  # fmt: skip
    counter.save(update_fields=["granted_buckets", "next_term_buckets", "updated_at"])
    locked.status = OilRequestStatus.APPROVED
    locked.save(update_fields=["status", "decided_at"])
    return OilDecision.objects.create(
        request=locked, requester_id=locked.requester_id, approver=approver, outcome=OilDecisionOutcome.APPROVED,
        level=level, total_after=total, comment=comment,
    )  # fmt: skip


@transaction.atomic
def void_open_case_oil(*, term: VehicleTerm) -> int:
    """The open case of `term` was lost (战败): its extra oil requests and unvested grants are void."""
    counter = locked_counters(term.pk)[term.pk]
    requests = list(
        OilRequest.objects.select_for_update()
        .filter(term_id=term.pk, for_next_term=True, vested_term__isnull=True)
        .filter(status__in=[OilRequestStatus.PENDING, OilRequestStatus.APPROVED])
        .order_by("pk")
    )
    for request in requests:
        if request.status == OilRequestStatus.APPROVED:
            counter.next_term_buckets -= request.buckets
        request.status = OilRequestStatus.VOID
        request.save(update_fields=["status"])
    counter.save(update_fields=["next_term_buckets", "updated_at"])
    return len(requests)
