"""Shared fixtures of the follow-up desk's tests (the UI's tests use them too)."""

from __future__ import annotations

import pytest


@pytest.fixture
def desk(db):
    """A branch with one person per desk role: lead, manager, deputy GM, GM, two specialists, callback, seller."""
    from tests.factories import make_branch, make_staff
    from tests.followups.builders import Desk

    branch = make_branch("SH01", name="上海浦东店", city="上海")
    people = {
        "lead": ("lead",), "manager": ("manager",), "deputy_gm": ("deputy_gm",), "gm": ("gm",),
        "specialist": ("specialist",), "specialist2": ("specialist",), "callback": ("callback",),
        "seller": ("seller",),
    }  # fmt: skip
    staff = {
        key: make_staff(branch, *roles, employee_no=f"SH{index:03d}", name=f"{key}-{index}")
        for index, (key, roles) in enumerate(people.items(), 1)
    }
    return Desk(branch=branch, **staff)


@pytest.fixture
def other_desk(db):
    """A second branch, for visibility and cross-branch refusals."""
    from tests.factories import make_branch, make_staff
    from tests.followups.builders import Desk

    branch = make_branch("HZ01", name="杭州西湖店", city="杭州")
    keys = ["lead", "manager", "deputy_gm", "gm", "specialist", "specialist2", "callback", "seller"]
    roles = {"specialist2": "specialist"}
    staff = {
        key: make_staff(branch, roles.get(key, key), employee_no=f"HZ{index:03d}", name=f"杭-{key}")
        for index, key in enumerate(keys, 1)
    }
    return Desk(branch=branch, **staff)


@pytest.fixture(autouse=True)
def sms_outbox():
    """LocmemBackend's outbox, emptied around every test."""
    from followups import sms

    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def _default_reminder_templates(request):
    """The data migration's reminder templates, put back if a transactional test elsewhere flushed them."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db")
    from importlib import import_module

    from followups.models import ReminderTemplate

    defaults = import_module("followups.migrations.0003_default_reminder_templates").DEFAULTS
    if ReminderTemplate.objects.count() < len(defaults):
        for offset, body in defaults:
            ReminderTemplate.objects.get_or_create(offset_days=offset, channel="sms", defaults={"body": body})
