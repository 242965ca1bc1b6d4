from decimal import Decimal
from fractions import Fraction

from django import template

from incentives.rules import format_money, format_percent
from incentives.rules.amounts import format_coefficient

register = template.Library()


@register.filter
def money(value) -> str:
    """'2,492.28'; blank for None."""
    if value in (None, ""):
        return ""
    return format_money(Decimal(str(value)))


@register.filter
def signed_money(value) -> str:
    """'+300.00' / '-45.69' / '0.00' for deltas."""
    if value in (None, ""):
        return ""
    amount = Decimal(str(value))
    return ("+" if amount > 0 else "") + format_money(amount)


@register.filter
def pct(value, places=2) -> str:
    if value in (None, ""):
        return "—"
    return format_percent(Fraction(str(value)), places=int(places), keep_zeros=True)


@register.filter
def coef(value) -> str:
    if value in (None, ""):
        return "—"
    return format_coefficient(Fraction(str(value)), places=4)


@register.filter
def get(mapping, key):
    return (mapping or {}).get(key)
