"""In a real browser: an admin edits a band and sees the per-person preview, a second admin publishes it, and
finance approves a branch month prepared by someone else and downloads its payout sheet."""

from __future__ import annotations

import re
from decimal import Decimal

import openpyxl
import pytest

from incentives.models import PayoutRun, RuleVersion
from incentives.services import compute_payout
from tests.incentives.scenario import MAY, build_scenario

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username, password="pass-1234-word"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def log_out(page):
    page.click("header .who button")
    page.wait_for_load_state("networkidle")


def test_admin_edits_a_band_second_admin_publishes_finance_approves_and_downloads(page, live_server, tmp_path):
    scenario = build_scenario()
    people = scenario["people"]
    compute_payout(branch=scenario["branch"], month=MAY, by=people["finance2"])  # prepared by 赵敏

    # An admin lands on the rules page, starts v2 from v1 and raises B for 60% < r ≤ 70% from 1.5 to 1.6.
    log_in(page, live_server, "CD0801")
    assert page.url.endswith("/incentives/rules/")
    page.click("text=+ 基于 v1 新建版本")
    page.wait_for_load_state("networkidle")
    version = RuleVersion.objects.get(label="v2")
    page.goto(f"{live_server.url}/incentives/rules/?v={version.pk}&month=2026-05")
    page.wait_for_selector("#rule-preview table")
    page.fill("#achievement_bands-3-value_at_lower", "1.6")
    page.click("#save-draft")
    # the preview is recomputed on May's real data: 杨雪 (r = 8/12, f = 6/8) gains 2000 × 0.1 × 0.75
    row = page.locator("#rule-preview tbody tr", has_text="杨雪")
    row.locator("td.delta", has_text="+150.00").wait_for()
    assert "1.5 → 1.6" in re.sub(r"\s+", " ", row.inner_text())
    assert page.locator("#publish-btn").is_disabled()  # needs review and a second admin
    page.click("text=提交复核")
    page.wait_for_load_state("networkidle")
    log_out(page)

    # A second admin publishes it.
    log_in(page, live_server, "CD0802")
    page.goto(f"{live_server.url}/incentives/rules/?v={version.pk}")
    page.click("#publish-btn")
    page.wait_for_load_state("networkidle")
    assert "已发布 v2" in page.content()
    assert RuleVersion.objects.get(pk=version.pk).published_by == people["admin2"]
    log_out(page)

    # Finance (孙丽) approves May, prepared by 赵敏, then downloads the sheet.
    log_in(page, live_server, "CD0901")
    assert "/incentives/payouts/" in page.url
    page.goto(f"{live_server.url}/incentives/payouts/?branch=CD01&month=2026-05")
    assert "本次由 赵敏 计算" in page.content()
    page.click("#approve-btn")
    page.locator(".steps li.current", has_text="财务批准").wait_for()
    assert PayoutRun.objects.get(branch=scenario["branch"], month=MAY).approved_by == people["finance"]
    page.locator("tr.line .expand").first.click()
    page.locator(".explain-row", has_text="计算说明").wait_for()
    with page.expect_download() as download_info:
        page.click("#download-sheet")
    path = tmp_path / "sheet.xlsx"
    download_info.value.save_as(path)
    rows = [tuple(c.value for c in r) for r in openpyxl.load_workbook(path).worksheets[0].iter_rows(min_row=3)]
    header, footer = rows[0], rows[-1]
    run = PayoutRun.objects.get(branch=scenario["branch"], month=MAY)
    assert footer[0] == "合计"
    assert Decimal(str(footer[header.index("合计")])).quantize(Decimal("0.01")) == run.total
