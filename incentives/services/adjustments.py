"""Corrections of locked months (DOMAIN.md §7 "Payout run"): a locked month never changes, so a late change of its
facts (a policy cancelled, a late renewal) is booked as adjustment lines in the next open month, each referring to
the locked line it corrects and computed with the locked month's own rule version — so a rule change alone never
produces an adjustment.

For any number of branches at once: the locked runs to correct are found with one query, their months are
recomputed with the month being paid (incentives/services/computation.py), what was paid is read with one query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from django.db.models import Q

from incentives.errors import IncentiveError
from incentives.models import PayoutLine, PayoutRun
from incentives.rules import format_money
from incentives.services.computation import MonthComputation
from incentives.services.facts import StaffInfo, load_staff
from incentives.services.lines import COMPONENT_KEYS
from policies.models import Branch
from renewal_desk.months import add_months, month_label

COLUMN_LABELS = {
    "store_count": "到店单数",
    "telesales_count": "电销单数",
    "commission": "提成",
    "ramp": "破冰奖励",
    "bonus": "系数奖金",
    "salary": "续保率奖金",
    "team": "团队奖励",
    "rank": "排名奖励",
    "special": "专项奖励",
    "penalty": "扣款",
}
AMOUNT_FIELDS = (*COMPONENT_KEYS, "total")
COUNT_FIELDS = ("store_count", "telesales_count")
VALUE_FIELDS = (*AMOUNT_FIELDS, *COUNT_FIELDS)
# Locked months looked back at for late changes; older corrections are rare enough to book by hand.
ADJUSTMENT_LOOKBACK_MONTHS = 12

Values = dict[str, Decimal | int]


def locked_runs_to_correct(*, branches: Sequence[Branch], month: date) -> list[PayoutRun]:
    """The locked runs whose corrections `month` books: those followed by locked months only, up to `month` (an
    earlier open month is the one that books them otherwise). One query; per branch, oldest month first."""
    if not branches:
        return []
    locked = list(
        PayoutRun.objects.filter(
            branch_id__in=[branch.pk for branch in branches],
            state=PayoutRun.State.LOCKED,
            month__gte=add_months(month, -ADJUSTMENT_LOOKBACK_MONTHS),
            month__lt=month,
        )
        .select_related("rule_version")
        .order_by("branch_id", "month")
    )
    locked_months: dict[int, set[date]] = defaultdict(set)
    for run in locked:
        locked_months[run.branch_id].add(run.month)
    return [run for run in locked if _months_between(run.month, month) <= locked_months[run.branch_id]]


def adjustment_lines(
    locked_runs: Sequence[PayoutRun], recomputed: Mapping[tuple[int, date], MonthComputation | IncentiveError]
) -> dict[int, list[PayoutLine] | IncentiveError]:
    """Per branch id: the deltas between each locked run and its month `recomputed` today (keyed by branch id and
    month, under the run's own rule version), as unsaved adjustment lines (no run yet) — or the refusal met
    recomputing one of those months. Branches without locked runs are left out."""
    if not locked_runs:
        return {}
    paid, originals = _paid(locked_runs)
    people: dict[int, StaffInfo] = {}
    for result in recomputed.values():
        if isinstance(result, MonthComputation):
            people.update((item.staff.pk, item.staff) for item in result.lines)
    people |= load_staff({pk for values in paid.values() for pk in values} - set(people))
    outcome: dict[int, list[PayoutLine] | IncentiveError] = {}
    for run in locked_runs:
        result = recomputed[(run.branch_id, run.month)]
        rows = outcome.setdefault(run.branch_id, [])
        if isinstance(rows, IncentiveError):
            continue
        if isinstance(result, IncentiveError):
            outcome[run.branch_id] = result
            continue
        rows.extend(_adjustment_rows(run, result, paid[run.pk], originals[run.pk], people))
    return outcome


def _months_between(first: date, month: date) -> set[date]:
    """The months after `first` and before `month`."""
    between = set()
    cursor = add_months(first, 1)
    while cursor < month:
        between.add(cursor)
        cursor = add_months(cursor, 1)
    return between


def _paid(runs: list[PayoutRun]) -> tuple[dict[int, dict[int, Values]], dict[int, dict[int, int]]]:
    """Per locked run, per person: what was paid for its month (the locked line plus the adjustments already
    locked for it), and the locked line's id. One query, explanations left unread."""
    run_of = {(run.branch_id, run.month): run.pk for run in runs}
    booked = PayoutLine.objects.filter(
        Q(run__in=[run.pk for run in runs], adjusts_month__isnull=True)
        | Q(
            run__branch_id__in={run.branch_id for run in runs},
            run__state=PayoutRun.State.LOCKED,
            adjusts_month__in={run.month for run in runs},
        )
    ).values("pk", "run_id", "run__branch_id", "run__month", "staff_id", "adjusts_month", *VALUE_FIELDS)
    paid: dict[int, dict[int, Values]] = {run.pk: defaultdict(_zero_values) for run in runs}
    originals: dict[int, dict[int, int]] = {run.pk: {} for run in runs}
    for line in booked:
        corrected = run_of.get((line["run__branch_id"], line["adjusts_month"] or line["run__month"]))
        if corrected is None:
            continue  # a correction of another branch's or month's run
        if line["adjusts_month"] is None:
            originals[corrected][line["staff_id"]] = line["pk"]
        for name in VALUE_FIELDS:
            paid[corrected][line["staff_id"]][name] += line[name]
    return paid, originals


def _adjustment_rows(
    locked_run: PayoutRun,
    now: MonthComputation,
    paid: dict[int, Values],
    originals: dict[int, int],
    people: dict[int, StaffInfo],
) -> list[PayoutLine]:
    current = {item.staff.pk: item for item in now.lines}
    rows = []
    label = month_label(locked_run.month)
    for pk in sorted(set(current) | set(paid), key=lambda key: people[key].employee_no):
        item = current.get(pk)
        now_values: Values = (
            {**item.amounts(), "store_count": item.store_count, "telesales_count": item.telesales_count}
            if item
            else _zero_values()
        )
        before = paid.get(pk) or _zero_values()
        deltas = {name: now_values[name] - before[name] for name in VALUE_FIELDS}
        if not any(deltas.values()):
            continue
        changes = [
            f"{COLUMN_LABELS[name]} {_show(before[name])} → {_show(now_values[name])}"
            for name in (*COUNT_FIELDS, *COMPONENT_KEYS)
            if deltas[name]
        ]
        info = people[pk]
        note = f"更正 {label}（已锁定）：{'；'.join(changes)}；合计 {format_money(deltas['total'])}"
        explanation = item.explanation(month=locked_run.month) if item else {"month": label, "components": {}}
        explanation["adjustment"] = {"month": label, "before": _json(before), "after": _json(now_values)}
        rows.append(
            PayoutLine(
                staff_id=pk,
                employee_no=info.employee_no,
                name=info.name,
                branch_name=info.branch_name,
                roles=info.roles_text,
                **deltas,
                rule_version_label=locked_run.rule_version.label,
                explanation=explanation,
                adjusts_month=locked_run.month,
                adjustment_of_id=originals.get(pk),
                note=note[:500],
            )
        )
    return rows


def _zero_values() -> Values:
    return {**dict.fromkeys(AMOUNT_FIELDS, Decimal("0.00")), **dict.fromkeys(COUNT_FIELDS, 0)}


def _show(value: Decimal | int) -> str:
    return format_money(value) if isinstance(value, Decimal) else str(value)


def _json(values: Values) -> dict[str, str | int]:
    return {name: (f"{value:.2f}" if isinstance(value, Decimal) else value) for name, value in values.items()}
