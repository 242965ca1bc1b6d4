"""import_workbook: the one entry point the command, the upload task and the benchmark share.

1. the file is checked before openpyxl opens it (size, .xlsx, no macros, no zip bomb);
2. the whole workbook is read and validated; every error is collected;
3. only when there is none, everything is written in one transaction (a dry run rolls it back, so it reports
   exactly what a real import would create and update).
"""

from __future__ import annotations

import logging
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from django.db import DatabaseError, IntegrityError, transaction
from openpyxl.utils.exceptions import InvalidFileException

from policies.importer.reading import WorkbookReader
from policies.importer.report import FILE_SHEET, ImportReport
from policies.importer.safety import UnsafeWorkbook, check_workbook_file
from policies.importer.scope import UNRESTRICTED, ImportScope
from policies.importer.validate import WorkbookValidator
from policies.importer.writer import WorkbookWriter

logger = logging.getLogger(__name__)

# What a damaged or hostile file makes openpyxl raise; our own bugs are not among these and still surface.
_UNREADABLE = (InvalidFileException, zipfile.BadZipFile, zlib.error, ParseError, DefusedXmlException, EOFError)
_UNREADABLE_MESSAGE = (
    "无法读取工作簿：文件可能已损坏，或不是用 Excel/WPS 保存的标准 .xlsx 文件。请重新另存为 .xlsx 后再试。"
)


class _RollBack(Exception):
    """Raised inside the transaction of a dry run, after everything was written and counted."""


def import_workbook(
    source: Path | str | BinaryIO,
    *,
    name: str | None = None,
    dry_run: bool = False,
    scope: ImportScope = UNRESTRICTED,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    report = ImportReport(dry_run=dry_run)
    progress = progress or (lambda text: None)
    try:
        check_workbook_file(source, name=name)
    except UnsafeWorkbook as refused:
        report.error(FILE_SHEET, None, "", refused.message)
        return report
    handle = open(source, "rb") if isinstance(source, str | Path) else source  # noqa: SIM115
    try:
        plan = _validate(handle, report=report, scope=scope, progress=progress)
        if plan is None:
            return report
        try:
            if not report.errors:
                progress("校验通过，正在写入")
                _write(plan, report=report, progress=progress)
        finally:
            plan.close()
    finally:
        if handle is not source:
            handle.close()
    return report


def _validate(handle: BinaryIO, *, report: ImportReport, scope: ImportScope, progress):
    try:
        reader = WorkbookReader(handle, report)
    except (*_UNREADABLE, KeyError, ValueError, TypeError):
        logger.info("unreadable workbook", exc_info=True)
        report.error(FILE_SHEET, None, "", _UNREADABLE_MESSAGE)
        return None
    validator = WorkbookValidator(report=report, scope=scope, progress=progress)
    try:
        return validator.run(reader)
    except _UNREADABLE:
        logger.info("unreadable worksheet", exc_info=True)
        validator.plan.close()
        report.error(FILE_SHEET, None, "", _UNREADABLE_MESSAGE)
        return None
    finally:
        reader.close()


def _write(plan, *, report: ImportReport, progress) -> None:
    try:
        with transaction.atomic():
            WorkbookWriter(plan, report, progress).write()
            if report.dry_run:
                raise _RollBack
    except _RollBack:
        return
    except (IntegrityError, DatabaseError):
        # Validation should make this impossible; if the database still refuses, nothing was written.
        logger.exception("workbook import refused by the database")
        report.counts.clear()
        report.error(
            FILE_SHEET, None, "", "数据库拒绝写入（可能有人同时修改了相同的数据），未写入任何数据；请稍后重试。"
        )
        return
    report.written = True
