"""Assignment (DOMAIN.md §4): the lead hands cases to specialists and callback staff; a leaver's cases move on.

Every change of assignee is a CaseEvent (from, to, who, when): the history of who held a case is kept even after
the case moves, which is what the personal figures of §7 ("assigned when it closed") read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from followups.models import Case, CaseEvent, CaseState
from followups.models.cases import CLOSED_STATES
from followups.services.common import ASSIGNABLE, ASSIGNERS, now_or, staff_roles
from followups.services.errors import DeskError
from policies.models import Staff


def _require_assigner(by: Staff, branch_id: int) -> None:
    if by.branch_id != branch_id or not staff_roles(by) & ASSIGNERS:
        raise DeskError("只有本门店的续保负责人或保险经理可以分配案件。")


def _require_assignee(assignee: Staff, branch_id: int) -> None:
    if not assignee.active:
        raise DeskError(f"{assignee.name}已离职，不能再分配案件。")
    if assignee.branch_id != branch_id:
        raise DeskError(f"{assignee.name}不属于本门店，不能接手本门店的案件。")
    if not staff_roles(assignee) & ASSIGNABLE:
        raise DeskError(f"{assignee.name}不是续保专员或回访员，不能分配案件。")


def _reassign(cases: list[Case], *, to: Staff, by: Staff, at: datetime, note: str) -> int:
    events = []
    changed = 0
    for case in cases:
        if case.assignee_id == to.pk or case.state in CLOSED_STATES:
            continue
        from_assignee, from_state = case.assignee_id, case.state
        case.assignee = to
        fields = ["assignee"]
        if case.state == CaseState.UNASSIGNED:
            case.state = CaseState.FOLLOWING
            fields.append("state")
        case.save(update_fields=fields)
        events.append(CaseEvent(case=case, kind=CaseEvent.Kind.ASSIGNED, at=at, actor=by,
                                from_assignee_id=from_assignee, to_assignee_id=to.pk, note=note))  # fmt: skip
        if case.state != from_state:
            events.append(CaseEvent(case=case, kind=CaseEvent.Kind.STATE, at=at, actor=by, from_state=from_state,
                                    to_state=case.state, note=note))  # fmt: skip
        changed += 1
    CaseEvent.objects.bulk_create(events)
    return changed


@transaction.atomic
def assign_cases(*, case_ids: Iterable[int], assignee: Staff, by: Staff, at: datetime | None = None) -> int:
    """Assign cases of the lead's branch to a specialist or callback of the same branch; returns how many changed.

    Closed cases and cases already with `assignee` are left as they are; a case of another branch refuses the lot.
    """
    at = now_or(at)
    ids = sorted(set(case_ids))
    if not ids:
        return 0
    _require_assigner(by, by.branch_id)
    _require_assignee(assignee, by.branch_id)
    cases = list(Case.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if len(cases) != len(ids) or any(case.branch_id != by.branch_id for case in cases):
        raise DeskError("所选案件中有不存在或不属于本门店的案件，请刷新后重试。")
    return _reassign(cases, to=assignee, by=by, at=at, note="分配")


@transaction.atomic
def reassign_departed(*, staff: Staff, to: Staff, by: Staff, at: datetime | None = None) -> int:
    """Move every unfinished case of `staff` (leaving, or moving on) to `to`; history stays in the events."""
    at = now_or(at)
    if to.pk == staff.pk:
        raise DeskError("接手人不能是离职人员本人。")
    _require_assigner(by, staff.branch_id)
    _require_assignee(to, staff.branch_id)
    cases = list(
        Case.objects.select_for_update().filter(assignee=staff).exclude(state__in=CLOSED_STATES).order_by("pk")
    )
    return _reassign(cases, to=to, by=by, at=at, note=f"{staff.name}的案件转交")
