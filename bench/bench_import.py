"""Benchmark: importing N 保单 rows against a plain openpyxl read-only iteration of the same file.

    DJANGO_SETTINGS_MODULE=renewal_desk.settings DJANGO_DEBUG=True python -m bench.bench_import [--rows 100000]

Sets up its own throwaway database (a temporary SQLite file; or, when DATABASE_URL names a PostgreSQL server, a
fresh database on that server, dropped afterwards), migrates it, writes a workbook of N valid 保单 rows (+ 门店 and
员工 sheets) with openpyxl write-only, then measures each step in its own subprocess: time, and peak memory as
ru_maxrss (the whole process) and its growth over the process's size just before the step; CPU seconds
(user + system of the step) are printed too, as the steadier measure on a shared machine. Steps: (a) baseline,
iterating every row read-only; (b) the full import through the command's service; (c) importing the same file
again (must create and update nothing). Prints the ratio (b)/(a); the issue's target is ≤ 3×.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
BRANCHES = ("BJ01", "BJ02", "TJ01")
POLICY_HEADER = (
    "门店编码", "保险公司", "保单号", "险种", "车架号", "车牌号", "厂牌型号", "被保险人", "联系电话", "被保险人证件号",
    "签单日期", "起保日期", "终保日期", "保费", "险别", "渠道", "回访员工号", "销售员工号", "负责人工号", "上年保单号",
    "跟进人工号", "短信同意",
)  # fmt: skip
INSURERS = ("平安产险", "人保财险", "太平洋产险", "国寿财险", "大地保险")
MODELS = ("大众 迈腾 2.0T", "丰田 凯美瑞 2.5L", "本田 雅阁 1.5T", "别克 君越", "比亚迪 汉 EV")
NAMES = "张王李赵刘陈杨黄周吴"
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXY"


# --- the throwaway database ----------------------------------------------------------------------


def throwaway_database() -> tuple[str, callable]:
    """A DATABASE_URL nobody else uses, and a function that removes it."""
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith(("postgres://", "postgresql://")):
        import psycopg

        url = urlparse(given)
        name = f"bench_import_{os.getpid()}"
        admin_url = urlunparse(url._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')

        def drop() -> None:
            with psycopg.connect(admin_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return urlunparse(url._replace(path=f"/{name}")), drop
    directory = tempfile.mkdtemp(prefix="bench-import-")
    path = Path(directory) / "bench.sqlite3"

    def remove() -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        Path(directory).rmdir()

    return f"sqlite:///{path}", remove


def _django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renewal_desk.settings")
    os.environ.setdefault("DJANGO_DEBUG", "True")
    import django

    django.setup()


# --- the workbook ----------------------------------------------------------------------------------


def _vin(rng: random.Random) -> str:
    from policies.validation import vin_check_digit

    body = "LSV" + "".join(rng.choice(VIN_CHARS) for _ in range(14))
    return body[:8] + vin_check_digit(body) + body[9:]


def _id_number(rng: random.Random) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    birth = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 40))
    body = f"110105{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def policy_rows(count: int, seed: int = 20251125):
    """Realistic rows: each vehicle has a 交强 + 商业 pair per term; every other vehicle also renewed last year."""
    rng = random.Random(seed)
    produced = vehicle = 0
    while produced < count:
        vehicle += 1
        vin = _vin(rng)
        plate = f"京{PLATE_LETTERS[vehicle // 100000 % len(PLATE_LETTERS)]}{vehicle % 100000:05d}"
        branch = BRANCHES[vehicle % len(BRANCHES)]
        name = rng.choice(NAMES) + rng.choice("伟芳娜敏静丽强磊军洋") + rng.choice(("", "华", "明", "霞"))
        mobile = f"13{rng.randrange(8) + 2}{vehicle:08d}"
        id_number = _id_number(rng) if vehicle % 3 == 0 else None
        staff = [f"{branch}E{rng.randrange(10):02d}" for _ in range(4)]
        start = date(2025, 1, 1) + timedelta(days=rng.randrange(365))
        insurer = rng.choice(INSURERS)
        terms = [start.replace(year=start.year - 1), start] if vehicle % 2 else [start]
        previous = {}
        for term_start in terms:
            end = term_start.replace(year=term_start.year + 1) - timedelta(days=1)
            for kind in ("交强险", "商业险"):
                number = f"P{'Z' if kind == '交强险' else 'A'}{term_start.year}{vehicle:09d}"
                premium = round(rng.uniform(2000, 9000), 2) if kind == "商业险" else 950
                coverages = "车损险,三者险(100万),车上人员" if kind == "商业险" else None
                yield (
                    branch, insurer, number, kind, vin, plate, rng.choice(MODELS), name, mobile, id_number,
                    term_start - timedelta(days=3), term_start, end, premium, coverages,
                    "电销" if vehicle % 5 == 0 else None, staff[0], staff[1], staff[2], previous.get(kind),
                    staff[3], "是" if vehicle % 4 else "否",
                )  # fmt: skip
                previous[kind] = number
                produced += 1
                if produced >= count:
                    return


def write_workbook(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("门店")
    sheet.append(("门店编码", "门店名称", "城市", "续保启动日期"))
    for code in BRANCHES:
        sheet.append((code, f"{code} 4S 店", "北京" if code.startswith("BJ") else "天津", date(2024, 1, 1)))
    sheet = workbook.create_sheet("员工")
    sheet.append(("工号", "姓名", "门店编码", "角色", "团队"))
    for code in BRANCHES:
        for number in range(10):
            roles = "续保负责人" if number == 0 else ("续保专员、回访员" if number < 6 else "服务顾问")
            sheet.append((f"{code}E{number:02d}", f"员工{code}{number}", code, roles, f"{number % 3 + 1}组"))
    sheet = workbook.create_sheet("保单")
    sheet.append(POLICY_HEADER)
    for row in policy_rows(rows):
        sheet.append(row)
    workbook.save(path)


# --- measurements, each in its own process ---------------------------------------------------------


def _rss_now() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(step: str, file: Path, database_url: str) -> dict:
    # The perk tasks an import queues run in a worker after the commit, not in the importing process: an
    # in-memory broker takes them (without a broker, Celery would run them eagerly, inside the measurement).
    os.environ["CELERY_BROKER_URL"] = "memory://"
    _django(database_url)
    from django.conf import settings
    from openpyxl import load_workbook

    settings.DEBUG = False  # as in production: with DEBUG on, Django keeps every SQL statement in memory

    from policies.importer import import_workbook

    before = _rss_now()
    started, cpu_started = time.perf_counter(), time.process_time()
    result: dict = {}
    if step == "baseline":
        workbook = load_workbook(file, read_only=True, data_only=True)
        rows = 0
        for sheet in workbook.worksheets:
            for _ in sheet.iter_rows(values_only=True):
                rows += 1
        workbook.close()
        result["rows"] = rows
    else:
        report = import_workbook(file)
        if report.errors:
            raise SystemExit("\n".join(issue.line() for issue in report.errors[:20]))
        result["counts"] = report.summary()["counts"]
        result["terms_rebuilt"] = report.terms_rebuilt
    result["seconds"] = time.perf_counter() - started
    result["cpu_seconds"] = time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result["peak_rss_mb"] = peak / 2**20
    result["growth_mb"] = max(peak - before, 0) / 2**20
    return result


def _run_step(step: str, file: Path, database_url: str) -> dict:
    command = [sys.executable, "-m", "bench.bench_import", "--measure", step, "--file", str(file)]
    env = {**os.environ, "DATABASE_URL": database_url}
    output = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="保单 rows in the workbook (default 100000)")
    parser.add_argument("--measure", choices=("baseline", "import"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.file, os.environ["DATABASE_URL"]), ensure_ascii=False))
        return

    database_url, discard = throwaway_database()
    workdir = Path(tempfile.mkdtemp(prefix="bench-import-file-"))
    file = workdir / f"policies-{args.rows}.xlsx"
    try:
        print(f"database: {urlparse(database_url)._replace(netloc=urlparse(database_url).hostname or '').geturl()}")
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url}, check=True,
        )  # fmt: skip
        started = time.perf_counter()
        write_workbook(file, args.rows)
        print(f"workbook: {args.rows:,} 保单 rows, {file.stat().st_size / 2**20:.1f} MB, "
              f"written in {time.perf_counter() - started:.1f} s (openpyxl write-only)")  # fmt: skip
        baseline = _run_step("baseline", file, database_url)
        first = _run_step("import", file, database_url)
        again = _run_step("import", file, database_url)
        print()
        print(f"{'step':<34}{'wall s':>8}{'CPU s':>8}{'peak RSS MB':>13}{'growth MB':>11}")
        for label, result in (
            ("(a) openpyxl read-only iteration", baseline),
            ("(b) import (empty database)", first),
            ("(c) re-import (nothing changes)", again),
        ):
            print(f"{label:<34}{result['seconds']:>8.1f}{result['cpu_seconds']:>8.1f}"
                  f"{result['peak_rss_mb']:>13.0f}{result['growth_mb']:>11.0f}")  # fmt: skip
        print()
        for what, key in (("wall", "seconds"), ("CPU", "cpu_seconds")):
            print(f"ratio ({what}) import / baseline: {first[key] / baseline[key]:.2f}x (target ≤ 3x); "
                  f"re-import / baseline: {again[key] / baseline[key]:.2f}x")  # fmt: skip
        print(f"first import:  {json.dumps(first['counts'], ensure_ascii=False)}; terms {first['terms_rebuilt']:,}")
        print(f"second import: {json.dumps(again['counts'], ensure_ascii=False)}")
        changed = sum(c["created"] + c["updated"] for c in again["counts"].values())
        if changed:
            raise SystemExit(f"re-import changed {changed} records: it must change nothing")
    finally:
        file.unlink(missing_ok=True)
        workdir.rmdir()
        discard()


if __name__ == "__main__":
    main()
