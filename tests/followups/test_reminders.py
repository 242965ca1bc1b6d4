"""Customer reminders (DOMAIN.md §4): consent at send time, quiet hours, once per case and offset, the latest offset
only, one SMS per phone per day, files for the filebased backend, timeouts reconciled instead of resent."""

import json
from datetime import datetime, time, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from followups import sms
from followups.models import CaseState, DispatchState, ReminderDispatch, ReminderMessage, ReminderTemplate, SkipReason
from followups.services import reconcile_unknown, record_renewal, run_daily, send_reminders
from policies.services import record_consent
from tests.factories import make_customer
from tests.followups.builders import DAY, case_of, renewal_of, term_ending

pytestmark = pytest.mark.django_db


def at(day, hour=10, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def due_case(desk, t, *, consent=True, customer=None, mobile="13900001111"):
    customer = customer or make_customer(name="王五", mobile=mobile, sms_consent=consent)
    return case_of(term_ending(t, branch=desk.branch, customer=customer), day=DAY)


def test_only_consenting_customers_get_a_reminder(desk, sms_outbox):
    due_case(desk, DAY + timedelta(days=30), mobile="13900000001")
    due_case(desk, DAY + timedelta(days=30), consent=False, mobile="13900000002")
    summary = send_reminders(at=at(DAY))
    assert summary.as_json() == {"sent": 1, "skipped_no_consent": 1, "skipped_quiet_hours": 0, "failed": 0}
    assert [m.phone for m in sms_outbox] == ["13900000001"]
    skipped = ReminderDispatch.objects.get(state=DispatchState.SKIPPED)
    assert skipped.skip_reason == SkipReason.NO_CONSENT


@pytest.mark.parametrize(
    ("hour", "minute", "quiet"),
    [(20, 59, False), (21, 0, True), (23, 59, True), (0, 0, True), (8, 59, True), (9, 0, False)],
)
def test_never_between_21_and_9(desk, sms_outbox, hour, minute, quiet):
    due_case(desk, DAY + timedelta(days=30))
    summary = send_reminders(at=at(DAY + timedelta(days=1) if hour < 9 else DAY, hour, minute))
    assert summary.skipped_quiet_hours == (1 if quiet else 0)
    assert summary.sent == (0 if quiet else 1)
    assert len(sms_outbox) == (0 if quiet else 1)


def test_a_reminder_held_back_by_quiet_hours_goes_out_in_the_morning(desk, sms_outbox):
    due_case(desk, DAY + timedelta(days=30))
    assert send_reminders(at=at(DAY, 22)).skipped_quiet_hours == 1
    assert send_reminders(at=at(DAY + timedelta(days=1), 9)).sent == 1
    assert len(sms_outbox) == 1


def test_once_per_case_and_offset_whatever_is_retried(desk, sms_outbox):
    due_case(desk, DAY + timedelta(days=30))
    moments = [at(DAY), at(DAY), at(DAY, 11), at(DAY, 20, 59), at(DAY + timedelta(days=1)), at(DAY + timedelta(days=5))]
    sent = [send_reminders(at=moment).sent for moment in moments]
    run_daily(day=DAY + timedelta(days=2))
    assert sent == [1, 0, 0, 0, 0, 0]
    assert len(sms_outbox) == 1
    assert ReminderDispatch.objects.get().state == DispatchState.SENT


def test_each_offset_is_sent_once_across_the_case_life(desk, sms_outbox):
    t = DAY + timedelta(days=30)
    due_case(desk, t)
    for n in range(0, 31):
        send_reminders(at=at(DAY + timedelta(days=n)))
    assert sorted(ReminderDispatch.objects.filter(state=DispatchState.SENT).values_list("offset_days", flat=True)) == [
        7, 15, 30,
    ]  # fmt: skip
    assert len(sms_outbox) == 3


def test_after_a_late_creation_only_the_latest_offset_is_sent_and_skipped_ones_never(desk, sms_outbox):
    t = DAY + timedelta(days=10)  # created at T − 10: 30 and 15 are both past
    due_case(desk, t)
    assert send_reminders(at=at(DAY)).sent == 1
    assert list(ReminderDispatch.objects.values_list("offset_days", flat=True)) == [15]
    for n in range(1, 11):
        send_reminders(at=at(DAY + timedelta(days=n)))
    assert sorted(ReminderDispatch.objects.values_list("offset_days", "state")) == [(7, "sent"), (15, "sent")]
    assert len(sms_outbox) == 2


def test_missed_days_skip_the_older_offset_for_good(desk, sms_outbox):
    t = DAY + timedelta(days=20)
    due_case(desk, t)  # the daily job planned T−30 on DAY, but nothing was sent that day
    assert ReminderDispatch.objects.get().offset_days == 30
    send_reminders(at=at(t - timedelta(days=14)))  # sending resumes at T − 14
    assert sorted(ReminderDispatch.objects.values_list("offset_days", "state", "skip_reason")) == [
        (15, "sent", ""), (30, "skipped", SkipReason.SUPERSEDED),
    ]  # fmt: skip
    assert len(sms_outbox) == 1


def test_one_sms_per_phone_per_day_naming_all_its_plates(desk, sms_outbox):
    owner = make_customer(name="赵六", mobile="13911112222", sms_consent=True)
    first = due_case(desk, DAY + timedelta(days=30), customer=owner)
    second = due_case(desk, DAY + timedelta(days=10), customer=owner)
    summary = send_reminders(at=at(DAY))
    assert summary.sent == 1 and summary.reminders_sent == 2
    assert len(sms_outbox) == 1
    message = sms_outbox[0]
    assert first.vehicle.plate in message.body and second.vehicle.plate in message.body
    assert set(message.params["plate"].split("、")) == {first.vehicle.plate, second.vehicle.plate}
    assert ReminderMessage.objects.count() == 1


def test_a_phone_texted_today_waits_until_tomorrow(desk, sms_outbox):
    owner = make_customer(name="赵六", mobile="13911113333", sms_consent=True)
    due_case(desk, DAY + timedelta(days=30), customer=owner)
    send_reminders(at=at(DAY))
    due_case(desk, DAY + timedelta(days=29), customer=owner)  # a case that arrived after the morning's message
    assert send_reminders(at=at(DAY, 15)).sent == 0
    assert send_reminders(at=at(DAY + timedelta(days=1))).sent == 1
    assert len(sms_outbox) == 2


def test_opt_out_is_honoured_at_send_time(desk, sms_outbox):
    case = due_case(desk, DAY + timedelta(days=30))
    assert ReminderDispatch.objects.filter(state=DispatchState.PENDING).count() == 1  # planned with consent
    record_consent(customer=case.customer, consent=False, source="opt-out")
    summary = send_reminders(at=at(DAY))
    assert summary.sent == 0 and summary.skipped_no_consent == 1
    assert sms_outbox == []


def test_a_closed_case_gets_no_reminder(desk, sms_outbox):
    case = due_case(desk, DAY + timedelta(days=30))
    record_renewal(case=case, by=desk.lead, channel="store", term=renewal_of(case.expiring_term))
    assert send_reminders(at=at(DAY)).sent == 0
    assert ReminderDispatch.objects.get().skip_reason == SkipReason.CASE_CLOSED
    case.refresh_from_db()
    assert case.state == CaseState.RENEWED


def test_an_inactive_template_offset_is_not_sent(desk, sms_outbox):
    ReminderTemplate.objects.filter(offset_days=30).update(active=False)
    due_case(desk, DAY + timedelta(days=30))
    assert send_reminders(at=at(DAY)).sent == 0
    assert not ReminderDispatch.objects.exists()


def test_the_template_body_is_rendered(desk, sms_outbox):
    ReminderTemplate.objects.filter(offset_days=30).update(
        body="{name}：{plate} 于 {t_date} 到期 {unknown}", provider_template_code="SMS_123"
    )
    case = due_case(desk, DAY + timedelta(days=30))
    send_reminders(at=at(DAY))
    assert sms_outbox[0].body == f"王五：{case.vehicle.plate} 于 2026-07-01 到期 {{unknown}}"
    assert sms_outbox[0].template_code == "SMS_123"
    assert sms_outbox[0].params == {"name": "王五", "plate": case.vehicle.plate, "t_date": "2026-07-01"}


def test_the_filebased_backend_writes_one_file_per_message(desk, settings, tmp_path):
    settings.SMS_BACKEND = "filebased"
    settings.SMS_FILE_PATH = str(tmp_path / "out")
    due_case(desk, DAY + timedelta(days=30), mobile="13900000011")
    due_case(desk, DAY + timedelta(days=20), mobile="13900000012")
    owner = make_customer(name="两车", mobile="13900000013", sms_consent=True)
    due_case(desk, DAY + timedelta(days=25), customer=owner)
    due_case(desk, DAY + timedelta(days=26), customer=owner)
    for _ in range(3):
        send_reminders(at=at(DAY))
    files = sorted(Path(settings.SMS_FILE_PATH).iterdir())
    assert len(files) == 3
    texts = [f.read_text(encoding="utf-8") for f in files]
    assert sorted(text.splitlines()[0] for text in texts) == [
        "To: 13900000011", "To: 13900000012", "To: 13900000013",
    ]  # fmt: skip


class TimeoutBackend(sms.BaseBackend):
    """A provider that times out on send and, later, says it delivered the message."""

    supports_status = True
    sent: list = []

    def send(self, message):
        self.sent.append(message)
        raise sms.SmsTimeout("read timed out")

    def status(self, message, provider_id=""):
        return sms.SENT


class BlindTimeoutBackend(TimeoutBackend):
    supports_status = False


def test_a_provider_timeout_is_reconciled_never_resent(desk, settings):
    settings.SMS_BACKEND = "tests.followups.test_reminders.TimeoutBackend"
    TimeoutBackend.sent = []
    due_case(desk, DAY + timedelta(days=30))
    first = send_reminders(at=at(DAY))
    assert first.failed == 1 and first.unknown == 1
    assert ReminderMessage.objects.get().state == DispatchState.UNKNOWN
    assert send_reminders(at=at(DAY, 11)).sent == 0  # the next run asks the provider instead of sending again
    assert len(TimeoutBackend.sent) == 1
    assert ReminderMessage.objects.get().state == DispatchState.SENT
    assert ReminderDispatch.objects.get().state == DispatchState.SENT


def test_without_a_status_api_an_unknown_message_waits_for_a_person(desk, settings):
    settings.SMS_BACKEND = "tests.followups.test_reminders.BlindTimeoutBackend"
    BlindTimeoutBackend.sent = []
    due_case(desk, DAY + timedelta(days=30))
    send_reminders(at=at(DAY))
    for day in range(1, 4):
        send_reminders(at=at(DAY + timedelta(days=day)))
    assert len(BlindTimeoutBackend.sent) == 1
    assert reconcile_unknown() == 1
    assert ReminderDispatch.objects.get().state == DispatchState.UNKNOWN


def test_a_send_abandoned_mid_way_becomes_unknown_not_resent(desk, sms_outbox):
    due_case(desk, DAY + timedelta(days=30))
    dispatch = ReminderDispatch.objects.get()
    message = ReminderMessage.objects.create(phone="13900001111", day=DAY, state=DispatchState.SENDING,
                                             claimed_at=at(DAY, 9, 30))  # fmt: skip
    ReminderDispatch.objects.filter(pk=dispatch.pk).update(state=DispatchState.SENDING, message=message)
    summary = send_reminders(at=at(DAY, 10))
    assert summary.sent == 0 and summary.awaiting_reconciliation == 1
    assert ReminderDispatch.objects.get().state == DispatchState.UNKNOWN
    assert sms_outbox == []


def test_the_command_prints_the_json_contract(desk):
    due_case(desk, DAY + timedelta(days=30))
    out = StringIO()
    call_command("send_reminders", "--at", "2026-06-01 10:00", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"sent": 1, "skipped_no_consent": 0, "skipped_quiet_hours": 0, "failed": 0}
    human = StringIO()
    call_command("send_reminders", "--at", "2026-06-01 21:00", stdout=human)
    assert "发出短信 0 条" in human.getvalue()


def test_run_daily_counts_the_reminders_due(desk):
    due_case(desk, DAY + timedelta(days=30), mobile="13900000021")
    due_case(desk, DAY + timedelta(days=31), mobile="13900000022")  # not due yet
    due_case(desk, DAY + timedelta(days=3), mobile="13900000023")
    assert run_daily(day=DAY).reminders_due == 2
    send_reminders(at=at(DAY))
    assert run_daily(day=DAY).reminders_due == 0
