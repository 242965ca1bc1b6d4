"""python manage.py renewal_register --month YYYY-MM --out FILE.xlsx [--branch CODE] [--full-phones]"""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.management.base import BaseCommand

from reports.management.commands._common import branch_argument, cut_off_argument, month_argument
from reports.periods import format_cut_off

logger = logging.getLogger("reports.register")


class Command(BaseCommand):
    help = "写出某月的续保客户登记表（本月签单的全部续回）。电话默认掩码；--full-phones 输出完整电话并记录。"

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM（签单月）")
        parser.add_argument("--out", required=True, help="输出 .xlsx 文件")
        parser.add_argument("--branch", help="门店编码；省略 = 全部门店")
        parser.add_argument("--cut-off", help='数据截至 "YYYY-MM-DD HH:MM"（本地时间），默认为现在')
        parser.add_argument("--full-phones", action="store_true", help="输出完整电话（仅供续保负责人/经理，记录日志）")

    def handle(self, *args, **options):
        from policies.models import Branch
        from reports.services import build_register_file

        month = month_argument(options["month"])
        branch = branch_argument(options.get("branch"))
        cut_off = cut_off_argument(options.get("cut_off"))
        full_phones = options["full_phones"]
        if full_phones:
            logger.warning("renewal_register with full phones: month %s, branch %s, file %s",
                           f"{month:%Y-%m}", branch.code if branch else "ALL", options["out"])  # fmt: skip
        branch_ids = [branch.pk] if branch else list(Branch.objects.values_list("pk", flat=True))
        out = Path(options["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        rows = build_register_file(
            month=month, branch_ids=branch_ids, scope=branch.name if branch else "全部门店", cut_off=cut_off,
            full_phones=full_phones, path=out,
        )  # fmt: skip
        phones = "完整电话" if full_phones else "电话已掩码"
        self.stdout.write(
            f"已写入 {out}：{month:%Y-%m} 续保客户登记表 · {rows} 行 · {phones} · 数据截至 {format_cut_off(cut_off)}"
        )
