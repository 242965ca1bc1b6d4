"""Every write of the follow-up desk goes through a function here (DESIGN.md: services for writes).

Refused actions raise DeskError with a Chinese `.message` that says what to fix.
"""

from followups.services.assignment import assign_cases, reassign_departed
from followups.services.contacts import checkpoint_preview, log_contact
from followups.services.daily import DailySummary, run_daily
from followups.services.errors import DeskError
from followups.services.outcomes import RenewalPolicyInput, propose_loss, record_renewal, review_loss
from followups.services.quotes import accept_quote, create_quote, decide_quote
from followups.services.reminders import SendSummary, plan_reminders, reconcile_unknown, send_reminders

__all__ = [
    "DailySummary",
    "DeskError",
    "RenewalPolicyInput",
    "SendSummary",
    "accept_quote",
    "assign_cases",
    "checkpoint_preview",
    "create_quote",
    "decide_quote",
    "log_contact",
    "plan_reminders",
    "propose_loss",
    "reassign_departed",
    "reconcile_unknown",
    "record_renewal",
    "review_loss",
    "run_daily",
    "send_reminders",
]
