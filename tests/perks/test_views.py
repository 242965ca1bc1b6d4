"""The perk pages through the Django test client: access, masking, htmx actions and their toasts."""

import json
from decimal import Decimal as D

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from perks.models import EntitlementStatus, EntryType, LedgerEntry, OilRequest, OilRequestStatus, PerkKind
from perks.selectors import oil_cards_for, pending_oil_count
from perks.services import decide_oil_request, request_extra_oil
from tests.factories import make_customer, make_staff, make_term

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def toast(response) -> str:
    return json.loads(response["HX-Trigger"])["showToast"]


# --- the service desk ----------------------------------------------------------------------------


def test_desk_finds_a_vehicle_by_plate_and_shows_its_live_entitlements_masked(client, live_term, people):
    client.force_login(people["seller"].user)
    response = client.get(reverse("perks:desk"), {"q": live_term.vehicle.plate})
    assert response["Location"] == reverse("perks:vehicle", args=[live_term.vehicle.vin])
    page = client.get(response["Location"]).content.decode()
    assert "135****0288" in page and "13500000288" not in page
    for label in ("工时材料折扣卡", "机油（标准 1 桶）", "机滤", "保费奖励券", "免费洗车", "剩 10 / 10 次"):
        assert label in page


def test_desk_by_vin_tail_lists_or_redirects(client, live_term, people):
    client.force_login(people["specialist"].user)
    response = client.get(reverse("perks:desk"), {"q": live_term.vehicle.vin[-6:]})
    assert response.status_code == 302
    response = client.get(reverse("perks:desk"), {"q": "不存在的车"})
    assert "没有找到" in response.content.decode()


def test_another_branchs_vehicle_is_not_found_rather_than_forbidden(client, live_term, other_branch):
    client.force_login(make_staff(other_branch, "seller").user)
    assert client.get(reverse("perks:vehicle", args=[live_term.vehicle.vin])).status_code == 404
    assert client.get(reverse("perks:vehicle", args=["LSVAAAAA000000000"])).status_code == 404
    oil = live_term.entitlements.get(kind=PerkKind.OIL)
    assert client.post(reverse("perks:redeem", args=[oil.pk])).status_code == 404
    assert client.post(reverse("perks:redeem_wash", args=[live_term.pk])).status_code == 404


def test_roles_without_desk_work_are_refused(client, live_term, people, branch):
    client.force_login(make_staff(branch, "finance").user)
    assert client.get(reverse("perks:desk")).status_code == 403


def test_desk_needs_a_login(client):
    assert client.get(reverse("perks:desk")).status_code == 302


def test_redeem_a_voucher_in_place_with_a_toast(client, live_term, people):
    client.force_login(people["seller"].user)
    oil = live_term.entitlements.get(kind=PerkKind.OIL)
    response = client.post(reverse("perks:redeem", args=[oil.pk]), **HTMX)
    assert response.status_code == 200
    assert "已核销" in toast(response) and "机油" in toast(response)
    assert 'id="entitlements"' in response.content.decode()
    oil.refresh_from_db()
    assert oil.status == EntitlementStatus.USED
    again = client.post(reverse("perks:redeem", args=[oil.pk]), **HTMX)
    assert "已使用" in toast(again) and "alert-error" in again.content.decode()


def test_redeem_without_htmx_redirects_with_a_message(client, live_term, people):
    client.force_login(people["seller"].user)
    reward = live_term.entitlements.get(kind=PerkKind.PREMIUM_REWARD)
    response = client.post(reverse("perks:redeem", args=[reward.pk]), follow=True)
    assert "已核销" in response.content.decode()


def test_wash_and_rescue_in_place(client, live_term, people):
    client.force_login(people["seller"].user)
    response = client.post(reverse("perks:redeem_wash", args=[live_term.pk]), **HTMX)
    assert "洗车" in toast(response) and "剩 9 / 10 次" in response.content.decode()
    response = client.post(reverse("perks:log_rescue", args=[live_term.pk]), {"city": "北京"}, **HTMX)
    assert "免费救援" in toast(response)
    response = client.post(reverse("perks:log_rescue", args=[live_term.pk]), {"city": "天津"}, **HTMX)
    assert "不在免费范围" in toast(response)


def test_price_a_repair_bill_from_the_form(client, live_term, people):
    client.force_login(people["seller"].user)
    form = {
        "order_no": "RO-001",
        "kind": ["labour", "parts", "bodywork", "labour"],
        "payer": ["self", "self", "self", "self"],
        "amount": ["1,000.00", "2000", "3000", ""],
        "promotion": "8",
    }
    response = client.post(reverse("perks:price_bill", args=[live_term.vehicle.vin]), form, **HTMX)
    page = response.content.decode()
    assert "5,700.00" in page and "5,760.00" in page  # card 800+1900+3000; promotion 920+1840+3000
    assert "结算" in toast(response)
    assert LedgerEntry.objects.get(kind=PerkKind.REPAIR_CARD, entry_type=EntryType.REDEEMED).cost == D("300.00")


def test_a_bad_bill_line_says_what_to_fix(client, live_term, people):
    client.force_login(people["seller"].user)
    form = {"kind": ["labour"], "payer": ["self"], "amount": ["abc"]}
    response = client.post(reverse("perks:price_bill", args=[live_term.vehicle.vin]), form, **HTMX)
    assert "第 1 行" in toast(response)


# --- requesting extra oil ------------------------------------------------------------------------


def test_a_specialist_requests_extra_oil(client, live_term, people):
    client.force_login(people["specialist"].user)
    url = reverse("perks:request_oil", args=[live_term.pk])
    page = client.get(url).content.decode()
    assert "+2 桶 · 合计 3 桶 · 副总经理审批" in page and "+3 桶 · 合计 4 桶 · 总经理审批" in page
    response = client.post(url, {"buckets": "2", "reason": "客户每年在本店保养 3 次"}, follow=True)
    assert "已提交加赠机油申请" in response.content.decode()
    request = OilRequest.objects.get(term=live_term)
    assert (request.buckets, request.total_at_request, request.requester) == (2, 3, people["specialist"])


def test_a_request_without_a_reason_is_shown_again_with_the_error(client, live_term, people):
    client.force_login(people["seller"].user)
    response = client.post(reverse("perks:request_oil", args=[live_term.pk]), {"buckets": "1", "reason": ""})
    assert response.status_code == 400 and "请填写申请理由" in response.content.decode()


def test_only_desk_roles_request_and_only_in_their_branch(client, live_term, people, other_branch):
    client.force_login(people["manager"].user)
    assert client.get(reverse("perks:request_oil", args=[live_term.pk])).status_code == 403
    client.force_login(make_staff(other_branch, "specialist").user)
    assert client.get(reverse("perks:request_oil", args=[live_term.pk])).status_code == 404


# --- the oil inbox -------------------------------------------------------------------------------


@pytest.fixture
def pending(live_term, people):
    return request_extra_oil(term=live_term, requester=people["seller"], buckets=2, reason="竞品店承诺送 4 桶")


def test_the_inbox_card_holds_everything_needed_to_decide(client, pending, people):
    client.force_login(people["deputy"].user)
    page = client.get(reverse("perks:oil_inbox")).content.decode()
    assert "竞品店承诺送 4 桶" in page  # the reason, quoted
    assert "续保标准" in page and page.count("本次申请") >= 2 and "剩余" in page  # the four bucket slots
    assert "批准后合计 3 / 4，剩余 1" in page
    assert "5,462.00" in page and "6,818.00" in page  # this term's and last term's premium
    assert "累计 1 次 · 连续 1 次" in page  # the renewal streak
    assert "门店本月权益支出" in page and "上月" in page
    assert "申请人不能审批自己的申请" in page
    assert "135****0288" in page and "13500000288" not in page


def test_approve_from_the_card_in_place(client, pending, people, live_term):
    client.force_login(people["deputy"].user)
    response = client.post(reverse("perks:decide_oil", args=[pending.pk]), {"decision": "approve"}, **HTMX)
    assert "已批准" in toast(response) and "本期合计 3 桶" in toast(response)
    assert f'id="oil-card-{pending.pk}"' in response.content.decode()
    assert live_term.entitlements.filter(kind=PerkKind.EXTRA_OIL).count() == 2


def test_reject_needs_a_comment(client, pending, people):
    client.force_login(people["deputy"].user)
    url = reverse("perks:decide_oil", args=[pending.pk])
    response = client.post(url, {"decision": "reject", "comment": ""}, **HTMX)
    assert "请填写意见" in toast(response)
    assert OilRequest.objects.get(pk=pending.pk).status == OilRequestStatus.PENDING
    response = client.post(url, {"decision": "reject", "comment": "今年已送过"}, **HTMX)
    assert "已驳回" in toast(response)


def test_a_deputy_sees_but_cannot_approve_a_four_bucket_request(client, live_term, people):
    request = request_extra_oil(term=live_term, requester=people["specialist"], buckets=3, reason="大客户")
    client.force_login(people["deputy"].user)
    page = client.get(reverse("perks:oil_inbox")).content.decode()
    assert "需总经理审批" in page
    response = client.post(reverse("perks:decide_oil", args=[request.pk]), {"decision": "approve"}, **HTMX)
    assert "总经理" in toast(response)
    client.force_login(people["gm"].user)
    assert "副总经理 待审" in client.get(reverse("perks:oil_inbox")).content.decode()
    response = client.post(reverse("perks:decide_oil", args=[request.pk]), {"decision": "approve"}, **HTMX)
    assert "本期合计 4 桶" in toast(response)


def test_a_requester_who_is_also_an_approver_sees_their_own_card_disabled(client, live_term, branch):
    both = make_staff(branch, "seller", "gm", name="兼任")
    request_extra_oil(term=live_term, requester=both, buckets=1, reason="自己的客户")
    client.force_login(both.user)
    page = client.get(reverse("perks:oil_inbox")).content.decode()
    assert "这是您自己的申请" in page and "disabled" in page
    response = client.post(reverse("perks:decide_oil", args=[OilRequest.objects.get().pk]), {"decision": "approve"},
                           **HTMX)  # fmt: skip
    assert "申请人不能审批自己的申请" in toast(response)


def test_the_inbox_is_for_deputy_gm_and_gm_of_the_branch(client, pending, people, other_branch):
    client.force_login(people["specialist"].user)
    assert client.get(reverse("perks:oil_inbox")).status_code == 403
    client.force_login(make_staff(other_branch, "gm").user)
    assert "没有待审批" in client.get(reverse("perks:oil_inbox")).content.decode()
    assert client.post(reverse("perks:decide_oil", args=[pending.pk]), {"decision": "approve"}).status_code == 404


def test_nav_badge_counts_what_the_user_may_decide(pending, people, live_term):
    factory = RequestFactory()
    for key, expected in (("deputy", 1), ("gm", 1), ("seller", 0), ("manager", 0)):
        request = factory.get("/")
        request.user = people[key].user
        assert pending_oil_count(request) == expected, key
    decide_oil_request(request=pending, approver=people["deputy"], approve=True)
    request = factory.get("/")
    request.user = people["gm"].user
    assert pending_oil_count(request) == 0


def test_the_card_fragment_renders_standalone_for_the_shared_inbox(pending, people):
    cards = oil_cards_for(people["gm"].user)
    request = RequestFactory().get("/followups/inbox/")
    request.user = people["gm"].user
    html = render_to_string("perks/_oil_card.html", {"card": cards[0]}, request=request)
    assert f'hx-post="{reverse("perks:decide_oil", args=[pending.pk])}"' in html
    assert "perks/perks.css" in html


def test_a_decided_card_shows_the_decision(client, pending, people):
    client.force_login(people["gm"].user)
    client.post(reverse("perks:decide_oil", args=[pending.pk]), {"decision": "approve", "comment": "同意"}, **HTMX)
    response = client.post(reverse("perks:decide_oil", args=[pending.pk]), {"decision": "approve"}, **HTMX)
    assert "已处理" in toast(response) and "已批准" in response.content.decode()


def test_the_request_page_says_why_a_request_is_not_possible(client, branch, people):
    term = make_term(branch=branch, start_on=timezone.localdate().replace(day=1), customer=make_customer())  # new car
    client.force_login(people["specialist"].user)
    page = client.get(reverse("perks:request_oil", args=[term.pk])).content.decode()
    assert "不能申请" in page and "没有续保权益" in page and 'id="oil-request-form"' not in page


def test_open_case_requests_from_the_desk(client, branch, people):
    from datetime import timedelta

    from django.utils import timezone

    start = timezone.localdate().replace(day=1) - timedelta(days=330)
    expiring = make_term(branch=branch, start_on=start, customer=make_customer())
    client.force_login(people["specialist"].user)
    url = reverse("perks:request_oil", args=[expiring.pk]) + "?for_next_term=1"
    assert "续回时生效" in client.get(url).content.decode()
    client.post(url, {"buckets": "1", "reason": "承诺", "for_next_term": "1"})
    assert OilRequest.objects.get(term=expiring).for_next_term
