"""The rule editor's form: every field of a RuleSet as the admin sees it (rates as %, bands as rows), and back.

Rates and shares are typed as percentages ('30', '33.5'); they are stored exactly (Fraction 'n/d') through
`ruleset_to_dict` / `ruleset_from_dict`, so what the admin typed is what the engine computes with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from incentives.rules import LINEAR, STEP, Band, RuleSet, band_to_dict, ruleset_from_dict, ruleset_to_dict
from incentives.services.versions import BAND_SETS

MONEY, SHARE, INT = "money", "share", "int"

# (tab, tab label, [(dotted key, label, kind, unit)])
TABS: list[tuple[str, str, list[tuple[str, str, str, str]]]] = [
    ("commission", "提成费率", [
        ("commission.callback", "回访员 / 单（到店）", MONEY, "元"),
        ("commission.seller", "服务顾问 / 单（到店）", MONEY, "元"),
        ("commission.lead", "续保负责人 / 单（到店）", MONEY, "元"),
        ("telesales_factor", "电销折算", SHARE, "%"),
        ("commission_floors.callback", "事业部下限 · 回访员", MONEY, "元"),
        ("commission_floors.seller", "事业部下限 · 服务顾问", MONEY, "元"),
        ("commission_floors.lead", "事业部下限 · 续保负责人", MONEY, "元"),
    ]),
    ("ramp", "破冰奖励", [
        ("ramp_months", "破冰期（月）", INT, "月"),
        ("ramp_threshold", "门槛（累计续回）", INT, "单"),
        ("ramp_per_renewal", "每单（到店）", MONEY, "元"),
        ("ramp_per_telesales_renewal", "每单（电销）", MONEY, "元"),
    ]),
    ("bonus", "系数奖金 BONUS", [("bonus_base", "基数", MONEY, "元")]),
    ("salary", "续保率奖金", []),
    ("team", "团队奖励", [
        ("department_award_per_point", "门店 · 每提升 1 个百分点", MONEY, "元"),
        ("department_award_per_two_points", "门店 · 每 2 个百分点另加", MONEY, "元"),
        ("team_award_per_point", "团队 · 每提升 1 个百分点", MONEY, "元"),
        ("team_award_per_two_points", "团队 · 每 2 个百分点另加", MONEY, "元"),
    ]),
    ("rank", "排名奖励", [
        ("rank_top_share", "第一档人数占比", SHARE, "%"),
        ("rank_top_award", "第一档奖励", MONEY, "元"),
        ("rank_second_share", "第二档人数占比（含第一档）", SHARE, "%"),
        ("rank_second_award", "第二档奖励", MONEY, "元"),
        ("rank_min_staff", "最少参与人数", INT, "人"),
    ]),
    ("special", "专项奖励", [
        ("special_complex_case.minimum", "复杂案件 · 下限", MONEY, "元"),
        ("special_complex_case.maximum", "复杂案件 · 上限", MONEY, "元"),
        ("special_win_back.minimum", "挽回客户 · 下限", MONEY, "元"),
        ("special_win_back.maximum", "挽回客户 · 上限", MONEY, "元"),
        ("special_shared_case.minimum", "共享案件 · 下限", MONEY, "元"),
        ("special_shared_case.maximum", "共享案件 · 上限", MONEY, "元"),
    ]),
    ("penalty", "扣款", [
        ("leader_penalty_rate", "组长扣款比例", SHARE, "%"),
        ("leader_penalty_lowest_teams", "全店最低几队", INT, "队"),
    ]),
    ("full_cover", "全保定义", [("full_cover_min_third_party_limit", "三者险保额不低于", MONEY, "元")]),
]  # fmt: skip
BAND_TAB = {"achievement_bands": "bonus", "full_cover_bands": "bonus", "salary_bands": "salary"}
BAND_LABELS = {key: label for key, _, label in BAND_SETS}
BAND_VARIABLES = {key: variable for key, variable, _ in BAND_SETS}


@dataclass
class EditorForm:
    """What the editor shows: values as typed, and what is wrong with them."""

    values: dict[str, str]
    bands: dict[str, list[dict[str, Any]]]
    errors: list[str] = field(default_factory=list)
    rules: RuleSet | None = None
    values_changed: set[str] = field(default_factory=set)


def percent_text(value: Fraction) -> str:
    """30 for 3/10, 33.5 for 67/200; at most 4 decimals of a percent."""
    scaled = Fraction(value) * 100
    for places in range(5):
        if (scaled * 10**places).denominator == 1:
            return format(Decimal((scaled * 10**places).numerator).scaleb(-places), "f")
    return format(Decimal(scaled.numerator) / Decimal(scaled.denominator), ".4f")


def form_from_rules(rules: RuleSet) -> EditorForm:
    data = ruleset_to_dict(rules)
    values: dict[str, str] = {}
    for _, _, specs in TABS:
        for key, _, kind, _ in specs:
            raw = _dig(data, key)
            values[key] = percent_text(Fraction(raw)) if kind == SHARE else str(raw)
    bands = {key: [_band_row(band) for band in getattr(rules, key)] for key, _, _ in BAND_SETS}
    return EditorForm(values=values, bands=bands, rules=rules)


def _band_row(band: Band) -> dict[str, Any]:
    return {
        "lower": percent_text(band.lower),
        "upper": "" if band.upper is None else percent_text(band.upper),
        "lower_inclusive": band.lower_inclusive,
        "upper_inclusive": band.upper_inclusive,
        "mode": band.mode,
        "value_at_lower": str(band.value_at_lower),
        "value_at_upper": "" if band.value_at_upper is None else str(band.value_at_upper),
    }


def form_from_post(post) -> EditorForm:
    """Parse the submitted editor; `rules` is None when a value cannot be read (errors say which)."""
    values = {key: post.get(key, "").strip() for _, _, specs in TABS for key, _, _, _ in specs}
    bands = {key: _posted_bands(post, key) for key, _, _ in BAND_SETS}
    form = EditorForm(values=values, bands=bands)
    data: dict[str, Any] = {"schema": 1}
    for _, _, specs in TABS:
        for key, label, kind, _ in specs:
            try:
                _put(data, key, _parse(values[key], kind))
            except ValueError:
                form.errors.append(f"“{label}”的值“{values[key]}”无效，请填写数字。")
    for key, rows in bands.items():
        data[key] = []
        for number, row in enumerate(rows, 1):
            try:
                band = _band_from_row(row)
            except (ValueError, TypeError, InvalidOperation) as error:
                row["broken"] = True
                form.errors.append(f"{BAND_LABELS[key]} 第 {number} 档：{error}")
                continue
            data[key].append(band_to_dict(band))
        if not data[key]:
            form.errors.append(f"{BAND_LABELS[key]}至少需要一档。")
    if not form.errors:
        try:
            form.rules = ruleset_from_dict(data)
        except (ValueError, TypeError) as error:
            form.errors.append(str(error))
    return form


def _posted_bands(post, key: str) -> list[dict[str, Any]]:
    try:
        count = min(int(post.get(f"{key}-count", "0")), 30)
    except ValueError:
        count = 0
    rows = []
    for index in range(count):
        prefix = f"{key}-{index}-"
        if post.get(prefix + "lower") is None:
            continue
        rows.append(
            {
                "lower": post.get(prefix + "lower", "").strip(),
                "upper": post.get(prefix + "upper", "").strip(),
                "lower_inclusive": post.get(prefix + "lower_inclusive") == "on",
                "upper_inclusive": post.get(prefix + "upper_inclusive") == "on",
                "mode": LINEAR if post.get(prefix + "mode") == LINEAR else STEP,
                "value_at_lower": post.get(prefix + "value_at_lower", "").strip(),
                "value_at_upper": post.get(prefix + "value_at_upper", "").strip(),
            }
        )
    return rows


def _band_from_row(row: dict[str, Any]) -> Band:
    linear = row["mode"] == LINEAR
    upper = _share(row["upper"], "上限") if row["upper"] else None
    return Band(
        lower=_share(row["lower"] or "0", "下限"),
        upper=upper,
        lower_inclusive=row["lower_inclusive"],
        upper_inclusive=row["upper_inclusive"] if upper is not None else False,
        mode=row["mode"],
        value_at_lower=_decimal(row["value_at_lower"], "系数"),
        value_at_upper=_decimal(row["value_at_upper"], "上限处系数") if linear else None,
    )


def _share(text: str, what: str) -> Fraction:
    return Fraction(_decimal(text.rstrip("%"), what)) / 100


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"{what}“{text}”不是有效数字") from None
    if not value.is_finite():
        raise ValueError(f"{what}“{text}”不是有效数字")
    return value


def _parse(text: str, kind: str) -> Any:
    if kind == INT:
        if not text.isdigit():
            raise ValueError(text)
        return int(text)
    if kind == SHARE:
        return str(_share(text, "比例"))
    return str(_decimal(text, "金额"))


def _dig(data: dict[str, Any], key: str) -> Any:
    for part in key.split("."):
        data = data[part]
    return data


def _put(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    data[parts[-1]] = value


def mark_changes(form: EditorForm, base: RuleSet | None) -> None:
    """Flag each value that differs from the version in force (amber cells in the editor)."""
    if base is None:
        return
    reference = form_from_rules(base)
    form.values_changed = {key for key, value in form.values.items() if value != reference.values.get(key)}
    for key, rows in form.bands.items():
        old_rows = reference.bands.get(key, [])
        for index, row in enumerate(rows):
            old = old_rows[index] if index < len(old_rows) else {}
            row["changed"] = {name for name, value in row.items() if name != "changed" and old.get(name) != value}
