"""End to end in a real Chromium: a specialist asks for extra oil (合计 3 桶), the deputy GM approves it from the
inbox, and the service desk redeems one bucket."""

import re

import pytest
from playwright.sync_api import expect

from perks.models import EntitlementStatus, OilRequest, OilRequestStatus, PerkKind
from tests.factories import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pass-1234-word"  # what tests.factories.make_staff sets


def log_in(page, live_server, staff, then: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/?next={then}")
    page.fill("input[name=username]", staff.employee_no)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(then)))


def test_specialist_requests_three_buckets_deputy_approves_desk_redeems_one(live_server, page, branch, live_term):
    specialist = make_staff(branch, "specialist", name="王芳")
    deputy = make_staff(branch, "deputy_gm", name="赵刚")
    desk = make_staff(branch, "seller", name="刘洋")
    page.set_default_timeout(15_000)

    # the specialist asks for extra oil so that the term holds 3 buckets in total (standard 1 + 2)
    log_in(page, live_server, specialist, f"/perks/term/{live_term.pk}/oil/")
    page.select_option("select[name=buckets]", label="+2 桶 · 合计 3 桶 · 副总经理审批")
    page.fill("textarea[name=reason]", "客户每年在本店保养 3 次，竞品店承诺送 3 桶")
    page.click("#oil-request-form button[type=submit]")
    page.wait_for_url(re.compile(r"/perks/vehicle/"))
    assert "已提交加赠机油申请" in page.inner_text("#toasts")
    request = OilRequest.objects.get(term=live_term)
    assert (request.buckets, request.total_at_request, request.status) == (2, 3, OilRequestStatus.PENDING)

    # the deputy GM approves from the inbox card, in place
    log_in(page, live_server, deputy, "/perks/oil/")
    card = page.locator(f"#oil-card-{request.pk}")
    assert "客户每年在本店保养" in card.inner_text()
    card.get_by_role("button", name=re.compile("批准")).click()
    page.locator("#toasts .toast", has_text="已批准").first.wait_for()
    expect(page.locator(f"#oil-card-{request.pk}")).to_contain_text("已批准")
    assert OilRequest.objects.get(pk=request.pk).status == OilRequestStatus.APPROVED

    # the service desk finds the car by its plate and redeems one bucket
    log_in(page, live_server, desk, "/perks/")
    page.fill("#desk-q", live_term.vehicle.plate)
    page.press("#desk-q", "Enter")
    page.wait_for_url(re.compile(rf"/perks/vehicle/{live_term.vehicle.vin}/"))
    rows = page.locator("tr[data-kind=extra_oil]")
    assert rows.count() == 2
    rows.first.get_by_role("button", name="核销").click()
    page.locator("#toasts .toast", has_text="已核销").first.wait_for()
    expect(page.locator("tr[data-kind=extra_oil]")).to_have_count(1)  # swapped in place: one bucket left
    used = live_term.entitlements.filter(kind=PerkKind.EXTRA_OIL, status=EntitlementStatus.USED)
    assert used.count() == 1
