"""待分配, 离职转交 and 到期日未知: the lead's (or manager's) pages for handing cases to people."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from followups import selectors
from followups.forms import AssignForm, ReassignForm, UnassignedFilterForm
from followups.models.cases import CLOSED_STATES
from followups.services import DeskError, assign_cases, reassign_departed
from followups.views.common import desk_staff, query_without_page, render_toast, roles_required
from followups.views.inbox_cards import role_label
from followups.views.presenters import case_rows
from policies.models import Staff
from renewal_desk.roles import Role

ASSIGNER_ROLES = (Role.LEAD, Role.MANAGER)
PAGE_SIZE = 50
DAYS = UnassignedFilterForm.DAYS


def assignable_staff(branch_id: int):
    """Specialists and callback staff of the branch who are still here, with how many open cases each holds."""
    return (
        Staff.objects.filter(branch_id=branch_id, active=True, user__groups__name__in=[Role.SPECIALIST, Role.CALLBACK])
        .distinct()
        .annotate(open_cases=Count("assigned_cases", filter=~Q(assigned_cases__state__in=CLOSED_STATES), distinct=True))
        .prefetch_related("user__groups")
        .order_by("employee_no")
    )


def _selector_filters(filters: dict) -> dict:
    days = filters.get("days")
    return {
        "category": filters.get("category"),
        "insurer": filters.get("insurer"),
        "days_to_t": int(days) if days and str(days).isdigit() else None,
        "handoff_overdue": filters.get("handoff_overdue"),
        "q": filters.get("q"),
    }


def _unassigned_context(request: HttpRequest, staff: Staff, params) -> dict:
    form = UnassignedFilterForm(params)
    filters = form.filters()
    today = timezone.localdate()
    cases = selectors.unassigned_cases(branch=staff.branch, filters=_selector_filters(filters), day=today)
    page = Paginator(cases, PAGE_SIZE).get_page(params.get("page"))
    people = list(assignable_staff(staff.branch_id))
    return {
        "staff": staff,
        "form": form,
        "filters": filters,
        "page": page,
        "page_query": query_without_page(request),
        "rows": case_rows(list(page.object_list), day=today),
        "people": [{"staff": person, "role": role_label(person)} for person in people],
        "days_choices": DAYS,
        "category_choices": [c for c in form.fields["category"].choices if c[0] != ""],
        "insurer_names": sorted(
            name
            for name in selectors.unassigned_cases(branch=staff.branch, day=today)
            .order_by()
            .values_list("previous_insurer", flat=True)
            .distinct()
            if name
        ),
        "filter_items": [
            (name, value) for name, value in params.items() if name not in ("page", "csrfmiddlewaretoken")
        ],
    }


@require_GET
@roles_required(*ASSIGNER_ROLES)
def unassigned(request: HttpRequest) -> HttpResponse:
    staff = desk_staff(request)
    context = _unassigned_context(request, staff, request.GET)
    if request.htmx and request.htmx.target == "unassigned-list":
        return render(request, "followups/_unassigned_list.html", context)
    return render(request, "followups/unassigned.html", context)


@require_POST
@roles_required(*ASSIGNER_ROLES)
def assign(request: HttpRequest) -> HttpResponse:
    staff = desk_staff(request)
    people = assignable_staff(staff.branch_id)
    form = AssignForm(request.POST, assignees=Staff.objects.filter(pk__in=people.values("pk")))
    # The list keeps the filters it was showing (they travel as hidden fields named f_<filter>).
    params = request.POST.copy()
    filter_params = type(params)(mutable=True)
    for name, value in params.items():
        if name.startswith("f_"):
            filter_params[name[2:]] = value
    if not form.is_valid():
        context = _unassigned_context(request, staff, filter_params)
        message = " ".join(message for messages in form.errors.values() for message in messages)
        return render_toast(
            request, "followups/_unassigned_list.html", {**context, "error": message}, message, error=True
        )
    if form.cleaned_data["select_all"]:
        form_filters = UnassignedFilterForm(filter_params).filters()
        case_ids = list(
            selectors.unassigned_cases(branch=staff.branch, filters=_selector_filters(form_filters)).values_list(
                "pk", flat=True
            )
        )
    else:
        case_ids = form.cleaned_data["case_ids"]
    assignee = form.cleaned_data["assignee"]
    try:
        changed = assign_cases(case_ids=case_ids, assignee=assignee, by=staff)
    except DeskError as error:
        context = _unassigned_context(request, staff, filter_params)
        return render_toast(
            request, "followups/_unassigned_list.html", {**context, "error": error.message}, error.message, error=True
        )
    context = _unassigned_context(request, staff, filter_params)
    role = role_label(assignee)
    message = f"已分配 {changed} 件给 {assignee.name}{f'（{role}）' if role else ''}。"
    if changed < len(case_ids):
        message += f"另有 {len(case_ids) - changed} 件已结案或已在其名下，未变动。"
    return render_toast(request, "followups/_unassigned_list.html", context, message)


def _reassign_context(staff: Staff, form: ReassignForm | None = None) -> dict:
    holders = (
        Staff.objects.filter(branch_id=staff.branch_id)
        .annotate(open_cases=Count("assigned_cases", filter=~Q(assigned_cases__state__in=CLOSED_STATES)))
        .filter(open_cases__gt=0)
        .prefetch_related("user__groups")
        .order_by("active", "employee_no")
    )
    people = assignable_staff(staff.branch_id)
    if form is None:
        form = ReassignForm(leavers=holders, assignees=people)
    return {
        "staff": staff,
        "form": form,
        "holders": [{"staff": person, "role": role_label(person)} for person in holders],
        "people": [{"staff": person, "role": role_label(person)} for person in people],
    }


@require_http_methods(["GET", "POST"])
@roles_required(*ASSIGNER_ROLES)
def reassign(request: HttpRequest) -> HttpResponse:
    staff = desk_staff(request)
    if request.method == "GET":
        return render(request, "followups/reassign.html", _reassign_context(staff))
    leavers = Staff.objects.filter(branch_id=staff.branch_id)
    form = ReassignForm(request.POST, leavers=leavers, assignees=Staff.objects.filter(branch_id=staff.branch_id))
    if not form.is_valid():
        message = " ".join(message for messages in form.errors.values() for message in messages)
        context = {**_reassign_context(staff, form), "error": message}
        return render_toast(request, "followups/_reassign_panel.html", context, message, error=True)
    leaver, to = form.cleaned_data["staff"], form.cleaned_data["to"]
    try:
        moved = reassign_departed(staff=leaver, to=to, by=staff)
    except DeskError as error:
        context = {**_reassign_context(staff, form), "error": error.message}
        return render_toast(request, "followups/_reassign_panel.html", context, error.message, error=True)
    message = f"已将 {leaver.name} 的 {moved} 件未结案件转交给 {to.name}，原跟进记录保留。"
    return render_toast(request, "followups/_reassign_panel.html", _reassign_context(staff), message)


@require_GET
@roles_required(*ASSIGNER_ROLES)
def expiry_unknown(request: HttpRequest) -> HttpResponse:
    staff = desk_staff(request)
    rows = selectors.expiry_unknown(staff.branch)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"staff": staff, "page": page, "page_query": query_without_page(request)}
    return render(request, "followups/expiry_unknown.html", context)
