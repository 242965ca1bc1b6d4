"""Redemption at the desk, the nightly expiry, and perk cost for the reports (DOMAIN.md §6, §12)."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from perks.errors import PerkError
from perks.models import (
    CostItem,
    EntitlementStatus,
    EntryType,
    LedgerEntry,
    PerkKind,
    RepairBill,
    TermPerkCounter,
    UnitCost,
)
from perks.rules import BillLine, LineKind, Payer
from perks.selectors import perk_cost, perk_month_rows, unit_cost
from perks.services import (
    expire_vouchers,
    issue_renewal_perks,
    log_rescue,
    price_repair_bill,
    redeem_voucher,
    redeem_wash,
)
from perks.tasks import expire_vouchers_task
from tests.factories import make_staff
from tests.perks.conftest import chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def washing_term(branch):
    branch.free_washes = True
    branch.save()
    _, renewal = chain(branch, "R", first_start=date(2024, 7, 1))
    issue_renewal_perks(term=renewal, recorded_on=date(2025, 6, 28))
    return renewal


def test_a_voucher_is_redeemed_once_for_its_whole_value(issued_term, people):
    oil = issued_term.entitlements.get(kind=PerkKind.OIL)
    entry = redeem_voucher(entitlement=oil, by=people["seller"], on=date(2025, 7, 10))
    assert (entry.entry_type, entry.cost, entry.at_branch_id) == (
        EntryType.REDEEMED,
        D("268.00"),
        people["seller"].branch_id,
    )
    oil.refresh_from_db()
    assert oil.status == EntitlementStatus.USED
    with pytest.raises(PerkError, match="已使用"):
        redeem_voucher(entitlement=oil, by=people["seller"], on=date(2025, 7, 11))


def test_redemption_checks_the_date_itself(issued_term, people):
    filter_voucher = issued_term.entitlements.get(kind=PerkKind.OIL_FILTER)  # valid 2025-07-01 … 2026-01-01
    with pytest.raises(PerkError, match="尚未生效"):
        redeem_voucher(entitlement=filter_voucher, by=people["seller"], on=date(2025, 6, 30))
    with pytest.raises(PerkError, match="已过期"):  # the nightly expiry has not run, the desk still refuses
        redeem_voucher(entitlement=filter_voucher, by=people["seller"], on=date(2026, 1, 2))
    assert redeem_voucher(entitlement=filter_voucher, by=people["seller"], on=date(2026, 1, 1)).cost == D("58.00")


def test_a_money_voucher_costs_its_face_value(issued_term, people):
    reward = issued_term.entitlements.get(kind=PerkKind.PREMIUM_REWARD)
    assert redeem_voucher(entitlement=reward, by=people["seller"], on=date(2025, 7, 10)).cost == D("500.00")


def test_term_entitlements_are_not_redeemed_as_vouchers(issued_term, people):
    with pytest.raises(PerkError, match="不是一次性券"):
        redeem_voucher(entitlement=issued_term.entitlements.get(kind=PerkKind.REPAIR_CARD), by=people["seller"])


def test_ten_free_washes_then_the_eleventh_is_charged(washing_term, people):
    for day in range(1, 11):
        redeem_wash(term=washing_term, by=people["seller"], on=date(2025, 8, day))
    with pytest.raises(PerkError, match="第 11 次起收费"):
        redeem_wash(term=washing_term, by=people["seller"], on=date(2025, 8, 11))
    assert TermPerkCounter.objects.get(term=washing_term).washes_redeemed == 10
    assert washing_term.entitlements.get(kind=PerkKind.WASH).status == EntitlementStatus.USED


def test_washes_are_redeemed_at_any_branch_that_offers_them_and_cost_the_issuing_branch(washing_term, other_branch):
    no_washes = make_staff(other_branch, "seller")
    with pytest.raises(PerkError, match="不提供免费洗车"):
        redeem_wash(term=washing_term, by=no_washes, on=date(2025, 8, 1))
    other_branch.free_washes = True
    other_branch.save()
    entry = redeem_wash(term=washing_term, by=make_staff(other_branch, "seller"), on=date(2025, 8, 1))
    assert entry.branch_id == washing_term.branch_id and entry.at_branch_id == other_branch.pk
    assert perk_cost(washing_term.branch, date(2025, 8, 1)) == D("30.00")
    assert perk_cost(other_branch, date(2025, 8, 1)) == D("0.00")


def test_the_wash_counter_cannot_pass_what_was_issued_in_the_database(washing_term):
    with pytest.raises(IntegrityError), transaction.atomic():
        TermPerkCounter.objects.filter(term=washing_term).update(washes_redeemed=11)


def test_rescue_is_free_only_in_the_issuing_branchs_cities(issued_term, people):
    free = log_rescue(term=issued_term, city="北京市", by=people["seller"], on=date(2025, 8, 1))
    assert free.free and free.entry.cost == D("200.00")
    away = log_rescue(term=issued_term, city="天津", by=people["seller"], on=date(2025, 8, 2))
    assert not away.free and away.note == "不在免费范围" and away.entry is None
    assert perk_cost(issued_term.branch, date(2025, 8, 1)) == D("200.00")


def test_rescue_outside_the_term_is_not_free(issued_term, people):
    log = log_rescue(term=issued_term, city="北京", by=people["seller"], on=date(2026, 7, 1))
    assert not log.free and "已过期" in log.note


def lines(*rows):
    return [BillLine(LineKind(kind), Payer(payer), D(amount)) for kind, payer, amount in rows]


def test_repair_bill_with_the_card_records_the_discount_as_cost(issued_term, people):
    bill = price_repair_bill(
        vehicle=issued_term.vehicle, opened_on=date(2025, 8, 1), priced_by=people["seller"], on=date(2025, 8, 1),
        lines=lines(("labour", "self", "1000.00"), ("parts", "self", "2000.00"), ("bodywork", "self", "3000.00"),
                    ("labour", "claim", "500.00")),
    )  # fmt: skip
    # 800 + 1900 + 3000 (钣喷协议价 undiscounted) + 500 (理赔) = 6200
    assert (bill.total, bill.card_discount, bill.choice) == (D("6200.00"), D("300.00"), "card")
    assert bill.entry.cost == D("300.00") and bill.entry.kind == PerkKind.REPAIR_CARD
    assert perk_cost(issued_term.branch, date(2025, 8, 1)) == D("300.00")


def test_repair_bill_with_a_better_promotion_uses_it_and_records_no_card(issued_term, people):
    bill = price_repair_bill(
        vehicle=issued_term.vehicle, opened_on=date(2025, 8, 1), priced_by=people["seller"],
        lines=lines(("labour", "self", "1000.00"), ("parts", "self", "1000.00")), promotion_percent=D("25"),
    )  # fmt: skip
    assert (bill.total, bill.choice, bill.entry) == (D("1500.00"), "promotion", None)
    assert bill.card_total == D("1750.00")  # priced both ways, never 0.75 × the card price


def test_repair_bill_tie_goes_to_the_promotion(issued_term, people):
    bill = price_repair_bill(
        vehicle=issued_term.vehicle, opened_on=date(2025, 8, 1), priced_by=people["seller"],
        lines=lines(("labour", "self", "1000.00")), promotion_percent=D("20"),
    )  # fmt: skip
    assert (bill.total, bill.choice, bill.entry) == (D("800.00"), "promotion", None)
    assert not LedgerEntry.objects.filter(entry_type=EntryType.REDEEMED).exists()


def test_repair_order_opened_outside_the_term_gets_no_card(issued_term, people):
    bill = price_repair_bill(
        vehicle=issued_term.vehicle, opened_on=date(2025, 6, 30), priced_by=people["seller"],
        lines=lines(("labour", "self", "1000.00")),
    )  # fmt: skip
    assert (bill.total, bill.card_total, bill.card) == (D("1000.00"), None, None)


def test_a_bill_needs_lines(issued_term, people):
    with pytest.raises(PerkError, match="至少"):
        price_repair_bill(vehicle=issued_term.vehicle, opened_on=date(2025, 8, 1), priced_by=people["seller"], lines=[])
    assert not RepairBill.objects.exists()


def test_expiry_is_idempotent_and_the_desk_refuses_afterwards(issued_term, people):
    assert expire_vouchers(today=date(2026, 1, 1)) == 0  # the last valid day
    expired = expire_vouchers(today=date(2026, 1, 2))
    assert expired == 3  # oil, filter, premium reward (the card and rescue run to the term's end)
    assert expire_vouchers(today=date(2026, 1, 2)) == 0
    assert expire_vouchers(today=date(2026, 1, 5)) == 0  # after missed nights: nothing twice
    assert LedgerEntry.objects.filter(entry_type=EntryType.EXPIRED).count() == 3
    oil = issued_term.entitlements.get(kind=PerkKind.OIL)
    assert oil.status == EntitlementStatus.EXPIRED
    with pytest.raises(PerkError, match="已过期"):
        redeem_voucher(entitlement=oil, by=people["seller"], on=date(2026, 1, 2))
    # the term entitlements lapse at the term's end
    assert expire_vouchers(today=date(2026, 7, 1)) == 2


def test_a_redeemed_voucher_does_not_expire(issued_term, people):
    redeem_voucher(
        entitlement=issued_term.entitlements.get(kind=PerkKind.OIL), by=people["seller"], on=date(2025, 8, 1)
    )
    assert expire_vouchers(today=date(2026, 1, 2)) == 2


def test_the_daily_task_runs_the_expiry(issued_term):
    assert expire_vouchers_task.delay("2026-01-02").get() == 3
    assert expire_vouchers_task.delay("2026-01-02").get() == 0


def test_perk_cost_counts_in_the_month_of_redemption_for_the_issuing_branch(issued_term, people, other_branch):
    redeem_voucher(
        entitlement=issued_term.entitlements.get(kind=PerkKind.OIL), by=people["seller"], on=date(2025, 7, 31)
    )
    redeem_voucher(entitlement=issued_term.entitlements.get(kind=PerkKind.PREMIUM_REWARD), by=people["seller"],
                   on=date(2025, 8, 1))  # fmt: skip
    assert perk_cost(issued_term.branch, date(2025, 7, 15)) == D("268.00")
    assert perk_cost(issued_term.branch, date(2025, 8, 15)) == D("500.00")
    assert perk_cost(issued_term.branch, date(2025, 6, 1)) == D("0.00")  # issuing costs nothing
    assert perk_cost(other_branch, date(2025, 8, 15)) == D("0.00")
    rows = {row.kind: row for row in perk_month_rows(issued_term.branch, date(2025, 8, 1))}
    assert rows[PerkKind.PREMIUM_REWARD].redeemed == 1 and rows[PerkKind.PREMIUM_REWARD].cost == D("500.00")


def test_unit_costs_are_per_branch_and_effective_dated(branch, other_branch):
    assert unit_cost(branch_id=branch.pk, item=CostItem.OIL_BUCKET, on=date(2025, 1, 1)) == D("268.00")
    UnitCost.objects.create(
        branch=branch, item=CostItem.OIL_BUCKET, amount=D("288.00"), effective_from=date(2025, 6, 1)
    )
    assert unit_cost(branch_id=branch.pk, item=CostItem.OIL_BUCKET, on=date(2025, 5, 31)) == D("268.00")
    assert unit_cost(branch_id=branch.pk, item=CostItem.OIL_BUCKET, on=date(2025, 6, 1)) == D("288.00")
    assert unit_cost(branch_id=other_branch.pk, item=CostItem.OIL_BUCKET, on=date(2025, 6, 1)) == D("268.00")


def test_a_rescue_card_from_an_approved_quote_is_once_per_term_for_a_year(issued_term, people):
    from perks.services import issue_rescue_card

    card = issue_rescue_card(term=issued_term, recorded_by=people["manager"], recorded_on=date(2025, 6, 28))
    assert (card.valid_from, card.valid_until) == (date(2025, 7, 1), date(2026, 7, 1))
    assert issue_rescue_card(term=issued_term) == card  # at most one per term
    entry = redeem_voucher(entitlement=card, by=people["seller"], on=date(2025, 7, 2))
    assert entry.cost == D("198.00")


def test_the_expiry_command_is_the_tasks_twin(issued_term):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("expire_vouchers", "--date", "2026-01-02", stdout=out)
    assert "过期 3 项" in out.getvalue()
