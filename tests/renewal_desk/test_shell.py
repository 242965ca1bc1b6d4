import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_page_needs_a_login(client):
    for url in ["/", reverse("policies:search"), "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]


def test_health_check_answers_without_login(client):
    assert client.get("/healthz").json() == {"ok": True}


def test_login_page_is_chinese(client):
    response = client.get(reverse("login"))
    assert "请使用工号登录" in response.content.decode()
    assert response["Content-Language"] == "zh-hans"


def test_navigation_shows_only_the_items_of_the_role(client, staff_by_role):
    client.force_login(staff_by_role["seller"].user)
    page = client.get(reverse("policies:search")).content.decode()
    assert 'data-nav="车辆查询"' in page
    assert 'data-nav="数据导入"' not in page
    client.force_login(staff_by_role["admin"].user)
    page = client.get(reverse("policies:search")).content.decode()
    assert 'data-nav="数据导入"' in page


def test_lockout_after_five_failed_logins_by_username_and_ip(client, staff_by_role):
    specialist = staff_by_role["specialist"]
    for _ in range(5):
        client.post(reverse("login"), {"username": specialist.employee_no, "password": "wrong"})
    response = client.post(reverse("login"), {"username": specialist.employee_no, "password": "pass-1234-word"})
    assert "账号已暂时锁定" in response.content.decode()
    # another person behind the same showroom NAT can still log in
    other = staff_by_role["seller"]
    response = client.post(reverse("login"), {"username": other.employee_no, "password": "pass-1234-word"})
    assert response.status_code == 302
