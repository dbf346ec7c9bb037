"""Shared fixtures: small hand-built CSV files whose figures the tests compute by hand, an
isolated finestats home (no user state leaks into a test), and one shared report."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

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
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One EUR report with default parameters, built once per test session and shared by the
    report and browser tests (papermill runs are the slow part of the suite)."""
    from finestats.report import build_report

    return build_report("EUR", {}, tmp_path_factory.mktemp("shared-report"), progress=False)
