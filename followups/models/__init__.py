from followups.models.cases import Case, CaseEvent, CaseState, FailureReason
from followups.models.contacts import Contact, ContactResult
from followups.models.quotes import ApprovalLevel, Quote, QuoteStatus
from followups.models.reminders import (
    DispatchState,
    ReminderChannel,
    ReminderDispatch,
    ReminderMessage,
    ReminderTemplate,
    SkipReason,
)

__all__ = [
    "ApprovalLevel",
    "Case",
    "CaseEvent",
    "CaseState",
    "Contact",
    "ContactResult",
    "DispatchState",
    "FailureReason",
    "Quote",
    "QuoteStatus",
    "ReminderChannel",
    "ReminderDispatch",
    "ReminderMessage",
    "ReminderTemplate",
    "SkipReason",
]
