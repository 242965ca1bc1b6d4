"""今日跟进: the specialist's list and the inline case drawer (contact log · history · quote · outcomes)."""

from __future__ import annotations

from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from followups import selectors
from followups.access import case_for_user
from followups.forms import ContactForm, LossForm, PreviewQuoteForm, QuoteForm, RenewalForm, TodayFilterForm
from followups.models import Case, CaseState, ContactResult, FailureReason, QuoteStatus
from followups.models.cases import EXCLUSION_REASONS
from followups.selectors.today import URGENCY_CALLBACK, with_list_columns
from followups.services import (
    DeskError,
    accept_quote,
    checkpoint_preview,
    create_quote,
    log_contact,
    propose_loss,
    record_renewal,
)
from followups.views.common import desk_staff, query_without_page, render_toast, roles_required
from followups.views.history import case_history
from followups.views.presenters import (
    DISCOUNT_PICKS,
    CaseRow,
    case_rows,
    latest_quote,
    percent,
    quick_dates,
    quote_view,
    weekday,
)
from policies.models import Insurer
from renewal_desk.access import roles_of
from renewal_desk.roles import Role

PAGE_SIZE = 50
RESULT_LABELS = dict(ContactResult.choices)


# ── the list ──────────────────────────────────────────────────────────────────────────────────────────


TAB_FILTERS = {
    "all": Q(),
    "new": Q(last_contact_at__isnull=True),
    "following": Q(state=CaseState.FOLLOWING),
    "quoted": Q(state=CaseState.QUOTED),
    "pending": Q(last_quote_status=QuoteStatus.PENDING),
    "lapsed": Q(state=CaseState.LAPSED_FOLLOW),
}


def _list_filters(filters: dict) -> dict:
    """The filter form's values in the selector's words."""
    days = filters.get("days")
    return {
        "category": filters.get("category"),
        "insurer": filters.get("insurer"),
        "days_to_t": int(days) if days and days.isdigit() else None,
        "q": filters.get("q"),
    }


@require_GET
@roles_required(Role.SPECIALIST, Role.CALLBACK)
def today(request: HttpRequest) -> HttpResponse:
    staff = desk_staff(request)
    day = timezone.localdate()
    filter_form = TodayFilterForm(request.GET)
    filters = filter_form.filters()
    all_cases = selectors.today_cases(staff=staff, day=day)
    cases = selectors.today_cases(staff=staff, filters=_list_filters(filters), day=day)
    if filters.get("days") == "overdue":
        cases = cases.filter(t_date__lt=day)
    if filters.get("due_today"):
        cases = cases.filter(urgency__lte=URGENCY_CALLBACK)
    cases = cases.filter(TAB_FILTERS[filters["tab"]])
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = all_cases.aggregate(**{tab: Count("pk", filter=condition) for tab, condition in TAB_FILTERS.items()})
    context = {
        "today": day,
        "weekday": weekday(day),
        "staff": staff,
        "filter_form": filter_form,
        "filters": filters,
        "rows": case_rows(list(page.object_list), day=day),
        "page": page,
        "page_query": query_without_page(request),
        "filtered": any(filters.get(name) for name in ("category", "insurer", "days", "due_today", "q"))
        or filters["tab"] != "all",
        "tabs": [
            {"value": value, "label": label, "count": counts[value], "active": filters["tab"] == value}
            for value, label in TodayFilterForm.TABS
        ],
    }
    if request.htmx and request.htmx.target == "today-list":
        return render(request, "followups/_today_list.html", {**context, "oob_tabs": True})
    summary = selectors.today_summary(staff, day)
    context["summary"] = summary
    context["month_rate"] = (
        percent(Decimal(summary.month_renewed) / summary.month_renewable) if summary.month_renewable else ""
    )
    context["insurer_names"] = sorted(
        name for name in all_cases.order_by().values_list("previous_insurer", flat=True).distinct() if name
    )
    return render(request, "followups/today.html", context)


# ── the drawer ────────────────────────────────────────────────────────────────────────────────────────


def _row(case: Case) -> CaseRow:
    """One row, with the same list columns the list has (so the swapped row looks the same)."""
    listed = with_list_columns(Case.objects.filter(pk=case.pk)).first()
    return case_rows([listed or case], day=timezone.localdate())[0]


def _quote_initial(case: Case) -> dict:
    """Start from the latest quote, else last year's premiums and insurer."""
    quote = latest_quote(case)
    if quote is not None:
        return {
            "insurer": quote.insurer_id,
            "premium_compulsory": quote.premium_compulsory,
            "premium_commercial": quote.premium_commercial,
            "coverages": list(quote.coverages),
            "discount_pct": (quote.discount_rate * 100).quantize(Decimal("0.1")),
            "ncd": quote.ncd,
            "vehicle_tax": quote.vehicle_tax,
            "reason": quote.reason if quote.status == QuoteStatus.REJECTED else "",
        }
    initial: dict = {"discount_pct": Decimal("0"), "coverages": []}
    term = case.expiring_term
    if term is not None:
        initial["premium_compulsory"] = term.premium_compulsory
        initial["premium_commercial"] = term.premium_commercial
        if term.full_cover:
            initial["coverages"] = ["车损险", "三者险(100万)"]
    insurer = Insurer.objects.filter(name=case.previous_insurer).first() if case.previous_insurer else None
    if insurer is not None:
        initial["insurer"] = insurer.pk
    return initial


def _quote_view_for_form(request: HttpRequest, case: Case, form) -> object:
    staff = desk_staff(request)
    if form.is_bound:
        form.is_valid()
        data = form.cleaned_data
        values = {
            "commercial": data.get("premium_commercial"),
            "compulsory": data.get("premium_compulsory"),
            "vehicle_tax": data.get("vehicle_tax"),
            "pct": data.get("discount_pct"),
            "coverages": data.get("coverages") or [],
        }
    else:
        initial = form.initial
        values = {
            "commercial": initial.get("premium_commercial"),
            "compulsory": initial.get("premium_compulsory"),
            "vehicle_tax": initial.get("vehicle_tax"),
            "pct": initial.get("discount_pct"),
            "coverages": initial.get("coverages") or [],
        }
    view = quote_view(staff=staff, roles=roles_of(request.user), branch=case.branch, **values)
    if form.is_bound and form.errors.get("discount_pct"):
        view.note = " ".join(form.errors["discount_pct"])
        view.refused = True
        view.button_label = "请先改正让利"
    return view


def drawer_context(request: HttpRequest, case: Case, **overrides) -> dict:
    day = timezone.localdate()
    quote = latest_quote(case)
    quote_form = overrides.pop("quote_form", None) or QuoteForm(initial=_quote_initial(case))
    context = {
        "row": _row(case),
        "today": day,
        "contact_form": ContactForm(initial={"next_time": "10:00"}),
        "checkpoint": _checkpoint_label(case),
        "quick_dates": quick_dates(case, day),
        "history": case_history(case),
        "quote_form": quote_form,
        "quote_view": _quote_view_for_form(request, case, quote_form),
        "discount_picks": DISCOUNT_PICKS,
        "latest_quote": quote,
        "latest_quote_pct": percent(quote.discount_rate) if quote else "",
    }
    context.update(overrides)
    return context


def _checkpoint_label(case: Case) -> str:
    checkpoint = checkpoint_preview(case=case, at=timezone.now())
    return f"T−{checkpoint}" if checkpoint else ""


@require_GET
def case_drawer(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_for_user(request.user, case_id)
    desk_staff(request)
    return render(request, "followups/_drawer_open.html", drawer_context(request, case))


@require_GET
def case_row(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_for_user(request.user, case_id)
    return render(request, "followups/_drawer_closed.html", {"row": _row(case)})


@require_POST
def contact_create(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_for_user(request.user, case_id)
    staff = desk_staff(request)
    form = ContactForm(request.POST)
    context = drawer_context(request, case, contact_form=form)
    if not form.is_valid():
        return render_toast(request, "followups/_contact_pane.html", context, "联系未保存：请按提示改正。", error=True)
    try:
        contact = log_contact(
            case=case,
            staff=staff,
            result=form.cleaned_data["result"],
            next_contact_at=form.next_contact_at,
            note=form.cleaned_data["note"],
        )
    except DeskError as error:
        form.add_error(None, error.message)
        return render_toast(request, "followups/_contact_pane.html", context, error.message, error=True)
    case = case_for_user(request.user, case_id)
    context = drawer_context(request, case, oob_row=True, oob_history=True)
    plate = case.vehicle.plate or case.vehicle.vin
    message = f"已记录 {plate} {RESULT_LABELS[contact.result]}"
    if contact.effective:
        message += f"，计为 T−{contact.checkpoint} 检查点的有效联系"
    if contact.next_contact_at:
        message += f"；下次联系 {timezone.localtime(contact.next_contact_at):%m-%d %H:%M}"
    return render_toast(request, "followups/_contact_saved.html", context, message + "。")


@require_POST
def quote_preview(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_for_user(request.user, case_id)
    form = PreviewQuoteForm(request.POST)
    context = {"row": _row(case), "quote_view": _quote_view_for_form(request, case, form), "oob_live": True}
    return render(request, "followups/_quote_live.html", context)


@require_POST
def quote_create(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_for_user(request.user, case_id)
    staff = desk_staff(request)
    form = QuoteForm(request.POST)
    if not form.is_valid():
        context = drawer_context(request, case, quote_form=form)
        return render_toast(request, "followups/_quote_pane.html", context, "报价未保存：请按提示改正。", error=True)
    data = form.cleaned_data
    try:
        quote = create_quote(
            case=case,
            staff=staff,
            insurer=data["insurer"],
            premium_compulsory=data.get("premium_compulsory") or Decimal("0.00"),
            premium_commercial=data["premium_commercial"],
            discount_rate=form.discount_rate,
            coverages=data.get("coverages") or (),
            ncd=data.get("ncd"),
            vehicle_tax=data.get("vehicle_tax") or Decimal("0.00"),
            rescue_card=data.get("rescue_card") or False,
            reason=data.get("reason") or "",
        )
    except DeskError as error:
        context = drawer_context(request, case, quote_form=form, quote_error=error.message)
        return render_toast(request, "followups/_quote_pane.html", context, error.message, error=True)
    case = case_for_user(request.user, case_id)
    context = drawer_context(request, case, oob_row=True, oob_history=True)
    plate = case.vehicle.plate or case.vehicle.vin
    if quote.status == QuoteStatus.PENDING:
        who = context["quote_view"].approver_name
        level = "总经理" if quote.level == "gm" else "经理"
        message = f"已提交{level}审批：{plate} 让利 {percent(quote.discount_rate)}" + (
            f"，等待 {who} 批准" if who else ""
        )
        message += "；批准前报价不生效。"
    else:
        message = (
            f"已保存报价：{plate} {quote.insurer.name} 让利 {percent(quote.discount_rate)}，"
            f"保费合计 {quote.total_after_discount:,.2f} 元。"
        )
    return render_toast(request, "followups/_quote_saved.html", context, message)


@require_POST
def quote_accept(request: HttpRequest, case_id: int, quote_id: int) -> HttpResponse:
    """The customer took this quote: it is the one the 战报表's discount mix counts."""
    case = case_for_user(request.user, case_id)
    staff = desk_staff(request)
    quote = get_object_or_404(case.quotes, pk=quote_id)
    try:
        quote = accept_quote(quote=quote, by=staff)
    except DeskError as error:
        context = drawer_context(request, case, quote_error=error.message)
        return render_toast(request, "followups/_quote_pane.html", context, error.message, error=True)
    context = drawer_context(request, case, oob_row=True, oob_history=True)
    message = (
        f"已记录客户接受报价：{case.vehicle.plate or case.vehicle.vin} 让利 {percent(quote.discount_rate)}，"
        f"保费合计 {quote.total_after_discount:,.2f} 元。"
    )
    return render_toast(request, "followups/_quote_saved.html", context, message)


# ── outcomes ──────────────────────────────────────────────────────────────────────────────────────────


@require_GET
def renewal_form(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_for_user(request.user, case_id)
    form = RenewalForm(case=case, initial={"channel": "store", "lead": case.branch and None})
    return render(request, "followups/_renewal_form.html", {"row": _row(case), "form": form})


@require_POST
def renewal_create(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_for_user(request.user, case_id)
    staff = desk_staff(request)
    form = RenewalForm(request.POST, case=case)
    context = {"row": _row(case), "form": form}
    if not form.is_valid():
        return render_toast(request, "followups/_renewal_form.html", context, "续回未登记：请按提示改正。", error=True)
    data = form.cleaned_data
    try:
        case = record_renewal(
            case=case,
            by=staff,
            channel=data["channel"],
            callback=data.get("callback"),
            seller=data.get("seller"),
            lead=data.get("lead"),
            term=data.get("term"),
            policies=form.new_policies() or None,
        )
    except DeskError as error:
        return render_toast(
            request, "followups/_renewal_form.html", {**context, "form_error": error.message}, error.message, error=True
        )
    plate = case.vehicle.plate or case.vehicle.vin
    term = case.renewal_term
    message = f"已登记续回：{plate}（{case.get_renewal_channel_display()}）"
    if term is not None:
        message += f"，新保险期 {term.start_on:%Y-%m-%d} 起，保费 {term.premium_total:,.2f} 元"
    return render_toast(request, "followups/_case_removed.html", {"case_id": case.pk}, message + "；已移出今日跟进。")


@require_GET
def loss_form(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_for_user(request.user, case_id)
    return render(request, "followups/_loss_form.html", {"row": _row(case), "form": LossForm()})


@require_POST
def loss_create(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_for_user(request.user, case_id)
    staff = desk_staff(request)
    form = LossForm(request.POST)
    context = {"row": _row(case), "form": form}
    if not form.is_valid():
        return render_toast(request, "followups/_loss_form.html", context, "未提交：请按提示改正。", error=True)
    reason = form.cleaned_data["reason"]
    try:
        case = propose_loss(case=case, by=staff, reason=reason, reason_text=form.cleaned_data["reason_text"])
    except DeskError as error:
        return render_toast(
            request, "followups/_loss_form.html", {**context, "form_error": error.message}, error.message, error=True
        )
    kind = "不可续" if reason in EXCLUSION_REASONS else "战败"
    plate = case.vehicle.plate or case.vehicle.vin
    message = f"已提交{kind}：{plate}（{FailureReason(reason).label.rstrip('*')}），等待经理或续保负责人审核。"
    return render_toast(request, "followups/_case_removed.html", {"case_id": case.pk}, message)
