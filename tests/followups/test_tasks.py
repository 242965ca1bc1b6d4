"""The Celery tasks are thin twins of the commands (run eagerly here; a real worker in test_reminders_postgres)."""

from datetime import timedelta

import pytest

from followups.tasks import run_daily_task, send_reminders_task
from tests.factories import make_customer
from tests.followups.builders import DAY, term_ending

pytestmark = pytest.mark.django_db


def test_tasks_return_the_json_contracts_and_repeat_harmlessly(desk, sms_outbox):
    term_ending(DAY + timedelta(days=30), branch=desk.branch, customer=make_customer(sms_consent=True))
    first = run_daily_task.delay("2026-06-01").get()
    again = run_daily_task.delay("2026-06-01").get()
    assert first["cases_created"] == 1 and again["cases_created"] == 0
    assert set(first) == {"date", "cases_created", "cases_open", "handoff_overdue", "escalated", "reminders_due"}
    sent = [send_reminders_task.delay("2026-06-01T10:00:00+08:00").get() for _ in range(3)]
    assert [result["sent"] for result in sent] == [1, 0, 0]
    assert len(sms_outbox) == 1


def test_the_beat_schedule_names_these_tasks(settings):
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"followups.tasks.run_daily_task", "followups.tasks.send_reminders_task"} <= names
    assert run_daily_task.name == "followups.tasks.run_daily_task"
    assert send_reminders_task.name == "followups.tasks.send_reminders_task"
