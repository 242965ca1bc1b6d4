"""Issuing and reversing the perks of a renewal (DOMAIN.md §6, §12 Trigger, Go-live, Kinds, Premium band,
Loyalty, Cancellation), through the real services on a real database."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from perks.models import (
    Entitlement,
    EntitlementStatus,
    EntryType,
    LedgerEntry,
    OilRequest,
    OilRequestStatus,
    PerkKind,
    TermPerkCounter,
)
from perks.services import issue_renewal_perks, redeem_voucher, redeem_wash, request_extra_oil, reverse_renewal_perks
from policies.models import Policy, PolicyKind, RetainedCustomer
from policies.services import rebuild_terms
from tests.factories import insurer, make_customer, make_staff, make_term
from tests.perks.conftest import chain, renew

pytestmark = pytest.mark.django_db

STANDARD = {PerkKind.REPAIR_CARD, PerkKind.RESCUE, PerkKind.OIL, PerkKind.OIL_FILTER, PerkKind.PREMIUM_REWARD}


def kinds(term):
    return sorted(term.entitlements.values_list("kind", flat=True))


def test_a_renewal_earns_the_card_oil_filter_rescue_and_premium_reward_each_once(renewed_term):
    # when
    outcome = issue_renewal_perks(term=renewed_term, recorded_on=date(2025, 6, 28))
    # then
    assert {e.kind for e in outcome.issued} == STANDARD
    assert LedgerEntry.objects.filter(term=renewed_term, entry_type=EntryType.ISSUED).count() == len(STANDARD)
    reward = renewed_term.entitlements.get(kind=PerkKind.PREMIUM_REWARD)
    assert reward.face_value == D("500.00")  # 950 + 4512 = 5462 > 5000
    card = renewed_term.entitlements.get(kind=PerkKind.REPAIR_CARD)
    assert (card.valid_from, card.valid_until) == (date(2025, 7, 1), date(2026, 6, 30))  # the term itself
    oil = renewed_term.entitlements.get(kind=PerkKind.OIL)
    assert (oil.valid_from, oil.valid_until) == (date(2025, 7, 1), date(2026, 1, 1))  # 6 months from the start
    assert oil.rule_terms["labour_rate"] == "0.80" and oil.rule_terms["oil_cap"] == 4  # terms copied on the row
    entry = LedgerEntry.objects.get(entitlement=oil)
    assert entry.rule_terms == oil.rule_terms and entry.branch_id == renewed_term.branch_id
    assert TermPerkCounter.objects.get(term=renewed_term).granted_buckets == 1


def test_issuing_twice_issues_nothing_new(renewed_term):
    issue_renewal_perks(term=renewed_term, recorded_on=date(2025, 6, 28))
    before = LedgerEntry.objects.count()
    again = issue_renewal_perks(term=renewed_term, recorded_on=date(2025, 7, 20))
    assert again.issued == []
    assert LedgerEntry.objects.count() == before
    assert TermPerkCounter.objects.get(term=renewed_term).granted_buckets == 1


def test_a_late_recording_starts_the_vouchers_on_the_recording_day(renewed_term):
    issue_renewal_perks(term=renewed_term, recorded_on=date(2025, 8, 31))
    oil = renewed_term.entitlements.get(kind=PerkKind.OIL)
    assert (oil.valid_from, oil.valid_until) == (date(2025, 8, 31), date(2026, 2, 28))


def test_washes_only_where_the_selling_branch_offers_them(branch, renewed_term):
    branch.free_washes = True
    branch.save()
    issue_renewal_perks(term=renewed_term, recorded_on=date(2025, 6, 28))
    wash = renewed_term.entitlements.get(kind=PerkKind.WASH)
    assert wash.quantity == 10
    assert TermPerkCounter.objects.get(term=renewed_term).washes_issued == 10


def test_a_new_cars_first_policy_earns_nothing(branch):
    term = make_term(branch=branch, start_on=date(2025, 7, 1))
    outcome = issue_renewal_perks(term=term)
    assert outcome.issued == [] and "新车" in outcome.skipped
    assert not Entitlement.objects.exists()


def test_a_lapsed_renewal_earns_perks(branch):
    _, lapsed = chain(branch, "L", first_start=date(2024, 7, 1))
    assert lapsed.renewal_kind == "lapsed"
    assert set(kinds(lapsed)) == set() and {e.kind for e in issue_renewal_perks(term=lapsed).issued} == STANDARD


def test_a_won_back_vehicle_earns_perks_on_its_first_term_here(branch):
    term = make_term(branch=branch, start_on=date(2025, 7, 1))
    RetainedCustomer.objects.create(branch=branch, vehicle=term.vehicle, customer=term.owner,
                                    previous_insurer="人保财险", previous_policy_no="X1")  # fmt: skip
    assert {e.kind for e in issue_renewal_perks(term=term).issued} == STANDARD


def test_a_compulsory_only_renewal_waits_for_its_commercial_policy(branch):
    previous = make_term(branch=branch, start_on=date(2024, 7, 1))
    renewal = renew(previous, kinds=(PolicyKind.COMPULSORY,))
    outcome = issue_renewal_perks(term=renewal)
    assert outcome.issued == [] and "商业险" in outcome.skipped
    # the 商业 policy arrives (the importer rebuilds the terms, then records the 续回 again)
    Policy.objects.create(
        insurer=insurer(), policy_no="LATE-COMMERCIAL", kind=PolicyKind.COMMERCIAL, branch=branch,
        vehicle=renewal.vehicle, insured=renewal.owner, signed_on=date(2025, 7, 5), start_on=date(2025, 7, 5),
        end_on=date(2026, 7, 4), premium=D("3000.00"),
    )  # fmt: skip
    rebuild_terms([renewal.vehicle_id])
    renewal.refresh_from_db()
    assert renewal.has_commercial
    outcome = issue_renewal_perks(term=renewal)
    assert {e.kind for e in outcome.issued} == STANDARD
    assert renewal.entitlements.get(kind=PerkKind.PREMIUM_REWARD).face_value == D("200.00")  # 950 + 3000


def test_renewals_before_go_live_write_nothing_but_count_towards_loyalty(branch):
    # given: a vehicle renewed in 2020, 2021 and 2022; the branch's perks start on 2022-01-01
    branch.perks_start = date(2022, 1, 1)
    branch.save()
    terms = chain(branch, "RRRR", first_start=date(2018, 7, 1))
    # when: each 续回 is recorded
    before_go_live = [issue_renewal_perks(term=t) for t in terms[1:3]]  # signed 2019-06 and 2020-06
    third = issue_renewal_perks(term=terms[3])  # signed 2021-06-28: still before go-live
    fourth = issue_renewal_perks(term=terms[4])
    # then
    assert all(outcome.issued == [] and "权益启用日期" in outcome.skipped for outcome in [*before_go_live, third])
    assert LedgerEntry.objects.filter(term__in=terms[:4]).count() == 0
    # the streak reached 3 before go-live: no loyalty voucher now (4th renewal), only the standard perks
    assert {e.kind for e in fourth.issued} == STANDARD


def test_pre_go_live_renewals_count_so_the_streak_voucher_comes_on_the_third(branch):
    branch.perks_start = date(2021, 1, 1)
    branch.save()
    terms = chain(branch, "RRR", first_start=date(2018, 7, 1))  # renewals signed 2019-06, 2020-06, 2021-06
    assert issue_renewal_perks(term=terms[1]).issued == []
    assert issue_renewal_perks(term=terms[2]).issued == []
    third = issue_renewal_perks(term=terms[3])
    streak = [e for e in third.issued if e.kind == PerkKind.LOYALTY_STREAK]
    assert len(streak) == 1 and streak[0].face_value == D("1000.00")


def test_branch_without_perks_start_uses_its_programme_start(branch):
    branch.programme_start = date(2026, 1, 1)
    branch.save()
    _, renewal = chain(branch, "R", first_start=date(2024, 7, 1))
    assert "2026-01-01" in issue_renewal_perks(term=renewal).skipped


def go_live(branch, day):
    branch.perks_start = day
    branch.save(update_fields=["perks_start"])


def loyalty(vehicle):
    return sorted(
        vehicle.entitlements.filter(
            kind__in=[PerkKind.LOYALTY_STREAK, PerkKind.LOYALTY_CUMULATIVE, PerkKind.INSPECTION]
        )
        .exclude(status=EntitlementStatus.REVERSED)
        .values_list("kind", "term__start_on")
    )


def test_loyalty_streak_and_cumulative_rewards_each_once_per_vehicle_and_owner(branch):
    go_live(branch, date(2015, 1, 1))
    terms = chain(branch, "RRRRRR", first_start=date(2017, 7, 1))
    for term in terms[1:]:
        issue_renewal_perks(term=term)
        issue_renewal_perks(term=term)  # recorded twice: still once
    vehicle = terms[0].vehicle
    assert loyalty(vehicle) == [
        (PerkKind.INSPECTION, date(2022, 7, 1)),  # the 5th renewal: inspection + 500
        (PerkKind.LOYALTY_CUMULATIVE, date(2022, 7, 1)),
        (PerkKind.LOYALTY_STREAK, date(2020, 7, 1)),  # the 3rd consecutive renewal: 1000
    ]
    inspection = vehicle.entitlements.get(kind=PerkKind.INSPECTION)
    assert (inspection.valid_from, inspection.valid_until) == (date(2022, 7, 1), date(2023, 6, 30))  # term entitlement


def test_a_lapsed_renewal_resets_the_streak(branch):
    go_live(branch, date(2015, 1, 1))
    terms = chain(branch, "RRLRRR", first_start=date(2017, 7, 1))
    for term in terms[1:]:
        issue_renewal_perks(term=term)
    # streak: 1, 2, 0 (lapsed), 1, 2, 3 → the voucher on the last; cumulative reaches 5 on the fifth
    assert (PerkKind.LOYALTY_STREAK, terms[6].start_on) in loyalty(terms[0].vehicle)
    assert (PerkKind.LOYALTY_CUMULATIVE, terms[5].start_on) in loyalty(terms[0].vehicle)


def test_a_change_of_owner_restarts_both_counts(branch):
    go_live(branch, date(2015, 1, 1))
    terms = chain(branch, "RR", first_start=date(2019, 7, 1))
    buyer = make_customer("新车主", "13700000001")
    later = [renew(terms[-1], customer=buyer)]
    later.append(renew(later[-1]))
    for term in terms[1:] + later:
        issue_renewal_perks(term=term)
    assert loyalty(terms[0].vehicle) == []  # 2 renewals by the seller, 2 by the buyer: no streak of 3
    third = renew(later[-1])
    issue_renewal_perks(term=third)
    assert loyalty(terms[0].vehicle) == [(PerkKind.LOYALTY_STREAK, third.start_on)]
    assert third.entitlements.get(kind=PerkKind.LOYALTY_STREAK).owner == buyer


def test_the_database_refuses_a_second_loyalty_reward_for_the_same_vehicle_and_owner(branch):
    go_live(branch, date(2015, 1, 1))
    terms = chain(branch, "RRR", first_start=date(2019, 7, 1))
    for term in terms[1:]:
        issue_renewal_perks(term=term)
    reward = terms[0].vehicle.entitlements.get(kind=PerkKind.LOYALTY_STREAK)
    with pytest.raises(IntegrityError), transaction.atomic():
        Entitlement.objects.create(
            term=terms[2], vehicle=reward.vehicle, owner=reward.owner, branch=branch, kind=PerkKind.LOYALTY_STREAK,
            face_value=D("1000.00"), valid_from=date(2022, 1, 1), valid_until=date(2022, 7, 1),
        )  # fmt: skip


def test_the_premium_reward_is_reissued_at_a_higher_band_when_a_later_policy_moves_it_up(branch):
    previous = make_term(branch=branch, start_on=date(2024, 7, 1))
    renewal = renew(previous, kinds=(PolicyKind.COMMERCIAL,), premium_commercial=D("800.00"))
    issue_renewal_perks(term=renewal, recorded_on=date(2025, 6, 28))
    assert renewal.entitlements.get(kind=PerkKind.PREMIUM_REWARD).face_value == D("100.00")
    # the 交强 policy of the term arrives: 800 + 950 = 1750 → the 200 band
    Policy.objects.create(
        insurer=insurer(), policy_no="LATE-TCI", kind=PolicyKind.COMPULSORY, branch=branch, vehicle=renewal.vehicle,
        insured=renewal.owner, signed_on=date(2025, 6, 28), start_on=date(2025, 7, 1), end_on=date(2026, 6, 30),
        premium=D("950.00"),
    )  # fmt: skip
    rebuild_terms([renewal.vehicle_id])
    issue_renewal_perks(term=renewal, recorded_on=date(2025, 7, 3))
    rewards = dict(renewal.entitlements.filter(kind=PerkKind.PREMIUM_REWARD).values_list("face_value", "status"))
    assert rewards == {D("100.00"): EntitlementStatus.REVERSED, D("200.00"): EntitlementStatus.LIVE}
    old = renewal.entitlements.get(kind=PerkKind.PREMIUM_REWARD, face_value=D("100.00"))
    assert old.entries.filter(entry_type=EntryType.REVERSED).get().note.startswith("保费升档")
    issue_renewal_perks(term=renewal)  # idempotent at the new band
    assert renewal.entitlements.filter(kind=PerkKind.PREMIUM_REWARD).count() == 2


def test_a_redeemed_lower_reward_is_not_topped_up(branch, people):
    previous = make_term(branch=branch, start_on=date(2024, 7, 1))
    renewal = renew(previous, kinds=(PolicyKind.COMMERCIAL,), premium_commercial=D("800.00"))
    issue_renewal_perks(term=renewal, recorded_on=date(2025, 6, 28))
    reward = renewal.entitlements.get(kind=PerkKind.PREMIUM_REWARD)
    redeem_voucher(entitlement=reward, by=people["seller"], on=date(2025, 7, 2))
    Policy.objects.create(
        insurer=insurer(), policy_no="LATE-TCI-2", kind=PolicyKind.COMPULSORY, branch=branch, vehicle=renewal.vehicle,
        insured=renewal.owner, start_on=date(2025, 7, 1), end_on=date(2026, 6, 30), premium=D("950.00"),
    )  # fmt: skip
    rebuild_terms([renewal.vehicle_id])
    assert issue_renewal_perks(term=renewal).issued == []


def test_cancellation_reverses_what_is_unused_and_flags_what_was_used(branch, people):
    # given: a renewed term with washes; the oil and two washes were used
    branch.free_washes = True
    branch.save()
    _, renewal = chain(branch, "R", first_start=date(2024, 7, 1))
    issue_renewal_perks(term=renewal, recorded_on=date(2025, 6, 28))
    redeem_voucher(entitlement=renewal.entitlements.get(kind=PerkKind.OIL), by=people["seller"], on=date(2025, 7, 10))
    redeem_wash(term=renewal, by=people["seller"], on=date(2025, 7, 11))
    redeem_wash(term=renewal, by=people["seller"], on=date(2025, 7, 12))
    request_extra_oil(term=renewal, requester=people["specialist"], buckets=1, reason="老客户", today=date(2025, 7, 13))
    # when: the policy is cancelled (退保)
    outcome = reverse_renewal_perks(term=renewal, on=date(2025, 8, 1), recorded_by=people["manager"])
    # then
    statuses = dict(renewal.entitlements.values_list("kind", "status"))
    assert statuses[PerkKind.OIL] == EntitlementStatus.USED  # stays as cost
    assert all(statuses[k] == EntitlementStatus.REVERSED for k in STANDARD - {PerkKind.OIL} | {PerkKind.WASH})
    card = renewal.entitlements.get(kind=PerkKind.REPAIR_CARD)
    assert card.ended_on == date(2025, 8, 1)  # term entitlements end on the cancellation date
    unrecovered = LedgerEntry.objects.filter(term=renewal, entry_type=EntryType.REVERSED, unrecovered=True)
    assert unrecovered.count() == 3  # the oil and two washes: 已使用未追回
    assert outcome.amount_to_deduct == D("268.00") + 2 * D("30.00")
    assert renewal.entitlements.get(kind=PerkKind.OIL).unrecovered
    assert OilRequest.objects.get(term=renewal).status == OilRequestStatus.VOID
    # idempotent
    rows = LedgerEntry.objects.count()
    again = reverse_renewal_perks(term=renewal, on=date(2025, 8, 2))
    assert again.reversed == [] and again.unrecovered == [] and LedgerEntry.objects.count() == rows


def test_the_ledger_is_append_only(issued_term):
    entry = LedgerEntry.objects.filter(term=issued_term).first()
    entry.note = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        LedgerEntry.objects.filter(pk=entry.pk).update(note="changed")
    with pytest.raises(PermissionError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    assert LedgerEntry.objects.get(pk=entry.pk).note == ""


def test_the_ledger_admin_is_read_only(client, issued_term, branch):
    from django.contrib import admin

    from perks.admin import LedgerEntryAdmin

    admin_user = make_staff(branch, "admin").user
    model_admin = LedgerEntryAdmin(LedgerEntry, admin.site)

    class Request:
        user = admin_user

    assert not model_admin.has_add_permission(Request())
    assert not model_admin.has_change_permission(Request(), LedgerEntry.objects.first())
    assert not model_admin.has_delete_permission(Request(), LedgerEntry.objects.first())


def test_once_per_term_kinds_are_unique_in_the_database(issued_term):
    oil = issued_term.entitlements.get(kind=PerkKind.OIL)
    with pytest.raises(IntegrityError), transaction.atomic():
        Entitlement.objects.create(
            term=issued_term, vehicle=oil.vehicle, owner=oil.owner, branch=oil.branch, kind=PerkKind.OIL,
            valid_from=oil.valid_from, valid_until=oil.valid_until + timedelta(days=1),
        )  # fmt: skip
