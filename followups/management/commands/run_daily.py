"""`python manage.py run_daily [--date YYYY-MM-DD] [--json]`: the daily case builder as of a date."""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from followups.services import run_daily


class Command(BaseCommand):
    help = "建案与状态推进：为到期窗口内的保险期建案、标记移交逾期、T−15 升级、T 后转脱保跟进、T+7 后转战败待审。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按哪一天运行（YYYY-MM-DD，默认今天，Asia/Shanghai）")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")

    def handle(self, *args, **options):
        day = timezone.localdate()
        if options["date"]:
            try:
                day = date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(f"日期格式应为 YYYY-MM-DD：{options['date']}") from error
        summary = run_daily(day=day)
        if options["json"]:
            self.stdout.write(json.dumps(summary.as_json(), ensure_ascii=False))
            return
        self.stdout.write(
            f"{summary.date:%Y-%m-%d} 每日建案完成：新建案件 {summary.cases_created} 件"
            f"（其中数据迟到 {summary.late_data} 件），跟进中案件 {summary.cases_open} 件，"
            f"移交逾期 {summary.handoff_overdue} 件，已升级 {summary.escalated} 件，"
            f"本次识别续回 {summary.renewed} 件、转脱保跟进 {summary.lapsed} 件、转战败待审 {summary.lost_pending} 件，"
            f"今日待发客户提醒 {summary.reminders_due} 条。"
        )
