from datetime import date, datetime
from decimal import Decimal as D

import pytest

from policies.validation import (
    Coverages,
    FieldError,
    half_width,
    is_full_cover,
    normalise_id_number,
    normalise_mobile,
    normalise_plate,
    normalise_vin,
    parse_coverages,
    parse_date,
    parse_int,
    parse_money,
    parse_month,
    parse_optional_date,
    parse_yes_no,
    split_list,
    vin_check_digit,
)

# --- half_width ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＡＢＣ１２３", "ABC123"),
        ("京Ａ１２３４５", "京A12345"),
        ("三者险（100万）", "三者险(100万)"),
        ("a\u3000b", "a b"),
        ("＋８６－１３８", "+86-138"),
        ("已是半角 abc", "已是半角 abc"),
    ],
)
def test_half_width_converts_full_width_ascii_and_ideographic_space(text, expected):
    assert half_width(text) == expected


# --- plates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("京A12345", ("京A12345", False)),
        ("京a12345", ("京A12345", False)),
        ("京Ａ１２３４５", ("京A12345", False)),  # full-width
        ("京A·12345", ("京A12345", False)),
        ("京A•12345", ("京A12345", False)),
        ("京A.12345", ("京A12345", False)),
        ("京A-12345", ("京A12345", False)),
        (" 京 A 123 45 ", ("京A12345", False)),
        ("京A\u300012345", ("京A12345", False)),  # ideographic space
        ("粤B1234挂", ("粤B1234挂", False)),
        ("川A1234学", ("川A1234学", False)),
        ("粤Z1234港", ("粤Z1234港", False)),
        ("沪AD12345", ("沪AD12345", True)),  # small new-energy: energy letter first
        ("沪A·F1234B", ("沪AF1234B", True)),
        ("沪A12345D", ("沪A12345D", True)),  # large new-energy: energy letter last
        ("沪A12345F", ("沪A12345F", True)),
        ("", (None, False)),
        (None, (None, False)),
        ("   ", (None, False)),
        ("暂未上牌", (None, False)),
        ("未上牌", (None, False)),
        ("新车", (None, False)),
    ],
)
def test_plate_is_normalised(raw, expected):
    assert normalise_plate(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message_part"),
    [
        ("京A1234I", "I 和 O"),
        ("京AO1234", "I 和 O"),
        ("京A12O45", "I 和 O"),
        ("AA12345", "省份简称"),
        ("港A12345", "省份简称"),
        ("京A1234", "7 位"),
        ("京A123456", "格式不正确"),  # 8 characters but no energy letter
        ("京AI12345", "I 和 O"),  # I is not an energy letter either
        ("京I12345", "I 和 O"),  # nor an issuing authority's letter
        ("沪O12345", "I 和 O"),
        ("粤ID12345", "I 和 O"),  # new energy
        ("京A1234567", "7 位"),  # 9 characters
        ("京11234A", "格式不正确"),  # second character must be a letter
        ("京A1234挂5", "格式不正确"),
    ],
)
def test_invalid_plate_is_refused_with_a_reason(raw, message_part):
    with pytest.raises(FieldError) as refused:
        normalise_plate(raw)
    assert message_part in refused.value.message
    assert raw in refused.value.message


# --- VIN ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected_vin", "warning_count"),
    [
        ("LVSFCFME37F107967", "LVSFCFME37F107967", 0),
        (" lvsfcfme37f107967 ", "LVSFCFME37F107967", 0),
        ("ＬＶＳＦＣＦＭＥ３７Ｆ１０７９６７", "LVSFCFME37F107967", 0),
        ("1HGCM82633A004352", "1HGCM82633A004352", 0),  # North American, correct
        ("WDBRF61JX3F378357", "WDBRF61JX3F378357", 0),  # German, check digit X
        ("WDBRF61J43F378357", "WDBRF61J43F378357", 1),  # German, wrong: warning only
        ("JH4KA8260MC000000", "JH4KA8260MC000000", 1),  # Japanese, wrong: warning only
    ],
)
def test_vin_is_normalised_and_checked(raw, expected_vin, warning_count):
    vin, warnings = normalise_vin(raw)
    assert vin == expected_vin
    assert len(warnings) == warning_count
    if warnings:
        assert "校验位" in warnings[0]


@pytest.mark.parametrize(
    ("raw", "message_part"),
    [
        ("LVSFCFME47F107967", "校验位"),  # Chinese: a wrong check digit is an error
        ("1HGCM82643A004352", "校验位"),  # North American: likewise
        ("LVSFCFMI37F107967", "I、O、Q"),
        ("LVSFCFMO37F107967", "I、O、Q"),
        ("LVSFCFMQ37F107967", "I、O、Q"),
        ("LVSFCFME37F10796", "17 位"),
        ("LVSFCFME37F1079671", "17 位"),
        ("LVSFCFME37F10796*", "无效字符"),
        ("", "不能为空"),
        (None, "不能为空"),
        (1.1e17, "文本"),
        (110000000000000000, "文本"),
        ("1.1E+17", "文本"),
        ("1.1e17", "文本"),
    ],
)
def test_invalid_vin_is_refused(raw, message_part):
    with pytest.raises(FieldError) as refused:
        normalise_vin(raw)
    assert message_part in refused.value.message


def _iso_3779_value(letter: str) -> int:
    # The table restates the alphabet in rows of nine: A–I, J–R, then S–Z starting at 2.
    if letter <= "R":
        return (ord(letter) - ord("A")) % 9 + 1
    return ord(letter) - ord("S") + 2


@pytest.mark.parametrize("letter", "ABCDEFGHJKLMNPRSTUVWXYZ")
def test_vin_letters_are_transliterated_per_iso_3779(letter):
    # Only position 1 (weight 8) is non-zero, and 8 is invertible mod 11, so each value has its own digit.
    remainder = 8 * _iso_3779_value(letter) % 11
    expected = "X" if remainder == 10 else str(remainder)
    assert vin_check_digit(f"{letter}0000000{expected}00000000") == expected
    assert normalise_vin(f"{letter}0000000{expected}00000000") == (
        f"{letter}0000000{expected}00000000",
        [],
    )


def test_vin_check_digit_message_names_the_expected_digit():
    with pytest.raises(FieldError, match="应为 3，实际为 4"):
        normalise_vin("LVSFCFME47F107967")


# --- mobile ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        13812345678,
        13812345678.0,
        "+8613812345678",
        "+86 138 1234 5678",
        "0086-138-1234-5678",
        "8613812345678",
        "138 1234 5678",
        "138-1234-5678",
        "１３８１２３４５６７８",
        "＋８６　１３８１２３４５６７８",
        " 13812345678\n",
    ],
)
def test_mobile_is_normalised(raw):
    assert normalise_mobile(raw) == "13812345678"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("12345678901", "12345678901 不是有效的手机号"),
        (12345678901, "12345678901 不是有效的手机号"),
        ("1381234567", "1381234567 不是有效的手机号"),  # 10 digits
        ("138123456789", "138123456789 不是有效的手机号"),  # 12 digits
        ("010-12345678", "010-12345678 不是有效的手机号"),  # landline
        ("1381234567a", "1381234567a 不是有效的手机号"),
        ("", "手机号不能为空"),
        (None, "手机号不能为空"),
    ],
)
def test_invalid_mobile_is_refused(raw, message):
    with pytest.raises(FieldError) as refused:
        normalise_mobile(raw)
    assert refused.value.message == message


# --- 身份证 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        (" 110101199003074477 ", "110101199003074477"),
        ("１１０１０１１９９００３０７４４７７", "110101199003074477"),
        ("", None),
        (None, None),
    ],
)
def test_id_number_is_normalised(raw, expected):
    assert normalise_id_number(raw) == expected


# One valid number per check character, so every entry of the MOD 11-2 map is exercised.
@pytest.mark.parametrize(
    "id_number",
    [
        "110101199001011050",
        "110101199001011181",
        "110101199001011042",
        "110101199001011093",
        "110101199001011034",
        "110101199001011085",
        "110101199001011026",
        "110101199001011077",
        "110101199001011018",
        "110101199001011069",
        "11010119900101100X",
    ],
)
def test_id_check_character_must_be_the_only_right_one(id_number):
    assert normalise_id_number(id_number) == id_number
    for wrong in "0123456789X".replace(id_number[-1], ""):
        with pytest.raises(FieldError, match="校验位"):
            normalise_id_number(id_number[:17] + wrong)


@pytest.mark.parametrize(
    ("raw", "message_part"),
    [
        ("110105194912310021", "校验位"),  # last character should be X
        ("110101199003074478", "校验位"),
        ("440304199902310011", "出生日期 19990231"),  # checksum fine, 31 Feb
        ("11010118991231001X", "出生日期 18991231"),  # before 1900
        ("11010519491231002", "18 位"),
        ("11010519491231002Y", "18 位"),
        ("110105491231002", "18 位"),  # first-generation 15-digit number
        (110101199003074477, "文本"),
        (1.10101199003074e17, "文本"),
        ("1.10101E+17", "文本"),
    ],
)
def test_invalid_id_number_is_refused(raw, message_part):
    with pytest.raises(FieldError) as refused:
        normalise_id_number(raw)
    assert message_part in refused.value.message


def test_id_number_with_birth_date_in_the_future_is_refused():
    # 2030-01-01, checksum valid
    with pytest.raises(FieldError, match="出生日期 20300101"):
        normalise_id_number("110101203001010014", today=date(2025, 6, 1))
    assert normalise_id_number("110101203001010014", today=date(2030, 1, 1)) == "110101203001010014"


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2025, 3, 31), date(2025, 3, 31)),
        (datetime(2025, 3, 31, 23, 59), date(2025, 3, 31)),
        (45000, date(2023, 3, 15)),
        (45000.75, date(2023, 3, 15)),  # the time of day is ignored
        (D("45000"), date(2023, 3, 15)),
        (1, date(1899, 12, 31)),
        (2958465, date(9999, 12, 31)),
        ("2025-03-31", date(2025, 3, 31)),
        ("2025/3/31", date(2025, 3, 31)),
        ("2025.3.31", date(2025, 3, 31)),
        ("2025-3-1", date(2025, 3, 1)),
        ("20250331", date(2025, 3, 31)),
        ("2025年3月31日", date(2025, 3, 31)),
        ("2025年03月31日", date(2025, 3, 31)),
        ("2025-03-31 00:00:00", date(2025, 3, 31)),
        ("2025-03-31 00:00", date(2025, 3, 31)),
        ("2025-03-31T08:30:00.123", date(2025, 3, 31)),
        ("2026年3月31日24时", date(2026, 3, 31)),
        ("2025年4月1日 0时", date(2025, 4, 1)),
        (" ２０２５－０３－３１ ", date(2025, 3, 31)),
        ("2024-02-29", date(2024, 2, 29)),
    ],
)
def test_date_is_parsed(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "2025-02-29",  # not a leap year
        "2025-13-01",
        "2025-03-31 garbage",
        "31/03/2025",
        "202503311",
        "",
        None,
        0,
        -5,
        2958466,
        float("nan"),
        True,
    ],
)
def test_unrecognised_date_is_refused(value):
    with pytest.raises(FieldError) as refused:
        parse_date(value)
    assert refused.value.message.startswith("无法识别的日期：")


def test_garbage_date_message_quotes_the_value():
    with pytest.raises(FieldError) as refused:
        parse_date("明年")
    assert refused.value.message == "无法识别的日期：明年"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("2025-03-31", date(2025, 3, 31)),
        (45000, date(2023, 3, 15)),
    ],
)
def test_optional_date(value, expected):
    assert parse_optional_date(value) == expected


def test_optional_date_still_refuses_garbage():
    with pytest.raises(FieldError):
        parse_optional_date("garbage")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-03", date(2025, 3, 1)),
        ("2025-3", date(2025, 3, 1)),
        ("2025/03", date(2025, 3, 1)),
        ("2025年3月", date(2025, 3, 1)),
        ("2025年03月", date(2025, 3, 1)),
        ("202503", date(2025, 3, 1)),
        (202503, date(2025, 3, 1)),
        (date(2025, 3, 17), date(2025, 3, 1)),
        (datetime(2025, 3, 17, 10, 0), date(2025, 3, 1)),
        ("2025-03-17", date(2025, 3, 1)),
        (45000, date(2023, 3, 1)),  # an Excel serial
    ],
)
def test_month_is_parsed_to_its_first_day(value, expected):
    result = parse_month(value)
    assert result == expected
    assert type(result) is date


@pytest.mark.parametrize("value", ["2025-13", "2025-00", "三月", "", None, 209913])
def test_unrecognised_month_is_refused(value):
    with pytest.raises(FieldError):
        parse_month(value)


# --- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1,234.5", D("1234.50")),
        ("1,234.50", D("1234.50")),
        ("¥1234.5", D("1234.50")),
        ("￥1234.5", D("1234.50")),
        ("1234.50元", D("1234.50")),
        ("１２３４．５", D("1234.50")),
        ("0", D("0.00")),
        (4512, D("4512.00")),
        (4512.0, D("4512.00")),
        (4512.35, D("4512.35")),
        (0.1, D("0.10")),
        (D("99.9"), D("99.90")),
        ("1.230", D("1.23")),  # a trailing zero is not a third decimal
    ],
)
def test_money_is_parsed_to_cents(value, expected):
    result = parse_money(value)
    assert result == expected
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("value", "message_part"),
    [
        (-1, "负数"),
        ("-1", "负数"),
        (-0.5, "负数"),
        (1.234, "两位小数"),
        ("1.234", "两位小数"),
        (D("1.005"), "两位小数"),
        ("abc", "无法识别"),
        ("1.2.3", "无法识别"),
        ("1e3", "无法识别"),
        (float("nan"), "无法识别"),
        (float("inf"), "无法识别"),
        (True, "无法识别"),
        ("", "不能为空"),
        (None, "不能为空"),
    ],
)
def test_invalid_money_is_refused(value, message_part):
    with pytest.raises(FieldError) as refused:
        parse_money(value)
    assert message_part in refused.value.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (90, 90),
        (90.0, 90),
        (D("90"), 90),
        ("90", 90),
        (" 90 ", 90),
        ("90.0", 90),
        ("1,000", 1000),
        ("-3", -3),
        ("９０", 90),
    ],
)
def test_int_is_parsed(value, expected):
    assert parse_int(value) == expected


@pytest.mark.parametrize(
    ("value", "kwargs", "message_part"),
    [
        (90.5, {}, "应为整数"),
        ("90.5", {}, "应为整数"),
        ("abc", {}, "应为整数"),
        ("", {}, "应为整数"),
        (None, {}, "应为整数"),
        (True, {}, "应为整数"),
        (float("nan"), {}, "应为整数"),
        (0, {"minimum": 1}, "不能小于 1"),
        (5, {"minimum": 1, "maximum": 4}, "不能大于 4"),
    ],
)
def test_invalid_int_is_refused(value, kwargs, message_part):
    with pytest.raises(FieldError) as refused:
        parse_int(value, **kwargs)
    assert message_part in refused.value.message


@pytest.mark.parametrize("value", [1, 4])
def test_int_at_its_bounds_is_accepted(value):
    assert parse_int(value, minimum=1, maximum=4) == value


@pytest.mark.parametrize(
    ("value", "default", "expected"),
    [
        ("是", None, True),
        ("否", None, False),
        ("Y", None, True),
        ("n", None, False),
        ("yes", None, True),
        ("NO", None, False),
        ("1", None, True),
        ("0", None, False),
        (1, None, True),
        (0, None, False),
        ("TRUE", None, True),
        ("false", None, False),
        (True, None, True),
        (False, None, False),
        ("√", None, True),
        ("×", None, False),
        (" 是 ", None, True),
        ("", None, None),
        (None, True, True),
        ("  ", False, False),
    ],
)
def test_yes_no(value, default, expected):
    assert parse_yes_no(value, default=default) is expected


@pytest.mark.parametrize("value", ["也许", "2", 2, "是的吧"])
def test_unrecognised_yes_no_is_refused(value):
    with pytest.raises(FieldError, match="应填“是”或“否”"):
        parse_yes_no(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("北京、天津、上海", ["北京", "天津", "上海"]),
        ("续保专员,回访员", ["续保专员", "回访员"]),
        ("续保专员，回访员；经理", ["续保专员", "回访员", "经理"]),
        ("a;b ; c", ["a", "b", "c"]),
        ("北京 天津\n上海", ["北京", "天津", "上海"]),
        ("、北京、、", ["北京"]),
        ("", []),
        (None, []),
    ],
)
def test_split_list(value, expected):
    assert split_list(value) == expected


# --- coverages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "车损险,三者险(100万),车上人员",
            Coverages(("车损险", "三者险", "车上人员"), True, 1_000_000),
        ),
        ("车损险，三者险（100万）", Coverages(("车损险", "三者险"), True, 1_000_000)),
        ("车损险、三者险100万元", Coverages(("车损险", "三者险"), True, 1_000_000)),
        ("车损险;三者险1000000", Coverages(("车损险", "三者险"), True, 1_000_000)),
        ("车损险；三者险(1000000)", Coverages(("车损险", "三者险"), True, 1_000_000)),
        ("三者险 (150 万)", Coverages(("三者险",), False, 1_500_000)),
        ("三者险(100万元)", Coverages(("三者险",), False, 1_000_000)),
        ("三者险(50万)", Coverages(("三者险",), False, 500_000)),
        ("第三者责任险(200万)", Coverages(("三者险",), False, 2_000_000)),
        ("机动车损失保险,三者险", Coverages(("车损险", "三者险"), True, None)),
        ("车辆损失险", Coverages(("车损险",), True, None)),
        ("车上人员(司机)", Coverages(("车上人员(司机)",), False, None)),
        ("车上人员1万", Coverages(("车上人员",), False, None)),  # only 三者险 limits count
        ("车损险,车损险", Coverages(("车损险",), True, None)),
        ("", Coverages((), False, None)),
        (None, Coverages((), False, None)),
    ],
)
def test_coverages_are_parsed(value, expected):
    assert parse_coverages(value) == expected


@pytest.mark.parametrize("value", ["三者险(100)", "三者险(0.5万)", "三者险(1000000.5)"])
def test_third_party_limit_that_cannot_be_read_is_refused(value):
    with pytest.raises(FieldError, match="三者险保额"):
        parse_coverages(value)


FULL = Coverages(("车损险", "三者险"), True, 1_000_000)


@pytest.mark.parametrize(
    ("has_compulsory", "coverages", "min_third_party", "expected"),
    [
        (True, FULL, 1_000_000, True),
        (False, FULL, 1_000_000, False),  # no 交强险
        (True, Coverages(("三者险",), False, 1_000_000), 1_000_000, False),  # no 车损险
        (True, Coverages(("车损险",), True, None), 1_000_000, False),  # no 三者险
        (True, Coverages(("车损险", "三者险"), True, 500_000), 1_000_000, False),
        (True, Coverages(("车损险", "三者险"), True, 500_000), 500_000, True),
        (True, Coverages(("车损险", "三者险"), True, 3_000_000), 1_000_000, True),
    ],
)
def test_full_cover(has_compulsory, coverages, min_third_party, expected):
    assert (
        is_full_cover(
            has_compulsory=has_compulsory,
            coverages=coverages,
            min_third_party=min_third_party,
        )
        is expected
    )


def test_full_cover_default_minimum_is_one_million():
    parsed = parse_coverages("车损险,三者险(100万)")
    assert is_full_cover(has_compulsory=True, coverages=parsed) is True
    parsed = parse_coverages("车损险,三者险(50万)")
    assert is_full_cover(has_compulsory=True, coverages=parsed) is False
