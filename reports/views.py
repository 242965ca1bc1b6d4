"""The reports page (stored files and builds) and the KPI dashboard. Thin: parse → selectors → render."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from renewal_desk.access import staff_of
from renewal_desk.months import add_months, month_label, month_start, parse_month
from reports import charts
from reports.access import (
    branch_choice,
    file_for_user,
    files_for,
    may_download_full_phones,
    report_branches,
    require_monthly_reports,
    sees_division,
    sees_monthly_reports,
)
from reports.models import ReportBuild, ReportFile, ReportKind, ReportNotice
from reports.periods import format_cut_off, iso_week_label, previous_full_month
from reports.rates import format_points, format_rate
from reports.selectors.monthly import CohortReader, build_month_report
from reports.selectors.monthly import report_branches as branch_rows
from reports.selectors.outlook import FULL_COVER_TARGET, renewal_trend, upcoming_expiries
from reports.services import reports_dir

BASES = {"due": "按应续", "renewable": "按可续"}


def month_from(request: HttpRequest, default: date | None = None) -> date:
    text = request.GET.get("month", "")
    try:
        return parse_month(text) if text else (default or previous_full_month())
    except (ValueError, TypeError):
        return default or previous_full_month()


def recent_months(count: int = 18) -> list[date]:
    current = month_start(timezone.localdate())
    return [add_months(current, -offset) for offset in range(count)]


def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    monthly = sees_monthly_reports(user)
    files = files_for(user) if monthly else ReportFile.objects.none()
    by_month: OrderedDict[date, list[ReportFile]] = OrderedDict()
    for report_file in files.order_by("-month", "branch__code", "kind")[:400]:
        by_month.setdefault(report_file.month, []).append(report_file)
    notices = list(ReportNotice.objects.filter(recipient=user, read_at__isnull=True)[:5])
    if notices:
        ReportNotice.objects.filter(pk__in=[n.pk for n in notices]).update(read_at=timezone.now())
    builds = ReportBuild.objects.filter(requested_by=user).select_related("branch", "report_file")[:8]
    branches = list(report_branches(user)) if monthly else []
    context = {
        "monthly": monthly,
        "division": sees_division(user),
        "by_month": by_month,
        "notices": notices,
        "builds": builds,
        "branches": branches,
        "months": recent_months(),
        "default_month": previous_full_month(),
        "kinds": [
            (ReportKind.BATTLE, "战报表"),
            (ReportKind.REGISTER, "续保客户登记表"),
            (ReportKind.BOARD, "到期管理表"),
        ],
        "full_phones_branches": [b.code for b in branches if may_download_full_phones(user, b)],
        "today": timezone.localdate(),
        "this_week": iso_week_label(timezone.localdate()),
        "staff": staff_of(user),
    }
    return render(request, "reports/index.html", context)


def file_download(request: HttpRequest, file_id: int) -> FileResponse:
    report_file = file_for_user(request.user, file_id)
    path = reports_dir() / report_file.path
    if not path.exists():
        raise Http404("文件已不在服务器上，请重新生成。")
    return FileResponse(open(path, "rb"), as_attachment=True, filename=report_file.download_name)


def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_monthly_reports(user)
    month = month_from(request)
    branch = branch_choice(user, request.GET.get("branch"))
    basis = request.GET.get("basis") if request.GET.get("basis") in BASES else "due"
    now = timezone.now()
    branches = branch_rows(None if branch is None else [branch.pk])
    ids = [b.pk for b in branches]
    reader = CohortReader(month=month, cut_off=now, branch_ids=ids)
    report = build_month_report(
        month=month, cut_off=now, branches=branches, reader=reader, with_division=branch is None
    )
    trend = renewal_trend(
        month=month, reader=reader, names={b.pk: b.name for b in branches}, with_division=branch is None
    )
    expiries = upcoming_expiries(month=month, cut_off=now, branch_ids=ids)
    total = report.total
    stored = ReportFile.objects.filter(kind=ReportKind.BATTLE, month=month, branch=branch).first()
    context = {
        "month": month,
        "month_text": month_label(month),
        "months": recent_months(),
        "branch": branch,
        "branches": list(report_branches(user)),
        "division": sees_division(user),
        "basis": basis,
        "bases": BASES,
        "cut_off_text": format_cut_off(now),
        "report": report,
        "total": total,
        "tiles": kpi_tiles(total, basis),
        "trend": charts.trend_chart(trend, basis),
        "categories": charts.category_rows(total),
        "reasons": charts.reason_rows(total),
        "channels": charts.channel_rows(report.rows),
        "discounts": charts.discount_chart(total),
        "expiries": charts.expiry_chart(expiries),
        "stored": stored,
    }
    return render(request, "reports/dashboard.html", context)


def _change(current: int, previous: int, has_previous: bool, *, good_when_up: bool = True) -> dict:
    if not has_previous:
        return {"text": "较上月 —", "css": ""}
    delta = current - previous
    better = delta > 0 if good_when_up else delta < 0
    return {"text": f"较上月 {delta:+,}", "css": "" if delta == 0 else ("up" if better else "down")}


def _points(points) -> dict:
    text = format_points(points)
    if points is None or text == "0.0pt":
        return {"text": text, "css": ""}
    arrow = "↑" if points > 0 else "↓"
    return {"text": f"{arrow} {text.lstrip('+-')}", "css": "up" if points > 0 else "down"}


def kpi_tiles(total, basis: str) -> list[dict]:
    """The six tiles, each with its change on last month (counts in vehicles, rates in points)."""
    cohort, previous = total.cohort, total.previous
    has_previous = previous.due > 0
    other = "renewable" if basis == "due" else "due"
    prev_full = previous.full_cover_rate
    full_change = (
        None if prev_full is None or cohort.full_cover_rate is None else (cohort.full_cover_rate - prev_full) * 100
    )
    reasons = cohort.reasons
    price_share = format_rate(cohort.reason_share("PRICE"))
    return [
        {"label": "应续", "hint": "T 在本月", "value": f"{cohort.due:,}",
         "change": _change(cohort.due, previous.due, has_previous), "note": f"未结 {cohort.unresolved:,}",
         "key": "due"},
        {"label": "可续", "hint": f"排除 {cohort.excluded:,}", "value": f"{cohort.renewable:,}",
         "change": _change(cohort.renewable, previous.renewable, has_previous),
         "note": _exclusion_note(reasons), "key": "renewable"},
        {"label": "续回", "hint": "队列", "value": f"{cohort.renewed:,}",
         "change": _change(cohort.renewed, previous.renewed, has_previous),
         "note": f"签单月：到店 {total.sales.store:,} · 电销 {total.sales.telesales:,}", "key": "renewed"},
        {"label": "续保率", "hint": "÷ 应续" if basis == "due" else "÷ 可续", "value": format_rate(cohort.rate(basis)),
         "change": _points(total.change_points(basis)),
         "note": f"{BASES[other].removeprefix('按')}口径 {format_rate(cohort.rate(other))}", "key": "rate"},
        {"label": "全保率", "hint": "全保 ÷ 续回", "value": format_rate(cohort.full_cover_rate),
         "change": _points(full_change), "note": f"目标 {FULL_COVER_TARGET * 100}%", "key": "full"},
        {"label": "战败（已审）", "hint": "队列", "value": f"{cohort.lost:,}",
         "change": _change(cohort.lost, previous.lost, has_previous, good_when_up=False),
         "note": f"待审 {cohort.in_review:,} · 价格原因 {price_share}", "key": "lost"},
    ]  # fmt: skip


def _exclusion_note(reasons: dict[str, int]) -> str:
    parts = [("转卖", "VEHICLE_SOLD"), ("迁出", "MOVED_AWAY"), ("报废", "VEHICLE_SCRAPPED")]
    return " · ".join(f"{label} {reasons.get(code, 0):,}" for label, code in parts)
