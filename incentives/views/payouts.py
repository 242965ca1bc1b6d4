"""提成发放 (ui/3-payout.png): branch + month, status steps, the sheet with inline explanations, the actions."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from incentives.access import (
    PAYOUT_PREPARERS,
    PAYOUT_VIEWERS,
    acting_staff,
    branch_for_user,
    line_for_user,
    may,
    run_for_user,
)
from incentives.errors import IncentiveError
from incentives.explain import component_rows, subtotals
from incentives.exports import all_branches_sheet_bytes, branch_sheet_bytes
from incentives.models import PayoutRun
from incentives.rules import format_money
from incentives.selectors import (
    COUNT_HEADERS,
    MONEY_HEADERS,
    branch_statuses,
    run_for,
    run_lines,
    sheet_row,
    sheet_totals,
)
from incentives.services import approve_payout, compute_payout, lock_payout
from incentives.views.common import month_param, with_toast
from renewal_desk.access import require_role, sees_all_branches, visible_branches
from renewal_desk.months import add_months, month_label
from renewal_desk.roles import Role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_GET
def payouts(request: HttpRequest) -> HttpResponse:
    require_role(request.user, *PAYOUT_VIEWERS)
    branch = branch_for_user(request.user, request.GET.get("branch"))
    month = month_param(request.GET.get("month"))
    context = _run_context(request, branch, month)
    context.update(
        branches=visible_branches(request.user).order_by("code"),
        statuses=branch_statuses(month, visible_branches(request.user)),
        all_branches=sees_all_branches(request.user),
    )
    return render(request, "incentives/payouts_page.html", context)


@require_POST
def payout_compute(request: HttpRequest) -> HttpResponse:
    require_role(request.user, *PAYOUT_PREPARERS)
    branch = branch_for_user(request.user, request.POST.get("branch"))
    month = month_param(request.POST.get("month"))
    try:
        run = compute_payout(branch=branch, month=month, by=acting_staff(request.user))
    except IncentiveError as error:
        return with_toast(_render_run(request, branch, month, error=error.message), error.message)
    return with_toast(
        _render_run(request, branch, month), f"已重新计算 {branch.name} {month_label(month)}：{run.line_count} 行"
    )


@require_POST
def payout_approve(request: HttpRequest, run_id: int) -> HttpResponse:
    return _act(request, run_id, approve_payout, "已批准 {name} {month}")


@require_POST
def payout_lock(request: HttpRequest, run_id: int) -> HttpResponse:
    return _act(request, run_id, lock_payout, "已锁定 {name} {month}：该月不再改变")


def _act(request, run_id: int, service, success: str) -> HttpResponse:
    require_role(request.user, *PAYOUT_VIEWERS)
    run = run_for_user(request.user, run_id)
    try:
        service(run=run, by=acting_staff(request.user))
    except IncentiveError as error:
        return with_toast(_render_run(request, run.branch, run.month, error=error.message), error.message)
    return with_toast(
        _render_run(request, run.branch, run.month),
        success.format(name=run.branch.name, month=month_label(run.month)),
    )


@require_GET
def payout_line(request: HttpRequest, line_id: int) -> HttpResponse:
    require_role(request.user, *PAYOUT_VIEWERS)
    line = line_for_user(request.user, line_id)
    if request.GET.get("close"):
        return render(request, "incentives/_payout_line_closed.html", {"line": line})
    version = line.run.rule_version
    return render(
        request,
        "incentives/_payout_line_explained.html",
        {
            "line": line,
            "rows": component_rows(line.explanation),
            "subtotals": subtotals(line.explanation),
            "explanation": line.explanation,
            "version": version if version.label == line.rule_version_label else None,
            "run": line.run,
        },
    )


@require_GET
def payout_sheet(request: HttpRequest, run_id: int) -> HttpResponse:
    require_role(request.user, *PAYOUT_VIEWERS)
    run = run_for_user(request.user, run_id)
    return _download(branch_sheet_bytes(run), f"提成发放表_{run.branch.code}_{month_label(run.month)}.xlsx")


@require_GET
def payout_sheet_all(request: HttpRequest, month: str) -> HttpResponse:
    require_role(request.user, Role.FINANCE, Role.DIVISION)
    chosen = month_param(month)
    return _download(all_branches_sheet_bytes(chosen), f"提成发放表_全部门店_{month_label(chosen)}.xlsx")


def _download(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _render_run(request, branch, month, *, error: str = "") -> HttpResponse:
    return render(request, "incentives/_payout_run.html", _run_context(request, branch, month, error=error))


def _run_context(request, branch, month, *, error: str = "") -> dict:
    run = run_for(branch, month)
    me = acting_staff(request.user)
    lines = run_lines(run) if run else []
    rows = [(line, sheet_row(line)) for line in lines]
    table = [{"line": line, "cells": _cells(row)} for line, row in rows]
    previous = run_for(branch, add_months(month, -1))
    approve_reason = ""
    if run is not None:
        if not may(request.user, Role.FINANCE):
            approve_reason = "只有财务可以批准"
        elif run.state != PayoutRun.State.DRAFT:
            approve_reason = "已批准" if run.state == PayoutRun.State.APPROVED else "已锁定"
        elif run.prepared_by_id == me.pk:
            approve_reason = "本次由您计算，须由另一位财务批准"
    lock_reason = ""
    if run is not None:
        if not may(request.user, Role.FINANCE):
            lock_reason = "只有财务可以锁定"
        elif run.state == PayoutRun.State.DRAFT:
            lock_reason = "批准后才能锁定"
        elif run.state == PayoutRun.State.LOCKED:
            lock_reason = "已锁定"
    return {
        "branch": branch,
        "month": month,
        "month_text": month_label(month),
        "run": run,
        "table": table,
        "total_cells": _cells(sheet_totals([row for _, row in rows])) if rows else [],
        "previous": previous,
        "adjustment_count": sum(1 for line in lines if line.is_adjustment),
        "can_compute": may(request.user, *PAYOUT_PREPARERS) and (run is None or run.state != PayoutRun.State.LOCKED),
        "approve_reason": approve_reason,
        "lock_reason": lock_reason,
        "viewer": me,
        "error": error,
        "headers": [*COUNT_HEADERS, *MONEY_HEADERS],
    }


def _cells(row: dict) -> list[dict]:
    """Right-aligned numbers: zero in grey, 扣款 in red, 合计 in bold (ui/3-payout.png)."""
    cells = []
    for header in (*COUNT_HEADERS, *MONEY_HEADERS):
        value = row[header]
        text = str(value) if header in COUNT_HEADERS else format_money(value)
        classes = ["num"]
        if not value:
            classes.append("zero")
        elif header == "扣款":
            classes.append("num-red")
        if header == "合计":
            classes.append("total")
        cells.append({"text": text, "cls": " ".join(classes), "header": header})
    return cells
