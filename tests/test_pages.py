"""finestats.pages: the report's index page, written from a hand-built manifest and headline
(no notebook runs here; the rendered report is tested in test_report.py)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

import finestats
from finestats.analyses import headline_figures
from finestats.pages import write_report_index
from finestats.query import Query
from finestats.totals import totals

MANIFEST = {
    "report": "2026-12-01-EUR",
    "currency": "EUR",
    "period": "decisions 2018-2026",
    "rate_snapshot": "2026-10-30",
    "rate_source": "ECB eurofxref-hist",
    "notebooks": [],
    "versions": {"finestats": finestats.__version__},
    "data_file": "fines.csv",
    "data_sha256": "0" * 64,
}


def index_text(folder: Path, head: dict, currency: str) -> str:
    """The index page's text (tags dropped, entities resolved, blanks collapsed)."""
    (folder / "headline.json").write_text(json.dumps(head), encoding="utf-8")
    page = write_report_index(folder, {**MANIFEST, "currency": currency}).read_text()
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_index_headline_three_significant_digits_and_the_filters(tmp_path, lifecycle_csv):
    """Lifecycle fixture in SEK, ICO and IMY decided 2020-2021 (bundled ECB fixings of
    2020-10-16: GBP 0.90915, SEK 10.3593 per EUR): ICO GBP 20m = SEK 227,889,787 (largest,
    "SEK 228M"), plus IMY SEK 10,086,800 = SEK 237,976,587 ("SEK 238M") in 2 fines."""
    data = finestats.load(lifecycle_csv)
    q = Query(currency="SEK", years=(2020, 2021), regulators=("ICO", "IMY"))
    head = headline_figures(data, q, totals(data, query=q))
    text = index_text(tmp_path, head, "SEK")
    assert "SEK 238M total" in text
    assert "2 fines counted (of 8 records)" in text
    assert "SEK 228M largest fine: ICO against Alpha Airways (2020-10-16)" in text
    assert "Filters: decided 2020-2021; regulators ICO, IMY" in text


def test_index_says_how_many_fines_lie_outside_the_declared_scope(tmp_path, collection):
    """The lifecycle fixture with a scope for CNIL (EUR 4m) and IMY: of the five fines
    counted, ICO's (no row), CNIL's Delta 3m and the 2022 penalty lie outside it."""
    coverage = (
        "regulator,regulator_name,country,period_start,period_end,threshold_eur,laws,"
        "last_checked,method,notes\n"
        "CNIL,CNIL,FR,2018-05-25,2025-12-31,4000000,GDPR,2026-11-27,test,\n"
        "IMY,IMY,SE,2018-05-25,2025-12-31,0,GDPR,2026-11-27,test,\n"
    )
    data = finestats.load(collection(coverage=coverage))
    head = headline_figures(data, Query())
    assert (head["n_fines"], head["n_outside_scope"]) == (5, 3)
    text = index_text(tmp_path, head, "EUR")
    assert "lie outside it: a sample, not a complete count." in text
    assert "3 of the 5 fines counted lie outside it" in text
    inside = headline_figures(data, Query(complete_only=True))
    assert "All 2 fines counted lie inside it." in index_text(tmp_path, inside, "EUR")


@pytest.mark.parametrize(
    ("total", "largest", "shown"),
    [
        (7_044_123_456.0, 346_200_000.0, ("EUR 7.04bn total", "EUR 346M largest fine")),
        (9_999_000.0, 1_000_000.0, ("EUR 10.0M total", "EUR 1.00M largest fine")),
    ],
)
def test_index_headline_of_the_issue_figures(tmp_path, total, largest, shown) -> None:
    head = {"total": total, "max": largest, "n_fines": 243, "filters": ""}
    text = index_text(tmp_path, head, "EUR")
    assert all(s in text for s in shown), text
    assert "Filters" not in text  # none given, none named
