"""Each role lands on the page it works from after logging in through the real login form (DESIGN.md)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from followups.services import create_quote
from tests.followups.builders import DAY, case_of, term_ending

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("specialist", "followups:today"),
        ("callback", "followups:today"),
        ("lead", "followups:board"),
        ("manager", "followups:inbox"),
        ("deputy_gm", "followups:inbox"),
        ("gm", "followups:inbox"),
    ],
)
def test_each_role_lands_on_its_page(client, desk, role, landing):
    person = getattr(desk, role)
    response = client.post(
        reverse("login"), {"username": person.employee_no, "password": "pass-1234-word"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse(landing)
    assert response.status_code == 200


def test_the_navigation_counts_my_pending_work(client, desk):
    case = case_of(term_ending(DAY + timedelta(days=40), branch=desk.branch, follow_up=desk.specialist))
    create_quote(case=case, staff=desk.specialist, insurer="平安产险", premium_compulsory=Decimal("950"),
                 premium_commercial=Decimal("5000"), discount_rate=Decimal("0.12"))  # fmt: skip
    client.force_login(desk.gm.user)
    page = client.get(reverse("followups:inbox")).content.decode()
    assert 'data-nav="审批收件箱">审批收件箱<span class="badge badge-red">1</span>' in page
