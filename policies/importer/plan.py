"""What validation hands the writer: the validated rows, and an index on disk holding one entry per customer and
per VIN folding what every row said about them (so each is written once, the same way whatever the row order)."""

from __future__ import annotations

from dataclasses import dataclass, field

from policies.importer.index import WorkbookIndex
from policies.importer.rows import (
    BranchRow,
    SatisfactionRow,
    StaffRow,
    TargetRow,
)
from policies.importer.spool import RowSpool


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
    index: WorkbookIndex = field(default_factory=WorkbookIndex)  # natural keys, customers, vehicles
    insurers: set[str] = field(default_factory=set)

    def close(self) -> None:
        self.policies.close()
        self.retained.close()
        self.index.close()
