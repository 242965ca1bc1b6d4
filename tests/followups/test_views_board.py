"""到期管理表: the page (state × assignee, compliance, overdue handoffs, escalations), print styles, and the .xlsx
with masked phones and formula-safe text."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from followups.exports import safe_cell, safe_text
from followups.services import log_contact
from tests.factories import make_customer
from tests.followups.builders import DAY, case_of, term_ending

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def on_day():
    with time_machine.travel(datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture
def cases(desk):
    """An escalated case (T within 15 days), a T−30 case with an effective contact, and an unassigned one."""
    escalated = case_of(term_ending(DAY + timedelta(days=10), branch=desk.branch, follow_up=desk.specialist))
    checked = case_of(term_ending(DAY + timedelta(days=30), branch=desk.branch, follow_up=desk.specialist))
    log_contact(case=checked, staff=desk.specialist, result="reached")
    sly = make_customer(name='=HYPERLINK("http://x")', mobile="13700001234")
    waiting = case_of(term_ending(DAY + timedelta(days=20), branch=desk.branch, customer=sly))
    return {"escalated": escalated, "checked": checked, "waiting": waiting}


def test_the_board_shows_states_by_assignee_compliance_and_escalations(client, desk, cases):
    client.force_login(desk.lead.user)
    page = client.get(reverse("followups:board")).content.decode()
    assert "到期管理表" in page
    assert desk.specialist.name in page and "<strong>待分配</strong>" in page
    assert 'id="board-compliance"' in page and "1/1" in page  # T−30: one due, one effective
    assert "已升级（T−15 仍未结）" in page and cases["escalated"].vehicle.plate in page
    assert "137****1234" in page and "13700001234" not in page
    assert 'href="/followups/board.xlsx?day=2026-06-01"' in page and "data-print" in page


def test_the_board_is_printable(client, desk, cases):
    from django.contrib.staticfiles import finders

    client.force_login(desk.lead.user)
    assert 'class="board-page"' in client.get(reverse("followups:board")).content.decode()
    with open(finders.find("css/app.css"), encoding="utf-8") as css:
        followups_css = css.read().split("/* followups")[1]
    assert "@media print" in followups_css and ".board-page .card" in followups_css


def test_the_days_board_downloads_as_xlsx_with_masked_phones_and_safe_text(client, desk, cases):
    client.force_login(desk.manager.user)
    response = client.get(reverse("followups:board_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(BytesIO(response.content))
    assert workbook.sheetnames == ["状态×跟进人", "检查点合规", "移交逾期", "已升级 T−15"]
    matrix = list(workbook["状态×跟进人"].values)
    assert matrix[1][:3] == ("工号", "跟进人", "待分配")
    assert any(row[1] == desk.specialist.name for row in matrix[2:])
    escalated = list(workbook["已升级 T−15"].values)
    assert escalated[2][0] == cases["escalated"].vehicle.plate
    every_text = [cell for sheet in workbook for row in sheet.values for cell in row if isinstance(cell, str)]
    assert not any("13700001234" in text or "13812345678" in text for text in every_text)
    for sheet in workbook:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+86", "'+86"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
     ("张三", "张三"), ("", "")],
)  # fmt: skip
def test_user_text_never_becomes_a_formula(value, expected):
    assert safe_text(value) == expected


def test_safe_cells_keep_numbers_and_dates(tmp_path):
    from openpyxl import Workbook

    sheet = Workbook(write_only=True).create_sheet()
    assert safe_cell(sheet, 12).value == 12
    assert safe_cell(sheet, DAY).number_format == "yyyy-mm-dd"
    formula = safe_cell(sheet, "=cmd|'/c calc'!A1")
    assert (formula.value, formula.data_type) == ("'=cmd|'/c calc'!A1", "s")


def test_only_leads_managers_and_gms_see_the_board(client, desk, other_desk, cases):
    for person in (desk.specialist, desk.callback, desk.seller):
        client.force_login(person.user)
        assert client.get(reverse("followups:board")).status_code == 403
        assert client.get(reverse("followups:board_export")).status_code == 403
    client.force_login(other_desk.lead.user)  # another branch's lead sees their own (empty) board
    page = client.get(reverse("followups:board")).content.decode()
    assert cases["escalated"].vehicle.plate not in page
