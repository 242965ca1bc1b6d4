"""Who may see or do what with perks. Lookups raise 404 for 'not there' and 'not yours' alike."""

from __future__ import annotations

from django.http import Http404

from perks.models import Entitlement, OilRequest
from policies.access import vehicle_for_user, vehicles_for_user
from policies.models import Vehicle, VehicleTerm
from renewal_desk.access import require_role, visible_branches
from renewal_desk.roles import Role

DESK_ROLES = (Role.SELLER, Role.SPECIALIST, Role.CALLBACK, Role.LEAD, Role.MANAGER, Role.DEPUTY_GM, Role.GM)
REQUEST_ROLES = (Role.SPECIALIST, Role.CALLBACK, Role.SELLER)
APPROVER_ROLES = (Role.DEPUTY_GM, Role.GM)
NOT_FOUND = "没有找到，或它不属于您可查看的门店。"


def require_desk(user) -> None:
    require_role(user, *DESK_ROLES)


def vehicle_for_desk(user, vin: str) -> Vehicle:
    return vehicle_for_user(user, vin.upper())


def entitlement_for_user(user, entitlement_id: int) -> Entitlement:
    entitlement = (
        Entitlement.objects.filter(pk=entitlement_id, vehicle__in=vehicles_for_user(user))
        .select_related("vehicle", "term")
        .first()
    )
    if entitlement is None:
        raise Http404(NOT_FOUND)
    return entitlement


def term_for_user(user, term_id: int) -> VehicleTerm:
    term = (
        VehicleTerm.objects.filter(pk=term_id, branch__in=visible_branches(user))
        .select_related("vehicle", "owner", "branch")
        .first()
    )
    if term is None:
        raise Http404(NOT_FOUND)
    return term


def oil_request_for_user(user, request_id: int) -> OilRequest:
    request = OilRequest.objects.filter(pk=request_id, branch__in=visible_branches(user)).first()
    if request is None:
        raise Http404(NOT_FOUND)
    return request
