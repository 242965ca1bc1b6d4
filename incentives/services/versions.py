"""Rule versions (DOMAIN.md §7 "Rule versions"): drafts, validation, review and publication by a second admin."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import TypeVar

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incentives.errors import FloorViolation, IncentiveError, MakerCheckerError
from incentives.models import RuleVersion
from incentives.rules import BandProblem, RuleSet, band_problems, floor_violations, ruleset_from_dict, ruleset_to_dict
from policies.models import Branch, Staff
from renewal_desk.access import has_role
from renewal_desk.roles import Role

# The band sets an admin edits, the variable each one reads and its name on the page.
BAND_SETS = (
    ("achievement_bands", "r", "B · 达成率档位"),
    ("full_cover_bands", "f", "A · 全保率档位"),
    ("salary_bands", "续保率", "续保率奖金档位"),
)
# Every rate the bands read is a share of a whole (续回 ≤ 可续, 全保 ≤ 续回, 续回 ≤ 应续): check [0, 100%].
RATE_UPPER_BOUND = Fraction(1)
K = TypeVar("K")


@dataclass(frozen=True)
class VersionCheck:
    """What stands between a version and publication: floors (refused outright) and band problems (shown)."""

    floor_messages: list[str]
    band_problems: dict[str, list[BandProblem]]

    @property
    def problem_count(self) -> int:
        return len(self.floor_messages) + sum(len(problems) for problems in self.band_problems.values())

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


def rules_in_force(*, branch: Branch | None, on: date) -> tuple[RuleSet, RuleVersion]:
    """The branch's published version in force on `on`, else the division's (the latest effective on or before)."""
    version = _version_in_force(branch=branch, on=on)
    return ruleset_from_dict(version.rules), version


def versions_in_force(*, branch_ids: Iterable[int | None], on: date) -> dict[int | None, RuleVersion]:
    """Per branch id (None: the division) the published version in force on `on`: the branch's own latest one
    effective on or before `on`, else the division's; before the division's first version, that first one
    (v1 is effective from 2000-01-01). One query, whatever the number of branches."""
    wanted = set(branch_ids)
    published = (
        RuleVersion.objects.filter(state=RuleVersion.State.PUBLISHED)
        .filter(Q(branch__isnull=True) | Q(branch_id__in=wanted - {None}, effective_from__lte=on))
        .select_related("branch")
        .order_by("-effective_from", "-pk")
    )
    latest: dict[int | None, RuleVersion] = {}
    earliest_division = None
    for version in published:
        if version.branch_id is None:
            earliest_division = version  # newest first: the last one seen is the earliest
        if version.effective_from <= on:
            latest.setdefault(version.branch_id, version)
    division = latest.get(None) or earliest_division or _restore_v1()
    return {branch_id: latest.get(branch_id, division) for branch_id in wanted}


def rulesets(versions: Mapping[K, RuleVersion]) -> dict[K, RuleSet]:
    """Each version's rules, read from its JSON once per distinct version."""
    parsed: dict[int, RuleSet] = {}
    for version in versions.values():
        if version.pk not in parsed:
            parsed[version.pk] = ruleset_from_dict(version.rules)
    return {key: parsed[version.pk] for key, version in versions.items()}


def _version_in_force(*, branch: Branch | None, on: date) -> RuleVersion:
    key = None if branch is None else branch.pk
    return versions_in_force(branch_ids=[key], on=on)[key]


def _restore_v1() -> RuleVersion:
    """The migration's v1, again: a database flushed after migrating (a test's flush, a manual wipe) must still
    hold one published version with every default (DOMAIN.md §7)."""
    migration = importlib.import_module("incentives.migrations.0002_published_v1")
    version, _ = RuleVersion.objects.get_or_create(
        label="v1",
        defaults={
            "effective_from": migration.V1_EFFECTIVE_FROM,
            "rules": migration.V1_RULES,
            "note": "初始版本（系统迁移创建）：DOMAIN.md §7 全部默认值",
            "state": RuleVersion.State.PUBLISHED,
            "published_at": timezone.now(),
        },
    )
    if version.state != RuleVersion.State.PUBLISHED:
        raise IncentiveError("没有已发布的规则版本：请先运行数据库迁移（migrate 会创建 v1）。")
    return version


def division_floors(*, on: date) -> RuleSet:
    """The division's rules in force on `on`: their `commission_floors` bind every branch version."""
    return rules_in_force(branch=None, on=on)[0]


def check_rules(rules: RuleSet, *, branch: Branch | None, effective_from: date) -> VersionCheck:
    floors = rules if branch is None else division_floors(on=effective_from)
    problems = {
        key: band_problems(getattr(rules, key), variable=variable, upper_bound=RATE_UPPER_BOUND)
        for key, variable, _ in BAND_SETS
    }
    return VersionCheck(floor_violations(rules, floors), {key: found for key, found in problems.items() if found})


def check_version(version: RuleVersion) -> VersionCheck:
    return check_rules(ruleset_from_dict(version.rules), branch=version.branch, effective_from=version.effective_from)


def next_label() -> str:
    numbers = [int(match.group(1)) for label in RuleVersion.objects.values_list("label", flat=True)
               if (match := re.fullmatch(r"v(\d+)", label))]  # fmt: skip
    return f"v{max(numbers, default=0) + 1}"


@transaction.atomic
def create_draft_version(
    *,
    by: Staff,
    effective_from: date,
    branch: Branch | None = None,
    based_on: RuleVersion | None = None,
    note: str = "",
) -> RuleVersion:
    """A new draft, a copy of `based_on` (default: the version in force for that scope on that date)."""
    _require_admin(by)
    source = based_on or _version_in_force(branch=branch, on=effective_from)
    return RuleVersion.objects.create(
        label=next_label(),
        branch=branch,
        effective_from=effective_from,
        rules=source.rules,
        note=note.strip()[:300],
        based_on=source,
        created_by=by,
    )


@transaction.atomic
def update_draft_version(
    *,
    version: RuleVersion,
    by: Staff,
    rules: RuleSet,
    effective_from: date | None = None,
    note: str | None = None,
) -> VersionCheck:
    """Save the draft's rules. A commission under the division's floor is refused naming it (nothing saved);
    band gaps and overlaps are saved and returned, and keep the version from being submitted or published."""
    given, version = version, _locked_version(version)
    _require_admin(by)
    if version.is_locked:
        raise IncentiveError(f"{version.label} 已发布或已用于发放，不能修改；请基于它新建版本。")
    if version.created_by_id is not None and version.created_by_id != by.pk:
        raise IncentiveError(f"{version.label} 由 {version.created_by.name} 创建，只有创建人可以编辑草稿。")
    effective = effective_from or version.effective_from
    check = check_rules(rules, branch=version.branch, effective_from=effective)
    if check.floor_messages:
        raise FloorViolation(check.floor_messages)
    version.rules = ruleset_to_dict(rules)
    version.effective_from = effective
    if note is not None:
        version.note = note.strip()[:300]
    # An edit during review sends the version back to draft: the reviewer must see what they publish.
    version.state = RuleVersion.State.DRAFT
    version.submitted_at = None
    version.save()
    for name in ("rules", "effective_from", "note", "state", "submitted_at", "updated_at"):
        setattr(given, name, getattr(version, name))  # the caller's instance shows what was saved
    return check


@transaction.atomic
def submit_for_review(*, version: RuleVersion, by: Staff) -> RuleVersion:
    version = _locked_version(version)
    _require_admin(by)
    if version.state != RuleVersion.State.DRAFT:
        raise IncentiveError(f"{version.label} 当前为“{version.get_state_display()}”，只有草稿可以提交复核。")
    _require_clean(version)
    version.state = RuleVersion.State.PENDING_REVIEW
    version.submitted_at = timezone.now()
    version.save(update_fields=["state", "submitted_at", "updated_at"])
    return version


@transaction.atomic
def publish_version(*, version: RuleVersion, by: Staff) -> RuleVersion:
    """Publication by a second admin (never the creator), once the version is clean and submitted."""
    version = _locked_version(version)
    _require_admin(by)
    if version.created_by_id == by.pk:
        raise MakerCheckerError("发布需另一位管理员复核：您创建了这个版本，不能自己发布。")
    if version.state != RuleVersion.State.PENDING_REVIEW:
        raise IncentiveError(f"{version.label} 当前为“{version.get_state_display()}”，需先提交复核才能发布。")
    _require_clean(version)
    clash = RuleVersion.objects.filter(
        state=RuleVersion.State.PUBLISHED, branch=version.branch, effective_from=version.effective_from
    ).first()
    if clash is not None:
        raise IncentiveError(
            f"{version.scope_label} 在 {version.effective_from:%Y-%m-%d} 已有已发布版本 {clash.label}。"
        )
    version.state = RuleVersion.State.PUBLISHED
    version.published_by = by
    version.published_at = timezone.now()
    version.save(update_fields=["state", "published_by", "published_at", "updated_at"])
    return version


def mark_version_used(version_id: int) -> None:
    """A locked payout used it: from now on it is history (never cleared)."""
    RuleVersion.objects.filter(pk=version_id, used=False).update(used=True)


def _require_clean(version: RuleVersion) -> None:
    check = check_version(version)
    if check.floor_messages:
        raise FloorViolation(check.floor_messages)
    if check.band_problems:
        first = next(iter(check.band_problems.values()))[0]
        raise IncentiveError(f"档位还有 {check.problem_count} 个问题（如：{first.message}），修正后才能提交或发布。")


def _require_admin(by: Staff) -> None:
    if not has_role(by.user, Role.ADMIN):
        raise IncentiveError("只有管理员可以编辑或发布规则版本。")


def _locked_version(version: RuleVersion) -> RuleVersion:
    return RuleVersion.objects.select_for_update(of=("self",)).select_related("branch", "created_by").get(pk=version.pk)
