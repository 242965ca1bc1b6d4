"""Who sees which report (DOMAIN.md §12 "Who sees what").

lead, manager, deputy GM and GM: their own branch's reports; division and finance: every branch and the division
file; a specialist or callback: their own 日报/周报 row. Full phones only in the register that the branch's lead or
manager downloads (and that download is logged). Missing and forbidden look the same (404).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from policies.models import Branch
from renewal_desk.access import has_role, sees_all_branches, staff_of
from renewal_desk.roles import Role
from reports.models import ReportBuild, ReportFile

BRANCH_REPORT_ROLES = (Role.LEAD, Role.MANAGER, Role.DEPUTY_GM, Role.GM)
DESK_ROLES = (Role.SPECIALIST, Role.CALLBACK)
FULL_PHONE_ROLES = (Role.LEAD, Role.MANAGER)


def sees_division(user) -> bool:
    return sees_all_branches(user)


def report_branches(user) -> QuerySet[Branch]:
    """Branches whose monthly reports (战报表, register, dashboard, 日报/周报 rows) the user may see."""
    if sees_division(user):
        return Branch.objects.order_by("code")
    staff = staff_of(user)
    if staff is not None and has_role(user, *BRANCH_REPORT_ROLES):
        return Branch.objects.filter(pk=staff.branch_id)
    return Branch.objects.none()


def sees_monthly_reports(user) -> bool:
    return sees_division(user) or (staff_of(user) is not None and has_role(user, *BRANCH_REPORT_ROLES))


def require_monthly_reports(user) -> None:
    if not sees_monthly_reports(user):
        raise PermissionDenied("您的角色无权查看月度报表。")


def branch_choice(user, code: str | None) -> Branch | None:
    """The branch a page shows: None = every branch (division/finance only); else one the user may see."""
    branches = report_branches(user)
    if code:
        branch = branches.filter(code=code).first()
        if branch is None:
            raise Http404("没有这个门店，或您无权查看。")
        return branch
    if sees_division(user):
        return None
    branch = branches.first()
    if branch is None:
        raise PermissionDenied("您的角色无权查看月度报表。")
    return branch


def files_for(user) -> QuerySet[ReportFile]:
    files = ReportFile.objects.select_related("branch")
    if sees_division(user):
        return files
    branch_ids = list(report_branches(user).values_list("pk", flat=True))
    return files.filter(branch_id__in=branch_ids)


def file_for_user(user, file_id: int) -> ReportFile:
    report_file = files_for(user).filter(pk=file_id).first()
    if report_file is None:
        raise Http404("没有这个报表文件，或您无权下载。")
    return report_file


def build_for_user(user, build_id: int) -> ReportBuild:
    """A build is its requester's (a register with full phones must not travel)."""
    build = ReportBuild.objects.select_related("branch", "report_file").filter(pk=build_id, requested_by=user).first()
    if build is None:
        raise Http404("没有这个生成任务。")
    return build


def may_download_full_phones(user, branch: Branch | None) -> bool:
    staff = staff_of(user)
    return (
        branch is not None and staff is not None and staff.branch_id == branch.pk and has_role(user, *FULL_PHONE_ROLES)
    )


def activity_scope(user, code: str | None) -> tuple[Branch | None, int | None]:
    """(branch or None for all, the only staff row the user may see or None for every row)."""
    if sees_monthly_reports(user):
        return branch_choice(user, code), None
    staff = staff_of(user)
    if staff is not None and has_role(user, *DESK_ROLES):
        return staff.branch, staff.pk
    raise PermissionDenied("您的角色无权查看日报/周报。")
