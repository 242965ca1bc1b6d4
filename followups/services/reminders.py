"""Customer reminders (DOMAIN.md §4): planned by the daily job, sent by `send_reminders`, at most once.

The order of a run, and why:

1. Plan: a pending dispatch row for every open case whose due offset today has none (idempotent insert).
2. Retire: pending rows that can no longer be sent become 'skipped' — superseded by a later offset (skipped offsets
   are never sent later), past T, case closed.
3. Reconcile: a message stuck in 'sending' (a worker died mid-send) becomes 'unknown'; unknown messages are asked
   about at the provider when it can tell, else left for a person. Never resent blindly.
4. Quiet hours [21:00, 09:00): nothing is sent; the due rows stay pending for the morning.
5. Consent is read now (an opt-out recorded a minute ago is honoured); without it the row is skipped.
6. Per phone: the (phone, day) message row is claimed with `UPDATE … WHERE state='pending'` — 0 rows means another
   run, retry or redelivery has it — and committed before the provider is called. Its dispatch rows are claimed the
   same way. One message names every plate due for that phone today; a phone already texted today waits.

Steps 1–5 run one at a time (advisory lock); step 6 is safe in parallel. Call it outside any transaction, so each
claim is committed before the provider sees the message.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from followups import rules
from followups.models import Case, DispatchState, ReminderDispatch, ReminderMessage, ReminderTemplate, SkipReason
from followups.models.cases import OPEN_STATES
from followups.services.common import serialise_daily_work
from followups.sms import SENT, SendResult, SmsMessage, SmsTimeout, get_backend
from policies.masking import mask_phone

log = logging.getLogger(__name__)

CHUNK = 2000
STUCK_AFTER = timedelta(minutes=15)  # longer than any provider call: a 'sending' row older than this was abandoned


@dataclass
class SendSummary:
    sent: int = 0  # messages handed to the provider and accepted (one per phone and day)
    skipped_no_consent: int = 0  # reminders (case × offset) skipped: no SMS consent at send time
    skipped_quiet_hours: int = 0  # reminders due but held back by quiet hours (sent after 09:00)
    failed: int = 0  # messages refused by the provider, or whose outcome is unknown
    reminders_sent: int = 0  # reminders (case × offset) carried by the sent messages
    unknown: int = 0  # of `failed`: this run's messages whose outcome is unknown (provider timeout)
    awaiting_reconciliation: int = 0  # unknown messages, of any run, the provider could not settle yet

    def as_json(self) -> dict:
        return {
            "sent": self.sent,
            "skipped_no_consent": self.skipped_no_consent,
            "skipped_quiet_hours": self.skipped_quiet_hours,
            "failed": self.failed,
        }


def active_offsets() -> list[int]:
    return sorted(
        ReminderTemplate.objects.filter(active=True, channel="sms").values_list("offset_days", flat=True).distinct()
    )


def plan_reminders(*, day: date) -> int:
    """Create the pending dispatch of every open case whose due offset on `day` has none yet; retire stale ones."""
    offsets = active_offsets()
    planned = 0
    for offset in offsets:
        first, last = rules.due_t_range(offset, day=day, offsets=offsets)
        candidates = (
            Case.objects.filter(state__in=OPEN_STATES, t_date__gte=first, t_date__lte=last)
            .filter(~Exists(ReminderDispatch.objects.filter(case=OuterRef("pk"), offset_days=offset)))
            .order_by("pk")
        )
        last_pk = 0
        while True:
            with transaction.atomic():
                serialise_daily_work()
                rows = list(candidates.filter(pk__gt=last_pk).values_list("pk", "t_date")[:CHUNK])
                if not rows:
                    break
                last_pk = rows[-1][0]
                ReminderDispatch.objects.bulk_create(
                    [ReminderDispatch(case_id=pk, offset_days=offset, due_on=t - timedelta(days=offset), planned_on=day)
                     for pk, t in rows],
                    ignore_conflicts=True,
                )  # fmt: skip
                planned += len(rows)
    _retire(day=day)
    return planned


def _retire(*, day: date) -> None:
    pending = ReminderDispatch.objects.filter(state=DispatchState.PENDING)
    newer = ReminderDispatch.objects.filter(case_id=OuterRef("case_id"), offset_days__lt=OuterRef("offset_days"))
    with transaction.atomic():
        serialise_daily_work()
        pending.exclude(case__state__in=OPEN_STATES).update(
            state=DispatchState.SKIPPED, skip_reason=SkipReason.CASE_CLOSED
        )
        pending.filter(case__t_date__lt=day).update(state=DispatchState.SKIPPED, skip_reason=SkipReason.EXPIRED)
        pending.filter(Exists(newer)).update(state=DispatchState.SKIPPED, skip_reason=SkipReason.SUPERSEDED)


def _due_today(day: date):
    """Pending dispatches that may go out on `day` (planned for a day up to today, T not passed, case open)."""
    return ReminderDispatch.objects.filter(
        state=DispatchState.PENDING, due_on__lte=day, case__t_date__gte=day, case__state__in=OPEN_STATES
    )


def pending_due_count(*, day: date) -> int:
    return _due_today(day).count()


def send_reminders(*, at: datetime | None = None) -> SendSummary:
    at = at or timezone.now()
    local = timezone.localtime(at)
    day = local.date()
    summary = SendSummary()
    plan_reminders(day=day)
    backend = get_backend()
    summary.awaiting_reconciliation = reconcile_unknown(backend=backend)
    if rules.is_quiet_hour(local.time()):
        summary.skipped_quiet_hours = pending_due_count(day=day)
        return summary
    templates = {t.offset_days: t for t in ReminderTemplate.objects.filter(active=True, channel="sms")}
    with transaction.atomic():
        serialise_daily_work()
        due = _due_today(day)
        without_consent = due.filter(Q(case__customer__isnull=True) | Q(case__customer__sms_consent=False))
        summary.skipped_no_consent = without_consent.update(
            state=DispatchState.SKIPPED, skip_reason=SkipReason.NO_CONSENT
        )
        due.filter(case__customer__mobile="").update(state=DispatchState.SKIPPED, skip_reason=SkipReason.NO_PHONE)
        due.exclude(offset_days__in=list(templates)).update(
            state=DispatchState.SKIPPED, skip_reason=SkipReason.NO_TEMPLATE
        )
    by_phone: dict[str, list[dict]] = defaultdict(list)
    rows = _due_today(day).values(
        "pk", "offset_days", "case__t_date", "case__vehicle__plate", "case__vehicle__vin", "case__customer_id",
        "case__customer__name", "case__customer__mobile",
    ).order_by("case__customer__mobile", "case__t_date", "pk")  # fmt: skip
    for row in rows.iterator(chunk_size=CHUNK):
        by_phone[row["case__customer__mobile"]].append(row)
    for phone, group in by_phone.items():
        outcome = _send_to_phone(phone=phone, day=day, rows=group, templates=templates, backend=backend)
        if outcome is None:
            continue
        result, count = outcome
        if result == SENT:
            summary.sent += 1
            summary.reminders_sent += count
        else:
            summary.failed += 1
            summary.unknown += result == DispatchState.UNKNOWN
    return summary


def _render(template: ReminderTemplate, rows: list[dict]) -> tuple[str, dict]:
    plates = list(dict.fromkeys(row["case__vehicle__plate"] or row["case__vehicle__vin"] for row in rows))
    t_dates = list(dict.fromkeys(f"{row['case__t_date']:%Y-%m-%d}" for row in rows))
    params = {"name": rows[0]["case__customer__name"], "plate": "、".join(plates), "t_date": "、".join(t_dates)}

    class _Keep(dict):
        def __missing__(self, key):
            return "{" + key + "}"

    return template.body.format_map(_Keep(params)), params


def _send_to_phone(*, phone, day, rows, templates, backend) -> tuple[str, int] | None:
    message, _ = ReminderMessage.objects.get_or_create(
        phone=phone, day=day, defaults={"customer_id": rows[0]["case__customer_id"]}
    )
    # The claim, committed before the provider is called. 0 rows: another run has it, or this phone was texted today.
    if not ReminderMessage.objects.filter(pk=message.pk, state=DispatchState.PENDING).update(
        state=DispatchState.SENDING,
        claimed_at=timezone.now(),  # real time: liveness, whatever `at` says
    ):
        return None
    ReminderDispatch.objects.filter(pk__in=[row["pk"] for row in rows], state=DispatchState.PENDING).update(
        state=DispatchState.SENDING, message=message
    )
    claimed_ids = set(
        ReminderDispatch.objects.filter(message=message, state=DispatchState.SENDING).values_list("pk", flat=True)
    )
    mine = [row for row in rows if row["pk"] in claimed_ids]
    if not mine:  # every row was taken by another run between our read and our claim: give the day back
        ReminderMessage.objects.filter(pk=message.pk, state=DispatchState.SENDING).update(
            state=DispatchState.PENDING, claimed_at=None
        )
        return None
    template = templates[min(row["offset_days"] for row in mine)]
    body, params = _render(template, mine)
    ReminderMessage.objects.filter(pk=message.pk).update(body=body, params=params,
                                                         template_code=template.provider_template_code)  # fmt: skip
    sms = SmsMessage(phone=phone, body=body, template_code=template.provider_template_code, params=params,
                     reference=message.reference, day=day)  # fmt: skip
    try:
        result = backend.send(sms)
    except SmsTimeout as error:
        log.warning("SMS to %s timed out; left as unknown for reconciliation: %s", mask_phone(phone), error)
        _finish(message.pk, DispatchState.UNKNOWN, error=f"超时：{error}"[:300])
        return DispatchState.UNKNOWN, len(mine)
    except Exception as error:  # not connected, misconfigured: the provider never took it
        log.exception("SMS to %s failed", mask_phone(phone))
        _finish(message.pk, DispatchState.FAILED, error=str(error)[:300])
        return DispatchState.FAILED, len(mine)
    state = DispatchState.SENT if result.ok else DispatchState.FAILED
    _finish(message.pk, state, result=result)
    return state, len(mine)


def _finish(message_pk: int, state: str, *, result: SendResult | None = None, error: str = "") -> None:
    with transaction.atomic():
        ReminderMessage.objects.filter(pk=message_pk).update(
            state=state, finished_at=timezone.now(), provider_message_id=(result.provider_id if result else ""),
            error=(result.error if result else error),
        )  # fmt: skip
        # UNKNOWN too: a send slower than STUCK_AFTER was marked unknown meanwhile, and now we know.
        ReminderDispatch.objects.filter(
            message_id=message_pk, state__in=[DispatchState.SENDING, DispatchState.UNKNOWN]
        ).update(state=state)


def reconcile_unknown(*, backend=None, now: datetime | None = None) -> int:
    """Abandoned 'sending' messages become 'unknown'; unknown ones are settled when the provider can tell.

    Returns how many messages are still unknown (a person decides: the send log page shows them).
    """
    backend = backend or get_backend()
    now = now or timezone.now()
    ReminderMessage.objects.filter(state=DispatchState.SENDING, claimed_at__lt=now - STUCK_AFTER).update(
        state=DispatchState.UNKNOWN, error="发送过程中断，结果未知"
    )
    ReminderDispatch.objects.filter(message__state=DispatchState.UNKNOWN, state=DispatchState.SENDING).update(
        state=DispatchState.UNKNOWN
    )
    unknown = list(ReminderMessage.objects.filter(state=DispatchState.UNKNOWN))
    if not backend.supports_status:
        return len(unknown)
    left = 0
    for message in unknown:
        sms = SmsMessage(phone=message.phone, body=message.body, reference=message.reference, day=message.day)
        known = backend.status(sms, message.provider_message_id)
        if known is None:
            left += 1
            continue
        state = DispatchState.SENT if known == SENT else DispatchState.FAILED
        with transaction.atomic():
            if ReminderMessage.objects.filter(pk=message.pk, state=DispatchState.UNKNOWN).update(state=state):
                ReminderDispatch.objects.filter(message=message, state=DispatchState.UNKNOWN).update(state=state)
    return left
