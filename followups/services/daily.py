"""The daily job (DOMAIN.md §4, §12): cases for every expiry in the window, then the moves the dates imply.

Set-based and chunked: candidates are read in keyset pages of CHUNK rows with an anti-join against existing cases,
written with bulk_create, and state changes are conditional UPDATEs of locked rows — a bounded number of queries
per CHUNK rows, never one per term. Every chunk is its own transaction, serialised with any concurrent run by an
advisory lock, so a crash loses at most one chunk and a rerun completes it.

Idempotent and state-based: every rule compares T with the day, so running day D after missed days leaves each
case where daily runs would have (a case whose T passed while the job was down is created, or moved, straight into
the state its dates imply). Decisions written down here:

- A fully cancelled term (退保) creates no case.
- A 保有客户 row creates no case when the vehicle has a term sold here whose T is within 60 days of its 预计到期日
  (the two sheets describe the same expiry; the 保单 case wins).
- A vehicle's 保有客户 rows in several branches: the most recently updated row owns the case.
- The time of every event the job writes is the job's moment: now when it runs for today, else 06:00 of that day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, DateField, Exists, OuterRef, Q, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone

from followups import rules
from followups.models import Case, CaseEvent, CaseState
from followups.models.cases import OPEN_STATES, REVIEW_STATES
from followups.services.common import serialise_daily_work
from policies.models import Policy, RenewalKind, RetainedCustomer, Staff, VehicleTerm
from renewal_desk.months import month_start

CHUNK = 2000
OPEN = sorted(OPEN_STATES)
# A renewal recorded by import closes the case whatever it was waiting for, and reopens a closed 战败 (§4).
RENEWABLE_STATES = sorted(OPEN_STATES | REVIEW_STATES | {CaseState.LOST})


@dataclass(frozen=True)
class DailySummary:
    date: date
    cases_created: int
    cases_open: int
    handoff_overdue: int  # open cases flagged 移交逾期
    escalated: int  # open cases escalated (T−15 reached)
    reminders_due: int  # reminders waiting to be sent for this day (pending dispatches of the offset due now)
    # Detail of this run (not part of the --json contract).
    renewed: int = 0
    lapsed: int = 0
    lost_pending: int = 0
    late_data: int = 0

    def as_json(self) -> dict:
        data = asdict(self)
        return {
            "date": self.date.isoformat(),
            **{
                key: data[key]
                for key in ("cases_created", "cases_open", "handoff_overdue", "escalated", "reminders_due")
            },
        }


def job_moment(day: date) -> datetime:
    """When the job 'happened' for `day`: now for today, else 06:00 local of that day (the beat time)."""
    if day == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.combine(day, time(6, 0)))


def run_daily(
    *,
    day: date,
    horizon_days: int = rules.DEFAULT_HORIZON_DAYS,
    lookback_days: int = rules.DEFAULT_LOOKBACK_DAYS,
    at: datetime | None = None,
    renewals_signed_by: date | None = None,
) -> DailySummary:
    """Create, flag and move cases as of `day` (see the module docstring); then plan the reminders due.

    renewals_signed_by: count only renewals signed (签单日期) by that day, for replaying history as it happened
    (the demo's past months); by default every renewal on record counts, whatever day the job runs for.
    """
    from followups.services.reminders import pending_due_count, plan_reminders

    at = at or job_moment(day)
    _, last_t = rules.case_window(day, horizon_days=horizon_days, lookback_days=lookback_days)
    active_staff = set(Staff.objects.filter(active=True).values_list("pk", flat=True))
    known = _renewals_signed_by(renewals_signed_by)
    created, late = _create_term_cases(day, last_t, at, active_staff, lookback_days, known)
    created_retained, late_retained = _create_retained_cases(day, last_t, at, active_staff, lookback_days, known)
    renewed = _close_linked_renewals(at, known) + _close_won_back(at, known)
    _escalate(day, at)
    lapsed = _move_states(
        Q(state__in=[CaseState.UNASSIGNED, CaseState.FOLLOWING, CaseState.QUOTED], t_date__lt=day,
          t_date__gte=day - timedelta(days=rules.LAPSE_FOLLOW_DAYS)),
        CaseState.LAPSED_FOLLOW, at, "已过到期日未续保：转脱保跟进",
    )  # fmt: skip
    lost = _move_states(
        Q(state__in=OPEN, t_date__lt=day - timedelta(days=rules.LAPSE_FOLLOW_DAYS)),
        CaseState.LOST_PENDING, at, "到期 7 天后仍未续保：转战败待审，请跟进人填写原因",
    )  # fmt: skip
    plan_reminders(day=day)
    counts = Case.objects.filter(state__in=OPEN).aggregate(
        cases_open=Count("pk"),
        handoff_overdue=Count("pk", filter=Q(handoff_overdue=True)),
        escalated=Count("pk", filter=Q(escalated_on__isnull=False)),
    )
    return DailySummary(
        date=day, cases_created=created + created_retained, reminders_due=pending_due_count(day=day),
        renewed=renewed, lapsed=lapsed, lost_pending=lost, late_data=late + late_retained, **counts,
    )  # fmt: skip


def _without_case_for_month(rows, date_field: str):
    """Rows whose (vehicle, T-month) has no case yet: an anti-join on the case table's unique index."""
    return rows.annotate(case_month=TruncMonth(date_field, output_field=DateField())).filter(
        ~Exists(Case.objects.filter(vehicle_id=OuterRef("vehicle_id"), t_month=OuterRef("case_month")))
    )


def _new_case(*, day: date, at: datetime, t: date, assignee_id: int | None, renewal_id: int | None,
              renewal_channel: str, lookback_days: int, **fields) -> Case:  # fmt: skip
    state = rules.state_by_dates(t=t, day=day, renewed=renewal_id is not None, assigned=assignee_id is not None)
    return Case(
        t_date=t, t_month=month_start(t), state=state, assignee_id=assignee_id,
        handoff_due_on=rules.handoff_due_on(t), handoff_overdue=rules.is_handoff_overdue(t, day),
        late_data=rules.is_late_data(t, day, lookback_days=lookback_days), created_on=day,
        renewal_term_id=renewal_id, renewal_channel=renewal_channel if renewal_id else "",
        closed_at=at if state == CaseState.RENEWED else None, **fields,
    )  # fmt: skip


def _insert_cases(cases: list[Case], at: datetime) -> None:
    Case.objects.bulk_create(cases)
    events = []
    for case in cases:
        notes = [text for flag, text in ((case.late_data, "数据迟到"), (case.handoff_overdue, "移交逾期")) if flag]
        events.append(CaseEvent(case=case, kind=CaseEvent.Kind.CREATED, at=at, to_state=case.state,
                                to_assignee_id=case.assignee_id, note="、".join(notes)))  # fmt: skip
        if case.assignee_id:
            events.append(CaseEvent(case=case, kind=CaseEvent.Kind.ASSIGNED, at=at, to_assignee_id=case.assignee_id,
                                    note="导入时指定跟进人"))  # fmt: skip
    CaseEvent.objects.bulk_create(events, batch_size=1000)


def _renewals_signed_by(day: date | None):
    """The live terms that may renew a case: all of them, or those signed by `day` in a replay of history."""
    live = VehicleTerm.objects.filter(cancelled_on__isnull=True)
    return live if day is None else live.filter(signed_on__lte=day)


def _create_term_cases(day, last_t, at, active_staff, lookback_days, known) -> tuple[int, int]:
    """A case for every live vehicle-term with T ≤ the window's end that has none for its (vehicle, T-month)."""
    renewal = known.filter(previous_term=OuterRef("pk")).exclude(
        renewal_kind=RenewalKind.NEW
    ).order_by("start_on", "pk")  # fmt: skip
    insurer = Policy.objects.filter(term=OuterRef("pk")).order_by("kind", "pk").values("insurer__name")[:1]
    candidates = (
        _without_case_for_month(VehicleTerm.objects.filter(t_date__lte=last_t, cancelled_on__isnull=True), "t_date")
        .annotate(
            renewal_id=Subquery(renewal.values("pk")[:1]),
            renewal_channel=Subquery(renewal.values("channel")[:1]),
            insurer_name=Subquery(insurer),
        )
        .order_by("pk")
    )
    fields = ["pk", "vehicle_id", "branch_id", "owner_id", "vehicle__owner_id", "t_date", "follow_up_id",
              "renewal_id", "renewal_channel", "insurer_name"]  # fmt: skip
    created = late = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            serialise_daily_work()
            rows = list(candidates.filter(pk__gt=last_pk).values(*fields)[:CHUNK])
            if not rows:
                break
            last_pk = rows[-1]["pk"]
            seen: set[tuple[int, date]] = set()
            cases = []
            for row in rows:
                key = (row["vehicle_id"], month_start(row["t_date"]))
                if key in seen:  # two terms of one vehicle ending in one month: one case (§12)
                    continue
                seen.add(key)
                follow_up = row["follow_up_id"] if row["follow_up_id"] in active_staff else None
                cases.append(_new_case(
                    day=day, at=at, t=row["t_date"], assignee_id=follow_up, renewal_id=row["renewal_id"],
                    renewal_channel=row["renewal_channel"] or "", lookback_days=lookback_days,
                    branch_id=row["branch_id"], vehicle_id=row["vehicle_id"],
                    customer_id=row["owner_id"] or row["vehicle__owner_id"], expiring_term_id=row["pk"],
                    category=1, previous_insurer=row["insurer_name"] or "",
                ))  # fmt: skip
            _insert_cases(cases, at)
            created += len(cases)
            late += sum(case.late_data for case in cases)
    return created, late


def retained_category(rows: list[dict], case_date: date) -> int:
    """policies.selectors.customer_category for an insured-elsewhere vehicle, over rows already read (2 > 4 > 3)."""
    if any(row["previous_insurer"] and row["previous_policy_no"] for row in rows):
        return 2
    if case_date.month == 2 and case_date.day == 29:
        two_years_before = case_date.replace(year=case_date.year - 2, day=28)
    else:
        two_years_before = case_date.replace(year=case_date.year - 2)
    if any(row["last_return_on"] and row["last_return_on"] >= two_years_before for row in rows):
        return 4
    return 3


def _create_retained_cases(day, last_t, at, active_staff, lookback_days, known) -> tuple[int, int]:
    """A case for every dated 保有客户 row (the latest row of its vehicle and T-month) with T ≤ the window's end."""
    candidates = _without_case_for_month(
        RetainedCustomer.objects.filter(expected_end__isnull=False, expected_end__lte=last_t), "expected_end"
    ).order_by("pk")
    fields = ["pk", "vehicle_id", "branch_id", "customer_id", "expected_end", "follow_up_id", "previous_insurer",
              "updated_at"]  # fmt: skip
    created = late = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            serialise_daily_work()
            rows = list(candidates.filter(pk__gt=last_pk).values(*fields)[:CHUNK])
            if not rows:
                break
            last_pk = rows[-1]["pk"]
            vehicle_ids = {row["vehicle_id"] for row in rows}
            terms = defaultdict(list)
            for term in known.filter(vehicle_id__in=vehicle_ids).values(
                "pk", "vehicle_id", "t_date", "start_on", "channel"
            ):
                terms[term["vehicle_id"]].append(term)
            all_rows = defaultdict(list)
            for other in RetainedCustomer.objects.filter(vehicle_id__in=vehicle_ids).values(
                "pk", "vehicle_id", "expected_end", "updated_at", "previous_insurer", "previous_policy_no",
                "last_return_on",
            ):  # fmt: skip
                all_rows[other["vehicle_id"]].append(other)
            cases = []
            seen: set[tuple[int, date]] = set()
            for row in rows:
                t = row["expected_end"]
                key = (row["vehicle_id"], month_start(t))
                if key in seen or _has_newer_row(row, all_rows[row["vehicle_id"]]):
                    continue
                if any(abs((term["t_date"] - t).days) <= 60 for term in terms[row["vehicle_id"]]):
                    continue  # the 保单 sheet holds this expiry: its term's case is the one
                seen.add(key)
                renewal = _won_back_term(t, terms[row["vehicle_id"]])
                follow_up = row["follow_up_id"] if row["follow_up_id"] in active_staff else None
                cases.append(_new_case(
                    day=day, at=at, t=t, assignee_id=follow_up, renewal_id=renewal and renewal["pk"],
                    renewal_channel=(renewal or {}).get("channel", ""), lookback_days=lookback_days,
                    branch_id=row["branch_id"], vehicle_id=row["vehicle_id"], customer_id=row["customer_id"],
                    retained_id=row["pk"], category=retained_category(all_rows[row["vehicle_id"]], day),
                    previous_insurer=row["previous_insurer"],
                ))  # fmt: skip
            _insert_cases(cases, at)
            created += len(cases)
            late += sum(case.late_data for case in cases)
    return created, late


def _has_newer_row(row: dict, rows: list[dict]) -> bool:
    month = month_start(row["expected_end"])
    return any(
        other["expected_end"] and month_start(other["expected_end"]) == month
        and (other["updated_at"], other["pk"]) > (row["updated_at"], row["pk"])
        for other in rows
    )  # fmt: skip


def _won_back_term(t: date, terms: list[dict]) -> dict | None:
    """A term sold here that renews an insured-elsewhere expiry on `t` (continuous or lapsed), earliest first."""
    fitting = [term for term in terms if rules.renewal_start_ok(start_on=term["start_on"], t=t)]
    return min(fitting, key=lambda term: (term["start_on"], term["pk"])) if fitting else None


def _close(rows: list[tuple[int, str, int, str]], at: datetime, note: str) -> int:
    """Close the given (case pk, state, renewal term pk, channel) rows as 已续回, one event each."""
    cases = [Case(pk=pk, state=CaseState.RENEWED, renewal_term_id=term_id, renewal_channel=channel, closed_at=at)
             for pk, _, term_id, channel in rows]  # fmt: skip
    Case.objects.bulk_update(cases, ["state", "renewal_term_id", "renewal_channel", "closed_at"], batch_size=500)
    CaseEvent.objects.bulk_create(
        [CaseEvent(case_id=pk, kind=CaseEvent.Kind.STATE, at=at, from_state=state, to_state=CaseState.RENEWED,
                   note=note + ("（重开已战败案件）" if state == CaseState.LOST else ""))
         for pk, state, _, _ in rows],
        batch_size=1000,
    )  # fmt: skip
    return len(rows)


def _close_linked_renewals(at: datetime, known) -> int:
    """Cases whose expiring term has a renewal term (linked by the importer) are 已续回."""
    renewal = known.filter(previous_term=OuterRef("expiring_term_id")).exclude(
        renewal_kind=RenewalKind.NEW
    ).order_by("start_on", "pk")  # fmt: skip
    candidates = Case.objects.filter(state__in=RENEWABLE_STATES, expiring_term__isnull=False).filter(Exists(renewal))
    closed = 0
    while True:
        with transaction.atomic():
            serialise_daily_work()
            found = list(
                candidates.select_for_update()
                .annotate(term_id=Subquery(renewal.values("pk")[:1]), channel=Subquery(renewal.values("channel")[:1]))
                .values_list("pk", "state", "term_id", "channel")
                .order_by("pk")[:CHUNK]
            )
            if not found:
                return closed
            closed += _close(found, at, "导入续保保单：已续回")


def _close_won_back(at: datetime, known) -> int:
    """Insured-elsewhere cases (no expiring term here) renewed by a term sold here within the grace (§4)."""
    later_term = known.filter(vehicle_id=OuterRef("vehicle_id"), t_date__gt=OuterRef("t_date"))
    candidates = (
        Case.objects.filter(state__in=RENEWABLE_STATES, expiring_term__isnull=True).filter(Exists(later_term))
        .order_by("pk")
    )  # fmt: skip
    closed = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            serialise_daily_work()
            rows = list(candidates.filter(pk__gt=last_pk).select_for_update().values("pk", "state", "vehicle_id",
                                                                                      "t_date")[:CHUNK])  # fmt: skip
            if not rows:
                return closed
            last_pk = rows[-1]["pk"]
            terms = defaultdict(list)
            for term in known.filter(vehicle_id__in={row["vehicle_id"] for row in rows}).values(
                "pk", "vehicle_id", "start_on", "channel"
            ):
                terms[term["vehicle_id"]].append(term)
            found = []
            for row in rows:
                term = _won_back_term(row["t_date"], terms[row["vehicle_id"]])
                if term:
                    found.append((row["pk"], row["state"], term["pk"], term["channel"]))
            closed += _close(found, at, "本店新出保单（他店转入）：已续回")


def _escalate(day: date, at: datetime) -> int:
    """Every case still open at T−15 is escalated (shown to the manager), once."""
    candidates = Case.objects.filter(
        state__in=OPEN, escalated_on__isnull=True, t_date__lte=day + timedelta(days=rules.ESCALATION_DAYS)
    )
    escalated = 0
    while True:
        with transaction.atomic():
            serialise_daily_work()
            ids = list(candidates.select_for_update().order_by("pk").values_list("pk", flat=True)[:CHUNK])
            if not ids:
                return escalated
            Case.objects.filter(pk__in=ids, escalated_on__isnull=True).update(escalated_on=day)
            CaseEvent.objects.bulk_create(
                [CaseEvent(case_id=pk, kind=CaseEvent.Kind.ESCALATED, at=at, note="到期前 15 天仍未续回：升级经理")
                 for pk in ids], batch_size=1000,
            )  # fmt: skip
            escalated += len(ids)


def _move_states(condition: Q, to_state: str, at: datetime, note: str) -> int:
    candidates = Case.objects.filter(condition)
    moved = 0
    while True:
        with transaction.atomic():
            serialise_daily_work()
            rows = list(candidates.select_for_update().order_by("pk").values_list("pk", "state")[:CHUNK])
            if not rows:
                return moved
            Case.objects.filter(pk__in=[pk for pk, _ in rows]).filter(condition).update(state=to_state)
            CaseEvent.objects.bulk_create(
                [CaseEvent(case_id=pk, kind=CaseEvent.Kind.STATE, at=at, from_state=state, to_state=to_state, note=note)
                 for pk, state in rows], batch_size=1000,
            )  # fmt: skip
            moved += len(rows)
