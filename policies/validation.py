"""Cell-level parsing and validation for the import workbook (DOMAIN.md §9–§10).

Pure: no Django, no I/O. Every refusal is a FieldError whose message is shown to the user as is.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeGuard
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class FieldError(ValueError):
    """A value that cannot be accepted. .message is Chinese, for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


_FULL_WIDTH_TO_HALF = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def half_width(text: str) -> str:
    """Full-width ASCII -> half-width, ideographic space -> space."""
    return text.translate(_FULL_WIDTH_TO_HALF)


def _is_number(value: object) -> TypeGuard[int | float | Decimal]:
    # bool is an int subclass, but a TRUE cell is never a number the user meant.
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _whole_number(value: object) -> int | None:
    if not _is_number(value) or not math.isfinite(value) or value != int(value):
        return None
    return int(value)


def _text(value: object) -> str:
    return "" if value is None else half_width(str(value)).strip()


_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?E[+-]?\d+$", re.IGNORECASE)


def _precision_lost(label: str, value: object) -> FieldError:
    return FieldError(f"{label}“{value}”是数字格式，Excel 已把它转成数字并丢失了精度；请把该列设为“文本”格式后重新导出")


# --- plates ---------------------------------------------------------------------------------------

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_AUTHORITY = "[A-HJ-NP-Z]"  # the issuing authority's letter (发牌机关代号)
_SERIAL = "[A-HJ-NP-Z0-9]"  # I and O are never issued, neither as the authority nor in the serial: they read as 1, 0
_ENERGY = "[DABCEFGHJK]"
_PLATE = re.compile(f"^[{_PROVINCES}]{_AUTHORITY}{_SERIAL}{{4}}(?:{_SERIAL}|[挂学警港澳])$")
_NEW_ENERGY_PLATE = re.compile(f"^[{_PROVINCES}]{_AUTHORITY}(?:{_ENERGY}{_SERIAL}{{5}}|{_SERIAL}{{5}}{_ENERGY})$")
_PLATE_SEPARATORS = re.compile(r"[\s·•.\-・]")
_NO_PLATE_YET = {"暂未上牌", "未上牌", "新车"}


def normalise_plate(raw: object) -> tuple[str | None, bool]:
    """Return (plate, is_new_energy); (None, False) when the car has no plate yet."""
    plate = _PLATE_SEPARATORS.sub("", _text(raw)).upper()
    if not plate or plate in _NO_PLATE_YET:
        return None, False
    if _PLATE.match(plate):
        return plate, False
    if _NEW_ENERGY_PLATE.match(plate):
        return plate, True
    if plate[0] not in _PROVINCES:
        raise FieldError(f"车牌号“{raw}”无效：第一个字应为省份简称")
    if len(plate) not in (7, 8):
        raise FieldError(f"车牌号“{raw}”无效：应为 7 位，新能源车为 8 位")
    if "I" in plate or "O" in plate:
        raise FieldError(f"车牌号“{raw}”无效：号牌中不使用字母 I 和 O")
    raise FieldError(f"车牌号“{raw}”格式不正确")


# --- VIN --------------------------------------------------------------------------------------------

_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
# ISO 3779 transliteration: letters take the digit of their position, skipping I, O and Q.
_VIN_VALUES = dict(
    zip("ABCDEFGHJKLMNPRSTUVWXYZ", (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9), strict=True)
)
_VIN_VALUES |= {str(digit): digit for digit in range(10)}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit(vin: str) -> str:
    total = sum(_VIN_VALUES[char] * weight for char, weight in zip(vin, _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalise_vin(raw: object) -> tuple[str, list[str]]:
    """Return (vin, warnings). A wrong check digit is a warning only where the check digit is optional."""
    if _is_number(raw):
        raise _precision_lost("车架号", raw)
    vin = re.sub(r"\s", "", _text(raw)).upper()
    if not vin:
        raise FieldError("车架号不能为空")
    if _SCIENTIFIC.match(vin):
        raise _precision_lost("车架号", raw)
    if len(vin) != 17:
        raise FieldError(f"车架号“{vin}”应为 17 位，实际为 {len(vin)} 位")
    if not _VIN.match(vin):
        if any(char in vin for char in "IOQ"):
            raise FieldError(f"车架号“{vin}”无效：车架号中不使用字母 I、O、Q")
        raise FieldError(f"车架号“{vin}”含有无效字符，只能是数字和大写字母")
    expected = vin_check_digit(vin)
    if vin[8] == expected:
        return vin, []
    message = f"车架号“{vin}”的校验位（第 9 位）应为 {expected}，实际为 {vin[8]}，请核对是否抄错"
    # China (GB 16735) and North America (49 CFR 565) make the check digit mandatory; Europe and Japan do not.
    if vin[0] == "L" or vin[0] in "12345":
        raise FieldError(message)
    return vin, [message]


# --- people -----------------------------------------------------------------------------------------

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise_mobile(raw: object) -> str:
    whole = _whole_number(raw)
    text = str(whole) if whole is not None else re.sub(r"[\s\-()]", "", _text(raw))
    if not text:
        raise FieldError("手机号不能为空")
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix):
            text = text.removeprefix(prefix)
            break
    if not _MOBILE.match(text):
        raise FieldError(f"{_text(raw)} 不是有效的手机号")
    return text


_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"  # GB 11643: remainder 0..10 -> check character


def normalise_id_number(raw: object, *, today: date | None = None) -> str | None:
    """Return the 18-character 居民身份证号 with an uppercase X, or None when blank."""
    if _is_number(raw):
        raise _precision_lost("证件号", raw)
    id_number = re.sub(r"\s", "", _text(raw)).upper()
    if not id_number:
        return None
    if _SCIENTIFIC.match(id_number):
        raise _precision_lost("证件号", raw)
    if not _ID_NUMBER.match(id_number):
        raise FieldError(f"身份证号“{id_number}”应为 18 位：17 位数字加 1 位数字或 X")
    total = sum(int(char) * weight for char, weight in zip(id_number[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK_CHARS[total % 11] != id_number[17]:
        raise FieldError(f"身份证号“{id_number}”校验位不正确，请核对是否抄错")
    today = today or datetime.now(SHANGHAI).date()
    try:
        birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        birth = None
    if birth is None or birth.year < 1900 or birth > today:
        raise FieldError(f"身份证号“{id_number}”中的出生日期 {id_number[6:14]} 无效")
    return id_number


# --- dates ------------------------------------------------------------------------------------------

# Excel's day 0; starting on the 30th (not the 31st) absorbs Excel's fictitious 1900-02-29.
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})"),
)
# The time is dropped: policies run "from 0时 to 24时" of the stated days, so only the date matters.
_TIME_SUFFIX = re.compile(r"^(?:[T ]?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?|\d{1,2}时(?:\d{1,2}分)?(?:\d{1,2}秒)?)?$")


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _from_excel_serial(value: float | Decimal) -> date:
    if not math.isfinite(value) or not 1 <= value <= _EXCEL_MAX_SERIAL:
        raise FieldError(f"无法识别的日期：{value}")
    return _EXCEL_EPOCH + timedelta(days=int(value))


def parse_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if _is_number(value):
        return _from_excel_serial(value)
    text = _text(value)
    for pattern in _DATE_PATTERNS:
        found = pattern.match(text)
        if found and _TIME_SUFFIX.match(text[found.end() :].strip()):
            year, month, day = (int(part) for part in found.groups())
            try:
                return date(year, month, day)
            except ValueError:
                break
    raise FieldError(f"无法识别的日期：{value}")


def parse_optional_date(value: object) -> date | None:
    return None if _is_blank(value) else parse_date(value)


_MONTH_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
)


def parse_month(value: object) -> date:
    """Return the first day of the month."""
    if isinstance(value, date):
        return date(value.year, value.month, 1)
    text = _text(value)
    if _is_number(value):
        # 202503 typed into a cell; Excel serials for this century have five digits, so the two cannot clash.
        whole = _whole_number(value)
        if whole is None or not 100000 <= whole <= 999999:
            found = parse_date(value)
            return date(found.year, found.month, 1)
        text = str(whole)
    for pattern in _MONTH_PATTERNS:
        found = pattern.match(text)
        if found and 1 <= int(found.group(2)) <= 12:
            return date(int(found.group(1)), int(found.group(2)), 1)
    try:
        found = parse_date(text)
    except FieldError:
        raise FieldError(f"无法识别的月份：{value}（应为 YYYY-MM）") from None
    return date(found.year, found.month, 1)


# --- numbers ----------------------------------------------------------------------------------------

_CENT = Decimal("0.01")
_MONEY_TEXT = re.compile(r"^-?\d+(\.\d+)?$")


def parse_money(value: object) -> Decimal:
    """A non-negative CNY amount with at most two decimals, quantized to the cent."""
    if _is_blank(value):
        raise FieldError("金额不能为空")
    amount: Decimal | None
    if isinstance(value, bool):
        amount = None
    elif isinstance(value, float):
        # repr gives the shortest text that round-trips, so a cell holding 4512.0 becomes 4512.0, not 4511.99999….
        amount = Decimal(repr(value)) if math.isfinite(value) else None
    elif isinstance(value, int | Decimal):
        amount = Decimal(value)
    else:
        text = re.sub(r"[\s,¥￥]|元$|^RMB", "", _text(value), flags=re.IGNORECASE)
        amount = Decimal(text) if _MONEY_TEXT.match(text) else None
    if amount is None or not amount.is_finite():
        raise FieldError(f"无法识别的金额：{value}")
    if amount < 0:
        raise FieldError(f"金额不能为负数：{value}")
    if amount != amount.quantize(_CENT):
        raise FieldError(f"金额最多两位小数：{value}")
    return amount.quantize(_CENT)


_INT_TEXT = re.compile(r"^[+-]?\d+(\.0*)?$")


def parse_int(value: object, *, minimum: int | None = None, maximum: int | None = None) -> int:
    number = _whole_number(value)
    if isinstance(value, str):
        text = _text(value).replace(",", "")
        if _INT_TEXT.match(text):
            number = int(text.split(".")[0])
    if number is None:
        raise FieldError(f"应为整数：{value}")
    if minimum is not None and number < minimum:
        raise FieldError(f"{number} 不能小于 {minimum}")
    if maximum is not None and number > maximum:
        raise FieldError(f"{number} 不能大于 {maximum}")
    return number


_YES = {"是", "y", "yes", "1", "true", "√", "✓"}
_NO = {"否", "n", "no", "0", "false", "×", "✗"}


def parse_yes_no(value: object, *, default: bool | None = None) -> bool | None:
    if _is_blank(value):
        return default
    if isinstance(value, bool):
        return value
    if _is_number(value) and value in (0, 1):
        return bool(value)
    text = _text(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise FieldError(f"应填“是”或“否”：{value}")


def split_list(value: object) -> list[str]:
    return [part for part in re.split(r"[、,，;；\s]+", _text(value)) if part]


# --- coverages --------------------------------------------------------------------------------------

VEHICLE_DAMAGE = "车损险"
THIRD_PARTY = "三者险"
_COVERAGE_ALIASES = {
    "车损": VEHICLE_DAMAGE,
    "机动车损失保险": VEHICLE_DAMAGE,
    "机动车损失险": VEHICLE_DAMAGE,
    "车辆损失险": VEHICLE_DAMAGE,
    "三者": THIRD_PARTY,
    "第三者责任险": THIRD_PARTY,
    "第三者责任保险": THIRD_PARTY,
    "机动车第三者责任保险": THIRD_PARTY,
    "车上人员险": "车上人员",
    "车上人员责任险": "车上人员",
    "机动车车上人员责任保险": "车上人员",
}
# 三者险(100万) · 三者险100万元 · 三者险1000000 · 三者险(1000000); full-width brackets are half-width by now.
_COVERAGE_WITH_LIMIT = re.compile(r"^(?P<name>[^\d(]+?)\(?(?P<amount>\d+(?:\.\d+)?)(?P<wan>万)?元?\)?$")


@dataclass(frozen=True)
class Coverages:
    items: tuple[str, ...]
    has_vehicle_damage: bool
    third_party_limit: int | None  # yuan


def parse_coverages(value: object) -> Coverages:
    items: list[str] = []
    third_party_limit: int | None = None
    for part in re.split(r"[、,;\n]+", _text(value)):
        entry = re.sub(r"\s", "", part)
        if not entry:
            continue
        found = _COVERAGE_WITH_LIMIT.match(entry)
        name = found.group("name") if found else entry
        name = _COVERAGE_ALIASES.get(name, name)
        if found and name == THIRD_PARTY:
            third_party_limit = _third_party_limit(found, entry)
        if name not in items:
            items.append(name)
    return Coverages(
        items=tuple(items),
        has_vehicle_damage=VEHICLE_DAMAGE in items,
        third_party_limit=third_party_limit,
    )


def _third_party_limit(found: re.Match[str], entry: str) -> int:
    amount = Decimal(found.group("amount"))
    if found.group("wan"):
        amount *= 10_000
    # No 三者险 is sold below 5万; a bare "100" almost certainly lost its 万, and guessing would mis-rate 全保.
    if amount < 10_000 or amount != int(amount):
        raise FieldError(f"险别“{entry}”的三者险保额无法识别，请写成“三者险(100万)”或“三者险1000000”")
    return int(amount)


def is_full_cover(*, has_compulsory: bool, coverages: Coverages, min_third_party: int = 1_000_000) -> bool:
    """全保 (DOMAIN.md §3): 交强险 + 车损险 + 三者险 with at least the minimum limit."""
    return (
        has_compulsory
        and coverages.has_vehicle_damage
        and coverages.third_party_limit is not None
        and coverages.third_party_limit >= min_third_party
    )


# --- codes ------------------------------------------------------------------------------------------


def normalise_code(raw: object, *, label: str) -> str:
    """An identifier typed into a cell (门店编码, 工号, 保单号): spaces removed, uppercase; "" when blank.

    A whole number is taken as its digits, unless Excel has already rounded it (15+ digits or scientific).
    """
    if _is_number(raw):
        whole = _whole_number(raw)
        if whole is None or abs(whole) >= 10**15:
            raise _precision_lost(label, raw)
        return str(whole)
    code = re.sub(r"\s", "", _text(raw)).upper()
    if _SCIENTIFIC.match(code):
        raise _precision_lost(label, raw)
    return code
