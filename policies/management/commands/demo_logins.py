"""`python manage.py demo_logins`: one demo login per role (DOMAIN.md §1) and the page each lands on.

Shows the first branch's staff plus the group-wide division and finance logins. A login is listed as a demo login
only while its password is still the demo password (policies.demo.DEMO_PASSWORD, demo data only).
"""

from __future__ import annotations

import unicodedata

from django.contrib.auth.hashers import check_password
from django.core.management.base import BaseCommand
from django.urls import NoReverseMatch, reverse

from policies.demo import DEMO_PASSWORD
from policies.models import Branch, Staff
from renewal_desk.navigation import NAV_ITEMS
from renewal_desk.roles import ALL_BRANCH_ROLES, LANDING_URL_NAMES, Role

PAGE_LABELS = {item.url_name: item.label for item in NAV_ITEMS}
HINT = "还没有演示数据：先运行 python manage.py seed_demo（make run 会在空数据库上自动生成）。"


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def landing_page(roles: set[str]) -> str:
    """The page a login with these roles lands on (renewal_desk.access.landing_url_for), in Chinese."""
    for role, url_name in LANDING_URL_NAMES:
        if role in roles:
            try:
                return f"{PAGE_LABELS.get(url_name, url_name)} {reverse(url_name)}"
            except NoReverseMatch:
                continue  # that app's page is not routed yet: the next one in precedence, as the login would
    return f"{PAGE_LABELS['policies:search']} {reverse('policies:search')}"


class Command(BaseCommand):
    help = "列出演示账号：每个角色一个（第一家门店 + 集团的事业部、财务），密码 demo12345，仅供演示。"

    def handle(self, *args, **options):
        branch = Branch.objects.order_by("pk").first()
        if branch is None:
            self.stdout.write(HINT)
            return
        staff = list(
            Staff.objects.filter(active=True)
            .select_related("user", "branch")
            .prefetch_related("user__groups")
            .order_by("branch_id", "employee_no")
        )
        demo_hashes: dict[str, bool] = {}  # demo logins share one hash: check each distinct hash once

        def is_demo(member: Staff) -> bool:
            encoded = member.user.password
            if encoded not in demo_hashes:
                demo_hashes[encoded] = member.user.is_active and check_password(DEMO_PASSWORD, encoded)
            return demo_hashes[encoded]

        rows = []
        for role in Role:
            group_wide = role in ALL_BRANCH_ROLES
            candidates = [
                s for s in staff if role in s.roles and (group_wide or s.branch_id == branch.pk) and is_demo(s)
            ]
            if not candidates:
                continue
            # Prefer someone holding just this role, from the first branch, with the lowest 工号.
            member = min(
                candidates,
                key=lambda s: (len(s.roles), s.branch_id != branch.pk, len(s.employee_no), s.employee_no),
            )
            where = f"集团（{member.branch.name}）" if group_wide else member.branch.name
            rows.append((role.label, member.employee_no, DEMO_PASSWORD, member.name, where, landing_page(member.roles)))
        if not rows:
            self.stdout.write(HINT)
            return
        header = ("角色", "账号", "密码", "姓名", "门店", "登录后页面")
        widths = [max(display_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
        self.stdout.write(f"演示账号（{branch.name} {branch.code} + 集团账号；密码仅供演示，上线前请删除演示数据）：")
        for row in [header, *rows]:
            line = "  ".join(pad(cell, width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(("  " + line).rstrip())
        self.stdout.write("  登录地址：http://127.0.0.1:8000/accounts/login/")
