"""Benchmark: the 续保客户登记表 and 到期管理表 exports against raw openpyxl write-only output of the same rows.

    DJANGO_DEBUG=True python -m bench.bench_exports [--rows 100000] [--small 20000]

Rows are generated in memory, lazily, as the listing dicts the real selectors yield, and go through the real
export path (reports.workbooks.listings.write_register / write_board: row formatting, phone masking, formula
escaping, number formats, title, frozen header, print setup). The baseline writes the same records' raw field values
with a bare openpyxl write-only `append` in the same run. Each measurement runs in its own subprocess: CPU time (the
ratio; wall time is printed too, but other work on a shared 2-core machine skews it), peak RSS (ru_maxrss) and its
growth over the process's size just before writing. Run at two sizes: the growth must
not follow the row count; the time ratio target is ≤ 1.5×. No database is touched.
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
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMES = "张王李赵刘陈杨黄周吴"
MODELS = ("大众 迈腾 2.0T", "丰田 凯美瑞 2.5L", "本田 雅阁 1.5T", "别克 君越", "比亚迪 汉 EV")
INSURERS = ("平安产险", "人保财险", "太平洋产险", "国寿财险", "大地保险")
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
STAFF = {index: f"员工{index:03d}" for index in range(1, 201)}
STATES = ("renewed", "lost", "following", "quoted", "lost_pending", "excluded")
REASONS = ("", "PRICE", "INSURER_DIRECT", "UNREACHABLE", "OTHER")


def _vin(rng: random.Random) -> str:
    return "LSV" + "".join(rng.choice(VIN_CHARS) for _ in range(14))


def _name(rng: random.Random, index: int) -> str:
    # One customer in a thousand is named like a formula: the export must escape it on the way.
    return f'=HYPERLINK("x","{index}")' if index % 1000 == 0 else rng.choice(NAMES) + rng.choice(NAMES) + "某"


def register_records(count: int):
    rng = random.Random(20260601)
    month = date(2026, 5, 1)
    for index in range(count):
        signed = month + timedelta(days=index % 31 if index % 31 < 31 else 0)
        start = signed + timedelta(days=rng.randint(0, 20))
        yield {
            "pk": index, "branch__name": f"门店{index % 20:02d}", "customer_name": _name(rng, index),
            "customer_mobile": f"13{rng.randint(100000000, 999999999)}", "vehicle__plate": f"京A{index % 100000:05d}",
            "vehicle__vin": _vin(rng), "vehicle__model_name": rng.choice(MODELS), "new_insurer": rng.choice(INSURERS),
            "compulsory_no": f"PDZA{index:016d}", "commercial_no": f"PDAA{index:016d}",
            "renewal_term__premium_compulsory": Decimal("950.00"),
            "renewal_term__premium_commercial": Decimal(rng.randint(200000, 900000)).scaleb(-2),
            "renewal_term__full_cover": rng.random() < 0.85, "renewal_term__start_on": start,
            "renewal_term__t_date": start.replace(year=start.year + 1) - timedelta(days=1),
            "renewal_term__channel": "telesales" if rng.random() < 0.3 else "store", "renewal_term__signed_on": signed,
            "renewal_term__callback_id": rng.randint(1, 200), "renewal_term__seller_id": rng.randint(1, 200),
            "renewal_term__lead_id": rng.randint(1, 200), "assignee_at_id": rng.randint(1, 200),
            "category": rng.choice((1, 1, 1, 2, 3, 4)),
        }  # fmt: skip


def board_records(count: int):
    rng = random.Random(20260531)
    for index in range(count):
        quoted = rng.random() < 0.6
        yield {
            "pk": index, "branch__name": f"门店{index % 20:02d}", "customer__name": _name(rng, index),
            "vehicle__plate": f"京A{index % 100000:05d}", "vehicle__vin": _vin(rng),
            "vehicle__model_name": rng.choice(MODELS), "previous_insurer": rng.choice(INSURERS),
            "category": rng.choice((1, 2, 3, 4)), "t_date": date(2026, 5, 1) + timedelta(days=index % 31),
            "assignee_at_id": rng.randint(1, 200), "contact_count": rng.randint(0, 6),
            "effective_count": rng.randint(0, 3),
            "quote_total": Decimal(rng.randint(300000, 900000)).scaleb(-2) if quoted else None,
            "quote_discount_rate": Decimal(rng.choice(("0", "0.08", "0.10", "0.13"))) if quoted else None,
            "state_at": rng.choice(STATES), "reason": rng.choice(REASONS), "reason_text": "",
        }  # fmt: skip


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def child(kind: str, writer: str, rows: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renewal_desk.settings")
    os.environ.setdefault("DJANGO_DEBUG", "True")
    import django

    django.setup()
    from openpyxl import Workbook

    from reports.workbooks.listings import BOARD_COLUMNS, REGISTER_COLUMNS, write_board, write_register

    records = register_records(rows) if kind == "register" else board_records(rows)
    columns = REGISTER_COLUMNS if kind == "register" else BOARD_COLUMNS
    out = Path(tempfile.mkdtemp()) / f"{kind}-{writer}.xlsx"
    before = _current_rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    if writer == "ours":
        options = {"month": date(2026, 5, 1), "cut_off": None, "scope": "事业部", "names": STAFF}
        from django.utils import timezone

        options["cut_off"] = timezone.now()
        if kind == "register":
            write_register(records, out, full_phones=False, **options)
        else:
            write_board(records, out, **options)
    else:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("raw")
        sheet.append([column.header for column in columns])
        for record in records:
            values = list(record.values())[1 : len(columns) + 1]
            sheet.append(values)
        workbook.save(str(out))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = _rss_mb()
    size = out.stat().st_size
    out.unlink()
    return {"seconds": seconds, "cpu": cpu, "peak_mb": peak, "growth_mb": peak - before, "bytes": size}


def measure(kind: str, writer: str, rows: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bench.bench_exports", "--child", kind, writer, str(rows)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def best_of(repeats: int, kind: str, rows: int) -> tuple[dict, dict]:
    """Alternate raw and ours `repeats` times; keep each one's fastest run (a 2-core machine is noisy)."""
    runs: dict[str, list[dict]] = {"raw": [], "ours": []}
    for _ in range(repeats):
        for writer in ("raw", "ours"):
            runs[writer].append(measure(kind, writer, rows))
    return tuple(min(runs[writer], key=lambda run: run["cpu"]) for writer in ("raw", "ours"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=None, help="the smaller size (default rows ÷ 5)")
    parser.add_argument("--repeats", type=int, default=2, help="runs per writer and size; the fastest is kept")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "WRITER", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, writer, rows = args.child
        print(json.dumps(child(kind, writer, int(rows))))
        return
    sizes = [args.small or max(args.rows // 5, 1), args.rows]
    print(
        "time = CPU seconds of the writing process (wall time in brackets); "
        "MB = peak RSS; +MB = its growth while writing"
    )
    print(
        f"{'export':<10}{'rows':>9}{'raw s':>16}{'ours s':>16}{'ratio':>8}{'raw MB':>9}{'ours MB':>9}{'ours +MB':>10}"
    )
    worst = 0.0
    growth = {}
    for kind in ("register", "board"):
        for rows in sizes:
            raw, ours = best_of(args.repeats, kind, rows)
            ratio = ours["cpu"] / raw["cpu"]
            worst = max(worst, ratio)
            growth.setdefault(kind, []).append(ours["growth_mb"])
            raw_time = f"{raw['cpu']:.2f} ({raw['seconds']:.2f})"
            ours_time = f"{ours['cpu']:.2f} ({ours['seconds']:.2f})"
            print(f"{kind:<10}{rows:>9,}{raw_time:>16}{ours_time:>16}{ratio:>7.2f}×"
                  f"{raw['peak_mb']:>9.1f}{ours['peak_mb']:>9.1f}{ours['growth_mb']:>10.1f}")  # fmt: skip
    print(
        f"worst time ratio {worst:.2f}× (target ≤ 1.5×); memory growth while writing, small → large: "
        + ", ".join(f"{kind} {a:.1f} → {b:.1f} MB" for kind, (a, b) in growth.items())
    )


if __name__ == "__main__":
    main()
