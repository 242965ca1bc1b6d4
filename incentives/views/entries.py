"""目标 · 专项奖励 · 满意度: what leads and managers enter by hand for a month."""

from __future__ import annotations

import math
from decimal import Decimal

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from followups.models import Case
from incentives.access import AWARD_EDITORS, TARGET_EDITORS, acting_staff, award_for_user, branch_for_user
from incentives.errors import IncentiveError
from incentives.models import SpecialAward, Target, TeamSatisfaction
from incentives.services import (
    add_special_award,
    delete_special_award,
    rules_in_force,
    set_targets,
    set_team_satisfaction,
)
from incentives.services.entries import parse_amount
from incentives.services.facts import ROLE_LABELS, ROLE_ORDER
from incentives.views.common import month_param, with_toast
from policies.models import Staff
from renewal_desk.access import require_role
from renewal_desk.months import month_label, month_start
from renewal_desk.roles import Role

TARGET_STAFF_ROLES = (Role.LEAD, Role.CALLBACK, Role.SELLER, Role.SPECIALIST)
# Default category targets (DOMAIN.md §3): ⌈pct × 应续⌉ per branch, category and month.
CATEGORY_SHARES = {1: ("本店售出", Decimal("0.75")), 2: ("他店承保·资料完整", Decimal("0.30")),
                   3: ("他店承保·仅电话", Decimal("0.20")), 4: ("他店承保·两年内返厂", Decimal("0.20"))}  # fmt: skip


@require_http_methods(["GET", "POST"])
def targets(request: HttpRequest) -> HttpResponse:
    require_role(request.user, *TARGET_EDITORS)
    branch = branch_for_user(request.user, request.GET.get("branch") or request.POST.get("branch"))
    month = month_param(
        request.GET.get("month") or request.POST.get("month"), default=month_start(timezone.localdate())
    )
    people = list(
        Staff.objects.filter(branch=branch, active=True, user__groups__name__in=TARGET_STAFF_ROLES)
        .distinct()
        .prefetch_related("user__groups")
        .order_by("employee_no")
    )
    error = ""
    if request.method == "POST":
        try:
            staff_counts = {person.pk: _count(request.POST.get(f"staff-{person.pk}", "")) for person in people}
            category_counts = {c: _count(request.POST.get(f"category-{c}", "")) for c in CATEGORY_SHARES}
            set_targets(
                branch=branch,
                month=month,
                by=acting_staff(request.user),
                staff_counts=staff_counts,
                category_counts=category_counts,
            )
        except IncentiveError as err:
            error = err.message
    existing = Target.objects.filter(branch=branch, month=month)
    by_staff = {row.staff_id: row.count for row in existing if row.staff_id}
    by_category = {row.category: row.count for row in existing if row.category}
    due = dict(
        Case.objects.filter(branch=branch, t_month=month).values_list("category").annotate(n=Count("pk")).order_by()
    )
    categories = [
        {
            "number": number,
            "label": label,
            "share": share,
            "due": due.get(number, 0),
            "suggested": math.ceil(share * due.get(number, 0)),
            "count": by_category.get(number),
        }
        for number, (label, share) in CATEGORY_SHARES.items()
    ]
    rows = [
        {
            "person": person,
            "count": by_staff.get(person.pk),
            "required": _needs_target(person),
            "roles": "、".join(ROLE_LABELS[role] for role in ROLE_ORDER if role in person.roles),
        }
        for person in people
    ]
    context = {
        "branch": branch,
        "month": month,
        "month_text": month_label(month),
        "rows": rows,
        "categories": categories,
        "error": error,
        "missing": [row["person"] for row in rows if row["required"] and row["count"] is None],
    }
    if request.method == "POST":
        response = render(request, "incentives/_targets_form.html", context)
        return with_toast(response, error or f"已保存 {branch.name} {month_label(month)} 的目标")
    return render(request, "incentives/targets_page.html", context)


@require_http_methods(["GET", "POST"])
def special_awards(request: HttpRequest) -> HttpResponse:
    require_role(request.user, *AWARD_EDITORS)
    me = acting_staff(request.user)
    branch = branch_for_user(request.user, request.GET.get("branch"))
    month = month_param(request.GET.get("month") or request.POST.get("month"), default=month_param(None))
    error = ""
    if request.method == "POST":
        staff = Staff.objects.filter(branch=branch, pk=_int(request.POST.get("staff"))).first()
        try:
            if staff is None:
                raise IncentiveError("请选择本门店的员工。")
            amount = parse_amount(request.POST.get("amount", ""))
            add_special_award(
                staff=staff,
                month=month,
                kind=request.POST.get("kind", ""),
                amount=amount,
                note=request.POST.get("note", ""),
                by=me,
            )
        except IncentiveError as err:
            error = err.message
    context = _awards_context(branch, month, me, error)
    if request.method == "POST":
        return with_toast(render(request, "incentives/_special_awards.html", context), error or "已录入专项奖励")
    return render(request, "incentives/special_awards_page.html", context)


@require_POST
def special_award_delete(request: HttpRequest, award_id: int) -> HttpResponse:
    require_role(request.user, *AWARD_EDITORS)
    award = award_for_user(request.user, award_id)
    me = acting_staff(request.user)
    error = ""
    try:
        delete_special_award(award=award, by=me)
    except IncentiveError as err:
        error = err.message
    context = _awards_context(award.staff.branch, award.month, me, error)
    return with_toast(render(request, "incentives/_special_awards.html", context), error or "已删除专项奖励")


@require_http_methods(["GET", "POST"])
def satisfaction(request: HttpRequest) -> HttpResponse:
    require_role(request.user, *AWARD_EDITORS)
    branch = branch_for_user(request.user, request.GET.get("branch"))
    month = month_param(request.GET.get("month") or request.POST.get("month"))
    teams = sorted(
        set(Staff.objects.filter(branch=branch).exclude(team="").values_list("team", flat=True))
        | set(TeamSatisfaction.objects.filter(branch=branch, month=month).values_list("team", flat=True))
    )
    error = ""
    if request.method == "POST":
        try:
            scores = {}
            for index, team in enumerate(teams):
                score, target = request.POST.get(f"score-{index}", "").strip(), request.POST.get(f"target-{index}", "")
                if not score and not target.strip():
                    scores[team] = None
                else:
                    scores[team] = (parse_amount(score, what="得分"), parse_amount(target, what="目标"))
            set_team_satisfaction(branch=branch, month=month, by=acting_staff(request.user), scores=scores)
        except IncentiveError as err:
            error = err.message
    stored = {row.team: row for row in TeamSatisfaction.objects.filter(branch=branch, month=month)}
    leaders = {
        person.team: person for person in Staff.objects.filter(branch=branch, is_team_leader=True).exclude(team="")
    }
    context = {
        "branch": branch,
        "month": month,
        "month_text": month_label(month),
        "rows": [
            {"index": i, "team": team, "row": stored.get(team), "leader": leaders.get(team)}
            for i, team in enumerate(teams)
        ],
        "error": error,
    }
    if request.method == "POST":
        return with_toast(render(request, "incentives/_satisfaction_form.html", context), error or "已保存满意度")
    return render(request, "incentives/satisfaction_page.html", context)


def _awards_context(branch, month, me, error: str) -> dict:
    rules, version = rules_in_force(branch=branch, on=month)
    awards = SpecialAward.objects.filter(staff__branch=branch, month=month).select_related("staff", "entered_by")
    ranges = [(kind, label, rules.special_range(kind)) for kind, label in SpecialAward.Kind.choices]
    return {
        "branch": branch,
        "month": month,
        "month_text": month_label(month),
        "awards": awards,
        "total": sum((award.amount for award in awards), Decimal("0.00")),
        "staff": Staff.objects.filter(branch=branch, active=True).exclude(pk=me.pk).order_by("employee_no"),
        "ranges": ranges,
        "version": version,
        "error": error,
    }


def _needs_target(person: Staff) -> bool:
    return bool(person.roles & {Role.LEAD, Role.CALLBACK, Role.SELLER})


def _count(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise IncentiveError(f"目标台数“{text}”应为非负整数。")
    return int(text)


def _int(text) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return 0
