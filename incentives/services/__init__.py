"""Every write of the incentives app (DESIGN.md: services for writes, each in a transaction).

- `versions`: rule versions — drafts, validation against the division's floors, review, publication.
- `facts`: the month's facts, gathered set-based; `lines`: facts + rules → payout lines (pure);
  `computation`: both for any number of branches at once, in memory.
- `payouts`: payout runs — compute (draft), approve, lock; `adjustments`: corrections of locked months.
- `preview`: a draft version on a real month against the version in force.
- `entries`: targets, satisfaction scores, special awards.
"""

from incentives.services.computation import MonthComputation, compute_month
from incentives.services.entries import (
    add_special_award,
    delete_special_award,
    set_targets,
    set_team_satisfaction,
)
from incentives.services.payouts import (
    approve_payout,
    compute_all_payouts,
    compute_payout,
    lock_payout,
    missing_targets,
)
from incentives.services.preview import Preview, PreviewRow, preview_version
from incentives.services.versions import (
    VersionCheck,
    check_rules,
    check_version,
    create_draft_version,
    publish_version,
    rules_in_force,
    submit_for_review,
    update_draft_version,
)

__all__ = [
    "MonthComputation",
    "Preview",
    "PreviewRow",
    "VersionCheck",
    "add_special_award",
    "approve_payout",
    "check_rules",
    "check_version",
    "compute_all_payouts",
    "compute_month",
    "compute_payout",
    "create_draft_version",
    "delete_special_award",
    "lock_payout",
    "missing_targets",
    "preview_version",
    "publish_version",
    "rules_in_force",
    "set_targets",
    "set_team_satisfaction",
    "submit_for_review",
    "update_draft_version",
]
