"""Every write of the perks app (HackSoft style: keyword-only, one transaction each, locks in a fixed order)."""

from perks.services.expiry import expire_vouchers
from perks.services.issue import (
    IssueOutcome,
    ReversalOutcome,
    issue_renewal_perks,
    issue_rescue_card,
    reverse_renewal_perks,
)
from perks.services.oil import decide_oil_request, request_extra_oil, void_open_case_oil
from perks.services.redemption import log_rescue, price_repair_bill, redeem_voucher, redeem_wash
from perks.services.sync import SyncOutcome, sync_renewal_perks

__all__ = [
    "IssueOutcome",
    "ReversalOutcome",
    "SyncOutcome",
    "decide_oil_request",
    "expire_vouchers",
    "issue_renewal_perks",
    "issue_rescue_card",
    "log_rescue",
    "price_repair_bill",
    "redeem_voucher",
    "redeem_wash",
    "request_extra_oil",
    "reverse_renewal_perks",
    "sync_renewal_perks",
    "void_open_case_oil",
]
