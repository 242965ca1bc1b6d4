"""Quotes and the discount ladder (DOMAIN.md §5).

d = discount ÷ 商业险 premium, decided exactly (fractions), never on a rounded percentage. Within the requester's
authority a quote is saved at once; above it, it waits in the inbox of the lowest role that may approve it; above
14% it is refused. The approver is never the requester — whatever their roles, superusers included — and two
approvers cannot both decide one request (the quote row is locked, after its case: the fixed lock order).

Rounding, written down: a discount given as a rate becomes money rounded *down* to the fen, so the customer's
discount never exceeds the rate the approver saw. The stored rate is rounded *up* to 6 places, so it falls in the
same band as the exact d (8.00001% is stored as 0.080001, the manager's band, never as 0.080000).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from fractions import Fraction

from django.db import transaction

from followups import rules
from followups.models import ApprovalLevel, Case, CaseEvent, CaseState, Quote, QuoteStatus
from followups.models.cases import OPEN_STATES
from followups.services.common import event, lock_case, move, now_or, require_case_worker, staff_roles
from followups.services.errors import DeskError
from policies.models import Insurer, Staff
from policies.validation import FieldError, is_full_cover, parse_coverages
from renewal_desk.roles import Role

FEN = Decimal("0.01")
RATE_PLACES = Decimal("0.000001")
OPEN_QUOTE_STATUSES = (QuoteStatus.SAVED, QuoteStatus.PENDING, QuoteStatus.APPROVED)
LEVEL_NAMES = {ApprovalLevel.MANAGER: "保险经理", ApprovalLevel.GM: "总经理"}


def _percent(rate: Fraction | Decimal) -> str:
    value = (Decimal(rate.numerator) / Decimal(rate.denominator)) if isinstance(rate, Fraction) else rate
    return f"{(value * 100).quantize(Decimal('0.01'), rounding=ROUND_UP).normalize():f}%"


def discount_terms(
    *, premium_commercial: Decimal, discount_rate: Decimal | None, discount: Decimal | None
) -> tuple[Decimal, Fraction]:
    """(discount money, exact d) from either the money or the rate; both given must agree to the fen."""
    if premium_commercial < 0:
        raise DeskError("商业险保费不能为负数。")
    if discount is not None and discount != discount.quantize(FEN):
        raise DeskError("让利金额最多两位小数。")
    if discount is None and discount_rate is None:
        discount = Decimal("0.00")
    if discount is None:
        if discount_rate < 0:
            raise DeskError("让利比例不能为负数。")
        discount = (premium_commercial * discount_rate).quantize(FEN, rounding=ROUND_DOWN)
        if discount_rate > 0 and premium_commercial == 0:
            raise DeskError("没有商业险保费时不能让利。")
    elif discount_rate is not None and abs(premium_commercial * discount_rate - discount) > FEN:
        raise DeskError("让利金额与让利比例不一致，请只填写其中一项。")
    if discount < 0:
        raise DeskError("让利金额不能为负数。")
    if discount == 0:
        return Decimal("0.00"), Fraction(0)
    if premium_commercial == 0:
        raise DeskError("没有商业险保费时不能让利。")
    return discount, Fraction(discount) / Fraction(premium_commercial)


def _stored_rate(exact: Fraction) -> Decimal:
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(RATE_PLACES, rounding=ROUND_UP)


def _insurer(insurer: Insurer | str) -> Insurer:
    if isinstance(insurer, Insurer):
        return insurer
    name = (insurer or "").strip()
    if not name:
        raise DeskError("请选择保险公司。")
    return Insurer.objects.get_or_create(name=name)[0]


@transaction.atomic
def create_quote(
    *,
    case: Case,
    staff: Staff,
    insurer: Insurer | str,
    premium_compulsory: Decimal,
    premium_commercial: Decimal,
    discount_rate: Decimal | None = None,
    discount: Decimal | None = None,
    coverages: Iterable[str] = (),
    ncd: Decimal | None = None,
    vehicle_tax: Decimal = Decimal("0"),
    rescue_card: bool = False,
    reason: str = "",
    at: datetime | None = None,
) -> Quote:
    """A quote for the case. Earlier open quotes of the case are superseded (withdrawn from the inbox too)."""
    at = now_or(at)
    case = lock_case(case)
    require_case_worker(staff, case, extra_roles=(Role.SELLER,))
    if case.state not in OPEN_STATES:
        raise DeskError(f"案件已{case.get_state_display()}，不能再报价。")
    if premium_compulsory < 0 or vehicle_tax < 0:
        raise DeskError("保费和车船税不能为负数。")
    amount, exact = discount_terms(
        premium_commercial=premium_commercial, discount_rate=discount_rate, discount=discount
    )
    level = rules.discount_level(exact)
    if level == rules.REFUSED:
        raise DeskError(f"让利 {_percent(exact)} 超过上限 14%，不能报价；请把让利降到商业险保费的 14% 以内。")
    if rescue_card and level != ApprovalLevel.MANAGER:
        raise DeskError("全国道路救援卡只能随经理审批档（让利 8%–10%）的报价附加。")
    within_authority = rules.role_can_approve(staff_roles(staff), level)
    try:
        parsed = parse_coverages("、".join(coverages))
    except FieldError as error:
        raise DeskError(error.message) from error
    Quote.objects.select_for_update().filter(case=case, status__in=OPEN_QUOTE_STATUSES).update(
        status=QuoteStatus.SUPERSEDED
    )
    quote = Quote.objects.create(
        case=case, requested_by=staff, created_at=at, insurer=_insurer(insurer),
        premium_compulsory=premium_compulsory, premium_commercial=premium_commercial, vehicle_tax=vehicle_tax,
        coverages=list(parsed.items), full_cover=is_full_cover(has_compulsory=premium_compulsory > 0, coverages=parsed),
        ncd=ncd, discount=amount, discount_rate=_stored_rate(exact), rescue_card=rescue_card, level=level,
        status=QuoteStatus.SAVED if within_authority else QuoteStatus.PENDING, reason=reason.strip()[:500],
    )  # fmt: skip
    case.last_quote = quote
    case.save(update_fields=["last_quote"])
    if quote.status == QuoteStatus.SAVED:
        _mark_quoted(case, at=at, actor=staff)
    else:
        event(case, CaseEvent.Kind.NOTE, at=at, actor=staff,
              note=f"报价让利 {_percent(exact)}，提交{LEVEL_NAMES[level]}审批")  # fmt: skip
    return quote


def _mark_quoted(case: Case, *, at: datetime, actor: Staff | None) -> None:
    # 脱保跟进 keeps its state: it says T has passed, which the daily job's T+7 rule reads.
    if case.state in (CaseState.UNASSIGNED, CaseState.FOLLOWING):
        move(case, CaseState.QUOTED, at=at, actor=actor, note="已报价")


@transaction.atomic
def decide_quote(
    *, quote: Quote, approver: Staff, approve: bool, comment: str = "", at: datetime | None = None
) -> Quote:
    """Approve or reject a pending quote. Rejection needs a comment and goes back to the requester."""
    at = now_or(at)
    case = lock_case(quote.case_id)
    quote = Quote.objects.select_for_update().select_related("requested_by").get(pk=quote.pk)
    if quote.status != QuoteStatus.PENDING:
        raise DeskError(f"这条报价已{quote.get_status_display()}，无需再审批。")
    if approver.pk == quote.requested_by_id or approver.user_id == quote.requested_by.user_id:
        raise DeskError("不能审批自己提交的报价。")
    if approver.branch_id != case.branch_id:
        raise DeskError("只能审批本门店的报价。")
    if not rules.role_can_approve(staff_roles(approver), quote.level):
        raise DeskError(
            f"让利 {_percent(quote.discount_rate)} 需要{LEVEL_NAMES.get(quote.level, '更高权限')}审批，您的权限不够。"
        )
    comment = comment.strip()
    if not approve and not comment:
        raise DeskError("驳回报价需要填写理由，以便申请人修改。")
    if approve and case.state not in OPEN_STATES:
        raise DeskError(f"案件已{case.get_state_display()}，报价无法生效。")
    quote.status = QuoteStatus.APPROVED if approve else QuoteStatus.REJECTED
    quote.decided_by = approver
    quote.decided_at = at
    quote.decision_comment = comment[:500]
    quote.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    verdict = "批准" if approve else "驳回"
    note = f"报价让利 {_percent(quote.discount_rate)} 已{verdict}" + (f"：{comment}" if comment else "")
    event(case, CaseEvent.Kind.NOTE, at=at, actor=approver, note=note)
    if approve:
        _mark_quoted(case, at=at, actor=approver)
    return quote


@transaction.atomic
def accept_quote(*, quote: Quote, by: Staff, at: datetime | None = None) -> Quote:
    """The customer accepted this quote (it is the one the 战报表's discount mix counts)."""
    at = now_or(at)
    case = lock_case(quote.case_id)
    require_case_worker(by, case, extra_roles=(Role.SELLER,))
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status not in (QuoteStatus.SAVED, QuoteStatus.APPROVED):
        raise DeskError("只有已保存或已批准的报价可以标记为客户接受。")
    quote.status = QuoteStatus.ACCEPTED
    quote.save(update_fields=["status"])
    event(case, CaseEvent.Kind.NOTE, at=at, actor=by, note="客户接受报价")
    return quote
