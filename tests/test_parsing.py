"""finestats.parsing: one meaning per value, or one clear refusal."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from finestats.errors import UsageError
from finestats.parsing import (
    parse_bool,
    parse_choice,
    parse_date,
    parse_names,
    parse_text,
    parse_year,
    parse_years,
    strict_dates,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), ("true", True), ("false", False), (np.bool_(True), True)],
)
def test_bool_accepts_only_true_and_false(value, expected) -> None:
    assert parse_bool("flag", value) is expected


@pytest.mark.parametrize("value", ["False", "True", "yes", "0", 0, 1, None, "", "FALSE"])
def test_bool_refuses_everything_else(value) -> None:
    with pytest.raises(UsageError, match=r"flag=.*: expected true or false"):
        parse_bool("flag", value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2021, 2021), ("2021", 2021), (" 1900", 1900), (2199, 2199), (np.int64(2020), 2020)],
)
def test_year(value, expected) -> None:
    assert parse_year("y", value) == expected


@pytest.mark.parametrize("value", [1899, 2200, 1e10, 2021.0, "21", "2021.0", True, None, "1e4"])
def test_year_refused(value) -> None:
    with pytest.raises(UsageError, match="y="):
        parse_year("y", value)


def test_years() -> None:
    assert parse_years("2020-2024") == (2020, 2024)
    assert parse_years("2021") == (2021, 2021)
    assert parse_years(2021) == (2021, 2021)
    assert parse_years((2019, 2020)) == (2019, 2020)
    assert parse_years(None) is None and parse_years("") is None
    with pytest.raises(UsageError, match="start year 2024 is after end year 2020"):
        parse_years("2024-2020")
    with pytest.raises(UsageError, match="YYYY or YYYY-YYYY"):
        parse_years("2020-2021-2022")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-02-03", dt.date(2021, 2, 3)),
        (dt.date(2021, 2, 3), dt.date(2021, 2, 3)),
        (pd.Timestamp("2021-02-03"), dt.date(2021, 2, 3)),
        (dt.datetime(2021, 2, 3), dt.date(2021, 2, 3)),
        ("1900-01-01", dt.date(1900, 1, 1)),
        ("2199-12-31", dt.date(2199, 12, 31)),
    ],
)
def test_date(value, expected) -> None:
    assert parse_date("at", value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "01/02/2021",
        "2021",
        "Feb 3 2021",
        "-1",
        "2021-02-30",
        "2021-2-3",
        "1677-09-22",
        "2200-01-01",
        20210203,
        None,
        pd.Timestamp("2021-02-03 10:00"),
        "2021-02-03T00:00",
    ],
)
def test_date_refused(value) -> None:
    with pytest.raises(UsageError, match="at="):
        parse_date("at", value)


def test_choice_names_text() -> None:
    assert parse_choice("view", "imposed", ["imposed", "effective"]) == "imposed"
    with pytest.raises(UsageError, match="expected one of imposed, effective"):
        parse_choice("view", "Imposed", ["imposed", "effective"])
    assert parse_names("r", "ICO, IMY,,") == ("ICO", "IMY")
    assert parse_names("r", ["ICO"]) == ("ICO",) and parse_names("r", None) == ()
    with pytest.raises(UsageError, match="each name once"):
        parse_names("r", ["ICO", "ICO"])
    with pytest.raises(UsageError, match="a name"):
        parse_names("r", [1])
    assert parse_text("d", " x ") == "x" and parse_text("d", None) is None
    with pytest.raises(UsageError):
        parse_text("d", "  ")


def test_strict_dates_vectorised() -> None:
    cells = pd.Series(["2021-02-03", "", "2021-02-30", "1677-09-22", "2021-2-3", "2262-04-12"])
    days, bad = strict_dates(cells)
    assert days[0] == np.datetime64("2021-02-03") and np.isnat(days[1:]).all()
    assert bad.tolist() == [False, False, True, True, True, True]
