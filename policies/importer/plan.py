"""What validation hands the writer: the validated rows, and one entry per customer and per VIN folding what
every row said about them (so each is written once, the same way whatever the row order)."""

from __future__ import annotations

from dataclasses import dataclass, field

from policies.importer.rows import (
    BranchRow,
    CustomerKey,
    SatisfactionRow,
    StaffRow,
    TargetRow,
)
from policies.importer.spool import RowSpool


class CustomerFacts:
    """What the rows say about one customer; later rows win (the latest row wins, DOMAIN.md §4)."""

    __slots__ = ("consent", "id_hash", "id_masked", "mobile", "name")

    def __init__(self, name: str, mobile: str, id_masked: str, id_hash: str | None):
        self.name, self.mobile, self.id_masked, self.id_hash = name, mobile, id_masked, id_hash
        self.consent: bool | None = None


class VehicleFacts:
    """What the rows say about one VIN. Each attribute comes from the row with the latest policy end date
    that fills it (保有客户 rows only fill what no 保单 row does); a blank never clears a known value."""

    __slots__ = ("model_name", "model_rank", "new_energy", "owner", "owner_rank", "plate", "plate_rank")

    def __init__(self) -> None:
        self.plate, self.new_energy, self.model_name, self.owner = "", False, "", None
        self.plate_rank = self.model_rank = self.owner_rank = -1

    def learn(self, *, rank: int, plate: str | None, new_energy: bool, model_name: str, owner: CustomerKey) -> None:
        if plate and rank >= self.plate_rank:
            self.plate, self.new_energy, self.plate_rank = plate, new_energy, rank
        if model_name and rank >= self.model_rank:
            self.model_name, self.model_rank = model_name, rank
        if rank >= self.owner_rank:
            self.owner, self.owner_rank = owner, rank


@dataclass
class ValidatedWorkbook:
    """Everything the writer needs, and nothing it must look up row by row."""

    present: dict[str, frozenset[str]] = field(default_factory=dict)  # sheet -> columns in the file
    branches: list[BranchRow] = field(default_factory=list)
    staff: list[StaffRow] = field(default_factory=list)
    policies: RowSpool = field(default_factory=RowSpool)
    retained: RowSpool = field(default_factory=RowSpool)
    targets: list[TargetRow] = field(default_factory=list)
    satisfaction: list[SatisfactionRow] = field(default_factory=list)
    customers: dict[CustomerKey, CustomerFacts] = field(default_factory=dict)
    customer_alias: dict[CustomerKey, CustomerKey] = field(default_factory=dict)  # name+mobile -> ID key
    vehicles: dict[str, VehicleFacts] = field(default_factory=dict)
    insurers: set[str] = field(default_factory=set)

    def customer_key(self, key: CustomerKey) -> CustomerKey:
        return self.customer_alias.get(key, key)

    def close(self) -> None:
        self.policies.close()
        self.retained.close()
