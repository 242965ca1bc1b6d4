"""到期管理表: the branch's cases by state × assignee, overdue handoffs, checkpoint compliance and escalations —
on screen, printable, and as the day's .xlsx."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from followups import rules, selectors
from followups.exports import board_workbook
from followups.models import CaseState
from followups.models.cases import OPEN_STATES
from followups.selectors.branch import board_scope
from followups.views.common import desk_staff, roles_required
from followups.views.presenters import percent, weekday
from renewal_desk.roles import Role

BOARD_ROLES = (Role.LEAD, Role.MANAGER, Role.DEPUTY_GM, Role.GM)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The columns of the state matrix, in the order a case moves through them.
SHOWN_STATES = [
    CaseState.UNASSIGNED,
    CaseState.FOLLOWING,
    CaseState.QUOTED,
    CaseState.LAPSED_FOLLOW,
    CaseState.LOST_PENDING,
    CaseState.EXCLUSION_PENDING,
    CaseState.RENEWED,
    CaseState.LOST,
    CaseState.EXCLUDED,
]


def _board_day(request: HttpRequest) -> date:
    raw = request.GET.get("day", "")
    try:
        return date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _compliance_rows(board) -> list[dict]:
    rows = []
    for line in board.compliance:
        cells = []
        for checkpoint in rules.CHECKPOINTS:
            rate = line.rate(checkpoint)
            cells.append(
                {
                    "due": line.due[checkpoint],
                    "done": line.done[checkpoint],
                    "rate": percent(rate, 0) if rate is not None else "—",
                    "bad": rate is not None and rate < 0.8,
                }
            )
        rows.append({"assignee": line.assignee, "cells": cells})
    rows.sort(key=lambda row: row["assignee"].employee_no if row["assignee"] else "")
    return rows


@require_GET
@roles_required(*BOARD_ROLES)
def board(request: HttpRequest) -> HttpResponse:
    staff = desk_staff(request)
    day = _board_day(request)
    data = selectors.board(branch=staff.branch, day=day)
    labels = dict(CaseState.choices)
    context = {
        "staff": staff,
        "board": data,
        "day": day,
        "weekday": weekday(day),
        "states": [(state, labels[state]) for state in SHOWN_STATES],
        "matrix": [
            {"assignee": row.assignee, "counts": [row.counts[state] for state in SHOWN_STATES], "total": row.total}
            for row in data.rows
        ],
        "totals": [data.totals[state] for state in SHOWN_STATES],
        "grand_total": sum(data.totals.values()),
        "compliance": _compliance_rows(data),
        "checkpoints": rules.CHECKPOINTS,
        "now": timezone.localtime(),
    }
    return render(request, "followups/board.html", context)


@require_GET
@roles_required(*BOARD_ROLES)
def board_export(request: HttpRequest) -> HttpResponse:
    staff = desk_staff(request)
    day = _board_day(request)
    data = selectors.board(branch=staff.branch, day=day)
    # The sheet lists every overdue / escalated case (the page shows the first ones only).
    open_cases = (
        board_scope(staff.branch, day)
        .filter(state__in=OPEN_STATES)
        .select_related("vehicle", "customer", "assignee")
        .order_by("t_date", "pk")
    )
    content = board_workbook(
        data,
        branch_name=staff.branch.name,
        cut_off=timezone.localtime(),
        handoff_overdue=open_cases.filter(handoff_overdue=True).iterator(chunk_size=500),
        escalated=open_cases.filter(escalated_on__isnull=False).iterator(chunk_size=500),
    )
    response = HttpResponse(content, content_type=XLSX)
    filename = f"到期管理表-{staff.branch.code}-{day:%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
