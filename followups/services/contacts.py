"""Logging contacts (DOMAIN.md §4): every call is logged; a reached call inside a checkpoint window is effective."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from followups import rules
from followups.models import Case, CaseEvent, CaseState, Contact, ContactResult
from followups.models.cases import OPEN_STATES, REVIEW_STATES
from followups.services.common import ASSIGNABLE, event, lock_case, move, now_or, require_case_worker, staff_roles
from followups.services.errors import DeskError
from policies.models import Staff


def checkpoint_preview(*, case: Case, at: datetime) -> int | None:
    """The checkpoint (45/33/30) a contact at `at` would count for if it reaches the customer (shown before saving)."""
    return rules.checkpoint_for(timezone.localdate(now_or(at)), case.t_date)


@transaction.atomic
def log_contact(
    *,
    case: Case,
    staff: Staff,
    result: str,
    at: datetime | None = None,
    next_contact_at: datetime | None = None,
    note: str = "",
) -> Contact:
    """Log one contact and keep the case's list columns (checkpoints, last contact, promised call-back) in step.

    A 待分配 case contacted by a specialist or callback of its branch becomes theirs (跟进中). A contact logged
    with an earlier time than the case's last one is history: it does not replace the last contact or the
    promised call-back.
    """
    at = now_or(at)
    if result not in ContactResult.values:
        raise DeskError("请选择联系结果：接通、未接、拒绝或空号。")
    if next_contact_at is not None and timezone.is_naive(next_contact_at):
        raise ValueError("aware datetimes only")
    case = lock_case(case)
    require_case_worker(staff, case, claimable=True)
    if case.state not in OPEN_STATES | REVIEW_STATES:
        raise DeskError(f"案件已{case.get_state_display()}，不能再记录联系。")
    checkpoint = checkpoint_preview(case=case, at=at) if result == ContactResult.REACHED else None
    contact = Contact.objects.create(
        case=case, staff=staff, at=at, result=result, effective=checkpoint is not None, checkpoint=checkpoint,
        next_contact_at=next_contact_at, note=note,
    )  # fmt: skip
    fields: list[str] = []
    if checkpoint is not None and not getattr(case, f"checkpoint_{checkpoint}"):
        setattr(case, f"checkpoint_{checkpoint}", True)
        fields.append(f"checkpoint_{checkpoint}")
    if case.last_contact_at is None or at >= case.last_contact_at:
        case.last_contact_at = at
        case.last_contact_result = result
        case.next_contact_at = next_contact_at
        fields += ["last_contact_at", "last_contact_result", "next_contact_at"]
    if case.state == CaseState.UNASSIGNED and case.assignee_id is None and staff_roles(staff) & ASSIGNABLE \
            and staff.branch_id == case.branch_id:  # fmt: skip
        case.assignee = staff
        event(case, CaseEvent.Kind.ASSIGNED, at=at, actor=staff, to_assignee_id=staff.pk, note="首次联系时领取")
        move(case, CaseState.FOLLOWING, at=at, actor=staff, note="首次联系", fields=[*fields, "assignee"])
    elif case.state == CaseState.UNASSIGNED and case.assignee_id is not None:
        move(case, CaseState.FOLLOWING, at=at, actor=staff, note="首次联系", fields=fields)
    elif fields:
        case.save(update_fields=fields)
    contact.case = case
    return contact
