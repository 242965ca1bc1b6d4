"""The specialist's day in a real browser (Debian's Chromium through Playwright), logging in through the real form.

Specialist: today's list → logs a contact (key 1 = 接通) → quotes 12% (the GM's level) → logs out.
GM: lands on the inbox → approves. Specialist: marks the case renewed → the case leaves the list.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from followups.models import Case, CaseState, QuoteStatus
from tests.followups.builders import DAY, case_of, term_ending

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "pass-1234-word"  # what tests.factories.make_staff sets
SCREENSHOTS = "/tmp"


@pytest.fixture
def browser_context_args(browser_context_args):
    """The office PCs: 1366×768, Chinese locale (dates in date inputs read 2026/06/02), Shanghai time."""
    return {
        **browser_context_args,
        "viewport": {"width": 1366, "height": 768},
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
    }


@pytest.fixture
def on_day():
    # 2026-06-01 10:00 in Shanghai: inside sending hours, and T−30 of a case due 2026-07-01.
    with time_machine.travel(datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI), tick=True):
        yield


def log_in(page: Page, live_server, employee_no: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("工号 / 用户名").fill(employee_no)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def settled(page: Page) -> None:
    """htmx wires swapped-in content after its settle delay; click inside it only once that is done."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-added, .htmx-swapping')"
    )


def log_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_the_specialists_day_from_first_call_to_renewal(page: Page, live_server, desk, on_day):
    # given: a case of the specialist whose T−30 checkpoint is today, and a quieter one further out
    term = term_ending(DAY + timedelta(days=30), branch=desk.branch, follow_up=desk.specialist)
    later = term_ending(DAY + timedelta(days=60), branch=desk.branch, follow_up=desk.specialist)
    case = case_of(term)
    other = Case.objects.get(expiring_term=later)
    plate = case.vehicle.plate
    row = f"#case-{case.pk}"

    # the specialist lands on today's list
    log_in(page, live_server, desk.specialist.employee_no)
    expect(page).to_have_url(re.compile(r"/followups/today/$"))
    expect(page.get_by_role("heading", name="今日跟进")).to_be_visible()
    expect(page.locator(row)).to_contain_text(plate)
    expect(page.locator(row)).to_contain_text("T−30 检查点 · 今日")
    page.screenshot(path=f"{SCREENSHOTS}/desk-today.png")

    # the search narrows the list in place (htmx), and clearing it brings the rows back
    page.get_by_label("搜索案件").fill(other.vehicle.plate)
    expect(page.locator(row)).to_have_count(0)
    expect(page.locator(f"#case-{other.pk}")).to_be_visible()
    page.get_by_label("搜索案件").fill("")
    expect(page.locator(row)).to_be_visible()
    settled(page)

    # opens the row and logs a reached call: key 1, a quick pick for tomorrow, a note
    page.locator(row).get_by_role("button", name="记录").click()
    drawer = page.locator(f"#drawer-{case.pk}")
    expect(drawer).to_be_visible()
    settled(page)
    page.keyboard.press("1")
    expect(drawer.locator("input[name=result][value=reached]")).to_be_checked()
    expect(drawer.locator(".checkpoint-hint")).to_contain_text("计为 T−30 检查点的有效联系")
    drawer.get_by_role("button", name="明天").click()
    expect(drawer.locator("input[name=next_date]")).to_have_value("2026-06-02")
    drawer.get_by_label("备注").fill("客户拿到电销报价，希望再便宜些，周四回电。")
    drawer.get_by_role("button", name="保存联系").click()
    expect(page.locator("#toasts")).to_contain_text(f"已记录 {plate} 接通，计为 T−30 检查点的有效联系")
    expect(page.locator(f"{row} .dot").nth(2)).to_have_class(re.compile(r"\bdone\b"))
    expect(drawer.locator(".history-pane")).to_contain_text("客户拿到电销报价")

    # quotes 12%: the ladder says it is the GM's, and the button names the approver
    discount = drawer.get_by_label("让利百分比")
    discount.fill("12")
    settled(page)
    submit = drawer.locator("[data-quote-submit]")
    expect(submit).to_have_text(f"提交总经理审批（{desk.gm.name}）")
    expect(drawer.locator(".approval-note")).to_contain_text("超出本人权限")
    expect(drawer.locator(f"#quote-sum-{case.pk}")).to_contain_text("541.44")  # 4,512.00 × 12%
    drawer.get_by_label("申请理由").fill("客户持人保电销报价，要求不高于此价。")
    page.screenshot(path=f"{SCREENSHOTS}/desk-today-drawer.png", full_page=True)
    settled(page)
    submit.click()
    expect(page.locator("#toasts")).to_contain_text(f"已提交总经理审批：{plate} 让利 12.0%")
    expect(page.locator(row)).to_contain_text("待审批")
    log_out(page)

    # the GM lands on the inbox and approves from the card
    log_in(page, live_server, desk.gm.employee_no)
    expect(page).to_have_url(re.compile(r"/followups/inbox/$"))
    quote = case.quotes.get()
    card = page.locator(f"#quote-card-{quote.pk}")
    expect(card).to_contain_text("客户持人保电销报价")
    expect(card).to_contain_text("541.44")
    page.screenshot(path=f"{SCREENSHOTS}/desk-inbox.png")
    card.get_by_role("button", name="批准 12.0%").click()
    expect(page.locator("#toasts")).to_contain_text(f"已批准 {plate}")
    expect(card).to_contain_text("已批准")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED and quote.decided_by == desk.gm
    log_out(page)

    # the customer takes the approved price; the specialist marks the case renewed and it leaves the list
    log_in(page, live_server, desk.specialist.employee_no)
    expect(page.locator(row)).to_contain_text("已报价")
    page.locator(row).get_by_role("button", name="记录").click()
    expect(drawer).to_be_visible()
    settled(page)
    drawer.get_by_role("button", name="客户接受此报价").click()
    expect(page.locator("#toasts")).to_contain_text(f"已记录客户接受报价：{plate} 让利 12.0%")
    settled(page)
    drawer.get_by_role("button", name="标记续回…").click()
    form = page.locator(f"#outcome-{case.pk} form")
    expect(form).to_be_visible()
    settled(page)
    form.get_by_label("保险公司").select_option(label="平安产险")
    form.get_by_label("起保日期").fill("2026-07-02")
    form.get_by_label("交强险保单号").fill("JQ2026070200001")
    form.get_by_label("交强险保费").fill("950.00")
    form.get_by_label("商业险保单号").fill("SY2026070200001")
    form.get_by_label("商业险保费").fill("3970.56")
    form.get_by_role("button", name="确认续回").click()
    expect(page.locator("#toasts")).to_contain_text(f"已登记续回：{plate}")
    expect(page.locator(row)).to_have_count(0)
    page.reload()
    expect(page.locator("#today-table")).not_to_contain_text(plate)
    assert Case.objects.get(pk=case.pk).state == CaseState.RENEWED


@pytest.mark.parametrize(
    ("role", "landing"),
    [("specialist", "/followups/today/"), ("lead", "/followups/board/"), ("manager", "/followups/inbox/"),
     ("gm", "/followups/inbox/")],
)  # fmt: skip
def test_each_role_lands_on_its_page_after_logging_in(page: Page, live_server, desk, role, landing):
    log_in(page, live_server, getattr(desk, role).employee_no)
    expect(page).to_have_url(re.compile(re.escape(landing) + "$"))
