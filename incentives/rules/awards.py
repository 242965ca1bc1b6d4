"""Awards that depend on other people (DOMAIN.md §7 TEAM, RANK, SPECIAL, PENALTY) and the exact fen split."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from incentives.rules.amounts import as_fraction, format_money, format_percent, format_plain, is_whole_fen
from incentives.rules.explained import (
    NO_SATISFACTION_SCORE,
    NOT_IN_AWARD_RANKS,
    NOT_PENALISED,
    TOO_FEW_RANKED,
    Explained,
    explained,
    zero,
)
from incentives.rules.ruleset import SPECIAL_AWARD_LABELS, RuleSet

# ---------------------------------------------------------------- TEAM


def improvement_points(prev_rate: Fraction | None, cur_rate: Fraction) -> int:
    """k: whole percentage points of improvement, floored, never negative; no previous month → 0."""
    if prev_rate is None:
        return 0
    gain = (as_fraction(cur_rate, what="本月续保率") - as_fraction(prev_rate, what="上月续保率")) * 100
    return max(0, math.floor(gain))


def department_award(k: int, *, rules: RuleSet, rule_version: str | None = None) -> Explained:
    """门店 (department) improvement award: 500·k + 1000·⌊k/2⌋ by default."""
    return _improvement_award(
        "门店", k, rules.department_award_per_point, rules.department_award_per_two_points, rule_version
    )


def team_award(k: int, *, rules: RuleSet, rule_version: str | None = None) -> Explained:
    """Team improvement award: 1000·k + 2000·⌊k/2⌋ by default."""
    return _improvement_award("团队", k, rules.team_award_per_point, rules.team_award_per_two_points, rule_version)


def _improvement_award(
    who: str, k: int, per_point: Decimal, per_two_points: Decimal, rule_version: str | None
) -> Explained:
    if not isinstance(k, int) or isinstance(k, bool) or k < 0:
        raise ValueError(f"提升点数 k 应为非负整数：{k!r}")
    rule = f"{who} {format_plain(per_point)}·k + {format_plain(per_two_points)}·⌊k/2⌋"
    return explained(
        k * Fraction(per_point) + (k // 2) * Fraction(per_two_points),
        f"{format_plain(per_point)}×{k} + {format_plain(per_two_points)}×⌊{k}/2⌋",
        inputs={"k": k},
        band=rule,
        rule_version=rule_version,
    )


def employee_order(employee_nos: Sequence[str]) -> list[str]:
    """工号 order: numeric when every 工号 is all digits, else as strings."""
    if all(number.isascii() and number.isdigit() for number in employee_nos):
        return sorted(employee_nos, key=lambda number: (int(number), number))
    return sorted(employee_nos)


def split_evenly(amount: Decimal, employee_nos: Sequence[str]) -> dict[str, Decimal]:
    """Equal shares that add up to `amount` exactly (§7): largest remainder, the extra fen to the lowest 工号.

    Every share has the same remainder, so the largest-remainder rule reduces to "the first fen go to the
    first 工号 in order". Returned in 工号 order.
    """
    if not isinstance(amount, Decimal) or not amount.is_finite() or not is_whole_fen(amount):
        raise ValueError(f"待分配金额应为精确到分的 Decimal：{amount!r}")
    if not employee_nos:
        raise ValueError("没有可分配的人员")
    if len(set(employee_nos)) != len(employee_nos) or not all(employee_nos):
        raise ValueError(f"工号不能为空或重复：{list(employee_nos)}")
    total_fen = int(amount * 100)
    sign = -1 if total_fen < 0 else 1
    share, extra = divmod(abs(total_fen), len(employee_nos))
    return {
        number: Decimal(sign * (share + (1 if position < extra else 0))).scaleb(-2)
        for position, number in enumerate(employee_order(employee_nos))
    }


def split_award(award: Explained, employee_nos: Sequence[str]) -> dict[str, Explained]:
    """Each member's share of an award (for 团队奖励), explained: '2,500.00 ÷ 11，尾差 3 分归 …'."""
    shares = split_evenly(award.amount, employee_nos)
    fen_total = abs(int(award.amount * 100))
    extra = fen_total % len(shares)
    receivers = list(shares)[:extra]
    formula = f"{format_money(award.amount)} ÷ {len(shares)}"
    if extra:
        formula += f"，尾差 {extra} 分归 {'、'.join(receivers)}"
    return {
        number: Explained(
            amount=share,
            formula=formula,
            inputs={**award.inputs, "award": award.amount, "members": tuple(shares)},
            coefficients=award.coefficients,
            band=f"{award.band or ''}：{award.formula} = {format_money(award.amount)}，{len(shares)} 人均分",
            rule_version=award.rule_version,
        )
        for number, share in shares.items()
    }


# ---------------------------------------------------------------- RANK


@dataclass(frozen=True)
class RankEntry:
    """One person's month across the group: renewals and 续保率 of their assigned cases, renewed premium."""

    employee_no: str
    renewals: int
    renewal_rate: Fraction
    renewed_premium: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.renewals, int) or isinstance(self.renewals, bool) or self.renewals < 0:
            raise ValueError(f"{self.employee_no} 续回数应为非负整数：{self.renewals!r}")
        object.__setattr__(self, "renewal_rate", as_fraction(self.renewal_rate, what="续保率"))
        if not isinstance(self.renewed_premium, Decimal) or self.renewed_premium < 0:
            raise ValueError(f"{self.employee_no} 续回保费应为非负 Decimal：{self.renewed_premium!r}")

    @property
    def sort_key(self) -> tuple[int, Fraction, Decimal]:
        return (self.renewals, self.renewal_rate, self.renewed_premium)


def rank_awards(
    entries: Sequence[RankEntry], rules: RuleSet, *, rule_version: str | None = None
) -> dict[str, Explained]:
    """排名奖励 for everyone ranked (at least one renewal), keyed by 工号; others are left out.

    Ranked by renewals, then 续保率, then renewed premium, all descending. The top ⌈5%·N⌉ get 2000, the rest of
    the top ⌈10%·N⌉ get 1000; whoever equals the person at a cut-off on all three keys gets that award too.
    Fewer than 10 ranked → every amount is 0.
    """
    numbers = [entry.employee_no for entry in entries]
    if len(set(numbers)) != len(numbers):
        raise ValueError("排名名单中有重复工号")
    ranked = sorted((entry for entry in entries if entry.renewals >= 1), key=lambda e: e.sort_key, reverse=True)
    count = len(ranked)
    top = math.ceil(rules.rank_top_share * count)
    second = math.ceil(rules.rank_second_share * count)
    rule = (
        f"前 ⌈{format_percent(rules.rank_top_share)}×{count}⌉ = {top} 名 {format_plain(rules.rank_top_award)}；"
        f"前 ⌈{format_percent(rules.rank_second_share)}×{count}⌉ = {second} 名 {format_plain(rules.rank_second_award)}"
    )
    top_cut = ranked[top - 1].sort_key if top else None
    second_cut = ranked[second - 1].sort_key if second else None
    awards: dict[str, Explained] = {}
    position = 0
    for index, entry in enumerate(ranked):
        if not index or entry.sort_key != ranked[index - 1].sort_key:
            position = index + 1  # 1 + those ranked strictly higher: equals share the place
        inputs = {
            "rank": position,
            "ranked": count,
            "renewals": entry.renewals,
            "renewal_rate": entry.renewal_rate,
            "renewed_premium": entry.renewed_premium,
        }
        place = f"集团第 {position}/{count} 名（续回数 → 续保率 → 续回保费）"
        if count < rules.rank_min_staff:
            awards[entry.employee_no] = zero(
                TOO_FEW_RANKED,
                inputs=inputs,
                rule_version=rule_version,
                band=f"{place}；参与 {count} 人 < {rules.rank_min_staff} 人，不设排名奖",
            )
        elif top_cut is not None and entry.sort_key >= top_cut:
            awards[entry.employee_no] = explained(
                rules.rank_top_award,
                f"前 {top} 名 → {format_plain(rules.rank_top_award)}",
                inputs=inputs,
                band=f"{place}；{rule}",
                rule_version=rule_version,
            )
        elif second_cut is not None and entry.sort_key >= second_cut:
            awards[entry.employee_no] = explained(
                rules.rank_second_award,
                f"前 {second} 名 → {format_plain(rules.rank_second_award)}",
                inputs=inputs,
                band=f"{place}；{rule}",
                rule_version=rule_version,
            )
        else:
            awards[entry.employee_no] = zero(
                NOT_IN_AWARD_RANKS, inputs=inputs, rule_version=rule_version, band=f"{place}；{rule}"
            )
    return awards


# ---------------------------------------------------------------- SPECIAL


@dataclass(frozen=True)
class SpecialAward:
    kind: str  # complex_case | win_back | shared_case
    amount: Decimal
    note: str = ""


def special_award_check(kind: str, amount: Decimal, rules: RuleSet) -> Decimal:
    """The amount if a manager may enter it for this kind of award; ValueError (Chinese) otherwise."""
    allowed = rules.special_range(kind)
    label = SPECIAL_AWARD_LABELS[kind]
    if not isinstance(amount, Decimal) or not amount.is_finite() or not is_whole_fen(amount):
        raise ValueError(f"{label}奖励金额应为精确到分的 Decimal：{amount!r}")
    if not allowed.minimum <= amount <= allowed.maximum:
        span = (
            format_money(allowed.minimum)
            if allowed.minimum == allowed.maximum
            else f"{format_money(allowed.minimum)}–{format_money(allowed.maximum)}"
        )
        raise ValueError(f"{label}奖励 {format_money(amount)} 超出范围 {span}")
    return amount


def special_awards_total(
    awards: Sequence[SpecialAward], rules: RuleSet, *, rule_version: str | None = None
) -> Explained:
    for award in awards:
        special_award_check(award.kind, award.amount, rules)
    return explained(
        sum((Fraction(award.amount) for award in awards), Fraction(0)),
        " + ".join(f"{SPECIAL_AWARD_LABELS[award.kind]} {format_money(award.amount)}" for award in awards) or "0",
        inputs={"awards": tuple({"kind": a.kind, "amount": a.amount, "note": a.note} for a in awards)},
        band="；".join(award.note for award in awards if award.note) or None,
        rule_version=rule_version,
    )


# ---------------------------------------------------------------- PENALTY


def leader_penalty(
    *,
    leader_bonuses: Decimal,
    team_score: Decimal | Fraction | int | None,
    team_target: Decimal | Fraction | int | None,
    team_scores_of_branch: Sequence[Decimal | Fraction | int],
    rules: RuleSet,
    rule_version: str | None = None,
) -> Explained:
    """扣款 of a team leader (positive): 2% of their month's bonuses when the team is below its satisfaction
    target AND among the 3 lowest scores of the branch, ties at the third-lowest included.

    `leader_bonuses` is the sum of the leader's rounded 系数奖金 + 续保率奖金 + 团队奖励 + 排名奖励 + 专项奖励;
    `team_scores_of_branch` holds one score per team of the branch that month, this team's included.
    """
    if not isinstance(leader_bonuses, Decimal) or leader_bonuses < 0:
        raise ValueError(f"组长奖金类合计应为非负 Decimal：{leader_bonuses!r}")
    inputs: dict[str, object] = {
        "leader_bonuses": leader_bonuses,
        "team_score": team_score,
        "team_target": team_target,
        "team_scores_of_branch": tuple(team_scores_of_branch),
    }
    if team_score is None or team_target is None:
        return zero(NO_SATISFACTION_SCORE, inputs=inputs, rule_version=rule_version)
    score = as_fraction(team_score, what="满意度得分")
    target = as_fraction(team_target, what="满意度目标")
    scores = sorted(as_fraction(other, what="满意度得分") for other in team_scores_of_branch)
    if score not in scores:
        raise ValueError(f"本队得分 {format_plain(score)} 不在全店各队得分中")
    lowest = min(rules.leader_penalty_lowest_teams, len(scores))
    among_lowest = lowest > 0 and score <= scores[lowest - 1]
    position = 1 + sum(1 for other in scores if other < score)
    comparison = "<" if score < target else "≥"
    band = (
        f"满意度 {format_plain(score)} {comparison} 目标 {format_plain(target)}；"
        f"全店 {len(scores)} 队中倒数第 {position}（最低 {rules.leader_penalty_lowest_teams} 队含并列）"
    )
    if not (score < target and among_lowest):
        return zero(NOT_PENALISED, inputs=inputs, rule_version=rule_version, band=band)
    return explained(
        Fraction(leader_bonuses) * rules.leader_penalty_rate,
        f"{format_percent(rules.leader_penalty_rate)} × {format_money(leader_bonuses)}",
        inputs=inputs,
        coefficients={"penalty_rate": rules.leader_penalty_rate},
        band=band,
        rule_version=rule_version,
    )
