"""The register and 日报/周报 pages, and on-demand builds (queued, polled with htmx, downloaded when done)."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from renewal_desk.access import staff_of
from renewal_desk.months import month_end, parse_month
from reports.access import (
    activity_scope,
    branch_choice,
    build_for_user,
    may_download_full_phones,
    report_branches,
    require_monthly_reports,
    sees_division,
)
from reports.builds import request_build
from reports.models import ReportKind
from reports.periods import format_cut_off, iso_week_label, parse_iso_week
from reports.selectors.activity import activity_report
from reports.selectors.figures import REASON_LABELS
from reports.selectors.listings import register_queryset, staff_names
from reports.services import reports_dir
from reports.views import month_from, recent_months
from reports.workbooks.listings import REGISTER_COLUMNS, register_values

logger = logging.getLogger("reports.register")
PAGE_ROWS = 100


def register(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_monthly_reports(user)
    month = month_from(request)
    branch = branch_choice(user, request.GET.get("branch"))
    ids = [branch.pk] if branch else list(report_branches(user).values_list("pk", flat=True))
    now = timezone.now()
    names = staff_names()
    records = register_queryset(month=month, cut_off=now, branch_ids=ids)
    page = Paginator(records, PAGE_ROWS).get_page(request.GET.get("page"))
    rows = [[_cell(v) for v in register_values(record, names, full_phones=False)] for record in page.object_list]
    context = {
        "month": month, "months": recent_months(), "branch": branch, "branches": list(report_branches(user)),
        "division": sees_division(user), "columns": [column.header for column in REGISTER_COLUMNS], "rows": rows,
        "page": page, "count": page.paginator.count, "cut_off_text": format_cut_off(now),
        "full_phones_allowed": may_download_full_phones(user, branch),
    }  # fmt: skip
    return render(request, "reports/register.html", context)


def _cell(value) -> tuple[str, bool]:
    """(text, is_number) for one register cell on screen; phones are already masked."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("是" if value else "否"), False
    if isinstance(value, Decimal):
        return f"{value:,.2f}", True
    if isinstance(value, date):
        return value.isoformat(), False
    return str(value), False


def _activity_page(request: HttpRequest, *, kind: str, first_day: date, last_day: date, period_text: str, extra):
    branch, staff_id = activity_scope(request.user, request.GET.get("branch"))
    ids = [branch.pk] if branch else list(report_branches(request.user).values_list("pk", flat=True))
    report = activity_report(first_day=first_day, last_day=last_day, branch_ids=ids, staff_id=staff_id)
    reasons = report.reasons
    context = {
        "kind": kind, "title": ReportKind(kind).label, "report": report, "reasons": reasons,
        "reason_labels": [REASON_LABELS[r] for r in reasons], "branch": branch,
        "branches": [] if staff_id else list(report_branches(request.user)), "division": sees_division(request.user),
        "own_only": staff_id is not None, "period_text": period_text, "cut_off_text": format_cut_off(report.cut_off),
        "rows": [(row, [row.lost_by_reason.get(r, 0) for r in reasons]) for row in report.rows],
        "totals": (report.totals, [report.totals.lost_by_reason.get(r, 0) for r in reasons]), **extra,
    }  # fmt: skip
    return render(request, "reports/activity.html", context)


def daily(request: HttpRequest) -> HttpResponse:
    try:
        day = date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    extra = {"day": day, "previous": day - timedelta(days=1), "next": day + timedelta(days=1)}
    return _activity_page(request, kind=ReportKind.DAILY, first_day=day, last_day=day,
                          period_text=f"{day:%Y-%m-%d}", extra=extra)  # fmt: skip


def weekly(request: HttpRequest) -> HttpResponse:
    try:
        monday, sunday = parse_iso_week(request.GET.get("week", ""))
    except ValueError:
        monday, sunday = parse_iso_week(iso_week_label(timezone.localdate()))
    extra = {
        "week": iso_week_label(monday),
        "previous": iso_week_label(monday - timedelta(days=7)),
        "next": iso_week_label(monday + timedelta(days=7)),
    }
    period_text = f"{iso_week_label(monday)}（{monday:%m-%d} 至 {sunday:%m-%d}）"
    return _activity_page(
        request, kind=ReportKind.WEEKLY, first_day=monday, last_day=sunday, period_text=period_text, extra=extra
    )


def _period(kind: str, data) -> tuple[date, date]:
    if kind == ReportKind.DAILY:
        day = date.fromisoformat(data.get("day", ""))
        return day, day
    if kind == ReportKind.WEEKLY:
        return parse_iso_week(data.get("week", ""))
    month = parse_month(data.get("month", ""))
    return month, month_end(month)


@require_POST
def build(request: HttpRequest) -> HttpResponse:
    user, data = request.user, request.POST
    kind = data.get("kind", "")
    if kind not in ReportKind.values:
        raise Http404("未知的报表类型。")
    try:
        first_day, last_day = _period(kind, data)
    except (ValueError, TypeError):
        return HttpResponse("请选择正确的月份、日期或周。", status=400)
    staff_only = None
    if kind in (ReportKind.DAILY, ReportKind.WEEKLY):
        branch, staff_id = activity_scope(user, data.get("branch"))
        staff_only = staff_of(user) if staff_id else None
    else:
        require_monthly_reports(user)
        branch = branch_choice(user, data.get("branch"))
    full_phones = kind == ReportKind.REGISTER and data.get("full_phones") == "1"
    if full_phones and not may_download_full_phones(user, branch):
        raise PermissionDenied("只有本门店的续保负责人或保险经理可以下载含完整电话的登记表。")
    job = request_build(user=user, kind=kind, branch=branch, period_start=first_day, period_end=last_day,
                        full_phones=full_phones, staff_only=staff_only)  # fmt: skip
    if request.htmx:
        job.refresh_from_db()
        return render(request, "reports/_build_status.html", {"build": job})
    return redirect("reports:index")


def build_status(request: HttpRequest, build_id: int) -> HttpResponse:
    return render(request, "reports/_build_status.html", {"build": build_for_user(request.user, build_id)})


def build_download(request: HttpRequest, build_id: int) -> FileResponse:
    job = build_for_user(request.user, build_id)
    if job.report_file_id:
        relative, name = job.report_file.path, job.report_file.download_name
    elif job.path:
        scope = job.branch.code if job.branch_id else "全部门店"
        relative, name = job.path, f"{job.get_kind_display()}_{job.period_start:%Y-%m-%d}_{scope}.xlsx"
    else:
        raise Http404("文件尚未生成。")
    path = reports_dir() / relative
    if not path.exists():
        raise Http404("文件已不在服务器上，请重新生成。")
    if job.full_phones:
        logger.warning("register with full phones downloaded: build %s by user %s", job.pk, request.user.pk)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name)
