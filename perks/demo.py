"""Perks for the demo group's replayed months (followups.demo.replay_history), through the real services: on each
past month's last day the renewals signed by then get their perks (as the daily sweep issues them), and customers
back in the workshop use some of their vouchers and washes — so the 战报表's 权益 sheet and the perk spend on the
approval cards have a history. Bounded per branch and month."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

from perks.errors import PerkError
from perks.models import Entitlement, EntitlementStatus, PerkKind
from perks.services import redeem_voucher, redeem_wash, sync_renewal_perks
from policies.models import Branch, Staff
from renewal_desk.roles import Role

REDEMPTIONS_PER_BRANCH_MONTH = 12
REDEEMED_KINDS = (PerkKind.OIL, PerkKind.OIL_FILTER, PerkKind.PREMIUM_REWARD, PerkKind.WASH)


def replay_perks_month(*, day: date, rng: random.Random) -> Counter:
    done: Counter = Counter()
    done["perk_terms"] += sync_renewal_perks(today=day).issued_terms
    for branch in Branch.objects.order_by("code"):
        desk = (
            Staff.objects.filter(branch=branch, active=True, user__groups__name=Role.SELLER)
            .order_by("employee_no")
            .first()
        )
        if desk is None:
            continue
        live = list(
            Entitlement.objects.filter(
                term__branch=branch, status=EntitlementStatus.LIVE, kind__in=REDEEMED_KINDS, valid_from__lte=day
            )
            .select_related("term")
            .order_by("pk")
        )
        for entitlement in rng.sample(live, min(len(live), REDEMPTIONS_PER_BRANCH_MONTH)):
            try:
                if entitlement.kind == PerkKind.WASH:
                    redeem_wash(term=entitlement.term, by=desk, on=day)
                else:
                    redeem_voucher(entitlement=entitlement, by=desk, on=day)
            except PerkError:
                continue  # expired, or outside its term on that day
            done["perk_redemptions"] += 1
    return done
