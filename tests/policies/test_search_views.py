from datetime import date

import pytest
from django.urls import reverse

from tests.factories import make_branch, make_customer, make_staff, make_term

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_branches():
    north = make_branch("BJ01", name="北京亚运村店")
    south = make_branch("CD01", name="成都高新店")
    mine = make_term(branch=north, start_on=date(2025, 7, 1), customer=make_customer("孙建军", "13912342041"))
    theirs = make_term(branch=south, start_on=date(2025, 7, 1), customer=make_customer("刘桂兰", "13600000917"))
    return north, south, mine, theirs


def test_search_by_plate_vin_tail_name_and_phone_tail_within_own_branch(client, two_branches):
    north, _, mine, _theirs = two_branches
    client.force_login(make_staff(north, "seller").user)
    for query in [mine.vehicle.plate, mine.vehicle.vin[-6:], "孙建军", "2041"]:
        response = client.get(reverse("policies:search"), {"q": query})
        assert response.status_code == 302, query  # one hit goes straight to the vehicle page
        assert response["Location"] == reverse("policies:vehicle", args=[mine.vehicle.vin])
    response = client.get(reverse("policies:search"), {"q": "刘桂兰"})
    assert "没有找到" in response.content.decode()


def test_division_sees_every_branch(client, two_branches):
    north, _, _, theirs = two_branches
    client.force_login(make_staff(north, "division").user)
    response = client.get(reverse("policies:search"), {"q": "刘桂兰"})
    assert response["Location"] == reverse("policies:vehicle", args=[theirs.vehicle.vin])


def test_vehicle_page_shows_terms_policies_and_masked_pii(client, two_branches):
    north, _, mine, _ = two_branches
    client.force_login(make_staff(north, "specialist").user)
    page = client.get(reverse("policies:vehicle", args=[mine.vehicle.vin])).content.decode()
    assert "139****2041" in page and "13912342041" not in page
    assert "交强险" in page and "商业险" in page
    assert mine.policies.first().policy_no in page


def test_another_branchs_vehicle_is_not_found_rather_than_forbidden(client, two_branches):
    north, _, _, theirs = two_branches
    client.force_login(make_staff(north, "manager").user)
    assert client.get(reverse("policies:vehicle", args=[theirs.vehicle.vin])).status_code == 404
    assert client.get(reverse("policies:vehicle", args=["LVSFCFME37F107967"])).status_code == 404
