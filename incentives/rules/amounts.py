"""Exact numbers in, money out: the one place where amounts are rounded (DOMAIN.md §7).

Every component is computed with `Fraction` and rounded half-up to the fen exactly once, by `round_money`.
Floats are refused everywhere: 0.1 has no exact binary value, and a payout must be reproducible to the fen.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

Number = Fraction | Decimal | int


def as_fraction(value: Number | str, *, what: str = "数值") -> Fraction:
    """The exact value of an int, Decimal, Fraction or numeric string ('0.3', '3/10'); floats are refused."""
    if type(value) is Fraction:  # already exact (the engine's own numbers): no copy
        return value
    return Fraction(*_exact_ratio(value, what=what))


def _exact_ratio(value: Number | str, *, what: str = "数值") -> tuple[int, int]:
    """(numerator, denominator) of the exact value in lowest terms, as `as_fraction` reads it, without building a
    Fraction, for the hot paths that only need the integers."""
    if isinstance(value, Fraction):
        return value.numerator, value.denominator
    if isinstance(value, bool | float):
        raise TypeError(f"{what}不能是 {type(value).__name__}（请用 Decimal 或 Fraction）：{value!r}")
    if isinstance(value, int):
        return value, 1
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{what}必须是有限数：{value}")
        return value.as_integer_ratio()
    try:
        exact = Fraction(value)
    except (ValueError, ZeroDivisionError) as error:
        raise ValueError(f"{what}不是有效数字：{value!r}") from error
    return exact.numerator, exact.denominator


def round_money(value: Number) -> Decimal:
    """Half-up (away from zero on a tie, like `ROUND_HALF_UP`) to 0.01, from the exact value."""
    numerator, denominator = _exact_ratio(value, what="金额")
    fen = _half_up(numerator, denominator, 100)
    return Decimal(-fen if numerator < 0 else fen).scaleb(-2)


def is_whole_fen(amount: Decimal) -> bool:
    return 100 % _exact_ratio(amount, what="金额")[1] == 0


def format_money(amount: Number) -> str:
    """'2,284.58': the amounts of a payout sheet, with thousands separators."""
    return f"{round_money(amount):,.2f}"


def format_plain(value: Number) -> str:
    """A rule constant as the admin typed it: 2000, 0.4, 1/2 → '2000', '0.4', '0.5' (or 'n/d' if not decimal)."""
    exact = as_fraction(value)
    if exact.denominator == 1:
        return str(exact.numerator)
    decimal_text = _terminating_decimal(exact)
    return decimal_text if decimal_text is not None else f"{exact.numerator}/{exact.denominator}"


def format_coefficient(value: Number, places: int = 6) -> str:
    """A coefficient for an explanation: exact when it terminates within `places`, else half-up ('0.627778')."""
    exact = as_fraction(value)
    decimal_text = _terminating_decimal(exact, max_places=places)
    if decimal_text is not None:
        return decimal_text
    scale = 10**places
    scaled = _half_up(exact.numerator, exact.denominator, scale)
    text = f"{scaled // scale}.{scaled % scale:0{places}d}".rstrip("0").rstrip(".")
    return ("-" if exact < 0 else "") + text


def format_percent(value: Number, *, places: int = 2, keep_zeros: bool = False) -> str:
    """A rate as a percentage, half-up: 19/36 → '52.78%'; edges strip zeros (3/10 → '30%')."""
    exact = as_fraction(value)
    scale = 10**places
    scaled = _half_up(exact.numerator, exact.denominator, 100 * scale)
    text = f"{scaled // scale}.{scaled % scale:0{places}d}" if places else str(scaled)
    if not keep_zeros and "." in text:
        text = text.rstrip("0").rstrip(".")
    return ("-" if exact < 0 and scaled else "") + text + "%"


def _half_up(numerator: int, denominator: int, scale: int) -> int:
    """floor(|numerator / denominator| × scale + 1/2), in integers: the exact value is never approximated."""
    return (2 * abs(numerator) * scale + denominator) // (2 * denominator)


def _terminating_decimal(exact: Fraction, max_places: int = 12) -> str | None:
    """The exact decimal text when it has at most `max_places` places (the denominator has no prime factor but 2
    and 5; the places are the larger of their powers), else None."""
    rest, twos, fives = exact.denominator, 0, 0
    while rest % 2 == 0:
        rest, twos = rest // 2, twos + 1
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    places = max(twos, fives)
    if rest != 1 or places > max_places:
        return None
    value = Decimal(exact.numerator * 10**places // exact.denominator).scaleb(-places)
    text = str(value)
    return text if "E" not in text else format(value, "f")
