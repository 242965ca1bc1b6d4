"""The shell of the UI in a real browser: each role logs in through the form and lands on its page."""

from datetime import date

import pytest
from django.urls import reverse

from renewal_desk.roles import LANDING_URL_NAMES
from tests.factories import make_customer, make_term

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANDING = dict(LANDING_URL_NAMES)


def log_in(page, live_server, username, password="pass-1234-word"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("role", [role for role, _ in LANDING_URL_NAMES])
def test_each_role_lands_on_its_own_page(page, live_server, staff_by_role, role):
    log_in(page, live_server, staff_by_role[role].employee_no)
    assert page.url == f"{live_server.url}{reverse(LANDING[role])}"
    assert page.locator("header.topbar").is_visible()
    assert page.locator(".user-name").inner_text() == staff_by_role[role].name


def test_wrong_password_says_so_in_chinese(page, live_server, staff_by_role):
    log_in(page, live_server, staff_by_role["seller"].employee_no, password="not-the-password")
    assert "工号或密码不正确" in page.content()


def test_search_a_vehicle_and_open_its_page(page, live_server, branch, staff_by_role):
    term = make_term(branch=branch, start_on=date(2025, 7, 1), customer=make_customer("张建国", "13812345678"))
    log_in(page, live_server, staff_by_role["seller"].employee_no)
    page.fill("header input[name=q]", "5678")
    page.press("header input[name=q]", "Enter")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(reverse("policies:vehicle", args=[term.vehicle.vin]))
    body = page.content()
    assert "138****5678" in body and "13812345678" not in body
    assert term.vehicle.plate in body
