"""Extra oil pages: the request form (specialist / callback / seller of the branch) and the oil inbox of the
deputy GM and GM, whose cards decide in place (htmx) and confirm with a toast."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from perks import rules, services
from perks.access import APPROVER_ROLES, REQUEST_ROLES, oil_request_for_user, term_for_user
from perks.errors import PerkError
from perks.models import OilDecisionOutcome, OilRequest, OilRequestStatus, TermPerkCounter
from perks.selectors import loyalty_counts_of, oil_card, oil_cards_for, waiting_for_deputy_count
from perks.services.oil import has_recorded_renewal, target_refusal
from perks.views import acting_staff, with_toast
from renewal_desk.access import has_role, require_role


def _request_context(term, *, for_next_term: bool) -> dict:
    counter = TermPerkCounter.objects.filter(term=term).first()
    terms = rules.DEFAULT_TERMS
    if for_next_term:
        granted = terms.standard_oil_buckets + (counter.next_term_buckets if counter else 0)
    else:
        granted = counter.granted_buckets if counter else 0
    options = []
    for extra in range(1, terms.oil_cap - granted + 1):
        level = rules.oil_approval_level(granted + extra, terms)
        options.append({"buckets": extra, "total": granted + extra, "level": rules.OIL_LEVEL_LABELS[level]})
    pending = OilRequest.objects.filter(term=term, status=OilRequestStatus.PENDING).select_related("requester").first()
    refusal = target_refusal(
        term, counter or TermPerkCounter(term=term), for_next_term=for_next_term, today=timezone.localdate()
    )
    return {
        "term": term,
        "vehicle": term.vehicle,
        "owner": term.owner,
        "for_next_term": for_next_term,
        "granted": granted,
        "cap": terms.oil_cap,
        "options": options,
        "pending": pending,
        "refusal": refusal,
        "counts": loyalty_counts_of(term),
        "can_request_next": not has_recorded_renewal(term) and not term.cancelled_on,
    }


def request_oil(request: HttpRequest, term_id: int) -> HttpResponse:
    require_role(request.user, *REQUEST_ROLES)
    term = term_for_user(request.user, term_id)
    for_next_term = (request.POST.get("for_next_term") or request.GET.get("for_next_term")) == "1"
    context = _request_context(term, for_next_term=for_next_term)
    if request.method == "POST":
        try:
            buckets = int(request.POST.get("buckets", "0"))
        except ValueError:
            buckets = 0
        try:
            created = services.request_extra_oil(
                term=term, requester=acting_staff(request), buckets=buckets, reason=request.POST.get("reason", ""),
                for_next_term=for_next_term,
            )  # fmt: skip
        except PerkError as refusal:
            context |= {"error": refusal.message, "reason": request.POST.get("reason", ""), "chosen": buckets}
            return render(request, "perks/oil_request_form.html", context, status=400)
        level = rules.OIL_LEVEL_LABELS[rules.oil_approval_level(created.total_at_request)]
        total = created.total_at_request
        messages.success(request, f"已提交加赠机油申请：+{created.buckets} 桶，合计 {total} 桶，待{level}。")
        return redirect("perks:vehicle", vin=term.vehicle.vin)
    return render(request, "perks/oil_request_form.html", context)


def oil_inbox(request: HttpRequest) -> HttpResponse:
    require_role(request.user, *APPROVER_ROLES)
    cards = oil_cards_for(request.user)
    return render(
        request,
        "perks/oil_inbox.html",
        {
            "cards": cards,
            "is_gm": has_role(request.user, "gm"),
            "waiting_for_deputy": waiting_for_deputy_count(request.user) if has_role(request.user, "gm") else 0,
        },
    )


@require_POST
def decide_oil(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, *APPROVER_ROLES)
    oil_request = oil_request_for_user(request.user, pk)
    approve = request.POST.get("decision") == "approve"
    error = message = ""
    try:
        decision = services.decide_oil_request(
            request=oil_request, approver=acting_staff(request), approve=approve,
            comment=request.POST.get("comment", ""),
        )  # fmt: skip
    except PerkError as refusal:
        error = refusal.message
    else:
        plate, buckets, total = oil_request.term.vehicle, oil_request.buckets, decision.total_after
        message = {
            OilDecisionOutcome.APPROVED: f"已批准 {plate} 加赠机油 +{buckets} 桶，本期合计 {total} 桶。",
            OilDecisionOutcome.REJECTED: f"已驳回 {plate} 加赠机油申请，已通知申请人。",
            OilDecisionOutcome.REFUSED: f"{plate} 的申请超过 4 桶上限，已由系统整笔拒绝。",
        }[decision.outcome]
    if request.htmx:
        card = oil_card(request.user, OilRequest.objects.select_related("requester__user").get(pk=pk))
        card.error = error
        return with_toast(render(request, "perks/_oil_card.html", {"card": card}), message or error)
    (messages.error if error else messages.success)(request, error or message)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect(target or "perks:oil_inbox")
