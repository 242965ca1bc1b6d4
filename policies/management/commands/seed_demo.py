"""`python manage.py seed_demo [--policies N] [--if-empty] [--seed S]`: the demo group of policies/demo.py."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from policies.demo import DEFAULT_POLICIES, DEFAULT_SEED, DatabaseNotEmpty, seed_demo
from policies.models import Branch

PROGRESS_FROM = 100_000  # print progress per chunk for large seeds


class Command(BaseCommand):
    help = (
        "生成演示数据（门店、员工、客户、车辆、18 个月的保单与续保、保有客户），同一 --seed 结果相同。"
        "演示账号密码均为 demo12345，仅供演示。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--policies", type=int, default=DEFAULT_POLICIES, help=f"保单数（约数，默认 {DEFAULT_POLICIES:,}）"
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"随机种子（默认 {DEFAULT_SEED}）")
        parser.add_argument("--if-empty", action="store_true", help="数据库中已有门店时什么都不做（make run 使用）")
        parser.add_argument("--no-cases", action="store_true", help="不运行跟进模块的每日任务生成案件")

    def handle(self, *args, policies: int, seed: int, if_empty: bool, no_cases: bool, verbosity: int, **options):
        if policies < 1:
            raise CommandError("--policies 至少为 1")
        if Branch.objects.exists():
            if if_empty:
                if verbosity:
                    self.stdout.write("数据库中已有门店数据，跳过演示数据生成（--if-empty）。")
                return
            raise CommandError("数据库中已有门店数据：演示数据只能写入空数据库（或使用 --if-empty 跳过）。")
        progress = self.stdout.write if verbosity and (verbosity > 1 or policies >= PROGRESS_FROM) else None
        try:
            summary = seed_demo(policies=policies, seed=seed, build_cases=not no_cases, progress=progress)
        except DatabaseNotEmpty as exc:  # a concurrent seed got there first
            raise CommandError(str(exc)) from exc
        if verbosity:
            for line in summary.lines():
                self.stdout.write(line)
