"""Customer perks (DOMAIN.md §6, §12): the append-only ledger, entitlements, the per-term counter that oil
grants lock, extra-oil requests and their decisions, rescue logs, repair-bill pricing and unit costs.

Invariants live here as constraints; every write goes through perks/services/.
"""

from perks.models.desk import DEFAULT_UNIT_COSTS, CostItem, RepairBill, RescueLog, UnitCost
from perks.models.ledger import (
    LOYALTY_KINDS,
    MONEY_KINDS,
    ONCE_PER_TERM_KINDS,
    SINGLE_USE_KINDS,
    TERM_KINDS,
    VOUCHER_KINDS,
    ZERO,
    AppendOnlyQuerySet,
    Entitlement,
    EntitlementStatus,
    EntryType,
    LedgerEntry,
    PerkKind,
)
from perks.models.oil import OilDecision, OilDecisionOutcome, OilRequest, OilRequestStatus, TermPerkCounter

__all__ = [
    "DEFAULT_UNIT_COSTS",
    "LOYALTY_KINDS",
    "MONEY_KINDS",
    "ONCE_PER_TERM_KINDS",
    "SINGLE_USE_KINDS",
    "TERM_KINDS",
    "VOUCHER_KINDS",
    "ZERO",
    "AppendOnlyQuerySet",
    "CostItem",
    "Entitlement",
    "EntitlementStatus",
    "EntryType",
    "LedgerEntry",
    "OilDecision",
    "OilDecisionOutcome",
    "OilRequest",
    "OilRequestStatus",
    "PerkKind",
    "RepairBill",
    "RescueLog",
    "TermPerkCounter",
    "UnitCost",
]
