"""Vehicle-terms and renewal links (DOMAIN.md §3, §4), as pure functions over plain records.

A vehicle-term is one vehicle's 交强 and/or 商业 policies whose end dates lie within 60 days of each other;
T is the earlier end date. A later term is a 续回 of an earlier one when it starts no later than the day after
the earlier term's last covered day; starting 1–30 days (configurable) after that day it is a 脱保续回 (lapsed
renewal: it counts, but breaks the loyalty streak); later than that it is new business, not a renewal.
Its previous term is the one holding one of its 上年保单号 among the vehicle's policies, else the latest earlier term.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

TERM_WINDOW_DAYS = 60
DEFAULT_GRACE_DAYS = 30

COMPULSORY = "compulsory"
COMMERCIAL = "commercial"


@dataclass(frozen=True)
class PolicyFacts:
    key: object  # the caller's identifier (a pk or a row number)
    kind: str
    policy_no: str
    start_on: date
    end_on: date
    signed_on: date | None
    previous_policy_no: str = ""
    cancelled: bool = False


@dataclass
class TermFacts:
    policies: list[PolicyFacts] = field(default_factory=list)
    previous_index: int | None = None  # index into the vehicle's term list
    renewal_kind: str = "new"  # new | renewal | lapsed

    @property
    def t_date(self) -> date:
        return min(p.end_on for p in self.policies)

    @property
    def last_end(self) -> date:
        return max(p.end_on for p in self.policies)

    @property
    def start_on(self) -> date:
        return min(p.start_on for p in self.policies)

    @property
    def lead_policy(self) -> PolicyFacts:
        """The policy that fixes credits, channel and signing date: the 商业 one when there is one."""
        commercial = [p for p in self.policies if p.kind == COMMERCIAL]
        return (commercial or self.policies)[0]

    @property
    def signed_on(self) -> date:
        lead = self.lead_policy
        return lead.signed_on or lead.start_on


def group_terms(policies: Sequence[PolicyFacts]) -> list[TermFacts]:
    """Group one vehicle's policies into terms, ordered by T. Cancelled policies are left out of terms' dates
    only when the term has a live policy too (a fully cancelled term still exists, flagged by the caller)."""
    terms: list[TermFacts] = []
    for policy in sorted(policies, key=lambda p: (p.end_on, p.kind, p.policy_no)):
        current = terms[-1] if terms else None
        if (
            current is not None
            and (policy.end_on - current.t_date).days <= TERM_WINDOW_DAYS
            and not any(p.kind == policy.kind for p in current.policies)
        ):
            current.policies.append(policy)
        else:
            terms.append(TermFacts(policies=[policy]))
    return terms


def link_renewals(terms: list[TermFacts], *, grace_days: int = DEFAULT_GRACE_DAYS) -> list[TermFacts]:
    """Set each term's previous term and renewal kind, in place; returns the same list."""
    term_of_policy_no = {p.policy_no: index for index, term in enumerate(terms) for p in term.policies}
    for index, term in enumerate(terms):
        term.previous_index = None
        term.renewal_kind = "new"
        named = [
            term_of_policy_no[p.previous_policy_no]
            for p in term.policies
            if p.previous_policy_no and term_of_policy_no.get(p.previous_policy_no, index) < index
        ]
        previous = max(named) if named else (index - 1 if index > 0 else None)
        if previous is None:
            continue
        kind = renewal_kind(start_on=term.start_on, previous_last_end=terms[previous].last_end, grace_days=grace_days)
        if kind != "new":
            term.previous_index = previous
            term.renewal_kind = kind
    return terms


def renewal_kind(*, start_on: date, previous_last_end: date, grace_days: int = DEFAULT_GRACE_DAYS) -> str:
    continuous_start = previous_last_end + timedelta(days=1)
    if start_on <= continuous_start:
        return "renewal"
    if start_on <= continuous_start + timedelta(days=grace_days):
        return "lapsed"
    return "new"
