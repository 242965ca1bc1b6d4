"""我的收入: a staff member's month-to-date estimate, with the explanation of each component."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from incentives.access import acting_staff
from incentives.errors import IncentiveError
from incentives.explain import component_rows, subtotals
from incentives.models import PayoutLine
from incentives.services import compute_month
from incentives.views.common import month_param
from renewal_desk.months import add_months, month_label, month_start


@require_GET
def my_earnings(request: HttpRequest) -> HttpResponse:
    me = acting_staff(request.user)
    this_month = month_start(timezone.localdate())
    month = month_param(request.GET.get("month"), default=this_month)
    paid = (
        PayoutLine.objects.filter(staff=me, run__month=month, adjusts_month__isnull=True)
        .select_related("run__branch", "run__rule_version")
        .first()
    )
    explanation, error, source = None, "", ""
    if paid is not None and paid.run.state != "draft":
        explanation, source = paid.explanation, f"{paid.run.get_state_display()}的发放（{paid.run.branch.name}）"
    else:
        try:
            result = compute_month(branch=me.branch, month=month)
        except IncentiveError as err:
            result, error = None, err.message
        mine = next((item for item in result.lines if item.staff.pk == me.pk), None) if result else None
        if mine is not None:
            explanation = mine.explanation(month=month)
        source = "截至今天的估算（未批准，仅供参考）" if month == this_month else "按当前数据重算的估算"
    adjustments = PayoutLine.objects.filter(staff=me, run__month=month, adjusts_month__isnull=False)
    return render(
        request,
        "incentives/my_earnings_page.html",
        {
            "me": me,
            "month": month,
            "month_text": month_label(month),
            "months": [month_label(add_months(this_month, -offset)) for offset in range(0, 6)],
            "rows": component_rows(explanation) if explanation else [],
            "subtotals": subtotals(explanation) if explanation else None,
            "explanation": explanation,
            "source": source,
            "error": error,
            "adjustments": adjustments,
        },
    )
