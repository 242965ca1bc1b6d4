"""`payout`: compute a branch's draft payout for a month and write the finance sheet and/or JSON lines.

A locked (or approved) month is not recomputed: its lines are written exactly as they were approved.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from incentives.errors import IncentiveError
from incentives.exports import branch_sheet_bytes
from incentives.models import PayoutRun
from incentives.selectors import json_row, payout_sheet_rows, run_for
from incentives.services import compute_payout
from policies.models import Branch
from renewal_desk.months import month_label, parse_month


class Command(BaseCommand):
    help = "计算门店某月的提成发放（草稿），输出财务发放表 .xlsx 和/或 JSON 行。"

    def add_arguments(self, parser):
        parser.add_argument("--branch", required=True, help="门店编码")
        parser.add_argument("--month", required=True, help="月份 YYYY-MM（签单月）")
        parser.add_argument("--out", help="发放表 .xlsx 的输出路径")
        parser.add_argument("--json", action="store_true", help="每人一行 JSON，键为发放表表头")

    def handle(self, *args, **options):
        branch = Branch.objects.filter(code=options["branch"].strip()).first()
        if branch is None:
            raise CommandError(f"没有门店编码为 {options['branch']} 的门店。")
        try:
            month = parse_month(options["month"])
        except ValueError as error:
            raise CommandError(f"月份“{options['month']}”格式应为 YYYY-MM。") from error
        run = run_for(branch, month)
        if run is not None and run.state != PayoutRun.State.DRAFT:
            self.stderr.write(f"{branch.name} {month_label(month)} {run.get_state_display()}：按原样输出，未重新计算。")
        else:
            try:
                run = compute_payout(branch=branch, month=month, by=None)
            except IncentiveError as error:
                raise CommandError(error.message) from error
        if options["out"]:
            path = Path(options["out"])
            path.write_bytes(branch_sheet_bytes(run))
            self.stderr.write(f"已写出 {path}（{run.line_count} 行，合计 {run.total:,.2f}）")
        if options["json"]:
            for row in payout_sheet_rows(run):
                self.stdout.write(json.dumps(json_row(row), ensure_ascii=False))
        elif not options["out"]:
            self.stdout.write(
                f"{branch.name} {month_label(month)} {run.get_state_display()}：{run.line_count} 行，"
                f"合计 {run.total:,.2f}，规则 {run.rule_version.label}"
            )
