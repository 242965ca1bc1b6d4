"""Exactly once under real concurrency (PostgreSQL only): eight threads sending at the same moment, and a real
Celery worker on Redis receiving the same task twice. Each reminder is sent once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from followups.models import DispatchState, ReminderDispatch, ReminderMessage
from followups.services import run_daily, send_reminders
from tests.factories import make_customer, make_term
from tests.followups.builders import DAY, start_for

MOMENT = timezone.make_aware(datetime(2026, 6, 1, 10, 5))
PHONES = 12


def due_cases(desk) -> int:
    """PHONES customers with a reminder due at MOMENT, one of them with two vehicles; returns the case count."""
    customers = [make_customer(name=f"并发{i}", mobile=f"1360000{i:04d}", sms_consent=True) for i in range(PHONES)]
    for i, customer in enumerate(customers):
        make_term(branch=desk.branch, customer=customer, start_on=start_for(DAY + timedelta(days=10 + i)))
    make_term(branch=desk.branch, customer=customers[0], start_on=start_for(DAY + timedelta(days=25)))
    run_daily(day=DAY)
    return PHONES + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_eight_threads_sending_at_the_same_moment_send_each_reminder_once(desk, sms_outbox):
    # given
    cases = due_cases(desk)
    barrier = threading.Barrier(8)
    summaries, errors = [], []

    def run():
        try:
            barrier.wait(timeout=30)
            summaries.append(send_reminders(at=MOMENT))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then
    assert errors == []
    assert sum(s.sent for s in summaries) == PHONES
    assert len(sms_outbox) == PHONES
    assert len({m.phone for m in sms_outbox}) == PHONES
    assert ReminderDispatch.objects.filter(state=DispatchState.SENT).count() == cases
    assert ReminderMessage.objects.filter(state=DispatchState.SENT).count() == PHONES


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_given_the_task_twice_sends_each_reminder_once(desk, tmp_path):
    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs CELERY_BROKER_URL (Redis)")
    from followups.tasks import send_reminders_task
    from renewal_desk.celery import app

    # given committed data, and a worker on its own queue pointed at the test database
    cases = due_cases(desk)
    sms_dir = tmp_path / "sms"
    queue = f"test-reminders-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "renewal_desk.settings",
        "DJANGO_DEBUG": "True",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "SMS_BACKEND": "filebased",
        "SMS_FILE_PATH": str(sms_dir),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "renewal_desk", "worker", "--pool=solo", "-Q", queue,
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    log: list[str] = []
    reader = threading.Thread(target=lambda: log.extend(iter(worker.stdout.readline, "")), daemon=True)
    reader.start()
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        # when the same task is enqueued twice (a retry, a redelivery, a second beat)
        for _ in range(2):
            send_reminders_task.apply_async(kwargs={"at": MOMENT.isoformat()}, queue=queue)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and sum("succeeded" in line for line in log) < 2:
            if worker.poll() is not None:
                break
            time.sleep(0.5)
    finally:
        app.conf.task_always_eager = eager
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        reader.join(timeout=5)

    # then
    assert sum("succeeded" in line for line in log) == 2, "".join(log)[-3000:]
    files = sorted(Path(sms_dir).iterdir())
    assert len(files) == PHONES
    assert ReminderDispatch.objects.filter(state=DispatchState.SENT).count() == cases
