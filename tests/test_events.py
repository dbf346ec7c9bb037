"""events.csv: validated beside its fines file, and what a set-aside does to the count."""

from __future__ import annotations

import pandas as pd
import pytest

from finestats import FineDataError, load, load_fines
from finestats.events import load_events

HEADER = "event_id,fine_id,date,court,outcome,source_url,notes\n"
GOOD = HEADER + "a-1,ico-2020-alpha,2021-03-01,Tribunal,set-aside,https://example.org/a,\n"


def test_loads_and_is_found_beside_the_fines(collection) -> None:
    ev = load(collection(events=GOOD)).events
    assert ev[["event_id", "fine_id", "outcome"]].values.tolist() == [
        ["a-1", "ico-2020-alpha", "set-aside"]
    ]
    assert ev.loc[0, "date"] == pd.Timestamp("2021-03-01") and pd.isna(ev.loc[0, "notes"])


def test_no_events_file_means_no_events(lifecycle_csv) -> None:
    assert load(lifecycle_csv).events.empty


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "a-2,no-such-fine,2021-03-01,T,set-aside,https://x.org,",
            "column 'fine_id' value 'no-such-fine': expected the fine_id of a record",
        ),
        (
            "a-2,ico-2020-alpha,2019-01-01,T,set-aside,https://x.org,",
            "column 'date' value '2019-01-01': expected a date on or after the decision it "
            "concerns (2020-10-16)",
        ),
        (
            "a-2,ico-2020-alpha,2021-03-01,T,quashed,https://x.org,",
            "column 'outcome' value 'quashed': expected one of appeal-lodged",
        ),
        (
            "a-2,ico-2020-alpha,01/03/2021,T,set-aside,https://x.org,",
            "column 'date' value '01/03/2021': expected an ISO date",
        ),
        (
            "a-1,ico-2020-alpha,2021-03-02,T,upheld,https://x.org,",
            "column 'event_id' value 'a-1': expected a unique event_id",
        ),
        (
            "a-2,ico-2020-alpha,2021-03-02,,upheld,https://x.org,",
            "column 'court' value '': expected a value",
        ),
        (
            "a-2,ico-2020-alpha,2021-03-02,T,upheld,ftp://x.org,",
            "column 'source_url' value 'ftp://x.org'",
        ),
    ],
)
def test_bad_rows_are_named_by_file_line_and_column(tmp_path, lifecycle_csv, row, message) -> None:
    path = tmp_path / "events.csv"
    path.write_text(GOOD + row + "\n", encoding="utf-8")
    with pytest.raises(FineDataError) as info:
        load_events(path, load_fines(lifecycle_csv))
    assert f"{path}:3: {message}" in str(info.value)


def test_validate_reports_a_bad_events_file(collection) -> None:
    from .test_cli import assert_clean_error, run

    fines = collection(events=GOOD.replace("set-aside", "quashed"))
    proc = run("validate", str(fines))
    assert_clean_error(proc, f"{fines.parent / 'events.csv'}:2: column 'outcome' value 'quashed'")
    ok = collection(events=GOOD)
    assert "1 court events valid" in run("validate", str(ok)).stdout


def test_events_are_checked_again_when_only_a_decision_date_changes(tmp_path, lifecycle_csv):
    """The check against the records is not cached past a change of their dates: an event of
    2021-03-01 on a record redated to 2021-06-01 (same ids) is an error in the same process."""
    path = tmp_path / "events.csv"
    path.write_text(GOOD, encoding="utf-8")
    fines = load_fines(lifecycle_csv)
    assert len(load_events(path, fines)) == 1
    later = fines.copy()
    later.loc[later["fine_id"] == "ico-2020-alpha", "decision_date"] = pd.Timestamp("2021-06-01")
    with pytest.raises(FineDataError, match="expected a date on or after the decision it"):
        load_events(path, later)
