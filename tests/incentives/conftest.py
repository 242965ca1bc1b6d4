from datetime import date
from decimal import Decimal

import pytest

from renewal_desk.roles import Role
from tests.factories import make_branch, make_staff

MAY = date(2026, 5, 1)


@pytest.fixture
def cd01(db):
    """A branch in its programme's 3rd month in May 2026 (no targets needed yet)."""
    return make_branch("CD01", name="成都高新店", city="成都", programme_start=date(2026, 3, 1))


@pytest.fixture
def people(cd01):
    """The mock-up's cast: a lead, two specialists who also call back, a seller, finance, admins and a manager."""
    return {
        "lead": make_staff(cd01, Role.LEAD, employee_no="CD0101", name="陈志强"),
        "yang": make_staff(
            cd01,
            Role.SPECIALIST,
            Role.CALLBACK,
            employee_no="CD0102",
            name="杨雪",
            team="续保一组",
            base_salary=Decimal("4500.00"),
        ),
        "huang": make_staff(
            cd01,
            Role.SPECIALIST,
            Role.CALLBACK,
            employee_no="CD0104",
            name="黄磊",
            team="续保二组",
            is_team_leader=True,
            base_salary=Decimal("4500.00"),
        ),
        "seller": make_staff(cd01, Role.SELLER, employee_no="CD0201", name="王顾问"),
        "finance": make_staff(cd01, Role.FINANCE, employee_no="CD0901", name="孙丽"),
        "finance2": make_staff(cd01, Role.FINANCE, employee_no="CD0902", name="赵敏"),
        "admin": make_staff(cd01, Role.ADMIN, employee_no="CD0801", name="林涛"),
        "admin2": make_staff(cd01, Role.ADMIN, employee_no="CD0802", name="王磊"),
        "manager": make_staff(cd01, Role.MANAGER, employee_no="CD0701", name="周涛"),
    }
