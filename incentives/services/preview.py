"""What a draft rule version would pay, on a real month's data, against the version in force (DOMAIN.md §7:
"previewed on last month's real data (per-person deltas) before it is published")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from incentives.errors import IncentiveError
from incentives.models import RuleVersion
from incentives.rules import coefficient, ruleset_from_dict
from incentives.services.facts import BranchMonth, gather_facts
from incentives.services.lines import ComputedLine, compute_lines
from incentives.services.versions import rulesets, versions_in_force
from policies.models import Branch
from renewal_desk.months import month_start


@dataclass(frozen=True)
class PreviewRow:
    employee_no: str
    name: str
    branch_name: str
    renewable: int | None
    renewed: int | None
    r: Fraction | None
    f: Fraction | None
    old_b: Fraction | None
    new_b: Fraction | None
    a: Fraction | None
    old_amount: Decimal
    new_amount: Decimal
    old_label: str
    # The person sits where two of the draft's bands overlap: the value the other band would give.
    overlap_value: Fraction | None = None

    @property
    def delta(self) -> Decimal:
        return self.new_amount - self.old_amount

    @property
    def b_changed(self) -> bool:
        return self.old_b != self.new_b


@dataclass
class Preview:
    month: date
    version: RuleVersion
    rows: list[PreviewRow] = field(default_factory=list)
    old_labels: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # people the draft cannot pay (a rate in a gap of its bands)

    @property
    def old_total(self) -> Decimal:
        return sum((row.old_amount for row in self.rows), Decimal("0.00"))

    @property
    def new_total(self) -> Decimal:
        return sum((row.new_amount for row in self.rows), Decimal("0.00"))

    @property
    def delta(self) -> Decimal:
        return self.new_total - self.old_total

    @property
    def delta_share(self) -> Fraction | None:
        return Fraction(self.delta) / Fraction(self.old_total) if self.old_total else None

    @property
    def changed(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.delta]

    @property
    def ordered_rows(self) -> list[PreviewRow]:
        """People whose amount changes first (largest change first), then everyone else in 工号 order."""
        changed = sorted(self.changed, key=lambda row: (-abs(row.delta), row.employee_no))
        return changed + [row for row in self.rows if not row.delta]


def preview_version(*, version: RuleVersion, month: date) -> Preview:
    """Per person: r, f, B old → new, A, the month's 合计 under the version in force and under `version`.

    A division draft applies to the branches without a version of their own; a branch draft to its branch.
    """
    month = month_start(month)
    draft_rules = ruleset_from_dict(version.rules)
    branches = [version.branch] if version.branch_id else list(Branch.objects.order_by("code"))
    in_force = versions_in_force(branch_ids=[branch.pk for branch in branches], on=month)
    old_rules = rulesets(in_force)
    # A division draft applies to the branches paid by a division version; a branch draft to its branch.
    applies = {pk: version.branch_id is not None or old.branch_id is None for pk, old in in_force.items()}
    new_rules = {pk: draft_rules if applies[pk] else old_rules[pk] for pk in in_force}
    facts = gather_facts(
        [
            BranchMonth(branch, month, max(old_rules[branch.pk].ramp_months, new_rules[branch.pk].ramp_months))
            for branch in branches
        ]
    )
    group = facts.groups[month]
    preview = Preview(month=month, version=version)
    for branch in branches:
        old_version, branch_facts = in_force[branch.pk], facts.branch_months[(branch.pk, month)]
        old_lines = {
            item.staff.pk: item
            for item in compute_lines(branch_facts, group, old_rules[branch.pk], label=old_version.label)
        }
        try:
            new_lines = {
                item.staff.pk: item
                for item in compute_lines(branch_facts, group, new_rules[branch.pk], label=version.label)
            }
        except IncentiveError as error:
            preview.errors.append(f"{branch.name}：{error.message}")
            new_lines = old_lines
        for pk in sorted(set(old_lines) | set(new_lines), key=lambda key: branch_facts.staff[key].employee_no):
            preview.rows.append(
                _row(old_lines.get(pk), new_lines.get(pk), new_rules[branch.pk] if applies[branch.pk] else None)
            )
    preview.old_labels = sorted({in_force[branch.pk].label for branch in branches})
    return preview


def _row(old: ComputedLine | None, new: ComputedLine | None, draft_rules) -> PreviewRow:
    either = new or old
    assert either is not None
    bonus_inputs = either.line.bonus.inputs
    r, f = bonus_inputs.get("r"), bonus_inputs.get("f")
    overlap = None
    if draft_rules is not None and r is not None:
        try:
            hit = coefficient(r, draft_rules.achievement_bands)
        except ValueError:  # r falls in a gap of the draft: reported with the errors
            hit = None
        if hit is not None and hit.also_matching:
            overlap = draft_rules.achievement_bands[hit.also_matching[0]].value_at(r)
    return PreviewRow(
        employee_no=either.staff.employee_no,
        name=either.staff.name,
        branch_name=either.staff.branch_name,
        renewable=either.cases.renewable if either.cases else None,
        renewed=either.cases.renewed if either.cases else None,
        r=r,
        f=f,
        old_b=old.line.bonus.coefficients.get("B") if old else None,
        new_b=new.line.bonus.coefficients.get("B") if new else None,
        a=either.line.bonus.coefficients.get("A"),
        old_amount=old.total if old else Decimal("0.00"),
        new_amount=new.total if new else Decimal("0.00"),
        old_label=old.line.rule_version or "" if old else "",
        overlap_value=overlap,
    )
