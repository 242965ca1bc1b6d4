from __future__ import annotations

import json
from datetime import date

from django.http import HttpResponse
from django.utils import timezone

from renewal_desk.months import parse_month, previous_month


def with_toast(response: HttpResponse, message: str, **events) -> HttpResponse:
    """The htmx way to confirm an action: a toast (static/js/app.js listens for showToast) and other events."""
    # ASCII JSON (\uXXXX escapes): header values must be Latin-1, and htmx parses the escapes back.
    response["HX-Trigger"] = json.dumps({"showToast": message, **events})
    return response


def month_param(value: str | None, *, default: date | None = None) -> date:
    """'2026-05' → 2026-05-01; a missing or malformed value falls back to last month (the one being closed)."""
    if value:
        try:
            return parse_month(value)
        except ValueError:
            pass
    return default or previous_month(timezone.localdate())
