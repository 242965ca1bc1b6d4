"""From gathered facts and one rule set to payout lines: the group-wide pieces (team award shares, rank awards)
are computed once, then the pure engine's `compute_staff_month` runs per person. No database access here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from incentives.errors import IncentiveError
from incentives.rules import (
    STORE,
    TELESALES,
    BonusInputs,
    Explained,
    LedTeam,
    PayoutLine,
    RampInputs,
    RuleSet,
    SalaryInputs,
    SpecialAward,
    StaffMonth,
    compute_staff_month,
    department_award,
    employee_order,
    explained_to_dict,
    format_percent,
    improvement_points,
    rank_awards,
    split_award,
    team_award,
)
from incentives.rules.amounts import format_plain
from incentives.rules.components import ChannelCounts
from incentives.services.facts import BranchMonthFacts, CaseFigures, GroupMonthFacts, RateFigures, StaffInfo
from renewal_desk.months import month_label, previous_month

COMPONENT_KEYS = ("commission", "ramp", "bonus", "salary", "team", "rank", "special", "penalty")


@dataclass(frozen=True)
class ComputedLine:
    staff: StaffInfo
    line: PayoutLine
    store_count: int
    telesales_count: int
    cases: CaseFigures | None
    commission_rates: tuple[tuple[str, str], ...] = ()  # ("callback.store", "20") for the credits used

    @property
    def total(self) -> Decimal:
        return self.line.total

    def amounts(self) -> dict[str, Decimal]:
        return {key: getattr(self.line, key).amount for key in COMPONENT_KEYS} | {"total": self.line.total}

    def explanation(self, *, month) -> dict[str, Any]:
        return {
            "month": month_label(month),
            "rule_version": self.line.rule_version,
            "components": {key: explained_to_dict(getattr(self.line, key)) for key in COMPONENT_KEYS},
            "renewals": {"store": self.store_count, "telesales": self.telesales_count},
            "cases": None
            if self.cases is None
            else {
                "due": self.cases.due,
                "renewable": self.cases.renewable,
                "renewed": self.cases.renewed,
                "full_cover": self.cases.full_cover,
            },
            "commission_rates": dict(self.commission_rates),
            "team": self.staff.team,
            "is_team_leader": self.staff.is_team_leader,
            "base_salary": str(self.staff.base_salary),
        }


def compute_lines(
    facts: BranchMonthFacts,
    group: GroupMonthFacts,
    rules: RuleSet,
    *,
    label: str,
    rank: Mapping[str, Explained] | None = None,
) -> list[ComputedLine]:
    """Every line of the branch's month, in 工号 order. `rank`: the group ranking's awards under these rules and
    label when already computed for another branch (the same for every branch paid by one version)."""
    if rank is None:
        rank = rank_awards(group.rank_entries, rules, rule_version=label)
    shares = _improvement_shares(facts, rules, label)
    in_window = facts.month_number is not None and 1 <= facts.month_number <= rules.ramp_months
    if in_window and not facts.ramp_gathered:
        raise IncentiveError("破冰期数据未收集（内部错误：收集时的破冰月数小于规则的破冰月数）。")
    scores = [score for score, _ in facts.satisfaction.values()]
    by_number = {info.employee_no: pk for pk, info in facts.staff.items()}
    lines: list[ComputedLine] = []
    for number in employee_order(list(by_number)):
        pk = by_number[number]
        info = facts.staff[pk]
        own_branch = info.branch_id == facts.branch.pk
        cases = facts.cases.get(pk)
        counts = facts.channel_counts.get(pk, {})
        ramp = None
        if in_window and (pk in facts.lead_this_month or pk in facts.lead_window_before):
            ramp = RampInputs(
                month_number=facts.month_number,
                branch_window_before=facts.branch_window_before,
                branch_this_month=facts.renewals_this_month,
                lead_this_month=facts.lead_this_month.get(pk, ChannelCounts()),
                lead_window_before=facts.lead_window_before.get(pk, ChannelCounts()),
            )
        led_team = None
        if own_branch and info.is_team_leader and info.team:
            score, target = facts.satisfaction.get(info.team, (None, None))
            led_team = LedTeam(team_score=score, team_target=target, team_scores_of_branch=scores)
        month = StaffMonth(
            employee_no=number,
            commission_counts=dict(facts.commission_counts.get(pk, {})),
            ramp=ramp,
            bonus=None
            if cases is None
            else BonusInputs(
                renewable=max(cases.renewable, cases.renewed), renewed=cases.renewed, full_cover=cases.full_cover
            ),
            salary=None
            if cases is None
            else SalaryInputs(due=cases.due, renewed=cases.renewed, base_salary=info.base_salary),
            team_award_shares=tuple(shares.get(number, ())) if own_branch else (),
            rank_award=rank.get(number) if own_branch else None,
            special_awards=tuple(
                SpecialAward(kind=kind, amount=amount, note=note)
                for kind, amount, note in facts.special_awards.get(pk, [])
            ),
            led_team=led_team,
        )
        try:
            line = compute_staff_month(month, rules=rules, rule_version=label)
        except ValueError as error:
            raise IncentiveError(f"{info.name}（{number}）：{error}") from error
        store, telesales = counts.get(STORE, 0), counts.get(TELESALES, 0)
        if store or telesales or cases is not None or any(getattr(line, key).amount for key in COMPONENT_KEYS):
            rates = tuple(
                (f"{role}.{channel}", format_plain(rules.commission_rate(role, channel)))
                for role, channel in sorted(month.commission_counts)
            )
            lines.append(ComputedLine(info, line, store, telesales, cases, rates))
    return lines


def _improvement_shares(facts: BranchMonthFacts, rules: RuleSet, label: str) -> dict[str, list[Explained]]:
    """TEAM: the department's and each team's award, split equally (to the fen) among the members credited
    with at least one renewal this month."""
    before = previous_month(facts.month)
    credited = [facts.staff[pk] for pk in facts.credited if pk in facts.staff]
    members = [info for info in credited if info.branch_id == facts.branch.pk]
    shares: dict[str, list[Explained]] = {}

    def share_out(award: Explained | None, receivers: list[StaffInfo]) -> None:
        if award is None or not award.amount or not receivers:
            return
        for number, share in split_award(award, [info.employee_no for info in receivers]).items():
            shares.setdefault(number, []).append(share)

    department = _award(
        "门店", facts.branch_rates.get(before), facts.branch_rates.get(facts.month), rules, label, department_award
    )
    share_out(department, members)
    for team, rates in sorted(facts.team_rates.items()):
        award = _award(f"{team}", rates.get(before), rates.get(facts.month), rules, label, team_award)
        share_out(award, [info for info in members if info.team == team])
    return shares


def _award(scope: str, previous: RateFigures | None, current: RateFigures | None, rules, label, award_of):
    if previous is None or not previous.due or current is None or not current.due:
        return None  # no cases in the previous (or this) month: no improvement award (§7 TEAM)
    previous_rate = Fraction(previous.renewed, previous.due)
    current_rate = Fraction(current.renewed, current.due)
    k = improvement_points(previous_rate, current_rate)
    award = award_of(k, rules=rules, rule_version=label)
    return replace(
        award,
        inputs={
            **award.inputs,
            "scope": scope,
            "previous_rate": previous_rate,
            "current_rate": current_rate,
            "previous": f"{previous.renewed}/{previous.due}",
            "current": f"{current.renewed}/{current.due}",
        },
        band=f"{scope}续保率 {format_percent(previous_rate, places=1)} → {format_percent(current_rate, places=1)}，"
        f"k = {k}；{award.band}",
    )
