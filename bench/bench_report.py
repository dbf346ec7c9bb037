"""Time the full report against papermill's floor: an empty notebook run once per notebook.

    .venv/bin/python bench/bench_report.py [--repeat N]

Both sides use the same kernel (python3) and papermill settings; the floor is what four kernel
starts and shutdowns cost, so the ratio shows what the notebooks, charts and HTML add on top.
Target: ratio <= 2.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from finestats.report import _notebooks, _quiet_kernel_manager, build_report, default_notebooks_dir

EMPTY = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "empty",
            "metadata": {},
            "outputs": [],
            "source": [],
        }
    ],
    "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def run_empty(n: int, work: Path) -> float:
    import papermill as pm

    src = work / "empty.ipynb"
    src.write_text(json.dumps(EMPTY))
    t0 = time.perf_counter()
    for i in range(n):
        pm.execute_notebook(
            str(src),
            str(work / f"empty-{i}.ipynb"),
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            cwd=str(work),
            kernel_manager_class=_quiet_kernel_manager(work / "kernel.log"),
        )
    return time.perf_counter() - t0


def run_report(work: Path, jobs: int | None) -> float:
    t0 = time.perf_counter()
    build_report("EUR", {}, work / "reports", progress=False, jobs=jobs)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side (median shown)")
    args = parser.parse_args()
    n = len(_notebooks(default_notebooks_dir()))
    floors: list[float] = []
    reports: dict[int | None, list[float]] = {None: [], 1: []}
    with tempfile.TemporaryDirectory(prefix="finestats-bench-") as tmp:
        work = Path(tmp)
        # warm-up: first kernel start pays for cold file caches on both sides
        run_empty(1, work)
        for _ in range(args.repeat):
            floors.append(run_empty(n, work))
            for jobs in reports:
                reports[jobs].append(run_report(work, jobs))
    floor = statistics.median(floors)
    print(
        f"papermill, empty notebook x {n} (one after the other): {floor:6.2f} s"
        f"  ({floor / n:.2f} s per notebook)"
    )
    for jobs, label in ((None, f"default, {os.cpu_count()} CPUs"), (1, "jobs=1, sequential")):
        full = statistics.median(reports[jobs])
        print(
            f"finestats report ({label}): {full:6.2f} s   ratio {full / floor:.2f}x (target <= 2x)"
        )


if __name__ == "__main__":
    main()
