"""The per-person components of DOMAIN.md §7: COM (提成), RAMP (破冰奖励), BONUS (系数奖金), SALARY (续保率奖金).

Each function takes counts the payout service gathered and returns an `Explained` amount, rounded once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from incentives.rules.amounts import as_fraction, format_coefficient, format_money, format_percent, format_plain
from incentives.rules.bands import coefficient
from incentives.rules.explained import (
    BELOW_RAMP_THRESHOLD,
    NO_CASES_DUE,
    NO_PROGRAMME_START,
    NO_RENEWABLE_BASE,
    NO_RENEWALS,
    OUTSIDE_RAMP_WINDOW,
    Explained,
    explained,
    zero,
)
from incentives.rules.ruleset import (
    CHANNEL_LABELS,
    CHANNELS,
    CREDITED_ROLES,
    ROLE_LABELS,
    STORE,
    TELESALES,
    RuleSet,
)

# ---------------------------------------------------------------- COM

_ROLE_SHORT = {"callback": "回访", "seller": "销售", "lead": "负责人"}


def commission(
    *, roles_credited: Iterable[str], channel: str, rules: RuleSet, rule_version: str | None = None
) -> Explained:
    """What one person earns on one renewal: the sum over the roles they are credited with (§7 COM)."""
    roles = list(roles_credited)
    _check_roles(roles)
    _check_channel(channel)
    if len(set(roles)) != len(roles):
        raise ValueError(f"同一张保单的同一角色只能记一次：{roles}")
    ordered = [role for role in CREDITED_ROLES if role in roles]
    rates = {role: rules.commission_rate(role, channel) for role in ordered}
    formula = " + ".join(f"{_ROLE_SHORT[role]} {format_plain(rate)}" for role, rate in rates.items()) or "0"
    return explained(
        sum(rates.values(), Fraction(0)),
        f"{CHANNEL_LABELS[channel]}：{formula}",
        inputs={"roles": tuple(ordered), "channel": channel},
        band="、".join(ROLE_LABELS[role] for role in ordered) or None,
        rule_version=rule_version,
    )


def commission_total(
    counts: Mapping[tuple[str, str], int], rules: RuleSet, *, rule_version: str | None = None
) -> Explained:
    """A person's month: `counts[(role, channel)]` = renewals sold that month crediting them in that role.

    The exact sum of count × rate, rounded once ('12×20 + 5×10 + 5×25' → 415.00).
    """
    terms: list[str] = []
    total = Fraction(0)
    for (role, channel), count in counts.items():
        _check_roles([role])
        _check_channel(channel)
        _check_count(count, f"{ROLE_LABELS[role]}{CHANNEL_LABELS[channel]}单数")
    for role in CREDITED_ROLES:
        for channel in CHANNELS:
            count = counts.get((role, channel), 0)
            if count:
                rate = rules.commission_rate(role, channel)
                total += count * rate
                terms.append(f"{count}×{format_plain(rate)}")
    described = "；".join(
        f"{_ROLE_SHORT[role]} {CHANNEL_LABELS[channel]} {count}"
        for role in CREDITED_ROLES
        for channel in CHANNELS
        if (count := counts.get((role, channel), 0))
    )
    return explained(
        total,
        " + ".join(terms) or "0",
        inputs={"counts": {f"{role}.{channel}": count for (role, channel), count in counts.items() if count}},
        band=described or None,
        rule_version=rule_version,
    )


# ---------------------------------------------------------------- RAMP


@dataclass(frozen=True)
class ChannelCounts:
    store: int = 0
    telesales: int = 0

    def __post_init__(self) -> None:
        _check_count(self.store, "到店单数")
        _check_count(self.telesales, "电销单数")

    @property
    def total(self) -> int:
        return self.store + self.telesales

    def __add__(self, other: ChannelCounts) -> ChannelCounts:
        return ChannelCounts(self.store + other.store, self.telesales + other.telesales)


def programme_month_number(programme_start: date | None, sale_month: date) -> int | None:
    """1 for the programme start month, 2 for the next…; ≤ 0 before it; None without a 续保启动日期."""
    if programme_start is None:
        return None
    return (sale_month.year - programme_start.year) * 12 + sale_month.month - programme_start.month + 1


def ramp_bonus(
    *,
    month_number: int | None,
    branch_window_before: int,
    branch_this_month: int,
    lead_this_month: ChannelCounts,
    lead_window_before: ChannelCounts,
    rules: RuleSet,
    rule_version: str | None = None,
) -> Explained:
    """破冰奖励 of one lead for one sale month (§7 RAMP).

    - `month_number`: the sale month counted from the programme start month (`programme_month_number`);
      None when the branch has no 续保启动日期 (it is past its window).
    - `branch_window_before`: the branch's renewals sold in earlier window months, whoever is credited.
    - `branch_this_month`: the branch's renewals sold this month.
    - `lead_this_month` / `lead_window_before`: the same, counting only the renewals whose credited lead is
      this person (the branch's lead when none is credited), split by channel.

    In the month the branch's cumulative count reaches the threshold, the lead earns for every window renewal
    so far (retroactive, each at its own channel's rate); in later window months, for each new renewal.
    The service calls this for every lead with a window renewal so far: in the threshold month a lead may be
    owed for earlier renewals only.
    """
    for value, what in ((branch_window_before, "门店破冰期此前累计"), (branch_this_month, "门店本月续回")):
        _check_count(value, what)
    if lead_this_month.total > branch_this_month or lead_window_before.total > branch_window_before:
        raise ValueError("负责人的续回单数不能多于门店的续回单数")
    inputs = {
        "month_number": month_number,
        "window_months": rules.ramp_months,
        "threshold": rules.ramp_threshold,
        "branch_window_before": branch_window_before,
        "branch_this_month": branch_this_month,
        "lead_this_month": {"store": lead_this_month.store, "telesales": lead_this_month.telesales},
        "lead_window_before": {"store": lead_window_before.store, "telesales": lead_window_before.telesales},
    }
    if month_number is None:
        return zero(NO_PROGRAMME_START, inputs=inputs, rule_version=rule_version)
    if not 1 <= month_number <= rules.ramp_months:
        return zero(OUTSIDE_RAMP_WINDOW, inputs=inputs, rule_version=rule_version)
    cumulative = branch_window_before + branch_this_month
    window = f"破冰期第 {month_number}/{rules.ramp_months} 月"
    if cumulative < rules.ramp_threshold:
        return zero(
            BELOW_RAMP_THRESHOLD,
            inputs=inputs,
            rule_version=rule_version,
            band=f"{window}：门店累计 {cumulative} 单 < {rules.ramp_threshold} 单",
        )
    if branch_window_before < rules.ramp_threshold:
        paid = lead_this_month + lead_window_before
        band = (
            f"{window}：门店累计 {branch_window_before} → {cumulative} 单，"
            f"本月达到 {rules.ramp_threshold} 单，补发破冰期全部续回"
        )
    else:
        paid = lead_this_month
        band = f"{window}：门店累计已达 {rules.ramp_threshold} 单，按本月新增续回计"
    terms = [
        f"{count}×{format_plain(rate)}"
        for count, rate in (
            (paid.store, rules.ramp_per_renewal),
            (paid.telesales, rules.ramp_per_telesales_renewal),
        )
        if count
    ]
    return explained(
        paid.store * Fraction(rules.ramp_per_renewal) + paid.telesales * Fraction(rules.ramp_per_telesales_renewal),
        " + ".join(terms) or "0",
        inputs=inputs,
        band=band,
        rule_version=rule_version,
    )


# ---------------------------------------------------------------- BONUS


def specialist_bonus(
    *,
    renewable: int,
    renewed: int,
    full_cover: int | None = None,
    full_cover_rate: Fraction | None = None,
    rules: RuleSet,
    base: Decimal | None = None,
    rule_version: str | None = None,
) -> Explained:
    """系数奖金 = base × B(r) × A(f), r = 续回 ÷ 可续, f = 全保 ÷ 续回, exact (§7 BONUS).

    Give either `full_cover` (a count) or `full_cover_rate` (f itself, as the CLI may). `base` defaults to
    the rule's bonus base.
    """
    _check_count(renewable, "可续")
    _check_count(renewed, "续回")
    if renewed > renewable:
        raise ValueError(f"续回 {renewed} 不能大于可续 {renewable}")
    if (full_cover is None) == (full_cover_rate is None):
        raise ValueError("全保请给出单数（full_cover）或全保率（full_cover_rate）二者之一")
    if full_cover is not None:
        _check_count(full_cover, "全保")
        if full_cover > renewed:
            raise ValueError(f"全保 {full_cover} 不能大于续回 {renewed}")
    else:
        full_cover_rate = as_fraction(full_cover_rate, what="全保率")  # type: ignore[arg-type]
        if not 0 <= full_cover_rate <= 1:
            raise ValueError(f"全保率应在 0 到 100% 之间：{format_percent(full_cover_rate)}")
    bonus_base = rules.bonus_base if base is None else base
    inputs: dict[str, object] = {
        "renewable": renewable,
        "renewed": renewed,
        "full_cover": full_cover,
        "full_cover_rate": full_cover_rate,
        "base": bonus_base,
    }
    if renewable == 0:
        return zero(NO_RENEWABLE_BASE, inputs=inputs, rule_version=rule_version)
    if renewed == 0:
        return zero(NO_RENEWALS, inputs=inputs, rule_version=rule_version)
    achievement = Fraction(renewed, renewable)
    full_cover_share = Fraction(full_cover, renewed) if full_cover is not None else full_cover_rate
    assert full_cover_share is not None
    b_hit = coefficient(achievement, rules.achievement_bands)
    a_hit = coefficient(full_cover_share, rules.full_cover_bands)
    inputs.update({"r": achievement, "f": full_cover_share})
    return explained(
        Fraction(bonus_base) * b_hit.value * a_hit.value,
        f"{format_plain(bonus_base)} × {format_coefficient(b_hit.value)} × {format_coefficient(a_hit.value)}",
        inputs=inputs,
        coefficients={"B": b_hit.value, "A": a_hit.value},
        band=f"B：{b_hit.describe('r')}；A：{a_hit.describe('f')}",
        rule_version=rule_version,
    )


# ---------------------------------------------------------------- SALARY


def salary_bonus(
    *, due: int, renewed: int, base_salary: Decimal, rules: RuleSet, rule_version: str | None = None
) -> Explained:
    """续保率奖金: a share of the monthly base salary by personal 续保率 = 续回 ÷ 应续 (§7 SALARY)."""
    _check_count(due, "应续")
    _check_count(renewed, "续回")
    if renewed > due:
        raise ValueError(f"续回 {renewed} 不能大于应续 {due}")
    if not isinstance(base_salary, Decimal) or base_salary < 0:
        raise ValueError(f"基本工资应为非负 Decimal：{base_salary!r}")
    inputs: dict[str, object] = {"due": due, "renewed": renewed, "base_salary": base_salary}
    if due == 0:
        return zero(NO_CASES_DUE, inputs=inputs, rule_version=rule_version)
    rate = Fraction(renewed, due)
    hit = coefficient(rate, rules.salary_bands)
    inputs["renewal_rate"] = rate
    return explained(
        Fraction(base_salary) * hit.value,
        f"{format_money(base_salary)} × {format_percent(hit.value)}",
        inputs=inputs,
        coefficients={"salary_share": hit.value},
        band=f"续保率 {format_percent(rate, keep_zeros=True)}：{hit.describe('续保率')}",
        rule_version=rule_version,
    )


def _check_roles(roles: Iterable[str]) -> None:
    for role in roles:
        if role not in CREDITED_ROLES:
            raise ValueError(f"未知的提成角色：{role!r}（应为 callback / seller / lead）")


def _check_channel(channel: str) -> None:
    if channel not in (STORE, TELESALES):
        raise ValueError(f"未知的渠道：{channel!r}（应为 store / telesales）")


def _check_count(value: object, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{what}应为非负整数：{value!r}")
