"""Rule versions: the migrated v1, floors, band problems, review by a second admin, immutability, preview."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from incentives.errors import FloorViolation, IncentiveError, MakerCheckerError
from incentives.models import ImmutableRecordError, RuleVersion
from incentives.rules import RoleRates, default_ruleset, ruleset_from_dict, ruleset_to_dict
from incentives.services import (
    check_version,
    create_draft_version,
    preview_version,
    publish_version,
    rules_in_force,
    submit_for_review,
    update_draft_version,
)
from tests.incentives.builders import cases

pytestmark = pytest.mark.django_db
D = Decimal
MAY = date(2026, 5, 1)


def test_a_fresh_installation_has_one_published_v1_holding_every_default():
    version = RuleVersion.objects.get()
    assert (version.label, version.state, version.branch, version.used) == ("v1", "published", None, False)
    assert version.rules == ruleset_to_dict(default_ruleset())
    rules, in_force = rules_in_force(branch=None, on=date(2026, 5, 1))
    assert in_force == version and rules == default_ruleset()


def test_a_branch_version_applies_to_its_branch_from_its_date(cd01, people):
    draft = create_draft_version(by=people["admin"], branch=cd01, effective_from=date(2026, 6, 1))
    rules = replace(ruleset_from_dict(draft.rules), bonus_base=D("2500"))
    update_draft_version(version=draft, by=people["admin"], rules=rules)
    submit_for_review(version=draft, by=people["admin"])
    publish_version(version=draft, by=people["admin2"])
    assert rules_in_force(branch=cd01, on=date(2026, 5, 31))[1].label == "v1"
    assert rules_in_force(branch=cd01, on=date(2026, 6, 1))[0].bonus_base == D("2500")
    assert rules_in_force(branch=None, on=date(2026, 6, 1))[1].label == "v1"


@pytest.mark.parametrize(
    ("commission", "message"),
    [
        (RoleRates(D("15"), D("50"), D("10")), "回访员提成 15.00 低于事业部底线 20.00"),
        (RoleRates(D("20"), D("49.99"), D("10")), "服务顾问提成 49.99 低于事业部底线 50.00"),
    ],
)
def test_a_branch_commission_under_the_division_floor_is_refused_naming_the_floor(cd01, people, commission, message):
    draft = create_draft_version(by=people["admin"], branch=cd01, effective_from=date(2026, 6, 1))
    before = draft.rules
    with pytest.raises(FloorViolation, match=message):
        update_draft_version(version=draft, by=people["admin"], rules=replace(default_ruleset(), commission=commission))
    draft.refresh_from_db()
    assert draft.rules == before


def test_a_lower_telesales_factor_is_refused_too(cd01, people):
    draft = create_draft_version(by=people["admin"], branch=cd01, effective_from=date(2026, 6, 1))
    from fractions import Fraction

    with pytest.raises(FloorViolation, match=r"回访员电销提成 8\.00 低于事业部底线 10\.00"):
        rules = replace(default_ruleset(), telesales_factor=Fraction(2, 5))
        update_draft_version(version=draft, by=people["admin"], rules=rules)


def test_raising_a_rate_above_the_floor_is_fine(cd01, people):
    draft = create_draft_version(by=people["admin"], branch=cd01, effective_from=date(2026, 6, 1))
    rules = replace(default_ruleset(), commission=RoleRates(D("25"), D("60"), D("10")))
    assert update_draft_version(version=draft, by=people["admin"], rules=rules).ok


def _overlapping(rules):
    bands = list(rules.achievement_bands)
    bands[3] = replace(bands[3], lower_inclusive=True, value_at_lower=D("1.6"))  # 60% in bands 3 and 4
    return replace(rules, achievement_bands=tuple(bands))


def test_band_overlap_is_saved_shown_and_blocks_submission_and_publication(people):
    draft = create_draft_version(by=people["admin"], effective_from=date(2026, 7, 1))
    check = update_draft_version(version=draft, by=people["admin"], rules=_overlapping(default_ruleset()))
    (problem,) = check.band_problems["achievement_bands"]
    assert problem.kind == "overlap" and "60%" in problem.message
    assert problem.fix == "第 4 档下限应为“<”"
    with pytest.raises(IncentiveError, match="1 个问题"):
        submit_for_review(version=draft, by=people["admin"])
    fixed = replace(_overlapping(default_ruleset()), achievement_bands=problem.fixed_bands)
    assert update_draft_version(version=draft, by=people["admin"], rules=fixed).ok
    submit_for_review(version=draft, by=people["admin"])


def test_publication_needs_a_second_admin_in_the_service(people):
    draft = create_draft_version(by=people["admin"], effective_from=date(2026, 7, 1))
    with pytest.raises(IncentiveError, match="需先提交复核"):
        publish_version(version=draft, by=people["admin2"])
    submit_for_review(version=draft, by=people["admin"])
    with pytest.raises(MakerCheckerError):
        publish_version(version=draft, by=people["admin"])
    with pytest.raises(IncentiveError, match="只有管理员"):
        publish_version(version=draft, by=people["finance"])
    published = publish_version(version=draft, by=people["admin2"])
    assert (published.state, published.published_by) == ("published", people["admin2"])


def test_publication_by_the_creator_is_refused_by_the_database(people):
    draft = create_draft_version(by=people["admin"], effective_from=date(2026, 7, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        RuleVersion.objects.filter(pk=draft.pk).update(
            state="published", published_by=people["admin"], published_at=timezone.now()
        )


def test_a_published_or_used_version_is_never_edited(people):
    v1 = RuleVersion.objects.get(label="v1")
    with pytest.raises(IncentiveError, match="已发布或已用于发放"):
        update_draft_version(version=v1, by=people["admin"], rules=default_ruleset())
    v1.rules = {**v1.rules, "bonus_base": "1"}
    with pytest.raises(ImmutableRecordError):
        v1.save()
    draft = create_draft_version(by=people["admin"], effective_from=date(2026, 7, 1))
    RuleVersion.objects.filter(pk=draft.pk).update(used=True)
    draft.refresh_from_db()
    draft.note = "changed"
    draft.rules = {**draft.rules, "bonus_base": "1"}
    with pytest.raises(ImmutableRecordError):
        draft.save()


def test_only_the_creator_edits_a_draft_and_edits_send_it_back_to_draft(people):
    draft = create_draft_version(by=people["admin"], effective_from=date(2026, 7, 1))
    with pytest.raises(IncentiveError, match="只有创建人"):
        update_draft_version(version=draft, by=people["admin2"], rules=default_ruleset())
    submit_for_review(version=draft, by=people["admin"])
    update_draft_version(version=draft, by=people["admin"], rules=default_ruleset())
    draft.refresh_from_db()
    assert draft.state == "draft"


def test_preview_shows_per_person_deltas_on_real_data(cd01, people):
    # 杨雪: 可续 10, 续回 5 (r = 50% → B 0.6), all full cover (f = 100% → A 1.5): 2000 × 0.6 × 1.5 = 1800
    cases(cd01, assignee=people["yang"], t_month=MAY, due=10, renewed=5, full_cover=5)
    # 黄磊: r = 9/10 → B 1.8, f = 1 → A 1.5: 5400, and 续保率 90% → 675 of his 4,500 salary
    cases(cd01, assignee=people["huang"], t_month=MAY, due=10, renewed=9, full_cover=9)
    draft = create_draft_version(by=people["admin"], effective_from=date(2026, 7, 1))
    rules = ruleset_from_dict(draft.rules)
    bands = list(rules.achievement_bands)
    bands[1] = replace(bands[1], value_at_lower=D("0.5"), value_at_upper=D("0.8"))  # 30–60%: 0.5 → 0.8
    update_draft_version(version=draft, by=people["admin"], rules=replace(rules, achievement_bands=tuple(bands)))
    preview = preview_version(version=draft, month=MAY)
    rows = {row.employee_no: row for row in preview.rows}
    yang = rows["CD0102"]
    assert (yang.old_amount, yang.new_amount, yang.delta) == (D("1800.00"), D("2100.00"), D("300.00"))
    assert (yang.old_b, yang.new_b) == (D("0.6"), D("0.7"))
    huang = rows["CD0104"]
    assert huang.old_amount == huang.new_amount == D("6075.00") and huang.delta == 0
    assert (preview.old_total, preview.new_total, preview.delta) == (D("7875.00"), D("8175.00"), D("300.00"))
    assert [row.employee_no for row in preview.changed] == ["CD0102"]


def test_preview_flags_a_person_on_an_overlap(cd01, people):
    cases(cd01, assignee=people["yang"], t_month=MAY, due=10, renewed=6, full_cover=6)  # r = 60% exactly
    draft = create_draft_version(by=people["admin"], effective_from=date(2026, 7, 1))
    update_draft_version(version=draft, by=people["admin"], rules=_overlapping(default_ruleset()))
    (row,) = preview_version(version=draft, month=MAY).rows
    assert row.new_b == 1 and row.overlap_value == D("1.6")
    assert check_version(draft).problem_count == 1


def test_v1_comes_back_if_the_database_was_flushed_after_migrating():
    RuleVersion.objects.all().delete()
    rules, version = rules_in_force(branch=None, on=date(2026, 5, 1))
    assert (version.label, version.state) == ("v1", "published") and rules == default_ruleset()
