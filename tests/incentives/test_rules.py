"""The pure incentive rules of DOMAIN.md §7, table-driven; no database, no Django settings.

Expected amounts are worked out by hand from the rule text (and the payout mock-up, ui/3-payout.png),
never from the implementation.
"""

from __future__ import annotations

import ast
import itertools
import json
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incentives.rules import (
    CALLBACK,
    COMPLEX_CASE,
    LEAD,
    LINEAR,
    SELLER,
    SHARED_CASE,
    STEP,
    STORE,
    TELESALES,
    WIN_BACK,
    AwardRange,
    Band,
    BonusInputs,
    ChannelCounts,
    Explained,
    LedTeam,
    RampInputs,
    RankEntry,
    RoleRates,
    SalaryInputs,
    SpecialAward,
    StaffMonth,
    band_from_dict,
    band_problems,
    band_to_dict,
    coefficient,
    commission,
    commission_total,
    compute_staff_month,
    default_ruleset,
    department_award,
    explained_to_dict,
    floor_violations,
    format_percent,
    improvement_points,
    leader_penalty,
    programme_month_number,
    ramp_bonus,
    rank_awards,
    round_money,
    ruleset_from_dict,
    ruleset_to_dict,
    salary_bonus,
    special_award_check,
    special_awards_total,
    specialist_bonus,
    split_award,
    split_evenly,
    team_award,
)

D = Decimal
F = Fraction
EPSILON = F(1, 10**6)
RULES = default_ruleset()


def pct(text: str) -> Fraction:
    """pct('60') == 3/5: rates in the tables read like DOMAIN.md."""
    return F(text) / 100


# ------------------------------------------------------------------ purity


def test_rule_engine_imports_nothing_from_django_or_the_database():
    package = Path(__file__).resolve().parents[2] / "incentives" / "rules"
    modules = sorted(package.glob("*.py"))
    assert modules
    for module in modules:
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {name for name in imported if name.split(".")[0] in {"django", "policies", "followups"}}, module


# ------------------------------------------------------------------ rounding


@pytest.mark.parametrize(
    ("exact", "expected"),
    [
        (F(1, 200), D("0.01")),  # 0.005: half-up
        (D("0.004999"), D("0.00")),
        (D("2.675"), D("2.68")),  # a float would give 2.67
        (F(2, 3), D("0.67")),
        (D("-0.005"), D("-0.01")),  # ties away from zero, like ROUND_HALF_UP
        (0, D("0.00")),
        (F(7232000, 6840), D("1057.31")),
    ],
)
def test_round_money_is_half_up_to_the_fen(exact, expected):
    assert str(round_money(exact)) == str(expected)


def _half_up(exact: Fraction, places: int) -> Decimal:
    """ROUND_HALF_UP of the exact value, by decimal arithmetic precise enough for these denominators."""
    with localcontext() as context:
        context.prec = 60
        quotient = Decimal(exact.numerator) / Decimal(exact.denominator)
        return quotient.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@given(st.fractions(min_value=-(10**9), max_value=10**9, max_denominator=10**6))
def test_round_money_is_the_half_up_of_the_exact_value(exact):
    assert round_money(exact) == _half_up(exact, 2)


@given(st.fractions(min_value=-10, max_value=10, max_denominator=10**6), st.sampled_from([0, 1, 2]))
def test_percentages_are_the_half_up_of_the_exact_rate(rate, places):
    expected = abs(value) if (value := _half_up(rate * 100, places)) == 0 else value
    assert format_percent(rate, places=places, keep_zeros=True) == f"{expected}%"


def test_floats_are_refused():
    with pytest.raises(TypeError):
        round_money(0.1)
    with pytest.raises(TypeError):
        coefficient(0.5, RULES.achievement_bands)


# ------------------------------------------------------------------ bands: B and A at every edge


@pytest.mark.parametrize(
    ("rate", "expected_b"),
    [
        (pct("0"), F(0)),
        (pct("30") - EPSILON, F(0)),  # just below 30%
        (pct("30"), F("0.4")),  # 30% exactly: linear band starts at 0.4
        (pct("45"), F("0.55")),  # = r + 0.10
        (pct("50"), F("0.6")),  # the seed example
        (pct("60") - EPSILON, pct("60") - EPSILON + F("0.1")),  # just below 60%: still linear, just under 0.7
        (pct("60"), F("1.0")),  # 60% exactly
        (pct("60") + EPSILON, F("1.5")),  # 60% + ε
        (pct("60.5"), F("1.5")),  # the seed's 121/200
        (pct("70"), F("1.5")),  # 70% exactly: still 1.5 (60% < r ≤ 70%)
        (pct("70") + EPSILON, F("1.8")),  # 70% + ε
        (pct("100"), F("1.8")),
    ],
)
def test_achievement_coefficient_b(rate, expected_b):
    assert coefficient(rate, RULES.achievement_bands).value == expected_b


@pytest.mark.parametrize(
    ("rate", "expected_a"),
    [
        (pct("0"), F(0)),
        (pct("70") - EPSILON, F(0)),  # just below 70%
        (pct("70"), F("0.7")),  # 70% exactly
        (pct("80"), F("0.8")),  # = f
        (pct("90") - EPSILON, pct("90") - EPSILON),  # just below 90%: still = f
        (pct("90"), F("1.0")),  # 90% exactly
        (pct("90") + EPSILON, F("1.5")),  # 90% + ε
        (pct("100"), F("1.5")),
    ],
)
def test_full_cover_coefficient_a(rate, expected_a):
    assert coefficient(rate, RULES.full_cover_bands).value == expected_a


def test_band_hit_names_the_band_for_the_explanation():
    hit = coefficient(F(19, 36), RULES.achievement_bands)
    assert hit.index == 1
    assert hit.describe("r") == "30% ≤ r < 60% 线性 0.4→0.7 = 0.627778"
    assert coefficient(pct("60"), RULES.achievement_bands).describe("r") == "r = 60% → 1"
    assert coefficient(pct("65"), RULES.achievement_bands).describe("r") == "60% < r ≤ 70% → 1.5"
    assert coefficient(pct("80"), RULES.achievement_bands).describe("r") == "r > 70% → 1.8"


def test_a_rate_in_no_band_is_an_error_not_a_zero():
    with_gap = (Band(lower=F(0), upper=pct("30"), value_at_lower=D("0")),)
    with pytest.raises(ValueError, match="不落在任何档位"):
        coefficient(pct("40"), with_gap)
    with pytest.raises(ValueError):
        coefficient(F(-1, 10), RULES.achievement_bands)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"lower": pct("70"), "upper": pct("60"), "value_at_lower": D("1")}, "小于下限"),
        ({"lower": pct("60"), "upper": pct("60"), "value_at_lower": D("1")}, "两端必须都含端点"),
        ({"lower": pct("30"), "upper": pct("60"), "value_at_lower": D("0.4"), "mode": LINEAR}, "上限处的系数"),
        ({"lower": pct("30"), "upper": None, "value_at_lower": D("0.4"), "value_at_upper": D("1"), "mode": LINEAR},
         "线性档位需要一个大于下限的上限"),
        ({"lower": pct("30"), "upper": pct("60"), "value_at_lower": D("0.4"), "value_at_upper": D("0.7")}, "阶梯档位"),
        ({"lower": F(-1, 10), "upper": None, "value_at_lower": D("1")}, "不能小于 0"),
        ({"lower": pct("30"), "upper": None, "value_at_lower": D("1"), "mode": "curve"}, "线性或阶梯"),
    ],
)  # fmt: skip
def test_malformed_band_is_refused_with_a_chinese_message(arguments, message):
    with pytest.raises(ValueError, match=message):
        Band(**arguments)


@given(
    st.fractions(min_value=0, max_value=2, max_denominator=10**6),
    st.fractions(min_value=0, max_value=2, max_denominator=10**6),
)
def test_default_coefficients_never_fall_as_the_rate_rises(first, second):
    low, high = sorted((first, second))
    for bands in (RULES.achievement_bands, RULES.full_cover_bands, RULES.salary_bands):
        assert coefficient(low, bands).value <= coefficient(high, bands).value


# ------------------------------------------------------------------ band editor: gaps and overlaps


def test_default_band_sets_are_clean():
    assert band_problems(RULES.achievement_bands) == []
    assert band_problems(RULES.full_cover_bands, variable="f") == []
    assert band_problems(RULES.salary_bands) == []


def test_overlap_at_sixty_percent_is_flagged_with_a_one_click_fix():
    # given the mock-up's v4 draft: 60% ≤ r ≤ 70% → 1.6 next to the point band r = 60% → 1.0
    bands = list(RULES.achievement_bands)
    bands[3] = replace(bands[3], lower_inclusive=True, value_at_lower=D("1.6"))
    # when
    problems = band_problems(bands)
    # then
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.kind, problem.lower, problem.upper) == ("overlap", pct("60"), pct("60"))
    assert problem.band_indices == (2, 3)
    assert problem.message == "重叠：r = 60% 同时落入第 3、4 档（1 / 1.6）"
    assert problem.fix == "第 4 档下限应为“<”"
    assert problem.fixed_bands is not None
    assert band_problems(problem.fixed_bands) == []
    # and the person on the overlap is paid by the first band, the other one is named
    hit = coefficient(pct("60"), bands)
    assert (hit.value, hit.index, hit.also_matching) == (F(1), 2, (3,))


def test_overlap_with_the_point_band_from_below_opens_the_wider_band():
    bands = list(RULES.achievement_bands)
    bands[1] = replace(bands[1], upper_inclusive=True)  # 30% ≤ r ≤ 60% also holds the point r = 60%
    problems = band_problems(bands)
    assert [(p.kind, p.lower, p.upper, p.band_indices) for p in problems] == [("overlap", pct("60"), pct("60"), (1, 2))]
    assert problems[0].fix == "第 2 档上限应为“<”"
    assert problems[0].fixed_bands == RULES.achievement_bands


def test_gap_between_thirty_and_thirty_five_percent_is_flagged_with_a_fix():
    bands = list(RULES.achievement_bands)
    bands[1] = replace(bands[1], lower=pct("35"))
    problems = band_problems(bands)
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.kind, problem.lower, problem.lower_inclusive) == ("gap", pct("30"), True)
    assert (problem.upper, problem.upper_inclusive) == (pct("35"), False)
    assert problem.message == "缺口：30% ≤ r < 35% 不属于任何档位"
    assert problem.fix == "第 2 档下限改为 30%（≤）"
    assert problem.fixed_bands is not None
    assert band_problems(problem.fixed_bands) == []


def test_missing_point_band_leaves_a_one_point_gap():
    bands = [band for index, band in enumerate(RULES.achievement_bands) if index != 2]
    problems = band_problems(bands)
    assert [(p.kind, p.lower, p.upper, p.upper_inclusive) for p in problems] == [("gap", pct("60"), pct("60"), True)]
    assert problems[0].message == "缺口：r = 60% 不属于任何档位"
    assert band_problems(problems[0].fixed_bands) == []


def test_overlapping_spans_are_one_problem_and_the_later_band_is_moved():
    bands = list(RULES.achievement_bands)
    bands[3] = replace(bands[3], upper=pct("75"))  # 60% < r ≤ 75% overlaps r > 70%
    problems = band_problems(bands)
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.kind, problem.lower, problem.lower_inclusive) == ("overlap", pct("70"), False)
    assert (problem.upper, problem.upper_inclusive, problem.band_indices) == (pct("75"), True, (3, 4))
    assert problem.message == "重叠：70% < r ≤ 75% 同时落入第 4、5 档（1.5 / 1.8）"
    assert problem.fix == "第 5 档下限改为 75%（<）"
    assert band_problems(problem.fixed_bands) == []


def test_top_band_ending_at_one_hundred_percent_leaves_a_gap_above_unless_checked_to_one_hundred():
    bands = list(RULES.full_cover_bands)
    bands[3] = replace(bands[3], upper=pct("100"), upper_inclusive=True)
    problems = band_problems(bands, variable="f")
    assert [(p.kind, p.message) for p in problems] == [("gap", "缺口：f > 100% 不属于任何档位")]
    assert band_problems(problems[0].fixed_bands) == []
    assert band_problems(bands, upper_bound=F(1)) == []


def test_no_bands_at_all_is_one_gap_from_zero():
    problems = band_problems([])
    assert [(p.kind, p.lower, p.upper) for p in problems] == [("gap", F(0), None)]


# ------------------------------------------------------------------ BONUS


@pytest.mark.parametrize(
    ("renewable", "renewed", "full_cover", "expected"),
    [
        (36, 19, 16, D("1057.31")),  # mock-up 黄磊: 2000 × (19/36 + 0.1) × 16/19
        (200, 100, 90, D("1200.00")),  # seed example as counts
        (200, 60, 60, D("1200.00")),  # r = 30% exactly → 0.4; f = 100% → 1.5
        (200, 59, 59, D("0.00")),  # r = 29.5% → 0
        (200, 120, 108, D("2000.00")),  # r = 60%, f = 90%: 1 × 1
        (200, 140, 140, D("4500.00")),  # r = 70% → 1.5, f = 100% → 1.5
        (200, 141, 141, D("5400.00")),  # r = 70.5% → 1.8
        (100, 50, 35, D("840.00")),  # f = 70% exactly → 0.7
        (100, 50, 34, D("0.00")),  # f = 68% → 0
        (100, 50, 46, D("1800.00")),  # f = 92% → 1.5
        (7, 3, 3, D("1585.71")),  # 2000 × (3/7 + 1/10) × 1.5 = 1585.714…
    ],
)
def test_specialist_bonus_from_counts(renewable, renewed, full_cover, expected):
    result = specialist_bonus(renewable=renewable, renewed=renewed, full_cover=full_cover, rules=RULES)
    assert str(result.amount) == str(expected)


@pytest.mark.parametrize(
    ("renewable", "renewed", "full_cover_rate", "expected"),
    [
        (200, 100, F(9, 10), D("1200.00")),  # the scheme's own example: 2000 × 0.6 × 1
        (200, 121, F(9, 10), D("3000.00")),  # ... and its second one: 2000 × 1.5 × 1
    ],
)
def test_specialist_bonus_seed_examples_with_a_full_cover_rate(renewable, renewed, full_cover_rate, expected):
    result = specialist_bonus(
        renewable=renewable, renewed=renewed, full_cover_rate=full_cover_rate, rules=RULES, rule_version="v1"
    )
    assert result.amount == expected
    assert result.rule_version == "v1"


def test_specialist_bonus_explains_inputs_coefficients_and_formula():
    result = specialist_bonus(renewable=36, renewed=19, full_cover=16, rules=RULES, rule_version="v3")
    assert result.inputs["r"] == F(19, 36)
    assert result.inputs["f"] == F(16, 19)
    assert result.coefficients == {"B": F(19, 36) + F(1, 10), "A": F(16, 19)}
    assert result.formula == "2000 × 0.627778 × 0.842105"
    assert result.band == "B：30% ≤ r < 60% 线性 0.4→0.7 = 0.627778；A：70% ≤ f < 90% 线性 0.7→0.9 = 0.842105"
    as_json = json.loads(json.dumps(explained_to_dict(result)))
    assert as_json["amount"] == "1057.31"
    assert as_json["coefficients"]["A"] == "16/19"
    assert as_json["rule_version"] == "v3"


def test_specialist_bonus_base_can_be_given():
    result = specialist_bonus(renewable=200, renewed=100, full_cover_rate=F(9, 10), rules=RULES, base=D("3000"))
    assert result.amount == D("1800.00")


def test_no_renewable_base_pays_zero_with_the_reason():
    result = specialist_bonus(renewable=0, renewed=0, full_cover=0, rules=RULES)
    assert str(result.amount) == "0.00"
    assert result.reason is not None
    assert result.reason.key == "no_renewable_base"
    assert "无可续基数" in result.reason.text


def test_no_renewals_pays_zero_without_dividing_by_zero():
    result = specialist_bonus(renewable=10, renewed=0, full_cover=0, rules=RULES)
    assert result.amount == D("0.00")
    assert result.reason is not None and result.reason.key == "no_renewals"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"renewable": 100, "renewed": 101, "full_cover": 0}, "续回 101 不能大于可续 100"),
        ({"renewable": 100, "renewed": 50, "full_cover": 51}, "全保 51 不能大于续回 50"),
        ({"renewable": -1, "renewed": 0, "full_cover": 0}, "可续应为非负整数"),
        ({"renewable": 100, "renewed": 50}, "二者之一"),
        ({"renewable": 100, "renewed": 50, "full_cover": 40, "full_cover_rate": F(4, 5)}, "二者之一"),
        ({"renewable": 100, "renewed": 50, "full_cover_rate": F(11, 10)}, "全保率应在"),
    ],
)
def test_impossible_bonus_inputs_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        specialist_bonus(**arguments, rules=RULES)


# ------------------------------------------------------------------ COM


@pytest.mark.parametrize(
    ("roles", "channel", "expected"),
    [
        ([CALLBACK], STORE, D("20.00")),
        ([SELLER], STORE, D("50.00")),
        ([LEAD], STORE, D("10.00")),
        ([CALLBACK], TELESALES, D("10.00")),  # telesales pays half
        ([SELLER], TELESALES, D("25.00")),
        ([LEAD], TELESALES, D("5.00")),
        ([CALLBACK, SELLER], STORE, D("70.00")),  # one person in two roles earns both
        ([SELLER, CALLBACK], TELESALES, D("35.00")),
        ([CALLBACK, SELLER, LEAD], STORE, D("80.00")),
        ([], STORE, D("0.00")),
    ],
)
def test_commission_per_renewal(roles, channel, expected):
    assert commission(roles_credited=roles, channel=channel, rules=RULES).amount == expected


@pytest.mark.parametrize(
    ("roles", "channel"),
    [(["specialist"], STORE), ([CALLBACK], "online"), ([CALLBACK, CALLBACK], STORE)],
)
def test_commission_refuses_unknown_roles_channels_and_double_credit(roles, channel):
    with pytest.raises(ValueError):
        commission(roles_credited=roles, channel=channel, rules=RULES)


def test_commission_total_matches_the_mock_up_line():
    # 黄磊: 回访 到店 12 · 电销 5; 销售 电销 5
    counts = {(CALLBACK, STORE): 12, (CALLBACK, TELESALES): 5, (SELLER, TELESALES): 5}
    result = commission_total(counts, RULES)
    assert result.amount == D("415.00")
    assert result.formula == "12×20 + 5×10 + 5×25"
    # 陈志强, the lead: 到店 64, 电销 23
    assert commission_total({(LEAD, STORE): 64, (LEAD, TELESALES): 23}, RULES).amount == D("755.00")


def test_commission_total_rounds_the_exact_sum_once():
    rules = replace(RULES, commission=RoleRates(callback=D("20.01"), seller=D("50"), lead=D("10")))
    # one telesales callback is 10.005 → 10.01, but three are 30.015 → 30.02, not 3 × 10.01 = 30.03
    assert commission(roles_credited=[CALLBACK], channel=TELESALES, rules=rules).amount == D("10.01")
    assert commission_total({(CALLBACK, TELESALES): 3}, rules).amount == D("30.02")


# ------------------------------------------------------------------ RAMP


def ramp(month_number, before, this_month, lead_this=(0, 0), lead_before=(0, 0)):
    return ramp_bonus(
        month_number=month_number,
        branch_window_before=before,
        branch_this_month=this_month,
        lead_this_month=ChannelCounts(*lead_this),
        lead_window_before=ChannelCounts(*lead_before),
        rules=RULES,
    )


@pytest.mark.parametrize(
    ("month_number", "before", "this_month", "lead_this", "lead_before", "expected"),
    [
        (1, 0, 19, (19, 0), (0, 0), D("0.00")),  # 19 < 20: nothing yet
        (1, 0, 20, (20, 0), (0, 0), D("400.00")),  # reaches 20: 20 × 20
        (1, 0, 20, (15, 5), (0, 0), D("350.00")),  # each at its own channel: 15×20 + 5×10
        (2, 15, 8, (6, 2), (10, 5), D("390.00")),  # crosses in month 2: all 23 so far, (10+6)×20 + (5+2)×10
        (2, 15, 10, (0, 0), (4, 1), D("90.00")),  # threshold month: owed for earlier renewals only
        (2, 15, 4, (4, 0), (10, 5), D("0.00")),  # 19 by the end of month 2: still nothing
        (3, 25, 10, (7, 3), (20, 5), D("170.00")),  # later window month: only the new ones, 7×20 + 3×10
        (3, 40, 87, (64, 23), (30, 10), D("1510.00")),  # the mock-up's lead: 64×20 + 23×10
        (4, 40, 30, (30, 0), (40, 0), D("0.00")),  # month 4: past the window
        (0, 0, 30, (30, 0), (0, 0), D("0.00")),  # a sale before the programme start month
        (None, 0, 30, (30, 0), (0, 0), D("0.00")),  # no 续保启动日期: past its window
    ],
)
def test_ramp_bonus(month_number, before, this_month, lead_this, lead_before, expected):
    assert ramp(month_number, before, this_month, lead_this, lead_before).amount == expected


@pytest.mark.parametrize(
    ("month_number", "before", "this_month", "reason"),
    [
        (1, 0, 19, "below_ramp_threshold"),
        (4, 40, 30, "outside_ramp_window"),
        (None, 0, 30, "no_programme_start"),
    ],
)
def test_ramp_bonus_says_why_it_is_zero(month_number, before, this_month, reason):
    result = ramp(month_number, before, this_month)
    assert result.reason is not None and result.reason.key == reason


def test_ramp_lead_cannot_have_more_renewals_than_the_branch():
    with pytest.raises(ValueError):
        ramp(1, 0, 5, lead_this=(6, 0))


@pytest.mark.parametrize(
    ("programme_start", "sale_month", "expected"),
    [
        ("2026-03-15", "2026-03-01", 1),
        ("2026-03-15", "2026-05-31", 3),
        ("2026-03-15", "2026-06-01", 4),
        ("2026-03-15", "2026-02-28", 0),
        ("2025-11-01", "2026-01-10", 3),  # across the year end
        (None, "2026-03-01", None),
    ],
)
def test_programme_month_number(programme_start, sale_month, expected):
    from datetime import date

    start = None if programme_start is None else date.fromisoformat(programme_start)
    assert programme_month_number(start, date.fromisoformat(sale_month)) == expected


# ------------------------------------------------------------------ SALARY


@pytest.mark.parametrize(
    ("due", "renewed", "base_salary", "expected"),
    [
        (10000, 7999, D("4500"), D("0.00")),  # 79.99%
        (10000, 8000, D("4500"), D("450.00")),  # 80% exactly → 10%
        (10000, 8999, D("4500"), D("450.00")),  # 89.99%
        (10000, 9000, D("4500"), D("675.00")),  # 90% exactly → 15%
        (10, 10, D("4500"), D("675.00")),
        (38, 19, D("4500.00"), D("0.00")),  # mock-up 黄磊: 50%
        (10, 9, D("4333.33"), D("650.00")),  # 649.9995 → 650.00
    ],
)
def test_salary_bonus(due, renewed, base_salary, expected):
    assert salary_bonus(due=due, renewed=renewed, base_salary=base_salary, rules=RULES).amount == expected


def test_salary_bonus_without_cases_due_is_zero_and_impossible_counts_are_refused():
    result = salary_bonus(due=0, renewed=0, base_salary=D("4500"), rules=RULES)
    assert result.amount == D("0.00") and result.reason is not None and result.reason.key == "no_cases_due"
    with pytest.raises(ValueError, match="不能大于应续"):
        salary_bonus(due=10, renewed=11, base_salary=D("4500"), rules=RULES)


# ------------------------------------------------------------------ TEAM


@pytest.mark.parametrize(
    ("previous", "current", "k"),
    [
        (None, pct("90"), 0),  # no cases last month: no improvement bonus
        (pct("55.2"), pct("58.9"), 3),  # mock-up: 3.7 points → 3
        (pct("50"), pct("50"), 0),
        (pct("50"), pct("40"), 0),  # a fall is 0, never negative
        (pct("50"), pct("50.99"), 0),
        (pct("50"), pct("51"), 1),
        (pct("50"), pct("52"), 2),
        (pct("50"), pct("53"), 3),
        (F(1, 3), F(2, 3), 33),
    ],
)
def test_improvement_points(previous, current, k):
    assert improvement_points(previous, current) == k


@pytest.mark.parametrize(
    ("k", "department", "team"),
    [
        (0, D("0.00"), D("0.00")),
        (1, D("500.00"), D("1000.00")),
        (2, D("2000.00"), D("4000.00")),  # 500·2 + 1000·1; 1000·2 + 2000·1
        (3, D("2500.00"), D("5000.00")),
        (4, D("4000.00"), D("8000.00")),
    ],
)
def test_department_and_team_awards(k, department, team):
    assert department_award(k, rules=RULES).amount == department
    assert team_award(k, rules=RULES).amount == team


def test_negative_improvement_points_are_refused():
    with pytest.raises(ValueError):
        department_award(-1, rules=RULES)


# ------------------------------------------------------------------ fen split


@pytest.mark.parametrize(
    ("amount", "employee_nos", "expected"),
    [
        (D("100.00"), ["3", "1", "2"], {"1": D("33.34"), "2": D("33.33"), "3": D("33.33")}),
        (D("100.00"), ["10", "9", "100"], {"9": D("33.34"), "10": D("33.33"), "100": D("33.33")}),  # numeric
        (D("100.00"), ["CD0103", "CD0101", "CD0102"],
         {"CD0101": D("33.34"), "CD0102": D("33.33"), "CD0103": D("33.33")}),
        (D("100.00"), ["A1", "10", "9"], {"10": D("33.34"), "9": D("33.33"), "A1": D("33.33")}),  # mixed: as text
        (D("0.02"), ["1", "2", "3"], {"1": D("0.01"), "2": D("0.01"), "3": D("0.00")}),
        (D("-100.00"), ["1", "2", "3"], {"1": D("-33.34"), "2": D("-33.33"), "3": D("-33.33")}),
        (D("50.00"), ["7"], {"7": D("50.00")}),
    ],
)  # fmt: skip
def test_split_evenly(amount, employee_nos, expected):
    shares = split_evenly(amount, employee_nos)
    assert shares == expected
    assert list(shares) == list(expected)  # in 工号 order
    assert sum(shares.values()) == amount


@pytest.mark.parametrize(
    ("amount", "employee_nos"),
    [(D("100.001"), ["1", "2"]), (D("100.00"), []), (D("100.00"), ["1", "1"])],
)
def test_split_evenly_refuses_partial_fen_empty_and_duplicate_lists(amount, employee_nos):
    with pytest.raises(ValueError):
        split_evenly(amount, employee_nos)


@given(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.lists(st.text(alphabet="0123456789ABC", min_size=1, max_size=6), min_size=1, max_size=30, unique=True),
)
def test_split_evenly_always_adds_up_and_shares_differ_by_at_most_one_fen(fen, employee_nos):
    amount = Decimal(fen).scaleb(-2)
    shares = split_evenly(amount, employee_nos)
    assert sum(shares.values()) == amount
    assert set(shares) == set(employee_nos)
    values = list(shares.values())
    assert max(values) - min(values) <= D("0.01")
    assert all(abs(first) >= abs(second) for first, second in itertools.pairwise(values))


def test_department_award_split_matches_the_mock_up():
    # given 门店续保率 55.2% → 58.9%, k = 3, 2,500 split among 11 people credited with a renewal
    award = department_award(improvement_points(pct("55.2"), pct("58.9")), rules=RULES, rule_version="v3")
    members = [f"CD01{number:02d}" for number in range(11, 0, -1)]
    # when
    shares = split_award(award, members)
    # then
    assert [shares[number].amount for number in ("CD0101", "CD0102", "CD0103", "CD0104", "CD0111")] == [
        D("227.28"), D("227.28"), D("227.28"), D("227.27"), D("227.27"),
    ]  # fmt: skip
    assert sum(share.amount for share in shares.values()) == D("2500.00")
    assert shares["CD0104"].formula == "2,500.00 ÷ 11，尾差 3 分归 CD0101、CD0102、CD0103"
    assert shares["CD0104"].rule_version == "v3"


# ------------------------------------------------------------------ RANK


def staff(count, *, start=1):
    """`count` people with distinct renewals: the one with most renewals has the lowest number."""
    return [
        RankEntry(f"E{start + index:03d}", renewals=100 - index, renewal_rate=pct("50"), renewed_premium=D("1000"))
        for index in range(count)
    ]


def amounts(awards):
    return {number: result.amount for number, result in awards.items() if result.amount}


@pytest.mark.parametrize(
    ("ranked", "expected"),
    [
        (9, {}),  # N < 10: no ranking awards
        (10, {"E001": D("2000.00")}),  # ⌈0.5⌉ = 1, ⌈1⌉ = 1: nobody gets 1000
        (20, {"E001": D("2000.00"), "E002": D("1000.00")}),  # ⌈1⌉ = 1, ⌈2⌉ = 2
        (21, {"E001": D("2000.00"), "E002": D("2000.00"), "E003": D("1000.00")}),  # ⌈1.05⌉ = 2, ⌈2.1⌉ = 3
        (38, {"E001": D("2000.00"), "E002": D("2000.00"), "E003": D("1000.00"), "E004": D("1000.00")}),
    ],
)
def test_rank_awards_by_group_size(ranked, expected):
    awards = rank_awards(staff(ranked), RULES)
    assert amounts(awards) == expected
    assert len(awards) == ranked


def test_fewer_than_ten_ranked_says_why():
    awards = rank_awards(staff(9), RULES)
    assert {result.reason.key for result in awards.values() if result.reason} == {"too_few_ranked"}


def test_staff_without_a_renewal_are_not_counted_in_n():
    entries = staff(9) + [RankEntry(f"Z{index}", 0, F(0), D("0")) for index in range(5)]
    awards = rank_awards(entries, RULES)
    assert amounts(awards) == {}
    assert not any(number.startswith("Z") for number in awards)


def test_ties_on_all_three_keys_at_the_second_cut_all_get_1000():
    entries = staff(20)
    entries[2] = replace(entries[2], renewals=entries[1].renewals)  # E003 equals E002, who sits on the 10% cut
    assert amounts(rank_awards(entries, RULES)) == {"E001": D("2000.00"), "E002": D("1000.00"), "E003": D("1000.00")}


def test_ties_at_the_top_cut_get_the_higher_award_and_not_both():
    entries = staff(20)
    entries[1] = replace(entries[1], renewals=entries[0].renewals)  # E002 equals E001 at the 5% cut
    assert amounts(rank_awards(entries, RULES)) == {"E001": D("2000.00"), "E002": D("2000.00")}


def test_ties_are_broken_by_rate_then_premium_and_a_partial_tie_at_a_cut_gets_nothing():
    entries = [replace(entry, renewals=10) for entry in staff(20)]
    entries[0] = replace(entries[0], renewals=50, renewal_rate=pct("60"), renewed_premium=D("1000"))
    entries[1] = replace(entries[1], renewals=50, renewal_rate=pct("60"), renewed_premium=D("1000.01"))
    entries[2] = replace(entries[2], renewals=50, renewal_rate=pct("70"), renewed_premium=D("1"))
    entries[3] = replace(entries[3], renewals=50, renewal_rate=pct("60"), renewed_premium=D("1000"))
    awards = rank_awards(entries, RULES)
    # E003 first on rate, E002 second on premium; E001 and E004 share third place, below the 10% cut
    assert amounts(awards) == {"E003": D("2000.00"), "E002": D("1000.00")}
    assert [awards[number].inputs["rank"] for number in ("E003", "E002", "E001", "E004", "E005")] == [1, 2, 3, 3, 5]


# ------------------------------------------------------------------ SPECIAL


@pytest.mark.parametrize(
    ("kind", "amount", "allowed"),
    [
        (COMPLEX_CASE, D("500.00"), True),
        (COMPLEX_CASE, D("1000.00"), True),
        (COMPLEX_CASE, D("499.99"), False),
        (COMPLEX_CASE, D("1000.01"), False),
        (WIN_BACK, D("1000"), True),
        (WIN_BACK, D("2000"), True),
        (WIN_BACK, D("999.99"), False),
        (WIN_BACK, D("2000.01"), False),
        (SHARED_CASE, D("500"), True),
        (SHARED_CASE, D("400"), False),
        (SHARED_CASE, D("600"), False),
    ],
)
def test_special_award_ranges(kind, amount, allowed):
    if allowed:
        assert special_award_check(kind, amount, RULES) == amount
    else:
        with pytest.raises(ValueError, match="超出范围"):
            special_award_check(kind, amount, RULES)


def test_special_award_of_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="未知的专项奖励类型"):
        special_award_check("birthday", D("500"), RULES)


def test_special_awards_add_up():
    awards = [SpecialAward(WIN_BACK, D("1000"), "挽回客户 川A·7F3K9"), SpecialAward(COMPLEX_CASE, D("650.50"))]
    assert special_awards_total(awards, RULES).amount == D("1650.50")


# ------------------------------------------------------------------ PENALTY


@pytest.mark.parametrize(
    ("team_score", "target", "branch_scores", "expected"),
    [
        (D("86.5"), D("90"), [D("85"), D("86.5"), D("91"), D("93")], D("45.69")),  # mock-up: 2% × 2,284.58
        (D("86.5"), D("90"), [D("80"), D("85"), D("86.5"), D("86.5"), D("95")], D("45.69")),  # tied third-lowest
        (D("86.5"), D("90"), [D("80"), D("85"), D("86.5"), D("86.5"), D("86.5")], D("45.69")),  # 5th but tied
        (D("86"), D("90"), [D("80"), D("82"), D("84"), D("86"), D("88")], D("0.00")),  # below target, 4th lowest
        (D("91"), D("90"), [D("91"), D("92"), D("95"), D("97")], D("0.00")),  # lowest, but meets the target
        (D("90"), D("90"), [D("80"), D("90")], D("0.00")),  # on target is not below it
        (D("85"), D("90"), [D("85"), D("95")], D("45.69")),  # only two teams: both are among the 3 lowest
    ],
)
def test_leader_penalty(team_score, target, branch_scores, expected):
    result = leader_penalty(
        leader_bonuses=D("2284.58"),
        team_score=team_score,
        team_target=target,
        team_scores_of_branch=branch_scores,
        rules=RULES,
    )
    assert result.amount == expected


def test_leader_penalty_without_a_score_is_zero_and_a_foreign_score_is_an_error():
    kwargs = {"leader_bonuses": D("1000"), "team_target": D("90"), "rules": RULES}
    assert leader_penalty(team_score=None, team_scores_of_branch=[], **kwargs).amount == D("0.00")
    with pytest.raises(ValueError):
        leader_penalty(team_score=D("70"), team_scores_of_branch=[D("80"), D("90")], **kwargs)


# ------------------------------------------------------------------ a whole payout line


def test_payout_line_of_the_mock_up_team_leader():
    # given 黄磊 (CD0104), 续保二组 组长, 2026-05, rule v3
    department_shares = split_award(
        department_award(3, rules=RULES, rule_version="v3"), [f"CD01{number:02d}" for number in range(1, 12)]
    )
    month = StaffMonth(
        employee_no="CD0104",
        commission_counts={(CALLBACK, STORE): 12, (CALLBACK, TELESALES): 5, (SELLER, TELESALES): 5},
        bonus=BonusInputs(renewable=36, renewed=19, full_cover=16),
        salary=SalaryInputs(due=38, renewed=19, base_salary=D("4500.00")),
        team_award_shares=(department_shares["CD0104"], team_award(0, rules=RULES, rule_version="v3")),
        special_awards=(SpecialAward(WIN_BACK, D("1000"), "挽回客户 川A·7F3K9"),),
        led_team=LedTeam(
            team_score=D("86.5"), team_target=D("90"), team_scores_of_branch=[D("85"), D("86.5"), D("91")]
        ),
    )
    # when
    line = compute_staff_month(month, rules=RULES, rule_version="v3")
    # then
    columns = {name: result.amount for name, result in line.columns()}
    assert columns == {
        "提成": D("415.00"),
        "破冰奖励": D("0.00"),
        "系数奖金": D("1057.31"),
        "续保率奖金": D("0.00"),
        "团队奖励": D("227.27"),
        "排名奖励": D("0.00"),
        "专项奖励": D("1000.00"),
        "扣款": D("45.69"),
    }
    assert line.bonuses == D("2284.58")
    assert line.total == D("2653.89")
    assert all(isinstance(result, Explained) and result.formula for _, result in line.columns())


def test_payout_line_of_the_mock_up_lead_in_the_third_ramp_month():
    month = StaffMonth(
        employee_no="CD0101",
        commission_counts={(LEAD, STORE): 64, (LEAD, TELESALES): 23},
        ramp=RampInputs(
            month_number=3,
            branch_window_before=40,
            branch_this_month=87,
            lead_this_month=ChannelCounts(64, 23),
            lead_window_before=ChannelCounts(30, 10),
        ),
        team_award_shares=(split_award(department_award(3, rules=RULES), ["CD0101", "CD0102", "CD0103"])["CD0101"],),
    )
    line = compute_staff_month(month, rules=RULES, rule_version="v3")
    assert (line.commission.amount, line.ramp.amount, line.team.amount) == (D("755.00"), D("1510.00"), D("833.34"))
    assert line.penalty.amount == D("0.00")
    assert line.total == D("3098.34")


def test_rank_award_flows_into_the_line_and_the_leaders_penalty_base():
    rank = rank_awards(staff(20), RULES)["E001"]
    month = StaffMonth(
        employee_no="E001",
        rank_award=rank,
        led_team=LedTeam(team_score=D("70"), team_target=D("90"), team_scores_of_branch=[D("70"), D("95")]),
    )
    line = compute_staff_month(month, rules=RULES)
    assert (line.rank.amount, line.penalty.amount, line.total) == (D("2000.00"), D("40.00"), D("1960.00"))


# ------------------------------------------------------------------ rule versions: defaults, floors, JSON


def test_default_ruleset_holds_every_default_of_domain_section_7():
    rules = default_ruleset()
    assert (rules.commission.callback, rules.commission.seller, rules.commission.lead) == (20, 50, 10)
    assert rules.commission_floors == rules.commission
    assert [rules.commission_rate(role, TELESALES) for role in (CALLBACK, SELLER, LEAD)] == [10, 25, 5]
    assert (rules.ramp_months, rules.ramp_threshold, rules.ramp_per_renewal, rules.ramp_per_telesales_renewal) == (
        3, 20, 20, 10,
    )  # fmt: skip
    assert rules.bonus_base == 2000
    assert (rules.rank_top_share, rules.rank_top_award, rules.rank_second_share, rules.rank_second_award) == (
        F(1, 20), 2000, F(1, 10), 1000,
    )  # fmt: skip
    assert rules.rank_min_staff == 10
    assert rules.special_complex_case == AwardRange(D("500"), D("1000"))
    assert rules.special_win_back == AwardRange(D("1000"), D("2000"))
    assert rules.special_shared_case == AwardRange(D("500"), D("500"))
    assert (rules.leader_penalty_rate, rules.leader_penalty_lowest_teams) == (F(2, 100), 3)
    assert rules.full_cover_min_third_party_limit == D("1000000")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        ({"commission": RoleRates(D("25"), D("60"), D("10"))}, []),  # raising is fine
        (
            {"commission": RoleRates(D("15"), D("50"), D("10"))},
            ["回访员提成 15.00 低于事业部底线 20.00", "回访员电销提成 7.50 低于事业部底线 10.00"],
        ),
        (
            {"telesales_factor": F(2, 5)},
            [
                "回访员电销提成 8.00 低于事业部底线 10.00",
                "服务顾问电销提成 20.00 低于事业部底线 25.00",
                "续保负责人电销提成 4.00 低于事业部底线 5.00",
            ],
        ),
        ({"commission_floors": RoleRates(D("20"), D("45"), D("10"))}, ["服务顾问提成底线 45.00 低于事业部底线 50.00"]),
    ],
)  # fmt: skip
def test_floor_violations(changes, expected):
    assert floor_violations(replace(RULES, **changes), RULES) == expected


def test_default_ruleset_json_round_trip_is_exact():
    data = ruleset_to_dict(RULES)
    assert data["commission"] == {"callback": "20", "seller": "50", "lead": "10"}
    assert data["telesales_factor"] == "1/2"
    assert data["achievement_bands"][1] == {
        "lower": "3/10", "upper": "3/5", "lower_inclusive": True, "upper_inclusive": False,
        "mode": "linear", "value_at_lower": "0.4", "value_at_upper": "0.7",
    }  # fmt: skip
    stored = json.loads(json.dumps(data))
    assert ruleset_from_dict(stored) == RULES
    assert ruleset_to_dict(ruleset_from_dict(stored)) == data


def test_edited_ruleset_json_round_trip_keeps_every_digit():
    edited = replace(
        RULES,
        commission=RoleRates(D("20.50"), D("55"), D("10.00")),
        telesales_factor=F(3, 5),
        bonus_base=D("2500.00"),
        achievement_bands=(
            Band(lower=F(0), upper=F(1, 3), value_at_lower=D("0")),
            Band(lower=F(1, 3), upper=F(2, 3), value_at_lower=D("0.125"), value_at_upper=D("1.6"), mode=LINEAR),
            Band(lower=F(2, 3), upper=None, value_at_lower=D("1.60"), mode=STEP),
        ),
        rank_min_staff=12,
    )
    data = json.loads(json.dumps(ruleset_to_dict(edited)))
    restored = ruleset_from_dict(data)
    assert restored == edited
    assert str(restored.commission.callback) == "20.50"
    assert str(restored.achievement_bands[2].value_at_lower) == "1.60"
    assert restored.achievement_bands[1].upper == F(2, 3)


@given(
    st.fractions(min_value=0, max_value=1, max_denominator=1000),
    st.fractions(min_value=0, max_value=1, max_denominator=1000),
    st.decimals(min_value=0, max_value=100, places=3),
    st.booleans(),
)
def test_any_band_round_trips_through_json(lower, width, value, inclusive):
    band = Band(lower=lower, upper=lower + width, value_at_lower=value, upper_inclusive=True, lower_inclusive=True)
    if not inclusive:
        band = replace(band, upper=None, upper_inclusive=False)
    assert band_from_dict(json.loads(json.dumps(band_to_dict(band)))) == band


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda data: data.pop("bonus_base"), "缺少 bonus_base"),
        (lambda data: data.update(surprise="1"), "未知 surprise"),
        (lambda data: data.update(bonus_base=2000.5), "bonus_base"),
        (lambda data: data.update(telesales_factor=0.5), "telesales_factor"),
        (lambda data: data.update(schema=2), "格式版本"),
        (lambda data: data["commission"].pop("lead"), "缺少 lead"),
        (lambda data: data.update(telesales_factor="3/2"), "telesales_factor"),
    ],
)
def test_malformed_ruleset_json_is_refused(mutate, message):
    data = json.loads(json.dumps(ruleset_to_dict(RULES)))
    mutate(data)
    with pytest.raises(ValueError, match=message):
        ruleset_from_dict(data)
