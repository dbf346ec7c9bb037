"""`finestats summary --by regulator,year --currency USD` against `python -c "import pandas"`.

Both run as fresh processes with this interpreter, interleaved, 15 times each; prints the median
and best wall time of each and their ratio (target: summary <= 1.5x the pandas import).

    .venv/bin/python bench/bench_cli.py
"""

from __future__ import annotations

import compileall
import statistics
import subprocess
import sys
import time
from pathlib import Path

import finestats

RUNS = 15
SUMMARY = [
    sys.executable,
    "-m",
    "finestats",
    "summary",
    "--by",
    "regulator,year",
    "--currency",
    "USD",
]
PANDAS = [sys.executable, "-c", "import pandas"]


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    # pandas is installed with its bytecode compiled; compile finestats' too, as installing a
    # wheel does (an editable install does not, and PYTHONDONTWRITEBYTECODE=1 would otherwise
    # make every run compile every module again: ~50 ms)
    compileall.compile_dir(str(Path(finestats.__file__).parent), quiet=1)
    timed(SUMMARY), timed(PANDAS)  # warm the OS file cache
    summary, pandas = [], []
    for _ in range(RUNS):
        summary.append(timed(SUMMARY))
        pandas.append(timed(PANDAS))
    med_s, med_p = statistics.median(summary), statistics.median(pandas)
    print(f"runs each: {RUNS}")
    for name, times in (("python -c 'import pandas'", pandas), ("finestats summary USD", summary)):
        med, best = statistics.median(times) * 1000, min(times) * 1000
        print(f"{name:30s} median {med:7.1f} ms  best {best:7.1f} ms")
    print(f"ratio (median)                 {med_s / med_p:.2f}x  (target <= 1.5x)")
    imports = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, finestats.cli; "
            "print(sorted(m for m in ('matplotlib', 'papermill', 'nbconvert', 'requests', "
            "'forex_python') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"heavy modules imported by the CLI path: {imports}")


if __name__ == "__main__":
    main()
