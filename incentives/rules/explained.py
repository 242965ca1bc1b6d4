"""The result of every rule: an amount and why (inputs, coefficients, band, formula, rule version)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from incentives.rules.amounts import is_whole_fen, round_money


@dataclass(frozen=True)
class Reason:
    """Why a component is zero (or not applicable): a stable English key for code, a Chinese text for people."""

    key: str
    text: str

    def __str__(self) -> str:
        return self.text


NO_RENEWABLE_BASE = Reason("no_renewable_base", "可续为 0，无可续基数")
NO_RENEWALS = Reason("no_renewals", "续回为 0，全保率无定义")
NO_CASES_DUE = Reason("no_cases_due", "应续为 0，无续保率")
OUTSIDE_RAMP_WINDOW = Reason("outside_ramp_window", "不在破冰期内")
NO_PROGRAMME_START = Reason("no_programme_start", "门店无续保启动日期，视为破冰期已过")
BELOW_RAMP_THRESHOLD = Reason("below_ramp_threshold", "破冰期累计续回未达门槛")
TOO_FEW_RANKED = Reason("too_few_ranked", "参与排名人数不足")
NOT_IN_AWARD_RANKS = Reason("not_in_award_ranks", "未进入获奖名次")
NO_SATISFACTION_SCORE = Reason("no_satisfaction_score", "无满意度得分或目标")
NOT_PENALISED = Reason("not_penalised", "未同时满足低于满意度目标且位列全店最低几队")
NOT_APPLICABLE = Reason("not_applicable", "不适用")


@dataclass(frozen=True)
class Explained:
    """One component of a payout line (§7 "Each payout line carries its explanation").

    `amount` is already rounded half-up to 0.01 — the only rounding the component gets. `inputs` and
    `coefficients` hold exact values (int, Fraction, Decimal); `explained_to_dict` makes them JSON-safe.
    """

    amount: Decimal
    formula: str
    inputs: Mapping[str, Any] = field(default_factory=dict)
    coefficients: Mapping[str, Fraction] = field(default_factory=dict)
    band: str | None = None
    rule_version: str | None = None
    reason: Reason | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal) or not is_whole_fen(self.amount):
            raise ValueError(f"金额必须是保留两位小数的 Decimal：{self.amount!r}")
        # Read-only views: an explanation is a record, not a scratchpad.
        object.__setattr__(self, "inputs", MappingProxyType(dict(self.inputs)))
        object.__setattr__(self, "coefficients", MappingProxyType(dict(self.coefficients)))


def explained(
    exact_amount: Fraction | Decimal | int,
    formula: str,
    *,
    inputs: Mapping[str, Any] | None = None,
    coefficients: Mapping[str, Fraction] | None = None,
    band: str | None = None,
    rule_version: str | None = None,
    reason: Reason | None = None,
) -> Explained:
    """Round the exact amount once and wrap it with its explanation."""
    return Explained(
        amount=round_money(exact_amount),
        formula=formula,
        inputs=inputs or {},
        coefficients=coefficients or {},
        band=band,
        rule_version=rule_version,
        reason=reason,
    )


def zero(
    reason: Reason, *, inputs: Mapping[str, Any] | None = None, rule_version: str | None = None, band: str | None = None
) -> Explained:
    return explained(0, f"0（{reason.text}）", inputs=inputs, rule_version=rule_version, reason=reason, band=band)


def explained_to_dict(item: Explained) -> dict[str, Any]:
    """JSON-safe: money as '460.00', Fractions as 'n/d', Decimals as their exact string."""
    return {
        "amount": f"{item.amount:.2f}",
        "formula": item.formula,
        "inputs": _json_safe(item.inputs),
        "coefficients": _json_safe(item.coefficients),
        "band": item.band,
        "rule_version": item.rule_version,
        "reason": None if item.reason is None else {"key": item.reason.key, "text": item.reason.text},
    }


def _json_safe(value: Any) -> Any:
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Reason):
        return {"key": value.key, "text": value.text}
    if isinstance(value, Explained):
        return explained_to_dict(value)
    if isinstance(value, Mapping):
        return {_json_key(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    raise TypeError(f"说明中的值无法写成 JSON：{value!r}")


def _json_key(key: Any) -> str:
    if isinstance(key, tuple):
        return ".".join(str(part) for part in key)
    return str(key)
