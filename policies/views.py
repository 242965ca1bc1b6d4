from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from policies.access import vehicle_for_user
from policies.selectors import search_vehicles, vehicle_history


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    results = search_vehicles(request.user, query)
    page = Paginator(results, 50).get_page(request.GET.get("page"))
    if query and page.paginator.count == 1:
        return redirect("policies:vehicle", vin=page.object_list[0].vin)
    return render(request, "policies/vehicle_search.html", {"query": query, "page": page})


def vehicle_detail(request: HttpRequest, vin: str) -> HttpResponse:
    vehicle = vehicle_for_user(request.user, vin.upper())
    return render(request, "policies/vehicle_detail.html", {"history": vehicle_history(vehicle), "vehicle": vehicle})
