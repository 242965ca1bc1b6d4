"""审批收件箱: discount cards, 战败/不可续 review cards, facets, decisions in place with a toast; maker ≠ checker."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from followups.models import Case, CaseState, QuoteStatus
from followups.services import create_quote, decide_quote, propose_loss
from tests.factories import make_customer
from tests.followups.builders import DAY, case_of, term_ending

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
def case(desk):
    customer = make_customer(name="刘桂兰", mobile="13600000917")
    return case_of(
        term_ending(DAY + timedelta(days=23), branch=desk.branch, customer=customer, follow_up=desk.specialist)
    )


def quote(case, staff, rate: str, reason="客户持人保电销报价：商业险 4,690，要求不高于此价。"):
    return create_quote(
        case=case, staff=staff, insurer="平安产险", premium_compulsory=D("950.00"), premium_commercial=D("5120.00"),
        discount_rate=D(rate), reason=reason,
    )  # fmt: skip


def inbox(client, person, **params) -> str:
    client.force_login(person.user)
    response = client.get(reverse("followups:inbox"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_gm_sees_a_discount_card_with_everything_needed_to_decide(client, desk, case):
    pending = quote(case, desk.specialist, "0.13")
    page = inbox(client, desk.gm)
    assert f'id="quote-card-{pending.pk}"' in page
    assert "让利 13.0%" in page
    assert "665.60" in page and "元让利 · 商业险 13.0%" in page  # 5,120.00 × 13%
    assert "4,454.40" in page and "5,404.40" in page  # price after it, and the customer's total
    assert "客户持人保电销报价：商业险 4,690，要求不高于此价。" in page  # the requester's reason, quoted
    assert "5,462.00" in page  # last year's premium
    assert "136****0917" in page and "13600000917" not in page
    assert "门店本月让利结构" in page and "目标 20%" in page
    assert "申请人不能审批自己的申请" in page
    assert f"申请人 <strong>{desk.specialist.name}（续保专员）</strong>" in page
    assert "总经理审批范围：商业险让利 10%–14%" in page


def test_a_manager_sees_only_what_a_manager_may_decide(client, desk, case):
    gm_level = quote(case, desk.specialist, "0.12")
    other = case_of(term_ending(DAY + timedelta(days=40), branch=desk.branch, follow_up=desk.specialist))
    manager_level = quote(other, desk.specialist, "0.09")
    page = inbox(client, desk.manager)
    assert f'id="quote-card-{manager_level.pk}"' in page
    assert f'id="quote-card-{gm_level.pk}"' not in page


def test_approving_swaps_the_card_and_confirms_in_a_toast(client, desk, case):
    pending = quote(case, desk.specialist, "0.12")
    client.force_login(desk.gm.user)
    response = client.post(reverse("followups:decide_quote", args=[pending.pk]), {"decision": "approve"}, **HTMX)
    assert toast(response) == (
        f"已批准 {case.vehicle.plate} 刘桂兰 让利 12.0%（申请人 {desk.specialist.name}），"
        "报价已生效，申请人在今日跟进中可见。"
    )
    fragment = response.content.decode()
    assert "<html" not in fragment and f'id="quote-card-{pending.pk}"' in fragment and "已批准" in fragment
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == (QuoteStatus.APPROVED, desk.gm)
    assert Case.objects.get(pk=case.pk).state == CaseState.QUOTED


def test_rejecting_needs_a_comment(client, desk, case):
    pending = quote(case, desk.specialist, "0.12")
    client.force_login(desk.gm.user)
    response = client.post(reverse("followups:decide_quote", args=[pending.pk]), {"decision": "reject"}, **HTMX)
    assert "驳回时请填写意见，说明原因，申请人会看到。" in response.content.decode()
    assert toast(response, "showErrorToast") == "驳回时请填写意见，说明原因，申请人会看到。"
    pending.refresh_from_db()
    assert pending.status == QuoteStatus.PENDING

    response = client.post(
        reverse("followups:decide_quote", args=[pending.pk]), {"decision": "reject", "comment": "最多 10%"}, **HTMX
    )
    assert toast(response) == f"已驳回 {case.vehicle.plate} 刘桂兰 让利 12.0%，已退回申请人 {desk.specialist.name}。"
    assert "最多 10%" in response.content.decode()
    pending.refresh_from_db()
    assert (pending.status, pending.decision_comment) == (QuoteStatus.REJECTED, "最多 10%")


def test_a_requester_cannot_approve_their_own_request(client, desk):
    # a manager quoting 12% needs the GM; a GM's own request cannot be decided by the GM
    case = case_of(term_ending(DAY + timedelta(days=23), branch=desk.branch, follow_up=desk.specialist))
    own = quote(case, desk.manager, "0.12")
    client.force_login(desk.manager.user)
    response = client.post(reverse("followups:decide_quote", args=[own.pk]), {"decision": "approve"}, **HTMX)
    assert toast(response, "showErrorToast") == "不能审批自己提交的报价。"
    own.refresh_from_db()
    assert own.status == QuoteStatus.PENDING
    page = inbox(client, desk.manager, view="mine")
    assert f'id="quote-card-{own.pk}"' in page and "这是您本人提交的申请，不能自己审批。" in page


def test_a_manager_cannot_approve_a_gm_level_discount(client, desk, case):
    pending = quote(case, desk.specialist, "0.12")
    client.force_login(desk.manager.user)
    response = client.post(reverse("followups:decide_quote", args=[pending.pk]), {"decision": "approve"}, **HTMX)
    assert toast(response, "showErrorToast") == "让利 12% 需要总经理审批，您的权限不够。"
    assert "让利 12% 需要总经理审批，您的权限不够。" in response.content.decode()


def test_another_branchs_request_is_not_found(client, desk, other_desk, case):
    pending = quote(case, desk.specialist, "0.12")
    client.force_login(other_desk.gm.user)
    assert client.post(reverse("followups:decide_quote", args=[pending.pk]), {"decision": "approve"}).status_code == 404
    assert f'id="quote-card-{pending.pk}"' not in inbox(client, other_desk.gm)


def test_people_without_approval_roles_have_no_inbox(client, desk, case):
    pending = quote(case, desk.specialist, "0.12")
    for person in (desk.specialist, desk.callback, desk.seller):
        client.force_login(person.user)
        assert client.get(reverse("followups:inbox")).status_code == 403
        assert (
            client.post(reverse("followups:decide_quote", args=[pending.pk]), {"decision": "approve"}).status_code
            == 403
        )
    client.force_login(desk.lead.user)  # a lead reviews 战败 but is not on the discount ladder
    assert client.post(reverse("followups:decide_quote", args=[pending.pk]), {"decision": "approve"}).status_code == 403


def test_facets_count_kinds_requesters_and_handled_work(client, desk, case):
    first = quote(case, desk.specialist, "0.12")
    other = case_of(term_ending(DAY + timedelta(days=40), branch=desk.branch, follow_up=desk.specialist2))
    quote(other, desk.specialist2, "0.11")
    decide_quote(quote=first, approver=desk.gm, approve=True)
    page = inbox(client, desk.gm)
    assert '>全部<span class="n">1</span>' in page
    assert f'>{desk.specialist2.name} · 续保专员<span class="n">1</span>' in page
    assert '>今天已处理<span class="n">1</span>' in page and '>本月已处理<span class="n">1</span>' in page
    handled = inbox(client, desk.gm, view="today")
    assert f'id="quote-card-{first.pk}"' in handled and "已批准" in handled
    by_requester = inbox(client, desk.gm, requester=desk.specialist.pk)
    assert 'class="approval-card' not in by_requester


# ── 战败 / 不可续 reviews ───────────────────────────────────────────────────────────────────────────────


def test_a_lead_reviews_a_loss_from_the_card(client, desk, case):
    propose_loss(case=case, by=desk.specialist, reason="PRICE", reason_text="客户嫌贵，已在电销续保")
    page = inbox(client, desk.lead)
    assert f'id="loss-card-{case.pk}"' in page and "客户嫌贵，已在电销续保" in page
    assert "战败 · 价格高/优惠不足" in page
    response = client.post(reverse("followups:review_loss", args=[case.pk]), {"decision": "approve"}, **HTMX)
    assert toast(response) == f"已通过战败：{case.vehicle.plate}（已战败）。"
    assert Case.objects.get(pk=case.pk).state == CaseState.LOST


def test_an_exclusion_sent_back_needs_a_comment_and_returns_to_following(client, desk, case):
    propose_loss(case=case, by=desk.specialist, reason="VEHICLE_SOLD")
    client.force_login(desk.manager.user)
    response = client.post(reverse("followups:review_loss", args=[case.pk]), {"decision": "reject"}, **HTMX)
    assert "驳回时请填写意见" in response.content.decode()
    response = client.post(
        reverse("followups:review_loss", args=[case.pk]), {"decision": "reject", "comment": "车还在客户名下"}, **HTMX
    )
    assert toast(response) == f"已退回不可续：{case.vehicle.plate} 回到跟进中，请跟进人继续跟进。"
    assert Case.objects.get(pk=case.pk).state == CaseState.FOLLOWING


def test_the_proposer_cannot_review_their_own_loss(client, desk, case):
    propose_loss(case=case, by=desk.lead, reason="PRICE")
    page = inbox(client, desk.lead, view="mine")
    assert "这是您本人提交的战败，不能自己审核。" in page
    response = client.post(reverse("followups:review_loss", args=[case.pk]), {"decision": "approve"}, **HTMX)
    assert toast(response, "showErrorToast") == "提交人不能审核自己提交的战败或不可续。"
    assert Case.objects.get(pk=case.pk).state == CaseState.LOST_PENDING


def test_a_gm_is_not_a_loss_reviewer(client, desk, case):
    propose_loss(case=case, by=desk.specialist, reason="PRICE")
    client.force_login(desk.gm.user)
    assert client.post(reverse("followups:review_loss", args=[case.pk]), {"decision": "approve"}).status_code == 403


def test_the_inbox_works_when_the_perks_app_offers_no_oil_cards(client, desk, case, monkeypatch):
    import followups.views.inbox as inbox_views

    monkeypatch.setattr(inbox_views, "_oil_cards", lambda user: [])
    quote(case, desk.specialist, "0.12")
    assert "让利 12.0%" in inbox(client, desk.gm)


def test_extra_oil_requests_show_as_cards_beside_the_discounts(client, desk, case):
    from perks.services.oil import request_extra_oil

    oil = request_extra_oil(term=case.expiring_term, requester=desk.specialist, buckets=3,
                            reason="竞品店承诺送 4 桶", for_next_term=True)  # fmt: skip
    pending = quote(case, desk.specialist, "0.12")
    page = inbox(client, desk.gm)
    assert f'id="oil-card-{oil.pk}"' in page and f'id="quote-card-{pending.pk}"' in page
    assert '>加赠机油<span class="n">1</span>' in page
    only_oil = inbox(client, desk.gm, kind="oil")
    assert f'id="oil-card-{oil.pk}"' in only_oil and f'id="quote-card-{pending.pk}"' not in only_oil
