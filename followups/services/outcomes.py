"""Outcomes (DOMAIN.md §4): 续回 with its credits and channel; 战败 and 不可续 proposed with a coded reason and
closed by a reviewer (manager or lead of the branch) who is not the proposer — in the service and by a database
constraint."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from followups import rules
from followups.models import Case, CaseEvent, CaseState, FailureReason
from followups.models.cases import EXCLUSION_REASONS, OPEN_STATES, REVIEW_STATES
from followups.services.common import REVIEWERS, event, lock_case, move, now_or, require_case_worker, staff_roles
from followups.services.errors import DeskError
from policies.models import Channel, Insurer, Policy, PolicyKind, Staff, VehicleTerm
from policies.services import rebuild_terms
from policies.validation import FieldError, parse_coverages
from renewal_desk.roles import Role


@dataclass(frozen=True)
class RenewalPolicyInput:
    """One new policy entered on the desk (交强险 or 商业险)."""

    insurer: str
    policy_no: str
    kind: str  # PolicyKind value
    start_on: date
    end_on: date
    premium: Decimal
    signed_on: date | None = None
    coverages: Sequence[str] = field(default_factory=tuple)


def _create_policies(case: Case, inputs: Sequence[RenewalPolicyInput], *, channel: str, today: date) -> VehicleTerm:
    if not inputs:
        raise DeskError("请填写新保单，或选择已导入的续保保单。")
    customer_id = case.customer_id or case.vehicle.owner_id
    if customer_id is None:
        raise DeskError("该车辆没有客户信息，请先导入或补充客户后再登记续保。")
    previous = {}
    if case.expiring_term_id:
        previous = dict(Policy.objects.filter(term_id=case.expiring_term_id).values_list("kind", "policy_no"))
    created = []
    for item in inputs:
        if item.kind not in PolicyKind.values:
            raise DeskError("险种只能是交强险或商业险。")
        if item.end_on <= item.start_on:
            raise DeskError(f"保单 {item.policy_no} 的终保日期必须晚于起保日期。")
        if item.premium < 0 or item.premium != item.premium.quantize(Decimal("0.01")):
            raise DeskError(f"保单 {item.policy_no} 的保费必须是不小于 0、最多两位小数的金额。")
        insurer = Insurer.objects.get_or_create(name=item.insurer.strip())[0]
        if Policy.objects.filter(insurer=insurer, policy_no=item.policy_no).exists():
            raise DeskError(f"{insurer.name}的保单号 {item.policy_no} 已存在，如已导入请直接选择该保单。")
        try:
            parsed = parse_coverages("、".join(item.coverages))
        except FieldError as error:
            raise DeskError(error.message) from error
        created.append(Policy.objects.create(
            insurer=insurer, policy_no=item.policy_no, kind=item.kind, branch_id=case.branch_id,
            vehicle_id=case.vehicle_id, insured_id=customer_id, signed_on=item.signed_on or today,
            start_on=item.start_on, end_on=item.end_on, premium=item.premium, coverages=list(parsed.items),
            has_vehicle_damage=parsed.has_vehicle_damage, third_party_limit=parsed.third_party_limit,
            channel=channel, previous_policy_no=previous.get(item.kind, ""),
        ))  # fmt: skip
    rebuild_terms([case.vehicle_id])
    term_ids = set(Policy.objects.filter(pk__in=[p.pk for p in created]).values_list("term_id", flat=True))
    if len(term_ids) != 1:
        raise DeskError("新保单的终保日期相差过大，不属于同一保险期，请分开登记。")
    return VehicleTerm.objects.get(pk=term_ids.pop())


def _check_renewal_term(case: Case, term: VehicleTerm) -> None:
    if term.vehicle_id != case.vehicle_id:
        raise DeskError("所选保单不是本案车辆的保单。")
    if term.cancelled_on is not None:
        raise DeskError("所选保险期已退保，不能作为续保。")
    if term.pk == case.expiring_term_id or term.t_date <= case.t_date:
        raise DeskError("所选保险期不晚于本案到期的保险期，不是续保。")
    # The grace runs from the day after the expiring term's last covered day (its later end date, §4).
    last_end = case.expiring_term.last_end if case.expiring_term_id else case.t_date
    if not rules.renewal_start_ok(start_on=term.start_on, t=last_end):
        last = last_end + timedelta(days=1 + rules.RENEWAL_GRACE_DAYS)
        raise DeskError(
            f"新保险期起保日 {term.start_on:%Y-%m-%d} 超出续保宽限（最晚 {last:%Y-%m-%d}），按新保处理，不计续回。"
        )
    taken = Case.objects.filter(renewal_term=term).exclude(pk=case.pk).first()
    if taken is not None:
        raise DeskError(f"该保险期已登记为另一案件（{taken}）的续保。")


def _credit(term: VehicleTerm, *, channel: str, credits: dict[str, Staff | None]) -> None:
    given = {f"{role}_id": staff.pk for role, staff in credits.items() if staff is not None}
    Policy.objects.filter(term=term).update(channel=channel, **given)
    VehicleTerm.objects.filter(pk=term.pk).update(channel=channel, **given)


@transaction.atomic
def record_renewal(
    *,
    case: Case,
    by: Staff,
    channel: str,
    callback: Staff | None = None,
    seller: Staff | None = None,
    lead: Staff | None = None,
    term: VehicleTerm | None = None,
    policies: Sequence[RenewalPolicyInput] | None = None,
    at: datetime | None = None,
) -> Case:
    """Close the case as 已续回 with its new vehicle-term (an imported one, or policies entered here).

    Also from 战败待审/不可续待审, and from a closed 战败 (a lapsed renewal reopens it, §4). Credits and channel are
    written onto the new term's policies, where commissions read them.
    """
    at = now_or(at)
    case = lock_case(case)
    require_case_worker(by, case, extra_roles=(Role.SELLER,))
    if channel not in Channel.values:
        raise DeskError("请选择续保渠道：到店或电销。")
    if case.state not in OPEN_STATES | REVIEW_STATES | {CaseState.LOST}:
        raise DeskError(f"案件已{case.get_state_display()}，不能登记续回。")
    if (term is None) == (policies is None):
        raise DeskError("请选择已导入的续保保单，或录入新保单（二选一）。")
    if term is None:
        term = _create_policies(case, policies, channel=channel, today=timezone.localdate(at))
    else:
        term = VehicleTerm.objects.get(pk=term.pk)
    _check_renewal_term(case, term)
    _credit(term, channel=channel, credits={"callback": callback, "seller": seller, "lead": lead})
    term.refresh_from_db()
    reopened = case.state == CaseState.LOST
    case.renewal_term = term
    case.renewal_channel = channel
    case.closed_at = at
    case.reason = ""
    case.reason_text = ""
    move(case, CaseState.RENEWED, at=at, actor=by, note="登记续回（重开已战败案件）" if reopened else "登记续回",
         fields=["renewal_term", "renewal_channel", "closed_at", "reason", "reason_text"])  # fmt: skip
    _issue_perks(term=term, by=by, on=timezone.localdate(at))
    return case


def _issue_perks(*, term: VehicleTerm, by: Staff, on: date) -> None:
    """Perks are written when a 续回 is recorded (§12), if the perks app provides the service."""
    try:
        from perks.services import issue_renewal_perks
    except (ImportError, AttributeError):
        return
    issue_renewal_perks(term=term, recorded_by=by, recorded_on=on)


@transaction.atomic
def propose_loss(*, case: Case, by: Staff, reason: str, reason_text: str = "", at: datetime | None = None) -> Case:
    """战败 (or, for a * reason, 不可续) proposed with its coded reason; a reviewer closes it."""
    at = now_or(at)
    case = lock_case(case)
    require_case_worker(by, case)
    if reason not in FailureReason.values:
        raise DeskError("请选择战败原因。")
    reason_text = reason_text.strip()
    if reason == FailureReason.OTHER and not reason_text:
        raise DeskError("原因为“其他”时请写明具体原因。")
    if case.state not in OPEN_STATES | REVIEW_STATES:
        raise DeskError(f"案件已{case.get_state_display()}，不能再提交战败。")
    target = CaseState.EXCLUSION_PENDING if reason in EXCLUSION_REASONS else CaseState.LOST_PENDING
    case.reason = reason
    case.reason_text = reason_text[:500]
    case.proposed_by = by
    case.reviewed_by = None
    case.reviewed_at = None
    fields = ["reason", "reason_text", "proposed_by", "reviewed_by", "reviewed_at"]
    note = f"提交{'不可续' if target == CaseState.EXCLUSION_PENDING else '战败'}：{FailureReason(reason).label}"
    if case.state == target:
        case.save(update_fields=fields)
        event(case, CaseEvent.Kind.NOTE, at=at, actor=by, note=note)
    else:
        move(case, target, at=at, actor=by, note=note, fields=fields)
    return case


def _state_after_rejection(case: Case, today: date) -> str:
    if today > case.t_date + timedelta(days=rules.LAPSE_FOLLOW_DAYS):
        return CaseState.LOST_PENDING  # past T+7: still lost pending, waiting for a better reason
    if today > case.t_date:
        return CaseState.LAPSED_FOLLOW
    return CaseState.FOLLOWING if case.assignee_id else CaseState.UNASSIGNED


@transaction.atomic
def review_loss(*, case: Case, reviewer: Staff, approve: bool, comment: str = "", at: datetime | None = None) -> Case:
    """Close a proposed 战败 (已战败) or exclusion (已排除, leaves 可续) — or send it back to be worked."""
    at = now_or(at)
    case = lock_case(case)
    if case.state not in REVIEW_STATES:
        raise DeskError(f"案件{case.get_state_display()}，没有待审核的战败或不可续。")
    if not case.reason:
        raise DeskError("跟进人尚未填写战败原因，暂不能审核。")
    if reviewer.branch_id != case.branch_id or not staff_roles(reviewer) & REVIEWERS:
        raise DeskError("只有本门店的保险经理或续保负责人可以审核战败。")
    if reviewer.pk == case.proposed_by_id:
        raise DeskError("提交人不能审核自己提交的战败或不可续。")
    comment = comment.strip()
    if not approve and not comment:
        raise DeskError("退回需要填写理由。")
    label = "不可续" if case.state == CaseState.EXCLUSION_PENDING else "战败"
    if approve:
        excluded = case.state == CaseState.EXCLUSION_PENDING
        case.reviewed_by = reviewer
        case.reviewed_at = at
        case.closed_at = at
        case.removed_from_renewable = excluded
        event(
            case,
            CaseEvent.Kind.REVIEWED,
            at=at,
            actor=reviewer,
            note=f"审核通过{label}" + (f"：{comment}" if comment else ""),
        )
        move(case, CaseState.EXCLUDED if excluded else CaseState.LOST, at=at, actor=reviewer, note=f"审核通过{label}",
             fields=["reviewed_by", "reviewed_at", "closed_at", "removed_from_renewable"])  # fmt: skip
        return case
    event(case, CaseEvent.Kind.REVIEWED, at=at, actor=reviewer, note=f"退回{label}：{comment}")
    case.reason = ""
    case.reason_text = ""
    case.proposed_by = None
    move(case, _state_after_rejection(case, timezone.localdate(at)), at=at, actor=reviewer, note=f"退回{label}",
         fields=["reason", "reason_text", "proposed_by"])  # fmt: skip
    return case
