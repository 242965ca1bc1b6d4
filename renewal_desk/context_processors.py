from renewal_desk.access import roles_of, sees_all_branches, staff_of
from renewal_desk.navigation import navigation_items
from renewal_desk.roles import Role


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = roles_of(user)
    staff = staff_of(user)
    return {
        "nav_items": navigation_items(request, roles),
        "current_staff": staff,
        "current_roles": roles,
        "current_roles_labels": [label for value, label in Role.choices if value in roles],
        "sees_all_branches": sees_all_branches(user),
    }
