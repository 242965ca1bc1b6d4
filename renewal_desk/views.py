from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from renewal_desk.access import landing_url_for


def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on the page it works from."""
    return redirect(landing_url_for(request.user))


@login_not_required
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
