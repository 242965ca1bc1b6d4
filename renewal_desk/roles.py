"""The roles of DOMAIN.md §1. Each role is a Django auth Group named by its code; a person may hold several."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    SPECIALIST = "specialist", "续保专员"
    CALLBACK = "callback", "回访员"
    SELLER = "seller", "服务顾问"
    LEAD = "lead", "续保负责人"
    MANAGER = "manager", "保险经理"
    DEPUTY_GM = "deputy_gm", "副总经理"
    GM = "gm", "总经理"
    FINANCE = "finance", "财务"
    ADMIN = "admin", "管理员"
    DIVISION = "division", "事业部"


# The names stores write in the 员工 sheet's 角色 column.
ROLE_BY_SHEET_NAME: dict[str, str] = {
    "续保专员": Role.SPECIALIST,
    "信息员": Role.SPECIALIST,
    "回访员": Role.CALLBACK,
    "客户关系专员": Role.CALLBACK,
    "服务顾问": Role.SELLER,
    "销售顾问": Role.SELLER,
    "续保负责人": Role.LEAD,
    "续保业务负责人": Role.LEAD,
    "经理": Role.MANAGER,
    "保险经理": Role.MANAGER,
    "副总经理": Role.DEPUTY_GM,
    "分公司副总经理": Role.DEPUTY_GM,
    "总经理": Role.GM,
    "财务": Role.FINANCE,
    "管理员": Role.ADMIN,
    "事业部": Role.DIVISION,
}

# Roles that see every branch; everyone else sees their own branch (and a specialist only their cases).
ALL_BRANCH_ROLES = frozenset({Role.DIVISION, Role.FINANCE})
BRANCH_WIDE_ROLES = frozenset({Role.LEAD, Role.MANAGER, Role.DEPUTY_GM, Role.GM, Role.ADMIN})

# Where each role lands after login (DESIGN.md "The user interface"), in order of precedence.
LANDING_URL_NAMES: list[tuple[str, str]] = [
    (Role.ADMIN, "incentives:rules"),
    (Role.FINANCE, "incentives:payouts"),
    (Role.DIVISION, "reports:dashboard"),
    (Role.GM, "followups:inbox"),
    (Role.DEPUTY_GM, "followups:inbox"),
    (Role.MANAGER, "followups:inbox"),
    (Role.LEAD, "followups:board"),
    (Role.SPECIALIST, "followups:today"),
    (Role.CALLBACK, "followups:today"),
    (Role.SELLER, "policies:search"),
]
