"""What an inbox card shows: the request, the customer's value, the branch's discount mix — enough to decide
from the card alone (ui/NOTES.md §2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.utils import timezone

from followups import rules
from followups.forms import DecisionForm
from followups.models import Case, Quote, QuoteStatus
from followups.models.cases import EXCLUSION_REASONS, REVIEW_STATES
from followups.views.presenters import LEVEL_ROLE_NAME, DaysToT, ladder, percent, svg_pct
from policies.models import Staff, VehicleTerm
from renewal_desk.roles import Role

ROLE_LABELS = dict(Role.choices)
CATEGORY_LABELS = {1: "本店出单", 2: "他店·资料全", 3: "他店·仅电话", 4: "他店·近两年返厂"}


def role_label(staff: Staff) -> str:
    roles = staff.roles
    for role in Role.values:
        if role in roles:
            return ROLE_LABELS[role]
    return ""


# ── the branch's discount mix this month (by sale month, as the 战报表 counts it) ─────────────────────


@dataclass
class MixRow:
    label: str
    count: int
    share: Fraction | None
    width: str  # SVG %
    current: bool = False

    @property
    def share_text(self) -> str:
        return percent(self.share, 0) if self.share is not None else "—"


@dataclass
class DiscountMix:
    rows: list[MixRow]
    total: int
    average: Decimal | None
    target: str  # SVG % of the 20% target line
    target_text: str
    month: date

    @property
    def average_text(self) -> str:
        return percent(self.average) if self.average is not None else ""


def branch_discount_mix(branch_id: int, today: date) -> DiscountMix | None:
    """The final accepted quote of each 续回 sold this month at the branch, in the 战报表's buckets."""
    try:
        from reports.selectors.figures import (
            DISCOUNT_BUCKET_LABELS,
            DISCOUNT_TARGET_SHARE,
            discount_bucket,
        )
        from reports.selectors.monthly import final_accepted_discount, sold_in_month
    except ImportError:
        return None
    from renewal_desk.months import month_start

    now = timezone.now()
    rates = [
        Fraction(rate) if rate is not None else None
        for rate in sold_in_month(month_start(today), now, [branch_id])
        .annotate(final_discount=final_accepted_discount(now))
        .values_list("final_discount", flat=True)
    ]
    quoted = [rate for rate in rates if rate is not None]
    counts = [0] * len(DISCOUNT_BUCKET_LABELS)
    for rate in quoted:
        counts[discount_bucket(rate)] += 1
    total = len(quoted)
    scale = Fraction(1, 2)  # the bars run 0–50%, so the 20% target sits well inside
    rows = []
    for label, count in zip(DISCOUNT_BUCKET_LABELS, counts, strict=True):
        share = Fraction(count, total) if total else None
        width = min(share or Fraction(0), scale) / scale * 100
        rows.append(MixRow(label=label.replace("让利 ", ""), count=count, share=share, width=svg_pct(float(width))))
    average = None
    if quoted:
        exact = sum(quoted, Fraction(0)) / len(quoted)
        average = Decimal(exact.numerator) / Decimal(exact.denominator)
    return DiscountMix(
        rows=rows,
        total=total,
        average=average,
        target=svg_pct(float(DISCOUNT_TARGET_SHARE / scale * 100)),
        target_text=percent(DISCOUNT_TARGET_SHARE, 0),
        month=month_start(today),
    )


def _current_bucket(rate: Decimal) -> int | None:
    try:
        from reports.selectors.figures import discount_bucket
    except ImportError:
        return None
    return discount_bucket(Fraction(rate))


# ── customer value ────────────────────────────────────────────────────────────────────────────────────


def loyalty(term: VehicleTerm | None) -> tuple[int | None, int | None, int | None]:
    """(streak, cumulative, streak that earns the loyalty voucher) for the expiring term, from the perks rules."""
    if term is None:
        return None, None, None
    try:
        from perks.rules import DEFAULT_TERMS
        from perks.selectors import loyalty_counts_of
    except ImportError:
        return None, None, None
    counts = loyalty_counts_of(term)
    return counts.streak, counts.cumulative, DEFAULT_TERMS.loyalty_streak


@dataclass
class QuoteCard(DaysToT):
    quote: Quote
    case: Case
    staff: Staff
    today: date
    mix: DiscountMix | None
    form: DecisionForm | None = None
    error: str = ""
    mix_rows: list[MixRow] = field(default_factory=list)

    def __post_init__(self):
        if self.mix is not None:
            current = _current_bucket(self.quote.discount_rate)
            self.mix_rows = [
                MixRow(row.label, row.count, row.share, row.width, current=index == current)
                for index, row in enumerate(self.mix.rows)
            ]

    @property
    def pending(self) -> bool:
        return self.quote.status == QuoteStatus.PENDING

    @property
    def own_request(self) -> bool:
        return self.quote.requested_by_id == self.staff.pk

    @property
    def rate_pct(self) -> str:
        return percent(self.quote.discount_rate)

    @property
    def level_name(self) -> str:
        return LEVEL_ROLE_NAME.get(self.quote.level, "")

    @property
    def ladder(self) -> dict:
        return ladder(self.quote.discount_rate)

    @property
    def requester_role(self) -> str:
        return role_label(self.quote.requested_by)

    @property
    def last_premium(self) -> Decimal | None:
        term = self.case.expiring_term
        return term.premium_total if term else None

    @property
    def loyalty(self):
        return loyalty(self.case.expiring_term)

    @property
    def loyalty_note(self) -> str:
        streak, _, reward_at = self.loyalty
        if streak is not None and reward_at and streak + 1 == reward_at:
            return f"本次续回将满 {reward_at} 年连续：另发忠诚奖励券。"
        return ""

    @property
    def category_label(self) -> str:
        return f"{self.case.category} · {CATEGORY_LABELS.get(self.case.category, '')}"

    @property
    def mix_in_bucket(self) -> MixRow | None:
        return next((row for row in self.mix_rows if row.current), None)


def quote_card(
    quote: Quote, *, staff: Staff, today: date, mix: DiscountMix | None, form=None, error: str = ""
) -> QuoteCard:
    return QuoteCard(quote=quote, case=quote.case, staff=staff, today=today, mix=mix, form=form, error=error)


@dataclass
class LossCard(DaysToT):
    case: Case
    staff: Staff
    today: date
    form: DecisionForm | None = None
    error: str = ""
    decided_label: str = ""
    contacts: list = field(default_factory=list)

    @property
    def pending(self) -> bool:
        return self.case.state in REVIEW_STATES and not self.decided_label

    @property
    def exclusion(self) -> bool:
        return self.case.reason in EXCLUSION_REASONS

    @property
    def kind_label(self) -> str:
        return "不可续" if self.exclusion else "战败"

    @property
    def own_proposal(self) -> bool:
        return self.case.proposed_by_id == self.staff.pk

    @property
    def proposer_role(self) -> str:
        return role_label(self.case.proposed_by) if self.case.proposed_by else ""

    @property
    def last_premium(self) -> Decimal | None:
        term = self.case.expiring_term
        return term.premium_total if term else None

    @property
    def effective_count(self) -> int:
        return sum(bool(getattr(self.case, f"checkpoint_{c}")) for c in rules.CHECKPOINTS)

    @property
    def category_label(self) -> str:
        return f"{self.case.category} · {CATEGORY_LABELS.get(self.case.category, '')}"


def loss_card(
    case: Case, *, staff: Staff, today: date, form=None, error: str = "", decided_label: str = ""
) -> LossCard:
    contacts = list(case.contacts.select_related("staff").order_by("-at", "-pk")[:4])
    return LossCard(
        case=case, staff=staff, today=today, form=form, error=error, decided_label=decided_label, contacts=contacts
    )
