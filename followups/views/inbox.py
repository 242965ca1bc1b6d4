"""审批收件箱: discount requests, 战败/不可续 reviews and (from the perks app) extra-oil requests, one card each,
decided in place. The services refuse what is not allowed (own request, wrong level, other branch)."""

from __future__ import annotations

from datetime import datetime, time

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from followups import rules, selectors, services
from followups.forms import DecisionForm
from followups.models import Case, Quote
from followups.models.cases import EXCLUSION_REASONS
from followups.services import DeskError
from followups.views.common import desk_staff, render_toast, roles_required
from followups.views.inbox_cards import branch_discount_mix, loss_card, quote_card
from followups.views.presenters import percent
from policies.models import Staff
from renewal_desk.access import roles_of
from renewal_desk.months import month_start
from renewal_desk.roles import Role

INBOX_ROLES = (Role.MANAGER, Role.DEPUTY_GM, Role.GM, Role.LEAD)
APPROVER_ROLES = (Role.MANAGER, Role.DEPUTY_GM, Role.GM)
REVIEWER_ROLES = (Role.MANAGER, Role.LEAD)
ROLE_LABELS = dict(Role.choices)


def _oil_cards(user) -> list:
    """Extra-oil cards from the perks app when it is installed (the inbox works without it)."""
    try:
        from perks.selectors import oil_cards_for

        get_template("perks/_oil_card.html")
    except Exception:  # ImportError, TemplateDoesNotExist: the perks pages are not there (yet)
        return []
    return list(oil_cards_for(user))


def _waiting_for_deputy(user) -> int:
    try:
        from perks.selectors import waiting_for_deputy_count
    except ImportError:
        return 0
    return waiting_for_deputy_count(user)


def _scope_text(roles: frozenset[str]) -> str:
    parts = []
    if Role.GM in roles:
        parts.append(f"总经理审批范围：商业险让利 {percent(rules.MANAGER_LIMIT, 0)}–{percent(rules.GM_LIMIT, 0)}")
        parts.append("本期机油合计 4 桶")
    elif roles & {Role.MANAGER, Role.DEPUTY_GM}:
        parts.append(f"审批范围：商业险让利 {percent(rules.SPECIALIST_LIMIT, 0)}–{percent(rules.MANAGER_LIMIT, 0)}")
        if Role.DEPUTY_GM in roles:
            parts.append("本期机油合计 2–3 桶")
    if roles & set(REVIEWER_ROLES):
        parts.append("战败 / 不可续审核")
    return " · ".join(parts)


def _requester_label(staff: Staff) -> str:
    labels = [ROLE_LABELS[role] for role in Role.values if role in staff.roles and role in ROLE_LABELS]
    return f"{staff.name} · {labels[0]}" if labels else staff.name


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@require_GET
@roles_required(*INBOX_ROLES)
def inbox(request: HttpRequest) -> HttpResponse:
    staff = desk_staff(request)
    roles = roles_of(request.user)
    today = timezone.localdate()
    kind = request.GET.get("kind", "")
    view = request.GET.get("view", "")
    requester = request.GET.get("requester", "")

    pending_quotes = list(
        selectors.pending_quotes_for(staff).select_related("case__expiring_term", "requested_by__user")
    )
    pending_losses = list(
        selectors.pending_loss_reviews_for(staff).select_related("expiring_term", "proposed_by__user")
    )
    oil_cards = _oil_cards(request.user)

    requesters: dict[int, dict] = {}
    for person in [q.requested_by for q in pending_quotes] + [c.proposed_by for c in pending_losses if c.proposed_by]:
        entry = requesters.setdefault(person.pk, {"pk": person.pk, "label": _requester_label(person), "n": 0})
        entry["n"] += 1
    for card in oil_cards:
        person = card.request.requester
        entry = requesters.setdefault(person.pk, {"pk": person.pk, "label": _requester_label(person), "n": 0})
        entry["n"] += 1

    handled_quotes = Quote.objects.filter(decided_by=staff)
    handled_losses = Case.objects.filter(reviewed_by=staff)
    month_from, day_from = _start_of(month_start(today)), _start_of(today)
    counts = {
        "all": len(pending_quotes) + len(pending_losses) + len(oil_cards),
        "discount": len(pending_quotes),
        "loss": len(pending_losses),
        "oil": len(oil_cards),
        "today": handled_quotes.filter(decided_at__gte=day_from).count()
        + handled_losses.filter(reviewed_at__gte=day_from).count(),
        "month": handled_quotes.filter(decided_at__gte=month_from).count()
        + handled_losses.filter(reviewed_at__gte=month_from).count(),
        "mine": Quote.objects.filter(requested_by=staff).count() + Case.objects.filter(proposed_by=staff).count(),
    }

    if view in ("today", "month"):
        since = day_from if view == "today" else month_from
        quotes = list(_card_quotes(handled_quotes.filter(decided_at__gte=since).order_by("-decided_at")[:100]))
        losses = list(_card_cases(handled_losses.filter(reviewed_at__gte=since).order_by("-reviewed_at")[:100]))
        shown_oil = []
    elif view == "mine":
        quotes = list(_card_quotes(Quote.objects.filter(requested_by=staff).order_by("-created_at")[:100]))
        losses = list(_card_cases(Case.objects.filter(proposed_by=staff).order_by("-pk")[:100]))
        shown_oil = []
    else:
        quotes, losses, shown_oil = pending_quotes, pending_losses, oil_cards
    if kind == "discount":
        losses, shown_oil = [], []
    elif kind == "loss":
        quotes, shown_oil = [], []
    elif kind == "oil":
        quotes, losses = [], []
    if requester.isdigit():
        wanted = int(requester)
        quotes = [q for q in quotes if q.requested_by_id == wanted]
        losses = [c for c in losses if c.proposed_by_id == wanted]
        shown_oil = [card for card in shown_oil if card.request.requester_id == wanted]

    mix = branch_discount_mix(staff.branch_id, today) if quotes else None
    cards = [
        {"kind": "discount", "t": q.case.t_date, "card": quote_card(q, staff=staff, today=today, mix=mix)}
        for q in quotes
    ]
    cards += [{"kind": "loss", "t": c.t_date, "card": loss_card(c, staff=staff, today=today)} for c in losses]
    cards += [{"kind": "oil", "t": card.term.t_date, "card": card} for card in shown_oil]
    if not view:
        cards.sort(key=lambda item: item["t"])  # nearest expiry first
    context = {
        "staff": staff,
        "scope_text": _scope_text(roles),
        "cards": cards,
        "counts": counts,
        "requesters": sorted(requesters.values(), key=lambda entry: -entry["n"]),
        "kind": kind,
        "view": view,
        "requester": requester,
        "is_gm": Role.GM in roles,
        "waiting_for_deputy": _waiting_for_deputy(request.user) if Role.GM in roles else 0,
        "discount_label": _discount_facet_label(roles),
        "approves_discounts": bool(roles & set(APPROVER_ROLES)),
        "reviews_losses": bool(roles & set(REVIEWER_ROLES)),
    }
    return render(request, "followups/inbox.html", context)


def _discount_facet_label(roles: frozenset[str]) -> str:
    if Role.GM in roles:
        return f"让利 {percent(rules.SPECIALIST_LIMIT, 0)}–{percent(rules.GM_LIMIT, 0)}"
    return f"让利 {percent(rules.SPECIALIST_LIMIT, 0)}–{percent(rules.MANAGER_LIMIT, 0)}"


def _card_quotes(quotes):
    return quotes.select_related(
        "case__vehicle", "case__customer", "case__expiring_term", "requested_by__user", "decided_by", "insurer"
    )


def _card_cases(cases):
    return cases.select_related("vehicle", "customer", "expiring_term", "proposed_by__user", "reviewed_by", "assignee")


# ── decisions ────────────────────────────────────────────────────────────────────────────────────────


def _branch_quote(staff: Staff, quote_id: int) -> Quote:
    quote = _card_quotes(Quote.objects.filter(pk=quote_id, case__branch_id=staff.branch_id)).first()
    if quote is None:
        raise Http404("没有找到这条报价申请，或它不属于您的门店。")
    return quote


@require_POST
@roles_required(*APPROVER_ROLES)
def decide_quote(request: HttpRequest, quote_id: int) -> HttpResponse:
    staff = desk_staff(request)
    quote = _branch_quote(staff, quote_id)
    today = timezone.localdate()
    form = DecisionForm(request.POST)

    def card_response(error: str):
        mix = branch_discount_mix(staff.branch_id, today)
        card = quote_card(quote, staff=staff, today=today, mix=mix, form=form, error=error)
        return render_toast(request, "followups/_quote_card.html", {"card": card}, error, error=True)

    if not form.is_valid():
        return card_response(" ".join(message for messages in form.errors.values() for message in messages))
    try:
        decided = services.decide_quote(
            quote=quote, approver=staff, approve=form.approve, comment=form.cleaned_data["comment"]
        )
    except DeskError as error:
        return card_response(error.message)
    quote = _branch_quote(staff, decided.pk)
    case = quote.case
    who = f"{case.vehicle.plate or case.vehicle.vin} {case.customer.name if case.customer else ''}".strip()
    requester = quote.requested_by.name
    if form.approve:
        message = (
            f"已批准 {who} 让利 {percent(quote.discount_rate)}（申请人 {requester}），"
            "报价已生效，申请人在今日跟进中可见。"
        )
    else:
        message = f"已驳回 {who} 让利 {percent(quote.discount_rate)}，已退回申请人 {requester}。"
    card = quote_card(quote, staff=staff, today=today, mix=None)
    return render_toast(request, "followups/_quote_card.html", {"card": card}, message)


def _branch_review_case(staff: Staff, case_id: int) -> Case:
    case = _card_cases(Case.objects.filter(pk=case_id, branch_id=staff.branch_id)).first()
    if case is None:
        raise Http404("没有找到这个案件，或它不属于您的门店。")
    return case


@require_POST
@roles_required(*REVIEWER_ROLES)
def review_loss(request: HttpRequest, case_id: int) -> HttpResponse:
    staff = desk_staff(request)
    case = _branch_review_case(staff, case_id)
    today = timezone.localdate()
    form = DecisionForm(request.POST)
    if not form.is_valid():
        error = " ".join(message for messages in form.errors.values() for message in messages)
        card = loss_card(case, staff=staff, today=today, form=form, error=error)
        return render_toast(request, "followups/_loss_card.html", {"card": card}, error, error=True)
    label = "不可续" if case.reason in EXCLUSION_REASONS else "战败"
    try:
        services.review_loss(case=case, reviewer=staff, approve=form.approve, comment=form.cleaned_data["comment"])
    except DeskError as error:
        card = loss_card(case, staff=staff, today=today, form=form, error=error.message)
        return render_toast(request, "followups/_loss_card.html", {"card": card}, error.message, error=True)
    case = _branch_review_case(staff, case_id)
    plate = case.vehicle.plate or case.vehicle.vin
    if form.approve:
        tail = "，已移出可续" if case.removed_from_renewable else ""
        message = f"已通过{label}：{plate}（{case.get_state_display()}{tail}）。"
    else:
        message = f"已退回{label}：{plate} 回到{case.get_state_display()}，请跟进人继续跟进。"
    card = loss_card(case, staff=staff, today=today, decided_label=message)
    return render_toast(request, "followups/_loss_card.html", {"card": card}, message)
