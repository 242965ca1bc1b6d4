"""Rates as exact fractions, shown to 0.1% half-up (DOMAIN.md §12 "Rates"). Pure: no Django.

A zero denominator has no rate (None): pages show "—" and workbooks an empty cell. Changes between months
are in percentage points, computed from the exact rates and rounded once.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

DASH = "—"


def ratio(numerator: int, denominator: int) -> Fraction | None:
    if not denominator:
        return None
    return Fraction(numerator, denominator)


def _half_up(value: Fraction, scale: int) -> int:
    """round(value × scale), ties away from zero, sign kept."""
    scaled = math.floor(abs(value) * scale + Fraction(1, 2))
    return -scaled if value < 0 else scaled


def rate_decimal(rate: Fraction | None) -> Decimal | None:
    """The rate rounded to 0.1% as the number Excel stores (0.521 for 52.1%)."""
    if rate is None:
        return None
    return Decimal(_half_up(rate, 1000)).scaleb(-3)


def format_rate(rate: Fraction | None) -> str:
    """19/36 → '52.8%'; None → '—'."""
    if rate is None:
        return DASH
    tenths = _half_up(rate, 1000)
    sign = "-" if tenths < 0 else ""
    tenths = abs(tenths)
    return f"{sign}{tenths // 10}.{tenths % 10}%"


def change_points(current: Fraction | None, previous: Fraction | None) -> Fraction | None:
    """The change in percentage points (exact); None when either month has no rate."""
    if current is None or previous is None:
        return None
    return (current - previous) * 100


def points_decimal(points: Fraction | None) -> Decimal | None:
    if points is None:
        return None
    return Decimal(_half_up(points, 10)).scaleb(-1)


def format_points(points: Fraction | None) -> str:
    """Fraction(17, 10) → '+1.7pt'; a change that rounds to zero is '0.0pt'; None → '—'."""
    if points is None:
        return DASH
    tenths = _half_up(points, 10)
    sign = "+" if tenths > 0 else ("-" if tenths < 0 else "")
    tenths = abs(tenths)
    return f"{sign}{tenths // 10}.{tenths % 10}pt"


def percent_number(rate: Fraction | None) -> float | None:
    """For chart geometry only (never for a figure people read)."""
    return None if rate is None else float(rate)
