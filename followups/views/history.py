"""The drawer's middle pane: what happened on a case (contacts, reminders sent, assignment and review events)
and the vehicle with last year's policies. Phones never appear here; notes are the staff's own words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from followups import selectors
from followups.models import Case, CaseEvent, DispatchState

HISTORY_LIMIT = 30
SHOWN_EVENTS = (CaseEvent.Kind.CREATED, CaseEvent.Kind.ASSIGNED, CaseEvent.Kind.REVIEWED, CaseEvent.Kind.NOTE)


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    what: str
    detail: str
    css: str


def case_history(case: Case) -> dict:
    history = selectors.case_history(case)
    items: list[HistoryItem] = []
    for contact in history.contacts[:HISTORY_LIMIT]:
        what = contact.get_result_display()
        if contact.effective:
            what += f" · T−{contact.checkpoint} 有效"
        detail = contact.note
        if contact.next_contact_at:
            detail = (
                detail + " " if detail else ""
            ) + f"（约 {timezone.localtime(contact.next_contact_at):%m-%d %H:%M}）"
        items.append(
            HistoryItem(
                at=contact.at,
                what=f"{what} · {contact.staff.name}",
                detail=detail,
                css="effective" if contact.effective else "",
            )
        )
    for reminder in (reminder for reminder in history.reminders if reminder.state == DispatchState.SENT):
        message = reminder.message
        at = (message.finished_at if message and message.finished_at else None) or timezone.make_aware(
            datetime.combine(reminder.planned_on, datetime.min.time())
        )
        consent = case.customer.sms_consent_on if case.customer_id else None
        detail = "已发送" + (f"（客户同意 {consent:%Y-%m-%d}）" if consent else "")
        items.append(HistoryItem(at=at, what=f"短信提醒 T−{reminder.offset_days}", detail=detail, css="sms"))
    for event in [event for event in history.events if event.kind in SHOWN_EVENTS][:HISTORY_LIMIT]:
        if event.kind == CaseEvent.Kind.CREATED:
            what, detail = "建案", event.note
        elif event.kind == CaseEvent.Kind.ASSIGNED:
            to = event.to_assignee.name if event.to_assignee else "待分配"
            by = f"{event.actor.name} " if event.actor else ""
            what, detail = (
                "分配",
                f"{by}分配给 {to}" + (f"（{event.note}）" if event.note and event.note != "分配" else ""),
            )
        else:
            what, detail = event.get_kind_display(), event.note
        items.append(HistoryItem(at=event.at, what=what, detail=detail, css="event"))
    items.sort(key=lambda item: item.at, reverse=True)
    last_term = case.expiring_term
    last_policies = list(last_term.policies.select_related("insurer").order_by("kind")) if last_term else []
    return {"items": items[:HISTORY_LIMIT], "last_term": last_term, "last_policies": last_policies}
