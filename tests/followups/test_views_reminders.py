"""Customer reminders: the send log (masked phones, visibility) and the templates admins edit (placeholders checked)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from followups.models import ReminderDispatch, ReminderTemplate
from followups.services import send_reminders
from tests.factories import make_customer, make_staff
from tests.followups.builders import DAY, case_of, term_ending

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
HTMX = {"HTTP_HX_REQUEST": "true"}
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def on_day():
    with time_machine.travel(NOW, tick=False):
        yield


def toast(response, kind="showToast") -> str:
    return json.loads(response["HX-Trigger"])[kind]


@pytest.fixture
def sent(desk):
    """A T−30 reminder sent to a consenting customer of the specialist, and one skipped for want of consent."""
    yes = make_customer(name="王先生", mobile="13811112222", sms_consent=True, sms_consent_on=DAY - timedelta(days=300))
    no = make_customer(name="李女士", mobile="13933334444", sms_consent=False)
    mine = case_of(term_ending(DAY + timedelta(days=30), branch=desk.branch, customer=yes, follow_up=desk.specialist))
    theirs = case_of(term_ending(DAY + timedelta(days=30), branch=desk.branch, customer=no, follow_up=desk.specialist2))
    send_reminders(at=NOW)
    return mine, theirs


def test_the_send_log_masks_phones(client, desk, sent, sms_outbox):
    assert len(sms_outbox) == 1
    client.force_login(desk.lead.user)
    page = client.get(reverse("followups:reminder_log")).content.decode()
    assert "138****2222" in page and "13811112222" not in page
    assert "139****4444" in page and "13933334444" not in page
    assert "已发送" in page and "客户未同意短信" in page
    assert "T−30" in page


def test_a_specialist_sees_only_the_reminders_of_their_cases(client, desk, sent):
    mine, theirs = sent
    client.force_login(desk.specialist.user)
    page = client.get(reverse("followups:reminder_log")).content.decode()
    assert mine.vehicle.plate in page and theirs.vehicle.plate not in page


def test_the_log_filters_by_state(client, desk, sent):
    client.force_login(desk.lead.user)
    page = client.get(reverse("followups:reminder_log"), {"state": "sent"}).content.decode()
    assert "138****2222" in page and "139****4444" not in page


def test_the_drawer_history_lists_the_reminder_that_went_out(client, desk, sent):
    mine, _ = sent
    client.force_login(desk.specialist.user)
    drawer = client.get(reverse("followups:case_drawer", args=[mine.pk]), **HTMX).content.decode()
    assert "短信提醒 T−30" in drawer and "已发送（客户同意 2025-08-05）" in drawer


def test_sellers_have_no_send_log(client, desk):
    client.force_login(desk.seller.user)
    assert client.get(reverse("followups:reminder_log")).status_code == 403


# ── templates ─────────────────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def admin(desk):
    return make_staff(desk.branch, "admin", employee_no="AD001", name="管理员")


def edit(client, template, **fields):
    data = {"offset_days": template.offset_days, "channel": template.channel, "provider_template_code": "",
            "body": template.body, "active": "on", **fields}  # fmt: skip
    prefixed = {f"t{template.pk}-{name}": value for name, value in data.items() if value is not None}
    return client.post(reverse("followups:reminder_template_edit", args=[template.pk]), prefixed, **HTMX)


def test_only_admins_edit_templates(client, desk, admin):
    template = ReminderTemplate.objects.get(offset_days=30, channel="sms")
    for person in (desk.lead, desk.manager, desk.specialist):
        client.force_login(person.user)
        assert client.get(reverse("followups:reminder_templates")).status_code == 403
        assert edit(client, template, body="{name}{plate}").status_code == 403
    client.force_login(admin.user)
    page = client.get(reverse("followups:reminder_templates")).content.decode()
    assert "T−30 · 短信" in page and "T−15 · 短信" in page and "T−7 · 短信" in page
    assert "示例：张先生您好，您的爱车京A·12345的车险将于2026-07-15到期" in page


def test_saving_a_template_confirms_and_takes_effect(client, admin):
    template = ReminderTemplate.objects.get(offset_days=15, channel="sms")
    client.force_login(admin.user)
    response = edit(
        client, template, body="{name}您好，{plate}的车险{t_date}到期，欢迎来店续保。回复TD退订", active=None
    )
    assert toast(response) == "已保存 T−15 短信模板（停用），下一次发送起生效。"
    template.refresh_from_db()
    assert template.body.startswith("{name}您好，{plate}") and template.active is False
    assert "已保存" in response.content.decode()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("{name}您好，{plate}将于{date}到期", "不认识的占位符：{date}。可用的只有 {name}、{plate}、{t_date}。"),
        ("{name}您好，您的车险快到期了", "正文必须包含 {plate}（车牌），客户才知道是哪辆车。"),
        ("{name}您好，{plate}将于{t_date到期", "花括号不成对"),
        ("", "请填写短信正文。"),
    ],
)
def test_placeholders_are_checked(client, admin, body, error):
    template = ReminderTemplate.objects.get(offset_days=7, channel="sms")
    before = template.body
    client.force_login(admin.user)
    response = edit(client, template, body=body)
    assert error in response.content.decode()
    assert toast(response, "showErrorToast") == "模板未保存：请按提示改正。"
    template.refresh_from_db()
    assert template.body == before


def test_a_new_offset_is_added_and_a_duplicate_refused(client, admin):
    client.force_login(admin.user)
    url = reverse("followups:reminder_templates")
    new = {
        "new-offset_days": "3",
        "new-channel": "sms",
        "new-body": "{name}您好，{plate}三天后到期",
        "new-active": "on",
    }
    response = client.post(url, new, **HTMX)
    assert toast(response) == "已新增 T−3 短信提醒模板。"
    assert ReminderTemplate.objects.filter(offset_days=3).exists()
    response = client.post(url, {**new, "new-offset_days": "30"}, **HTMX)
    assert "已有 T−30 的短信模板，请直接修改它。" in response.content.decode()
    response = client.post(url, {**new, "new-offset_days": "200"}, **HTMX)
    assert "提前天数应在 1 到 120 天之间。" in response.content.decode()
    assert ReminderDispatch.objects.count() == 0
