"""今日跟进 and its inline drawer through the Django test client: the list, its filters, the htmx fragments, the
contact log, the live quote and its ladder, the outcomes — and who may see which case."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from followups.models import Case, CaseState, Contact, ContactResult, Quote, QuoteStatus
from followups.services import create_quote, log_contact, run_daily
from tests.factories import insurer, make_customer
from tests.followups.builders import DAY, bulk_terms, case_of, renewal_of, term_ending

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def on_day():
    """2026-06-01 10:00 in Shanghai (the builders' DAY): cases are made by the daily job of that day."""
    with time_machine.travel(datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


def toast(response) -> str:
    return json.loads(response["HX-Trigger"])["showToast"]


def error_toast(response) -> str:
    return json.loads(response["HX-Trigger"])["showErrorToast"]


@pytest.fixture
def case(desk):
    """The specialist's case whose T−30 checkpoint window is open today."""
    customer = make_customer(name="张建国", mobile="13812345678")
    return case_of(
        term_ending(DAY + timedelta(days=30), branch=desk.branch, customer=customer, follow_up=desk.specialist)
    )


@pytest.fixture
def specialist_client(client, desk):
    client.force_login(desk.specialist.user)
    return client


def url(name: str, *args) -> str:
    return reverse(f"followups:{name}", args=args)


# ── the list ──────────────────────────────────────────────────────────────────────────────────────────


def test_the_list_shows_my_open_cases_most_urgent_first_with_masked_phones(specialist_client, desk, case):
    lapsed = case_of(term_ending(DAY - timedelta(days=3), branch=desk.branch, follow_up=desk.specialist))
    soon = case_of(term_ending(DAY + timedelta(days=9), branch=desk.branch, follow_up=desk.specialist))
    later = case_of(term_ending(DAY + timedelta(days=70), branch=desk.branch, follow_up=desk.specialist))
    someone_elses = case_of(term_ending(DAY + timedelta(days=20), branch=desk.branch, follow_up=desk.specialist2))

    page = specialist_client.get(url("today")).content.decode()

    order = [page.index(f'id="case-{c.pk}"') for c in (lapsed, soon, case, later)]
    assert order == sorted(order)  # past T → within 15 days → checkpoint today → by T
    assert f'id="case-{someone_elses.pk}"' not in page
    assert "138****5678" in page and "13812345678" not in page
    assert "按紧急度排序（已过 T → 15 天内 → 今日检查点 → 约定回电 → 到期日）" in page
    assert "已脱保 3 天 · 今日再联系" in page
    assert "T−30 检查点 · 今日" in page
    assert 'class="case-row urg-red' in page and 'class="case-row urg-amber' in page


def test_the_kpi_tiles_and_state_tabs_count_my_work(specialist_client, desk, case):
    case_of(term_ending(DAY - timedelta(days=2), branch=desk.branch, follow_up=desk.specialist))
    page = specialist_client.get(url("today")).content.decode()
    assert "我名下在跟 2 件" in page
    assert '<div class="label">今日待办</div><div class="value">2</div>' in page
    assert 'value="lapsed" form="today-filters">脱保跟进<span class="count">1</span>' in page
    assert 'value="all" checked form="today-filters">全部<span class="count">2</span>' in page


def test_filters_return_the_table_fragment_with_fresh_tab_counts(specialist_client, desk, case):
    other = make_customer(name="刘桂兰", mobile="13600000917")
    theirs = case_of(
        term_ending(DAY + timedelta(days=50), branch=desk.branch, customer=other, follow_up=desk.specialist)
    )

    response = specialist_client.get(url("today"), {"q": "0917"}, **HTMX, HTTP_HX_TARGET="today-list")

    fragment = response.content.decode()
    assert (
        "<html" not in fragment
        and 'id="today-tabs" role="radiogroup" aria-label="按状态" hx-swap-oob="true"' in fragment
    )
    assert f'id="case-{theirs.pk}"' in fragment and f'id="case-{case.pk}"' not in fragment


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        ({"tab": "lapsed"}, ["lapsed"]),
        ({"days": "overdue"}, ["lapsed"]),
        ({"days": "15"}, ["lapsed", "soon"]),
        ({"due_today": "1"}, ["lapsed", "soon", "checkpoint"]),
        ({"tab": "new"}, ["lapsed", "soon", "later"]),
        ({"insurer": "人保财险"}, ["later"]),
    ],
)
def test_tabs_and_filters(specialist_client, desk, case, params, shown):
    cases = {
        "lapsed": case_of(term_ending(DAY - timedelta(days=3), branch=desk.branch, follow_up=desk.specialist)),
        "soon": case_of(term_ending(DAY + timedelta(days=9), branch=desk.branch, follow_up=desk.specialist)),
        "later": case_of(
            term_ending(
                DAY + timedelta(days=70), branch=desk.branch, follow_up=desk.specialist, insurer_name="人保财险"
            )
        ),
        "checkpoint": case,
    }
    log_contact(case=case, staff=desk.specialist, result=ContactResult.NO_ANSWER)
    page = specialist_client.get(url("today"), params).content.decode()
    assert sorted(name for name, c in cases.items() if f'id="case-{c.pk}"' in page) == sorted(shown)


def test_a_long_list_is_paginated_and_costs_the_same_queries_as_a_short_one(specialist_client, desk):
    bulk_terms(
        branch=desk.branch, t_dates=[DAY + timedelta(days=20 + i % 60) for i in range(10)], follow_up=desk.specialist
    )
    run_daily(day=DAY)
    with CaptureQueriesContext(connection) as short:
        assert specialist_client.get(url("today")).status_code == 200
    bulk_terms(branch=desk.branch, t_dates=[DAY + timedelta(days=20 + i % 60) for i in range(70)],
               follow_up=desk.specialist)  # fmt: skip
    run_daily(day=DAY)
    with CaptureQueriesContext(connection) as long:
        page = specialist_client.get(url("today")).content.decode()
    assert len(long) == len(short)
    assert "第 1 / 2 页，共 80 条" in page
    assert page.count('class="case-row ') == 50


def test_only_specialists_and_callback_staff_have_a_today_list(client, desk):
    for person in (desk.lead, desk.manager, desk.gm, desk.seller):
        client.force_login(person.user)
        assert client.get(url("today")).status_code == 403
    client.force_login(desk.callback.user)
    assert client.get(url("today")).status_code == 200


# ── the drawer ────────────────────────────────────────────────────────────────────────────────────────


def test_a_row_expands_into_the_drawer_and_collapses_back(specialist_client, case):
    response = specialist_client.get(url("case_drawer", case.pk), **HTMX)
    fragment = response.content.decode()
    assert "<html" not in fragment
    assert f'id="drawer-{case.pk}"' in fragment
    for pane in ("记录联系", "联系记录", "车辆与上年保单", "报价"):
        assert pane in fragment
    assert "✓ 计为 <strong>T−30</strong> 检查点的有效联系（今日 06-01）" in fragment
    assert "张建国 · 138****5678" in fragment and "13812345678" not in fragment
    assert 'data-fill="discount_pct" data-value="14"' in fragment  # the quick picks 0/8/10/13/14
    assert "收起" in fragment

    collapsed = specialist_client.get(url("case_row", case.pk), **HTMX).content.decode()
    assert f'<tr id="drawer-{case.pk}" hx-swap-oob="delete"></tr>' in collapsed
    assert "记录</button>" in collapsed


def test_another_specialists_case_is_not_found_for_every_action(specialist_client, desk):
    theirs = case_of(term_ending(DAY + timedelta(days=30), branch=desk.branch, follow_up=desk.specialist2))
    for name in ("case_drawer", "case_row", "renewal_form", "loss_form"):
        assert specialist_client.get(url(name, theirs.pk), **HTMX).status_code == 404
    for name in ("log_contact", "quote_preview", "create_quote", "record_renewal", "propose_loss"):
        assert specialist_client.post(url(name, theirs.pk), {"result": "reached"}, **HTMX).status_code == 404
    assert not Contact.objects.exists()


def test_a_case_of_another_branch_is_not_found_for_its_lead_either(client, desk, other_desk, case):
    client.force_login(other_desk.lead.user)
    assert client.get(url("case_drawer", case.pk), **HTMX).status_code == 404


# ── logging a contact ─────────────────────────────────────────────────────────────────────────────────


def test_logging_a_reached_call_counts_for_the_checkpoint_and_swaps_the_panes(specialist_client, case):
    response = specialist_client.post(
        url("log_contact", case.pk),
        {"result": "reached", "next_date": "2026-06-04", "next_time": "14:30", "note": "周四下午回电确认"},
        **HTMX,
    )
    assert response.status_code == 200
    assert toast(response) == f"已记录 {case.vehicle.plate} 接通，计为 T−30 检查点的有效联系；下次联系 06-04 14:30。"
    fragment = response.content.decode()
    assert f'id="contact-pane-{case.pk}"' in fragment
    assert f'id="history-pane-{case.pk}" hx-swap-oob="true"' in fragment
    assert re.search(rf'<template>\s*<tr id="case-{case.pk}"[^>]*hx-swap-oob="true"', fragment)
    assert "周四下午回电确认" in fragment
    contact = Contact.objects.get()
    assert (contact.effective, contact.checkpoint, contact.result) == (True, 30, ContactResult.REACHED)
    assert contact.next_contact_at == datetime(2026, 6, 4, 14, 30, tzinfo=SHANGHAI)
    case.refresh_from_db()
    assert case.checkpoint_30 is True


def test_an_unanswered_call_is_logged_but_not_effective(specialist_client, case):
    response = specialist_client.post(url("log_contact", case.pk), {"result": "no_answer"}, **HTMX)
    assert toast(response) == f"已记录 {case.vehicle.plate} 未接。"
    assert Contact.objects.get().effective is False


def test_a_contact_without_a_result_is_refused_in_chinese_in_place(specialist_client, case):
    response = specialist_client.post(url("log_contact", case.pk), {"note": "忘了选结果"}, **HTMX)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "请选择联系结果：接通、未接、拒绝或空号。" in fragment
    assert "忘了选结果" in fragment  # what was typed stays
    assert error_toast(response) == "联系未保存：请按提示改正。"
    assert not Contact.objects.exists()


def test_a_time_without_a_date_is_refused(specialist_client, case):
    response = specialist_client.post(url("log_contact", case.pk), {"result": "reached", "next_time": "10:00"}, **HTMX)
    assert "填了时间，请同时选择日期。" in response.content.decode()


# ── the quote ─────────────────────────────────────────────────────────────────────────────────────────


def quote_form(pct: str, **extra) -> dict:
    return {
        "insurer": str(insurer().pk),
        "premium_compulsory": "950.00",
        "premium_commercial": "4,286.00",
        "coverages": ["车损险", "三者险(100万)"],
        "discount_pct": pct,
        **extra,
    }


@pytest.mark.parametrize(
    ("pct", "button", "note"),
    [
        ("0", "保存报价", "无让利，保存即生效。"),
        ("8", "保存报价", "8.0% 在本人权限内，保存即生效。"),
        ("8.01", "提交经理审批（manager-2）", "8.01% 超出本人权限（8%），提交后进入保险经理 manager-2的收件箱"),
        ("10", "提交经理审批（manager-2）", "10.0% 超出本人权限（8%）"),
        ("12", "提交总经理审批（gm-4）", "提交后进入总经理 gm-4的收件箱"),
        ("14", "提交总经理审批（gm-4）", "14.0% 超出本人权限（8%）"),
        ("14.5", "超过 14%，不能提交", "14.5% 超过让利上限（14%），系统不接受；请降到 14% 以内。"),
    ],
)
def test_the_live_preview_places_the_discount_on_the_ladder_and_names_the_approver(
    specialist_client, case, pct, button, note
):
    response = specialist_client.post(url("quote_preview", case.pk), quote_form(pct), **HTMX)
    fragment = response.content.decode()
    assert button in fragment
    assert note in fragment
    assert f'id="quote-sum-{case.pk}" hx-swap-oob="true"' in fragment
    assert ("disabled" in fragment) == (button == "超过 14%，不能提交")
    assert ("改为 8% 直接保存" in fragment) == (pct not in ("0", "8"))


def test_the_preview_computes_the_amounts_without_tax(specialist_client, case):
    fragment = specialist_client.post(url("quote_preview", case.pk), quote_form("10", vehicle_tax="360"), **HTMX)
    text = fragment.content.decode()
    assert "<strong>428.60</strong> 元" in text  # 4,286.00 × 10%
    assert "<dd>3,857.40</dd>" in text and '<dd class="total">4,807.40</dd>' in text  # 车船税 not in the total
    assert '<dd class="tax">360.00</dd>' in text
    assert "全保" in text


def test_a_quote_within_my_authority_is_saved_and_the_case_is_quoted(specialist_client, case):
    response = specialist_client.post(url("create_quote", case.pk), quote_form("8"), **HTMX)
    assert toast(response) == f"已保存报价：{case.vehicle.plate} 平安产险 让利 8.0%，保费合计 4,893.12 元。"
    quote = Quote.objects.get()
    assert (quote.status, quote.discount) == (QuoteStatus.SAVED, D("342.88"))
    assert Case.objects.get(pk=case.pk).state == CaseState.QUOTED
    assert "已保存" in response.content.decode()


def test_a_quote_above_my_authority_goes_to_the_gm_and_says_so(specialist_client, desk, case):
    response = specialist_client.post(
        url("create_quote", case.pk), quote_form("12", reason="客户持人保电销报价"), **HTMX
    )
    assert toast(response) == (
        f"已提交总经理审批：{case.vehicle.plate} 让利 12.0%，等待 {desk.gm.name} 批准；批准前报价不生效。"
    )
    quote = Quote.objects.get()
    assert (quote.status, quote.level, quote.reason) == (QuoteStatus.PENDING, "gm", "客户持人保电销报价")
    assert "待审批" in response.content.decode()  # the row's state chip, swapped out of band


def test_a_quote_above_14_percent_is_refused_in_place(specialist_client, case):
    response = specialist_client.post(url("create_quote", case.pk), quote_form("15"), **HTMX)
    message = "让利 15% 超过上限 14%，不能报价；请把让利降到商业险保费的 14% 以内。"
    assert message in response.content.decode()
    assert error_toast(response) == message
    assert not Quote.objects.exists()


def test_a_quote_with_unreadable_numbers_is_refused_in_chinese(specialist_client, case):
    response = specialist_client.post(
        url("create_quote", case.pk), quote_form("abc", premium_commercial="四千"), **HTMX
    )
    text = response.content.decode()
    assert "请输入金额，例如 4286.00。" in text
    assert "让利请填百分比数字，例如 8 或 10.5。" in text
    assert not Quote.objects.exists()


def test_the_customer_accepting_a_quote_is_recorded(specialist_client, case):
    specialist_client.post(url("create_quote", case.pk), quote_form("8"), **HTMX)
    saved = Quote.objects.get()
    drawer = specialist_client.get(url("case_drawer", case.pk), **HTMX).content.decode()
    assert url("accept_quote", case.pk, saved.pk) in drawer
    response = specialist_client.post(url("accept_quote", case.pk, saved.pk), **HTMX)
    assert toast(response) == f"已记录客户接受报价：{case.vehicle.plate} 让利 8.0%，保费合计 4,893.12 元。"
    saved.refresh_from_db()
    assert saved.status == QuoteStatus.ACCEPTED
    assert "客户已接受" in response.content.decode()


def test_a_pending_quote_cannot_be_accepted(specialist_client, case):
    specialist_client.post(url("create_quote", case.pk), quote_form("12"), **HTMX)
    pending = Quote.objects.get()
    response = specialist_client.post(url("accept_quote", case.pk, pending.pk), **HTMX)
    assert error_toast(response) == "只有已保存或已批准的报价可以标记为客户接受。"
    pending.refresh_from_db()
    assert pending.status == QuoteStatus.PENDING


# ── outcomes ──────────────────────────────────────────────────────────────────────────────────────────


def test_marking_renewed_with_new_policies_removes_the_row(specialist_client, desk, case):
    form = specialist_client.get(url("renewal_form", case.pk), **HTMX).content.decode()
    assert "确认续回" in form and "回访员（计提）" in form
    response = specialist_client.post(
        url("record_renewal", case.pk),
        {
            "channel": "telesales", "seller": desk.seller.pk, "lead": desk.lead.pk, "insurer": insurer().pk,
            "start_on": "2026-07-02", "compulsory_no": "JQ001", "compulsory_premium": "950.00",
            "commercial_no": "SY001", "commercial_premium": "3,970.56",
        },
        **HTMX,
    )  # fmt: skip
    assert toast(response) == (
        f"已登记续回：{case.vehicle.plate}（电销），新保险期 2026-07-02 起，保费 4,920.56 元；已移出今日跟进。"
    )
    fragment = response.content.decode()
    assert f'<tr id="case-{case.pk}" hx-swap-oob="delete"></tr>' in fragment
    case.refresh_from_db()
    assert case.state == CaseState.RENEWED and case.renewal_channel == "telesales"
    assert case.renewal_term.seller == desk.seller and case.renewal_term.t_date.isoformat() == "2027-07-01"
    page = specialist_client.get(url("today")).content.decode()
    assert f'id="case-{case.pk}"' not in page


def test_marking_renewed_with_an_imported_term(specialist_client, desk, case):
    renewed = renewal_of(case.expiring_term)
    form = specialist_client.get(url("renewal_form", case.pk), **HTMX).content.decode()
    assert f'<option value="{renewed.pk}">' in form
    response = specialist_client.post(url("record_renewal", case.pk), {"channel": "store", "term": renewed.pk}, **HTMX)
    assert toast(response).startswith(f"已登记续回：{case.vehicle.plate}（到店）")
    assert Case.objects.get(pk=case.pk).renewal_term == renewed


def test_marking_renewed_without_policies_says_what_is_missing(specialist_client, case):
    response = specialist_client.post(url("record_renewal", case.pk), {"channel": "store"}, **HTMX)
    assert "请选择已导入的新一期，或录入至少一张新保单（保单号与保费）。" in response.content.decode()
    response = specialist_client.post(
        url("record_renewal", case.pk), {"channel": "store", "commercial_no": "SY9"}, **HTMX
    )
    text = response.content.decode()
    assert "请选择新保单的保险公司。" in text and "请填写起保日期。" in text and "请填写商业险保费。" in text
    assert Case.objects.get(pk=case.pk).state == CaseState.FOLLOWING


def test_a_renewal_the_service_refuses_is_shown_in_place(specialist_client, case):
    response = specialist_client.post(
        url("record_renewal", case.pk),
        {"channel": "store", "insurer": insurer().pk, "start_on": "2026-09-30", "commercial_no": "SY2",
         "commercial_premium": "4000"},
        **HTMX,
    )  # fmt: skip
    assert "超出续保宽限" in error_toast(response)
    assert "超出续保宽限" in response.content.decode()


def test_proposing_a_loss_needs_a_reason_and_text_for_other(specialist_client, case):
    assert (
        "请选择战败或不可续的原因。"
        in specialist_client.post(url("propose_loss", case.pk), {}, **HTMX).content.decode()
    )
    response = specialist_client.post(url("propose_loss", case.pk), {"reason": "OTHER"}, **HTMX)
    assert "原因选“其他”时，请写明具体原因。" in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == CaseState.FOLLOWING

    response = specialist_client.post(url("propose_loss", case.pk), {"reason": "PRICE"}, **HTMX)
    assert toast(response) == f"已提交战败：{case.vehicle.plate}（价格高/优惠不足），等待经理或续保负责人审核。"
    assert f'<tr id="case-{case.pk}" hx-swap-oob="delete"></tr>' in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == CaseState.LOST_PENDING


def test_a_sold_vehicle_is_proposed_as_not_renewable(specialist_client, case):
    response = specialist_client.post(url("propose_loss", case.pk), {"reason": "VEHICLE_SOLD"}, **HTMX)
    assert toast(response) == f"已提交不可续：{case.vehicle.plate}（转卖/过户），等待经理或续保负责人审核。"
    assert Case.objects.get(pk=case.pk).state == CaseState.EXCLUSION_PENDING


def test_a_pending_quote_shows_in_the_next_step_column(specialist_client, desk, case):
    create_quote(case=case, staff=desk.specialist, insurer="平安产险", premium_compulsory=D("950"),
                 premium_commercial=D("5120"), discount_rate=D("0.13"))  # fmt: skip
    page = specialist_client.get(url("today")).content.decode()
    assert "报价 13.0% 待总经理审批" in page
    assert 'class="state state-pending">待审批</span>' in page
