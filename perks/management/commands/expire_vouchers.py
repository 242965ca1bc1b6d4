"""`python manage.py expire_vouchers [--date YYYY-MM-DD]`: the scriptable twin of the nightly expiry task."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from perks.services import expire_vouchers


class Command(BaseCommand):
    help = "让有效期已过的权益过期（幂等：重复运行不会重复过期）。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按该日期运行（默认今天，Asia/Shanghai）")

    def handle(self, *args, **options):
        try:
            today = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as error:
            raise CommandError("日期格式应为 YYYY-MM-DD") from error
        expired = expire_vouchers(today=today)
        self.stdout.write(f"{today:%Y-%m-%d}：过期 {expired} 项权益")
