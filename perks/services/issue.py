"""Perks of a renewal: issued when a 续回 is recorded, reversed when it stops being one (DOMAIN.md §12)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone

from perks import rules
from perks.models import (
    TERM_KINDS,
    ZERO,
    Entitlement,
    EntitlementStatus,
    EntryType,
    LedgerEntry,
    OilRequest,
    OilRequestStatus,
    PerkKind,
    TermPerkCounter,
)
from perks.selectors.history import loyalty_history, won_back_vehicle
from perks.services.common import (
    issue,
    issue_all,
    issued_entry,
    locked_counters,
    perks_start_of,
    terms_in_force,
    unsaved_entitlement,
    write_entry,
)
from policies.models import RenewalKind, Staff, VehicleTerm
from renewal_desk.months import add_months

LOYALTY_KIND = {
    rules.LoyaltyReward.STREAK_VOUCHER: PerkKind.LOYALTY_STREAK,
    rules.LoyaltyReward.CUMULATIVE_VOUCHER: PerkKind.LOYALTY_CUMULATIVE,
    rules.LoyaltyReward.INSPECTION: PerkKind.INSPECTION,
}


@dataclass
class IssueOutcome:
    issued: list[Entitlement] = field(default_factory=list)
    skipped: str = ""  # why nothing could be issued (not a 续回, before go-live, …)


def won_back(term: VehicleTerm) -> bool:
    """A vehicle insured elsewhere (a 保有客户 row) whose first term here is a 续回 of its outside policy
    (category 2–4 won back); a new car's first policy is not."""
    if term.renewal_kind != RenewalKind.NEW:
        return False
    first = VehicleTerm.objects.filter(vehicle_id=term.vehicle_id).order_by("start_on", "pk").values("pk").first()
    return bool(first and first["pk"] == term.pk) and won_back_vehicle(term.vehicle_id)


def ineligibility(term: VehicleTerm) -> str:
    if term.cancelled_on:
        return "该保险期已退保"
    if term.renewal_kind == RenewalKind.NEW and not won_back(term):
        return "新车首年保单不享续保权益"
    if not term.has_commercial:
        return "仅交强险续回：商业险到达后发放权益"
    return ""


@transaction.atomic
def issue_renewal_perks(
    *, term: VehicleTerm, recorded_by: Staff | None = None, recorded_on: date | None = None
) -> IssueOutcome:
    """Write the perks a 续回 earns. Idempotent: a second call issues nothing new, except the premium reward
    reissued at a higher band when a later policy of the term moved its premium up."""
    recorded_on = recorded_on or timezone.localdate()
    term = VehicleTerm.objects.select_related("branch").get(pk=term.pk)
    reason = ineligibility(term)
    if reason:
        return IssueOutcome(skipped=reason)
    go_live = perks_start_of(term.branch)
    if term.signed_on < go_live:
        # Counts towards loyalty (history is read from the terms themselves) but writes no ledger rows.
        return IssueOutcome(skipped=f"签单日期早于本店权益启用日期 {go_live:%Y-%m-%d}")

    counters = locked_counters(term.pk, term.previous_term_id)
    counter = counters[term.pk]
    existing = list(Entitlement.objects.select_for_update().filter(term=term).order_by("pk"))
    have = {e.kind for e in existing}
    terms = terms_in_force(term.branch, term.signed_on)
    record = terms.as_record()
    voucher_from = rules.voucher_valid_from(recorded_on=recorded_on, term_start=term.start_on)
    voucher_until = rules.voucher_valid_until(voucher_from, terms)
    outcome = IssueOutcome()

    def give(kind: str, **fields) -> Entitlement:
        if kind in TERM_KINDS:
            fields.setdefault("valid_from", term.start_on)
            fields.setdefault("valid_until", term.last_end)
        else:
            fields.setdefault("valid_from", voucher_from)
            fields.setdefault("valid_until", voucher_until)
        entitlement = unsaved_entitlement(term=term, kind=kind, rule_terms=record, by=recorded_by, **fields)
        outcome.issued.append(entitlement)  # written together below
        return entitlement

    if PerkKind.REPAIR_CARD not in have:
        give(PerkKind.REPAIR_CARD, quantity=None)
    if PerkKind.RESCUE not in have:
        give(PerkKind.RESCUE, quantity=None)
    if PerkKind.OIL not in have:
        give(PerkKind.OIL)
        counter.granted_buckets += terms.standard_oil_buckets
    if PerkKind.OIL_FILTER not in have:
        give(PerkKind.OIL_FILTER)
    washes = rules.washes_for_term(branch_offers_washes=term.branch.free_washes, terms=terms)
    if washes and PerkKind.WASH not in have:
        give(PerkKind.WASH, quantity=washes)
        counter.washes_issued = washes

    _issue_premium_reward(term, existing, give, terms, recorded_on, recorded_by)
    _issue_loyalty(term, give, terms)
    if term.previous_term_id:
        _vest_open_case_oil(term, counters, give, terms)
    issue_all(outcome.issued, on=recorded_on, by=recorded_by)
    counter.save()
    return outcome


def _issue_premium_reward(term, existing, give, terms, on, by) -> None:
    band = rules.premium_reward(term.premium_total, terms)
    rewards = [e for e in existing if e.kind == PerkKind.PREMIUM_REWARD]
    if any(e.face_value >= band for e in rewards):
        return
    if any(e.status == EntitlementStatus.USED for e in rewards):
        return  # already paid out at the lower band: a redeemed voucher is not topped up
    live = [e for e in rewards if e.status == EntitlementStatus.LIVE]
    if not live and rewards:
        return  # reversed or expired: nothing to move up
    for old in live:
        old.status = EntitlementStatus.REVERSED
        old.save(update_fields=["status"])
        write_entry(
            entitlement=old, entry_type=EntryType.REVERSED, occurred_on=on, by=by, refers_to=issued_entry(old),
            amount=old.face_value, note=f"保费升档，改发 {band} 元券",
        )  # fmt: skip
    give(PerkKind.PREMIUM_REWARD, face_value=band)


def _issue_loyalty(term, give, terms) -> None:
    if term.owner_id is None:
        return
    counts = rules.loyalty_counts(loyalty_history(term))
    for reward in rules.loyalty_rewards(counts, terms):
        kind = LOYALTY_KIND[reward]
        taken = (
            Entitlement.objects.filter(vehicle_id=term.vehicle_id, owner_id=term.owner_id, kind=kind)
            .exclude(status=EntitlementStatus.REVERSED)
            .exists()
        )
        if not taken:
            give(kind, face_value=rules.loyalty_face_value(reward, terms))


def _vest_open_case_oil(term, counters: dict[int, TermPerkCounter], give, terms) -> None:
    """Extras approved on the open case of the previous term vest on this renewal; a pending one moves here."""
    counter = counters[term.pk]
    approved = OilRequest.objects.select_for_update().filter(
        term_id=term.previous_term_id, for_next_term=True, status=OilRequestStatus.APPROVED, vested_term__isnull=True
    )
    for request in approved.order_by("pk"):
        if counter.granted_buckets + request.buckets > terms.oil_cap:
            request.status = OilRequestStatus.VOID
            request.save(update_fields=["status"])
            continue
        for sequence in range(1, request.buckets + 1):
            give(PerkKind.EXTRA_OIL, oil_request=request, sequence=sequence)
        counter.granted_buckets += request.buckets
        request.vested_term = term
        request.save(update_fields=["vested_term"])
    has_pending_here = OilRequest.objects.filter(term=term, status=OilRequestStatus.PENDING).exists()
    pending = OilRequest.objects.select_for_update().filter(
        term_id=term.previous_term_id, for_next_term=True, status=OilRequestStatus.PENDING
    )
    for request in pending:
        if has_pending_here:
            request.status = OilRequestStatus.VOID
            request.save(update_fields=["status"])
        else:
            request.term = term
            request.for_next_term = False
            request.save(update_fields=["term", "for_next_term"])


@transaction.atomic
def issue_rescue_card(
    *, term: VehicleTerm, recorded_by: Staff | None = None, recorded_on: date | None = None
) -> Entitlement | None:
    """The 全国道路救援卡 a manager-approved quote carried (DOMAIN.md §5, §12 Rescue): at most one per term,
    valid one year from issue, outside the discount d. Idempotent: returns the existing card if there is one."""
    recorded_on = recorded_on or timezone.localdate()
    term = VehicleTerm.objects.select_related("branch").get(pk=term.pk)
    if term.cancelled_on:
        return None
    locked_counters(term.pk)
    existing = Entitlement.objects.filter(term=term, kind=PerkKind.RESCUE_CARD).first()
    if existing is not None:
        return existing
    terms = terms_in_force(term.branch, term.signed_on)
    valid_from = rules.voucher_valid_from(recorded_on=recorded_on, term_start=term.start_on)
    return issue(
        term=term, kind=PerkKind.RESCUE_CARD, valid_from=valid_from,
        valid_until=add_months(valid_from, terms.rescue_card_months), rule_terms=terms.as_record(), on=recorded_on,
        by=recorded_by, note="报价审批附赠",
    )  # fmt: skip


@dataclass
class ReversalOutcome:
    reversed: list[Entitlement] = field(default_factory=list)
    unrecovered: list[LedgerEntry] = field(default_factory=list)

    @property
    def amount_to_deduct(self):
        return sum((entry.amount for entry in self.unrecovered), ZERO)


@transaction.atomic
def reverse_renewal_perks(*, term: VehicleTerm, on: date, recorded_by: Staff | None = None) -> ReversalOutcome:
    """The renewal stopped being a 续回 (退保, cancelled, re-linked): every unredeemed entitlement gets a
    reversal row (term entitlements end on `on`); redeemed ones stay as cost, flagged 已使用未追回, with the
    amount the desk deducts from the refund. Idempotent."""
    counter = locked_counters(term.pk)[term.pk]
    outcome = ReversalOutcome()
    entitlements = Entitlement.objects.select_for_update().filter(term_id=term.pk).order_by("pk")
    for entitlement in entitlements:
        redemptions = LedgerEntry.objects.filter(entitlement=entitlement, entry_type=EntryType.REDEEMED).exclude(
            followed_by__entry_type=EntryType.REVERSED
        )
        for redemption in redemptions.order_by("pk"):
            outcome.unrecovered.append(
                write_entry(
                    entitlement=entitlement, entry_type=EntryType.REVERSED, occurred_on=on, by=recorded_by,
                    refers_to=redemption, quantity=redemption.quantity, amount=redemption.cost, unrecovered=True,
                    note="已使用未追回：从退保退款中扣回",
                )
            )  # fmt: skip
            entitlement.unrecovered = True
        if entitlement.status == EntitlementStatus.LIVE:
            write_entry(
                entitlement=entitlement, entry_type=EntryType.REVERSED, occurred_on=on, by=recorded_by,
                refers_to=issued_entry(entitlement), amount=entitlement.face_value, note="续回不再成立，冲销未使用权益",
                quantity=max(counter.washes_issued - counter.washes_redeemed, 1)
                if entitlement.kind == PerkKind.WASH
                else 1,
            )  # fmt: skip
            entitlement.status = EntitlementStatus.REVERSED
            if entitlement.kind in TERM_KINDS:
                entitlement.ended_on = on
            outcome.reversed.append(entitlement)
        entitlement.save(update_fields=["status", "ended_on", "unrecovered"])
    OilRequest.objects.filter(
        term_id=term.pk, status=OilRequestStatus.PENDING
    ).update(status=OilRequestStatus.VOID, decided_at=timezone.now())  # fmt: skip
    return outcome
