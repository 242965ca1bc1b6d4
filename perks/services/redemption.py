"""Redemptions at the service desk (DOMAIN.md §6, §12): vouchers, washes, rescue, the repair card."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from perks import rules
from perks.errors import PerkError
from perks.models import (
    MONEY_KINDS,
    SINGLE_USE_KINDS,
    ZERO,
    CostItem,
    Entitlement,
    EntitlementStatus,
    EntryType,
    LedgerEntry,
    PerkKind,
    RepairBill,
    RescueLog,
)
from perks.selectors.costs import unit_cost
from perks.services.common import issued_entry, locked_counters, locked_entitlement, write_entry
from policies.models import Staff, Vehicle, VehicleTerm

COST_ITEM = {
    PerkKind.OIL: CostItem.OIL_BUCKET,
    PerkKind.EXTRA_OIL: CostItem.OIL_BUCKET,
    PerkKind.OIL_FILTER: CostItem.OIL_FILTER,
    PerkKind.INSPECTION: CostItem.INSPECTION,
    PerkKind.WASH: CostItem.WASH,
    PerkKind.RESCUE: CostItem.RESCUE,
    PerkKind.RESCUE_CARD: CostItem.RESCUE_CARD,
}


def _usable(entitlement: Entitlement, on: date) -> None:
    if entitlement.status != EntitlementStatus.LIVE:
        raise PerkError(f"{entitlement.get_kind_display()}{entitlement.get_status_display()}，不能核销。")
    valid_until = min(entitlement.valid_until, entitlement.ended_on or entitlement.valid_until)
    refusal = rules.validity_refusal(on, valid_from=entitlement.valid_from, valid_until=valid_until)
    if refusal:
        raise PerkError(f"{entitlement.get_kind_display()}{refusal}。")


@transaction.atomic
def redeem_voucher(*, entitlement: Entitlement, by: Staff, on: date | None = None) -> LedgerEntry:
    """Use a single-use perk (a voucher, or the free inspection) for its whole value. The date is checked
    here, whether or not the nightly expiry has run."""
    on = on or timezone.localdate()
    locked_counters(entitlement.term_id)
    entitlement = locked_entitlement(entitlement.pk)
    if entitlement.kind not in SINGLE_USE_KINDS:
        raise PerkError(f"{entitlement.get_kind_display()}不是一次性券，请在对应的功能中使用。")
    _usable(entitlement, on)
    if entitlement.kind in MONEY_KINDS:
        cost = entitlement.face_value
    else:
        cost = unit_cost(branch_id=by.branch_id, item=COST_ITEM[entitlement.kind], on=on)
    entry = write_entry(
        entitlement=entitlement, entry_type=EntryType.REDEEMED, occurred_on=on, by=by,
        refers_to=issued_entry(entitlement), amount=entitlement.face_value, cost=cost, at_branch=by.branch,
    )  # fmt: skip
    entitlement.status = EntitlementStatus.USED
    entitlement.save(update_fields=["status"])
    return entry


@transaction.atomic
def redeem_wash(*, term: VehicleTerm, by: Staff, on: date | None = None) -> LedgerEntry:
    """One free wash at any branch of the group that offers washes; the 11th of a term is charged."""
    on = on or timezone.localdate()
    counter = locked_counters(term.pk)[term.pk]
    wash = Entitlement.objects.filter(term_id=term.pk, kind=PerkKind.WASH).values_list("pk", flat=True).first()
    if wash is None:
        raise PerkError("本期没有免费洗车权益。")
    entitlement = locked_entitlement(wash)
    refusal = rules.wash_refusal(
        issued=counter.washes_issued, redeemed=counter.washes_redeemed, branch_offers_washes=by.branch.free_washes
    )
    if refusal:
        raise PerkError(refusal + "。")
    _usable(entitlement, on)
    counter.washes_redeemed += 1
    counter.save(update_fields=["washes_redeemed", "updated_at"])
    entry = write_entry(
        entitlement=entitlement, entry_type=EntryType.REDEEMED, occurred_on=on, by=by,
        refers_to=issued_entry(entitlement), cost=unit_cost(branch_id=by.branch_id, item=CostItem.WASH, on=on),
        at_branch=by.branch, note=f"第 {counter.washes_redeemed}/{counter.washes_issued} 次",
    )  # fmt: skip
    if counter.washes_redeemed >= counter.washes_issued:
        entitlement.status = EntitlementStatus.USED
        entitlement.save(update_fields=["status"])
    return entry


@transaction.atomic
def log_rescue(*, term: VehicleTerm, city: str, by: Staff | None = None, on: date | None = None) -> RescueLog:
    """Free when the pickup point is in one of the issuing branch's rescue cities; otherwise logged as
    不在免费范围 with no perk cost."""
    on = on or timezone.localdate()
    city = (city or "").strip()
    if not city:
        raise PerkError("请填写救援地点所在城市。")
    term = VehicleTerm.objects.select_related("branch").get(pk=term.pk)
    locked_counters(term.pk)
    rescue_id = Entitlement.objects.filter(term_id=term.pk, kind=PerkKind.RESCUE).values_list("pk", flat=True).first()
    log = RescueLog(term=term, vehicle_id=term.vehicle_id, branch_id=term.branch_id, city=city, occurred_on=on,
                    logged_by=by, free=False)  # fmt: skip
    entitlement = locked_entitlement(rescue_id) if rescue_id else None
    try:
        if entitlement is None:
            raise PerkError("无有效救援权益")
        _usable(entitlement, on)
    except PerkError as refusal:
        log.note = refusal.message.rstrip("。")[:100]
        log.save()
        return log
    if not rules.rescue_is_free(city, term.branch.rescue_city_list):
        log.note = "不在免费范围"
        log.save()
        return log
    log.free = True
    log.entry = write_entry(
        entitlement=entitlement, entry_type=EntryType.REDEEMED, occurred_on=on, by=by,
        refers_to=issued_entry(entitlement), cost=unit_cost(branch_id=term.branch_id, item=CostItem.RESCUE, on=on),
        at_branch=by.branch if by else None, note=f"救援 {city}",
    )  # fmt: skip
    log.save()
    return log


def repair_card_for(vehicle: Vehicle, opened_on: date) -> Entitlement | None:
    """The live repair card whose term covers the day the repair order was opened."""
    cards = Entitlement.objects.filter(
        vehicle=vehicle, kind=PerkKind.REPAIR_CARD, status=EntitlementStatus.LIVE,
        valid_from__lte=opened_on, valid_until__gte=opened_on,
    ).order_by("-valid_from")  # fmt: skip
    for card in cards:
        if card.ended_on is None or card.ended_on >= opened_on:
            return card
    return None


@transaction.atomic
def price_repair_bill(
    *,
    vehicle: Vehicle,
    opened_on: date,
    lines: Sequence[rules.BillLine],
    priced_by: Staff,
    promotion_percent: Decimal | None = None,
    order_no: str = "",
    on: date | None = None,
) -> RepairBill:
    """Price a repair order: the card on 自费 工时/材料 of an order opened within the term, or the promotion —
    the lower total for the whole bill, a tie to the promotion — never both. Records the card's discount as
    its redemption (its cost) only when the card was used."""
    on = on or timezone.localdate()
    if not lines:
        raise PerkError("请至少填写一行维修明细。")
    card = repair_card_for(vehicle, opened_on)
    if card is not None:
        locked_counters(card.term_id)
        card = locked_entitlement(card.pk)
    terms = rules.PerkTerms(**_decimal_terms(card.rule_terms)) if card else rules.DEFAULT_TERMS
    try:
        pricing = rules.price_bill(lines, card_applies=card is not None, promotion_percent=promotion_percent,
                                   terms=terms)  # fmt: skip
    except ValueError as error:
        raise PerkError(str(error) + "。") from error
    bill = RepairBill(
        vehicle=vehicle, term_id=card.term_id if card else None, card=card, branch=priced_by.branch,
        order_no=order_no.strip(), opened_on=opened_on, promotion_percent=promotion_percent,
        lines=[{"kind": line.kind.value, "payer": line.payer.value, "amount": str(line.amount)} for line in lines],
        list_total=pricing.list_total, card_total=pricing.card_total, promotion_total=pricing.promotion_total,
        choice=pricing.choice.value, total=pricing.total, card_discount=pricing.card_discount,
        explanation=pricing.explanation[:200], priced_by=priced_by,
    )  # fmt: skip
    if card is not None and pricing.choice == rules.PricingChoice.CARD and pricing.card_discount > ZERO:
        bill.entry = write_entry(
            entitlement=card, entry_type=EntryType.REDEEMED, occurred_on=on, by=priced_by,
            refers_to=issued_entry(card), amount=pricing.card_discount, cost=pricing.card_discount,
            at_branch=priced_by.branch, note=f"维修单 {order_no}".strip(),
        )  # fmt: skip
    bill.save()
    return bill


def _decimal_terms(record: dict) -> dict:
    """The terms copied onto the card's ledger row, back as PerkTerms fields (unknown keys ignored)."""
    defaults = vars(rules.DEFAULT_TERMS)
    fields = {}
    for name, value in (record or {}).items():
        if name in defaults:
            fields[name] = Decimal(value) if isinstance(defaults[name], Decimal) else int(value)
    return fields
