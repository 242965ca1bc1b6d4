import re

import pytest
from django.urls import reverse

from reports.models import ReportBuild, ReportFile, ReportKind
from reports.services import build_battle_file
from tests.factories import make_staff
from tests.reports.conftest import CUT_OFF, MAY

pytestmark = pytest.mark.django_db


def login(client, staff):
    client.force_login(staff.user)
    return client


def test_dashboard_shows_tiles_and_six_charts_with_their_data(client, world):
    division = make_staff(world.bj, "division", employee_no="HQ001")
    page = login(client, division).get(reverse("reports:dashboard"), {"month": "2026-05"}).content.decode()
    assert page.count('<svg class="chart trend"') == 1
    for chart in ("c-trend", "c-cat", "c-reason", "c-channel", "c-mix", "c-exp"):
        assert f'id="{chart}"' in page
    assert page.count("查看数据") == 6
    assert "<script>" not in page.replace("<script src=", "")  # no inline scripts
    assert "比率按 T 所在月（队列）；渠道、让利与提成按签单月" in page


def test_dashboard_context_is_the_selectors_figures(client, world):
    division = make_staff(world.bj, "division", employee_no="HQ001")
    response = login(client, division).get(reverse("reports:dashboard"), {"month": "2026-05", "basis": "renewable"})
    tiles = {tile["key"]: tile for tile in response.context["tiles"]}
    # The page's cut-off is now: the renewal recorded on 06-01 02:00 counts here.
    assert tiles["due"]["value"] == "11" and tiles["renewable"]["value"] == "9" and tiles["renewed"]["value"] == "6"
    assert tiles["rate"]["value"] == "66.7%" and tiles["full"]["value"] == "66.7%"
    assert tiles["lost"]["value"] == "3"


def test_branch_users_see_only_their_branch(client, world):
    page = login(client, world.manager).get(reverse("reports:dashboard"), {"month": "2026-05"})
    assert page.status_code == 200
    assert [row.code for row in page.context["report"].branches] == ["BJ01"]
    assert page.context["report"].division is None
    assert client.get(reverse("reports:dashboard"), {"branch": "CD01"}).status_code == 404


@pytest.mark.parametrize("role", ["specialist", "callback", "seller", "admin"])
def test_desk_roles_cannot_open_the_dashboard_or_the_register(client, world, role):
    login(client, make_staff(world.bj, role))
    assert client.get(reverse("reports:dashboard")).status_code == 403
    assert client.get(reverse("reports:register")).status_code == 403


def test_reports_page_lists_files_per_role(client, world):
    bj_file = build_battle_file(month=MAY, branch=world.bj, cut_off=CUT_OFF)
    cd_file = build_battle_file(month=MAY, branch=world.cd, cut_off=CUT_OFF)
    division_file = build_battle_file(month=MAY, branch=None, cut_off=CUT_OFF)

    page = login(client, world.zhao).get(reverse("reports:index")).content.decode()
    shown = set(map(int, re.findall(r'data-file="(\d+)"', page)))
    assert shown == {bj_file.pk}
    assert client.get(reverse("reports:file_download", args=[cd_file.pk])).status_code == 404
    assert client.get(reverse("reports:file_download", args=[division_file.pk])).status_code == 404
    assert client.get(reverse("reports:file_download", args=[bj_file.pk])).status_code == 200

    finance = make_staff(world.cd, "finance", employee_no="FN001")
    page = login(client, finance).get(reverse("reports:index")).content.decode()
    assert set(map(int, re.findall(r'data-file="(\d+)"', page))) == {bj_file.pk, cd_file.pk, division_file.pk}

    page = login(client, world.wang).get(reverse("reports:index")).content.decode()
    assert "data-file" not in page and "日报" in page


def test_specialists_see_only_their_own_daily_and_weekly_row(client, world):
    login(client, world.wang)
    page = client.get(reverse("reports:weekly"), {"week": "2026-W20"})
    assert page.status_code == 200
    assert [row.name for row in page.context["report"].rows] == ["王芳"]
    page = login(client, world.manager).get(reverse("reports:weekly"), {"week": "2026-W20"})
    assert {row.name for row in page.context["report"].rows} >= {"王芳", "陈晨"}


def test_on_demand_build_runs_as_a_task_and_is_downloadable(client, world, django_capture_on_commit_callbacks):
    login(client, world.zhao)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:build"), {"kind": "battle", "month": "2026-05", "branch": "BJ01"},
                               HTTP_HX_REQUEST="true")  # fmt: skip
    assert response.status_code == 200
    build = ReportBuild.objects.get()
    assert build.state == ReportBuild.State.DONE and build.report_file.kind == ReportKind.BATTLE
    status = client.get(reverse("reports:build_status", args=[build.pk])).content.decode()
    assert "every 1s" not in status and reverse("reports:build_download", args=[build.pk]) in status
    download = client.get(reverse("reports:build_download", args=[build.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    # Another user cannot fetch someone else's build.
    login(client, world.manager)
    assert client.get(reverse("reports:build_download", args=[build.pk])).status_code == 404


def test_full_phones_only_for_the_branch_lead_or_manager(client, world, django_capture_on_commit_callbacks):
    division = make_staff(world.bj, "division", employee_no="HQ001")
    login(client, division)
    refused = client.post(reverse("reports:build"), {"kind": "register", "month": "2026-05", "branch": "BJ01",
                                                     "full_phones": "1"})  # fmt: skip
    assert refused.status_code == 403
    login(client, world.manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:build"), {"kind": "register", "month": "2026-05", "full_phones": "1"})
    build = ReportBuild.objects.get()
    assert build.full_phones and build.requested_by == world.manager.user and build.state == ReportBuild.State.DONE
    assert not ReportFile.objects.filter(kind=ReportKind.REGISTER).exists()  # never stored as a shared file


def test_register_page_masks_phones(client, world):
    page = login(client, world.zhao).get(reverse("reports:register"), {"month": "2026-05"}).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    # The renewals sold in May as of now: 到店 5 + 电销 1 (the one recorded on 06-01 included).
    assert page.count("<tr>") - 1 == 6
