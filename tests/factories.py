"""Test data builders that go through the real services (no hand-rolled rows for domain objects)."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta
from decimal import Decimal

from policies.models import Branch, Channel, Customer, Insurer, Policy, PolicyKind, Staff, Vehicle, VehicleTerm
from policies.services import create_staff, rebuild_terms
from policies.validation import vin_check_digit

_counter = itertools.count(1)
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def make_vin(seed: int | None = None) -> str:
    rng = random.Random(seed if seed is not None else next(_counter) * 7919)
    body = (
        "LSV"
        + "".join(rng.choice(VIN_CHARS) for _ in range(5))
        + "0"
        + "".join(rng.choice(VIN_CHARS) for _ in range(8))
    )
    return body[:8] + vin_check_digit(body) + body[9:]


def make_plate(n: int | None = None) -> str:
    n = next(_counter) if n is None else n
    return f"京A{n % 100000:05d}"


def make_branch(code: str | None = None, **fields) -> Branch:
    code = code or f"B{next(_counter):03d}"
    defaults = {"name": f"测试门店{code}", "city": "北京", "programme_start": date(2024, 1, 1)}
    defaults.update(fields)
    return Branch.objects.create(code=code, **defaults)


def make_staff(branch: Branch, *roles: str, employee_no: str | None = None, name: str | None = None, **fields) -> Staff:
    number = employee_no or f"E{next(_counter):05d}"
    return create_staff(
        employee_no=number, name=name or f"员工{number}", branch=branch, roles=roles or ("specialist",),
        password=fields.pop("password", "pass-1234-word"), **fields,
    )  # fmt: skip


def make_customer(name: str = "张三", mobile: str = "13812345678", **fields) -> Customer:
    return Customer.objects.create(name=name, mobile=mobile, **fields)


def insurer(name: str = "平安产险") -> Insurer:
    return Insurer.objects.get_or_create(name=name)[0]


def make_term(
    *,
    branch: Branch,
    vehicle: Vehicle | None = None,
    customer: Customer | None = None,
    start_on: date,
    kinds: tuple[str, ...] = (PolicyKind.COMPULSORY, PolicyKind.COMMERCIAL),
    premium_compulsory: Decimal = Decimal("950.00"),
    premium_commercial: Decimal = Decimal("4512.00"),
    full_cover: bool = True,
    channel: str = Channel.STORE,
    signed_on: date | None = None,
    previous_policy_no: str = "",
    insurer_name: str = "平安产险",
    **credits,
) -> VehicleTerm:
    """One vehicle-term of one year from start_on (policies + rebuilt term), as the importer would write it."""
    customer = customer or make_customer()
    vehicle = vehicle or Vehicle.objects.create(
        vin=make_vin(), plate=make_plate(), model_name="大众 迈腾", owner=customer
    )
    end_on = start_on.replace(year=start_on.year + 1) - timedelta(days=1)
    for kind in kinds:
        is_commercial = kind == PolicyKind.COMMERCIAL
        Policy.objects.create(
            insurer=insurer(insurer_name),
            policy_no=f"P{next(_counter):08d}",
            kind=kind,
            branch=branch,
            vehicle=vehicle,
            insured=customer,
            signed_on=signed_on or start_on - timedelta(days=3),
            start_on=start_on,
            end_on=end_on,
            premium=premium_commercial if is_commercial else premium_compulsory,
            coverages=["车损险", "三者险(100万)"]
            if is_commercial and full_cover
            else (["三者险(50万)"] if is_commercial else []),
            has_vehicle_damage=is_commercial and full_cover,
            third_party_limit=(1_000_000 if full_cover else 500_000) if is_commercial else None,
            channel=channel,
            previous_policy_no=previous_policy_no,
            **credits,
        )
    rebuild_terms([vehicle.pk])
    return vehicle.terms.get(start_on=start_on)
