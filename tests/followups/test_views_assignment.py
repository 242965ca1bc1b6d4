"""待分配 (one by one and in bulk by filter), 离职转交 and 到期日未知 — the lead's and manager's pages."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from followups.models import Case, CaseEvent, CaseState
from tests.factories import make_customer
from tests.followups.builders import DAY, case_of, retained_row, term_ending

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def on_day():
    with time_machine.travel(datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


def toast(response, kind="showToast") -> str:
    return json.loads(response["HX-Trigger"])[kind]


@pytest.fixture
def unassigned(desk):
    """Three cases nobody holds: two due within 30 days (one insured by 人保财险), one later."""
    near = term_ending(DAY + timedelta(days=20), branch=desk.branch, customer=make_customer(mobile="13912340001"))
    near_picc = term_ending(DAY + timedelta(days=25), branch=desk.branch, insurer_name="人保财险")
    far = term_ending(DAY + timedelta(days=80), branch=desk.branch)
    case_of(near)
    return [Case.objects.get(expiring_term=term) for term in (near, near_picc, far)]


def test_the_lead_sees_the_branchs_unassigned_cases_soonest_first(client, desk, other_desk, unassigned):
    theirs = case_of(term_ending(DAY + timedelta(days=10), branch=other_desk.branch))
    client.force_login(desk.lead.user)
    page = client.get(reverse("followups:unassigned")).content.decode()
    positions = [page.index(f'id="unassigned-{case.pk}"') for case in unassigned]
    assert positions == sorted(positions)
    assert f'id="unassigned-{theirs.pk}"' not in page
    assert "139****0001" in page and "13912340001" not in page
    assert f"{desk.specialist.name} · 续保专员 · 在跟 0" in page
    assert f"{desk.callback.name} · 回访员" in page
    assert f'<option value="{desk.seller.pk}">' not in page  # sellers are not assignable


def test_filtering_returns_the_list_fragment(client, desk, unassigned):
    client.force_login(desk.lead.user)
    response = client.get(
        reverse("followups:unassigned"), {"insurer": "人保财险"}, **HTMX, HTTP_HX_TARGET="unassigned-list"
    )
    fragment = response.content.decode()
    assert "<html" not in fragment
    assert f'id="unassigned-{unassigned[1].pk}"' in fragment and f'id="unassigned-{unassigned[0].pk}"' not in fragment
    assert 'name="f_insurer" value="人保财险"' in fragment  # the filter travels with the bulk form


def test_assigning_one_case(client, desk, unassigned):
    client.force_login(desk.lead.user)
    response = client.post(
        reverse("followups:assign"), {"case_ids": [unassigned[0].pk], "assignee": desk.specialist.pk}, **HTMX
    )
    assert toast(response) == f"已分配 1 件给 {desk.specialist.name}（续保专员）。"
    case = Case.objects.get(pk=unassigned[0].pk)
    assert (case.assignee, case.state) == (desk.specialist, CaseState.FOLLOWING)
    assert f'id="unassigned-{case.pk}"' not in response.content.decode()
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ASSIGNED, actor=desk.lead).exists()


def test_assigning_everything_the_filter_selects(client, desk, unassigned):
    client.force_login(desk.manager.user)
    response = client.post(
        reverse("followups:assign"), {"select_all": "1", "f_days": "30", "assignee": desk.callback.pk}, **HTMX
    )
    assert toast(response) == f"已分配 2 件给 {desk.callback.name}（回访员）。"
    assert list(Case.objects.filter(assignee=desk.callback).order_by("t_date")) == unassigned[:2]
    assert Case.objects.get(pk=unassigned[2].pk).assignee is None


def test_assigning_without_a_choice_says_what_to_do(client, desk, unassigned):
    client.force_login(desk.lead.user)
    response = client.post(reverse("followups:assign"), {"assignee": desk.specialist.pk}, **HTMX)
    assert "请先勾选要分配的案件，或选择“全选筛选结果”。" in response.content.decode()
    response = client.post(reverse("followups:assign"), {"case_ids": [unassigned[0].pk]}, **HTMX)
    assert toast(response, "showErrorToast") == "请选择要分配给谁。"
    assert not Case.objects.filter(assignee__isnull=False).exists()


def test_cases_of_another_branch_or_its_people_are_refused(client, desk, other_desk, unassigned):
    theirs = case_of(term_ending(DAY + timedelta(days=10), branch=other_desk.branch))
    client.force_login(desk.lead.user)
    response = client.post(
        reverse("followups:assign"), {"case_ids": [theirs.pk], "assignee": desk.specialist.pk}, **HTMX
    )
    assert toast(response, "showErrorToast") == "所选案件中有不存在或不属于本门店的案件，请刷新后重试。"
    response = client.post(
        reverse("followups:assign"), {"case_ids": [unassigned[0].pk], "assignee": other_desk.specialist.pk}, **HTMX
    )
    assert toast(response, "showErrorToast") == "请选择本门店的续保专员或回访员。"
    assert Case.objects.get(pk=theirs.pk).assignee is None


def test_specialists_and_approvers_cannot_assign(client, desk, unassigned):
    for person in (desk.specialist, desk.gm, desk.seller):
        client.force_login(person.user)
        assert client.get(reverse("followups:unassigned")).status_code == 403
        response = client.post(reverse("followups:assign"), {"case_ids": [unassigned[0].pk], "assignee": person.pk})
        assert response.status_code == 403
        assert client.get(reverse("followups:reassign")).status_code == 403
        assert client.get(reverse("followups:expiry_unknown")).status_code == 403


def test_a_leavers_cases_are_handed_over_with_their_history(client, desk):
    mine = [
        case_of(term_ending(DAY + timedelta(days=days), branch=desk.branch, follow_up=desk.specialist2))
        for days in (20, 40)
    ]
    client.force_login(desk.lead.user)
    page = client.get(reverse("followups:reassign")).content.decode()
    assert f"{desk.specialist2.name}（{desk.specialist2.employee_no}）· 2 件" in page
    response = client.post(
        reverse("followups:reassign"), {"staff": desk.specialist2.pk, "to": desk.specialist.pk}, **HTMX
    )
    assert (
        toast(response)
        == f"已将 {desk.specialist2.name} 的 2 件未结案件转交给 {desk.specialist.name}，原跟进记录保留。"
    )
    for case in mine:
        case.refresh_from_db()
        assert case.assignee == desk.specialist
        assert CaseEvent.objects.filter(case=case, from_assignee=desk.specialist2, to_assignee=desk.specialist).exists()


def test_handing_over_to_the_same_person_is_refused(client, desk):
    case_of(term_ending(DAY + timedelta(days=20), branch=desk.branch, follow_up=desk.specialist2))
    client.force_login(desk.lead.user)
    response = client.post(
        reverse("followups:reassign"), {"staff": desk.specialist2.pk, "to": desk.specialist2.pk}, **HTMX
    )
    assert "接手人不能是离职人员本人。" in response.content.decode()


def test_the_expiry_unknown_list_shows_retained_rows_without_a_date(client, desk, other_desk):
    row = retained_row(None, branch=desk.branch, previous_insurer="太平洋产险")
    retained_row(DAY + timedelta(days=30), branch=desk.branch)
    theirs = retained_row(None, branch=other_desk.branch)
    client.force_login(desk.lead.user)
    page = client.get(reverse("followups:expiry_unknown")).content.decode()
    assert row.vehicle.vin in page and "太平洋产险" in page
    assert theirs.vehicle.vin not in page
    assert "共 1 辆" in page
    assert row.customer.masked_mobile in page and row.customer.mobile not in page
