"""Who may see what, across apps: roles of a login and the branches they may see (DOMAIN.md §1)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse

from renewal_desk.roles import ALL_BRANCH_ROLES, LANDING_URL_NAMES, Role


def roles_of(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_role_cache", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached = cached | {Role.ADMIN}
        user._role_cache = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def require_role(user, *roles: str) -> None:
    if not has_role(user, *roles):
        raise PermissionDenied("您的角色无权进行此操作。")


def staff_of(user):
    """The Staff row of a login, or None (a bare superuser has none)."""
    if not user.is_authenticated:
        return None
    try:
        return user.staff
    except Exception:  # RelatedObjectDoesNotExist
        return None


def sees_all_branches(user) -> bool:
    return user.is_superuser or has_role(user, *ALL_BRANCH_ROLES)


def visible_branches(user) -> QuerySet:
    from policies.models import Branch

    if sees_all_branches(user):
        return Branch.objects.all()
    staff = staff_of(user)
    if staff is None:
        return Branch.objects.none()
    return Branch.objects.filter(pk=staff.branch_id)


def landing_url_for(user) -> str:
    roles = roles_of(user)
    for role, url_name in LANDING_URL_NAMES:
        if role in roles:
            try:
                return reverse(url_name)
            except NoReverseMatch:
                continue
    return reverse("policies:search")
