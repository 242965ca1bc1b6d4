"""The demo group shows the desk at work: every case state, quotes at every step, reviews and an oil request."""

import pytest
from django.utils import timezone

from followups.models import Case, CaseState, Contact, Quote, QuoteStatus
from policies.demo import seed_demo

pytestmark = pytest.mark.django_db


def test_seed_demo_leaves_cases_in_every_state_and_work_in_every_inbox():
    seed_demo(policies=1500, today=timezone.localdate())

    states = set(Case.objects.values_list("state", flat=True))
    assert states == set(CaseState.values)
    assert {QuoteStatus.SAVED, QuoteStatus.PENDING, QuoteStatus.APPROVED, QuoteStatus.ACCEPTED} <= set(
        Quote.objects.values_list("status", flat=True)
    )
    assert Contact.objects.count() >= 40
    from perks.models import OilRequest

    assert OilRequest.objects.filter(status="pending").exists()
