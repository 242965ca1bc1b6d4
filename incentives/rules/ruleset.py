"""One rule version (规则版本): every rate, floor and band of DOMAIN.md §7, with the §7 defaults.

The database stores a version as JSON (`ruleset_to_dict`); `ruleset_from_dict` reads it back exactly:
Fractions are written 'n/d', Decimals as their exact string, so a published version never drifts.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from incentives.rules.amounts import as_fraction, format_money
from incentives.rules.bands import LINEAR, STEP, Band

CALLBACK = "callback"
SELLER = "seller"
LEAD = "lead"
CREDITED_ROLES = (CALLBACK, SELLER, LEAD)
ROLE_LABELS = {CALLBACK: "回访员", SELLER: "服务顾问", LEAD: "续保负责人"}

STORE = "store"
TELESALES = "telesales"
CHANNELS = (STORE, TELESALES)
CHANNEL_LABELS = {STORE: "到店", TELESALES: "电销"}

COMPLEX_CASE = "complex_case"
WIN_BACK = "win_back"
SHARED_CASE = "shared_case"
SPECIAL_AWARD_KINDS = (COMPLEX_CASE, WIN_BACK, SHARED_CASE)
SPECIAL_AWARD_LABELS = {COMPLEX_CASE: "复杂案件", WIN_BACK: "挽回客户", SHARED_CASE: "共享案件"}

SCHEMA = 1


@dataclass(frozen=True)
class RoleRates:
    """An amount per credited role (提成 per in-store renewal, or its floor)."""

    callback: Decimal
    seller: Decimal
    lead: Decimal

    def for_role(self, role: str) -> Decimal:
        if role not in CREDITED_ROLES:
            raise ValueError(f"未知的提成角色：{role!r}（应为 callback / seller / lead）")
        return getattr(self, role)


@dataclass(frozen=True)
class AwardRange:
    """The amounts a manager may enter for one kind of special award, both ends included."""

    minimum: Decimal
    maximum: Decimal


def _step(lower: str, upper: str | None, value: str, *, lower_inclusive: bool = True, upper_inclusive: bool = False):
    return Band(
        lower=Fraction(lower),
        upper=None if upper is None else Fraction(upper),
        value_at_lower=Decimal(value),
        lower_inclusive=lower_inclusive,
        upper_inclusive=upper_inclusive,
        mode=STEP,
    )


def _linear(lower: str, upper: str, at_lower: str, at_upper: str) -> Band:
    return Band(
        lower=Fraction(lower),
        upper=Fraction(upper),
        value_at_lower=Decimal(at_lower),
        value_at_upper=Decimal(at_upper),
        mode=LINEAR,
    )


# B (达成率 r): r < 30% → 0; 30% ≤ r < 60% → 0.4…0.7 (= r + 0.10); r = 60% → 1.0; 60% < r ≤ 70% → 1.5; r > 70% → 1.8
DEFAULT_ACHIEVEMENT_BANDS = (
    _step("0", "0.3", "0"),
    _linear("0.3", "0.6", "0.4", "0.7"),
    _step("0.6", "0.6", "1.0", upper_inclusive=True),
    _step("0.6", "0.7", "1.5", lower_inclusive=False, upper_inclusive=True),
    _step("0.7", None, "1.8", lower_inclusive=False),
)
# A (全保率 f): f < 70% → 0; 70% ≤ f < 90% → 0.7…0.9 (= f); f = 90% → 1.0; f > 90% → 1.5
DEFAULT_FULL_COVER_BANDS = (
    _step("0", "0.7", "0"),
    _linear("0.7", "0.9", "0.7", "0.9"),
    _step("0.9", "0.9", "1.0", upper_inclusive=True),
    _step("0.9", None, "1.5", lower_inclusive=False),
)
# SALARY (personal 续保率): [80%, 90%) → 10% of base salary; ≥ 90% → 15%; below 80% → 0
DEFAULT_SALARY_BANDS = (
    _step("0", "0.8", "0"),
    _step("0.8", "0.9", "0.10"),
    _step("0.9", None, "0.15"),
)

_DEFAULT_COMMISSION = RoleRates(callback=Decimal("20"), seller=Decimal("50"), lead=Decimal("10"))


@dataclass(frozen=True)
class RuleSet:
    """Every default of DOMAIN.md §7; `RuleSet()` is the version a fresh installation publishes."""

    # COM: per renewal (vehicle-term) per credited role, in store; telesales pays `telesales_factor` of it.
    commission: RoleRates = _DEFAULT_COMMISSION
    # The division's floors: a branch may configure more, never less (see `floor_violations`).
    commission_floors: RoleRates = _DEFAULT_COMMISSION
    telesales_factor: Fraction = Fraction(1, 2)
    # RAMP: the first `ramp_months` calendar months from the programme start month, by sale month.
    ramp_months: int = 3
    ramp_threshold: int = 20
    ramp_per_renewal: Decimal = Decimal("20")
    ramp_per_telesales_renewal: Decimal = Decimal("10")
    # BONUS = base × B(达成率) × A(全保率)
    bonus_base: Decimal = Decimal("2000")
    achievement_bands: tuple[Band, ...] = DEFAULT_ACHIEVEMENT_BANDS
    full_cover_bands: tuple[Band, ...] = DEFAULT_FULL_COVER_BANDS
    # SALARY: the share of the monthly base salary, by personal 续保率
    salary_bands: tuple[Band, ...] = DEFAULT_SALARY_BANDS
    # TEAM: per_point·k + per_two_points·⌊k/2⌋
    department_award_per_point: Decimal = Decimal("500")
    department_award_per_two_points: Decimal = Decimal("1000")
    team_award_per_point: Decimal = Decimal("1000")
    team_award_per_two_points: Decimal = Decimal("2000")
    # RANK: top ⌈top_share·N⌉ get top_award, the rest of the top ⌈second_share·N⌉ get second_award
    rank_top_share: Fraction = Fraction(5, 100)
    rank_top_award: Decimal = Decimal("2000")
    rank_second_share: Fraction = Fraction(10, 100)
    rank_second_award: Decimal = Decimal("1000")
    rank_min_staff: int = 10
    # SPECIAL: manager-entered awards, within these ranges
    special_complex_case: AwardRange = AwardRange(Decimal("500"), Decimal("1000"))
    special_win_back: AwardRange = AwardRange(Decimal("1000"), Decimal("2000"))
    special_shared_case: AwardRange = AwardRange(Decimal("500"), Decimal("500"))
    # PENALTY: the leader of a team below target and among the `lowest_teams` lowest scores
    leader_penalty_rate: Fraction = Fraction(2, 100)
    leader_penalty_lowest_teams: int = 3
    # 全保 = 交强险 + 车损险 + 三者险 with at least this limit
    full_cover_min_third_party_limit: Decimal = Decimal("1000000")

    def __post_init__(self) -> None:
        for spec in fields(self):
            _check_field(spec.name, getattr(self, spec.name), spec.default)

    def special_range(self, kind: str) -> AwardRange:
        if kind not in SPECIAL_AWARD_KINDS:
            raise ValueError(f"未知的专项奖励类型：{kind!r}（应为 {' / '.join(SPECIAL_AWARD_KINDS)}）")
        return getattr(self, f"special_{kind}")

    def commission_rate(self, role: str, channel: str) -> Fraction:
        """The exact amount one renewal pays one credited role on one channel."""
        rate = Fraction(self.commission.for_role(role))
        if channel == STORE:
            return rate
        if channel == TELESALES:
            return rate * self.telesales_factor
        raise ValueError(f"未知的渠道：{channel!r}（应为 store / telesales）")


def default_ruleset() -> RuleSet:
    return RuleSet()


def floor_violations(rules: RuleSet, floors: RuleSet) -> list[str]:
    """Chinese messages for every commission of `rules` below the division's floors (`floors.commission_floors`).

    Checked per role, in store and on telesales (the floor there is the floor × the division's telesales
    factor), and the version's own floors, which a branch may raise but not lower.
    """
    messages: list[str] = []
    for role in CREDITED_ROLES:
        label = ROLE_LABELS[role]
        floor = Fraction(floors.commission_floors.for_role(role))
        pairs = [
            (f"{label}提成", Fraction(rules.commission.for_role(role)), floor),
            (f"{label}电销提成", rules.commission_rate(role, TELESALES), floor * floors.telesales_factor),
            (f"{label}提成底线", Fraction(rules.commission_floors.for_role(role)), floor),
        ]
        messages.extend(
            f"{what} {format_money(value)} 低于事业部底线 {format_money(minimum)}"
            for what, value, minimum in pairs
            if value < minimum
        )
    return messages


def band_to_dict(band: Band) -> dict[str, Any]:
    return {
        "lower": str(band.lower),
        "upper": None if band.upper is None else str(band.upper),
        "lower_inclusive": band.lower_inclusive,
        "upper_inclusive": band.upper_inclusive,
        "mode": band.mode,
        "value_at_lower": str(band.value_at_lower),
        "value_at_upper": None if band.value_at_upper is None else str(band.value_at_upper),
    }


def band_from_dict(data: Any) -> Band:
    _expect_keys(data, {f.name for f in fields(Band)}, "档位")
    return Band(
        lower=_read_fraction(data["lower"], "档位下限"),
        upper=None if data["upper"] is None else _read_fraction(data["upper"], "档位上限"),
        lower_inclusive=_read_bool(data["lower_inclusive"], "lower_inclusive"),
        upper_inclusive=_read_bool(data["upper_inclusive"], "upper_inclusive"),
        mode=data["mode"],
        value_at_lower=_read_decimal(data["value_at_lower"], "档位系数"),
        value_at_upper=None if data["value_at_upper"] is None else _read_decimal(data["value_at_upper"], "档位系数"),
    )


def ruleset_to_dict(rules: RuleSet) -> dict[str, Any]:
    """JSON-safe and exact: Fractions as 'n/d', Decimals as strings, ints as ints."""
    data: dict[str, Any] = {"schema": SCHEMA}
    for spec in fields(rules):
        value = getattr(rules, spec.name)
        if isinstance(value, RoleRates):
            data[spec.name] = {role: str(value.for_role(role)) for role in CREDITED_ROLES}
        elif isinstance(value, AwardRange):
            data[spec.name] = {"minimum": str(value.minimum), "maximum": str(value.maximum)}
        elif isinstance(value, tuple):
            data[spec.name] = [band_to_dict(band) for band in value]
        elif isinstance(value, int):
            data[spec.name] = value
        else:  # Fraction or Decimal
            data[spec.name] = str(value)
    return data


def ruleset_from_dict(data: Any) -> RuleSet:
    """The inverse of `ruleset_to_dict`; every key is required and no other is accepted (ValueError)."""
    _expect_keys(data, {"schema"} | {spec.name for spec in fields(RuleSet)}, "规则版本")
    if data["schema"] != SCHEMA:
        raise ValueError(f"规则版本的格式版本 {data['schema']!r} 无法读取（应为 {SCHEMA}）")
    values: dict[str, Any] = {}
    for spec in fields(RuleSet):
        raw, default = data[spec.name], spec.default
        if isinstance(default, RoleRates):
            _expect_keys(raw, set(CREDITED_ROLES), spec.name)
            values[spec.name] = RoleRates(**{role: _read_decimal(raw[role], spec.name) for role in CREDITED_ROLES})
        elif isinstance(default, AwardRange):
            _expect_keys(raw, {"minimum", "maximum"}, spec.name)
            values[spec.name] = AwardRange(
                _read_decimal(raw["minimum"], spec.name), _read_decimal(raw["maximum"], spec.name)
            )
        elif isinstance(default, tuple):
            if not isinstance(raw, list):
                raise ValueError(f"{spec.name} 应为档位列表")
            values[spec.name] = tuple(band_from_dict(item) for item in raw)
        elif isinstance(default, Fraction):
            values[spec.name] = _read_fraction(raw, spec.name)
        elif isinstance(default, Decimal):
            values[spec.name] = _read_decimal(raw, spec.name)
        else:
            if not isinstance(raw, int) or isinstance(raw, bool):
                raise ValueError(f"{spec.name} 应为整数：{raw!r}")
            values[spec.name] = raw
    return RuleSet(**values)


def _check_field(name: str, value: Any, default: Any) -> None:
    if isinstance(default, RoleRates | AwardRange):
        if not isinstance(value, type(default)):
            raise TypeError(f"{name} 类型错误：{value!r}")
        for part in fields(value):
            _check_money(f"{name}.{part.name}", getattr(value, part.name))
        if isinstance(value, AwardRange) and value.minimum > value.maximum:
            raise ValueError(f"{name} 下限 {value.minimum} 高于上限 {value.maximum}")
    elif isinstance(default, tuple):
        if not isinstance(value, tuple) or not value or not all(isinstance(band, Band) for band in value):
            raise ValueError(f"{name} 应为至少一个档位（Band）的元组")
    elif isinstance(default, Fraction):
        if not isinstance(value, Fraction) or not 0 <= value <= 1:
            raise ValueError(f"{name} 应为 0 到 1 之间的 Fraction：{value!r}")
    elif isinstance(default, Decimal):
        _check_money(name, value)
    elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} 应为非负整数：{value!r}")


def _check_money(name: str, value: Any) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValueError(f"{name} 应为非负的 Decimal 金额：{value!r}")


def _expect_keys(data: Any, expected: set[str], what: str) -> None:
    if not isinstance(data, dict):
        raise ValueError(f"{what} 应为 JSON 对象：{data!r}")
    missing, unknown = expected - data.keys(), data.keys() - expected
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"缺少 {', '.join(sorted(missing))}")
        if unknown:
            parts.append(f"未知 {', '.join(sorted(map(str, unknown)))}")
        raise ValueError(f"{what}：{'；'.join(parts)}")


def _read_decimal(raw: Any, name: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise ValueError(f"{name} 应为字符串形式的金额：{raw!r}")
    try:
        value = Decimal(raw)
    except InvalidOperation as error:
        raise ValueError(f"{name} 不是有效金额：{raw!r}") from error
    if not value.is_finite():
        raise ValueError(f"{name} 必须是有限数：{raw!r}")
    return value


def _read_fraction(raw: Any, name: str) -> Fraction:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise ValueError(f"{name} 应为字符串形式的分数（如 '3/10'）：{raw!r}")
    return as_fraction(raw, what=name)


def _read_bool(raw: Any, name: str) -> bool:
    if not isinstance(raw, bool):
        raise ValueError(f"{name} 应为 true 或 false：{raw!r}")
    return raw
