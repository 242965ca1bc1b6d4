"""Two approvers deciding one request at the same moment (PostgreSQL, real threads): exactly one decision."""

import threading
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection

from followups.models import Quote, QuoteStatus
from followups.services import DeskError, create_quote, decide_quote
from tests.followups.builders import DAY, case_of, term_ending


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_approvers_at_once_make_one_decision(desk):
    # given a manager-level request
    case = case_of(term_ending(DAY + timedelta(days=40), branch=desk.branch, follow_up=desk.specialist))
    quote = create_quote(case=case, staff=desk.specialist, insurer="平安产险", premium_compulsory=D("950.00"),
                         premium_commercial=D("10000.00"), discount=D("950.00"))  # fmt: skip
    barrier = threading.Barrier(2)
    outcomes = []

    def decide(approver, approve):
        try:
            barrier.wait(timeout=30)
            decide_quote(quote=Quote.objects.get(pk=quote.pk), approver=approver, approve=approve, comment="意见")
            outcomes.append("decided")
        except DeskError as error:
            outcomes.append(error.message)
        finally:
            connection.close()

    # when the manager approves while the GM rejects
    threads = [threading.Thread(target=decide, args=args) for args in ((desk.manager, True), (desk.gm, False))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then one of them decided, the other was told it was already decided
    assert outcomes.count("decided") == 1
    assert any("无需再审批" in outcome for outcome in outcomes)
    assert Quote.objects.get(pk=quote.pk).status in (QuoteStatus.APPROVED, QuoteStatus.REJECTED)
