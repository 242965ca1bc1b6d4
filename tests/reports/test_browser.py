"""The division user in a real browser: opens the dashboard, sees the six charts, downloads last month's 战报表."""

import pytest
from openpyxl import load_workbook

from reports.periods import month_end_cut_off, previous_full_month
from reports.services import build_battle_file
from tests.factories import make_staff
from tests.reports.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username, password="pass-1234-word"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_division_opens_the_dashboard_and_downloads_last_months_battle_report(page, live_server, tmp_path):
    world = build_world()
    division = make_staff(world.bj, "division", employee_no="HQ001", name="高宏")
    last_month = previous_full_month()
    build_battle_file(month=last_month, branch=None, cut_off=month_end_cut_off(last_month))  # the scheduled build

    log_in(page, live_server, division.employee_no)
    page.goto(f"{live_server.url}/reports/dashboard/")
    assert page.locator("h1").first.inner_text() == "经营看板"
    assert page.locator("section.chart-card svg").count() >= 6
    for chart in ("c-trend", "c-cat", "c-reason", "c-channel", "c-mix", "c-exp"):
        assert page.locator(f"section[aria-labelledby={chart}] svg").first.is_visible()
    page.locator("section[aria-labelledby=c-mix] summary").click()
    assert page.locator("section[aria-labelledby=c-mix] details table").is_visible()

    with page.expect_download() as download_info:
        page.locator("[data-testid=battle-download]").click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    workbook = load_workbook(saved)
    assert "汇总" in workbook.sheetnames
    assert workbook["汇总"]["A1"].value.startswith(f"{last_month:%Y-%m} 战报表")
