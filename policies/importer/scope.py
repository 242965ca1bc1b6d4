"""Whose data an import may touch: admins (and the command line) any branch; a lead only their own."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from renewal_desk.access import has_role, staff_of
from renewal_desk.roles import Role

OWN_BRANCH_ONLY = "您只能导入本门店的数据"

# A lead staffs their own desk; granting management or admin roles is an admin's job (no self-promotion by upload).
LEAD_GRANTABLE_ROLES = frozenset({Role.SPECIALIST, Role.CALLBACK, Role.SELLER, Role.LEAD})


@dataclass(frozen=True)
class ImportScope:
    branch_code: str | None = None  # None = every branch
    grantable_roles: frozenset[str] | None = None  # None = every role

    @property
    def restricted(self) -> bool:
        return self.branch_code is not None


UNRESTRICTED = ImportScope()


def scope_for_user(user) -> ImportScope:
    if user.is_superuser or has_role(user, Role.ADMIN):
        return UNRESTRICTED
    staff = staff_of(user)
    if has_role(user, Role.LEAD) and staff is not None:
        return ImportScope(branch_code=staff.branch.code, grantable_roles=LEAD_GRANTABLE_ROLES)
    raise PermissionDenied("只有管理员和续保负责人可以导入数据。")
