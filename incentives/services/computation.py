"""One month's payout lines computed in memory — a draft, a preview, an estimate, a locked month recomputed for its
corrections — for any number of branches at once: the facts are gathered once for all of them, the group ranking
is scored once per rule version, and the pure engine runs per person. Nothing is written here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from incentives.errors import IncentiveError
from incentives.models import RuleVersion
from incentives.rules import Explained, RuleSet, rank_awards
from incentives.services.facts import BranchMonth, gather_facts
from incentives.services.lines import ComputedLine, compute_lines
from incentives.services.versions import rulesets, versions_in_force
from policies.models import Branch
from renewal_desk.months import month_start


@dataclass(frozen=True)
class MonthComputation:
    """One branch-month computed in memory (a draft, a preview or an estimate): nothing written."""

    branch: Branch
    month: date
    version: RuleVersion
    lines: list[ComputedLine]
    renewals: dict[str, int]
    month_number: int | None
    rules: RuleSet


def compute_month(*, branch: Branch, month: date, version: RuleVersion | None = None) -> MonthComputation:
    """The month's lines under `version` (default: the rules in force on the month's first day)."""
    month = month_start(month)
    outcome = compute_months([(branch, month, version)])[(branch.pk, month)]
    if isinstance(outcome, IncentiveError):
        raise outcome
    return outcome


def compute_months(
    requests: Sequence[tuple[Branch, date, RuleVersion | None]],
) -> dict[tuple[int, date], MonthComputation | IncentiveError]:
    """Each requested branch-month, keyed by (branch id, month), under its version (None: the rules in force on
    the month's first day), from one gathering of the facts of all of them. A branch-month whose lines the engine
    refuses (a rate in a gap of its version's bands) gets the refusal instead: it stops that one only."""
    requests = [(branch, month_start(month), version) for branch, month, version in requests]
    versions: dict[tuple[int, date], RuleVersion] = {}
    defaults: dict[date, list[int]] = defaultdict(list)
    for branch, month, version in requests:
        if version is None:
            defaults[month].append(branch.pk)
        else:
            versions[(branch.pk, month)] = version
    for month, branch_ids in defaults.items():
        in_force = versions_in_force(branch_ids=branch_ids, on=month)
        versions.update({(branch_id, month): in_force[branch_id] for branch_id in branch_ids})
    rules = rulesets(versions)
    facts = gather_facts(
        [BranchMonth(branch, month, rules[(branch.pk, month)].ramp_months) for branch, month, _ in requests]
    )
    ranks: dict[tuple[int, date], dict[str, Explained]] = {}  # the group ranking scored once per version and month
    outcome: dict[tuple[int, date], MonthComputation | IncentiveError] = {}
    for branch, month, _ in requests:
        key, version, group = (branch.pk, month), versions[(branch.pk, month)], facts.groups[month]
        if (version.pk, month) not in ranks:
            ranks[(version.pk, month)] = rank_awards(group.rank_entries, rules[key], rule_version=version.label)
        try:
            lines = compute_lines(
                facts.branch_months[key], group, rules[key], label=version.label, rank=ranks[(version.pk, month)]
            )
        except IncentiveError as refusal:
            outcome[key] = refusal
            continue
        gathered = facts.branch_months[key]
        outcome[key] = MonthComputation(
            branch, month, version, lines, dict(gathered.branch_renewals), gathered.month_number, rules[key]
        )
    return outcome
