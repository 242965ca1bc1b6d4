"""A payout line's stored explanation as the rows a person reads (ui/3-payout.png drill-down): for each component
its inputs, band or rule, formula and amount. Reads only the JSON written with the line, so a locked line is
explained exactly as it was computed."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from incentives.rules import format_money, format_percent

COMPONENTS = [
    ("commission", "提成", "COM"),
    ("ramp", "破冰奖励", "RAMP"),
    ("bonus", "系数奖金", "BONUS"),
    ("salary", "续保率奖金", "SALARY"),
    ("team", "团队奖励", "TEAM"),
    ("rank", "排名奖励", "RANK"),
    ("special", "专项奖励", "SPECIAL"),
    ("penalty", "扣款", "PENALTY"),
]
ROLE_SHORT = {"callback": "回访", "seller": "销售", "lead": "负责人"}
CHANNEL = {"store": "到店", "telesales": "电销"}
KIND = {"complex_case": "复杂案件", "win_back": "挽回客户", "shared_case": "共享案件"}


def component_rows(explanation: dict[str, Any]) -> list[dict[str, Any]]:
    components = explanation.get("components") or {}
    rows = []
    for key, label, code in COMPONENTS:
        item = components.get(key)
        if item is None:
            continue
        amount = Decimal(item["amount"])
        reason = (item.get("reason") or {}).get("text", "")
        rows.append(
            {
                "key": key,
                "label": label,
                "code": code,
                "inputs": _inputs(key, item.get("inputs") or {}, explanation),
                "rule": _rule(key, item, explanation) or reason or "—",
                "formula": item.get("formula") or "—",
                "amount": -amount if key == "penalty" and amount else amount,
                "zero": not amount,
                "not_applicable": (item.get("reason") or {}).get("key") == "not_applicable",
            }
        )
    return rows


def subtotals(explanation: dict[str, Any]) -> dict[str, Decimal]:
    components = explanation.get("components") or {}

    def amount(key: str) -> Decimal:
        return Decimal((components.get(key) or {}).get("amount", "0"))

    bonuses = sum((amount(key) for key in ("bonus", "salary", "team", "rank", "special")), Decimal("0.00"))
    return {
        "commission": amount("commission") + amount("ramp"),
        "bonuses": bonuses,
        "penalty": amount("penalty"),
        "total": amount("commission") + amount("ramp") + bonuses - amount("penalty"),
    }


def _pct(value: Any, places: int = 2) -> str:
    if value in (None, ""):
        return "—"
    return format_percent(Fraction(str(value)), places=places, keep_zeros=True)


def _rule(key: str, item: dict[str, Any], explanation: dict[str, Any]) -> str:
    if key == "commission":
        rates = explanation.get("commission_rates") or {}
        return "；".join(
            f"{ROLE_SHORT.get(name.partition('.')[0], name)} {CHANNEL.get(name.partition('.')[2], '')} {rate}"
            for name, rate in rates.items()
        )
    return item.get("band") or ""


def _inputs(key: str, inputs: dict[str, Any], explanation: dict[str, Any]) -> str:
    if key == "commission":
        counts = inputs.get("counts") or {}
        parts = []
        for name, count in counts.items():
            role, _, channel = name.partition(".")
            parts.append(f"{ROLE_SHORT.get(role, role)} {CHANNEL.get(channel, channel)} {count}")
        return "；".join(parts) or "本月无记名续回"
    if key == "ramp" and inputs:
        mine = inputs.get("lead_this_month") or {}
        before = inputs.get("branch_window_before", 0)
        now = before + inputs.get("branch_this_month", 0)
        return (
            f"门店破冰期累计 {before} → {now} 单（门槛 {inputs.get('threshold')}）；"
            f"本人负责 到店 {mine.get('store', 0)} · 电销 {mine.get('telesales', 0)}"
        )
    if key == "bonus" and inputs:
        text = f"可续 {inputs.get('renewable')} · 续回 {inputs.get('renewed')}"
        if inputs.get("full_cover") is not None:
            text += f" · 全保 {inputs.get('full_cover')}"
        if inputs.get("r") is not None:
            text += f"；r = {_pct(inputs['r'])} · f = {_pct(inputs.get('f'))}"
        return text
    if key == "salary" and inputs:
        text = f"应续 {inputs.get('due')} · 续回 {inputs.get('renewed')}"
        if inputs.get("renewal_rate") is not None:
            text += f" → 续保率 {_pct(inputs['renewal_rate'])}"
        return text + f"；基本工资 {format_money(Decimal(str(inputs.get('base_salary', '0'))))}"
    if key == "team":
        shares = inputs.get("shares") or ([{"inputs": inputs}] if inputs.get("members") else [])
        return "；".join(
            f"{share['inputs'].get('scope', '')} k = {share['inputs'].get('k')}，"
            f"{len(share['inputs'].get('members') or ())} 人均分（本月有续回者）"
            for share in shares
        )
    if key == "rank" and inputs:
        return (
            f"集团第 {inputs.get('rank')} / {inputs.get('ranked')} 名（续回 {inputs.get('renewals')} · "
            f"续保率 {_pct(inputs.get('renewal_rate'), 1)} · 保费 {inputs.get('renewed_premium')}）"
        )
    if key == "special":
        awards = inputs.get("awards") or []
        return "；".join(
            f"{KIND.get(award.get('kind'), award.get('kind'))} {award.get('amount')}"
            + (f"（{award['note']}）" if award.get("note") else "")
            for award in awards
        )
    if key == "penalty" and inputs:
        score, target = inputs.get("team_score") or "—", inputs.get("team_target") or "—"
        return f"本人奖金类合计 {inputs.get('leader_bonuses')}；满意度 {score} / 目标 {target}"
    return ""
