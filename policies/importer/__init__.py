"""The workbook importer (DOMAIN.md §9–§10): check the file, validate the whole workbook, then write it
all-or-nothing. Entry point: policies.importer.service.import_workbook."""

from policies.importer.report import ImportReport, Issue
from policies.importer.safety import UnsafeWorkbook, check_workbook_file
from policies.importer.scope import UNRESTRICTED, ImportScope, scope_for_user
from policies.importer.service import import_workbook

__all__ = [
    "UNRESTRICTED",
    "ImportReport",
    "ImportScope",
    "Issue",
    "UnsafeWorkbook",
    "check_workbook_file",
    "import_workbook",
    "scope_for_user",
]
