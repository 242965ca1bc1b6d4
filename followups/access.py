"""Who may see which case (DOMAIN.md §1): a specialist or callback the cases assigned to them; a lead, manager,
deputy GM or GM their branch's; division and finance every branch's. "Missing" and "not yours" are one 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from followups.models import Case
from renewal_desk.access import roles_of, sees_all_branches, staff_of
from renewal_desk.roles import Role

BRANCH_VIEWERS = frozenset({Role.LEAD, Role.MANAGER, Role.DEPUTY_GM, Role.GM})
CASE_WORKERS = frozenset({Role.SPECIALIST, Role.CALLBACK})


def cases_for_user(user) -> QuerySet[Case]:
    if not user.is_authenticated:
        return Case.objects.none()
    if sees_all_branches(user):
        return Case.objects.all()
    staff = staff_of(user)
    if staff is None:
        return Case.objects.none()
    roles = roles_of(user)
    if roles & BRANCH_VIEWERS:
        return Case.objects.filter(branch_id=staff.branch_id)
    if roles & CASE_WORKERS:
        return Case.objects.filter(assignee_id=staff.pk)
    return Case.objects.none()


def case_for_user(user, case_id: int) -> Case:
    """The case with its list columns, or 404 for a case that is not there and one the user may not see alike."""
    case = (
        cases_for_user(user)
        .select_related("branch", "vehicle", "customer", "assignee", "expiring_term", "renewal_term", "retained")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404("没有找到这个案件，或它不属于您可查看的范围。")
    return case
