"""Who may see or do what in the incentives app; 'not there' and 'not yours' are the same 404."""

from __future__ import annotations

from django.http import Http404

from incentives.models import PayoutLine, PayoutRun, RuleVersion, SpecialAward
from policies.models import Branch
from renewal_desk.access import has_role, require_role, staff_of, visible_branches
from renewal_desk.roles import Role

RULE_EDITORS = (Role.ADMIN,)
PAYOUT_VIEWERS = (Role.FINANCE, Role.MANAGER, Role.GM, Role.DEPUTY_GM, Role.ADMIN, Role.DIVISION)
PAYOUT_PREPARERS = (Role.FINANCE, Role.ADMIN, Role.MANAGER, Role.GM)
TARGET_EDITORS = (Role.MANAGER, Role.LEAD, Role.ADMIN)
AWARD_EDITORS = (Role.MANAGER, Role.DEPUTY_GM, Role.GM)


def acting_staff(user):
    """The Staff row behind a login; incentive actions are always someone's (maker ≠ checker needs a person)."""
    staff = staff_of(user)
    if staff is None:
        raise Http404("此账号没有对应的员工档案。")
    return staff


def branch_for_user(user, code: str | None) -> Branch:
    """The branch asked for (or the viewer's own, else the first visible one), if the viewer may see it."""
    branches = visible_branches(user)
    if code:
        branch = branches.filter(code=code).first()
        if branch is None:
            raise Http404("没有这个门店，或您无权查看。")
        return branch
    staff = staff_of(user)
    if staff is not None and branches.filter(pk=staff.branch_id).exists():
        return staff.branch
    branch = branches.order_by("code").first()
    if branch is None:
        raise Http404("您没有可查看的门店。")
    return branch


def run_for_user(user, run_id: int) -> PayoutRun:
    run = (
        PayoutRun.objects.filter(pk=run_id, branch__in=visible_branches(user))
        .select_related("branch", "rule_version", "prepared_by", "approved_by", "locked_by")
        .first()
    )
    if run is None:
        raise Http404("没有这个发放批次，或您无权查看。")
    return run


def line_for_user(user, line_id: int) -> PayoutLine:
    line = (
        PayoutLine.objects.filter(pk=line_id, run__branch__in=visible_branches(user))
        .select_related("run__branch", "run__rule_version")
        .first()
    )
    if line is None:
        raise Http404("没有这条发放明细，或您无权查看。")
    return line


def version_for_admin(user, version_id: int) -> RuleVersion:
    require_role(user, *RULE_EDITORS)
    version = RuleVersion.objects.select_related("branch", "created_by", "published_by").filter(pk=version_id).first()
    if version is None:
        raise Http404("没有这个规则版本。")
    return version


def award_for_user(user, award_id: int) -> SpecialAward:
    award = (
        SpecialAward.objects.filter(pk=award_id, staff__branch__in=visible_branches(user))
        .select_related("staff__branch")
        .first()
    )
    if award is None:
        raise Http404("没有这条专项奖励，或您无权查看。")
    return award


def may(user, *roles: str) -> bool:
    return has_role(user, *roles)
