"""Benchmark: `seed_demo --policies N` beside a plain bulk insert of N policy rows, measured in the same run.

    python -m bench.bench_seed                       # 100,000 policies: a quick run
    python -m bench.bench_seed --policies 1000000    # the target of DESIGN.md ("fast at group scale")

The benchmark sets up its own throwaway database: with DATABASE_URL pointing at PostgreSQL, a fresh database
`renewal_desk_bench` on that server (dropped and re-created, then migrated); otherwise a temporary SQLite file.
Each measurement runs in a subprocess of its own and reports its wall time and peak memory
(resource.getrusage(RUSAGE_SELF).ru_maxrss), so one measurement's memory never hides another's.

(a) baseline: N rows with the policy table's columns, generated in Python and written to a bare table (no keys,
    indexes or constraints) — COPY on PostgreSQL, executemany in one transaction on SQLite;
(b) `manage.py seed_demo --policies N --no-cases` into the migrated database (everything it writes: branches,
    staff, customers, vehicles, vehicle-terms, policies, 保有客户 rows). `--with-cases` also runs the follow-up
    app's daily job at the end, when that app provides one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "renewal_desk_bench"
BASELINE_TABLE = "bench_policy_baseline"
BASELINE_COLUMNS = (
    ("id", "bigint"), ("insurer_id", "bigint"), ("policy_no", "varchar(60)"), ("kind", "varchar(12)"),
    ("branch_id", "bigint"), ("vehicle_id", "bigint"), ("term_id", "bigint"), ("insured_id", "bigint"),
    ("signed_on", "date"), ("start_on", "date"), ("end_on", "date"), ("premium", "numeric(12,2)"),
    ("coverages", "jsonb"), ("has_vehicle_damage", "boolean"), ("third_party_limit", "integer"),
    ("channel", "varchar(10)"), ("callback_id", "bigint"), ("seller_id", "bigint"), ("lead_id", "bigint"),
    ("follow_up_id", "bigint"), ("previous_policy_no", "varchar(60)"), ("cancelled_on", "date"),
    ("created_at", "timestamp with time zone"), ("updated_at", "timestamp with time zone"),
)  # fmt: skip


def is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in ("postgres", "postgresql", "pgsql", "psql")


# --- measurements (each in its own subprocess) ------------------------------------------------------


def baseline_rows(count: int):
    """Policy-shaped rows, as cheap to build as rows can be: the floor any loader of N policies stands on."""
    rng = random.Random(1)
    start = date(2025, 1, 1)
    now = datetime.now(UTC)
    coverages = json.dumps(["车损险", "三者险(200万)", "车上人员(司机)"], ensure_ascii=False)
    for i in range(1, count + 1):
        begin = start + timedelta(days=i % 540)
        commercial = i % 2 == 0
        yield (
            i, 1 + i % 7, f"PDAA{begin.year}1101{i:010d}", "commercial" if commercial else "compulsory",
            1 + i % 3, i // 2 + 1, i // 2 + 1, i // 2 + 1, begin - timedelta(days=3), begin,
            begin + timedelta(days=364), Decimal(f"{rng.uniform(2000, 9000):.2f}") if commercial else Decimal("950.00"),
            coverages if commercial else "[]", commercial, 2_000_000 if commercial else None,
            "store" if i % 4 else "telesales", None, 40 + i % 5, 30, 10 + i % 4, "", None, now, now,
        )  # fmt: skip


def measure_baseline(url: str, count: int) -> dict:
    columns = ", ".join(f"{name} {kind}" for name, kind in BASELINE_COLUMNS)
    names = ", ".join(name for name, _ in BASELINE_COLUMNS)
    started = time.perf_counter()
    if is_postgres(url):
        import psycopg

        with psycopg.connect(url) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {BASELINE_TABLE}")
            conn.execute(f"CREATE TABLE {BASELINE_TABLE} ({columns})")
            with conn.cursor() as cursor, cursor.copy(f"COPY {BASELINE_TABLE} ({names}) FROM STDIN") as copy:
                for row in baseline_rows(count):
                    copy.write_row(row)
            conn.commit()
            seconds = time.perf_counter() - started
            conn.execute(f"DROP TABLE {BASELINE_TABLE}")
    else:
        import sqlite3

        path = url.split("sqlite:///", 1)[1]
        conn = sqlite3.connect(path)
        conn.execute(f"DROP TABLE IF EXISTS {BASELINE_TABLE}")
        conn.execute(f"CREATE TABLE {BASELINE_TABLE} ({columns.replace('jsonb', 'text')})")
        marks = ", ".join("?" * len(BASELINE_COLUMNS))
        with conn:
            conn.executemany(
                f"INSERT INTO {BASELINE_TABLE} ({names}) VALUES ({marks})",
                ((*row[:11], str(row[11]), *row[12:22], row[22].isoformat(), row[23].isoformat())
                 for row in baseline_rows(count)),
            )  # fmt: skip
        seconds = time.perf_counter() - started
        conn.execute(f"DROP TABLE {BASELINE_TABLE}")
        conn.close()
    return {"seconds": seconds, "rows": count}


def measure_seed(count: int, *, seed: int, with_cases: bool) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from policies.models import Customer, Policy, RetainedCustomer, Vehicle, VehicleTerm

    started = time.perf_counter()
    arguments = ["--policies", str(count), "--seed", str(seed), "-v", "0"]
    call_command("seed_demo", *arguments, *([] if with_cases else ["--no-cases"]))
    seconds = time.perf_counter() - started
    counts = {model._meta.db_table: model.objects.count() for model in (Policy, VehicleTerm, Vehicle, Customer,
                                                                           RetainedCustomer)}  # fmt: skip
    return {"seconds": seconds, "rows": counts[Policy._meta.db_table], "counts": counts, "vendor": connection.vendor}


def run_measurement(kind: str, url: str, count: int, args) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "True", "DJANGO_SETTINGS_MODULE": "renewal_desk.settings"}
    command = [sys.executable, "-m", "bench.bench_seed", "--measure", kind, "--policies", str(count),
               "--seed", str(args.seed), *(["--with-cases"] if args.with_cases else [])]  # fmt: skip
    done = subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"measurement {kind} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the throwaway database --------------------------------------------------------------------------


def create_database(url: str | None) -> tuple[str, Callable[[], None]]:
    """A fresh, migrated database for this run, and a function that removes it."""
    if url and is_postgres(url):
        import psycopg

        parts = urlsplit(url)
        admin_url = parts._replace(path="/postgres").geturl()
        bench_url = parts._replace(path=f"/{BENCH_DATABASE}").geturl()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {BENCH_DATABASE}")

        def drop():
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")

        cleanup = drop
    else:
        directory = tempfile.mkdtemp(prefix="bench_seed_")
        bench_url = f"sqlite:///{directory}/bench.sqlite3"

        def cleanup():
            shutil.rmtree(directory, ignore_errors=True)

    env = {**os.environ, "DATABASE_URL": bench_url, "DJANGO_DEBUG": "True"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env,
                   check=True, capture_output=True)  # fmt: skip
    return bench_url, cleanup


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--policies", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--with-cases", action="store_true", help="also run the follow-up app's daily job")
    parser.add_argument("--keep-db", action="store_true", help="leave the benchmark database behind")
    parser.add_argument("--measure", choices=["baseline", "seed"], help=argparse.SUPPRESS)  # subprocess mode
    args = parser.parse_args(argv)

    if args.measure:
        url = os.environ["DATABASE_URL"]
        if args.measure == "baseline":
            result = measure_baseline(url, args.policies)
        else:
            result = measure_seed(args.policies, seed=args.seed, with_cases=args.with_cases)
        result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes
        print(json.dumps(result))
        return

    url, cleanup = create_database(os.environ.get("DATABASE_URL"))
    backend = "PostgreSQL" if is_postgres(url) else "SQLite"
    try:
        baseline = run_measurement("baseline", url, args.policies, args)
        seeded = run_measurement("seed", url, args.policies, args)
    finally:
        if not args.keep_db:
            cleanup()
    how = "COPY" if backend == "PostgreSQL" else "executemany"
    rows = [
        (f"(a) baseline: {how} of {args.policies:,} policy rows into a bare table", baseline),
        (f"(b) seed_demo --policies {args.policies:,}{'' if args.with_cases else ' --no-cases'}", seeded),
    ]
    print(f"seed_demo benchmark on {backend} ({url if backend == 'SQLite' else BENCH_DATABASE})")
    width = max(len(label) for label, _ in rows)
    print(f"  {'':{width}}  {'time':>9}  {'peak RSS':>9}")
    for label, result in rows:
        print(f"  {label:{width}}  {result['seconds']:>8.1f}s  {result['maxrss_mb']:>6.0f} MB")
    ratio_time = seeded["seconds"] / baseline["seconds"]
    ratio_memory = seeded["maxrss_mb"] / baseline["maxrss_mb"]
    print(f"  {'ratio (b)/(a)':{width}}  {ratio_time:>8.1f}×  {ratio_memory:>7.1f}×")
    print("  seed_demo wrote: " + ", ".join(f"{table} {n:,}" for table, n in seeded["counts"].items()))


if __name__ == "__main__":
    main()
