"""What an import found and did: errors and warnings located by sheet, Excel row and column, and counts."""

from __future__ import annotations

from dataclasses import dataclass, field

FILE_SHEET = "文件"  # issues about the file itself, before any sheet is read


@dataclass(frozen=True, slots=True)
class Issue:
    sheet: str
    row: int | None  # Excel row number; None for a whole sheet or the file
    column: str  # the header as written in the file ("" when the issue is not about one column)
    message: str  # Chinese, for the user; phones and ID numbers already masked

    def line(self) -> str:
        """`保单!第12行 车架号: 校验位错误…` — the command's stderr format."""
        where = f"{self.sheet}!第{self.row}行" if self.row is not None else self.sheet
        return f"{where} {self.column}: {self.message}" if self.column else f"{where}: {self.message}"

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


@dataclass(slots=True)
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


# The order lines appear in summaries: the sheets, then the records the 保单/保有客户 rows bring along.
COUNT_LABELS = ("门店", "员工", "保单", "保有客户", "目标", "满意度", "客户", "车辆")


@dataclass
class ImportReport:
    dry_run: bool = False
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    counts: dict[str, Counts] = field(default_factory=dict)
    rows_read: dict[str, int] = field(default_factory=dict)
    terms_rebuilt: int = 0
    written: bool = False  # True once the transaction committed

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.errors.append(Issue(sheet, row, column, message))

    def warn(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.warnings.append(Issue(sheet, row, column, message))

    def insert_row_errors(self, since: int, issues: list[Issue]) -> None:
        """Errors found once a whole sheet was read (`issues`, by row), placed among the errors its rows already
        had (errors[since:], in row order): each after those of its own row, before those of any later row."""
        if not issues:
            return
        merged: list[Issue] = []
        pending = 0
        for issue in self.errors[since:]:
            while issue.row is not None and pending < len(issues) and issues[pending].row < issue.row:
                merged.append(issues[pending])
                pending += 1
            merged.append(issue)
        merged.extend(issues[pending:])
        self.errors[since:] = merged

    def count(self, label: str) -> Counts:
        return self.counts.setdefault(label, Counts())

    def summary(self) -> dict:
        """JSON-ready, for ImportBatch.summary."""
        ordered = [label for label in COUNT_LABELS if label in self.counts]
        return {
            "dry_run": self.dry_run,
            "written": self.written,
            "rows_read": self.rows_read,
            "counts": {label: self.counts[label].as_dict() for label in ordered},
            "terms_rebuilt": self.terms_rebuilt,
        }

    def summary_lines(self) -> list[str]:
        lines = []
        for label in COUNT_LABELS:
            if label in self.counts:
                c = self.counts[label]
                lines.append(f"{label}: 新增 {c.created}，更新 {c.updated}，未变 {c.unchanged}")
        if self.terms_rebuilt:
            lines.append(f"保险期: 重建 {self.terms_rebuilt} 个")
        return lines
