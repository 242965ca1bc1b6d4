"""The role-aware top navigation (ui/NOTES.md: top bar, items by role, badges for pending work).

Each item names a URL, the roles that see it, and optionally a badge: a dotted path to a function
`(request) -> int` living in the app that owns the work (e.g. followups.selectors.pending_approvals_count).
Items whose URL is not (yet) routed are skipped, so apps can grow independently.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from renewal_desk.roles import Role as R


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str]
    badge: str | None = None  # dotted path of a counter
    badge_kind: str = "red"  # red = my pending work, grey = secondary


ALL = frozenset(R.values)

NAV_ITEMS: list[NavItem] = [
    NavItem("今日跟进", "followups:today", frozenset({R.SPECIALIST, R.CALLBACK}), "followups.selectors.today_count"),
    NavItem(
        "到期管理",
        "followups:board",
        frozenset({R.LEAD, R.MANAGER, R.DEPUTY_GM, R.GM}),
        "followups.selectors.overdue_handoff_count",
        "grey",
    ),
    NavItem("待分配", "followups:unassigned", frozenset({R.LEAD, R.MANAGER}), "followups.selectors.unassigned_count"),
    NavItem(
        "审批收件箱",
        "followups:inbox",
        frozenset({R.MANAGER, R.DEPUTY_GM, R.GM, R.LEAD}),
        "followups.selectors.pending_approvals_count",
    ),
    NavItem(
        "权益核销", "perks:desk", frozenset({R.SELLER, R.SPECIALIST, R.CALLBACK, R.MANAGER, R.LEAD, R.DEPUTY_GM, R.GM})
    ),
    NavItem("我的收入", "incentives:my_earnings", frozenset({R.SPECIALIST, R.CALLBACK, R.SELLER, R.LEAD})),
    NavItem("提成发放", "incentives:payouts", frozenset({R.FINANCE, R.MANAGER, R.GM, R.ADMIN})),
    NavItem("规则版本", "incentives:rules", frozenset({R.ADMIN})),
    NavItem("提醒模板", "followups:reminder_templates", frozenset({R.ADMIN})),
    NavItem("目标", "incentives:targets", frozenset({R.LEAD, R.MANAGER, R.ADMIN})),
    NavItem("经营看板", "reports:dashboard", frozenset({R.DIVISION, R.MANAGER, R.GM, R.DEPUTY_GM, R.LEAD, R.FINANCE})),
    NavItem("报表", "reports:index", ALL),
    NavItem("车辆查询", "policies:search", ALL),
    NavItem("数据导入", "policies:import", frozenset({R.ADMIN, R.LEAD})),
]


def navigation_items(request, roles: frozenset[str]) -> list[dict]:
    items = []
    for item in NAV_ITEMS:
        if not roles & item.roles:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        count = 0
        if item.badge:
            try:
                count = import_string(item.badge)(request)
            except ImportError:
                count = 0
        items.append(
            {
                "label": item.label,
                "url": url,
                "active": request.path.startswith(url),
                "badge": count,
                "badge_kind": item.badge_kind,
            }
        )
    return items
