"""Benchmark: `compute_payout` of one branch month with 10,000 renewals against a plain SQL aggregate of the same
counts, in the same run (DESIGN.md: "the monthly payout is set-based SQL, not a Python loop per policy").

    DJANGO_DEBUG=True python -m bench.bench_payout [--renewals 10000] [--repeat 5]
    DJANGO_DEBUG=True python -m bench.bench_payout --demo-policies 1000000 [--repeat 3] [--keep-db] \
        [--lock-month-before]

A throwaway test database is created (SQLite in memory, or test_<name> on PostgreSQL when DATABASE_URL points
there) and filled with bulk inserts: one branch past its ramp window, 30 staff with targets, N renewals sold in May
2026 (a quarter of them telesales) crediting callback / seller / lead, their N cohort cases assigned to 12
specialists (most renewed), April's cohort for the improvement award, and a second branch for the group ranking.

Measured (median of --repeat runs, after one warm-up): the whole `compute_payout` — facts gathered with a few
aggregate queries, the pure engine per person, the lines written — against the same aggregates as bare SQL
(credits × channel; cases per assignee; team rates of two cohorts; the group ranking). Target ≤ 3×; the query count
must not depend on N.

--demo-policies N: the whole group instead of one synthetic branch. A fresh throwaway database (`bench_payout_demo`
on the DATABASE_URL's PostgreSQL server, dropped and re-created; otherwise a temporary SQLite file) is migrated and
filled by policies.demo.seed_demo(policies=N, build_cases=True) — the daily job creates the cases. Then last month's
payout of EVERY branch is computed with `compute_all_payouts` (by the group's finance login; set-based across
branches: its query count does not depend on the number of branches). A branch whose run is refused (from its 4th
programme month every lead, callback and seller needs a target; the demo seed normally creates them) is reported with
the refusal text, and its missing targets are created (incentives.models.Target) before timing, so every branch is
measured. With --lock-month-before, the month before is first computed, approved by a second finance login and
locked for every branch, and 20 of its renewals are then cancelled: the pass also recomputes that locked month and
books its corrections, as every month does in the steady state. Timed (median of --repeat passes, after a warm-up
pass; seeding is not measured): `compute_all_payouts` against two plain GROUP BY queries of the same counts for the
whole group (renewals sold last month per branch × credited callback / seller / lead × channel; last month's cohort
cases per branch × assignee). Also printed: the queries of one pass, and, to split database from Django, that pass's
SELECTs replayed through a bare cursor with the three costliest query shapes. The database is dropped at the end
unless --keep-db.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAY, APRIL = date(2026, 5, 1), date(2026, 4, 1)

BASELINE_SQL = [
    # COM: renewals sold in the month per (callback, seller, lead, channel)
    """SELECT callback_id, seller_id, lead_id, channel, COUNT(*) FROM policies_vehicleterm
       WHERE branch_id = %(branch)s AND signed_on >= %(first)s AND signed_on <= %(last)s
         AND renewal_kind IN ('renewal', 'lapsed') AND cancelled_on IS NULL
       GROUP BY callback_id, seller_id, lead_id, channel""",
    # BONUS / SALARY: the cohort's cases per assignee
    """SELECT c.assignee_id, COUNT(*),
              SUM(CASE WHEN NOT c.removed_from_renewable THEN 1 ELSE 0 END),
              SUM(CASE WHEN c.state = 'renewed' AND t.cancelled_on IS NULL THEN 1 ELSE 0 END),
              SUM(CASE WHEN c.state = 'renewed' AND t.cancelled_on IS NULL AND t.full_cover THEN 1 ELSE 0 END)
       FROM followups_case c LEFT JOIN policies_vehicleterm t ON t.id = c.renewal_term_id
       WHERE c.branch_id = %(branch)s AND c.t_month = %(month)s AND c.assignee_id IS NOT NULL
       GROUP BY c.assignee_id""",
    # TEAM: renewal rate per team, this cohort and the previous one
    """SELECT c.t_month, s.team, COUNT(*),
              SUM(CASE WHEN c.state = 'renewed' AND t.cancelled_on IS NULL THEN 1 ELSE 0 END)
       FROM followups_case c LEFT JOIN policies_staff s ON s.id = c.assignee_id
            LEFT JOIN policies_vehicleterm t ON t.id = c.renewal_term_id
       WHERE c.branch_id = %(branch)s AND c.t_month IN (%(previous)s, %(month)s)
       GROUP BY c.t_month, s.team""",
    # RANK: every branch's cohort per assignee, with renewed premium
    """SELECT s.employee_no, COUNT(*),
              SUM(CASE WHEN c.state = 'renewed' AND t.cancelled_on IS NULL THEN 1 ELSE 0 END),
              SUM(CASE WHEN c.state = 'renewed' AND t.cancelled_on IS NULL
                       THEN t.premium_compulsory + t.premium_commercial ELSE 0 END)
       FROM followups_case c JOIN policies_staff s ON s.id = c.assignee_id
            LEFT JOIN policies_vehicleterm t ON t.id = c.renewal_term_id
       WHERE c.t_month = %(month)s GROUP BY s.employee_no""",
]


DEMO_DATABASE = "bench_payout_demo"
DEMO_BASELINE_SQL = [
    # renewals sold in the month per branch × credited (callback, seller, lead) × channel
    """SELECT branch_id, callback_id, seller_id, lead_id, channel, COUNT(*) FROM policies_vehicleterm
       WHERE signed_on >= %(first)s AND signed_on <= %(last)s
         AND renewal_kind IN ('renewal', 'lapsed') AND cancelled_on IS NULL
       GROUP BY branch_id, callback_id, seller_id, lead_id, channel""",
    # the month's cohort cases per branch × assignee: 应续, 可续, 续回, 全保
    """SELECT c.branch_id, c.assignee_id, COUNT(*),
              SUM(CASE WHEN NOT c.removed_from_renewable THEN 1 ELSE 0 END),
              SUM(CASE WHEN c.state = 'renewed' AND t.cancelled_on IS NULL THEN 1 ELSE 0 END),
              SUM(CASE WHEN c.state = 'renewed' AND t.cancelled_on IS NULL AND t.full_cover THEN 1 ELSE 0 END)
       FROM followups_case c LEFT JOIN policies_vehicleterm t ON t.id = c.renewal_term_id
       WHERE c.t_month = %(month)s AND c.assignee_id IS NOT NULL
       GROUP BY c.branch_id, c.assignee_id""",
]


def setup_django() -> None:
    sys.path.insert(0, ROOT)
    os.environ.setdefault("DJANGO_DEBUG", "True")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()


def build(renewals: int) -> dict:
    from followups.models import Case
    from incentives.models import Target
    from policies.models import Branch, Vehicle, VehicleTerm
    from policies.services import create_staff

    branch = Branch.objects.create(code="BENCH", name="基准门店", programme_start=date(2025, 1, 1))
    other = Branch.objects.create(code="BENCH2", name="基准二店", programme_start=date(2025, 1, 1))
    teams = ("续保一组", "续保二组", "续保三组")

    def person(number: str, *roles: str, team: str = "", home=branch, leader: bool = False):
        return create_staff(employee_no=number, name=f"员工{number}", branch=home, roles=roles, team=team,
                            is_team_leader=leader, base_salary=Decimal("4500.00"))  # fmt: skip

    lead = person("B0001", "lead", team=teams[0])
    specialists = [person(f"B01{i:02d}", "specialist", "callback", team=teams[i % 3], leader=i < 3) for i in range(12)]
    sellers = [person(f"B02{i:02d}", "seller", team=teams[i % 3]) for i in range(10)]
    others = [person(f"C01{i:02d}", "specialist", home=other) for i in range(8)]
    Target.objects.bulk_create(
        Target(branch=branch, month=MAY, staff=staff, count=100) for staff in [lead, *specialists, *sellers]
    )
    vehicles = Vehicle.objects.bulk_create(
        Vehicle(vin=f"LBENCH{index:011d}", plate=f"川A{index % 100000:05d}") for index in range(renewals + 2400)
    )
    previous_terms, renewal_terms, cases = [], [], []
    for index in range(renewals):
        t_date = MAY + timedelta(days=index % 31)
        previous_terms.append(_term(vehicles[index], branch, start=t_date.replace(year=2025) + timedelta(days=1),
                                    signed=date(2025, 4, 20)))  # fmt: skip
    VehicleTerm.objects.bulk_create(previous_terms, batch_size=2000)
    for index in range(renewals):
        previous = previous_terms[index]
        term = _term(vehicles[index], branch, start=previous.t_date + timedelta(days=1),
                     signed=MAY + timedelta(days=index % 31), kind="renewal", previous=previous)  # fmt: skip
        term.channel = "telesales" if index % 4 == 0 else "store"
        term.callback = specialists[index % 12]
        term.seller = sellers[index % 10] if index % 3 else None
        term.lead = lead if index % 5 else None
        term.full_cover = index % 7 != 0
        renewal_terms.append(term)
    VehicleTerm.objects.bulk_create(renewal_terms, batch_size=2000)
    for index in range(renewals):
        renewed = index % 10 < 7
        cases.append(_case(vehicles[index], branch, specialists[index % 12], previous_terms[index].t_date,
                           renewal_terms[index] if renewed else None))  # fmt: skip
    for offset in range(2000):  # April's cohort: the improvement award's previous month
        vehicle = vehicles[renewals + offset]
        cases.append(_case(vehicle, branch, specialists[offset % 12], APRIL + timedelta(days=offset % 30), None,
                           state="renewed" if offset % 10 < 6 else "lost"))  # fmt: skip
    for offset in range(400):  # the other branch's people, for a ranking of N ≥ 10
        vehicle = vehicles[renewals + 2000 + offset]
        cases.append(_case(vehicle, other, others[offset % 8], MAY + timedelta(days=offset % 30), None,
                           state="renewed" if offset % 3 else "lost"))  # fmt: skip
    Case.objects.bulk_create(cases, batch_size=2000)
    return {"branch": branch, "finance": person("B0900", "finance")}


def _term(vehicle, branch, *, start: date, signed: date, kind: str = "new", previous=None):
    from policies.models import VehicleTerm

    end = date(start.year + 1, start.month, min(start.day, 28)) - timedelta(days=1)
    return VehicleTerm(
        vehicle=vehicle, branch=branch, start_on=start, t_date=end, last_end=end, signed_on=signed,
        has_compulsory=True, has_commercial=True, premium_compulsory=Decimal("950.00"),
        premium_commercial=Decimal("4512.00"), full_cover=True, renewal_kind=kind, previous_term=previous,
    )  # fmt: skip


def _case(vehicle, branch, assignee, t_date: date, renewal_term, state: str | None = None):
    from followups.models import Case

    return Case(
        branch=branch, vehicle=vehicle, t_date=t_date, t_month=t_date.replace(day=1), category=1,
        state=state or ("renewed" if renewal_term else "lost"), assignee=assignee,
        handoff_due_on=t_date - timedelta(days=30), created_on=t_date - timedelta(days=60), renewal_term=renewal_term,
    )  # fmt: skip


def baseline(branch_id: int) -> int:
    from django.db import connection

    params = {"branch": branch_id, "first": MAY, "last": date(2026, 5, 31), "month": MAY, "previous": APRIL}
    rows = 0
    with connection.cursor() as cursor:
        for sql in BASELINE_SQL:
            cursor.execute(sql, params)
            rows += len(cursor.fetchall())
    return rows


def timed(function, repeat: int) -> float:
    function()  # warm-up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


# --- --demo-policies: the whole demo group ---------------------------------------------------------


def prepare_demo_database(url: str | None):
    """A fresh, empty database for the demo mode: its URL and a function that removes it."""
    from urllib.parse import urlsplit

    if url and urlsplit(url).scheme in ("postgres", "postgresql", "pgsql", "psql"):
        import psycopg

        parts = urlsplit(url)
        admin_url = parts._replace(path="/postgres").geturl()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DEMO_DATABASE} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {DEMO_DATABASE}")

        def drop() -> None:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DEMO_DATABASE} WITH (FORCE)")

        return parts._replace(path=f"/{DEMO_DATABASE}").geturl(), drop
    import shutil
    import tempfile

    directory = tempfile.mkdtemp(prefix="bench_payout_demo_")
    return f"sqlite:///{directory}/bench.sqlite3", lambda: shutil.rmtree(directory, ignore_errors=True)


def demo_baseline(month: date) -> int:
    from django.db import connection

    from renewal_desk.months import month_end

    params = {"first": month, "last": month_end(month), "month": month}
    rows = 0
    with connection.cursor() as cursor:
        for sql in DEMO_BASELINE_SQL:
            cursor.execute(sql, params)
            rows += len(cursor.fetchall())
    return rows


def add_missing_targets(branch, month: date) -> int:
    """Targets for the branch's leads, callbacks and sellers who lack one: the branch's renewals sold that month
    shared among them (at least 10 each). Returns the number created."""
    from django.db.models import Exists, OuterRef

    from incentives.models import Target
    from incentives.services.facts import sold_renewals
    from incentives.services.payouts import TARGET_ROLES
    from policies.models import Staff
    from renewal_desk.months import month_end

    has_target = Target.objects.filter(branch=branch, month=month, staff=OuterRef("pk"))
    people = list(
        Staff.objects.filter(branch=branch, active=True, user__groups__name__in=TARGET_ROLES)
        .exclude(Exists(has_target))
        .distinct()
    )
    sold = sold_renewals(periods={branch.pk: (month, month_end(month))}).count()
    share = max(10, round(sold / max(1, len(people))))
    Target.objects.bulk_create(Target(branch=branch, month=month, staff=person, count=share) for person in people)
    return len(people)


def lock_month_before(month: date, by, *, cancel: int = 20) -> str:
    """The month before `month` as finance leaves it in the steady state — every branch computed, approved by a
    second finance login and locked — then `cancel` of its renewals cancelled (退保), so the timed pass recomputes
    the locked month and books corrections. Returns what was done, for the output."""
    from datetime import timedelta

    from incentives.errors import IncentiveError
    from incentives.services import approve_payout, compute_all_payouts, lock_payout
    from incentives.services.facts import sold_renewals
    from policies.models import Branch, Policy, Staff
    from policies.services import create_staff, rebuild_terms
    from renewal_desk.months import add_months, month_end, month_label
    from renewal_desk.roles import Role

    before = add_months(month, -1)
    checker = (
        Staff.objects.filter(active=True, user__groups__name=Role.FINANCE).exclude(pk=by.pk).order_by("employee_no")
    ).first() or create_staff(employee_no="BENCH-FIN2", name="复核财务", branch=by.branch, roles=[Role.FINANCE])
    for code, outcome in compute_all_payouts(month=before, by=by).items():
        if isinstance(outcome, IncentiveError):
            add_missing_targets(Branch.objects.get(code=code), before)
    locked = 0
    for outcome in compute_all_payouts(month=before, by=by).values():
        if not isinstance(outcome, IncentiveError):
            lock_payout(run=approve_payout(run=outcome, by=checker), by=checker)
            locked += 1
    sold = sold_renewals(
        periods={pk: (before, month_end(before)) for pk in Branch.objects.values_list("pk", flat=True)}
    )
    terms = list(sold.order_by("pk").values_list("pk", "vehicle_id")[: cancel * 20 : 20])
    Policy.objects.filter(term_id__in=[pk for pk, _ in terms]).update(cancelled_on=month + timedelta(days=2))
    rebuild_terms([vehicle for _, vehicle in terms])
    return (f"{month_label(before)} locked for {locked} branches (approved by {checker.employee_no}), "
            f"then {len(terms)} of its renewals cancelled")  # fmt: skip


def print_slowest(reads: list[str], top: int = 3) -> None:
    """The read shapes (literals blanked) that take most of one replay, for the README's "where the time goes"."""
    import re

    from django.db import connection

    shapes: dict[str, list[float]] = {}
    with connection.cursor() as cursor:
        for sql in reads:
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            shape = re.sub(r"'[^']*'|\b\d+\b", "?", sql)
            shapes.setdefault(shape, []).append(time.perf_counter() - started)
    slowest = sorted(shapes.items(), key=lambda item: -sum(item[1]))[:top]
    for shape, samples in slowest:
        text = " ".join(shape.split())
        where = text.find(" FROM ")
        print(f"    {sum(samples) * 1000:8.1f} ms in {len(samples):3d} × {text[:70]} …{text[where : where + 230]}")


def demo_main(options) -> None:
    url, cleanup = prepare_demo_database(os.environ.get("DATABASE_URL"))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    setup_django()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from followups.models import Case
    from incentives.errors import IncentiveError
    from incentives.models import PayoutLine, PayoutRun
    from incentives.services import compute_all_payouts
    from incentives.services.adjustments import locked_runs_to_correct
    from policies.demo import seed_demo
    from policies.models import Branch, Policy, Staff
    from renewal_desk.months import add_months, month_label, month_start
    from renewal_desk.roles import Role

    try:
        call_command("migrate", "--noinput", verbosity=0)
        today = timezone.localdate()
        started = time.perf_counter()
        seed_demo(policies=options.demo_policies, today=today, build_cases=True)
        seeded = time.perf_counter() - started
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        reset_queries()
        month = add_months(month_start(today), -1)
        branches = {branch.code: branch for branch in Branch.objects.order_by("code")}
        preparers = Staff.objects.filter(active=True).order_by("employee_no")
        by = (
            preparers.filter(user__groups__name=Role.FINANCE).first()
            or preparers.filter(user__groups__name=Role.ADMIN).first()
        )
        print(f"seeded {Policy.objects.count():,} policies, {Case.objects.count():,} cases, {len(branches)} branches "
              f"in {seeded:.1f} s on {connection.vendor} (today {today}; not measured)")  # fmt: skip
        print(f"payout month {month_label(month)}, computed by {by.employee_no} {by.name}")
        # First pass: refusals reported; a branch refused for missing targets gets them, so every branch is timed.
        for code, outcome in compute_all_payouts(month=month, by=by).items():
            if isinstance(outcome, IncentiveError):
                created = add_missing_targets(branches[code], month)
                print(f"  refused {code}: {outcome}")
                print(f"    → created {created} missing targets")
        refused = {code: outcome for code, outcome in compute_all_payouts(month=month, by=by).items()
                   if isinstance(outcome, IncentiveError)}  # fmt: skip
        for code, outcome in refused.items():
            print(f"  still refused {code}: {outcome} (not computed)")
        if options.lock_month_before:
            print(lock_month_before(month, by))

        def all_branches() -> None:
            compute_all_payouts(month=month, by=by)

        with CaptureQueriesContext(connection) as captured:
            all_branches()
        payout = timed(all_branches, options.repeat)
        plain = timed(lambda: demo_baseline(month), options.repeat)
        # How much of the pass is its reads' SQL: the captured SELECTs (no locks) replayed through a bare cursor.
        reads = [
            item["sql"]
            for item in captured.captured_queries
            if item["sql"].lstrip().upper().startswith("SELECT") and "FOR UPDATE" not in item["sql"].upper()
        ]

        def replay() -> None:
            with connection.cursor() as cursor:
                for sql in reads:
                    cursor.execute(sql)
                    cursor.fetchall()

        try:
            reads_time = timed(replay, options.repeat)
        except Exception as error:  # a diagnostic only: the logged SQL may not be executable as is
            reads_time = None
            print(f"(replaying the pass's SELECTs failed: {type(error).__name__}: {error})")
        runs = PayoutRun.objects.filter(month=month)
        renewals = sum(run.store_count + run.telesales_count for run in runs)
        corrections = PayoutLine.objects.filter(run__month=month, adjusts_month__isnull=False)
        locked = locked_runs_to_correct(branches=list(branches.values()), month=month)
        print(f"payout runs: {runs.count()} branches, {sum(run.line_count for run in runs)} lines "
              f"({corrections.count()} correcting {len(locked)} locked runs, recomputed in the pass), "
              f"renewals sold {renewals:,}, cohort cases {Case.objects.filter(t_month=month).count():,}")  # fmt: skip
        print(f"compute_all_payouts          {payout * 1000:9.1f} ms  ({len(captured)} queries for "
              f"{len(branches)} branches)")  # fmt: skip
        if reads_time is not None:
            print(f"  of which its {len(reads)} SELECTs replayed through a bare cursor {reads_time * 1000:9.1f} ms")
            print_slowest(reads)
        print(f"plain SQL aggregate          {plain * 1000:9.1f} ms  ({len(DEMO_BASELINE_SQL)} queries)")
        print(f"ratio                        {payout / plain:9.2f}×")
    finally:
        connection.close()
        if not options.keep_db:
            cleanup()
        else:
            print(f"kept {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renewals", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=None, help="timed runs (default 5; 3 with --demo-policies)")
    parser.add_argument("--demo-policies", type=int, default=None, metavar="N",
                        help="every branch of a seed_demo group of N policies, last month")  # fmt: skip
    parser.add_argument("--keep-db", action="store_true", help="--demo-policies: leave the database behind")
    parser.add_argument("--lock-month-before", action="store_true",
                        help="--demo-policies: lock the month before first and cancel some of its renewals, so the "
                             "pass recomputes it and books corrections")  # fmt: skip
    options = parser.parse_args()
    if options.demo_policies:
        options.repeat = options.repeat or 3
        demo_main(options)
        return
    options.repeat = options.repeat or 5
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment, teardown_test_environment

    from incentives.services import compute_payout

    setup_test_environment()
    # A database of its own (tests may be running beside the benchmark on the same server).
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        ":memory:" if connection.vendor == "sqlite" else f"bench_payout_{os.getpid()}"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        data = build(options.renewals)
        print(f"built {options.renewals:,} renewals + cases in {time.perf_counter() - started:.1f} s "
              f"on {connection.vendor}")  # fmt: skip
        branch, finance = data["branch"], data["finance"]
        run = compute_payout(branch=branch, month=MAY, by=finance)
        with CaptureQueriesContext(connection) as captured:
            compute_payout(branch=branch, month=MAY, by=finance)
        payout = timed(lambda: compute_payout(branch=branch, month=MAY, by=finance), options.repeat)
        plain = timed(lambda: baseline(branch.pk), options.repeat)
        run.refresh_from_db()
        print(f"payout run: {run.line_count} lines, total {run.total:,.2f}, "
              f"renewals {run.store_count + run.telesales_count:,}")  # fmt: skip
        print(f"compute_payout      {payout * 1000:8.1f} ms  ({len(captured)} queries, independent of renewals)")
        print(f"plain SQL aggregate {plain * 1000:8.1f} ms  ({len(BASELINE_SQL)} queries)")
        print(f"ratio               {payout / plain:8.2f}×  (target ≤ 3×)")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
