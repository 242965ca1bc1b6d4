"""Reads of the perks app for pages and reports (never write)."""

from perks.selectors.costs import PerkMonthRow, perk_cost, perk_month_rows, unit_cost
from perks.selectors.entitlements import live_entitlements, unrecovered_amount
from perks.selectors.history import loyalty_counts_of, loyalty_history
from perks.selectors.oil_cards import (
    OilCard,
    oil_card,
    oil_cards_for,
    pending_oil_count,
    pending_oil_requests_for,
    waiting_for_deputy_count,
)

__all__ = [
    "OilCard",
    "PerkMonthRow",
    "live_entitlements",
    "loyalty_counts_of",
    "loyalty_history",
    "oil_card",
    "oil_cards_for",
    "pending_oil_count",
    "pending_oil_requests_for",
    "perk_cost",
    "perk_month_rows",
    "unit_cost",
    "unrecovered_amount",
    "waiting_for_deputy_count",
]
