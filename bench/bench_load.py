"""`finestats.load_fines` against `pandas.read_csv` of the same file, at 100,000 and 1,000,000 rows.

The file repeats the shipped records (every fine_id made unique) up to the size. Each measurement
runs in a fresh process, interleaved, 3 times; the median is kept. Peak memory is the process's
peak resident set size above its size after the imports, divided by the loaded frame's own size
(``DataFrame.memory_usage(deep=True)``). Targets: time <= 2x read_csv, memory <= 3x the frame.

    .venv/bin/python bench/bench_load.py [--rows 100000 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "raw" / "fines.csv"

CHILD = r"""
import json, resource, sys, time
import pandas as pd
import finestats
path, how = sys.argv[1], sys.argv[2]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
df = finestats.load_fines(path) if how == "load_fines" else pd.read_csv(path)
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_kib": peak - base,
                  "frame_kib": int(df.memory_usage(deep=True).sum()) / 1024, "rows": len(df)}))
"""


def make_file(rows: int, folder: Path) -> Path:
    src = pd.read_csv(SHIPPED, dtype=str, keep_default_na=False)
    src = src[src["supersedes"] == ""].reset_index(drop=True)  # no cross-row links to break
    reps = -(-rows // len(src))
    big = pd.concat([src] * reps, ignore_index=True).iloc[:rows].copy()
    big["fine_id"] = big["fine_id"] + "-" + np.arange(rows).astype(str)
    path = folder / f"fines-{rows}.csv"
    big.to_csv(path, index=False)
    return path


def measure(path: Path, how: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), how], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            path = make_file(rows, Path(tmp))
            got: dict[str, list[dict]] = {"read_csv": [], "load_fines": []}
            for _ in range(args.runs):
                for how in got:
                    got[how].append(measure(path, how))
            t_csv = statistics.median(r["seconds"] for r in got["read_csv"])
            t_load = statistics.median(r["seconds"] for r in got["load_fines"])
            load = min(got["load_fines"], key=lambda r: r["seconds"])
            mem = statistics.median(r["peak_kib"] for r in got["load_fines"]) / load["frame_kib"]
            print(
                f"{rows:>9,} rows ({path.stat().st_size / 2**20:,.0f} MiB): "
                f"read_csv {t_csv:.2f} s, "
                f"load_fines {t_load:.2f} s -> {t_load / t_csv:.2f}x (target <= 2x); "
                f"peak memory {mem:.2f}x the loaded frame ({load['frame_kib'] / 1024:,.0f} MiB; "
                "target <= 3x)"
            )


if __name__ == "__main__":
    main()
