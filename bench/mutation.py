"""Mutation testing of the core modules (`make mutation`): how many small deliberate bugs the tests
notice, per module.

mutmut (configured in pyproject.toml, ``[tool.mutmut]``) puts one small bug at a time (a flipped
comparison, a constant off by one, a negated condition, a dropped argument...) into the modules
that validate records, run the strict curation checks, read rates, convert, count and build the
analysis tables, and runs against each only the fast tests that reach the mutated function.

This script runs mutmut, then writes ``reports/mutation.md`` (or ``--out``): per module the
mutants, the killed, the survivors and the score, the surviving mutants with their diffs, and the
equivalent mutants listed in ``bench/equivalent_mutants.txt`` (a survivor that cannot change
behaviour, each with one line of reasoning). The score leaves equivalent mutants out:

    score = (killed + timeout) / (mutants - equivalent)

A mutant that makes the tests run past mutmut's time limit (``timeout``) changed behaviour
observably, so it counts as detected.

It exits 1 when a module scores below 90%, or when the equivalent list names a mutant that no
longer exists or that the tests now kill (the list must be kept true).

    .venv/bin/python bench/mutation.py [--out reports/mutation.md] [--reuse]

``--reuse`` reports on the last run's results without running mutmut again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = Path(sys.executable).with_name("mutmut")
WALL = ROOT / "mutants" / "wall-seconds.txt"  # the last full run's wall time, for --reuse
DETECTED = ("killed", "timeout")
EQUIVALENT = ROOT / "bench" / "equivalent_mutants.txt"
TARGET = 0.90
LINE = re.compile(r"^\s*(finestats\.(\w+)\.\S+): (.+)$")


def run_mutmut() -> float:
    """Run every mutant from scratch (a fresh mutants/ folder); return the wall time."""
    shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    start = time.perf_counter()
    cmd = [str(MUTMUT), "run", "--max-children", str(os.cpu_count() or 2)]
    proc = subprocess.run(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    if proc.returncode != 0:
        sys.exit(f"mutmut run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def results() -> dict[str, tuple[str, str]]:
    """{mutant: (module, status)} for every mutant of the last run."""
    out = subprocess.run(
        [str(MUTMUT), "results", "--all", "true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = {}
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            found[m.group(1)] = (m.group(2), m.group(3).strip())
    if not found:
        sys.exit("no mutants found: run mutmut first (without --reuse)")
    return found


def equivalents() -> dict[str, str]:
    """{mutant: reason} from bench/equivalent_mutants.txt (``name: reason`` lines, # comments)."""
    out = {}
    for raw in EQUIVALENT.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            name, _, reason = line.partition(":")
            out[name.strip()] = reason.strip()
    return out


def diff_of(name: str) -> str:
    text = subprocess.run(
        [str(MUTMUT), "show", name], cwd=ROOT, capture_output=True, text=True
    ).stdout
    lines = [ln for ln in text.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    return "\n".join(lines)


def report(
    found: dict[str, tuple[str, str]], equiv: dict[str, str], seconds: float | None
) -> tuple[str, bool]:
    by_module: dict[str, Counter] = defaultdict(Counter)
    survivors: dict[str, list[str]] = defaultdict(list)
    for name, (module, status) in sorted(found.items()):
        by_module[module][status] += 1
        if status not in DETECTED and name not in equiv:
            survivors[module].append(name)
    stale = [n for n in equiv if n not in found or found[n][1] in DETECTED]
    rows, failing = [], []
    for module, counts in sorted(by_module.items()):
        total = sum(counts.values())
        n_equiv = sum(1 for n in equiv if n in found and found[n][0] == module and n not in stale)
        detected = counts["killed"] + counts["timeout"]
        score = detected / (total - n_equiv) if total > n_equiv else 1.0
        if score < TARGET:
            failing.append(module)
        other = total - detected - counts["survived"]  # no tests, suspicious, ...
        rows.append(
            f"| {module} | {total} | {counts['killed']} | {counts['timeout']} "
            f"| {counts['survived'] - n_equiv} | {other} | {n_equiv} | {score:.1%} |"
        )
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Mutation testing of the core modules",
        "",
        f"Run {when}" + (f", {seconds / 60:.1f} min wall time" if seconds else "") + ", "
        f"with `make mutation` (mutmut, `[tool.mutmut]` in pyproject.toml, "
        f"{os.cpu_count()} parallel workers). Score = (killed + timeout) / (mutants - equivalent); "
        f"target {TARGET:.0%} per module; a timeout counts as detected.",
        "",
        "| module | mutants | killed | timeout | survived | no tests | equivalent | score |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "## Surviving mutants",
        "",
    ]
    for _module, names in sorted(survivors.items()):
        for name in names:
            lines += [f"- `{name}` ({found[name][1]})", "", "```diff", diff_of(name), "```", ""]
    if not survivors:
        lines += ["None.", ""]
    lines += ["## Equivalent mutants (listed in bench/equivalent_mutants.txt)", ""]
    lines += [f"- `{n}`: {r}" for n, r in sorted(equiv.items()) if n not in stale] or ["None."]
    if stale:
        lines += ["", "## Stale entries of the equivalent list (gone or now killed)", ""]
        lines += [f"- `{n}`" for n in stale]
    lines.append("")
    text = "\n".join(lines)
    print("\n".join(lines[2 : 9 + len(rows)]))
    if failing:
        print(f"below {TARGET:.0%}: {', '.join(failing)}", file=sys.stderr)
    if stale:
        print(f"stale equivalent entries: {', '.join(stale)}", file=sys.stderr)
    return text, bool(failing or stale)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "reports" / "mutation.md"))
    parser.add_argument("--reuse", action="store_true", help="report on the last run only")
    args = parser.parse_args()
    if args.reuse:
        seconds = float(WALL.read_text()) if WALL.is_file() else None
    else:
        seconds = run_mutmut()
        WALL.write_text(f"{seconds:.1f}\n")
    text, bad = report(results(), equivalents(), seconds)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    print(f"written to {out}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
