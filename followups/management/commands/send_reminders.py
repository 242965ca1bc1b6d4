"""`python manage.py send_reminders [--at "YYYY-MM-DD HH:MM"] [--json]`: send the customer reminders due then."""

from __future__ import annotations

import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from followups.services import send_reminders


class Command(BaseCommand):
    help = "发送此刻到期的客户提醒短信：需客户同意，21:00–09:00 不发送，同一案件同一档次只发一次。"

    def add_arguments(self, parser):
        parser.add_argument("--at", help='按哪个时刻发送（"YYYY-MM-DD HH:MM"，Asia/Shanghai，默认现在）')
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")

    def handle(self, *args, **options):
        at = timezone.now()
        if options["at"]:
            try:
                at = timezone.make_aware(datetime.strptime(options["at"].strip(), "%Y-%m-%d %H:%M"))
            except ValueError as error:
                raise CommandError(f'时刻格式应为 "YYYY-MM-DD HH:MM"：{options["at"]}') from error
        summary = send_reminders(at=at)
        if options["json"]:
            self.stdout.write(json.dumps(summary.as_json(), ensure_ascii=False))
            return
        local = timezone.localtime(at)
        self.stdout.write(
            f"{local:%Y-%m-%d %H:%M} 客户提醒：发出短信 {summary.sent} 条（含 {summary.reminders_sent} 个提醒），"
            f"未获同意跳过 {summary.skipped_no_consent} 个，静默时段暂缓 {summary.skipped_quiet_hours} 个，"
            f"失败 {summary.failed} 条（其中结果未知 {summary.unknown} 条），"
            f"待人工核对 {summary.awaiting_reconciliation} 条。"
        )
