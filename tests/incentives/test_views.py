"""The incentives pages through the Django test client (force_login: django-axes needs a request for login())."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from incentives.models import PayoutRun, RuleVersion, SpecialAward, Target, TeamSatisfaction
from incentives.services import compute_payout, create_draft_version
from tests.incentives.builders import renewal

pytestmark = pytest.mark.django_db
MAY = date(2026, 5, 1)


def toast(response) -> str:
    return json.loads(response["HX-Trigger"])["showToast"]


def editor_post(version, **changes) -> dict:
    """The editor form as the page posts it, from the version's rules, with `changes` applied."""
    from incentives.forms import form_from_rules
    from incentives.rules import ruleset_from_dict

    form = form_from_rules(ruleset_from_dict(version.rules))
    data = dict(form.values)
    for key, rows in form.bands.items():
        data[f"{key}-count"] = str(len(rows))
        for index, row in enumerate(rows):
            for name, value in row.items():
                if name in ("lower_inclusive", "upper_inclusive"):
                    if value:
                        data[f"{key}-{index}-{name}"] = "on"
                elif name not in ("changed", "problem", "broken"):
                    data[f"{key}-{index}-{name}"] = value
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def draft(people):
    return create_draft_version(by=people["admin"], effective_from=date(2026, 7, 1))


def test_rules_page_is_for_admins_only(client, people):
    client.force_login(people["finance"].user)
    assert client.get(reverse("incentives:rules")).status_code == 403
    client.force_login(people["admin"].user)
    page = client.get(reverse("incentives:rules")).content.decode()
    assert "v1" in page and "事业部下限" in page and "B · 达成率档位" in page and "<svg" in page


def test_saving_a_commission_under_the_floor_is_refused_naming_the_floor(client, people, draft):
    client.force_login(people["admin"].user)
    response = client.post(
        reverse("incentives:rules_save", args=[draft.pk]), editor_post(draft, **{"commission.callback": "15"})
    )
    assert "回访员提成 15.00 低于事业部底线 20.00" in response.content.decode()
    assert "未保存" in toast(response)
    draft.refresh_from_db()
    assert draft.rules["commission"]["callback"] == "20"


def test_an_overlap_is_shown_with_a_one_click_fix_and_publishing_disabled(client, people, draft):
    client.force_login(people["admin"].user)
    url = reverse("incentives:rules_save", args=[draft.pk])
    response = client.post(url, editor_post(draft, **{"achievement_bands-3-lower_inclusive": "on",
                                                     "achievement_bands-3-value_at_lower": "1.6"}))  # fmt: skip
    page = response.content.decode()
    assert "重叠" in page and "第 4 档下限应为" in page and 'name="fix"' in page
    assert 'id="publish-btn" disabled' in page
    assert json.loads(response["HX-Trigger"])["previewChanged"] is True
    draft.refresh_from_db()
    fixed = client.post(url, editor_post(draft, fix="achievement_bands:0")).content.decode()
    assert "无缺口、无重叠" in fixed
    draft.refresh_from_db()
    assert draft.rules["achievement_bands"][3]["lower_inclusive"] is False
    assert draft.rules["achievement_bands"][3]["value_at_lower"] == "1.6"


def test_add_and_remove_band_rows(client, people, draft):
    client.force_login(people["admin"].user)
    url = reverse("incentives:rules_save", args=[draft.pk])
    client.post(url, editor_post(draft, add_band="salary_bands"))
    draft.refresh_from_db()
    assert len(draft.rules["salary_bands"]) == 4
    client.post(url, editor_post(draft, remove_band="salary_bands:3"))
    draft.refresh_from_db()
    assert len(draft.rules["salary_bands"]) == 3


def test_submit_then_publish_by_a_second_admin(client, people, draft):
    client.force_login(people["admin"].user)
    client.post(reverse("incentives:rules_submit", args=[draft.pk]))
    response = client.post(reverse("incentives:rules_publish", args=[draft.pk]), follow=True)
    assert "不能自己发布" in response.content.decode()
    client.force_login(people["admin2"].user)
    response = client.post(reverse("incentives:rules_publish", args=[draft.pk]), follow=True)
    assert "已发布 v2" in response.content.decode()
    assert RuleVersion.objects.get(pk=draft.pk).published_by == people["admin2"]


def test_the_preview_fragment_lists_people_with_their_delta(client, cd01, people, draft):
    renewal(
        cd01, signed_on=date(2026, 5, 5), callback=people["yang"], assignee=people["yang"], t_date=date(2026, 5, 20)
    )
    client.force_login(people["admin"].user)
    client.post(reverse("incentives:rules_save", args=[draft.pk]), editor_post(draft, **{"commission.callback": "30"}))
    page = client.get(reverse("incentives:rules_preview", args=[draft.pk]) + "?month=2026-05").content.decode()
    assert "杨雪" in page and "+10.00" in page and "影响预览" in page


def test_new_version_from_the_page(client, people):
    client.force_login(people["admin"].user)
    response = client.post(reverse("incentives:rules_new"), {"effective_from": "2026-07-01", "note": "试算"})
    version = RuleVersion.objects.get(label="v2")
    assert response.status_code == 302 and f"v={version.pk}" in response["Location"]
    assert (version.state, version.created_by, version.based_on.label) == ("draft", people["admin"], "v1")


def test_finance_computes_approves_and_locks_in_place(client, cd01, people):
    renewal(cd01, signed_on=date(2026, 5, 5), callback=people["yang"], seller=people["seller"])
    client.force_login(people["finance"].user)
    response = client.post(reverse("incentives:payout_compute"), {"branch": "CD01", "month": "2026-05"})
    assert "已重新计算" in toast(response)
    run = PayoutRun.objects.get()
    page = client.get(reverse("incentives:payouts") + "?branch=CD01&month=2026-05").content.decode()
    assert "CD0102" in page and "须由另一位财务批准" in page and "本次由您计算" in page
    refused = client.post(reverse("incentives:payout_approve", args=[run.pk]))
    assert "另一位财务" in toast(refused)
    client.force_login(people["finance2"].user)
    assert "已批准" in toast(client.post(reverse("incentives:payout_approve", args=[run.pk])))
    assert "已锁定" in toast(client.post(reverse("incentives:payout_lock", args=[run.pk])))
    assert PayoutRun.objects.get().state == "locked"
    again = client.post(reverse("incentives:payout_compute"), {"branch": "CD01", "month": "2026-05"})
    assert "不能重新计算" in toast(again)


def test_a_line_expands_into_its_explanation_and_the_sheet_downloads(client, cd01, people):
    renewal(
        cd01, signed_on=date(2026, 5, 5), callback=people["yang"], assignee=people["yang"], t_date=date(2026, 5, 20)
    )
    run = compute_payout(branch=cd01, month=MAY, by=None)
    line = run.lines.get(employee_no="CD0102")
    client.force_login(people["finance"].user)
    page = client.get(reverse("incentives:payout_line", args=[line.pk])).content.decode()
    assert "计算说明" in page and "系数奖金" in page and "回访 到店 20" in page and "v1" in page
    download = client.get(reverse("incentives:payout_sheet", args=[run.pk]))
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(reverse("incentives:payout_sheet_all", args=["2026-05"])).status_code == 200


def test_other_branches_runs_are_not_found_for_a_manager(client, cd01, people):
    from tests.factories import make_branch, make_staff

    other = make_branch("XX01")
    manager = make_staff(other, "manager", employee_no="XX0701")
    run = compute_payout(branch=cd01, month=MAY, by=None)
    client.force_login(manager.user)
    assert client.get(reverse("incentives:payout_sheet", args=[run.pk])).status_code == 404
    assert client.get(reverse("incentives:payouts") + "?branch=CD01").status_code == 404


def test_my_earnings_shows_the_estimate_with_its_explanation(client, cd01, people):
    renewal(cd01, signed_on=date(2026, 5, 5), callback=people["yang"], seller=people["yang"])
    client.force_login(people["yang"].user)
    page = client.get(reverse("incentives:my_earnings") + "?month=2026-05").content.decode()
    assert "我的收入" in page and "70.00" in page and "各组件怎么算" in page


def test_targets_page_saves_staff_and_category_targets(client, cd01, people):
    client.force_login(people["manager"].user)
    data = {"branch": "CD01", "month": "2026-05", f"staff-{people['yang'].pk}": "12", "category-1": "30"}
    response = client.post(reverse("incentives:targets"), data)
    assert "已保存" in toast(response)
    assert Target.objects.get(staff=people["yang"]).count == 12
    assert Target.objects.get(category=1).count == 30


def test_special_awards_are_checked_against_the_ranges(client, cd01, people):
    client.force_login(people["manager"].user)
    url = reverse("incentives:special_awards")
    base = {"month": "2026-05", "staff": people["huang"].pk, "kind": "win_back", "note": "挽回"}
    refused = client.post(url, {**base, "amount": "2500"})
    assert "超出范围 1,000.00–2,000.00" in toast(refused)
    assert not SpecialAward.objects.exists()
    client.post(url, {**base, "amount": "1500"})
    assert SpecialAward.objects.get().amount == Decimal("1500.00")
    award = SpecialAward.objects.get()
    client.post(reverse("incentives:special_award_delete", args=[award.pk]))
    assert not SpecialAward.objects.exists()


def test_satisfaction_scores_are_saved_per_team(client, cd01, people):
    client.force_login(people["manager"].user)
    page = client.get(reverse("incentives:satisfaction") + "?month=2026-05").content.decode()
    assert "续保一组" in page and "续保二组" in page
    scores = {"month": "2026-05", "score-0": "92", "target-0": "90", "score-1": "86.5", "target-1": "90"}
    client.post(reverse("incentives:satisfaction") + "?branch=CD01", scores)
    assert TeamSatisfaction.objects.get(team="续保二组").score == Decimal("86.5")
