"""Shared fixtures: small hand-built CSV files whose figures the tests compute by hand, an
isolated finestats home (no user state leaks into a test), and one shared report."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

import finestats
from finestats.records import COLUMNS
from finestats.schema import FINES, example_row

#: ``make mutation`` runs the tests once per mutant with ``--hypothesis-profile mutation``
#: (pyproject.toml, [tool.mutmut]): property tests then try a few examples, the same every run.
settings.register_profile("mutation", derandomize=True, database=None)


# The tests build reports in this process; jsonschema (imported with nbformat) would compile the
# grammar of the optional rfc3987_syntax package at import, 1-3 s per test process, for URI
# formats nbformat never checks. ``finestats report`` skips it the same way (cli.py).
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]


def examples(n: int) -> int:
    """``n`` examples for a property test; 5 under the mutation profile."""
    return 5 if settings.get_current_profile_name() == "mutation" else n


#: ``make test-deep`` (FINESTATS_DEEP=1) runs the slow sweeps at their full size.
DEEP = os.environ.get("FINESTATS_DEEP") == "1"


def sweep(n: int) -> int:
    """Examples of a slow sweep: ``n`` under ``make test-deep``, a fifth of it in ``make test``
    (every sweep still runs, with the same derandomized first examples), 5 under mutation."""
    return examples(n if DEEP else max(n // 5, 10))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under ``make mutation``, the tests of the mutated module run first (mutmut names it in
    MUTANT_UNDER_TEST), so that a mutant stops at its first failing test sooner; the order is
    otherwise kept."""
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if settings.get_current_profile_name() != "mutation" or not mutant.startswith("finestats."):
        return
    own = f"test_{mutant.split('.')[1]}.py"
    items.sort(key=lambda item: item.path.name != own)


DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"
SHIPPED = RAW / "fines.csv"
NOTEBOOKS = REPO / "notebooks"


@pytest.fixture(autouse=True, scope="session")
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test runs with its own empty FINESTATS_HOME: rate updates a developer downloaded
    never change a test's figures, and tests never write to the user's folders."""
    mp = pytest.MonkeyPatch()
    mp.setenv("FINESTATS_HOME", str(tmp_path_factory.mktemp("finestats-home")))
    mp.delenv("FINESTATS_DATA", raising=False)
    yield
    mp.undo()


@pytest.fixture(autouse=True, scope="session")
def _kernels_import_this_finestats() -> Iterator[None]:
    """Kernels (papermill's, the report's, JupyterLab's) start in other folders: a relative
    ``PYTHONPATH=src`` (a git worktree's source) is made absolute, so that they import the
    finestats under test rather than another installed copy."""
    src = REPO / "src"
    mp = pytest.MonkeyPatch()
    if Path(finestats.__file__).resolve().is_relative_to(src):
        entries = [e for e in os.environ.get("PYTHONPATH", "").split(os.pathsep) if e]
        absolute = [str(Path(e).resolve()) for e in entries]
        mp.setenv("PYTHONPATH", os.pathsep.join(dict.fromkeys([str(src), *absolute])))
    yield
    mp.undo()


@pytest.fixture
def lifecycle_csv() -> Path:
    """Eight fictional records: a provisional/final pair (GBP), a SEK fine, EUR fines with a
    court reduction, a court annulment and a penalty payment."""
    return DATA / "lifecycle.csv"


@pytest.fixture
def shipped_csv() -> Path:
    return SHIPPED


def rewrite(source: Path, changes: dict[tuple[int, str], str], target: Path) -> Path:
    """A copy of the CSV ``source`` with cells changed: ``{(line, column): value}``; ``line`` is
    the physical file line (header = 1, first record = 2)."""
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"))))
    header = rows[0]
    for (line, col), value in changes.items():
        rows[line - 1][header.index(col)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    target.write_text(out.getvalue(), encoding="utf-8")
    return target


@dataclass(frozen=True)
class CliRun:
    """What a finestats command did: like :class:`subprocess.CompletedProcess`."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, env: dict[str, str] | None = None) -> CliRun:
    """``finestats ARGS`` run in this process by the console entry point
    (:func:`finestats.cli.main`), with its own stdout, stderr, warnings and (if given)
    environment: the same exit codes and text as a subprocess, ten times faster. An exception
    that main() does not turn into an exit code propagates and fails the test."""
    from finestats.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    code = 0
    redirect = contextlib.redirect_stdout(out), contextlib.redirect_stderr(err)
    with warnings.catch_warnings(), redirect[0], redirect[1]:
        warnings.simplefilter("default")  # as a fresh interpreter: each warning shown
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return CliRun(code, out.getvalue(), err.getvalue())


def run_subprocess(*args: str, env: dict[str, str] | None = None) -> CliRun:
    """``python -m finestats ARGS`` in a new process: the real entry point, as a user runs it."""
    proc = subprocess.run(
        [sys.executable, "-m", "finestats", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    return CliRun(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def edited_csv(tmp_path: Path, lifecycle_csv: Path) -> Callable[..., Path]:
    """A copy of the lifecycle fixture with cells changed: ``edited_csv({(line, col): v})``."""

    def make(changes: dict[tuple[int, str], str], name: str = "fines.csv") -> Path:
        return rewrite(lifecycle_csv, changes, tmp_path / name)

    return make


@pytest.fixture
def collection(tmp_path: Path, lifecycle_csv: Path) -> Callable[..., Path]:
    """A folder with the lifecycle fines as fines.csv and, if given, an events.csv and a
    coverage.csv beside it (text of each file); returns the fines path."""

    def make(events: str | None = None, coverage: str | None = None) -> Path:
        folder = tmp_path / "collection"
        folder.mkdir(exist_ok=True)
        shutil.copy(lifecycle_csv, folder / "fines.csv")
        for name, text in (("events.csv", events), ("coverage.csv", coverage)):
            if text is not None:
                (folder / name).write_text(text, encoding="utf-8")
        return folder / "fines.csv"

    return make


@pytest.fixture(scope="session")
def kernels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Two report kernels shared by the report tests of a session (a kernel starts once, not
    once per report; each is reset before every notebook)."""
    from finestats.report import report_kernels

    lanes = report_kernels(tmp_path_factory.mktemp("kernel-logs"), NOTEBOOKS)
    lanes.start(2)
    yield lanes
    lanes.shutdown()


@pytest.fixture(scope="session")
def report(tmp_path_factory: pytest.TempPathFactory, kernels: object) -> Path:
    """One EUR report with default parameters, built once per test session and shared by the
    report and browser tests (papermill runs are the slow part of the suite)."""
    from finestats.report import build_report

    out = tmp_path_factory.mktemp("shared-report")
    return build_report("EUR", {}, out, progress=False, kernels=kernels)


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Headless Chromium (one per test session), skipping where it is not installed; yields
    its DevTools port."""
    from .devtools import CHROMIUM, SKIP_REASON, launch

    if not CHROMIUM.exists():
        pytest.skip(SKIP_REASON)
    with launch(tmp_path_factory.mktemp("chromium-profile")) as port:
        yield port


#: One valid record, the base of :func:`records_csv`: every column's declared example.
RECORD = example_row(FINES)


def records_csv(tmp_path: Path, *records: dict[str, str], name: str = "fines.csv") -> Path:
    """A fines file of one row per dict (the base record with those cells changed); row i has
    fine_id imy-2021-r{i} and defendant Defendant {i} unless the dict says otherwise."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for i, changes in enumerate(records):
        row = {**RECORD, "fine_id": f"imy-2021-r{i}", "defendant": f"Defendant {i}", **changes}
        w.writerow([row[c] for c in COLUMNS])
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path
