"""The monthly facts a payout needs, gathered set-based: a handful of aggregate queries per branch and month,
never one query per policy or case (DESIGN.md "Fast at group scale").

- COM and the channel counts: renewals SOLD in the month (签单日期) at the branch, grouped by their credited
  callback / seller / lead and channel. A renewal is a vehicle-term with renewal_kind 续回 or 脱保续回 that is not
  cancelled; the desk and the importer both end as such terms, so both count the same.
- BONUS, SALARY, RANK: cases of the cohort (T month) per assignee — 应续, 可续, 续回, 全保 and renewed premium.
  The assignee is the case's current assignee (the person it was assigned to when it closed: closed cases are not
  reassigned by the desk).
- RAMP: the branch's window renewals before the month and in it, per credited lead (the branch's lead when none).
- TEAM: the renewal rate (续回 ÷ 应续) this cohort and the previous one, by the assignee's team and for the branch.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from django.contrib.auth import get_user_model
from django.db.models import Count, DecimalField, F, Q, Sum

from followups.models import Case, CaseState
from incentives.models import SpecialAward, TeamSatisfaction
from incentives.rules import CALLBACK, LEAD, SELLER, STORE, TELESALES, ChannelCounts, RankEntry, programme_month_number
from policies.models import Branch, RenewalKind, Staff, VehicleTerm
from renewal_desk.months import month_end, month_start, previous_month
from renewal_desk.roles import Role

RENEWAL_KINDS = (RenewalKind.RENEWAL, RenewalKind.LAPSED)
ROLE_ORDER = [value for value, _ in Role.choices]
ROLE_LABELS = dict(Role.choices)
# A case counts as 续回 when it closed renewed and its renewal has not been cancelled since (退保).
RENEWED = Q(state=CaseState.RENEWED) & Q(renewal_term__cancelled_on__isnull=True)


@dataclass(frozen=True)
class StaffInfo:
    pk: int
    employee_no: str
    name: str
    branch_id: int
    branch_name: str
    team: str
    is_team_leader: bool
    base_salary: Decimal
    roles: tuple[str, ...]

    @property
    def roles_text(self) -> str:
        return "、".join(ROLE_LABELS[role] for role in self.roles)


@dataclass(frozen=True)
class CaseFigures:
    due: int = 0  # 应续
    renewable: int = 0  # 可续
    renewed: int = 0  # 续回
    full_cover: int = 0  # 全保 renewals


@dataclass(frozen=True)
class RateFigures:
    """续回 and 应续 of one cohort month, for the improvement award."""

    due: int = 0
    renewed: int = 0


@dataclass
class BranchMonthFacts:
    branch: Branch
    month: date
    month_number: int | None
    commission_counts: dict[int, Counter] = field(default_factory=dict)  # staff → Counter[(role, channel)]
    channel_counts: dict[int, Counter] = field(default_factory=dict)  # staff → Counter[channel], each renewal once
    branch_renewals: Counter = field(default_factory=Counter)  # channel → renewals sold at the branch
    ramp_gathered: bool = False
    branch_window_before: int = 0
    lead_this_month: dict[int, ChannelCounts] = field(default_factory=dict)
    lead_window_before: dict[int, ChannelCounts] = field(default_factory=dict)
    cases: dict[int, CaseFigures] = field(default_factory=dict)  # assignee → cohort figures
    team_rates: dict[str, dict[date, RateFigures]] = field(default_factory=dict)  # team → month → figures
    branch_rates: dict[date, RateFigures] = field(default_factory=dict)
    credited: set[int] = field(default_factory=set)  # credited with at least one renewal this month
    special_awards: dict[int, list[tuple[str, Decimal, str]]] = field(default_factory=dict)
    satisfaction: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    staff: dict[int, StaffInfo] = field(default_factory=dict)

    @property
    def renewals_this_month(self) -> int:
        return sum(self.branch_renewals.values())


@dataclass(frozen=True)
class GroupMonthFacts:
    """What the whole group shares in a month: the RANK entries of every branch."""

    month: date
    rank_entries: tuple[RankEntry, ...]


def sold_renewals(*, branch_id: int, first_day: date, last_day: date):
    return VehicleTerm.objects.filter(
        branch_id=branch_id,
        signed_on__gte=first_day,
        signed_on__lte=last_day,
        renewal_kind__in=RENEWAL_KINDS,
        cancelled_on__isnull=True,
    )


def gather_branch_month(*, branch: Branch, month: date, ramp_months: int) -> BranchMonthFacts:
    month = month_start(month)
    facts = BranchMonthFacts(
        branch=branch, month=month, month_number=programme_month_number(branch.programme_start, month)
    )
    in_window = facts.month_number is not None and 1 <= facts.month_number <= ramp_months
    branch_lead = _branch_lead_id(branch) if in_window else None
    _gather_sales(facts, branch_lead=branch_lead, in_window=in_window)
    if in_window:
        _gather_window_before(facts, branch_lead=branch_lead)
    _gather_cases(facts)
    _gather_rates(facts)
    facts.satisfaction = {
        row["team"]: (row["score"], row["target"])
        for row in TeamSatisfaction.objects.filter(branch=branch, month=month).values("team", "score", "target")
    }
    candidates = set(facts.commission_counts) | set(facts.cases) | set(facts.lead_this_month)
    candidates |= set(facts.lead_window_before)
    for row in (
        SpecialAward.objects.filter(month=month, staff__branch_id=branch.pk)
        .order_by("pk")
        .values("staff_id", "kind", "amount", "note")
    ):
        facts.special_awards.setdefault(row["staff_id"], []).append((row["kind"], row["amount"], row["note"]))
    candidates |= set(facts.special_awards)
    facts.staff = load_staff(candidates)
    return facts


def gather_group_month(*, month: date) -> GroupMonthFacts:
    """RANK entries across all branches: one aggregate over the cohort's cases per assignee."""
    month = month_start(month)
    premium = F("renewal_term__premium_compulsory") + F("renewal_term__premium_commercial")
    rows = (
        Case.objects.filter(t_month=month, assignee__isnull=False)
        .values("assignee__employee_no")
        .annotate(
            due=Count("pk"),
            renewed=Count("pk", filter=RENEWED),
            premium=Sum(premium, filter=RENEWED, output_field=DecimalField(max_digits=16, decimal_places=2)),
        )
        .order_by()
    )
    entries = tuple(
        RankEntry(
            employee_no=row["assignee__employee_no"],
            renewals=row["renewed"],
            renewal_rate=_rate(row["renewed"], row["due"]),
            renewed_premium=Decimal(row["premium"] or 0).quantize(Decimal("0.01")),
        )
        for row in rows
        if row["renewed"]
    )
    return GroupMonthFacts(month=month, rank_entries=entries)


def load_staff(ids) -> dict[int, StaffInfo]:
    """Two light queries (no model instances): the people with their branch, and their roles."""
    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return {}
    rows = Staff.objects.filter(pk__in=ids).values(
        "pk", "user_id", "employee_no", "name", "branch_id", "branch__name", "team", "is_team_leader", "base_salary"
    )
    rows = list(rows)
    memberships = (
        get_user_model()
        .groups.through.objects.filter(user_id__in=[row["user_id"] for row in rows])
        .values_list("user_id", "group__name")
    )
    roles: dict[int, set[str]] = defaultdict(set)
    for user_id, role in memberships:
        roles[user_id].add(role)
    return {
        row["pk"]: StaffInfo(
            pk=row["pk"],
            employee_no=row["employee_no"],
            name=row["name"],
            branch_id=row["branch_id"],
            branch_name=row["branch__name"],
            team=row["team"],
            is_team_leader=row["is_team_leader"],
            base_salary=row["base_salary"],
            roles=tuple(role for role in ROLE_ORDER if role in roles[row["user_id"]]),
        )
        for row in rows
    }


def _branch_lead_id(branch: Branch) -> int | None:
    """The branch's 续保负责人: earns the ramp bonus on renewals that credit no lead (§7 RAMP)."""
    return (
        Staff.objects.filter(branch=branch, active=True, user__groups__name=Role.LEAD)
        .order_by("employee_no")
        .values_list("pk", flat=True)
        .first()
    )


def _gather_sales(facts: BranchMonthFacts, *, branch_lead: int | None, in_window: bool) -> None:
    combos = (
        sold_renewals(branch_id=facts.branch.pk, first_day=facts.month, last_day=month_end(facts.month))
        .values("callback_id", "seller_id", "lead_id", "channel")
        .annotate(n=Count("pk"))
        .order_by()
    )
    lead_counts: dict[int, Counter] = defaultdict(Counter)
    for row in combos:
        channel, count = _channel(row["channel"]), row["n"]
        facts.branch_renewals[channel] += count
        people = set()
        for role, key in ((CALLBACK, "callback_id"), (SELLER, "seller_id"), (LEAD, "lead_id")):
            person = row[key]
            if person is not None:
                facts.commission_counts.setdefault(person, Counter())[(role, channel)] += count
                people.add(person)
        for person in people:  # each renewal once per person, whatever the number of roles
            facts.channel_counts.setdefault(person, Counter())[channel] += count
        facts.credited |= people
        ramp_lead = row["lead_id"] or branch_lead
        if in_window and ramp_lead is not None:
            lead_counts[ramp_lead][channel] += count
    facts.lead_this_month = {pk: ChannelCounts(c[STORE], c[TELESALES]) for pk, c in lead_counts.items()}


def _gather_window_before(facts: BranchMonthFacts, *, branch_lead: int | None) -> None:
    facts.ramp_gathered = True
    assert facts.branch.programme_start is not None
    window_start = month_start(facts.branch.programme_start)
    if facts.month <= window_start:
        return
    rows = (
        sold_renewals(branch_id=facts.branch.pk, first_day=window_start, last_day=facts.month - timedelta(days=1))
        .values("lead_id", "channel")
        .annotate(n=Count("pk"))
        .order_by()
    )
    lead_counts: dict[int, Counter] = defaultdict(Counter)
    for row in rows:
        facts.branch_window_before += row["n"]
        ramp_lead = row["lead_id"] or branch_lead
        if ramp_lead is not None:
            lead_counts[ramp_lead][_channel(row["channel"])] += row["n"]
    facts.lead_window_before = {pk: ChannelCounts(c[STORE], c[TELESALES]) for pk, c in lead_counts.items()}


def _gather_cases(facts: BranchMonthFacts) -> None:
    rows = (
        Case.objects.filter(branch=facts.branch, t_month=facts.month, assignee__isnull=False)
        .values("assignee_id")
        .annotate(
            due=Count("pk"),
            renewable=Count("pk", filter=Q(removed_from_renewable=False)),
            renewed=Count("pk", filter=RENEWED),
            full_cover=Count("pk", filter=RENEWED & Q(renewal_term__full_cover=True)),
        )
        .order_by()
    )
    for row in rows:
        facts.cases[row["assignee_id"]] = CaseFigures(
            due=row["due"], renewable=row["renewable"], renewed=row["renewed"], full_cover=row["full_cover"]
        )
        if row["renewed"]:
            facts.credited.add(row["assignee_id"])


def _gather_rates(facts: BranchMonthFacts) -> None:
    before = previous_month(facts.month)
    rows = (
        Case.objects.filter(branch=facts.branch, t_month__in=[before, facts.month])
        .values("t_month", "assignee__team")
        .annotate(due=Count("pk"), renewed=Count("pk", filter=RENEWED))
        .order_by()
    )
    branch_rates: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        cohort = row["t_month"]
        branch_rates[cohort][0] += row["due"]
        branch_rates[cohort][1] += row["renewed"]
        if row["assignee__team"]:
            facts.team_rates.setdefault(row["assignee__team"], {})[cohort] = RateFigures(row["due"], row["renewed"])
    facts.branch_rates = {cohort: RateFigures(due, renewed) for cohort, (due, renewed) in branch_rates.items()}


def _channel(value: str) -> str:
    return TELESALES if value == TELESALES else STORE


def _rate(numerator: int, denominator: int) -> Fraction:
    return Fraction(numerator, denominator) if denominator else Fraction(0)
