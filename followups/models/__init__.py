from followups.models.cases import Case, CaseEvent, CaseState, FailureReason
from followups.models.contacts import Contact, ContactResult
from followups.models.quotes import ApprovalLevel, Quote, QuoteStatus

__all__ = [
    "ApprovalLevel",
    "Case",
    "CaseEvent",
    "CaseState",
    "Contact",
    "ContactResult",
    "FailureReason",
    "Quote",
    "QuoteStatus",
]
