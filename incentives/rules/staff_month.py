"""One payout line (DOMAIN.md §8 payout sheet): a staff member's month assembled from the components.

The payout service gathers the counts with SQL, computes the group-wide pieces (team award shares, rank
awards) once for everyone, and calls `compute_staff_month` per person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from incentives.rules.amounts import format_money, round_money
from incentives.rules.awards import SpecialAward, leader_penalty, special_awards_total
from incentives.rules.components import ChannelCounts, commission_total, ramp_bonus, salary_bonus, specialist_bonus
from incentives.rules.explained import NOT_APPLICABLE, Explained, zero
from incentives.rules.ruleset import RuleSet


@dataclass(frozen=True)
class BonusInputs:
    """系数奖金 inputs of the cases assigned to the person (cohort of T): 可续, 续回, 全保 renewals."""

    renewable: int
    renewed: int
    full_cover: int


@dataclass(frozen=True)
class SalaryInputs:
    """续保率奖金 inputs: 应续 and 续回 of the assigned cases, and the monthly base salary."""

    due: int
    renewed: int
    base_salary: Decimal


@dataclass(frozen=True)
class RampInputs:
    """破冰奖励 inputs for a lead; see `ramp_bonus` for the meaning of each count."""

    month_number: int | None
    branch_window_before: int
    branch_this_month: int
    lead_this_month: ChannelCounts
    lead_window_before: ChannelCounts


@dataclass(frozen=True)
class LedTeam:
    """Satisfaction figures of the team this person leads (组长), for the penalty."""

    team_score: Decimal | Fraction | int | None
    team_target: Decimal | Fraction | int | None
    team_scores_of_branch: Sequence[Decimal | Fraction | int]


@dataclass(frozen=True)
class StaffMonth:
    """Everything one person's payout line needs; a missing part means the component does not apply (0)."""

    employee_no: str
    commission_counts: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (role, channel) → renewals
    ramp: RampInputs | None = None
    bonus: BonusInputs | None = None
    salary: SalaryInputs | None = None
    team_award_shares: Sequence[Explained] = ()  # this person's shares (department, team) from `split_award`
    rank_award: Explained | None = None  # this person's entry of `rank_awards`, if ranked
    special_awards: Sequence[SpecialAward] = ()
    led_team: LedTeam | None = None


@dataclass(frozen=True)
class PayoutLine:
    employee_no: str
    commission: Explained  # 提成
    ramp: Explained  # 破冰奖励
    bonus: Explained  # 系数奖金
    salary: Explained  # 续保率奖金
    team: Explained  # 团队奖励
    rank: Explained  # 排名奖励
    special: Explained  # 专项奖励
    penalty: Explained  # 扣款, positive
    rule_version: str | None

    @property
    def bonuses(self) -> Decimal:
        """奖金类合计: the base of the leader penalty (§7 PENALTY)."""
        return self.bonus.amount + self.salary.amount + self.team.amount + self.rank.amount + self.special.amount

    @property
    def total(self) -> Decimal:
        """合计 = the sum of the rounded components − 扣款."""
        return self.commission.amount + self.ramp.amount + self.bonuses - self.penalty.amount

    def columns(self) -> list[tuple[str, Explained]]:
        """The amount columns of the payout sheet, in its order (合计 is `total`)."""
        return [
            ("提成", self.commission),
            ("破冰奖励", self.ramp),
            ("系数奖金", self.bonus),
            ("续保率奖金", self.salary),
            ("团队奖励", self.team),
            ("排名奖励", self.rank),
            ("专项奖励", self.special),
            ("扣款", self.penalty),
        ]


def compute_staff_month(month: StaffMonth, *, rules: RuleSet, rule_version: str | None = None) -> PayoutLine:
    def not_applicable() -> Explained:
        return zero(NOT_APPLICABLE, rule_version=rule_version)

    commission = commission_total(month.commission_counts, rules, rule_version=rule_version)
    ramp = (
        not_applicable()
        if month.ramp is None
        else ramp_bonus(
            month_number=month.ramp.month_number,
            branch_window_before=month.ramp.branch_window_before,
            branch_this_month=month.ramp.branch_this_month,
            lead_this_month=month.ramp.lead_this_month,
            lead_window_before=month.ramp.lead_window_before,
            rules=rules,
            rule_version=rule_version,
        )
    )
    bonus = (
        not_applicable()
        if month.bonus is None
        else specialist_bonus(
            renewable=month.bonus.renewable,
            renewed=month.bonus.renewed,
            full_cover=month.bonus.full_cover,
            rules=rules,
            rule_version=rule_version,
        )
    )
    salary = (
        not_applicable()
        if month.salary is None
        else salary_bonus(
            due=month.salary.due,
            renewed=month.salary.renewed,
            base_salary=month.salary.base_salary,
            rules=rules,
            rule_version=rule_version,
        )
    )
    team = _team_column(month.team_award_shares, rule_version)
    rank = month.rank_award if month.rank_award is not None else not_applicable()
    special = special_awards_total(month.special_awards, rules, rule_version=rule_version)
    bonuses = bonus.amount + salary.amount + team.amount + rank.amount + special.amount
    penalty = (
        not_applicable()
        if month.led_team is None
        else leader_penalty(
            leader_bonuses=bonuses,
            team_score=month.led_team.team_score,
            team_target=month.led_team.team_target,
            team_scores_of_branch=month.led_team.team_scores_of_branch,
            rules=rules,
            rule_version=rule_version,
        )
    )
    return PayoutLine(
        employee_no=month.employee_no,
        commission=commission,
        ramp=ramp,
        bonus=bonus,
        salary=salary,
        team=team,
        rank=rank,
        special=special,
        penalty=penalty,
        rule_version=rule_version,
    )


def _team_column(shares: Sequence[Explained], rule_version: str | None) -> Explained:
    if not shares:
        return zero(NOT_APPLICABLE, rule_version=rule_version)
    if len(shares) == 1:
        return shares[0]
    # Each share is already rounded to the fen: the column is their plain sum.
    return Explained(
        amount=round_money(sum((share.amount for share in shares), Decimal(0))),
        formula=" + ".join(format_money(share.amount) for share in shares),
        inputs={"shares": tuple(shares)},
        band="；".join(f"{share.band}（{share.formula}）" for share in shares),
        rule_version=rule_version,
    )
