"""The service desk (权益核销): find a vehicle, see its live entitlements, redeem, price a repair bill.

Thin views: parse → one service call → render. In-place actions answer htmx with a fragment and a toast.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from perks import rules, services
from perks.access import entitlement_for_user, require_desk, term_for_user, vehicle_for_desk
from perks.errors import PerkError
from perks.models import Entitlement, TermPerkCounter
from perks.selectors import live_entitlements, unrecovered_amount
from perks.selectors.entitlements import ledger_of
from policies.models import Vehicle
from policies.selectors import search_vehicles
from policies.validation import FieldError, parse_money
from renewal_desk.access import has_role, staff_of
from renewal_desk.roles import Role

SEARCH_LIMIT = 20


def with_toast(response: HttpResponse, message: str) -> HttpResponse:
    # ASCII-escaped JSON: header values must be Latin-1; htmx's JSON.parse restores the Chinese text.
    response["HX-Trigger"] = json.dumps({"showToast": message})
    return response


def acting_staff(request: HttpRequest):
    staff = staff_of(request.user)
    if staff is None:
        raise PerkError("没有员工档案的账号不能办理权益。")
    return staff


def desk(request: HttpRequest) -> HttpResponse:
    require_desk(request.user)
    query = request.GET.get("q", "").strip()
    results = list(search_vehicles(request.user, query)[: SEARCH_LIMIT + 1]) if query else []
    if len(results) == 1:
        return redirect("perks:vehicle", vin=results[0].vin)
    return render(
        request, "perks/desk_search.html",
        {"query": query, "results": results[:SEARCH_LIMIT], "more": len(results) > SEARCH_LIMIT},
    )  # fmt: skip


def vehicle_context(request: HttpRequest, vehicle: Vehicle) -> dict:
    today = timezone.localdate()
    entitlements = list(live_entitlements(vehicle, on=today))
    counters = {c.term_id: c for c in TermPerkCounter.objects.filter(term_id__in={e.term_id for e in entitlements})}
    rows = []
    for entitlement in entitlements:
        counter = counters.get(entitlement.term_id)
        rows.append(
            {
                "entitlement": entitlement,
                "not_yet": entitlement.valid_from > today,
                "washes_left": (counter.washes_issued - counter.washes_redeemed) if counter else 0,
                "washes_issued": counter.washes_issued if counter else 0,
            }
        )
    terms = list(vehicle.terms.select_related("branch", "owner").order_by("-start_on")[:3])
    return {
        "vehicle": vehicle,
        "owner": vehicle.owner,
        "rows": rows,
        "today": today,
        "terms": terms,
        "current_term": next((t for t in terms if t.start_on <= today <= t.last_end), terms[0] if terms else None),
        "unrecovered": unrecovered_amount(vehicle),
        "ledger": ledger_of(vehicle, limit=20),
        "may_request_oil": has_role(request.user, Role.SPECIALIST, Role.CALLBACK, Role.SELLER),
        "line_kinds": list(rules.LINE_KIND_LABELS.items()),
        "payers": list(rules.PAYER_LABELS.items()),
        "blank_lines": range(4),
    }


def vehicle(request: HttpRequest, vin: str) -> HttpResponse:
    require_desk(request.user)
    found = vehicle_for_desk(request.user, vin)
    return render(request, "perks/vehicle_desk.html", vehicle_context(request, found))


def _answer(request: HttpRequest, vehicle: Vehicle, *, message: str = "", error: str = "") -> HttpResponse:
    if request.htmx:
        context = vehicle_context(request, vehicle) | {"error": error}
        response = render(request, "perks/_entitlements.html", context)
        return with_toast(response, message or error)
    (messages.error if error else messages.success)(request, error or message)
    return redirect("perks:vehicle", vin=vehicle.vin)


def _describe(entitlement: Entitlement) -> str:
    value = f" {entitlement.face_value:,.2f} 元" if entitlement.is_money else ""
    return f"{entitlement.get_kind_display()}{value}"


@require_POST
def redeem(request: HttpRequest, pk: int) -> HttpResponse:
    require_desk(request.user)
    entitlement = entitlement_for_user(request.user, pk)
    try:
        services.redeem_voucher(entitlement=entitlement, by=acting_staff(request))
    except PerkError as refusal:
        return _answer(request, entitlement.vehicle, error=refusal.message)
    return _answer(request, entitlement.vehicle, message=f"已核销 {entitlement.vehicle} {_describe(entitlement)}。")


@require_POST
def redeem_wash(request: HttpRequest, term_id: int) -> HttpResponse:
    require_desk(request.user)
    term = term_for_user(request.user, term_id)
    try:
        entry = services.redeem_wash(term=term, by=acting_staff(request))
    except PerkError as refusal:
        return _answer(request, term.vehicle, error=refusal.message)
    return _answer(request, term.vehicle, message=f"已核销 {term.vehicle} 免费洗车（{entry.note}）。")


@require_POST
def log_rescue(request: HttpRequest, term_id: int) -> HttpResponse:
    require_desk(request.user)
    term = term_for_user(request.user, term_id)
    try:
        log = services.log_rescue(term=term, city=request.POST.get("city", ""), by=acting_staff(request))
    except PerkError as refusal:
        return _answer(request, term.vehicle, error=refusal.message)
    text = "免费救援，已记入权益成本" if log.free else f"{log.note}，不计权益成本"
    return _answer(request, term.vehicle, message=f"已登记 {term.vehicle} 在{log.city}的救援：{text}。")


def parse_bill(post) -> tuple[list[rules.BillLine], Decimal | None, date]:
    """The bill form: parallel lists kind/payer/amount (blank amounts skipped), promotion %, order date."""
    lines = []
    kinds, payers, amounts = post.getlist("kind"), post.getlist("payer"), post.getlist("amount")
    for number, (kind, payer, amount) in enumerate(zip(kinds, payers, amounts, strict=False), 1):
        if not amount.strip():
            continue
        try:
            lines.append(rules.BillLine(rules.LineKind(kind), rules.Payer(payer), parse_money(amount)))
        except (ValueError, FieldError) as error:
            raise PerkError(f"第 {number} 行：{error}") from error
    promotion = None
    if post.get("promotion", "").strip():
        try:
            promotion = Decimal(post["promotion"].strip().rstrip("%"))
        except InvalidOperation as error:
            raise PerkError("活动折扣请填写百分数，例如 15。") from error
    try:
        opened_on = date.fromisoformat(post.get("opened_on", "")) if post.get("opened_on") else timezone.localdate()
    except ValueError as error:
        raise PerkError("开单日期格式应为 2026-06-30。") from error
    return lines, promotion, opened_on


@require_POST
def price_bill(request: HttpRequest, vin: str) -> HttpResponse:
    require_desk(request.user)
    found = vehicle_for_desk(request.user, vin)
    context = {"vehicle": found}
    try:
        lines, promotion, opened_on = parse_bill(request.POST)
        bill = services.price_repair_bill(
            vehicle=found, opened_on=opened_on, lines=lines, priced_by=acting_staff(request),
            promotion_percent=promotion, order_no=request.POST.get("order_no", ""),
        )  # fmt: skip
    except PerkError as refusal:
        context["error"] = refusal.message
        return _bill_answer(request, context, refusal.message)
    context["bill"] = bill
    context["lines"] = [
        {**line, "kind_label": rules.LINE_KIND_LABELS[rules.LineKind(line["kind"])],
         "payer_label": rules.PAYER_LABELS[rules.Payer(line["payer"])]}
        for line in bill.lines
    ]  # fmt: skip
    return _bill_answer(request, context, f"维修单结算 {bill.total:,.2f} 元（{bill.explanation}）。")


def _bill_answer(request: HttpRequest, context: dict, message: str) -> HttpResponse:
    if request.htmx:
        return with_toast(render(request, "perks/_bill_result.html", context), message)
    page = vehicle_context(request, context["vehicle"]) | context
    return render(request, "perks/vehicle_desk.html", page, status=200 if "bill" in context else 400)
