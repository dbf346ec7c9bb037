"""Time the report against papermill's floor: an empty notebook run once per notebook, in turn.

    .venv/bin/python bench/bench_report.py [--repeat 3]

All runs use the same kernel (this interpreter, the report's kernel manager) and papermill
settings; the floor is what N kernel starts and shutdowns cost one after the other. Printed: the
default report (notebooks run as many at a time as there are CPUs) and the sequential one
(``jobs=1``), each as a median of ``--repeat`` runs and as a ratio to the floor.
Targets: default <= 1.5x, sequential <= 3x.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from finestats import paths
from finestats.jupyter import KERNEL_NAME, kernel_manager_class
from finestats.report import _notebooks, build_report

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
        "kernelspec": {
            "display_name": "Python 3 (finestats)",
            "language": "python",
            "name": KERNEL_NAME,
        },
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
            kernel_name=KERNEL_NAME,
            progress_bar=False,
            request_save_on_cell_execute=False,
            log_output=False,
            cwd=str(work),
            kernel_manager_class=kernel_manager_class(),
        )
    return time.perf_counter() - t0


def run_report(work: Path, jobs: int | None) -> float:
    t0 = time.perf_counter()
    build_report("EUR", {}, work / "reports", progress=False, jobs=jobs)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = len(_notebooks(paths.notebooks_dir()))
    floor, default, sequential = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            work = Path(tmp) / str(i)
            work.mkdir()
            floor.append(run_empty(n, work))
            default.append(run_report(work, None))
            sequential.append(run_report(work, 1))
    f, d, s = (statistics.median(x) for x in (floor, default, sequential))
    print(f"{n} empty notebooks one after the other: {f:.2f} s (median of {args.repeat})")
    print(
        f"report, {os.cpu_count()} at a time (default): {d:.2f} s -> {d / f:.2f}x (target <= 1.5x)"
    )
    print(f"report, one at a time:             {s:.2f} s -> {s / f:.2f}x (target <= 3x)")


if __name__ == "__main__":
    main()
