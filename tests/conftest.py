"""Shared fixtures: small hand-built CSV files whose figures the tests compute by hand."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "data" / "raw" / "fines.csv"


@pytest.fixture
def lifecycle_csv() -> Path:
    """Eight fictional records: a provisional/final pair (GBP), a SEK fine, EUR fines with a
    court reduction, a court annulment and a penalty payment."""
    return DATA / "lifecycle.csv"


@pytest.fixture
def shipped_csv() -> Path:
    return SHIPPED


@pytest.fixture
def edited_csv(tmp_path: Path, lifecycle_csv: Path) -> Callable[..., Path]:
    """Write a copy of the lifecycle fixture with cells changed: ``edited_csv({(line, col): v})``.

    ``line`` is the physical file line (header = 1, first record = 2).
    """

    def make(changes: dict[tuple[int, str], str], name: str = "fines.csv") -> Path:
        rows = list(csv.reader(io.StringIO(lifecycle_csv.read_text(encoding="utf-8"))))
        header = rows[0]
        for (line, col), value in changes.items():
            rows[line - 1][header.index(col)] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        path = tmp_path / name
        path.write_text(out.getvalue(), encoding="utf-8")
        return path

    return make


@pytest.fixture(scope="session")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One EUR report with default parameters, built once per test session and shared by the
    report and browser tests (papermill runs are the slow part of the suite)."""
    from finestats.report import build_report

    return build_report("EUR", {}, tmp_path_factory.mktemp("shared-report"), progress=False)
