"""python manage.py battle_report --month YYYY-MM --out FILE.xlsx [--branch CODE] [--cut-off "YYYY-MM-DD HH:MM"]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from reports.management.commands._common import branch_argument, cut_off_argument, month_argument
from reports.periods import format_cut_off


class Command(BaseCommand):
    help = "写出某月的战报表（汇总、员工、战败原因、权益、提成）。不指定门店时为事业部文件（含各门店与合计）。"

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--out", required=True, help="输出 .xlsx 文件")
        parser.add_argument("--branch", help="门店编码；省略 = 事业部")
        parser.add_argument("--cut-off", help='数据截至 "YYYY-MM-DD HH:MM"（本地时间），默认为现在')

    def handle(self, *args, **options):
        from reports.workbooks.battle import battle_report_data, write_battle_report

        month = month_argument(options["month"])
        branch = branch_argument(options.get("branch"))
        cut_off = cut_off_argument(options.get("cut_off"))
        data = battle_report_data(month=month, cut_off=cut_off, branch_ids=None if branch is None else [branch.pk])
        out = Path(options["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        write_battle_report(data, out)
        total = data.report.total.cohort
        self.stdout.write(
            f"已写入 {out}：{month:%Y-%m} 战报表 · {data.scope} · 数据截至 {format_cut_off(cut_off)} · "
            f"应续 {total.due} · 可续 {total.renewable} · 续回 {total.renewed}"
        )
