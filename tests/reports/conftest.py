"""A hand-built month (2026-05) with known figures, written through the desk's services where they exist.

Branch BJ01 (北京亚运村店), T in May, cut-off 2026-06-01 01:00:
  r1 renewed, 全保, 到店, signed 05-10, quote 0%        (specialist 王芳; callback 王芳, seller 李强, lead 赵磊)
  r2 renewed, 全保, 到店, signed 05-12, quote 8%        (王芳; closed, then reassigned to 陈晨 after closing)
  r3 renewed, not 全保, 电销, signed 05-20, quote 10%   (陈晨)
  r4 renewed, not 全保, 到店, signed 05-28, no quote    (陈晨)
  l1 战败 PRICE reviewed                                  (王芳)
  x1 已排除 VEHICLE_SOLD reviewed                          (王芳)
  p1 战败待审 UNREACHABLE (not reviewed yet)              (陈晨)
  o1 跟进中                                               (unassigned)
  late renewed only after the cut-off (06-01 02:00), renewal signed 05-31, quote 14%  (王芳)
  → 应续 9, 排除 1, 可续 8, 续回 4, 全保 2, 战败(已审) 2, 待审 1, 未结 3 (p1, o1, late)
  April cohort: a1 renewed (signed 04-20) and a2 open; a3 renewed late, signed 05-03 到店 (counts in May's sales)
  → April 3 cases, 2 renewed.
Branch CD01 (成都高新店): c1 renewed 全保 到店 signed 04-25 (sold in April), c2 已排除 MOVED_AWAY; no April cases.
Branch SZ01 (深圳南山店): no data at all (a row of zeros).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from followups.models import Case, CaseEvent, CaseState, FailureReason, Quote, QuoteStatus
from followups.services import propose_loss, record_renewal, review_loss
from policies.models import Channel
from renewal_desk.months import add_months, month_start
from reports.periods import month_end_cut_off
from tests.factories import insurer, make_branch, make_customer, make_staff, make_term

MAY = date(2026, 5, 1)
APRIL = date(2026, 4, 1)
CUT_OFF = month_end_cut_off(MAY)


def local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture(autouse=True)
def _clean_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


class World:
    def __init__(self):
        self.bj = make_branch("BJ01", name="北京亚运村店")
        self.cd = make_branch("CD01", name="成都高新店", city="成都")
        self.sz = make_branch("SZ01", name="深圳南山店", city="深圳")
        self.wang = make_staff(self.bj, "specialist", employee_no="BJ101", name="王芳")
        self.chen = make_staff(self.bj, "specialist", employee_no="BJ102", name="陈晨")
        self.li = make_staff(self.bj, "seller", employee_no="BJ201", name="李强")
        self.zhao = make_staff(self.bj, "lead", employee_no="BJ001", name="赵磊")
        self.manager = make_staff(self.bj, "manager", employee_no="BJ002", name="孙经理")
        self.cd_lead = make_staff(self.cd, "lead", employee_no="CD001", name="刘洋")
        self.cd_manager = make_staff(self.cd, "manager", employee_no="CD002", name="周经理")
        self.cases: dict[str, Case] = {}

    def case(self, key, branch, *, t: date, assignee=None, category=1, customer_name="张三", mobile="13812345678"):
        customer = make_customer(customer_name, mobile)
        expiring = make_term(branch=branch, customer=customer, start_on=add_months(t + timedelta(days=1), -12))
        created_on = t - timedelta(days=90)
        case = Case.objects.create(
            branch=branch, vehicle=expiring.vehicle, customer=customer, expiring_term=expiring, t_date=t,
            t_month=month_start(t), category=category, assignee=assignee,
            state=CaseState.FOLLOWING if assignee else CaseState.UNASSIGNED,
            handoff_due_on=add_months(t, -1), created_on=created_on,
        )  # fmt: skip
        created = local(created_on, 6)
        Case.objects.filter(pk=case.pk).update(created_at=created)
        CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.CREATED, at=created, to_state=case.state)
        if assignee:
            CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.ASSIGNED, at=created, to_assignee=assignee)
        self.cases[key] = case
        return case

    def renew(self, key, *, signed: date, at: datetime, by, channel=Channel.STORE, full_cover=True, credits=None):
        case = Case.objects.get(pk=self.cases[key].pk)
        term = make_term(
            branch=case.branch, vehicle=case.vehicle, customer=case.customer, start_on=case.t_date + timedelta(days=1),
            signed_on=signed, channel=channel, full_cover=full_cover, **(credits or {}),
        )  # fmt: skip
        record_renewal(case=case, by=by, channel=channel, term=term, at=at)
        return term

    def lose(self, key, reason, *, by, reviewer, proposed: datetime, reviewed: datetime | None):
        case = Case.objects.get(pk=self.cases[key].pk)
        propose_loss(case=case, by=by, reason=reason, at=proposed)
        if reviewed is not None:
            review_loss(case=case, reviewer=reviewer, approve=True, at=reviewed)

    def accepted_quote(self, key, rate: str, *, at: datetime, by):
        premium = Decimal("4000.00")
        return Quote.objects.create(
            case=self.cases[key], requested_by=by, created_at=at, insurer=insurer(), premium_commercial=premium,
            premium_compulsory=Decimal("950.00"), discount=(premium * Decimal(rate)).quantize(Decimal("0.01")),
            discount_rate=Decimal(rate), status=QuoteStatus.ACCEPTED,
        )  # fmt: skip


def build_world() -> World:
    w = World()
    lead_credits = {"callback": w.wang, "seller": w.li, "lead": w.zhao}
    may = lambda day: date(2026, 5, day)  # noqa: E731

    w.case("r1", w.bj, t=may(10), assignee=w.wang, customer_name='=HYPERLINK("http://evil","点我")')
    w.case("r2", w.bj, t=may(12), assignee=w.wang, category=2)
    w.case("r3", w.bj, t=may(15), assignee=w.chen, category=2)
    w.case("r4", w.bj, t=may(20), assignee=w.chen, category=3)
    w.case("l1", w.bj, t=may(5), assignee=w.wang)
    w.case("x1", w.bj, t=may(6), assignee=w.wang, category=4)
    w.case("p1", w.bj, t=may(8), assignee=w.chen, category=3)
    w.case("o1", w.bj, t=may(25))
    w.case("late", w.bj, t=may(31), assignee=w.wang)
    w.case("a1", w.bj, t=date(2026, 4, 10), assignee=w.wang)
    w.case("a2", w.bj, t=date(2026, 4, 12), assignee=w.wang)
    w.case("a3", w.bj, t=date(2026, 4, 28), assignee=w.chen)
    w.case("c1", w.cd, t=may(3))
    w.case("c2", w.cd, t=may(4), category=2)

    w.accepted_quote("r1", "0", at=local(may(8)), by=w.wang)
    w.renew("r1", signed=may(10), at=local(may(10)), by=w.wang, credits=lead_credits)
    w.accepted_quote("r2", "0.08", at=local(may(11)), by=w.wang)
    w.renew("r2", signed=may(12), at=local(may(12)), by=w.wang, credits={"callback": w.wang, "lead": w.zhao})
    CaseEvent.objects.create(  # reassigned after it closed: it still counts for 王芳
        case=w.cases["r2"], kind=CaseEvent.Kind.ASSIGNED, at=local(may(20)), from_assignee=w.wang, to_assignee=w.chen
    )
    Case.objects.filter(pk=w.cases["r2"].pk).update(assignee=w.chen)
    w.accepted_quote("r3", "0.10", at=local(may(14)), by=w.chen)
    w.renew("r3", signed=may(20), at=local(may(20)), by=w.chen, channel=Channel.TELESALES, full_cover=False,
            credits={"callback": w.chen})  # fmt: skip
    w.renew("r4", signed=may(28), at=local(may(28)), by=w.chen, full_cover=False)
    w.lose("l1", FailureReason.PRICE, by=w.wang, reviewer=w.manager, proposed=local(may(13)), reviewed=local(may(14)))
    w.lose("x1", FailureReason.VEHICLE_SOLD, by=w.wang, reviewer=w.manager, proposed=local(may(7)),
           reviewed=local(may(9)))  # fmt: skip
    w.lose("p1", FailureReason.UNREACHABLE, by=w.chen, reviewer=None, proposed=local(may(16)), reviewed=None)
    w.accepted_quote("late", "0.14", at=local(may(30)), by=w.wang)
    w.renew("late", signed=may(31), at=local(date(2026, 6, 1), 2), by=w.wang)

    w.renew("a1", signed=date(2026, 4, 20), at=local(date(2026, 4, 20)), by=w.wang)
    w.renew("a3", signed=date(2026, 5, 3), at=local(date(2026, 5, 3)), by=w.chen)

    w.renew("c1", signed=date(2026, 4, 25), at=local(date(2026, 4, 25)), by=w.cd_lead)
    w.lose("c2", FailureReason.MOVED_AWAY, by=w.cd_lead, reviewer=w.cd_manager, proposed=local(may(2)),
           reviewed=local(may(3)))  # fmt: skip
    return w


@pytest.fixture
def world(db) -> World:
    return build_world()
