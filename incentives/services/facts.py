"""The monthly facts a payout needs, gathered set-based: a handful of aggregate queries for any number of branches
and months, each grouped by branch and month too — never one query per policy, case, branch or month (DESIGN.md
"Fast at group scale").

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.db import models
from django.db.models import Count, DecimalField, F, Q, Sum

from followups.models import Case, CaseState
from incentives.models import SpecialAward, TeamSatisfaction
from incentives.rules import CALLBACK, LEAD, SELLER, STORE, TELESALES, ChannelCounts, RankEntry, programme_month_number
from policies.models import Branch, RenewalKind, Staff, VehicleTerm
from renewal_desk.months import month_end, month_start, next_month, previous_month
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

    def candidates(self) -> set[int]:
        """Everyone who may have a line: credited, assigned, earning the ramp bonus or a special award."""
        return (
            set(self.commission_counts)
            | set(self.cases)
            | set(self.lead_this_month)
            | set(self.lead_window_before)
            | set(self.special_awards)
        )


@dataclass(frozen=True)
class GroupMonthFacts:
    """What the whole group shares in a month: the RANK entries of every branch."""

    month: date
    rank_entries: tuple[RankEntry, ...]


@dataclass(frozen=True)
class BranchMonth:
    """A branch-month to gather, with the ramp window's length under the rules that will pay it (which decides
    whether its window renewals are needed)."""

    branch: Branch
    month: date
    ramp_months: int


@dataclass(frozen=True)
class GatheredFacts:
    """The facts of some branch-months, keyed by (branch id, month), and each month's group-wide facts."""

    branch_months: dict[tuple[int, date], BranchMonthFacts]
    groups: dict[date, GroupMonthFacts]


def sold_renewals(*, periods: Mapping[int, tuple[date, date]]):
    """Renewals sold at each branch (by id) between the first and last day of its period, both included."""
    branches_by_period: dict[tuple[date, date], list[int]] = defaultdict(list)
    for branch_id, period in periods.items():
        branches_by_period[period].append(branch_id)
    sold = Q(pk__in=[])
    for (first_day, last_day), branch_ids in branches_by_period.items():
        sold |= Q(branch_id__in=branch_ids, signed_on__gte=first_day, signed_on__lte=last_day)
    return VehicleTerm.objects.filter(sold, renewal_kind__in=RENEWAL_KINDS, cancelled_on__isnull=True)


def gather_facts(requests: Sequence[BranchMonth]) -> GatheredFacts:
    """The facts of every branch-month requested — any number of branches and months (a month to pay and the
    locked months it corrects) — with one query per kind of fact, each grouped by branch and month: the query
    count grows with neither the branches nor the months."""
    facts: dict[tuple[int, date], BranchMonthFacts] = {}
    in_window: set[tuple[int, date]] = set()
    for request in requests:
        month = month_start(request.month)
        item = BranchMonthFacts(
            branch=request.branch,
            month=month,
            month_number=programme_month_number(request.branch.programme_start, month),
        )
        facts[(request.branch.pk, month)] = item
        if item.month_number is not None and 1 <= item.month_number <= request.ramp_months:
            item.ramp_gathered = True
            in_window.add((request.branch.pk, month))
    if not facts:
        return GatheredFacts(branch_months={}, groups={})
    branch_leads = _branch_leads({branch_id for branch_id, _ in in_window})
    _gather_sales(facts, in_window=in_window, branch_leads=branch_leads)
    groups = _gather_cases(facts)
    _gather_entries(facts)
    candidates = {key: item.candidates() for key, item in facts.items()}
    staff = load_staff(set().union(*candidates.values()))
    for key, item in facts.items():
        item.staff = {pk: staff[pk] for pk in candidates[key] if pk in staff}
    return GatheredFacts(branch_months=facts, groups=groups)


def load_staff(ids) -> dict[int, StaffInfo]:
    """One light query (no model instances): the people with their branch and, a row each, their roles."""
    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return {}
    rows = Staff.objects.filter(pk__in=ids).values(
        "pk",
        "employee_no",
        "name",
        "branch_id",
        "branch__name",
        "team",
        "is_team_leader",
        "base_salary",
        "user__groups__name",
    )
    people: dict[int, dict] = {}
    roles: dict[int, set[str]] = defaultdict(set)
    for row in rows:
        people.setdefault(row["pk"], row)
        if row["user__groups__name"] is not None:
            roles[row["pk"]].add(row["user__groups__name"])
    return {
        pk: StaffInfo(
            pk=pk,
            employee_no=row["employee_no"],
            name=row["name"],
            branch_id=row["branch_id"],
            branch_name=row["branch__name"],
            team=row["team"],
            is_team_leader=row["is_team_leader"],
            base_salary=row["base_salary"],
            roles=tuple(role for role in ROLE_ORDER if role in roles[pk]),
        )
        for pk, row in people.items()
    }


def _branch_leads(branch_ids: set[int]) -> dict[int, int]:
    """Each branch's 续保负责人 (the first by 工号): earns the ramp bonus on renewals that credit no lead (§7 RAMP)."""
    if not branch_ids:
        return {}
    leads: dict[int, int] = {}
    for branch_id, pk in (
        Staff.objects.filter(branch_id__in=branch_ids, active=True, user__groups__name=Role.LEAD)
        .order_by("branch_id", "employee_no")
        .values_list("branch_id", "pk")
    ):
        leads.setdefault(branch_id, pk)
    return leads


def _gather_sales(
    facts: dict[tuple[int, date], BranchMonthFacts], *, in_window: set[tuple[int, date]], branch_leads: dict[int, int]
) -> None:
    """COM and RAMP from one aggregate: the renewals sold per branch, sale month, credited people and channel, from
    each branch's earliest month needed (its ramp window's start when a month in the window is requested)."""
    periods: dict[int, tuple[date, date]] = {}
    for (branch_id, month), item in facts.items():
        first, last = _window_start(item.branch) if (branch_id, month) in in_window else month, month_end(month)
        known_first, known_last = periods.get(branch_id, (first, last))
        periods[branch_id] = (min(first, known_first), max(last, known_last))
    earliest, latest = min(first for first, _ in periods.values()), max(last for _, last in periods.values())
    rows = (
        sold_renewals(periods=periods)
        .annotate(sale_month=_sale_month(first=earliest, last=latest))
        .values("branch_id", "sale_month", "callback_id", "seller_id", "lead_id", "channel")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows_by_branch: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        rows_by_branch[row["branch_id"]].append(row)
    for (branch_id, month), item in facts.items():
        window = (branch_id, month) in in_window
        branch_lead = branch_leads.get(branch_id)
        lead_this_month: dict[int, Counter] = defaultdict(Counter)
        lead_window_before: dict[int, Counter] = defaultdict(Counter)
        for row in rows_by_branch[branch_id]:
            channel, count, ramp_lead = _channel(row["channel"]), row["n"], row["lead_id"] or branch_lead
            if row["sale_month"] == month:
                _add_sales(item, row, channel=channel, count=count)
                if window and ramp_lead is not None:
                    lead_this_month[ramp_lead][channel] += count
            elif window and _window_start(item.branch) <= row["sale_month"] < month:
                item.branch_window_before += count
                if ramp_lead is not None:
                    lead_window_before[ramp_lead][channel] += count
        item.lead_this_month = _channel_counts(lead_this_month)
        item.lead_window_before = _channel_counts(lead_window_before)


def _sale_month(*, first: date, last: date) -> models.Case:
    """签单月 as a plain CASE over the months from `first` to `last` (`models.Case`: `Case` here is the follow-up
    case). Not TruncMonth: on SQLite that is a Python function called for every row."""
    months = []
    month = month_start(first)
    while month <= last:
        months.append(models.When(signed_on__gte=month, signed_on__lte=month_end(month), then=models.Value(month)))
        month = next_month(month)
    return models.Case(*months, output_field=models.DateField())


def _add_sales(item: BranchMonthFacts, row: dict, *, channel: str, count: int) -> None:
    item.branch_renewals[channel] += count
    people = set()
    for role, key in ((CALLBACK, "callback_id"), (SELLER, "seller_id"), (LEAD, "lead_id")):
        person = row[key]
        if person is not None:
            item.commission_counts.setdefault(person, Counter())[(role, channel)] += count
            people.add(person)
    for person in people:  # each renewal once per person, whatever the number of roles
        item.channel_counts.setdefault(person, Counter())[channel] += count
    item.credited |= people


def _gather_cases(facts: dict[tuple[int, date], BranchMonthFacts]) -> dict[date, GroupMonthFacts]:
    """One aggregate over the cases of each requested cohort (every branch: the group ranking) and of the cohort
    before it (the requested branches: the improvement award), per branch, cohort and assignee. From it:

    - BONUS, SALARY: each branch-month's cohort figures per assignee (assigned cases only);
    - TEAM: the renewal rate of the cohort and of the one before, of the branch (every case, assigned or not) and
      of each team (the assignee's team; the cases of assignees without a team count for the branch only);
    - RANK: each month's entries per assignee, over all branches."""
    months = {month for _, month in facts}
    earlier: dict[date, set[int]] = defaultdict(set)
    for branch_id, month in facts:
        earlier[previous_month(month)].add(branch_id)
    cohorts = Q(t_month__in=months)
    for cohort, branch_ids in earlier.items():
        cohorts |= Q(t_month=cohort, branch_id__in=branch_ids)
    premium = F("renewal_term__premium_compulsory") + F("renewal_term__premium_commercial")
    rows = (
        Case.objects.filter(cohorts)
        .values("branch_id", "t_month", "assignee_id", "assignee__employee_no", "assignee__team")
        .annotate(
            due=Count("pk"),
            renewable=Count("pk", filter=Q(removed_from_renewable=False)),
            renewed=Count("pk", filter=RENEWED),
            full_cover=Count("pk", filter=RENEWED & Q(renewal_term__full_cover=True)),
            premium=Sum(premium, filter=RENEWED, output_field=DecimalField(max_digits=16, decimal_places=2)),
        )
        .order_by()
    )
    ranked: dict[date, dict[str, list]] = defaultdict(lambda: defaultdict(lambda: [0, 0, Decimal("0")]))
    branch_rates: dict[tuple[int, date], dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    team_rates: dict[tuple[int, date], dict[str, dict[date, list[int]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(lambda: [0, 0]))
    )
    for row in rows:
        branch_id, cohort, assignee = row["branch_id"], row["t_month"], row["assignee_id"]
        due, renewed, team = row["due"], row["renewed"], row["assignee__team"]
        if cohort in months and assignee is not None:
            entry = ranked[cohort][row["assignee__employee_no"]]
            entry[0] += due
            entry[1] += renewed
            entry[2] += row["premium"] or 0
        # The cohort counts for its own month's rates and for the next month's (as "the previous month").
        for key in ((branch_id, cohort), (branch_id, next_month(cohort))):
            if key in facts:
                _add_rate(branch_rates[key][cohort], due, renewed)
                if team:
                    _add_rate(team_rates[key][team][cohort], due, renewed)
        item = facts.get((branch_id, cohort))
        if item is not None and assignee is not None:
            item.cases[assignee] = CaseFigures(
                due=due, renewable=row["renewable"], renewed=renewed, full_cover=row["full_cover"]
            )
            if renewed:
                item.credited.add(assignee)
    for key, item in facts.items():
        item.branch_rates = {cohort: RateFigures(*figures) for cohort, figures in branch_rates[key].items()}
        item.team_rates = {
            team: {cohort: RateFigures(*figures) for cohort, figures in by_cohort.items()}
            for team, by_cohort in team_rates[key].items()
        }
    return {month: _group_month(month, ranked[month]) for month in months}


def _group_month(month: date, ranked: dict[str, list]) -> GroupMonthFacts:
    entries = tuple(
        RankEntry(
            employee_no=number,
            renewals=renewed,
            renewal_rate=_rate(renewed, due),
            renewed_premium=Decimal(premium).quantize(Decimal("0.01")),
        )
        for number, (due, renewed, premium) in sorted(ranked.items())
        if renewed
    )
    return GroupMonthFacts(month=month, rank_entries=entries)


def _gather_entries(facts: dict[tuple[int, date], BranchMonthFacts]) -> None:
    """What managers entered: team satisfaction scores (PENALTY) and special awards (SPECIAL)."""
    branch_ids, months = {branch_id for branch_id, _ in facts}, {month for _, month in facts}
    for row in TeamSatisfaction.objects.filter(branch_id__in=branch_ids, month__in=months).values(
        "branch_id", "month", "team", "score", "target"
    ):
        if (item := facts.get((row["branch_id"], row["month"]))) is not None:
            item.satisfaction[row["team"]] = (row["score"], row["target"])
    for row in (
        SpecialAward.objects.filter(month__in=months, staff__branch_id__in=branch_ids)
        .order_by("pk")
        .values("staff_id", "staff__branch_id", "month", "kind", "amount", "note")
    ):
        if (item := facts.get((row["staff__branch_id"], row["month"]))) is not None:
            item.special_awards.setdefault(row["staff_id"], []).append((row["kind"], row["amount"], row["note"]))


def _window_start(branch: Branch) -> date:
    assert branch.programme_start is not None  # only branches in their window are asked for
    return month_start(branch.programme_start)


def _add_rate(figures: list[int], due: int, renewed: int) -> None:
    figures[0] += due
    figures[1] += renewed


def _channel_counts(counts: dict[int, Counter]) -> dict[int, ChannelCounts]:
    return {pk: ChannelCounts(c[STORE], c[TELESALES]) for pk, c in counts.items()}


def _channel(value: str) -> str:
    return TELESALES if value == TELESALES else STORE


def _rate(numerator: int, denominator: int) -> Fraction:
    return Fraction(numerator, denominator) if denominator else Fraction(0)
