"""python manage.py import_workbook FILE.xlsx [--dry-run]

Exit 0 with a summary when the workbook was imported (or, with --dry-run, would be); exit 1 with every error
on stderr as `sheet!row column: message` lines and nothing written otherwise. Phones and IDs are masked.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from policies.importer import import_workbook


class Command(BaseCommand):
    help = "导入续保数据工作簿（门店、员工、保单、保有客户、目标、满意度）：先整体校验，全部通过才写入。"

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="要导入的 .xlsx 文件")
        parser.add_argument("--dry-run", action="store_true", help="只校验并报告将新增/更新的数量，不写入")

    def handle(self, *args, file: Path, dry_run: bool, verbosity: int, **options):
        if not file.is_file():
            raise CommandError(f"文件不存在：{file}")
        progress = (lambda text: self.stdout.write(text)) if verbosity >= 2 else None
        report = import_workbook(file, dry_run=dry_run, progress=progress)
        for issue in report.warnings:
            self.stdout.write(self.style.WARNING(f"警告 {issue.line()}"))
        if report.errors:
            for issue in report.errors:
                self.stderr.write(issue.line(), style_func=lambda text: text)
            raise CommandError(f"导入失败：共 {len(report.errors)} 个错误，未写入任何数据。", returncode=1)
        heading = "校验通过（试运行，未写入）" if dry_run else "导入完成"
        self.stdout.write(self.style.SUCCESS(f"{heading}：{file.name}"))
        for line in report.summary_lines():
            self.stdout.write(f"  {line}")
        if report.warnings:
            self.stdout.write(f"  警告 {len(report.warnings)} 条（见上）")
