"""Benchmark: today's list (followups.selectors.today_cases) against a raw SQL read of the same rows.

    python -m bench.bench_today_list                       # 100,000 policies: a quick run
    python -m bench.bench_today_list --policies 1000000    # the target of DESIGN.md ("fast at group scale")
    python -m bench.bench_today_list --keep                # reuse the database of the previous run (no reseed)

Setup (not measured against anything, but reported): a throwaway database — with DATABASE_URL pointing at
PostgreSQL, a database `renewal_desk_bench_today` on that server (dropped and re-created unless --keep); otherwise
a temporary SQLite file — migrated, filled by policies.demo.seed_demo, then the daily job (run_daily) for today.

Measured, in one process and the same run, median of --repeat runs after one warm-up each:
(a) selector: `list(today_cases(staff=…))` for the specialist with the most open cases — the whole list and its
    first page of 50, every row's list columns touched (plate, masked phone, urgency, latest quote);
(a') the selector's compiled SQL run through a bare cursor: how much of (a) is the database;
(b) baseline: a hand-written SQL SELECT of the same rows (case + vehicle + customer, the assignee's open cases by T),
    fetched with a bare cursor — the floor any ORM query over these rows stands on.
The ratio (a) ÷ (b) is the price of urgency ordering, the latest-quote subqueries and model instances.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "renewal_desk_bench_today"
PAGE = 50


def is_postgres(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme in ("postgres", "postgresql", "pgsql", "psql")


def prepare_database(url: str | None, *, keep: bool) -> tuple[str, bool]:
    """The bench database's URL, and whether it must be seeded."""
    if is_postgres(url):
        import psycopg

        parts = urlsplit(url)
        admin_url = parts._replace(path="/postgres").geturl()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]).fetchone()
            if exists and not keep:
                conn.execute(f"DROP DATABASE {BENCH_DATABASE} WITH (FORCE)")
            if not exists or not keep:
                conn.execute(f"CREATE DATABASE {BENCH_DATABASE}")
        return parts._replace(path=f"/{BENCH_DATABASE}").geturl(), not (exists and keep)
    path = Path(tempfile.gettempdir()) / "bench_today_list.sqlite3"
    if path.exists() and not keep:
        path.unlink()
    return f"sqlite:///{path}", not path.exists()


def timed(function, repeat: int) -> tuple[float, object]:
    function()  # warm-up: caches, plans, connection
    samples = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000, result


RAW_SQL = """
SELECT c.id, c.t_date, c.state, c.category, c.previous_insurer, c.checkpoint_45, c.checkpoint_33, c.checkpoint_30,
       c.next_contact_at, c.last_contact_at, v.plate, v.vin, cu.name, cu.mobile
FROM followups_case c
JOIN policies_vehicle v ON v.id = c.vehicle_id
LEFT JOIN policies_customer cu ON cu.id = c.customer_id
WHERE c.assignee_id = %s AND c.state IN ('unassigned', 'following', 'quoted', 'lapsed_follow')
ORDER BY c.t_date, c.id
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--policies", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="reuse the bench database of a previous run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    url, must_seed = prepare_database(os.environ.get("DATABASE_URL"), keep=args.keep)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_DEBUG", "True")
    os.environ["DJANGO_SETTINGS_MODULE"] = "renewal_desk.settings"
    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from followups.models import Case
    from followups.models.cases import OPEN_STATES
    from followups.selectors import today_cases
    from followups.services import run_daily
    from policies.demo import seed_demo
    from policies.models import Policy, Staff

    today = timezone.localdate()
    report: dict = {"backend": connection.vendor, "policies_requested": args.policies}
    call_command("migrate", "--noinput", verbosity=0)
    if must_seed:
        started = time.perf_counter()
        seed_demo(policies=args.policies, today=today, build_cases=False)
        report["seed_seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        daily = run_daily(day=today)
        report["run_daily_seconds"] = round(time.perf_counter() - started, 1)
        report["run_daily"] = daily.as_json()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    report["policies"] = Policy.objects.count()
    report["cases"] = Case.objects.count()
    busiest = (
        Case.objects.filter(state__in=OPEN_STATES, assignee__isnull=False)
        .values("assignee_id").annotate(n=Count("pk")).order_by("-n").first()
    )  # fmt: skip
    if busiest is None:
        print("no assigned open cases in the bench database: nothing to measure")
        return
    staff = Staff.objects.get(pk=busiest["assignee_id"])

    def selector_all():
        rows = list(today_cases(staff=staff, filters={}, day=today))
        return [(r.vehicle.plate, r.customer.masked_mobile if r.customer else "", r.urgency, r.last_quote_status)
                for r in rows]  # fmt: skip

    def selector_page():
        return [(r.vehicle.plate, r.urgency, r.last_quote_status)
                for r in today_cases(staff=staff, filters={}, day=today)[:PAGE]]  # fmt: skip

    compiled_sql, compiled_params = today_cases(staff=staff, filters={}, day=today).query.sql_with_params()

    def selector_sql():
        with connection.cursor() as cursor:
            cursor.execute(compiled_sql, compiled_params)
            return cursor.fetchall()

    def raw_all():
        with connection.cursor() as cursor:
            cursor.execute(RAW_SQL, [staff.pk])
            return cursor.fetchall()

    def raw_page():
        with connection.cursor() as cursor:
            cursor.execute(RAW_SQL + f" LIMIT {PAGE}", [staff.pk])
            return cursor.fetchall()

    with CaptureQueriesContext(connection) as captured:
        selector_all()
    report["selector_queries"] = len(captured)
    report["rows"] = busiest["n"]
    results = {}
    for name, function in (("selector_all", selector_all), ("selector_sql", selector_sql), ("raw_all", raw_all),
                           ("selector_page", selector_page), ("raw_page", raw_page)):  # fmt: skip
        results[name], rows = timed(function, args.repeat)
        assert rows is not None
    report.update({f"{name}_ms": round(value, 2) for name, value in results.items()})
    report["ratio_all"] = round(results["selector_all"] / results["raw_all"], 2)
    report["ratio_page"] = round(results["selector_page"] / results["raw_page"], 2)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return
    print(f"today's list benchmark on {report['backend']}: {report['policies']:,} policies, {report['cases']:,} cases")
    if "seed_seconds" in report:
        print(f"  setup: seed_demo {report['seed_seconds']} s, run_daily {report['run_daily_seconds']} s "
              f"→ {report['run_daily']}")  # fmt: skip
    print(
        f"  specialist {staff.employee_no}: {report['rows']} open cases, selector = {report['selector_queries']} query"
    )
    print(f"  whole list : selector {report['selector_all_ms']:8.2f} ms · raw SQL {report['raw_all_ms']:8.2f} ms "
          f"· ratio {report['ratio_all']}")  # fmt: skip
    print(
        f"  (the selector's own SQL through a bare cursor: {report['selector_sql_ms']:.2f} ms — the rest is Django "
        "compiling the query and building model instances)"
    )
    print(f"  first {PAGE}   : selector {report['selector_page_ms']:8.2f} ms · raw SQL {report['raw_page_ms']:8.2f} ms "
          f"· ratio {report['ratio_page']}")  # fmt: skip


if __name__ == "__main__":
    main()
