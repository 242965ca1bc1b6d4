"""The figures of one branch (or the division) for one month: counts in, exact rates out.

Division rows are sums of branch rows, so its rates are pooled (Σ numerators ÷ Σ denominators) by construction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction

from followups.models.cases import EXCLUSION_REASONS, OPEN_STATES, REVIEW_STATES, CaseState, FailureReason
from reports.rates import change_points, ratio

CATEGORIES = (1, 2, 3, 4)
CATEGORY_LABELS = {1: "本店出单", 2: "外店·保单资料全", 3: "外店·仅有电话", 4: "外店·2年内返厂"}
# Default targets of DOMAIN.md §3, used when no 目标台数 was imported or edited for the branch and month.
CATEGORY_TARGET_PERCENT = {1: Fraction(75, 100), 2: Fraction(30, 100), 3: Fraction(20, 100), 4: Fraction(20, 100)}

REASONS = list(FailureReason)
REASON_LABELS = {reason.value: reason.label for reason in FailureReason}

# Discount buckets of DOMAIN.md §12: 0 | (0,8%] | (8,10%] | (10,13%] | (13,14%], target 20% each (§5).
DISCOUNT_BUCKETS = ("0", "(0,8%]", "(8,10%]", "(10,13%]", "(13,14%]")
DISCOUNT_BUCKET_LABELS = ("让利 0%", "让利 8%", "让利 10%", "让利 13%", "让利 14%")
DISCOUNT_UPPER_EDGES = (Fraction(0), Fraction(8, 100), Fraction(10, 100), Fraction(13, 100), Fraction(14, 100))
DISCOUNT_TARGET_SHARE = Fraction(1, 5)
DISCOUNT_DEVIATION_POINTS = 5  # deviations above this are coloured on the dashboard


def discount_bucket(rate: Fraction) -> int:
    for index, upper in enumerate(DISCOUNT_UPPER_EDGES):
        if rate <= upper:
            return index
    return len(DISCOUNT_UPPER_EDGES) - 1  # the database refuses d > 14%; never drop a renewal from the mix


@dataclass
class Counts:
    """Cohort counts (T in the month) as of the cut-off."""

    due: int = 0  # 应续: cases
    excluded: int = 0  # approved exclusions (reasons marked *)
    renewed: int = 0  # 续回
    full_cover: int = 0  # 续回 with 全保
    lost: int = 0  # 战败, reviewed (exclusions included)
    in_review: int = 0  # 战败待审 / 不可续待审
    open: int = 0  # still being worked
    reasons: dict[str, int] = field(default_factory=dict)  # reviewed 战败 by reason

    def add_case_group(self, *, state: str, reason: str, full_cover: bool | None, count: int) -> None:
        self.due += count
        if state == CaseState.RENEWED:
            self.renewed += count
            if full_cover:
                self.full_cover += count
        elif state in (CaseState.LOST, CaseState.EXCLUDED):
            self.lost += count
            self.reasons[reason] = self.reasons.get(reason, 0) + count
            if state == CaseState.EXCLUDED or reason in EXCLUSION_REASONS:
                self.excluded += count
        elif state in REVIEW_STATES:
            self.in_review += count
        elif state in OPEN_STATES:
            self.open += count

    def add(self, other: Counts) -> None:
        for name in ("due", "excluded", "renewed", "full_cover", "lost", "in_review", "open"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, count in other.reasons.items():
            self.reasons[reason] = self.reasons.get(reason, 0) + count

    @property
    def renewable(self) -> int:  # 可续
        return self.due - self.excluded

    @property
    def unresolved(self) -> int:  # 未结: open or waiting for review
        return self.open + self.in_review

    @property
    def rate_due(self) -> Fraction | None:  # 续保率 ÷ 应续
        return ratio(self.renewed, self.due)

    @property
    def rate_renewable(self) -> Fraction | None:  # 续保率 ÷ 可续 (达成率)
        return ratio(self.renewed, self.renewable)

    @property
    def full_cover_rate(self) -> Fraction | None:  # 全保率
        return ratio(self.full_cover, self.renewed)

    def rate(self, basis: str) -> Fraction | None:
        return self.rate_renewable if basis == "renewable" else self.rate_due

    def reason_share(self, reason: str) -> Fraction | None:
        return ratio(self.reasons.get(reason, 0), self.lost)


@dataclass
class CategoryFigures:
    category: int
    due: int = 0
    renewed: int = 0
    target_override: int | None = None  # an imported or edited 目标台数

    @property
    def percent(self) -> Fraction:
        return CATEGORY_TARGET_PERCENT[self.category]

    @property
    def target(self) -> int:
        if self.target_override is not None:
            return self.target_override
        return math.ceil(self.percent * self.due)

    @property
    def target_source(self) -> str:
        return "目标台数" if self.target_override is not None else f"⌈{self.percent * 100}% × 应续⌉"

    @property
    def gap(self) -> int:  # + over, − short, in vehicles
        return self.renewed - self.target

    @property
    def rate(self) -> Fraction | None:
        return ratio(self.renewed, self.due)

    def add(self, other: CategoryFigures) -> None:
        self.due += other.due
        self.renewed += other.renewed
        # The division's target is the sum of its branches' targets (DOMAIN.md §12), whatever each came from.
        self.target_override = (self.target_override or 0) + other.target


@dataclass
class SaleFigures:
    """Renewals sold in the month (签单月), whatever their T month: the channel split's own totals."""

    store: int = 0
    telesales: int = 0

    @property
    def total(self) -> int:
        return self.store + self.telesales

    @property
    def store_share(self) -> Fraction | None:
        return ratio(self.store, self.total)

    @property
    def telesales_share(self) -> Fraction | None:
        return ratio(self.telesales, self.total)

    def add(self, other: SaleFigures) -> None:
        self.store += other.store
        self.telesales += other.telesales


@dataclass
class DiscountMix:
    """The final accepted quote of each 续回 sold in the month, by discount bucket."""

    buckets: list[int] = field(default_factory=lambda: [0] * len(DISCOUNT_BUCKETS))
    no_quote: int = 0  # renewals sold without an accepted quote on the desk (imported, for instance)

    @property
    def total(self) -> int:
        return sum(self.buckets)

    def share(self, index: int) -> Fraction | None:
        return ratio(self.buckets[index], self.total)

    def deviation_points(self, index: int) -> Fraction | None:
        return change_points(self.share(index), DISCOUNT_TARGET_SHARE)

    def add(self, other: DiscountMix) -> None:
        self.buckets = [mine + theirs for mine, theirs in zip(self.buckets, other.buckets, strict=True)]
        self.no_quote += other.no_quote


@dataclass
class BranchMonth:
    branch_id: int | None  # None = the division
    code: str
    name: str
    cohort: Counts = field(default_factory=Counts)
    previous: Counts = field(default_factory=Counts)
    categories: dict[int, CategoryFigures] = field(default_factory=lambda: {c: CategoryFigures(c) for c in CATEGORIES})
    sales: SaleFigures = field(default_factory=SaleFigures)
    mix: DiscountMix = field(default_factory=DiscountMix)

    @property
    def is_division(self) -> bool:
        return self.branch_id is None

    def change_points(self, basis: str = "due") -> Fraction | None:
        """Change of 续保率 on last month in percentage points; none when last month had no cases."""
        if not self.previous.due:
            return None
        return change_points(self.cohort.rate(basis), self.previous.rate(basis))

    def add(self, other: BranchMonth) -> None:
        self.cohort.add(other.cohort)
        self.previous.add(other.previous)
        for category in CATEGORIES:
            self.categories[category].add(other.categories[category])
        self.sales.add(other.sales)
        self.mix.add(other.mix)


@dataclass
class StaffRow:
    """One person of the 员工 sheet: assigned cases of the cohort, and credited renewals sold in the month."""

    branch_id: int
    branch_name: str
    staff_id: int
    employee_no: str
    name: str
    roles: str
    cohort: Counts = field(default_factory=Counts)
    credited_store: int = 0
    credited_telesales: int = 0


@dataclass
class MonthReport:
    month: date
    cut_off: datetime
    branches: list[BranchMonth]
    division: BranchMonth | None  # present when every branch is in the report
    staff: list[StaffRow]

    @property
    def rows(self) -> list[BranchMonth]:
        """Branch rows, then the division total when there is one."""
        return [*self.branches, *([self.division] if self.division else [])]

    @property
    def total(self) -> BranchMonth:
        """The figure the page headlines: the division, or the single branch shown."""
        if self.division is not None:
            return self.division
        combined = BranchMonth(None, "", "合计")
        for row in self.branches:
            combined.add(row)
        return combined if len(self.branches) != 1 else self.branches[0]

    def row_for(self, branch_id: int | None) -> BranchMonth:
        for row in self.rows:
            if row.branch_id == branch_id:
                return row
        raise KeyError(branch_id)
