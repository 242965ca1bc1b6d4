"""Who may see which policy records: a vehicle is visible when one of its terms, policies or 保有客户 rows
belongs to a branch the viewer sees (division and finance see all branches)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from policies.models import Policy, RetainedCustomer, Vehicle
from renewal_desk.access import sees_all_branches, visible_branches


def vehicles_for_user(user) -> QuerySet[Vehicle]:
    vehicles = Vehicle.objects.all()
    if sees_all_branches(user):
        return vehicles
    branch_ids = list(visible_branches(user).values_list("pk", flat=True))
    return vehicles.filter(
        Exists(Policy.objects.filter(vehicle=OuterRef("pk"), branch_id__in=branch_ids))
        | Exists(RetainedCustomer.objects.filter(vehicle=OuterRef("pk"), branch_id__in=branch_ids))
    )


def vehicle_for_user(user, vin: str) -> Vehicle:
    """The vehicle, or 404 for 'not there' and 'not yours' alike."""
    vehicle = vehicles_for_user(user).select_related("owner").filter(vin=vin).first()
    if vehicle is None:
        raise Http404("没有找到这辆车，或它不属于您可查看的门店。")
    return vehicle
