"""The upload page in a real browser: upload a workbook, see the result; a running import's page polls by itself."""

from __future__ import annotations

import pytest
from django.urls import reverse

from policies.models import ImportBatch, Policy
from tests.policies.workbooks import lead_sheets, standard_sheets, write_workbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username, password="pass-1234-word"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_an_admin_uploads_a_workbook_and_reads_the_summary(page, live_server, staff_by_role, tmp_path):
    book = write_workbook(tmp_path / "门店数据.xlsx", standard_sheets())
    log_in(page, live_server, staff_by_role["admin"].employee_no)

    page.click("a[data-nav=数据导入]")
    page.set_input_files("input[name=file]", str(book))
    page.click("#import-form button[type=submit]")
    page.wait_for_load_state("networkidle")

    batch = ImportBatch.objects.get()
    assert page.url == f"{live_server.url}{reverse('policies:import_batch', args=[batch.pk])}"
    assert "导入完成，数据已写入。" in page.locator("#import-batch-status").inner_text()
    summary = page.locator("#import-summary").inner_text()
    assert "保单" in summary and "4" in summary
    assert Policy.objects.count() == 4


def test_a_refused_workbook_lists_its_errors(page, live_server, staff_by_role, tmp_path):
    sheets = lead_sheets()
    sheets["保单"][1]["车架号"] = "LVSFCFME47F107967"
    book = write_workbook(tmp_path / "bad.xlsx", sheets)
    log_in(page, live_server, staff_by_role["lead"].employee_no)

    page.goto(f"{live_server.url}{reverse('policies:import')}")
    page.set_input_files("input[name=file]", str(book))
    page.click("#import-form button[type=submit]")
    page.wait_for_load_state("networkidle")

    rows = page.locator("#import-errors tbody tr")
    assert rows.count() == 1
    assert rows.first.inner_text().split("\t")[:3] == ["保单", "3", "车架号"]
    assert Policy.objects.count() == 0


def test_the_page_of_a_running_import_updates_itself_when_it_finishes(page, live_server, staff_by_role):
    admin = staff_by_role["admin"].user
    batch = ImportBatch.objects.create(
        original_name="big.xlsx", sha256="0" * 64, uploaded_by=admin, state=ImportBatch.State.RUNNING,
        progress="正在校验“保单”第 45000 行",
    )  # fmt: skip
    log_in(page, live_server, staff_by_role["admin"].employee_no)
    page.goto(f"{live_server.url}{reverse('policies:import_batch', args=[batch.pk])}")
    assert "正在校验“保单”第 45000 行" in page.locator("#import-batch-status").inner_text()

    ImportBatch.objects.filter(pk=batch.pk).update(
        state=ImportBatch.State.DONE, summary={"counts": {"保单": {"created": 45000, "updated": 0, "unchanged": 0}}}
    )

    page.wait_for_selector("#import-summary", timeout=6000)  # the next 2-second poll swaps the fragment in
    assert "导入完成" in page.locator("#import-batch-status").inner_text()
    assert "45,000" in page.locator("#import-summary").inner_text()
    assert page.locator("[hx-trigger]").count() == 0  # polling stopped
