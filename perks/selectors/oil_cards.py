"""The oil cards of the approval inbox (ui/NOTES.md §2): everything a deputy GM or GM needs to decide one
extra-oil request from the card alone. `followups:inbox` includes them via `oil_cards_for(user)` and the
fragment templates/perks/_oil_card.html; `perks:oil_inbox` shows them on their own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from perks import rules
from perks.models import (
    CostItem,
    Entitlement,
    EntryType,
    LedgerEntry,
    OilDecision,
    OilDecisionOutcome,
    OilRequest,
    OilRequestStatus,
    PerkKind,
    TermPerkCounter,
)
from perks.selectors.costs import perk_cost, unit_cost
from perks.selectors.history import loyalty_counts_of
from policies.models import VehicleTerm
from renewal_desk.access import has_role, roles_of, staff_of, visible_branches
from renewal_desk.months import month_end, month_start, previous_month
from renewal_desk.roles import Role


@dataclass(frozen=True)
class BucketSlot:
    state: str  # standard | granted | request | left
    label: str
    note: str = ""


@dataclass(frozen=True)
class Grant:
    buckets: int
    approver: str
    decided_on: date | None


@dataclass(frozen=True)
class BranchSpend:
    this_month: Decimal
    last_month: Decimal
    extra_buckets_this_month: int
    pending_requests: int
    oil_unit_cost: Decimal


@dataclass
class OilCard:
    request: OilRequest
    term: VehicleTerm
    granted: int
    total_after: int
    left_after: int
    cap: int
    level: rules.OilLevel
    slots: list[BucketSlot]
    grants: list[Grant]
    previous_premium: Decimal | None
    streak: int
    cumulative: int
    premium_reward: Entitlement | None
    perks_used: int
    perks_saved: Decimal
    spend: BranchSpend
    can_decide: bool
    blocked_reason: str
    decision: OilDecision | None = None
    error: str = ""
    requester_roles: list[str] = field(default_factory=list)

    @property
    def level_label(self) -> str:
        return rules.OIL_LEVEL_LABELS[self.level]

    @property
    def request_cost(self) -> Decimal:
        return self.spend.oil_unit_cost * self.request.buckets

    @property
    def vehicle(self):
        return self.term.vehicle

    @property
    def owner(self):
        return self.term.owner


def _granted(counter: TermPerkCounter | None, request: OilRequest, terms: rules.PerkTerms) -> int:
    if request.for_next_term:
        return terms.standard_oil_buckets + (counter.next_term_buckets if counter else 0)
    return counter.granted_buckets if counter else 0


def current_level(request: OilRequest, counter: TermPerkCounter | None) -> tuple[int, rules.OilLevel]:
    terms = rules.DEFAULT_TERMS
    granted = _granted(counter, request, terms)
    return granted, rules.oil_approval_level(granted + request.buckets, terms)


def _grants(request: OilRequest) -> list[Grant]:
    if request.for_next_term:
        where = Q(term_id=request.term_id, for_next_term=True, vested_term__isnull=True)
    else:
        where = Q(term_id=request.term_id, for_next_term=False) | Q(vested_term_id=request.term_id)
    approved = (
        OilRequest.objects.filter(where, status=OilRequestStatus.APPROVED)
        .select_related("decision__approver")
        .order_by("decided_at", "pk")
    )
    return [
        Grant(
            buckets=r.buckets,
            approver=r.decision.approver.name,
            decided_on=timezone.localdate(r.decided_at) if r.decided_at else None,
        )
        for r in approved
    ]


def _slots(*, standard: int, grants: list[Grant], requested: int, cap: int) -> list[BucketSlot]:
    slots = [BucketSlot("standard", "1", "续保标准") for _ in range(standard)]
    for grant in grants:
        slots += [BucketSlot("granted", "+1", f"已批 · {grant.approver}") for _ in range(grant.buckets)]
    slots += [BucketSlot("request", "+1", "本次申请") for _ in range(requested)]
    slots += [BucketSlot("left", "", "剩余") for _ in range(max(cap - len(slots), 0))]
    return slots


def branch_spend(branch_id: int, today: date) -> BranchSpend:
    approved = OilDecision.objects.filter(
        request__branch_id=branch_id, outcome=OilDecisionOutcome.APPROVED,
        decided_at__date__gte=month_start(today), decided_at__date__lte=month_end(today),
    ).aggregate(buckets=Sum("request__buckets"))["buckets"]  # fmt: skip
    return BranchSpend(
        this_month=perk_cost(branch_id, today),
        last_month=perk_cost(branch_id, previous_month(today)),
        extra_buckets_this_month=approved or 0,
        pending_requests=OilRequest.objects.filter(branch_id=branch_id, status=OilRequestStatus.PENDING).count(),
        oil_unit_cost=unit_cost(branch_id=branch_id, item=CostItem.OIL_BUCKET, on=today),
    )


def blocked_reason(user, request: OilRequest, level: rules.OilLevel) -> str:
    staff = staff_of(user)
    if staff is None:
        return "没有员工档案的账号不能审批"
    if staff.pk == request.requester_id:
        return "这是您自己的申请：申请人不能审批自己的申请"
    if staff.branch_id != request.branch_id:
        return "只能审批本门店的申请"
    if level == rules.OilLevel.REFUSED:
        return ""  # deciding records the system's refusal
    if not rules.role_covers(level, roles_of(user)):
        return f"需{rules.OIL_LEVEL_LABELS[level]}"
    return ""


def oil_card(user, request: OilRequest, *, spend_cache: dict | None = None, today: date | None = None) -> OilCard:
    today = today or timezone.localdate()
    spend_cache = {} if spend_cache is None else spend_cache
    term = VehicleTerm.objects.select_related("vehicle", "owner", "branch", "previous_term").get(pk=request.term_id)
    counter = TermPerkCounter.objects.filter(term_id=term.pk).first()
    terms = rules.DEFAULT_TERMS
    granted, level = current_level(request, counter)
    grants = _grants(request)
    counts = loyalty_counts_of(term)
    redeemed = LedgerEntry.objects.filter(term_id=term.pk, entry_type=EntryType.REDEEMED).aggregate(
        saved=Sum("cost"), used=Sum("quantity")
    )  # fmt: skip
    if request.branch_id not in spend_cache:
        spend_cache[request.branch_id] = branch_spend(request.branch_id, today)
    pending = request.status == OilRequestStatus.PENDING
    reason = blocked_reason(user, request, level) if pending else ""
    return OilCard(
        request=request, term=term, granted=granted, total_after=granted + request.buckets,
        left_after=max(terms.oil_cap - granted - request.buckets, 0), cap=terms.oil_cap, level=level,
        slots=_slots(standard=terms.standard_oil_buckets, grants=grants, requested=request.buckets if pending else 0,
                     cap=terms.oil_cap),
        grants=grants,
        previous_premium=term.previous_term.premium_total if term.previous_term else None,
        streak=counts.streak, cumulative=counts.cumulative,
        premium_reward=Entitlement.objects.filter(term=term, kind=PerkKind.PREMIUM_REWARD).order_by("-pk").first(),
        perks_used=redeemed["used"] or 0, perks_saved=redeemed["saved"] or Decimal("0.00"),
        spend=spend_cache[request.branch_id], can_decide=pending and not reason, blocked_reason=reason,
        decision=getattr(request, "decision", None) if not pending else None,
        requester_roles=[label for value, label in Role.choices if value in roles_of(request.requester.user)],
    )  # fmt: skip


def pending_oil_requests_for(user):
    """Pending requests of the branches the user sees, for a deputy GM or GM; oldest first."""
    if not has_role(user, Role.DEPUTY_GM, Role.GM):
        return OilRequest.objects.none()
    return (
        OilRequest.objects.filter(status=OilRequestStatus.PENDING, branch__in=visible_branches(user))
        .select_related("requester__user", "term")
        .order_by("created_at", "pk")
    )


def oil_cards_for(user, *, today: date | None = None) -> list[OilCard]:
    """The oil cards of the user's inbox: every pending request of their branch (a deputy GM also sees
    the 4-bucket ones, marked as the GM's)."""
    cache: dict = {}
    return [oil_card(user, request, spend_cache=cache, today=today) for request in pending_oil_requests_for(user)]


def pending_oil_count(request) -> int:
    """Nav badge: pending requests this user may decide now (not their own, within their level)."""
    user = request.user
    pending = list(pending_oil_requests_for(user))
    if not pending:
        return 0
    counters = {c.term_id: c for c in TermPerkCounter.objects.filter(term_id__in=[r.term_id for r in pending])}
    return sum(1 for r in pending if not blocked_reason(user, r, current_level(r, counters.get(r.term_id))[1]))


def waiting_for_deputy_count(user) -> int:
    """For the GM: how many 2–3 bucket items wait for the deputy GM (ui/NOTES.md §2 facets)."""
    pending = list(pending_oil_requests_for(user))
    counters = {c.term_id: c for c in TermPerkCounter.objects.filter(term_id__in=[r.term_id for r in pending])}
    return sum(1 for r in pending if current_level(r, counters.get(r.term_id))[1] == rules.OilLevel.DEPUTY_GM)
