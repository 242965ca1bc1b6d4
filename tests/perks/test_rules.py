"""Table-driven tests of the pure perk rules (no database)."""

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perks import rules
from perks.rules import BillLine, LineKind, OilLevel, Payer, PricingChoice, TermRecord

# --- validity ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued", "last_day"),
    [
        (date(2024, 8, 31), date(2025, 2, 28)),  # the spec's own example: clamped to February's end
        (date(2024, 2, 29), date(2024, 8, 29)),  # leap day: the corresponding day exists in August
        (date(2023, 8, 31), date(2024, 2, 29)),  # clamped to a leap February
        (date(2024, 3, 31), date(2024, 9, 30)),  # 31st into a 30-day month
        (date(2024, 1, 31), date(2024, 7, 31)),
        (date(2025, 1, 15), date(2025, 7, 15)),
        (date(2025, 7, 1), date(2026, 1, 1)),  # across the year end
        (date(2024, 12, 31), date(2025, 6, 30)),
    ],
)
def test_voucher_is_valid_until_the_corresponding_day_six_months_later(issued, last_day):
    assert rules.voucher_valid_until(issued) == last_day


@pytest.mark.parametrize(
    ("recorded_on", "term_start", "valid_from"),
    [
        (date(2025, 6, 20), date(2025, 7, 1), date(2025, 7, 1)),  # recorded ahead: runs from the term's start
        (date(2025, 7, 9), date(2025, 7, 1), date(2025, 7, 9)),  # recorded late (an import): from the recording
        (date(2025, 7, 1), date(2025, 7, 1), date(2025, 7, 1)),
    ],
)
def test_voucher_runs_from_the_later_of_recording_and_term_start(recorded_on, term_start, valid_from):
    assert rules.voucher_valid_from(recorded_on=recorded_on, term_start=term_start) == valid_from


@pytest.mark.parametrize(
    ("day", "refused"),
    [
        (date(2025, 6, 30), "尚未生效"),
        (date(2025, 7, 1), None),
        (date(2026, 1, 1), None),  # the last day itself is valid (until 23:59:59)
        (date(2026, 1, 2), "已过期"),
    ],
)
def test_validity_edges(day, refused):
    refusal = rules.validity_refusal(day, valid_from=date(2025, 7, 1), valid_until=date(2026, 1, 1))
    assert (refusal is None) if refused is None else (refused in refusal)


# --- premium reward ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("premium", "reward"),
    [
        (D("0.00"), D("100.00")),
        (D("999.99"), D("100.00")),
        (D("1000.00"), D("200.00")),  # 1000–5000 inclusive
        (D("3200.50"), D("200.00")),
        (D("5000.00"), D("200.00")),
        (D("5000.01"), D("500.00")),
        (D("5462.00"), D("500.00")),
    ],
)
def test_premium_reward_band(premium, reward):
    assert rules.premium_reward(premium) == reward


# --- extra oil -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "level"),
    [
        (0, OilLevel.NONE),
        (1, OilLevel.NONE),  # the standard bucket alone
        (2, OilLevel.DEPUTY_GM),
        (3, OilLevel.DEPUTY_GM),
        (4, OilLevel.GM),
        (5, OilLevel.REFUSED),
        (9, OilLevel.REFUSED),
    ],
)
def test_oil_approval_level_is_decided_by_the_total(total, level):
    assert rules.oil_approval_level(total) == level


@pytest.mark.parametrize(
    ("level", "roles", "covers"),
    [
        (OilLevel.DEPUTY_GM, {"deputy_gm"}, True),
        (OilLevel.DEPUTY_GM, {"gm"}, True),  # the GM may approve anything the deputy GM may
        (OilLevel.GM, {"deputy_gm"}, False),
        (OilLevel.GM, {"gm"}, True),
        (OilLevel.DEPUTY_GM, {"manager"}, False),
        (OilLevel.DEPUTY_GM, {"admin", "division"}, False),
        (OilLevel.REFUSED, {"gm"}, False),
    ],
)
def test_approver_role_must_cover_the_level(level, roles, covers):
    assert rules.role_covers(level, roles) is covers


@pytest.mark.parametrize(
    ("granted", "requested", "refused"),
    [(1, 1, False), (1, 3, False), (2, 2, False), (3, 1, False), (3, 2, True), (4, 1, True), (1, 0, True)],
)
def test_a_request_past_the_cap_is_refused(granted, requested, refused):
    assert (rules.oil_request_refusal(granted=granted, requested=requested) is not None) is refused


# --- loyalty -------------------------------------------------------------------------------------

A, B = "owner-a", "owner-b"


def history(kinds: str, owner=A) -> list[TermRecord]:
    names = {"N": "new", "R": "renewal", "L": "lapsed"}
    return [TermRecord(owner, names[letter]) for letter in kinds]


@pytest.mark.parametrize(
    ("records", "streak", "cumulative"),
    [
        (history("N"), 0, 0),  # a new car's first term
        (history("NR"), 1, 1),
        (history("NRR"), 2, 2),
        (history("NRRR"), 3, 3),
        (history("NRRL"), 0, 3),  # a lapsed renewal counts but resets the streak
        (history("NRRLR"), 1, 4),
        (history("NRRLRR"), 2, 5),
        (history("NRRNR"), 1, 3),  # new business in between (not a renewal) breaks the streak too
        (history("RRR"), 3, 3),  # a won-back vehicle: its first term here is a 续回
        # A change of owner restarts both counts; the renewal at the change is the new owner's first 续回.
        (history("NRR") + history("RR", owner=B), 2, 2),
        (history("NRRRR") + history("R", owner=B) + history("R"), 1, 1),  # back to A: restarted again
        ([], 0, 0),
    ],
)
def test_loyalty_counts(records, streak, cumulative):
    assert rules.loyalty_counts(records) == rules.LoyaltyCounts(streak=streak, cumulative=cumulative)


S = rules.LoyaltyReward.STREAK_VOUCHER
C = rules.LoyaltyReward.CUMULATIVE_VOUCHER
INSPECT = rules.LoyaltyReward.INSPECTION


@pytest.mark.parametrize(
    ("streak", "cumulative", "rewards"),
    [
        (2, 2, []),
        (3, 3, [S]),  # 3-renewal streak → the 1000 voucher
        (4, 4, []),  # crossed earlier (before go-live, say): nothing now
        (1, 5, [INSPECT, C]),  # 5 cumulative → inspection + 500
        (5, 5, [INSPECT, C]),
        (3, 5, [S, INSPECT, C]),  # both on one renewal if both are reached
        (0, 6, []),
    ],
)
def test_loyalty_rewards_at_the_thresholds(streak, cumulative, rewards):
    assert rules.loyalty_rewards(rules.LoyaltyCounts(streak, cumulative)) == rewards


def test_loyalty_face_values():
    assert rules.loyalty_face_value(S) == D("1000.00")
    assert rules.loyalty_face_value(C) == D("500.00")


# --- washes and rescue ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued", "redeemed", "offers", "refusal"),
    [
        (10, 0, True, None),
        (10, 9, True, None),  # the 10th is free
        (10, 10, True, "第 11 次起收费"),
        (0, 0, True, "没有免费洗车"),
        (10, 3, False, "不提供免费洗车"),  # only branches that offer washes redeem them
    ],
)
def test_wash_rules(issued, redeemed, offers, refusal):
    result = rules.wash_refusal(issued=issued, redeemed=redeemed, branch_offers_washes=offers)
    assert (result is None) if refusal is None else (refusal in result)


def test_washes_per_term_only_where_the_branch_offers_them():
    assert rules.washes_for_term(branch_offers_washes=True) == 10
    assert rules.washes_for_term(branch_offers_washes=False) == 0


@pytest.mark.parametrize(
    ("city", "cities", "free"),
    [
        ("北京", ["北京"], True),
        ("北京市", ["北京"], True),
        (" 廊坊 ", ["北京", "廊坊市"], True),
        ("天津", ["北京"], False),
        ("", ["北京"], False),
    ],
)
def test_rescue_is_free_only_in_the_branch_rescue_cities(city, cities, free):
    assert rules.rescue_is_free(city, cities) is free


# --- repair bill ---------------------------------------------------------------------------------


def line(kind, amount, payer=Payer.CUSTOMER):
    return BillLine(LineKind(kind), payer, D(amount))


@pytest.mark.parametrize(
    ("lines", "promotion", "card", "choice", "total", "discount"),
    [
        ([line("labour", "1000.00")], None, True, PricingChoice.CARD, "800.00", "200.00"),
        ([line("parts", "1000.00")], None, True, PricingChoice.CARD, "950.00", "50.00"),
        ([line("bodywork", "1000.00")], None, True, PricingChoice.NONE, "1000.00", "0.00"),  # 钣喷协议价: never
        ([line("labour", "1000.00", Payer.CLAIM)], None, True, PricingChoice.NONE, "1000.00", "0.00"),  # 理赔
        ([line("labour", "500.00"), line("parts", "2000.00"), line("bodywork", "3000.00")], None, True,
         PricingChoice.CARD, "5300.00", "200.00"),  # 400 + 1900 + 3000
        # promotion 5% beats nothing on parts-heavy bills: card 0.95 on parts == promotion 5% → tie → promotion
        ([line("parts", "2000.00")], D("5"), True, PricingChoice.PROMOTION, "1900.00", "0.00"),
        # card better: labour-heavy; the promotion total 900 is higher than the card's 800
        ([line("labour", "1000.00")], D("10"), True, PricingChoice.CARD, "800.00", "200.00"),
        # promotion better: 25% off everything eligible
        ([line("labour", "1000.00"), line("parts", "1000.00")], D("25"), True, PricingChoice.PROMOTION,
         "1500.00", "0.00"),
        # exact tie on the whole bill → promotion, no card redemption: labour 1000×0.8 = 800 = 20% off
        ([line("labour", "1000.00")], D("20"), True, PricingChoice.PROMOTION, "800.00", "0.00"),
        # no card for this order (outside the term): the promotion alone, or the list price
        ([line("labour", "1000.00")], D("10"), False, PricingChoice.PROMOTION, "900.00", "0.00"),
        ([line("labour", "1000.00")], None, False, PricingChoice.NONE, "1000.00", "0.00"),
        # each discounted line rounded half-up to the fen: 333.33×0.8 = 266.664; 0.05×0.95 = 0.0475
        ([line("labour", "333.33"), line("parts", "0.05")], None, True, PricingChoice.CARD, "266.71", "66.67"),
    ],
)  # fmt: skip
def test_repair_bill_pricing(lines, promotion, card, choice, total, discount):
    pricing = rules.price_bill(lines, card_applies=card, promotion_percent=promotion)
    assert pricing.choice == choice
    assert pricing.total == D(total)
    assert pricing.card_discount == D(discount)


def test_the_card_and_a_promotion_never_stack():
    # labour 1000: card → 800, promotion 15% → 850; stacked would be 680. The bill is 800.
    pricing = rules.price_bill([line("labour", "1000.00")], card_applies=True, promotion_percent=D("15"))
    assert pricing.total == D("800.00")
    assert pricing.card_total == D("800.00") and pricing.promotion_total == D("850.00")


def test_negative_amounts_and_impossible_promotions_are_refused():
    with pytest.raises(ValueError, match="负数"):
        rules.price_bill([line("labour", "-1.00")], card_applies=True)
    with pytest.raises(ValueError, match="0–100%"):
        rules.price_bill([line("labour", "1.00")], card_applies=True, promotion_percent=D("100"))


amounts = st.decimals(min_value=D("0"), max_value=D("99999.99"), places=2, allow_nan=False, allow_infinity=False)
bill_lines = st.lists(
    st.builds(BillLine, st.sampled_from(list(LineKind)), st.sampled_from(list(Payer)), amounts), min_size=1, max_size=8
)


@given(lines=bill_lines, promotion=st.integers(min_value=0, max_value=99), card=st.booleans())
def test_the_bill_is_the_lower_single_price_never_below_either(lines, promotion, card):
    pricing = rules.price_bill(lines, card_applies=card, promotion_percent=D(promotion))
    candidates = [pricing.promotion_total] + ([pricing.card_total] if card else [])
    assert pricing.total == min(candidates)  # the single better discount…
    assert pricing.total <= pricing.list_total
    assert pricing.card_discount == (pricing.list_total - pricing.total if pricing.choice == PricingChoice.CARD else 0)
    if card and pricing.card_total == pricing.promotion_total:
        assert pricing.choice == PricingChoice.PROMOTION  # …a tie goes to the promotion
    fixed = sum((item.amount for item in lines if not item.discountable), D("0"))
    assert pricing.total >= fixed  # 钣喷协议价 and claim lines are never discounted


def test_terms_are_recorded_as_json_safe_values():
    record = rules.DEFAULT_TERMS.as_record()
    assert record["labour_rate"] == "0.80" and record["oil_cap"] == 4 and record["washes_per_term"] == 10
