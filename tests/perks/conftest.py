"""Shared builders for the perk tests: renewal chains through the real services, and the people who act."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

TODAY = date(2025, 9, 15)  # a day inside the renewed term built by `renewed_term`


def renew(term, *, start_on: date | None = None, lapse_days: int = 0, customer=None, **fields):
    """The next term of the same vehicle: continuous by default, `lapse_days` after the day it should start."""
    from tests.factories import make_term

    start = start_on or term.last_end + timedelta(days=1 + lapse_days)
    policy_no = term.policies.order_by("kind").values_list("policy_no", flat=True).last()
    return make_term(
        branch=fields.pop("branch", term.branch), vehicle=term.vehicle, customer=customer or term.owner,
        start_on=start, previous_policy_no=policy_no, **fields,
    )  # fmt: skip


def chain(branch, kinds: str, *, first_start: date = date(2019, 7, 1), customer=None, **fields):
    """A vehicle's terms: the first is new business, then one letter per later term: R renewal, L lapsed
    (10 days late), N new business (a year's gap). Returns the terms oldest first."""
    from tests.factories import make_customer, make_term

    terms = [make_term(branch=branch, start_on=first_start, customer=customer or make_customer(), **fields)]
    for letter in kinds:
        previous = terms[-1]
        if letter == "R":
            terms.append(renew(previous, **fields))
        elif letter == "L":
            terms.append(renew(previous, lapse_days=10, **fields))
        elif letter == "N":
            terms.append(renew(previous, lapse_days=400, **fields))
        else:
            raise ValueError(letter)
    return terms


@pytest.fixture
def people(branch):
    """The staff of the branch, by what they do in these tests."""
    from tests.factories import make_staff

    return {
        "specialist": make_staff(branch, "specialist", name="王芳"),
        "specialist2": make_staff(branch, "specialist", name="李娜"),
        "callback": make_staff(branch, "callback", name="陈静"),
        "seller": make_staff(branch, "seller", name="刘洋"),
        "lead": make_staff(branch, "lead", name="周敏"),
        "manager": make_staff(branch, "manager", name="孙强"),
        "deputy": make_staff(branch, "deputy_gm", name="赵刚"),
        "gm": make_staff(branch, "gm", name="李建华"),
        "gm2": make_staff(branch, "gm", name="吴军"),
    }


@pytest.fixture
def renewed_term(branch):
    """A 续回 starting 2025-07-01 (previous term 2024-07-01) with a 5,462.00 premium, perks not yet issued."""
    from tests.factories import make_customer, make_term

    previous = make_term(branch=branch, start_on=date(2024, 7, 1), customer=make_customer("钱伟", "13500000288"))
    return renew(previous)


@pytest.fixture
def issued_term(renewed_term):
    from perks.services import issue_renewal_perks

    issue_renewal_perks(term=renewed_term, recorded_on=date(2025, 6, 28))
    return renewed_term


@pytest.fixture
def other_branch(db):
    from tests.factories import make_branch

    return make_branch("CD01", name="成都高新店", city="成都")


PREMIUM = Decimal("5462.00")


@pytest.fixture
def live_term(branch):
    """A 续回 in force today (started at the beginning of the month before last), perks issued, washes offered."""
    from django.utils import timezone

    from perks.services import issue_renewal_perks
    from renewal_desk.months import add_months, month_start
    from tests.factories import make_customer, make_term

    branch.free_washes = True
    branch.save()
    start = add_months(month_start(timezone.localdate()), -2)
    previous = make_term(
        branch=branch, start_on=add_months(start, -12), customer=make_customer("钱伟", "13500000288"),
        premium_commercial=Decimal("5868.00"),
    )  # fmt: skip
    term = renew(previous)
    issue_renewal_perks(term=term, recorded_on=start - timedelta(days=2))
    return term
