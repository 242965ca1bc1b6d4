"""Customer perk rules (DOMAIN.md §6 and §12 "Perks") — pure: data in, decisions and amounts out, no Django.

Every number is a default (`PerkTerms`); the terms in force on a renewal's 签单日期 are copied onto each
ledger row (`PerkTerms.as_record`), so a later change never rewrites what a customer was given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from renewal_desk.months import add_months

CENT = Decimal("0.01")
OIL_CAP = 4  # division ceiling: buckets per vehicle-term, the standard bucket included (the DB checks it too)
MAX_EXTRA_BUCKETS = OIL_CAP - 1


@dataclass(frozen=True)
class PerkTerms:
    labour_rate: Decimal = Decimal("0.80")
    parts_rate: Decimal = Decimal("0.95")
    voucher_months: int = 6
    rescue_card_months: int = 12
    standard_oil_buckets: int = 1
    oil_cap: int = OIL_CAP
    deputy_gm_max_total: int = 3  # totals 2..3 need the deputy GM (or the GM); the cap needs the GM
    washes_per_term: int = 10
    reward_low_below: Decimal = Decimal("1000")  # premium < this → reward_low
    reward_high_above: Decimal = Decimal("5000")  # premium > this → reward_high; both edges inclusive in between
    reward_low: Decimal = Decimal("100.00")
    reward_mid: Decimal = Decimal("200.00")
    reward_high: Decimal = Decimal("500.00")
    loyalty_streak: int = 3
    loyalty_streak_reward: Decimal = Decimal("1000.00")
    loyalty_cumulative: int = 5
    loyalty_cumulative_reward: Decimal = Decimal("500.00")

    def as_record(self) -> dict[str, str | int]:
        """JSON-safe copy for a ledger row (Decimals as strings, so nothing is lost to floats)."""
        return {name: str(value) if isinstance(value, Decimal) else value for name, value in vars(self).items()}


DEFAULT_TERMS = PerkTerms()


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- validity ---------------------------------------------------------------------------------------


def voucher_valid_from(*, recorded_on: date, term_start: date) -> date:
    """A voucher's months run from the later of the day the 续回 was recorded and the term's start (§12)."""
    return max(recorded_on, term_start)


def voucher_valid_until(issued_on: date, terms: PerkTerms = DEFAULT_TERMS) -> date:
    """Last valid day: the corresponding day `voucher_months` later, clamped to the month's end.

    2024-08-31 → 2025-02-28; 2024-02-29 → 2024-08-29. Valid until 23:59:59 on that day.
    """
    return add_months(issued_on, terms.voucher_months)


def is_valid_on(day: date, *, valid_from: date, valid_until: date) -> bool:
    return valid_from <= day <= valid_until


def validity_refusal(day: date, *, valid_from: date, valid_until: date) -> str | None:
    if day < valid_from:
        return f"尚未生效（自 {valid_from:%Y-%m-%d} 起可用）"
    if day > valid_until:
        return f"已过期（有效期至 {valid_until:%Y-%m-%d}）"
    return None


# --- premium reward ---------------------------------------------------------------------------------


def premium_reward(premium: Decimal, terms: PerkTerms = DEFAULT_TERMS) -> Decimal:
    """Reward voucher by the renewed term's premium (交强 + 商业, 车船税 excluded): <1000 → 100;
    1000–5000 inclusive → 200; >5000 → 500."""
    if premium < terms.reward_low_below:
        return terms.reward_low
    if premium > terms.reward_high_above:
        return terms.reward_high
    return terms.reward_mid


# --- extra oil --------------------------------------------------------------------------------------


class OilLevel(StrEnum):
    NONE = "none"  # the standard bucket alone: nothing to approve
    DEPUTY_GM = "deputy_gm"
    GM = "gm"
    REFUSED = "refused"


OIL_LEVEL_LABELS = {
    OilLevel.NONE: "无需审批",
    OilLevel.DEPUTY_GM: "副总经理审批",
    OilLevel.GM: "总经理审批",
    OilLevel.REFUSED: "超过上限，拒绝",
}


def oil_approval_level(total: int, terms: PerkTerms = DEFAULT_TERMS) -> OilLevel:
    """The level is decided by the total the request would reach (granted so far + requested, standard
    bucket included): ≤1 nothing; 2–3 deputy GM or GM; 4 GM; more than 4 refused."""
    if total > terms.oil_cap:
        return OilLevel.REFUSED
    if total <= terms.standard_oil_buckets:
        return OilLevel.NONE
    if total <= terms.deputy_gm_max_total:
        return OilLevel.DEPUTY_GM
    return OilLevel.GM


def role_covers(level: OilLevel, roles: frozenset[str] | set[str]) -> bool:
    """Authority is a ladder: the GM may approve anything the deputy GM may."""
    if level == OilLevel.REFUSED:
        return False
    if level == OilLevel.NONE:
        return True
    if "gm" in roles:
        return True
    return level == OilLevel.DEPUTY_GM and "deputy_gm" in roles


def oil_request_refusal(*, granted: int, requested: int, terms: PerkTerms = DEFAULT_TERMS) -> str | None:
    if requested < 1:
        return "至少申请 1 桶"
    total = granted + requested
    if total > terms.oil_cap:
        return f"本期已有 {granted} 桶，再申请 {requested} 桶合计 {total} 桶，超过上限 {terms.oil_cap} 桶"
    return None


# --- loyalty ----------------------------------------------------------------------------------------

NEW = "new"
RENEWAL = "renewal"
LAPSED = "lapsed"


@dataclass(frozen=True)
class TermRecord:
    """One vehicle-term in the vehicle's history: who owned it and how it was renewed."""

    owner_key: object
    renewal_kind: str  # new | renewal | lapsed


@dataclass(frozen=True)
class LoyaltyCounts:
    streak: int
    cumulative: int


def loyalty_counts(history: Sequence[TermRecord]) -> LoyaltyCounts:
    """Counts for the last term of `history` (chronological, the vehicle's terms up to this one).

    Only the run of terms since the latest change of owner counts (a new owner restarts both counts).
    cumulative = 续回 in that run; streak = renewals since the latest lapsed renewal or new business
    (a 脱保续回 counts as a 续回 but resets the streak to 0).
    """
    if not history:
        return LoyaltyCounts(0, 0)
    owner = history[-1].owner_key
    streak = cumulative = 0
    for record in history:
        if record.owner_key != owner:
            streak = cumulative = 0
            continue
        if record.renewal_kind == RENEWAL:
            streak += 1
            cumulative += 1
        elif record.renewal_kind == LAPSED:
            streak = 0
            cumulative += 1
        else:
            streak = 0
    return LoyaltyCounts(streak=streak, cumulative=cumulative)


class LoyaltyReward(StrEnum):
    STREAK_VOUCHER = "loyalty_streak"  # 1000 voucher at a 3-renewal streak
    CUMULATIVE_VOUCHER = "loyalty_cumulative"  # 500 voucher at 5 cumulative renewals
    INSPECTION = "inspection"  # free annual inspection, with the 500


def loyalty_rewards(counts: LoyaltyCounts, terms: PerkTerms = DEFAULT_TERMS) -> list[LoyaltyReward]:
    """What this renewal earns: exactly at the threshold (earlier crossings, e.g. before go-live, earn nothing
    now); both on one renewal if both are reached. Once per vehicle and owner is the database's job."""
    rewards: list[LoyaltyReward] = []
    if counts.streak == terms.loyalty_streak:
        rewards.append(LoyaltyReward.STREAK_VOUCHER)
    if counts.cumulative == terms.loyalty_cumulative:
        rewards += [LoyaltyReward.INSPECTION, LoyaltyReward.CUMULATIVE_VOUCHER]
    return rewards


def loyalty_face_value(reward: LoyaltyReward, terms: PerkTerms = DEFAULT_TERMS) -> Decimal:
    return {
        LoyaltyReward.STREAK_VOUCHER: terms.loyalty_streak_reward,
        LoyaltyReward.CUMULATIVE_VOUCHER: terms.loyalty_cumulative_reward,
        LoyaltyReward.INSPECTION: Decimal("0.00"),
    }[reward]


# --- washes -----------------------------------------------------------------------------------------


def washes_for_term(*, branch_offers_washes: bool, terms: PerkTerms = DEFAULT_TERMS) -> int:
    return terms.washes_per_term if branch_offers_washes else 0


def wash_refusal(*, issued: int, redeemed: int, branch_offers_washes: bool) -> str | None:
    """The 11th wash of a term is charged; only branches that offer washes redeem them."""
    if not branch_offers_washes:
        return "本门店不提供免费洗车"
    if issued == 0:
        return "本期没有免费洗车权益"
    if redeemed >= issued:
        return f"本期 {issued} 次免费洗车已用完，第 {issued + 1} 次起收费"
    return None


# --- rescue -----------------------------------------------------------------------------------------


def normalise_city(city: str) -> str:
    text = (city or "").strip().replace(" ", "")
    return text[:-1] if len(text) > 2 and text.endswith("市") else text


def rescue_is_free(city: str, rescue_cities: Sequence[str]) -> bool:
    wanted = normalise_city(city)
    return bool(wanted) and wanted in {normalise_city(c) for c in rescue_cities}


# --- repair bill ------------------------------------------------------------------------------------


class LineKind(StrEnum):
    LABOUR = "labour"  # 工时
    PARTS = "parts"  # 材料
    BODYWORK = "bodywork"  # 钣喷协议价: negotiated, never discounted


class Payer(StrEnum):
    CUSTOMER = "self"  # 自费
    CLAIM = "claim"  # 理赔


LINE_KIND_LABELS = {LineKind.LABOUR: "工时", LineKind.PARTS: "材料", LineKind.BODYWORK: "钣喷协议价"}
PAYER_LABELS = {Payer.CUSTOMER: "自费", Payer.CLAIM: "理赔"}


@dataclass(frozen=True)
class BillLine:
    kind: LineKind
    payer: Payer
    amount: Decimal

    @property
    def discountable(self) -> bool:
        return self.payer == Payer.CUSTOMER and self.kind in (LineKind.LABOUR, LineKind.PARTS)


class PricingChoice(StrEnum):
    NONE = "none"
    CARD = "card"
    PROMOTION = "promotion"


@dataclass(frozen=True)
class BillPricing:
    list_total: Decimal
    card_total: Decimal | None  # None: the card does not apply (no live card for the order date)
    promotion_total: Decimal | None  # None: no promotion
    choice: PricingChoice
    total: Decimal
    card_discount: Decimal  # what the card gave (recorded as its cost); 0 unless the card was used
    explanation: str


def _card_price(line: BillLine, terms: PerkTerms) -> Decimal:
    if not line.discountable:
        return line.amount
    rate = terms.labour_rate if line.kind == LineKind.LABOUR else terms.parts_rate
    return money(line.amount * rate)


def _promotion_price(line: BillLine, factor: Decimal) -> Decimal:
    # The promotion covers the same lines as the card: 自费 labour and parts, never 钣喷协议价 or claims.
    return money(line.amount * factor) if line.discountable else line.amount


def price_bill(
    lines: Sequence[BillLine],
    *,
    card_applies: bool,
    promotion_percent: Decimal | None = None,
    terms: PerkTerms = DEFAULT_TERMS,
) -> BillPricing:
    """Labour ×0.8 and parts ×0.95 on 自费 lines (each line rounded half-up to the fen). With a promotion the
    bill is priced once with the card and once with the promotion and the lower total is used for the whole
    bill — a tie uses the promotion — never the product of both (no stacking)."""
    for line in lines:
        if line.amount < 0:
            raise ValueError("金额不能为负数")
    if promotion_percent is not None and not (Decimal("0") <= promotion_percent < Decimal("100")):
        raise ValueError("活动折扣须在 0–100% 之间")
    list_total = money(sum((line.amount for line in lines), Decimal("0")))
    card_total = money(sum((_card_price(line, terms) for line in lines), Decimal("0"))) if card_applies else None
    promotion_total = None
    if promotion_percent is not None:
        factor = (Decimal("100") - promotion_percent) / Decimal("100")
        promotion_total = money(sum((_promotion_price(line, factor) for line in lines), Decimal("0")))

    if card_total is not None and (promotion_total is None or card_total < promotion_total):
        if card_total == list_total:
            return BillPricing(list_total, card_total, promotion_total, PricingChoice.NONE, list_total,
                               Decimal("0.00"), "没有可打折的自费工时或材料")  # fmt: skip
        explanation = f"续保折扣卡：工时 ×{terms.labour_rate}、材料 ×{terms.parts_rate}（自费）"
        if promotion_total is not None:
            explanation += f"，低于活动价 {promotion_total}"
        return BillPricing(list_total, card_total, promotion_total, PricingChoice.CARD, card_total,
                           list_total - card_total, explanation)  # fmt: skip
    if promotion_total is not None:
        explanation = f"活动折扣 {promotion_percent}%"
        if card_total is not None:
            explanation += (
                "（与折扣卡价相同，按活动价，不记折扣卡核销）"
                if card_total == promotion_total
                else (f"，低于折扣卡价 {card_total}")
            )
        return BillPricing(list_total, card_total, promotion_total, PricingChoice.PROMOTION, promotion_total,
                           Decimal("0.00"), explanation)  # fmt: skip
    return BillPricing(list_total, None, None, PricingChoice.NONE, list_total, Decimal("0.00"),
                       "该维修单开单日不在有效续保期内，无折扣卡")  # fmt: skip
