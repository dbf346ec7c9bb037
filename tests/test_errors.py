"""The error family: fields kept whole, messages bounded and readable."""

from __future__ import annotations

from finestats.errors import (
    FineDataError,
    Notice,
    Problem,
    RatesError,
    ReportError,
    Unconverted,
    shorten,
)


def test_problem_and_notice_lines() -> None:
    p = Problem("f.csv", 3, "amount", "x" * 200, "a number")
    assert (
        str(p)
        == f"f.csv:3: column 'amount' value '{'x' * 79}… (200 characters)': expected a number"
    )
    assert p.value == "x" * 200
    assert str(Problem("f.csv", 0, "", "", "a file")) == "f.csv: '': expected a file"
    assert (
        str(Notice("f.csv", 5, "amount", "1", "too big"))
        == "f.csv:5: column 'amount' value '1': too big"
    )
    assert shorten("a\nb") == "a\\nb"


def test_fine_data_error_lists_every_problem() -> None:
    one = FineDataError([Problem("f.csv", 2, "c", "v", "e")])
    assert str(one) == "f.csv:2: column 'c' value 'v': expected e"
    two = FineDataError(
        [Problem("/x/f.csv", 2, "c", "v", "e"), Problem("/x/f.csv", 3, "c", "w", "e")]
    )
    assert str(two).splitlines()[0] == "2 problems in f.csv:" and len(two.problems) == 2


def test_rates_error_keeps_every_id_and_bounds_its_message() -> None:
    ids = tuple(f"f{i:02d}" for i in range(14))
    err = RatesError(unconverted=[Unconverted("no rate", ids)], n_rows=20)
    assert err.fine_ids == list(ids)
    # one reason: one line (a message the CLI prints whole on one line)
    assert str(err) == (
        "cannot convert 14 of 20 fines: "
        "no rate: fine_id f00, f01, f02, f03, f04, f05, f06, f07, f08, f09 and 4 more"
    )
    two = RatesError(
        unconverted=[Unconverted("no rate", ids[:2]), Unconverted("no date", ids[2:3])], n_rows=20
    )
    assert str(two).splitlines() == [  # several reasons: the count, then a line each
        "cannot convert 3 of 20 fines:",
        "no rate: fine_id f00, f01",
        "no date: fine_id f02",
    ]
    assert str(RatesError("the file is broken")) == "the file is broken"


def test_report_error_reads_well() -> None:
    err = ReportError(
        "02-x.ipynb", cell_index=5, exec_count=4, ename="ValueError", evalue="bad\nthing"
    )
    assert str(err) == "notebook 02-x.ipynb failed in cell 5 (In [4]): ValueError: bad thing"
