"""Helpers shared by the desk's services: locking a case, recording its events, who may act on it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection
from django.utils import timezone

from followups.models import Case, CaseEvent
from followups.services.errors import DeskError
from policies.models import Staff
from renewal_desk.roles import Role

BRANCH_WIDE = frozenset({Role.LEAD, Role.MANAGER, Role.DEPUTY_GM, Role.GM})
ASSIGNABLE = frozenset({Role.SPECIALIST, Role.CALLBACK})
REVIEWERS = frozenset({Role.MANAGER, Role.LEAD})
ASSIGNERS = frozenset({Role.LEAD, Role.MANAGER})

# One key for the daily job and the reminder planner: their set-based steps run one at a time (PostgreSQL).
DAILY_LOCK_KEY = 4_2026_0601


def staff_roles(staff: Staff) -> frozenset[str]:
    """The roles of a staff member (their login's groups); the superuser flag grants nothing on the desk."""
    cached = getattr(staff, "_desk_roles", None)
    if cached is None:
        cached = frozenset(staff.user.groups.values_list("name", flat=True))
        staff._desk_roles = cached
    return cached


def now_or(at: datetime | None) -> datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise ValueError("aware datetimes only")
    return at


def lock_case(case: Case | int) -> Case:
    """The case re-read under a row lock: every write to a case starts here (fixed order: case, then quotes)."""
    pk = case if isinstance(case, int) else case.pk
    return Case.objects.select_for_update().select_related("branch").get(pk=pk)


def event(
    case: Case,
    kind: str,
    *,
    at: datetime,
    actor: Staff | None = None,
    from_state: str = "",
    to_state: str = "",
    from_assignee_id: int | None = None,
    to_assignee_id: int | None = None,
    note: str = "",
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, kind=kind, at=at, actor=actor, from_state=from_state, to_state=to_state,
        from_assignee_id=from_assignee_id, to_assignee_id=to_assignee_id, note=note[:500],
    )  # fmt: skip


def move(case: Case, to_state: str, *, at: datetime, actor: Staff | None, note: str = "", fields: Iterable[str] = ()):
    """Change a (locked) case's state, save the given fields with it, and record the change."""
    from_state = case.state
    case.state = to_state
    case.save(update_fields=["state", *fields])
    if from_state != to_state:
        event(case, CaseEvent.Kind.STATE, at=at, actor=actor, from_state=from_state, to_state=to_state, note=note)


def require_same_branch(staff: Staff, case: Case, message: str) -> None:
    if staff.branch_id != case.branch_id:
        raise DeskError(message)


def require_case_worker(staff: Staff, case: Case, *, extra_roles: Iterable[str] = (), claimable: bool = False) -> None:
    """The assignee, or a lead/manager/deputy GM/GM (or `extra_roles`) of the case's branch, may work a case;
    with `claimable`, so may a specialist or callback of the branch when nobody holds it yet."""
    if case.assignee_id == staff.pk:
        return
    allowed = BRANCH_WIDE | frozenset(extra_roles) | (ASSIGNABLE if claimable and case.assignee_id is None else set())
    if staff.branch_id == case.branch_id and staff_roles(staff) & allowed:
        return
    raise DeskError("只有本案跟进人或本门店的续保负责人、经理可以处理这个案件。")


def serialise_daily_work() -> None:
    """Inside a transaction: wait for any other daily job / planner chunk to finish (PostgreSQL advisory lock).

    SQLite has a single writer already.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DAILY_LOCK_KEY])
