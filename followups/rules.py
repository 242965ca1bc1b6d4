"""The follow-up desk's rules (DOMAIN.md §4, §5) as pure functions: dates and numbers in, decisions out.

No Django here: services and selectors call these, and the tests can table every edge without a database.

Decisions this module writes down (DOMAIN.md leaves them open):

- **Checkpoint windows.** A reached contact is *effective* when it falls in the window of one of the checkpoints
  "about T−45, T−33, T−30". The windows are counted in days before T and never overlap:

  ========  ===================  ==================
  checkpoint  window (inclusive)   why
  ========  ===================  ==================
  T−45      T−48 … T−42           ±3 days: a week to reach a customer a month and a half out
  T−33      T−35 … T−32           −2/+1: stops before the T−30 window starts
  T−30      T−31 … T−28           −1/+2: the last call before the handoff month ends
  ========  ===================  ==================

  A contact on T−41 … T−36 or after T−28 is logged, but counts for no checkpoint.
- **Case window.** A case is created on day D for a T in [D − 7, D + 90], both ends inclusive (horizon and
  look-back configurable). A T already behind the window creates a case flagged 数据迟到 (late data) in the
  state its dates imply.
- **State by dates.** After T (D > T) an unrenewed open case is 脱保跟进; after T+7 (D > T + 7) it is 战败待审
  *without a reason*: the assignee gives the reason and a reviewer closes it (DOMAIN.md §4), so a late-data case
  is never closed as lost without a person saying why.
- **Reminders.** An offset o is due on every day of [T − o, T]; when several are due, only the smallest (the
  latest to come due) is sent, and a skipped offset never comes back. Quiet hours are [21:00, 09:00).
- **Discount ladder** (§5): d = 0 → none; 0 < d ≤ 8% → the specialist; ≤ 10% → manager; ≤ 14% → GM;
  above → refused. Authority: specialist < manager = deputy GM < GM.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, time, timedelta
from decimal import Decimal
from fractions import Fraction

from renewal_desk.months import add_months

# --- the case window and its dates -------------------------------------------------------------------

DEFAULT_HORIZON_DAYS = 90
DEFAULT_LOOKBACK_DAYS = 7
ESCALATION_DAYS = 15  # every case still open at T−15 is escalated
LAPSE_FOLLOW_DAYS = 7  # 脱保跟进 lasts until T+7; after that 战败待审
RENEWAL_GRACE_DAYS = 30  # a renewal may start up to 30 days after the day following the last covered day
# A new term starting more than this many days before an insured-elsewhere T is not its renewal.
RENEWAL_EARLY_START_DAYS = 60


def handoff_due_on(t: date) -> date:
    """T minus one calendar month, corresponding day clamped to the month end (2025-03-31 → 2025-02-28)."""
    return add_months(t, -1)


def case_window(
    day: date, *, horizon_days: int = DEFAULT_HORIZON_DAYS, lookback_days: int = DEFAULT_LOOKBACK_DAYS
) -> tuple[date, date]:
    """The T dates [first, last] (both inclusive) for which the daily job of `day` creates cases."""
    return day - timedelta(days=lookback_days), day + timedelta(days=horizon_days)


def in_case_window(
    t: date, day: date, *, horizon_days: int = DEFAULT_HORIZON_DAYS, lookback_days: int = DEFAULT_LOOKBACK_DAYS
) -> bool:
    first, last = case_window(day, horizon_days=horizon_days, lookback_days=lookback_days)
    return first <= t <= last


def is_late_data(t: date, day: date, *, lookback_days: int = DEFAULT_LOOKBACK_DAYS) -> bool:
    """数据迟到: T is already behind the window when the case is created."""
    return t < day - timedelta(days=lookback_days)


def is_handoff_overdue(t: date, created_on: date) -> bool:
    """The customer file reached the lead after the handoff date."""
    return created_on > handoff_due_on(t)


def escalation_due(t: date, day: date) -> bool:
    return day >= t - timedelta(days=ESCALATION_DAYS)


# State codes, equal to followups.models.CaseState values (kept here as strings: no Django import).
UNASSIGNED = "unassigned"
FOLLOWING = "following"
LAPSED_FOLLOW = "lapsed_follow"
RENEWED = "renewed"
LOST_PENDING = "lost_pending"


def state_by_dates(*, t: date, day: date, renewed: bool, assigned: bool) -> str:
    """The state a case's dates imply on `day` (for a new case, or an open one the daily job moves on)."""
    if renewed:
        return RENEWED
    if day > t + timedelta(days=LAPSE_FOLLOW_DAYS):
        return LOST_PENDING
    if day > t:
        return LAPSED_FOLLOW
    return FOLLOWING if assigned else UNASSIGNED


def renewal_start_ok(*, start_on: date, t: date, grace_days: int = RENEWAL_GRACE_DAYS) -> bool:
    """Could a new term starting on `start_on` be the renewal of an expiry on `t` (continuous or lapsed)?"""
    return t - timedelta(days=RENEWAL_EARLY_START_DAYS) < start_on <= t + timedelta(days=1 + grace_days)


# --- effective contacts --------------------------------------------------------------------------------

# (checkpoint, first day, last day), both in days before T, both inclusive. See the module docstring.
CHECKPOINT_WINDOWS: tuple[tuple[int, int, int], ...] = ((45, 48, 42), (33, 35, 32), (30, 31, 28))
CHECKPOINTS: tuple[int, ...] = tuple(c for c, _, _ in CHECKPOINT_WINDOWS)


def checkpoint_window(checkpoint: int, t: date) -> tuple[date, date]:
    for code, first, last in CHECKPOINT_WINDOWS:
        if code == checkpoint:
            return t - timedelta(days=first), t - timedelta(days=last)
    raise ValueError(f"unknown checkpoint {checkpoint}")


def checkpoint_for(contact_day: date, t: date) -> int | None:
    """Which checkpoint (45, 33 or 30) a contact that reached the customer on `contact_day` counts for."""
    days_before = (t - contact_day).days
    for code, first, last in CHECKPOINT_WINDOWS:
        if last <= days_before <= first:
            return code
    return None


# Checkpoint status shown as the three dots of today's list (ui/NOTES.md §1).
DONE, TODAY, MISSED, UPCOMING, NOT_APPLICABLE = "done", "today", "missed", "upcoming", "not_applicable"


def checkpoint_status(*, checkpoint: int, t: date, today: date, done: bool, created_on: date | None = None) -> str:
    """done / today (window open now) / missed (window over, not reached) / upcoming, or not_applicable when the
    window closed before the case existed (data that arrived late cannot miss a checkpoint)."""
    if done:
        return DONE
    first, last = checkpoint_window(checkpoint, t)
    if created_on is not None and last < created_on:
        return NOT_APPLICABLE
    if today < first:
        return UPCOMING
    if today <= last:
        return TODAY
    return MISSED


# --- customer reminders ----------------------------------------------------------------------------------

DEFAULT_REMINDER_OFFSETS: tuple[int, ...] = (30, 15, 7)
QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(9, 0)


def is_quiet_hour(moment: time) -> bool:
    """Quiet hours are [21:00, 09:00) local time: 20:59 and 09:00 may send, 21:00 and 08:59 may not."""
    return moment >= QUIET_FROM or moment < QUIET_UNTIL


def due_offset(*, t: date, day: date, offsets: Iterable[int] = DEFAULT_REMINDER_OFFSETS) -> int | None:
    """The one reminder offset to send on `day`: due from T − offset until T; of several, the latest (smallest)."""
    due = [offset for offset in offsets if t - timedelta(days=offset) <= day <= t]
    return min(due) if due else None


def due_t_range(offset: int, *, day: date, offsets: Sequence[int]) -> tuple[date, date] | None:
    """The T dates [first, last] whose due offset on `day` is exactly `offset` (for set-based planning)."""
    ordered = sorted(set(offsets))
    if offset not in ordered:
        return None
    index = ordered.index(offset)
    first = day if index == 0 else day + timedelta(days=ordered[index - 1] + 1)
    last = day + timedelta(days=offset)
    return first, last


# --- the discount ladder (§5) ----------------------------------------------------------------------------

LEVEL_NONE = "none"
LEVEL_SPECIALIST = "specialist"
LEVEL_MANAGER = "manager"
LEVEL_GM = "gm"
REFUSED = "refused"

SPECIALIST_LIMIT = Decimal("0.08")
MANAGER_LIMIT = Decimal("0.10")
GM_LIMIT = Decimal("0.14")

LEVEL_RANK = {LEVEL_NONE: 0, LEVEL_SPECIALIST: 1, LEVEL_MANAGER: 2, LEVEL_GM: 3}
LEVEL_LIMIT = {LEVEL_NONE: Decimal("0"), LEVEL_SPECIALIST: SPECIALIST_LIMIT, LEVEL_MANAGER: MANAGER_LIMIT,
               LEVEL_GM: GM_LIMIT}  # fmt: skip
# Who may decide what: the deputy GM has a manager's discount authority (§5). Everyone who quotes has the
# specialist's own authority (≤ 8%); the lead is not on the discount ladder above that.
ROLE_RANK = {
    "specialist": 1, "callback": 1, "seller": 1, "lead": 1,
    "manager": 2, "deputy_gm": 2,
    "gm": 3,
}  # fmt: skip


def discount_level(rate: Decimal | Fraction) -> str:
    """The approval level of d = discount ÷ 商业险 premium, edges exactly as DOMAIN.md §5 (8% is the specialist's,
    8.0001% the manager's, 14% the GM's, anything above 14% refused)."""
    if rate < 0:
        raise ValueError("discount rate cannot be negative")
    exact = Fraction(rate)
    if exact == 0:
        return LEVEL_NONE
    if exact <= Fraction(SPECIALIST_LIMIT):
        return LEVEL_SPECIALIST
    if exact <= Fraction(MANAGER_LIMIT):
        return LEVEL_MANAGER
    if exact <= Fraction(GM_LIMIT):
        return LEVEL_GM
    return REFUSED


def authority_rank(roles: Iterable[str]) -> int:
    return max((ROLE_RANK.get(role, 0) for role in roles), default=0)


def role_can_approve(roles: Iterable[str], level: str) -> bool:
    """True when someone holding `roles` may let a discount of `level` take effect (their own or another's)."""
    if level == REFUSED:
        return False
    if level == LEVEL_NONE:
        return True
    return authority_rank(roles) >= LEVEL_RANK[level]


def approver_role_for(level: str) -> str:
    """The lowest role whose inbox a request of `level` lands in."""
    return {LEVEL_MANAGER: "manager", LEVEL_GM: "gm"}.get(level, "specialist")
