"""A realistic branch month for the browser test and the screenshots: the mock-up's cast in 成都高新店, 2026-05,
with renewals on both channels, assigned cases in the cohort (and April's, for the improvement award), a special
award and satisfaction scores."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from followups.models import CaseState
from incentives.models import SpecialAward, TeamSatisfaction
from policies.models import Channel
from renewal_desk.roles import Role
from tests.factories import make_branch, make_staff
from tests.incentives.builders import cases, cohort_case, renewal

MAY, APRIL = date(2026, 5, 1), date(2026, 4, 1)


def build_scenario() -> dict:
    branch = make_branch("CD01", name="成都高新店", city="成都", programme_start=date(2026, 3, 1))
    people = {
        "lead": make_staff(branch, Role.LEAD, employee_no="CD0101", name="陈志强", team="续保一组"),
        "yang": make_staff(branch, Role.SPECIALIST, Role.CALLBACK, employee_no="CD0102", name="杨雪",
                           team="续保一组", base_salary=Decimal("4500.00")),
        "liu": make_staff(branch, Role.SPECIALIST, Role.CALLBACK, employee_no="CD0103", name="刘婷",
                          team="续保二组", base_salary=Decimal("4200.00")),
        "huang": make_staff(branch, Role.SPECIALIST, Role.CALLBACK, employee_no="CD0104", name="黄磊",
                            team="续保二组", is_team_leader=True, base_salary=Decimal("4500.00")),
        "seller": make_staff(branch, Role.SELLER, employee_no="CD0201", name="王顾问", team="续保一组"),
        "finance": make_staff(branch, Role.FINANCE, employee_no="CD0901", name="孙丽"),
        "finance2": make_staff(branch, Role.FINANCE, employee_no="CD0902", name="赵敏"),
        "admin": make_staff(branch, Role.ADMIN, employee_no="CD0801", name="林涛"),
        "admin2": make_staff(branch, Role.ADMIN, employee_no="CD0802", name="王磊"),
        "manager": make_staff(branch, Role.MANAGER, employee_no="CD0701", name="周涛"),
    }  # fmt: skip
    specialists = [people["yang"], people["liu"], people["huang"]]
    sold = [(people["yang"], 6, 2), (people["liu"], 4, 2), (people["huang"], 3, 1)]
    for specialist, store, telesales in sold:
        for index in range(store + telesales):
            renewal(
                branch,
                signed_on=date(2026, 5, 5 + index),
                t_date=date(2026, 5, 10 + index),
                channel=Channel.TELESALES if index >= store else Channel.STORE,
                callback=specialist,
                seller=people["seller"] if index % 2 == 0 else None,
                lead=people["lead"],
                assignee=specialist,
                full_cover=index % 4 != 3,
            )
    for specialist, extra, april in zip(specialists, (4, 6, 9), (8, 5, 4), strict=True):
        for index in range(extra):
            state = CaseState.LOST if index % 2 else CaseState.FOLLOWING
            cohort_case(branch, assignee=specialist, t_date=date(2026, 5, 20), state=state)
        cases(branch, assignee=specialist, t_month=APRIL, due=12, renewed=april, full_cover=april - 1)
    SpecialAward.objects.create(
        staff=people["huang"],
        month=MAY,
        kind="win_back",
        amount=Decimal("1000.00"),
        note="挽回客户 川A·7F3K9",
        entered_by=people["manager"],
    )
    TeamSatisfaction.objects.create(
        branch=branch, team="续保一组", month=MAY, score=Decimal("92"), target=Decimal("90")
    )
    TeamSatisfaction.objects.create(
        branch=branch, team="续保二组", month=MAY, score=Decimal("86.5"), target=Decimal("90")
    )
    other = make_branch("BJ01", name="北京亚运村店", city="北京", programme_start=date(2025, 1, 1))
    make_branch("BJ02", name="北京望京店", city="北京", programme_start=None)
    for number in range(8):  # enough people group-wide for the ranking (N ≥ 10)
        person = make_staff(other, Role.SPECIALIST, employee_no=f"BJ01{number:02d}", name=f"北京专员{number}")
        cases(other, assignee=person, t_month=MAY, due=10, renewed=number % 6 + 1, full_cover=number % 6)
    return {"branch": branch, "people": people, "other": other}
