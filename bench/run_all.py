"""Run every benchmark in turn at its quick default size (`make bench`). Each prints its own ratio against a
baseline measured in the same run; see bench/README.md for the full-scale invocations (1,000,000 policies)."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = [
    ["bench.bench_import", "--rows", "20000"],
    ["bench.bench_seed", "--policies", "100000"],
    ["bench.bench_today_list", "--policies", "100000"],
    ["bench.bench_payout", "--renewals", "10000"],
    ["bench.bench_exports", "--rows", "100000"],
]


def main() -> int:
    failed = 0
    for module, *args in BENCHMARKS:
        print(f"\n=== {module} {' '.join(args)} ===", flush=True)
        failed += subprocess.call([sys.executable, "-m", module, *args]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
